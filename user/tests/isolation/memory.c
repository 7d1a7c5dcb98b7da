// SPDX-License-Identifier: MIT
/* isolation: address spaces are private. A child cannot see what its parent
 * mapped unless it is granted; a grant shares the very same frames (writes
 * go both ways, zero-copy), a read-only grant cannot be written, and only a
 * PROCESS capability with WRITE lets anyone map into another process. */
#include "kid.h"

#define VA_SECRET 0x0000400000000000ull
#define VA_KID    0x0000450000000000ull
#define SEC 1000000000ull

UTEST_CHILD(read_addr)
{
    return (long)(*(volatile uint64_t *)arg & 0x7FFFFFFF);
}

UTEST_CHILD(write_addr)
{
    *(volatile uint64_t *)arg = 0xBAD;
    return 0;
}

UTEST(child_cannot_read_memory_it_was_not_granted)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SECRET, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_SECRET = 0x5EC12E7;
    struct utest_child c = utest_run_child("read_addr", VA_SECRET, NULL, 0, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_PAGE_FAULT);
    EXPECT_EQ(c.fault_addr, VA_SECRET);
    /* Not even at the same place in its own copy of our image would it see our data. */
    static volatile uint64_t marker = 0;
    marker = 0x4D41524B;
    c = utest_run_child("read_addr", (uint64_t)(uintptr_t)&marker, NULL, 0, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);                       /* its own marker, still 0 */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(child_cannot_write_memory_it_was_not_granted)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SECRET, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_SECRET = 0x5EC12E7;
    struct utest_child c = utest_run_child("write_addr", VA_SECRET, NULL, 0, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_PAGE_FAULT);
    EXPECT_EQ(c.fault_addr, VA_SECRET);
    EXPECT_EQ(*(volatile uint64_t *)VA_SECRET, 0x5EC12E7);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

/* Told an address, reads it, reports the value, writes arg (mode 1) or
 * tries to (mode 2: the write must fault), reports again. */
UTEST_CHILD(use_granted_page)
{
    mos_handle_t ctl = mos_cap_by_name("ctl"), ack = mos_cap_by_name("ack");
    struct mos_msg m;
    if (!ctl || !ack)
        return 50;
    if (mos_ipc_recv_m(ctl, 5 * SEC, 0, &m) != 0)
        return 51;
    volatile uint64_t *p = (volatile uint64_t *)m.w[0];
    uint64_t seen = p[0];
    if (mos_ipc_send(ack, 0, seen, p[511], 0, 0) != 0)
        return 52;
    if (mos_ipc_recv_m(ctl, 5 * SEC, 0, &m) != 0)
        return 53;
    p[0] = m.w[0];
    p[511] = m.w[0] + 1;
    if (mos_ipc_send(ack, 0, 1, 0, 0, 0) != 0)
        return 54;
    return arg == 2 ? 55 : 0;
}

UTEST(grant_shares_the_same_physical_page)
{
    long m = MUST(mos_mem_alloc(1, MOS_MEM_CONTIG));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SECRET, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *p = (volatile uint64_t *)VA_SECRET;
    p[0] = 0x1111;
    p[511] = 0x2222;
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ack = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = {
        { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" },
        { .handle = ack, .rights = MOS_RIGHT_WRITE, .name = "ack" },
    };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "use_granted_page", 1, caps, 2), 0);
    long g = MUST(mos_mem_grant(m, k.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, VA_KID));
    /* The child's capability names our frame. */
    struct mos_cap_info mine = inspect(m), theirs;
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&theirs, k.proc, 0), 0);
    EXPECT_EQ(theirs.type, MOS_CAP_MEMORY);
    EXPECT_EQ(theirs.rights, MOS_RIGHT_READ | MOS_RIGHT_WRITE);
    EXPECT_EQ(theirs.count, 1);
    EXPECT_EQ(theirs.object_id, mine.object_id);
    EXPECT(mine.phys != 0);
    EXPECT_EQ(theirs.phys, mine.phys);
    /* It sees our data, we see its writes. */
    EXPECT_EQ(mos_ipc_send(ctl, 0, VA_KID, 0, 0, 0), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 0x1111);
    EXPECT_EQ(msg.w[1], 0x2222);
    EXPECT_EQ(mos_ipc_send(ctl, 0, 0xC0FFEE, 0, 0, 0), 0);
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(p[0], 0xC0FFEE);
    EXPECT_EQ(p[511], 0xC0FFEF);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    /* Its death took only its capability: our mapping and data stay. */
    EXPECT_EQ(p[0], 0xC0FFEE);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
    EXPECT_EQ(mos_cap_delete(ack), 0);
}

UTEST(read_only_grant_cannot_be_written)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SECRET, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *p = (volatile uint64_t *)VA_SECRET;
    p[0] = 0x3333;
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ack = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = {
        { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" },
        { .handle = ack, .rights = MOS_RIGHT_WRITE, .name = "ack" },
    };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "use_granted_page", 2, caps, 2), 0);
    long g = MUST(mos_mem_grant(m, k.proc, 0, 1, MOS_RIGHT_READ, VA_KID));
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&info, k.proc, 0), 0);
    EXPECT_EQ(info.rights, MOS_RIGHT_READ);
    /* A grant can never carry more than the granter's capability has. */
    long ro = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_ERR(mos_mem_grant(ro, k.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0), MOS_EPERM);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_ipc_send(ctl, 0, VA_KID, 0, 0, 0), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 0x3333);                     /* the page is there, readable */
    EXPECT_EQ(mos_ipc_send(ctl, 0, 0xBAD, 0, 0, 0), 0);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_PAGE_FAULT);   /* present but read-only: a protection fault */
    EXPECT_EQ(c.fault_addr, VA_KID);
    EXPECT_EQ(p[0], 0x3333);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
    EXPECT_EQ(mos_cap_delete(ack), 0);
}

UTEST(mapping_into_another_process_needs_process_write)
{
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 32, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long pr = MUST(mos_cap_transfer(p, MOS_SELF, MOS_RIGHTS_ALL & ~(MOS_RIGHT_WRITE | MOS_RIGHT_EXEC), 0, 0, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_mem_map(m, pr, VA_SECRET, 0, 1, MOS_PROT_READ), MOS_EPERM);
    EXPECT_ERR(mos_mem_unmap(pr, VA_SECRET, 1), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m, pr, 0, 1, MOS_RIGHT_READ, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m, pr, 0, 1, MOS_RIGHT_READ, VA_SECRET), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(ep, pr, MOS_RIGHT_READ, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_thread_create(pr, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EPERM);
    EXPECT_ERR(mos_proc_destroy(pr, 0), MOS_EPERM);
    struct mos_cap_info info = inspect(p);
    EXPECT_EQ(info.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(info.u.proc.caps_used, 0);
    EXPECT_EQ(info.u.proc.threads, 0);
    /* With WRITE it works: map, then unmap what was mapped. */
    EXPECT_EQ(mos_mem_map(m, p, VA_SECRET, 0, 1, MOS_PROT_READ), 0);
    EXPECT_ERR(mos_mem_unmap(pr, VA_SECRET, 1), MOS_EPERM);
    EXPECT_EQ(mos_mem_unmap(p, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_mem_unmap(p, VA_SECRET, 1), 0);
    EXPECT_EQ(mos_cap_delete(pr), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(mapping_into_a_running_child_needs_process_write)
{
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ack = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = {
        { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" },
        { .handle = ack, .rights = MOS_RIGHT_WRITE, .name = "ack" },
    };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "use_granted_page", 1, caps, 2), 0);
    long m = MUST(mos_mem_alloc(1, 0));
    long pr = MUST(mos_cap_transfer(k.proc, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_ERR(mos_mem_map(m, pr, VA_KID, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m, pr, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, VA_KID), MOS_EPERM);
    EXPECT_ERR(mos_proc_destroy(pr, 0), MOS_EPERM);
    /* Mapped with mem_map through the full capability, the child can use it. */
    EXPECT_EQ(mos_mem_map(m, k.proc, VA_KID, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SECRET, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_SECRET = 0x4444;
    EXPECT_EQ(mos_ipc_send(ctl, 0, VA_KID, 0, 0, 0), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 0x4444);
    EXPECT_EQ(mos_ipc_send(ctl, 0, 0x5555, 0, 0, 0), 0);
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(*(volatile uint64_t *)VA_SECRET, 0x5555);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(mos_cap_delete(pr), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SECRET, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
    EXPECT_EQ(mos_cap_delete(ack), 0);
}
