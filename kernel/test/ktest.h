/* SPDX-License-Identifier: MIT */
/* ktest.h - in-kernel tests. KTEST(name) { ... } registers a test in the
 * .ktests section (sorted by name); booting with "test" on the command line
 * runs them all ("test=prefix" runs those whose name starts with prefix),
 * each reporting "TEST <name> ok" or "TEST <name> FAIL <why>" on serial.
 * `t` is the test context inside the body. */
#pragma once

#include "lib/types.h"
#include "lib/kprintf.h"

struct ktest_ctx {
    const char *name;
    unsigned failures;
    bool skipped;
    char first_failure[160];
};

struct ktest {
    const char *name;
    void (*fn)(struct ktest_ctx *t);
};

#define KTEST(tname)                                                              \
    static void ktest_fn_##tname(struct ktest_ctx *t);                            \
    static const struct ktest ktest_desc_##tname                                  \
        __attribute__((used, section(".ktests." #tname), aligned(16))) = {        \
            #tname, ktest_fn_##tname };                                           \
    static void ktest_fn_##tname(struct ktest_ctx *t)

/* Record a failure (the test goes on; the first failure is reported). */
__printf(4, 5) void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...);

#define KT_EXPECT(t, cond) \
    do { if (!(cond)) ktest_fail((t), __FILE__, __LINE__, "expected %s", #cond); } while (0)
#define KT_EXPECTF(t, cond, ...) \
    do { if (!(cond)) ktest_fail((t), __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define KT_EXPECT_EQ(t, a, b)                                                      \
    do { long long _a = (long long)(a), _b = (long long)(b);                        \
         if (_a != _b) ktest_fail((t), __FILE__, __LINE__, "%s == %lld, expected %lld (%s)", \
                                  #a, _a, _b, #b); } while (0)

/* Mark the test skipped (it cannot run in this configuration, e.g. one CPU)
 * and return from the test body. */
#define KT_SKIP(t, why) do { (t)->skipped = true; ksnprintf((t)->first_failure, \
        sizeof (t)->first_failure, "%s", (why)); return; } while (0)

/* False when the kernel was booted with "realtime": time then follows a host
 * that may preempt the virtual CPUs at will (plain QEMU on a loaded machine),
 * so tests that check timing tolerances skip themselves. Under QEMU's
 * -icount (the default test configuration) guest time is exact. */
extern bool ktest_exact_time;
#define KT_NEED_EXACT_TIME(t) do { if (!ktest_exact_time) \
        KT_SKIP(t, "timing tolerance needs exact guest time (booted with realtime)"); } while (0)

/* Run every registered test whose name starts with `filter` ("" = all).
 * Prints KTEST DONE <passed> passed, <failed> failed; returns failures. */
unsigned ktest_run_all(const char *filter);

/* Poll cond every millisecond for up to timeout_ms; true if it held (needs
 * sched/clock.h and sched/sched.h; a kernel thread only). */
#define WAIT_UNTIL(cond, timeout_ms) ({                                       \
    uint64_t _end = now_ns() + (uint64_t)(timeout_ms) * 1000000ull;           \
    while (!(cond) && now_ns() < _end)                                        \
        thread_sleep_ns(1000000ull);                                          \
    (bool)(cond); })
