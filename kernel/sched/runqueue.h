/* SPDX-License-Identifier: MIT */
/* runqueue.h - a per-CPU run queue: SCHED_PRIORITIES FIFO lists and a bitmap
 * of the non-empty ones, so picking the highest-priority ready thread is
 * O(1) (find the highest set bit). Higher number = more urgent. Pure and
 * intrusive (the node lives in struct thread); the owning CPU's scheduler
 * lock protects it. */
#pragma once

#include "lib/types.h"
#include "lib/list.h"

#define SCHED_PRIORITIES 32
#define SCHED_PRIO_IDLE  0          /* reserved for the idle thread's level */
#define SCHED_PRIO_MAX   (SCHED_PRIORITIES - 1)

struct runqueue {
    uint32_t bitmap;                          /* bit p set <=> queue[p] non-empty */
    uint32_t count;                           /* threads queued */
    struct list_node queue[SCHED_PRIORITIES];
};

void rq_init(struct runqueue *rq);
void rq_push_back(struct runqueue *rq, struct list_node *n, unsigned prio);   /* end of its level */
void rq_push_front(struct runqueue *rq, struct list_node *n, unsigned prio);  /* preempted: resume first */
void rq_remove(struct runqueue *rq, struct list_node *n, unsigned prio);      /* n must be queued at prio */
/* Highest priority with a queued thread, or -1 when empty. */
int rq_highest(const struct runqueue *rq);
/* rq_highest() for hot paths. */
static inline int rq_highest_inline(const struct runqueue *rq)
{
    return rq->bitmap ? 31 - __builtin_clz(rq->bitmap) : -1;
}
/* Dequeue the first thread of the highest level (NULL when empty); *prio set. */
struct list_node *rq_pop_highest(struct runqueue *rq, unsigned *prio);
/* Is some thread of exactly `prio` queued? (for the tickless slice rule) */
bool rq_has_level(const struct runqueue *rq, unsigned prio);
/* Invariant checker: bitmap matches the lists, count matches, links sane. */
bool rq_check(const struct runqueue *rq);
