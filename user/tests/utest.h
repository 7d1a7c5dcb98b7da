/* SPDX-License-Identifier: MIT */
/* utest.h - the userspace test harness. A test group is one program with
 * cases declared by UTEST(name) { ... }. Run without arguments, the program
 * is the group's driver: it starts every case in a fresh process of its own
 * image (so one failure or crash cannot mask another), waits for each, and
 * reports a case that died as FAILED with the reason. Run as
 * "<group> --case <name>", it runs that one case and prints
 *   TEST <group>.<name> ok        or        TEST <group>.<name> FAIL <why>
 * on the debug log, which the host runner reads. The driver's exit code is
 * the number of failed cases. */
#pragma once

#include "mos_lib.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>
#include <mos/proc.h>

struct utest {
    const char *name;
    void (*fn)(void);
};

#define UTEST(tname)                                                           \
    static void utest_fn_##tname(void);                                        \
    static const struct utest utest_desc_##tname                               \
        __attribute__((used, section("utests"), aligned(16))) = { #tname, utest_fn_##tname }; \
    static void utest_fn_##tname(void)

/* Record a failure (the case goes on; the first is reported). */
void utest_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define EXPECT(cond) \
    do { if (!(cond)) utest_fail(__FILE__, __LINE__, "expected %s", #cond); } while (0)
#define EXPECTF(cond, ...) \
    do { if (!(cond)) utest_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define EXPECT_EQ(a, b)                                                        \
    do { long long _a = (long long)(a), _b = (long long)(b);                    \
         if (_a != _b) utest_fail(__FILE__, __LINE__, "%s == %lld, expected %lld (%s)", \
                                  #a, _a, _b, #b); } while (0)
/* A call that must fail with exactly this error. */
#define EXPECT_ERR(call, err) EXPECT_EQ((call), -(long long)(err))
/* A call that must succeed (>= 0); evaluates to its result. */
#define MUST(call) ({                                                           \
    long _r = (long)(call);                                                      \
    if (_r < 0)                                                                  \
        utest_fail(__FILE__, __LINE__, "%s failed: %s", #call, mos_strerror(_r)); \
    _r; })

/* Helpers for cases. */
/* Run fn(arg) in a new process made from this program's image (a copy of
 * the case's own code): returns the exit info of the child once it is dead
 * (waits at most timeout_ms). */
struct utest_child {
    uint32_t exit_reason;       /* enum mos_exit_reason */
    int64_t exit_code;
    uint64_t fault_addr, fault_ip;
    bool finished;              /* false: still running at the deadline (it was killed) */
};
/* Start this program as "<group> --child <name> <arg>" (handled by the
 * child function registered with UTEST_CHILD) and wait for it. caps: named
 * capabilities to pass (may be NULL). */
struct utest_child utest_run_child(const char *name, uint64_t arg, const struct mos_spawn_cap *caps,
                                   uint32_t ncaps, uint32_t timeout_ms);

struct utest_childfn {
    const char *name;
    long (*fn)(uint64_t arg);
};
#define UTEST_CHILD(cname)                                                      \
    static long utest_child_##cname(uint64_t arg);                              \
    static const struct utest_childfn utest_childdesc_##cname                   \
        __attribute__((used, section("utest_children"), aligned(16))) = { #cname, utest_child_##cname }; \
    static long utest_child_##cname(uint64_t arg)

/* Nanoseconds since boot (from the kernel information page). */
uint64_t utest_now_ns(void);
/* Booted "realtime" (plain QEMU, time follows a preemptible host): timing
 * bounds must allow for a vCPU the host did not run (kinfo boot_flags). */
static inline bool utest_realtime(void)
{
    return (((const volatile struct mos_kinfo *)MOS_KINFO_ADDR)->boot_flags & MOS_BOOT_REALTIME) != 0;
}
/* This group's name (argv[0] without the directory). */
const char *utest_group(void);
