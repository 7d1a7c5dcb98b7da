/* SPDX-License-Identifier: MIT */
/* mos_stdio.h - formatted output for user programs, on the kernel's format
 * engine (kernel/lib/kprintf.c: %d %i %u %x %X %o %p %s %c %%, flags, width,
 * precision, hh h l ll z j t; no floating point). Output goes to one
 * process-wide writer: mos_debug_write by default, later e.g. a console
 * endpoint client. printf hands the writer whole buffered runs (up to 256
 * bytes at a time), so a short line arrives in one piece. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef void (*mos_writer_fn)(void *ctx, const char *s, size_t n);

/* Route printf/puts/putchar output to fn(ctx, ...); fn NULL restores the
 * default (mos_debug_write). Not synchronised with concurrent printing. */
void mos_set_writer(mos_writer_fn fn, void *ctx);

/* Hand s[0..n) to the current writer. */
void mos_write(const char *s, size_t n);

__attribute__((format(printf, 1, 2))) int printf(const char *restrict fmt, ...);
int vprintf(const char *restrict fmt, va_list ap);
__attribute__((format(printf, 3, 4)))
int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...);
int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap);
int puts(const char *s);          /* s and a newline */

/* A result line of the test protocol the host runner reads:
 * "TEST <suite>/<target>/<check> ok", or "... FAIL <why>" with why made
 * from fmt and ap. Returns ok. */
bool mos_test_vline(const char *suite, const char *target, const char *check, bool ok,
                    const char *fmt, va_list ap);
int putchar(int c);
