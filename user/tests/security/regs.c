// SPDX-License-Identifier: MIT
/* security/regs - register state never passes from one process to
 * another (the polluter and checker of regs.h). The checker thread
 *  - records its registers at its very first instruction: every general
 *    register but RSP, RDI (its argument), RCX and R11 (its own entry point
 *    and flags, from SYSRET) must be 0, RFLAGS exactly IF, the XMM
 *    registers 0, MXCSR 0x1F80, the x87 control word 0x37F with an empty
 *    stack;
 *  - holds a pattern of its own in every register while the scheduler
 *    switches to the polluter and back (by preemption in a spin, and by
 *    thread_yield), and finds exactly its own pattern afterwards.
 * AVX state does not exist for user code (CR4.OSXSAVE is off: VEX
 * instructions and XGETBV are #UD, checked here), so none can pass. The FS
 * and GS base registers are not user-settable: CR4.FSGSBASE is off, so
 * RDFSBASE/WRGSBASE are #UD (checked here), there is no system call for
 * them, and every descriptor a user may load has base 0. The DS/ES/FS/GS
 * selectors themselves do pass between processes: a known gap, tested by
 * the secgap group (docs/testing.md, "Security tests"). */
#include "regs.h"

static const char *const gpr_names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };

static void check_entry(const struct regdump *d, uint64_t stack_top, uint64_t arg)
{
    for (int r = 0; r < 16; r++) {
        /* SYSRET takes RIP from RCX and RFLAGS from R11: a new thread's
         * first return to user mode leaves its own entry point and flags
         * there (docs/syscalls.md 10.18 says 0; nothing of anyone else's). */
        uint64_t want = r == 7 ? stack_top : r == 5 ? arg : r == 2 ? (uint64_t)sec_checker_entry : r == 11 ? 0x202 : 0;
        EXPECTF(d->gpr[r] == want, "at entry %s = 0x%llx, expected 0x%llx", gpr_names[r],
                (unsigned long long)d->gpr[r], (unsigned long long)want);
    }
    EXPECTF(d->rflags == 0x202, "at entry RFLAGS = 0x%llx, expected IF only (0x202)", (unsigned long long)d->rflags);
    for (int x = 0; x < 16; x++)
        EXPECTF(d->xmm[x][0] == 0 && d->xmm[x][1] == 0, "at entry xmm%d = 0x%llx:%llx", x,
                (unsigned long long)d->xmm[x][1], (unsigned long long)d->xmm[x][0]);
    EXPECTF((d->mxcsr & ~0x3Fu) == 0x1F80, "at entry MXCSR = 0x%x", d->mxcsr);
    EXPECTF(d->fcw == 0x37F, "at entry FCW = 0x%x", d->fcw);
    EXPECTF(d->fenv[4] == 0xFFFF, "at entry the x87 tag word is 0x%x (registers in use)", d->fenv[4]);
    EXPECTF((d->fenv[2] & 0x3800) == 0, "at entry the x87 stack top is %u", (d->fenv[2] >> 11) & 7);
}

static void check_held(unsigned i, const struct regdump *d, uint64_t seed, bool yielded)
{
    for (int r = 0; r < 16; r++) {
        if (r == 7)
            continue;                                   /* rsp */
        if (yielded && (r == 0 || r == 2 || r == 11))
            continue;                                   /* the system call's rax rcx r11 */
        uint64_t want = seed ^ (uint64_t)(r + 1);
        EXPECTF(d->gpr[r] == want, "check %u: %s = 0x%llx after a switch, expected 0x%llx", i, gpr_names[r],
                (unsigned long long)d->gpr[r], (unsigned long long)want);
    }
    EXPECTF(!(d->rflags & 0x400), "check %u: DF set after a switch", i);
    for (int x = 0; x < 16; x++)
        EXPECTF(d->xmm[x][0] == seed + (uint64_t)x && d->xmm[x][1] == seed + (uint64_t)x,
                "check %u: xmm%d = 0x%llx:%llx after a switch", i, x, (unsigned long long)d->xmm[x][1],
                (unsigned long long)d->xmm[x][0]);
    EXPECTF((d->mxcsr & ~0x3Fu) == 0x5F80, "check %u: MXCSR = 0x%x after a switch", i, d->mxcsr);
    EXPECTF(d->fcw == 0x7F, "check %u: FCW = 0x%x after a switch", i, d->fcw);
}

UTEST(no_register_state_passes_between_processes_on_one_cpu)
{
    /* A yield, a spin across preemptions (12M iterations outlast a 10 ms
     * slice), another yield. */
    static const uint64_t spins[] = { 0, 12000000, 0 };
    uint64_t top = 0;
    if (!pollute_and_check(spins, 3, &top))
        return;
    check_entry(&ck.entry, top, (uint64_t)&ck.entry);
    for (unsigned i = 0; i < ck.n; i++)
        check_held(i, &ck.held[i], ck.seeds[i], ck.spins[i] == 0);
}

/* A child that tries RDFSBASE: it must die of #UD (CR4.FSGSBASE is off). */
UTEST_CHILD(read_fs_base)
{
    (void)arg;
    uint64_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return (long)v;
}

UTEST_CHILD(write_gs_base)
{
    __asm__ volatile("wrgsbase %0" :: "r"(arg | 0x1000));
    return 0;
}

UTEST(fs_and_gs_base_are_not_user_settable)
{
    struct utest_child r = utest_run_child("read_fs_base", 0, NULL, 0, 5000);
    EXPECTF(r.finished && r.exit_reason == MOS_EXIT_INVALID_OPCODE, "rdfsbase: reason %u", r.exit_reason);
    r = utest_run_child("write_gs_base", 0x40000000, NULL, 0, 5000);
    EXPECTF(r.finished && r.exit_reason == MOS_EXIT_INVALID_OPCODE, "wrgsbase: reason %u", r.exit_reason);
}

/* Children that touch AVX state: each must die of #UD. */
UTEST_CHILD(use_ymm)
{
    (void)arg;
    __asm__ volatile("vpxor %%ymm0, %%ymm0, %%ymm0" ::: "memory");
    return 0;
}

UTEST_CHILD(read_xcr0)
{
    (void)arg;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (long)lo;
}

UTEST(avx_state_does_not_exist_for_user_code)
{
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d) : "c"(0));
    EXPECTF(!(c & (1u << 27)), "CPUID.1:ECX.OSXSAVE is set: the kernel enabled XSAVE (switch the AVX state too)");
    struct utest_child r = utest_run_child("use_ymm", 0, NULL, 0, 5000);
    EXPECTF(r.finished && r.exit_reason == MOS_EXIT_INVALID_OPCODE, "vpxor ymm: reason %u code %lld", r.exit_reason,
            (long long)r.exit_code);
    r = utest_run_child("read_xcr0", 0, NULL, 0, 5000);
    EXPECTF(r.finished && r.exit_reason == MOS_EXIT_INVALID_OPCODE, "xgetbv: reason %u code 0x%llx", r.exit_reason,
            (long long)r.exit_code);
}
