// SPDX-License-Identifier: MIT
/* fault - a user fault kills only the faulting process, and its creator
 * learns why (cap_inspect of the PROCESS: exit_reason, exit_code = the
 * vector, fault_addr, fault_ip). Each fault happens in a helper child
 * (utest_run_child) at an instruction with a global label, so the case
 * knows the exact faulting address (the child runs the same image). Also
 * the SYSRET hole: a system call made from the last two bytes of user space
 * would return to the non-canonical 0x800000000000; the kernel must kill
 * the process (MOS_EXIT_BAD_RETURN) instead (kernel/syscall/syscall.c). */
#include "utest.h"
#include "../proc/childproc.h"

#define PG        MOS_PAGE_SIZE
#define USER_TOP  0x0000800000000000ull
#define SCRATCH   0x0000400000000000ull

/* x86 exception vectors (exit_code of a fault). */
#define VEC_DE 0
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14

/* The faulting instructions, each at a global label. */
__asm__(".text\n"
        ".globl fault_null_load\n"
        "fault_null_load:\n"
        "    xor %eax, %eax\n"
        ".globl fault_null_load_ip\n"
        "fault_null_load_ip:\n"
        "    mov (%rax), %rax\n"
        "    ret\n"

        ".globl fault_noncanonical_load\n"
        "fault_noncanonical_load:\n"
        "    movabs $0x0000800000000000, %rax\n"
        ".globl fault_noncanonical_load_ip\n"
        "fault_noncanonical_load_ip:\n"
        "    mov (%rax), %rax\n"
        "    ret\n"

        ".globl fault_noncanonical_high_load\n"
        "fault_noncanonical_high_load:\n"
        "    movabs $0x8000000000001000, %rax\n"
        ".globl fault_noncanonical_high_load_ip\n"
        "fault_noncanonical_high_load_ip:\n"
        "    mov (%rax), %rax\n"
        "    ret\n"

        ".globl fault_kernel_load\n"
        "fault_kernel_load:\n"
        "    movabs $0xFFFFFFFF80200000, %rax\n"
        ".globl fault_kernel_load_ip\n"
        "fault_kernel_load_ip:\n"
        "    mov (%rax), %rax\n"
        "    ret\n"

        ".globl fault_ud2\n"
        "fault_ud2:\n"
        ".globl fault_ud2_ip\n"
        "fault_ud2_ip:\n"
        "    ud2\n"
        "    ret\n"

        ".globl fault_divide\n"
        "fault_divide:\n"
        "    mov $1, %eax\n"
        "    xor %edx, %edx\n"
        "    xor %ecx, %ecx\n"
        ".globl fault_divide_ip\n"
        "fault_divide_ip:\n"
        "    div %ecx\n"
        "    ret\n"

        ".globl fault_divide_overflow\n"
        "fault_divide_overflow:\n"           /* INT64_MIN / -1 also raises #DE */
        "    movabs $0x8000000000000000, %rax\n"
        "    cqo\n"
        "    mov $-1, %rcx\n"
        ".globl fault_divide_overflow_ip\n"
        "fault_divide_overflow_ip:\n"
        "    idiv %rcx\n"
        "    ret\n"

        ".globl fault_write_text\n"         /* writes the byte at fault_write_text_target */
        "fault_write_text:\n"
        "    lea fault_write_text_target(%rip), %rax\n"
        ".globl fault_write_text_ip\n"
        "fault_write_text_ip:\n"
        "    movb $0xCC, (%rax)\n"
        ".globl fault_write_text_target\n"
        "fault_write_text_target:\n"
        "    ret\n"

        ".globl fault_stack_overflow\n"     /* pushes until the guard page below the stack */
        "fault_stack_overflow:\n"
        ".globl fault_stack_overflow_ip\n"
        "fault_stack_overflow_ip:\n"
        "    push %rax\n"
        "    jmp fault_stack_overflow_ip\n"

        ".globl fault_jump_to\n"            /* jump to the address in rdi, with rax = rsi */
        "fault_jump_to:\n"
        "    mov %rsi, %rax\n"
        "    jmp *%rdi\n");

extern void fault_null_load(void), fault_noncanonical_load(void), fault_noncanonical_high_load(void),
    fault_kernel_load(void), fault_ud2(void), fault_divide(void), fault_divide_overflow(void),
    fault_write_text(void), fault_stack_overflow(void);
extern void fault_jump_to(uint64_t target, uint64_t rax);
extern const char fault_null_load_ip[], fault_noncanonical_load_ip[], fault_noncanonical_high_load_ip[],
    fault_kernel_load_ip[], fault_ud2_ip[], fault_divide_ip[], fault_divide_overflow_ip[], fault_write_text_ip[],
    fault_write_text_target[], fault_stack_overflow_ip[];

/* A `ret` in writable data (never executable). */
static volatile uint8_t data_ret[64] __attribute__((aligned(64))) = { 0xC3 };

static void check(struct utest_child c, uint32_t reason, int64_t vector, uint64_t addr, uint64_t ip)
{
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == reason, "exit reason %u (code %lld), expected %u", c.exit_reason,
            (long long)c.exit_code, reason);
    EXPECTF(c.exit_code == vector, "exit code %lld, expected vector %lld", (long long)c.exit_code, (long long)vector);
    EXPECTF(c.fault_addr == addr, "fault address 0x%llx, expected 0x%llx", (unsigned long long)c.fault_addr,
            (unsigned long long)addr);
    EXPECTF(c.fault_ip == ip, "fault ip 0x%llx, expected 0x%llx", (unsigned long long)c.fault_ip,
            (unsigned long long)ip);
}

enum which {
    NULL_LOAD, NONCANONICAL_LOAD, NONCANONICAL_HIGH_LOAD, KERNEL_LOAD, UD2, DIVIDE, DIVIDE_OVERFLOW, WRITE_TEXT,
    JUMP_TO_DATA, STACK_OVERFLOW, NULL_CALL,
};

UTEST_CHILD(fault)
{
    switch ((enum which)arg) {
    case NULL_LOAD:              fault_null_load(); break;
    case NONCANONICAL_LOAD:      fault_noncanonical_load(); break;
    case NONCANONICAL_HIGH_LOAD: fault_noncanonical_high_load(); break;
    case KERNEL_LOAD:            fault_kernel_load(); break;
    case UD2:                    fault_ud2(); break;
    case DIVIDE:                 fault_divide(); break;
    case DIVIDE_OVERFLOW:        fault_divide_overflow(); break;
    case WRITE_TEXT:             fault_write_text(); break;
    case JUMP_TO_DATA:           fault_jump_to((uint64_t)data_ret, 0); break;
    case STACK_OVERFLOW:         fault_stack_overflow(); break;
    case NULL_CALL:              fault_jump_to(0, 0); break;
    }
    return 1000;                                    /* survived: wrong */
}

static struct utest_child run_fault(enum which w)
{
    return utest_run_child("fault", (uint64_t)w, NULL, 0, 10000);
}

UTEST(null_dereference_is_page_fault_at_zero)
{
    check(run_fault(NULL_LOAD), MOS_EXIT_PAGE_FAULT, VEC_PF, 0, (uint64_t)fault_null_load_ip);
}

UTEST(call_through_null_is_page_fault_with_ip_zero)
{
    check(run_fault(NULL_CALL), MOS_EXIT_PAGE_FAULT, VEC_PF, 0, 0);
}

UTEST(noncanonical_load_is_general_protection)
{
    check(run_fault(NONCANONICAL_LOAD), MOS_EXIT_GENERAL_PROTECTION, VEC_GP, 0, (uint64_t)fault_noncanonical_load_ip);
    check(run_fault(NONCANONICAL_HIGH_LOAD), MOS_EXIT_GENERAL_PROTECTION, VEC_GP, 0,
          (uint64_t)fault_noncanonical_high_load_ip);
}

UTEST(kernel_address_load_is_page_fault)
{
    /* Canonical but supervisor-only: a protection page fault, not #GP. */
    check(run_fault(KERNEL_LOAD), MOS_EXIT_PAGE_FAULT, VEC_PF, 0xFFFFFFFF80200000ull,
          (uint64_t)fault_kernel_load_ip);
}

UTEST(ud2_is_invalid_opcode)
{
    check(run_fault(UD2), MOS_EXIT_INVALID_OPCODE, VEC_UD, 0, (uint64_t)fault_ud2_ip);
}

UTEST(divide_by_zero_is_divide_error)
{
    check(run_fault(DIVIDE), MOS_EXIT_DIVIDE_ERROR, VEC_DE, 0, (uint64_t)fault_divide_ip);
    check(run_fault(DIVIDE_OVERFLOW), MOS_EXIT_DIVIDE_ERROR, VEC_DE, 0, (uint64_t)fault_divide_overflow_ip);
}

UTEST(writing_own_text_is_page_fault_at_that_address)
{
    check(run_fault(WRITE_TEXT), MOS_EXIT_PAGE_FAULT, VEC_PF, (uint64_t)fault_write_text_target,
          (uint64_t)fault_write_text_ip);
}

UTEST(jumping_to_data_is_page_fault_with_data_address_as_ip)
{
    check(run_fault(JUMP_TO_DATA), MOS_EXIT_PAGE_FAULT, VEC_PF, (uint64_t)data_ret, (uint64_t)data_ret);
}

UTEST(stack_overflow_into_guard_is_page_fault)
{
    /* The helper's main stack is the default MOS_MAIN_STACK_PAGES below
     * MOS_MAIN_STACK_TOP; the first push below it hits the unmapped guard. */
    uint64_t base = MOS_MAIN_STACK_TOP - (uint64_t)MOS_MAIN_STACK_PAGES * PG;
    check(run_fault(STACK_OVERFLOW), MOS_EXIT_PAGE_FAULT, VEC_PF, base - 8, (uint64_t)fault_stack_overflow_ip);
}

/* The SYSRET hole: an executable page at the top of user space whose last
 * two bytes are `syscall`; jump there with RAX = arg. The return address
 * would be 0x800000000000. */
UTEST_CHILD(syscall_at_top_of_user_space)
{
    uint8_t code[PG];
    memset(code, 0xCC, sizeof code);                 /* int3 everywhere else */
    code[PG - 2] = 0x0F;                             /* syscall */
    code[PG - 1] = 0x05;
    long m = childproc_page_with(code, sizeof code, 1);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, USER_TOP - PG, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC) == 0);
    CHECK(*(volatile uint16_t *)(USER_TOP - 2) == 0x050F);
    fault_jump_to(USER_TOP - 2, arg);
    return 1000;                                     /* not reached */
}

/* The same hole through the IPC fast path, which resumes a waiting
 * receiver straight from its saved frame: a thread enters ipc_recv from the
 * top page, then the main thread (same CPU) calls the endpoint. The
 * receiver's return address is 0x800000000000; the fast path must leave it
 * to the general path, whose exit checks kill the process. */
__asm__(".text\n"
        ".globl fault_recv_at\n"            /* rax = rdx (ipc_recv), rdi = ep, rsi = forever, jump to rcx */
        "fault_recv_at:\n"
        "    mov %rdx, %rax\n"
        "    mov %rcx, %r11\n"
        "    mov $-1, %rsi\n"
        "    xor %edx, %edx\n"
        "    jmp *%r11\n");
extern void fault_recv_at(uint64_t ep, uint64_t unused, uint64_t nr, uint64_t target);

static void recv_at_top(void *arg)
{
    fault_recv_at((uint64_t)(uintptr_t)arg, 0, SYS_ipc_recv, USER_TOP - 2);
}

UTEST_CHILD(fastpath_resume_at_top_of_user_space)
{
    (void)arg;
    uint8_t code[PG];
    memset(code, 0xCC, sizeof code);
    code[PG - 2] = 0x0F;                             /* syscall */
    code[PG - 1] = 0x05;
    long m = childproc_page_with(code, sizeof code, 1);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, USER_TOP - PG, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC) == 0);
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    CHECK(ep > 0);
    struct mos_thread t;
    CHECK(mos_thread_start(&t, recv_at_top, (void *)(uintptr_t)ep, 0, 0) == 0);
    CHECK(wait_thread_state(t.handle, 3, 5000) == 0);          /* in ipc_recv at the top */
    struct mos_msg r;
    (void)mos_ipc_call_m((mos_handle_t)ep, mos_msginfo(1, 0, 0, 0), NULL, &r);   /* plain: fast path */
    return 1000;                                     /* not reached: the process dies */
}

UTEST(ipc_fastpath_never_resumes_a_noncanonical_return_address)
{
    struct utest_child c = utest_run_child("fastpath_resume_at_top_of_user_space", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == MOS_EXIT_BAD_RETURN, "exit reason %u (code %lld, ip 0x%llx)", c.exit_reason,
            (long long)c.exit_code, (unsigned long long)c.fault_ip);
    EXPECT_EQ(c.fault_ip, USER_TOP);
}

UTEST(syscall_returning_to_noncanonical_address_kills_with_bad_return)
{
    /* An unknown system call number, and one that works (thread_yield):
     * the check is on the return path, whatever the call. */
    uint64_t numbers[] = { 1000, SYS_COUNT, SYS_thread_yield, SYS_debug_write };
    for (unsigned k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
        struct utest_child c = utest_run_child("syscall_at_top_of_user_space", numbers[k], NULL, 0, 10000);
        EXPECT(c.finished);
        EXPECTF(c.exit_reason == MOS_EXIT_BAD_RETURN, "syscall %llu: exit reason %u (code %lld, ip 0x%llx)",
                (unsigned long long)numbers[k], c.exit_reason, (long long)c.exit_code,
                (unsigned long long)c.fault_ip);
        EXPECT_EQ(c.fault_ip, USER_TOP);
        EXPECT_EQ(c.fault_addr, USER_TOP);
        EXPECT_EQ(c.exit_code, 0);
    }
}

/* A fault in one thread ends the whole process, not just that thread. */
static void block_forever(void *arg)
{
    (void)arg;
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

UTEST_CHILD(fault_with_other_threads)
{
    (void)arg;
    struct mos_thread t[3];
    for (int k = 0; k < 3; k++)
        CHECK(mos_thread_start(&t[k], block_forever, NULL, 0, -1) == 0);
    (void)mos_thread_block(2000000);                 /* let them block */
    fault_ud2();
    return 1000;
}

UTEST(fault_ends_every_thread_of_the_process)
{
    check(utest_run_child("fault_with_other_threads", 0, NULL, 0, 10000), MOS_EXIT_INVALID_OPCODE, VEC_UD, 0,
          (uint64_t)fault_ud2_ip);
}

/* ---------------------------------------------------- the parent is fine */

static void echo_server(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r == 0) {
        uint64_t w[MOS_MSG_WORDS] = { m.w[0] + 1, m.w[1], m.w[2], m.w[3] };
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(mos_msg_label(m.info), 0, 0, 0), w, &m);
    }
}

UTEST(faulting_children_leave_parent_healthy)
{
    volatile struct mos_kinfo *k = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    uint64_t procs = k->objects[MOS_CAP_PROCESS];
    for (int w = NULL_LOAD; w <= NULL_CALL; w++) {
        struct utest_child c = run_fault((enum which)w);
        EXPECTF(c.finished && c.exit_reason >= MOS_EXIT_PAGE_FAULT && c.exit_reason <= MOS_EXIT_DIVIDE_ERROR,
                "fault %d: reason %u", w, c.exit_reason);
    }
    struct utest_child c = utest_run_child("syscall_at_top_of_user_space", 1000, NULL, 0, 10000);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_BAD_RETURN);
    EXPECT_EQ(k->objects[MOS_CAP_PROCESS], procs);      /* every child is gone */
    /* Memory still works here. */
    long m = MUST(mos_mem_alloc(64, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, SCRATCH, 0, 64, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    for (uint64_t i = 0; i < 64 * PG / 8; i++)
        ((volatile uint64_t *)SCRATCH)[i] = i;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 64 * PG / 8; i++)
        sum += ((volatile uint64_t *)SCRATCH)[i];
    EXPECT_EQ(sum, (64 * PG / 8) * (64 * PG / 8 - 1) / 2);
    EXPECT_EQ(mos_cap_delete(m), 0);
    /* IPC to itself: a call to a server thread of this process, and a
     * notification to its own endpoint. */
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, echo_server, (void *)(uintptr_t)ep, 0, -1), 0);
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t w[MOS_MSG_WORDS] = { i * 3, 7, 8, 9 };
        struct mos_msg r;
        EXPECT_EQ(mos_ipc_call_m(ep, mos_msginfo(0x55, 0, 0, 0), w, &r), 0);
        EXPECT_EQ(r.w[0], i * 3 + 1);
        EXPECT_EQ(mos_msg_label(r.info), 0x55);
        EXPECT_EQ(r.w[3], 9);
    }
    long ep2 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_EQ(mos_ipc_notify(ep2, 0x30), 0);
    struct mos_msg n;
    EXPECT_EQ(mos_ipc_recv_m(ep2, MOS_TIMEOUT_POLL, 0, &n), 0);
    EXPECT(mos_msg_flags(n.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(n.w[0], 0x30);
    EXPECT_EQ(mos_thread_destroy(t.handle), 0);
    EXPECT_EQ(mos_thread_join(&t, 1000000000ull), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(ep2), 0);
    /* And it can still start children that work. */
    c = utest_run_child("fault", 999, NULL, 0, 10000);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 1000);
}
