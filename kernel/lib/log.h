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
/* Write whole lines that already carry their own prefix (userspace debug
 * output): no kernel prefix is added, lines stay atomic. */
void log_write_raw(const char *s, size_t n);
