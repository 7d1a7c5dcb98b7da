// SPDX-License-Identifier: MIT
/* security/sysret - the SYSRET hole (CVE-2012-0217) on the one return path
 * the fault group does not reach: the IPC fast path resuming a *caller*.
 * (fault.c covers a system call made from the last two bytes of user space
 * and the fast path resuming a *receiver* there.) A thread calls an
 * endpoint with the `syscall` instruction in the last two bytes of user
 * space, so its return address is 0x800000000000; the server answers with
 * reply_recv, which the fast path would use to resume the caller straight
 * from its saved frame. The fast path must leave it to the general path,
 * whose exit check kills the process with MOS_EXIT_BAD_RETURN: TCG faults a
 * non-canonical SYSRET in ring 3 (no hardware bug to see), so only that
 * exit reason proves the kernel's own check ran. */
#include "utest.h"
#include <mos/syscall.h>

#define USER_TOP 0x0000800000000000ull
#define TOP_PAGE (USER_TOP - MOS_PAGE_SIZE)
#define SCRATCH  0x00004F0000000000ull

/* rax = nr, rdi = ep, rsi = info, the message words 0, jump to target. */
__asm__(".text\n"
        ".globl sec_syscall_at\n"
        "sec_syscall_at:\n"                 /* (ep, info, nr, target) */
        "    mov %rdx, %rax\n"
        "    mov %rcx, %r11\n"
        "    xor %edx, %edx\n  xor %r10d, %r10d\n  xor %r8d, %r8d\n  xor %r9d, %r9d\n"
        "    jmp *%r11\n");
extern void sec_syscall_at(uint64_t ep, uint64_t info, uint64_t nr, uint64_t target);

/* A page of int3 ending in `syscall`, mapped read+exec as the last page. */
static long map_top_page(void)
{
    long m = mos_mem_alloc(1, 0);
    if (m < 0)
        return m;
    long r = mos_mem_map(m, MOS_SELF, SCRATCH, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r == 0) {
        uint8_t *p = (uint8_t *)SCRATCH;
        memset(p, 0xCC, MOS_PAGE_SIZE);
        p[MOS_PAGE_SIZE - 2] = 0x0F;                /* syscall */
        p[MOS_PAGE_SIZE - 1] = 0x05;
        r = mos_mem_unmap(MOS_SELF, SCRATCH, 1) == 1 ? 0 : -MOS_EINVAL;
    }
    if (r == 0)
        r = mos_mem_map(m, MOS_SELF, TOP_PAGE, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC);
    return r < 0 ? r : m;
}

static void call_from_top(void *arg)
{
    sec_syscall_at((uint64_t)(uintptr_t)arg, mos_msginfo(1, 0, 0, 0), SYS_ipc_call, USER_TOP - 2);
}

/* The server side; exit codes are for setup failures only: the process
 * is meant to die of MOS_EXIT_BAD_RETURN in the reply_recv. */
UTEST_CHILD(reply_to_caller_at_top_of_user_space)
{
    (void)arg;
    if (map_top_page() < 0)
        return 101;
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (ep < 0)
        return 102;
    struct mos_thread t;
    if (mos_thread_start(&t, call_from_top, (void *)(uintptr_t)ep, 0, 0) != 0)
        return 103;
    struct mos_msg m;
    if (mos_ipc_recv_m((mos_handle_t)ep, 5000000000ull, 0, &m) != 0 || !(mos_msg_flags(m.info) & MOS_MSG_CALL))
        return 104;
    const uint64_t w[4] = { 1, 2, 3, 4 };
    (void)mos_ipc_reply_recv_m((mos_handle_t)ep, mos_msginfo(1, 0, 0, 0), w, &m);   /* plain: fast path */
    return 105;                                     /* not reached */
}

UTEST(ipc_fastpath_never_resumes_a_caller_at_a_noncanonical_address)
{
    struct utest_child c = utest_run_child("reply_to_caller_at_top_of_user_space", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == MOS_EXIT_BAD_RETURN, "exit reason %u (code %lld, ip 0x%llx)", c.exit_reason,
            (long long)c.exit_code, (unsigned long long)c.fault_ip);
    EXPECT_EQ(c.fault_ip, USER_TOP);
}
