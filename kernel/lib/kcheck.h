/* SPDX-License-Identifier: MIT */
/* kcheck.h - the verdict of the debug kernel's checkers (the UBSan runtime,
 * the heap's red zones and poison, the lock-order checker). A checker that
 * finds a kernel bug calls kcheck_begin(), prints its report, and ends with
 * kcheck_end(): the kernel panics, so the test runner sees a failure. The
 * one exception is a failure an in-kernel test planned: while a thread has a
 * plan armed (kcheck_plan_begin .. kcheck_plan_end), failures it causes are
 * recorded in the plan and kcheck_end() returns, so the checker backs out
 * (changing nothing) and the test goes on to inspect what was recorded.
 * Locking: none; plans are per thread, reports may come from any CPU. */
#pragma once

#include "lib/types.h"

struct kcheck_plan {
    const void *owner;          /* the thread that armed it */
    unsigned hits;              /* failures recorded since kcheck_plan_begin */
    char kind[48];              /* the first failure's kind ("shift-out-of-bounds", ...) */
    char summary[256];          /* the first failure's one-line summary */
    char last_kind[48];         /* the latest failure's kind */
};

/* Arm a plan for the calling thread (a kernel thread; not reentrant per
 * thread). Clears *p. At most KCHECK_MAX_PLANS threads at once. */
#define KCHECK_MAX_PLANS 4
void kcheck_plan_begin(struct kcheck_plan *p);
/* Disarm; returns the number of failures recorded (p->hits). */
unsigned kcheck_plan_end(struct kcheck_plan *p);

/* Is any test's plan armed right now? (Checks that would find damage a
 * test made on purpose, such as the periodic heap check, wait.) */
bool kcheck_plans_armed(void);

/* Start a report. Returns the armed plan of the running thread, or NULL
 * when the failure is real; then the log goes to panic mode first (the
 * report must come out even if this CPU holds the log lock). */
struct kcheck_plan *kcheck_begin(void);
/* End a report begun with kcheck_begin(): with a plan, record kind and
 * summary, print a note that the test continues, and return; without one,
 * panic with the summary (never returns). */
void kcheck_end(struct kcheck_plan *plan, const char *kind, const char *summary);
