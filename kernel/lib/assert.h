/* SPDX-License-Identifier: MIT */
/* assert.h - kernel assertions and panic. panic() is for kernel bugs only:
 * nothing a user process sends may reach it. Under HOST_TEST both report
 * through cmocka, so a broken invariant fails the test instead of the run. */
#pragma once

#include "lib/types.h"

#ifdef HOST_TEST
void mock_assert(const int result, const char *const expression,
                 const char *const file, const int line);
#define assert(e) mock_assert(!!(e), #e, __FILE__, __LINE__)
#define panic(...) mock_assert(0, "panic", __FILE__, __LINE__)
#else
__noreturn void assert_fail(const char *expr, const char *file, int line, const char *func);
__noreturn __printf(1, 2) void panic(const char *fmt, ...);
/* Stop the machine after a fatal error: every CPU halts, or in test mode
 * (kernel_exit_on_panic) QEMU exits with a failure status. */
__noreturn void kernel_stop(void);
extern bool kernel_exit_on_panic;
#define assert(e) ((e) ? (void)0 : assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#define static_assert _Static_assert
