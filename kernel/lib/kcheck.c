// SPDX-License-Identifier: MIT
/* kcheck.c - verdicts of the debug checkers (kcheck.h): panic, or record a
 * failure that the running test planned. Plans are kept in a small table
 * keyed by thread; a failure belongs to a plan when it happens on a CPU
 * whose current thread armed it (an interrupt handler running on top of
 * that thread counts too: a test that sees an unexpected kind fails).
 * Locking: the table is written only by its owners, slot by slot, with
 * atomic stores; readers take a snapshot of a slot. */
#include "lib/kcheck.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/log.h"
#include "lib/string.h"
#include "sched/cpu.h"

static struct kcheck_plan *plans[KCHECK_MAX_PLANS];
static unsigned nplans;                     /* armed plans (atomic): the fast "none" test */

static const void *running_thread(void)
{
    return this_cpu()->current;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void kcheck_plan_begin(struct kcheck_plan *p)
{
    memset(p, 0, sizeof *p);
    p->owner = running_thread();
    assert(p->owner != NULL);
    for (unsigned i = 0; i < KCHECK_MAX_PLANS; i++) {
        struct kcheck_plan *expect = NULL;
        if (__atomic_compare_exchange_n(&plans[i], &expect, p, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            __atomic_add_fetch(&nplans, 1, __ATOMIC_RELEASE);
            return;
        }
    }
    panic("kcheck: more than %d planned-failure tests at once", KCHECK_MAX_PLANS);
}

unsigned kcheck_plan_end(struct kcheck_plan *p)
{
    for (unsigned i = 0; i < KCHECK_MAX_PLANS; i++) {
        if (__atomic_load_n(&plans[i], __ATOMIC_ACQUIRE) == p) {
            __atomic_store_n(&plans[i], NULL, __ATOMIC_RELEASE);
            __atomic_sub_fetch(&nplans, 1, __ATOMIC_RELEASE);
            return p->hits;
        }
    }
    panic("kcheck: kcheck_plan_end of a plan that was not armed");
}

bool kcheck_plans_armed(void)
{
    return __atomic_load_n(&nplans, __ATOMIC_ACQUIRE) != 0;
}

struct kcheck_plan *kcheck_begin(void)
{
    if (__atomic_load_n(&nplans, __ATOMIC_ACQUIRE)) {
        const void *me = running_thread();
        for (unsigned i = 0; i < KCHECK_MAX_PLANS; i++) {
            struct kcheck_plan *p = __atomic_load_n(&plans[i], __ATOMIC_ACQUIRE);
            if (p && me && p->owner == me)
                return p;
        }
    }
    log_enter_panic();
    return NULL;
}

void kcheck_end(struct kcheck_plan *plan, const char *kind, const char *summary)
{
    if (!plan)
        panic("%s", summary);
    if (plan->hits++ == 0) {
        copy_str(plan->kind, sizeof plan->kind, kind);
        copy_str(plan->summary, sizeof plan->summary, summary);
    }
    copy_str(plan->last_kind, sizeof plan->last_kind, kind);
    kprintf("  (a failure this test planned: recorded, the kernel goes on)\n");
}
