/* SPDX-License-Identifier: MIT */
/* kprintf.h - formatted output. The format engine (kfmt) is pure and is also
 * compiled on the host, where tests compare it with the C library's snprintf.
 * Conversions: %d %i %u %x %X %o %p %s %c %%; flags '-', '0', '+', ' ', '#';
 * field width and precision (numbers or '*'); length modifiers hh h l ll z j t.
 * %p prints like glibc for non-NULL pointers (0x and minimal hex digits). */
#pragma once

#include "lib/types.h"

/* Output sink: called with runs of characters (not NUL-terminated). */
typedef void (*kfmt_sink_t)(void *ctx, const char *s, size_t n);

/* Format into a sink; returns the number of characters produced. */
int kfmt(kfmt_sink_t sink, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: always NUL-terminates when n > 0; returns the length
 * the full output would have had. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
__printf(3, 4) int ksnprintf(char *buf, size_t n, const char *fmt, ...);

/* Print to the kernel log (serial, and the framebuffer console once it is up).
 * Each line starts with a prefix ("[   1.234567] " once time is known,
 * "[#00012] " before). Context: any, including interrupt handlers and panic;
 * lines from different CPUs never interleave mid-line. Under HOST_TEST
 * tests/host/fake_kernel.c supplies it. */
__printf(1, 2) int kprintf(const char *fmt, ...);
int kvprintf(const char *fmt, va_list ap);
