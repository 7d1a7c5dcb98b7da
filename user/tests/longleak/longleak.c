// SPDX-License-Identifier: MIT
/* longleak - the long leak cycles, with exact accounting: 100,000 process
 * create/destroy cycles, 1,000,000 call/reply round trips (half with the
 * server on another CPU), 100,000 grant/revoke cycles and 100,000
 * capability trees built and revoked; after each, the free-frame count and
 * every object count of the kernel information page are back exactly to
 * their values after the warm-up (cycles.h). This group is left out of the
 * normal test images (mk/security.mk) and runs in its own QEMU run
 * (scenario longleak, docs/testing.md "Leak cycles"); each case stays well
 * inside the harness's 60 s of guest time per case. */
#include "../leak/cycles.h"
#include "../proc/childproc.h"

#define PROCESS_CYCLES  100000
#define ROUND_TRIPS     1000000
#define GRANT_CYCLES    100000
#define TREE_CYCLES     100000

/* n process lifetimes: create (exit endpoint), map the code page and a
 * stack page moved into it, run a thread that pushes and ends itself, wait
 * for the exit notification and the death, delete its capabilities. */
static void process_cycles(unsigned n, mos_handle_t code, mos_handle_t ep)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < n && bad < 3; i++) {
        struct raw_child c = { 0 };
        long r = raw_child_create(&c, 64, 16, ep, "longleak", code, true);
        if (r < 0) {
            utest_fail(__FILE__, __LINE__, "cycle %u: creating the child: %s", i, mos_strerror(r));
            bad++;
            continue;
        }
        long t = raw_child_thread(&c, raw_stack_exit_thread, i, 16);
        struct mos_msg m;
        r = t > 0 ? mos_ipc_recv_m(ep, 1000 * CYC_MS, 0, &m) : t;
        struct mos_cap_info info;
        long d = wait_dead(c.proc, 0, 1000, &info);
        if (t <= 0 || r != 0 || d != 0 || info.u.proc.exit_reason != MOS_EXIT_NO_THREADS) {
            utest_fail(__FILE__, __LINE__, "cycle %u: thread %ld, notification %ld, state %u reason %u", i, t, r,
                       info.u.proc.state, info.u.proc.exit_reason);
            bad++;
            (void)mos_proc_destroy(c.proc, 0);
        }
        if (t > 0)
            EXPECT_EQ(mos_cap_delete((mos_handle_t)t), 0);
        EXPECT_EQ(mos_cap_delete(c.proc), 0);
    }
}

UTEST(process_create_destroy_100000_cycles_leave_no_trace)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    process_cycles(50, (mos_handle_t)code, (mos_handle_t)ep);
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    process_cycles(PROCESS_CYCLES, (mos_handle_t)code, (mos_handle_t)ep);
    printf("longleak: %u process cycles took %llu ms of guest time\n", PROCESS_CYCLES,
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "process cycles");
    EXPECT_EQ(mos_cap_delete((mos_handle_t)ep), 0);
    EXPECT_EQ(mos_cap_delete((mos_handle_t)code), 0);
}

UTEST(ipc_1000000_round_trips_leave_no_trace)
{
    int other = cyc_kinfo->ncpus > 1 ? 1 : 0;
    cyc_round_trips(1000, -1);
    cyc_round_trips(1000, other);
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    cyc_round_trips(ROUND_TRIPS / 2, -1);
    cyc_round_trips(ROUND_TRIPS / 2, other);
    printf("longleak: %u IPC round trips took %llu ms of guest time\n", ROUND_TRIPS,
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "IPC round trips");
}

UTEST(grant_revoke_100000_cycles_leave_no_trace)
{
    long target = MUST(cyc_target());
    if (target < 0)
        return;
    cyc_grant_revoke(16, (mos_handle_t)target);
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    cyc_grant_revoke(GRANT_CYCLES, (mos_handle_t)target);
    printf("longleak: %u grant/revoke cycles took %llu ms of guest time\n", GRANT_CYCLES,
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "grant/revoke cycles");
    EXPECT_EQ(mos_proc_destroy((mos_handle_t)target, 0), 0);
    EXPECT_EQ(mos_cap_delete((mos_handle_t)target), 0);
}

UTEST(capability_trees_100000_built_and_revoked_leave_no_trace)
{
    long target = MUST(cyc_target());
    if (target < 0)
        return;
    cyc_cap_trees(64, (mos_handle_t)target, 7);
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    cyc_cap_trees(TREE_CYCLES, (mos_handle_t)target, 0x10A61EAFull);
    printf("longleak: %u capability trees took %llu ms of guest time\n", TREE_CYCLES,
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "capability trees");
    EXPECT_EQ(mos_proc_destroy((mos_handle_t)target, 0), 0);
    EXPECT_EQ(mos_cap_delete((mos_handle_t)target), 0);
}
