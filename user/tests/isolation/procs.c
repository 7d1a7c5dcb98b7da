// SPDX-License-Identifier: MIT
/* isolation: a process is reached only through a PROCESS capability. A
 * child holds none (not even of its parent), so no handle it can name lets
 * it start a thread in, map into or destroy another process. */
#include "kid.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 24);
}

/* Returns 0 if every attempt to act on a process failed as it must. */
UTEST_CHILD(try_to_touch_other_processes)
{
    (void)arg;
    static mos_handle_t mine[512];
    uint32_t n = cspace_enumerate(MOS_SELF, mine, 512);
    if (n == 0 || n > 512)
        return 70;
    long m = mos_mem_alloc(1, 0);
    if (m < 0)
        return 71;
    for (uint32_t i = 0; i < n; i++) {
        struct mos_cap_info info = inspect(mine[i]);
        if (info.type == MOS_CAP_PROCESS)
            return 72;                              /* it was given one: nothing to prove */
        if (mos_thread_create(mine[i], 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0) != -MOS_EBADTYPE)
            return 73;
        if (mos_proc_destroy(mine[i], 0) != -MOS_EBADTYPE)
            return 74;
        if (mos_mem_map(m, mine[i], 0x400000000000ull, 0, 1, MOS_PROT_READ) != -MOS_EBADTYPE)
            return 75;
        if (mos_cap_transfer(m, mine[i], MOS_RIGHT_READ, 0, 0, 0) != -MOS_EBADTYPE)
            return 76;
    }
    for (unsigned k = 0; k < 2000; k++) {
        mos_handle_t h = next_rand();
        bool held = h == MOS_SELF;
        for (uint32_t i = 0; i < n; i++)
            held |= mine[i] == h || (mos_handle_t)m == h;
        if (held)
            continue;
        if (mos_thread_create(h, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0) != -MOS_EBADHANDLE)
            return 77;
        if (mos_proc_destroy(h, 0) != -MOS_EBADHANDLE)
            return 78;
    }
    return 0;
}

UTEST(child_cannot_create_threads_in_or_destroy_other_processes)
{
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "bystander" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    struct utest_child c = utest_run_child("try_to_touch_other_processes", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    /* We, and the bystander, are untouched. */
    struct mos_cap_info info = inspect(p);
    EXPECT_EQ(info.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(info.u.proc.threads, 0);
    EXPECT_EQ(info.u.proc.caps_used, 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
}

UTEST(no_thread_create_or_destroy_through_a_deleted_process_cap)
{
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "gone" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_ERR(mos_thread_create(p, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_proc_destroy(p, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_map(m, p, 0x400000000000ull, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    /* A THREAD capability is no PROCESS capability either. */
    mos_handle_t th = first_of_type(MOS_CAP_THREAD);
    EXPECT(th != 0);
    EXPECT_ERR(mos_thread_create(th, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_proc_destroy(th, 0), MOS_EBADTYPE);
    /* Without WRITE a thread cannot be stopped through its capability. */
    long tr = MUST(mos_cap_transfer(th, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_ERR(mos_thread_destroy(tr), MOS_EPERM);
    EXPECT_ERR(mos_thread_wake(tr), MOS_EPERM);
    EXPECT_EQ(mos_cap_delete(tr), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}
