// SPDX-License-Identifier: MIT
/* ktest_usercpu.c - every CPU, the boot CPU included, is ready for ring 3
 * on its own: SYSCALL enabled and aimed at syscall_entry, SMEP/SMAP on when
 * the CPU has them, SSE usable. A thread pinned to each CPU reads the
 * registers there (these are per-CPU state: setting them up on whichever
 * CPU the boot thread happens to run on leaves another CPU without them). */
#include "test/ktest.h"
#include "arch/x86_64/cpu.h"
#include "sched/clock.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include "sched/thread.h"

void syscall_entry(void);

struct cpu_regs {
    volatile bool done;
    uint64_t lstar, efer, cr0, cr4;
    unsigned ran_on;
};

static struct cpu_regs seen[MAX_CPUS];

static void read_regs(void *arg)
{
    struct cpu_regs *r = arg;
    r->lstar = rdmsr(MSR_LSTAR);
    r->efer = rdmsr(MSR_EFER);
    r->cr0 = read_cr0();
    r->cr4 = read_cr4();
    r->ran_on = arch_cpu_id();
    __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
}

KTEST(usercpu_every_cpu_has_syscall_smep_smap_sse)
{
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    bool smep = (b >> 7) & 1, smap = (b >> 20) & 1;
    for (unsigned i = 0; i < ncpus_online; i++) {
        seen[i] = (struct cpu_regs){ 0 };
        struct thread *th = thread_create("regs", read_regs, &seen[i], 4, (int)i);
        KT_EXPECT(t, th != NULL);
        if (!th)
            return;
        thread_start(th);
    }
    for (unsigned i = 0; i < ncpus_online; i++) {
        KT_EXPECT(t, WAIT_UNTIL(__atomic_load_n(&seen[i].done, __ATOMIC_ACQUIRE), 2000));
        struct cpu_regs *r = &seen[i];
        KT_EXPECTF(t, r->ran_on == i, "thread pinned to CPU %u ran on %u", i, r->ran_on);
        KT_EXPECTF(t, r->lstar == (uint64_t)syscall_entry, "CPU %u: LSTAR 0x%llx", i,
                   (unsigned long long)r->lstar);
        KT_EXPECTF(t, r->efer & EFER_SCE, "CPU %u: EFER.SCE off", i);
        KT_EXPECTF(t, !(r->cr0 & ((1u << 2) | (1u << 3))), "CPU %u: CR0.EM or CR0.TS set", i);
        KT_EXPECTF(t, r->cr4 & CR4_OSFXSR, "CPU %u: CR4.OSFXSR off", i);
        KT_EXPECTF(t, !smep || (r->cr4 & CR4_SMEP), "CPU %u: SMEP available but off", i);
        KT_EXPECTF(t, !smap || (r->cr4 & CR4_SMAP), "CPU %u: SMAP available but off", i);
    }
}
