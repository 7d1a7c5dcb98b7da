// SPDX-License-Identifier: MIT
/* leak_caps - grants and capability trees leave no trace: 2,000 grant and
 * revoke cycles into another process and 2,000 capability trees built and
 * revoked, each after a warm-up, must bring every counter of the kernel
 * information page back exactly (cycles.h). The longleak group runs the
 * same cycles 100,000 times in a QEMU run of its own. */
#include "cycles.h"

#define GRANT_CYCLES 2000
#define TREE_CYCLES  2000
#define REALTIME_CYCLES 500        /* plain QEMU on a loaded host: fewer */

static unsigned cycles(unsigned n)
{
    return (cyc_kinfo->boot_flags & MOS_BOOT_REALTIME) ? REALTIME_CYCLES : n;
}

UTEST(grant_and_revoke_cycles_leave_no_trace)
{
    long target = MUST(cyc_target());
    if (target < 0)
        return;
    cyc_grant_revoke(16, (mos_handle_t)target);          /* warm-up: the target's page tables */
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    cyc_grant_revoke(cycles(GRANT_CYCLES), (mos_handle_t)target);
    printf("leak: %u grant/revoke cycles took %llu ms of guest time\n", cycles(GRANT_CYCLES),
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "grant/revoke cycles");
    EXPECT_EQ(mos_proc_destroy((mos_handle_t)target, 0), 0);
    EXPECT_EQ(mos_cap_delete((mos_handle_t)target), 0);
}

UTEST(capability_trees_built_and_revoked_leave_no_trace)
{
    long target = MUST(cyc_target());
    if (target < 0)
        return;
    cyc_cap_trees(64, (mos_handle_t)target, 7);             /* warm-up */
    struct cyc_counters base;
    cyc_baseline(&base);
    uint64_t t0 = utest_now_ns();
    cyc_cap_trees(cycles(TREE_CYCLES), (mos_handle_t)target, 0x7EE5);
    printf("leak: %u capability trees took %llu ms of guest time\n", cycles(TREE_CYCLES),
           (unsigned long long)cyc_elapsed_ms(t0));
    cyc_expect_back(&base, "capability trees");
    EXPECT_EQ(mos_proc_destroy((mos_handle_t)target, 0), 0);
    EXPECT_EQ(mos_cap_delete((mos_handle_t)target), 0);
}
