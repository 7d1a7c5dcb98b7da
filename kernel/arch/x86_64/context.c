// SPDX-License-Identifier: MIT
/* context.c - the x86_64 side of threads: a new thread's first stack frame,
 * what changes on every switch (the kernel stack the CPU enters on from
 * ring 3, and later the address space and FPU state), idling, and the
 * scheduler's timer and IPI hooks. */
#include "arch/arch.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "sched/cpu.h"
#include "sched/thread.h"

extern char arch_thread_trampoline[];

void arch_thread_init(struct thread *t)
{
    uint64_t *sp = (uint64_t *)t->kstack.top;
    *--sp = 0;                                  /* return address of the C entry: ends backtraces */
    *--sp = (uint64_t)arch_thread_trampoline;   /* arch_switch returns here */
    *--sp = 0;                                  /* rbp */
    *--sp = (uint64_t)t;                        /* rbx: the thread */
    *--sp = 0;                                  /* r12 */
    *--sp = 0;                                  /* r13 */
    *--sp = 0;                                  /* r14 */
    *--sp = 0;                                  /* r15 */
    t->ksp = (uint64_t)sp;
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
    (void)prev;
    struct arch_cpu *a = arch_this_cpu();
    a->tss.rsp[0] = next->kstack.top;
    a->kernel_rsp = next->kstack.top;
}

void arch_idle(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

void arch_timer_arm(uint64_t deadline_ns)
{
    apic_timer_arm(tsc_deadline_for(deadline_ns));
}

void arch_timer_disarm(void)
{
    apic_timer_disarm();
}

void arch_send_resched(unsigned cpu)
{
    apic_send_ipi(cpus[cpu].arch.apic_id, VEC_IPI_RESCHED);
}
