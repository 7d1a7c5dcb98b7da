/* SPDX-License-Identifier: MIT */
/* regs.h - the machinery of the register-state tests (security/regs.c, and
 * secgap/selectors.c for the DS/ES/FS/GS selectors): a "polluter" process (a
 * raw child running a routine copied to its code page) fills every general
 * register, every XMM register, MXCSR, the x87 control word and stack,
 * RFLAGS.DF/AC and the DS/ES/FS/GS selectors with its own values, in an
 * endless loop without system calls; a checker thread of the test process,
 * pinned to the same CPU, records its registers at its very first
 * instruction (ck.entry), then holds a pattern of its own in every register
 * while the scheduler switches to the polluter and back (by preemption in a
 * spin, and by thread_yield) and records what it finds (ck.held[]).
 * pollute_and_check() runs one such round. Include it in one file of a test
 * program (it defines assembly labels). */
#pragma once

#include "utest.h"
#include "../proc/childproc.h"

#define MS 1000000ull
#define SHARED_VA       0x00004B0000000000ull     /* here */
#define CHILD_SHARED_VA 0x0000000010020000ull     /* in the polluter */
#define CHECK_STACK_VA  0x00004C0000000000ull
#define CHECK_STACK_PAGES 8u
#define POLLUTE_SPIN    20000u                    /* iterations between the polluter's progress steps */

/* XMM0..XMM15 = {rax, rax} with rax counting up by one per register
 * (used by the polluter and the checker, each with its own base). */
#define FILL_XMM_FROM_RAX \
    "    movq %rax, %xmm0\n  punpcklqdq %xmm0, %xmm0\n  inc %rax\n" \
    "    movq %rax, %xmm1\n  punpcklqdq %xmm1, %xmm1\n  inc %rax\n" \
    "    movq %rax, %xmm2\n  punpcklqdq %xmm2, %xmm2\n  inc %rax\n" \
    "    movq %rax, %xmm3\n  punpcklqdq %xmm3, %xmm3\n  inc %rax\n" \
    "    movq %rax, %xmm4\n  punpcklqdq %xmm4, %xmm4\n  inc %rax\n" \
    "    movq %rax, %xmm5\n  punpcklqdq %xmm5, %xmm5\n  inc %rax\n" \
    "    movq %rax, %xmm6\n  punpcklqdq %xmm6, %xmm6\n  inc %rax\n" \
    "    movq %rax, %xmm7\n  punpcklqdq %xmm7, %xmm7\n  inc %rax\n" \
    "    movq %rax, %xmm8\n  punpcklqdq %xmm8, %xmm8\n  inc %rax\n" \
    "    movq %rax, %xmm9\n  punpcklqdq %xmm9, %xmm9\n  inc %rax\n" \
    "    movq %rax, %xmm10\n  punpcklqdq %xmm10, %xmm10\n  inc %rax\n" \
    "    movq %rax, %xmm11\n  punpcklqdq %xmm11, %xmm11\n  inc %rax\n" \
    "    movq %rax, %xmm12\n  punpcklqdq %xmm12, %xmm12\n  inc %rax\n" \
    "    movq %rax, %xmm13\n  punpcklqdq %xmm13, %xmm13\n  inc %rax\n" \
    "    movq %rax, %xmm14\n  punpcklqdq %xmm14, %xmm14\n  inc %rax\n" \
    "    movq %rax, %xmm15\n  punpcklqdq %xmm15, %xmm15\n"

/* The page shared with the polluter. */
struct shared {
    volatile uint64_t progress;       /* +1 per polluted loop */
    volatile uint64_t spin;           /* the polluter's loop counter */
    volatile uint16_t entry_sel[4];   /* its DS ES FS GS at entry */
    volatile uint64_t polluted_sel;   /* what it loads into them */
};

/* What the checker's entry stub and sec_hold_pattern store. */
struct regdump {
    uint64_t gpr[16];                 /* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
    uint64_t rflags;
    uint64_t _pad;
    uint64_t xmm[16][2];
    uint32_t mxcsr;
    uint16_t fenv[14];                /* fnstenv: FCW, -, FSW, -, FTW, ... */
    uint16_t sel[6];                  /* ds es fs gs ss cs */
    uint16_t fcw;
    uint16_t _pad2[3];
};
_Static_assert(offsetof(struct regdump, xmm) == 144, "regs.c assembly");
_Static_assert(offsetof(struct regdump, mxcsr) == 400, "regs.c assembly");
_Static_assert(offsetof(struct regdump, fenv) == 404, "regs.c assembly");
_Static_assert(offsetof(struct regdump, sel) == 432, "regs.c assembly");
_Static_assert(offsetof(struct regdump, fcw) == 444, "regs.c assembly");

/* ---- the polluter (position independent, copied to the child's code page) ---- */
__asm__(".pushsection .rodata.secpolluter, \"a\"\n"
        ".balign 64\n"
        ".globl sec_polluter_start\n"
        "sec_polluter_start:\n"
        /* rdi = the shared page. Record the entry selectors, choose others. */
        "    mov %rdi, %r15\n"
        "    mov %ds, %eax\n  mov %ax, 16(%r15)\n"
        "    mov %es, %eax\n  mov %ax, 18(%r15)\n"
        "    mov %fs, %eax\n  mov %ax, 20(%r15)\n"
        "    mov %gs, %eax\n  mov %ax, 22(%r15)\n"
        "    movzwl 20(%r15), %eax\n"
        "    mov $0x23, %ebx\n  xor %ecx, %ecx\n  test %eax, %eax\n  cmovnz %ecx, %ebx\n"
        "    mov %rbx, 24(%r15)\n"
        "1:  mov 24(%r15), %rax\n"
        "    mov %ax, %ds\n  mov %ax, %es\n  mov %ax, %fs\n  mov %ax, %gs\n"
        "    fninit\n"
        "    pushq $0x27F\n  fldcw (%rsp)\n  popq %rax\n"
        "    fld1\n  fldpi\n  fldl2t\n"
        "    pushq $0x7F80\n  ldmxcsr (%rsp)\n  popq %rax\n"
        "    movabs $0xA5A5A5A510000000, %rax\n"
        FILL_XMM_FROM_RAX
        "    pushfq\n  orq $0x40400, (%rsp)\n  popfq\n"     /* DF and AC */
        "    movq $" "20000" ", 8(%r15)\n"
        "    movabs $0xA5A5A5A500000000, %rax\n"
        "    movabs $0xA5A5A5A500000001, %rbx\n"
        "    movabs $0xA5A5A5A500000002, %rcx\n"
        "    movabs $0xA5A5A5A500000003, %rdx\n"
        "    movabs $0xA5A5A5A500000004, %rsi\n"
        "    movabs $0xA5A5A5A500000005, %rdi\n"
        "    movabs $0xA5A5A5A500000006, %rbp\n"
        "    movabs $0xA5A5A5A500000008, %r8\n"
        "    movabs $0xA5A5A5A500000009, %r9\n"
        "    movabs $0xA5A5A5A50000000A, %r10\n"
        "    movabs $0xA5A5A5A50000000B, %r11\n"
        "    movabs $0xA5A5A5A50000000C, %r12\n"
        "    movabs $0xA5A5A5A50000000D, %r13\n"
        "    movabs $0xA5A5A5A50000000E, %r14\n"
        "2:  decq 8(%r15)\n  jnz 2b\n"
        "    lock incq (%r15)\n"
        "    jmp 1b\n"
        ".globl sec_polluter_end\n"
        "sec_polluter_end:\n"
        ".popsection\n");
extern const char sec_polluter_start[], sec_polluter_end[];

/* ---- the checker's first instructions: record everything ---- */
__asm__(".text\n"
        ".globl sec_checker_entry\n"
        "sec_checker_entry:\n"
        "    mov %rax, 0(%rdi)\n  mov %rbx, 8(%rdi)\n  mov %rcx, 16(%rdi)\n  mov %rdx, 24(%rdi)\n"
        "    mov %rsi, 32(%rdi)\n  mov %rdi, 40(%rdi)\n  mov %rbp, 48(%rdi)\n  mov %rsp, 56(%rdi)\n"
        "    mov %r8, 64(%rdi)\n  mov %r9, 72(%rdi)\n  mov %r10, 80(%rdi)\n  mov %r11, 88(%rdi)\n"
        "    mov %r12, 96(%rdi)\n  mov %r13, 104(%rdi)\n  mov %r14, 112(%rdi)\n  mov %r15, 120(%rdi)\n"
        "    pushfq\n  popq 128(%rdi)\n"
        "    movdqu %xmm0, 144(%rdi)\n  movdqu %xmm1, 160(%rdi)\n  movdqu %xmm2, 176(%rdi)\n"
        "    movdqu %xmm3, 192(%rdi)\n  movdqu %xmm4, 208(%rdi)\n  movdqu %xmm5, 224(%rdi)\n"
        "    movdqu %xmm6, 240(%rdi)\n  movdqu %xmm7, 256(%rdi)\n  movdqu %xmm8, 272(%rdi)\n"
        "    movdqu %xmm9, 288(%rdi)\n  movdqu %xmm10, 304(%rdi)\n  movdqu %xmm11, 320(%rdi)\n"
        "    movdqu %xmm12, 336(%rdi)\n  movdqu %xmm13, 352(%rdi)\n  movdqu %xmm14, 368(%rdi)\n"
        "    movdqu %xmm15, 384(%rdi)\n"
        "    stmxcsr 400(%rdi)\n"
        "    fnstcw 444(%rdi)\n"
        "    fnstenv 404(%rdi)\n"
        "    fldcw 444(%rdi)\n"
        "    mov %ds, 432(%rdi)\n  mov %es, 434(%rdi)\n  mov %fs, 436(%rdi)\n  mov %gs, 438(%rdi)\n"
        "    mov %ss, 440(%rdi)\n  mov %cs, 442(%rdi)\n"
        "    call sec_checker_main\n"
        "    mov $19, %eax\n  mov $0xFFFFFFFF, %edi\n  syscall\n"
        "    ud2\n");

/* long sec_hold_pattern(uint64_t seed, uint64_t spins, struct regdump *out):
 * load a pattern derived from seed into every register (GPRs seed ^ (n+1)
 * for register n, XMM n = seed + n in both halves, MXCSR 0x5F80, FCW 0x7F,
 * DF 0), then spin `spins` times on a counter in memory (spins 0: one
 * thread_yield instead, which clobbers RAX RCX R11), and store what the
 * registers hold then. Restores the C state (callee-saved registers, DF,
 * MXCSR 0x1F80, FCW 0x37F). */
__asm__(".text\n"
        ".globl sec_hold_pattern\n"
        "sec_hold_pattern:\n"
        "    push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "    push %rdx\n"                               /* out */
        "    push %rsi\n"                               /* spins */
        "    mov %rdi, %rax\n"
        FILL_XMM_FROM_RAX
        "    pushq $0x5F80\n  ldmxcsr (%rsp)\n  popq %rax\n"
        "    pushq $0x7F\n  fldcw (%rsp)\n  popq %rax\n"
        "    cld\n"
        "    mov %rdi, %rax\n  xor $1, %rax\n"
        "    mov %rdi, %rbx\n  xor $2, %rbx\n"
        "    mov %rdi, %rcx\n  xor $3, %rcx\n"
        "    mov %rdi, %rdx\n  xor $4, %rdx\n"
        "    mov %rdi, %rsi\n  xor $5, %rsi\n"
        "    mov %rdi, %rbp\n  xor $7, %rbp\n"
        "    mov %rdi, %r8\n  xor $9, %r8\n"
        "    mov %rdi, %r9\n  xor $10, %r9\n"
        "    mov %rdi, %r10\n  xor $11, %r10\n"
        "    mov %rdi, %r11\n  xor $12, %r11\n"
        "    mov %rdi, %r12\n  xor $13, %r12\n"
        "    mov %rdi, %r13\n  xor $14, %r13\n"
        "    mov %rdi, %r14\n  xor $15, %r14\n"
        "    mov %rdi, %r15\n  xor $16, %r15\n"
        "    xor $6, %rdi\n"
        "    cmpq $0, (%rsp)\n  jne 1f\n"
        "    mov $20, %eax\n  syscall\n  jmp 2f\n"     /* thread_yield */
        "1:  decq (%rsp)\n  jnz 1b\n"
        "2:  push %r15\n  push %r14\n  push %r13\n  push %r12\n  push %r11\n  push %r10\n  push %r9\n  push %r8\n"
        "    push %rbp\n  push %rdi\n  push %rsi\n  push %rdx\n  push %rcx\n  push %rbx\n  push %rax\n"
        "    pushfq\n"
        "    mov 136(%rsp), %rdi\n"                     /* out: above flags, 15 registers, spins */
        "    popq 128(%rdi)\n"
        "    popq 0(%rdi)\n  popq 8(%rdi)\n  popq 16(%rdi)\n  popq 24(%rdi)\n  popq 32(%rdi)\n"
        "    popq 40(%rdi)\n  popq 48(%rdi)\n  popq 64(%rdi)\n  popq 72(%rdi)\n  popq 80(%rdi)\n"
        "    popq 88(%rdi)\n  popq 96(%rdi)\n  popq 104(%rdi)\n  popq 112(%rdi)\n  popq 120(%rdi)\n"
        "    movdqu %xmm0, 144(%rdi)\n  movdqu %xmm1, 160(%rdi)\n  movdqu %xmm2, 176(%rdi)\n"
        "    movdqu %xmm3, 192(%rdi)\n  movdqu %xmm4, 208(%rdi)\n  movdqu %xmm5, 224(%rdi)\n"
        "    movdqu %xmm6, 240(%rdi)\n  movdqu %xmm7, 256(%rdi)\n  movdqu %xmm8, 272(%rdi)\n"
        "    movdqu %xmm9, 288(%rdi)\n  movdqu %xmm10, 304(%rdi)\n  movdqu %xmm11, 320(%rdi)\n"
        "    movdqu %xmm12, 336(%rdi)\n  movdqu %xmm13, 352(%rdi)\n  movdqu %xmm14, 368(%rdi)\n"
        "    movdqu %xmm15, 384(%rdi)\n"
        "    stmxcsr 400(%rdi)\n"
        "    fnstcw 444(%rdi)\n"
        "    mov %ds, 432(%rdi)\n  mov %es, 434(%rdi)\n  mov %fs, 436(%rdi)\n  mov %gs, 438(%rdi)\n"
        "    mov %ss, 440(%rdi)\n  mov %cs, 442(%rdi)\n"
        "    add $16, %rsp\n"
        "    pushq $0x1F80\n  ldmxcsr (%rsp)\n  popq %rax\n"
        "    pushq $0x37F\n  fldcw (%rsp)\n  popq %rax\n"
        "    cld\n"
        "    pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
        "    xor %eax, %eax\n"
        "    ret\n");

void sec_checker_entry(void);
void sec_checker_main(struct regdump *entry);
long sec_hold_pattern(uint64_t seed, uint64_t spins, struct regdump *out);

static struct {
    struct regdump entry;             /* written by sec_checker_entry */
    struct regdump held[8];           /* sec_hold_pattern results */
    uint64_t want_spins[8];           /* the checks to make: 0 = thread_yield, n = spin n times */
    unsigned nspins;
    uint64_t seeds[8], spins[8];
    uint64_t progress_before[8], progress_after[8];
    unsigned n;
    volatile bool done;
    mos_handle_t waiter;              /* woken when the checker is done */
    struct shared polluter;           /* the shared page, kept after it is gone */
} ck;

static struct shared *shared(void)
{
    return (struct shared *)SHARED_VA;
}

/* The checker thread's body after its entry dump (runs on its own stack). */
void sec_checker_main(struct regdump *entry)
{
    (void)entry;
    for (unsigned i = 0; i < ck.nspins; i++) {
        uint64_t seed = 0x3C3C3C3C00000000ull ^ ((uint64_t)i << 40);
        ck.seeds[i] = seed;
        ck.spins[i] = ck.want_spins[i];
        ck.progress_before[i] = shared()->progress;
        sec_hold_pattern(seed, ck.spins[i], &ck.held[i]);
        ck.progress_after[i] = shared()->progress;
        ck.n = i + 1;
    }
    ck.done = true;
    (void)mos_thread_wake(ck.waiter);
}

/* This case's main thread (its only THREAD capability at the start). */
static mos_handle_t own_thread(void)
{
    struct mos_cap_info info;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)&info, MOS_SELF, MOS_INSPECT_NEXT) == 0;
         i = MOS_HANDLE_INDEX(info.handle) + 1)
        if (info.type == MOS_CAP_THREAD)
            return info.handle;
    return 0;
}
/* Run the polluter and the checker once (see the top of the file); the
 * checker's findings are in ck. Returns false when it did not complete. */
static bool pollute_and_check(const uint64_t *spins, unsigned nspins, uint64_t *stack_top)
{
    for (unsigned i = 0; i < nspins && i < 8; i++)
        ck.want_spins[i] = spins[i];
    ck.nspins = nspins < 8 ? nspins : 8;
    bool ok = false;
    unsigned ncpu = ((const volatile struct mos_kinfo *)MOS_KINFO_ADDR)->ncpus;
    unsigned cpu = ncpu > 1 ? 1 : 0;
    ck.waiter = own_thread();                       /* before any other thread exists */
    /* The polluter: its code page, a stack page, the shared page. */
    long code = MUST(childproc_page_with(sec_polluter_start, (size_t)(sec_polluter_end - sec_polluter_start), 1));
    long shm = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(shm, MOS_SELF, SHARED_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "polluter", (mos_handle_t)code, true), 0);
    EXPECT_EQ(mos_mem_map(shm, c.proc, CHILD_SHARED_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    long pt = mos_thread_create(c.proc, RAW_CODE_VA, RAW_STACK_TOP, CHILD_SHARED_VA,
                                MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(cpu), 0);
    EXPECTF(pt > 0, "polluter thread: %s", mos_strerror(pt));
    /* Let it pollute its CPU for a while. */
    uint64_t deadline = utest_now_ns() + 5000 * MS;
    while (shared()->progress < 20 && utest_now_ns() < deadline)
        (void)mos_thread_block(MS);
    EXPECTF(shared()->progress >= 20, "the polluter does not run (%llu)", (unsigned long long)shared()->progress);
    /* The checker: raw thread of this process at the assembly entry, on
     * the polluter's CPU, same priority. */
    long stack = MUST(mos_mem_alloc(CHECK_STACK_PAGES, 0));
    EXPECT_EQ(mos_mem_map(stack, MOS_SELF, CHECK_STACK_VA, 0, CHECK_STACK_PAGES, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    uint64_t top = CHECK_STACK_VA + CHECK_STACK_PAGES * MOS_PAGE_SIZE;
    ck.done = false;
    long ct = mos_thread_create(MOS_SELF, (uint64_t)sec_checker_entry, top, (uint64_t)&ck.entry,
                                MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(cpu), 0);
    EXPECTF(ct > 0, "checker thread: %s", mos_strerror(ct));
    /* Blocked, not polling: on one CPU a ready main thread could take the
     * CPU when the checker yields, instead of the polluter. */
    deadline = utest_now_ns() + 20000 * MS;
    while (ct > 0 && !ck.done && utest_now_ns() < deadline)
        (void)mos_thread_block(deadline - utest_now_ns());
    EXPECTF(ck.done, "the checker did not finish (%u checks)", ck.n);
    (void)mos_proc_destroy(c.proc, 0);
    struct mos_cap_info info;
    EXPECT_EQ(wait_dead(c.proc, 0, 2000, &info), 0);
    if (ck.done) {
        unsigned switched = 0;
        for (unsigned i = 0; i < ck.n; i++)
            switched += ck.progress_after[i] != ck.progress_before[i];
        /* Each check must have let the polluter run (else it proves nothing). */
        EXPECTF(switched == ck.n, "the polluter ran during %u of %u checks", switched, ck.n);
        EXPECTF(shared()->polluted_sel != shared()->entry_sel[2], "the polluter kept its selectors");
        memcpy(&ck.polluter, (const void *)shared(), sizeof ck.polluter);
        *stack_top = top;
        ok = true;
    }
    if (ct > 0) {
        EXPECT_EQ(wait_thread_state((mos_handle_t)ct, 4, 2000), 0);
        EXPECT_EQ(mos_cap_delete((mos_handle_t)ct), 0);
    }
    if (pt > 0)
        EXPECT_EQ(mos_cap_delete((mos_handle_t)pt), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(stack), 0);
    EXPECT_EQ(mos_cap_delete(shm), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
    return ok;
}
