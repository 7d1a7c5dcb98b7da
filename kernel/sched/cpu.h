/* SPDX-License-Identifier: MIT */
/* cpu.h - per-CPU data. Each CPU reaches its own struct cpu through %gs
 * (this_cpu()); other CPUs' entries are reached through cpus[] under the
 * locks named on the fields. */
#pragma once

#include "lib/types.h"
#include "lib/list.h"
#include "lib/spinlock.h"
#include "arch/x86_64/arch_cpu.h"
#include "sched/runqueue.h"
#include "sched/timerq.h"

#define MAX_CPUS 64

struct thread;

struct cpu {
    struct arch_cpu arch;           /* must be first: %gs:0 points here */
    unsigned id;                    /* == arch.index, dense from 0 */
    volatile bool online;
    volatile bool in_panic;

    /* Scheduler state: all under `lock` (taken with interrupts off). */
    struct spinlock lock;
    struct thread *current;         /* running thread (idle when nothing else) */
    struct thread *idle;
    struct thread *switch_prev;     /* the thread being switched away from */
    struct runqueue rq;
    struct timerq tq;
    struct list_node reap;          /* DEAD threads whose stacks can be freed */
    uint64_t slice_end_ns;          /* when current's time slice ends */
    uint64_t timer_armed_ns;        /* deadline programmed into the timer, 0 = none */
    volatile bool need_resched;     /* set by wake-ups; checked at interrupt exit */

    /* Statistics (owner CPU writes, anyone reads). */
    uint64_t stat_timer_irqs;
    uint64_t stat_timer_early;      /* timer interrupts that found nothing due yet */
    uint64_t stat_switches;
    uint64_t stat_idle_ns;
    uint64_t idle_since_ns;
    volatile uint64_t stat_ipis;

    /* Set by steal() (under `lock`, owner CPU only) when another CPU had
     * queued threads but its lock was busy: the idle loop tries again
     * instead of halting. Last, so the assembly offsets above stay put. */
    bool steal_missed;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus_online;       /* CPUs that finished bring-up */

static inline struct cpu *this_cpu(void)
{
    return (struct cpu *)arch_this_cpu();
}
