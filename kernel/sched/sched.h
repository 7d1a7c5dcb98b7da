/* SPDX-License-Identifier: MIT */
/* sched.h - the scheduler: per-CPU run queues with fixed priorities,
 * round robin inside a level, tickless (the timer is armed only for the end
 * of a slice when another thread of the same level is ready, or for the
 * earliest timeout), wake-ups across CPUs by IPI, idle stealing. */
#pragma once

#include "lib/types.h"
#include "sched/thread.h"

#define SCHED_SLICE_NS  10000000ull      /* 10 ms */
#define SCHED_PRIO_DEFAULT 8

struct cpu;

/* Make the code running now on c its idle thread (stack already guarded). */
void sched_init_cpu(struct cpu *c, struct kstack *stack);
/* Enter the scheduler on this CPU; the caller becomes the idle loop. */
__noreturn void sched_idle_loop(void);

void thread_yield(void);
/* Sleep at least ns nanoseconds. */
void thread_sleep_ns(uint64_t ns);

/* Blocking protocol: under the lock that guards the wait structure, call
 * sched_prepare_block() and publish the thread where wakers find it; drop
 * that lock; call sched_block(deadline_ns) (0 = no timeout). It returns the
 * reason passed to sched_wake(), or -MOS_ETIMEDOUT. A wake that comes
 * before sched_block() runs is not lost. */
void sched_prepare_block(void);
long sched_block(uint64_t deadline_ns);
/* Wake t if it is blocked; false if it was not. Any context. */
bool sched_wake(struct thread *t, long reason);

/* A context switched away from with this CPU's lock held (arch_switch or
 * arch_switch_to_frame) was resumed: finish the switch (release the lock,
 * reap, re-arm the timer). Interrupts stay off. */
void sched_finish_switch(void);

/* Interrupt plumbing (arch calls these). */
void sched_timer_interrupt(void);
void sched_resched_interrupt(void);
/* At the end of an interrupt taken with interrupts enabled in the
 * interrupted context: switch if a more urgent thread is ready. */
void sched_irq_exit(void);

/* Statistics for tests and the shell. */
struct sched_cpu_stats {
    uint64_t timer_irqs, switches, idle_ns, ready;
    unsigned current_prio;
};
void sched_get_stats(unsigned cpu, struct sched_cpu_stats *out);
/* Number of ready + running (non-idle) threads on cpu. */
unsigned sched_load(unsigned cpu);
