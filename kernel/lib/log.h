/* SPDX-License-Identifier: MIT */
/* log.h - the kernel log's sinks and clock (kprintf itself: lib/kprintf.h). */
#pragma once

#include "lib/types.h"

/* Set once time is known: the log prefix then shows seconds since boot. */
void log_set_clock(uint64_t (*now_ns)(void));
/* Also draw the log on the framebuffer console (fbcon must be initialised). */
void log_enable_fbcon(bool on);
/* Panic mode: never wait for the log lock again (its holder may be dead). */
void log_enter_panic(void);
/* The console moved to userspace: from now on log lines go to a ring
 * buffer that the owner drains with log_read() instead of straight to COM1
 * (panics and crash reports still go straight out). owner: an opaque token
 * (the process); log_release_console(owner) reverts (the owner died). */
void log_claim_console(const void *owner);
void log_release_console(const void *owner);
bool log_console_owned_by(const void *owner);
/* Copy whole lines (at most n bytes) out of the ring; returns bytes. */
size_t log_drain(char *buf, size_t n);
/* Lines arrived for the owner since the last call? (clears the flag) */
bool log_take_notify(void);

/* Write whole lines that already carry their own prefix (userspace debug
 * output): no kernel prefix is added, lines stay atomic. */
void log_write_raw(const char *s, size_t n);
