// SPDX-License-Identifier: MIT
/* basic - first checks of the system-call layer from ring 3: unknown
 * numbers, user pointers, memory, handles, faults in a child. */
#include "utest.h"

UTEST(unknown_syscall_is_enosys)
{
    EXPECT_ERR(mos_syscall6(SYS_COUNT, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
    EXPECT_ERR(mos_syscall6(1000, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
    EXPECT_ERR(mos_syscall6(-1, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
    EXPECT_ERR(mos_syscall6(0, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);              /* unassigned, below SYS_COUNT */
    /* Only all 64 bits name a call: these look like ipc_call / reply_recv
     * in the low half (the fast-path decision must not be fooled). */
    EXPECT_ERR(mos_syscall6((1ull << 32) | SYS_ipc_call, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
    EXPECT_ERR(mos_syscall6((1ull << 32) | SYS_ipc_reply_recv, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
    EXPECT_ERR(mos_syscall6((1ull << 63) | SYS_debug_write, 0, 0, 0, 0, 0, 0), MOS_ENOSYS);
}

UTEST(debug_write_checks_pointers)
{
    EXPECT_EQ(mos_debug_write((uint64_t)"utest: debug_write works\n", 25), 25);
    EXPECT_ERR(mos_debug_write(0, 10), MOS_EFAULT);
    EXPECT_ERR(mos_debug_write(0xFFFF800000000000ull, 10), MOS_EFAULT);    /* kernel half */
    EXPECT_ERR(mos_debug_write(0x00007FFFFFFFFFF0ull, 64), MOS_EFAULT);    /* runs past user space */
    EXPECT_ERR(mos_debug_write(0x0000500000000000ull, 8), MOS_EFAULT);     /* unmapped */
    EXPECT_ERR(mos_debug_write((uint64_t)"x", 5000), MOS_EINVAL);          /* too long */
    EXPECT_EQ(mos_debug_write((uint64_t)"", 0), 0);
}

UTEST(memory_alloc_map_use_unmap)
{
    long m = MUST(mos_mem_alloc(4, 0));
    uint64_t va = 0x0000400000000000ull;
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, va, 0, 4, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *p = (uint64_t *)va;
    for (int i = 0; i < 4 * 512; i++)
        EXPECTF(p[i] == 0, "fresh memory not zeroed at word %d", i);
    p[0] = 0x1234;
    p[4 * 512 - 1] = 0x5678;
    EXPECT_EQ(p[0] + p[4 * 512 - 1], 0x1234 + 0x5678);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, va, 4), 4);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, va, 4), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(memory_map_refusals)
{
    long m = MUST(mos_mem_alloc(2, 0));
    uint64_t va = 0x0000400000000000ull;
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 0, 2, MOS_PROT_WRITE | MOS_PROT_EXEC), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va + 1, 0, 2, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, 0, 0, 1, MOS_PROT_READ), MOS_EINVAL);          /* page 0 */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, 0xFFFF800000000000ull, 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 1, 2, MOS_PROT_READ), MOS_ERANGE);         /* past its end */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 0, 0, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 0, 2, 0), MOS_EINVAL);
    /* A read-only derived capability cannot map writable. */
    long ro = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_ERR(mos_mem_map(ro, MOS_SELF, va, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), MOS_EPERM);
    EXPECT_EQ(mos_mem_map(ro, MOS_SELF, va, 0, 1, MOS_PROT_READ), 0);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 0, 1, MOS_PROT_READ), MOS_EEXIST);         /* taken */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, va, 0, 1, MOS_PROT_READ), MOS_EEXIST);
    EXPECT_EQ(mos_cap_delete(m), 0);       /* deletes the child too? no: only m; ro stays a root */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, va, 1), 1);
    EXPECT_EQ(mos_cap_delete(ro), 0);
}

UTEST(bad_handles_are_refused)
{
    struct mos_cap_info info;
    EXPECT_ERR(mos_cap_inspect(0, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_delete(0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_delete(MOS_SELF), MOS_EBADHANDLE);
    for (uint32_t h = 0x12345; h < 0x12345 + 64 * 7919; h += 7919)
        EXPECT_ERR(mos_cap_delete(h | 0xABC00000u), MOS_EBADHANDLE);
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_mem_map(ep, MOS_SELF, 0x400000000000ull, 0, 1, MOS_PROT_READ), MOS_EBADTYPE);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_ERR(mos_cap_delete(ep), MOS_EBADHANDLE);                     /* stale */
    EXPECT_ERR(mos_cap_inspect(ep, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
}

UTEST_CHILD(null_deref)
{
    volatile long *p = (volatile long *)arg;       /* 16: the compiler cannot see it */
    return *p;
}

UTEST(child_null_dereference_is_reported)
{
    struct utest_child c = utest_run_child("null_deref", 16, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_PAGE_FAULT);
    EXPECT_EQ(c.fault_addr, 16);
}

UTEST_CHILD(exit_code)
{
    return (long)arg;
}

UTEST(child_exit_code_arrives)
{
    struct utest_child c = utest_run_child("exit_code", 42, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 42);
}
