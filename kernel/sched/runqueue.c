// SPDX-License-Identifier: MIT
/* runqueue.c - SCHED_PRIORITIES FIFO levels of intrusive list nodes plus a
 * 32-bit summary bitmap, so the highest ready level is one count-leading-zeros
 * away (O(1)); push, pop and remove are O(1) list operations.
 * Invariants (rq_check() verifies them): bit p of bitmap is set iff
 * queue[p] is non-empty; count is the number of nodes over all levels; every
 * queued node is linked in exactly one level (next != NULL), and every node is
 * outside all levels (list_node_init'ed or removed: next == NULL) otherwise.
 * Locking: none of its own; the owning CPU's scheduler lock protects it.
 * Nothing here allocates, sleeps or recurses. */
#include "sched/runqueue.h"

#include "lib/assert.h"

static_assert(SCHED_PRIORITIES == 32, "the bitmap is a uint32_t: one bit per level");

static inline uint32_t rq_bit(unsigned prio)
{
    return (uint32_t)1 << prio;
}

/* Is p one of rq's list heads? (A thread's node never lives inside struct
 * runqueue, so an address inside queue[] identifies a head.) */
static bool rq_is_head(const struct runqueue *rq, const struct list_node *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)&rq->queue[0] && a < (uintptr_t)&rq->queue[SCHED_PRIORITIES];
}

/* The head of the list n is linked in, if that is one of rq's levels, else
 * NULL. Walks both ways at once, so the cost is the distance from n to the
 * nearer end of its level: O(1) for the usual front/back removals. Stops
 * after one full circle when n is on a list that is not rq's. */
static const struct list_node *rq_head_of(const struct runqueue *rq, const struct list_node *n)
{
    const struct list_node *f = n->next, *b = n->prev;
    for (;;) {
        if (!f || !b)
            return NULL;
        if (rq_is_head(rq, f))
            return f;
        if (rq_is_head(rq, b))
            return b;
        if (f == n)
            return NULL;
        f = f->next;
        b = b->prev;
    }
}

void rq_init(struct runqueue *rq)
{
    rq->bitmap = 0;
    rq->count = 0;
    for (unsigned p = 0; p < SCHED_PRIORITIES; p++)
        list_init(&rq->queue[p]);
}

/* Context: scheduler lock held. n must not be linked anywhere (asserted);
 * prio < SCHED_PRIORITIES (asserted). The run queue does not own n: the
 * caller keeps the thread alive while it is queued. */
void rq_push_back(struct runqueue *rq, struct list_node *n, unsigned prio)
{
    assert(prio < SCHED_PRIORITIES);
    assert(!list_linked(n));
    list_push_back(&rq->queue[prio], n);
    rq->bitmap |= rq_bit(prio);
    rq->count++;
}

/* As rq_push_back, but n goes first in its level (a preempted thread resumes
 * before the others of its priority). */
void rq_push_front(struct runqueue *rq, struct list_node *n, unsigned prio)
{
    assert(prio < SCHED_PRIORITIES);
    assert(!list_linked(n));
    list_push_front(&rq->queue[prio], n);
    rq->bitmap |= rq_bit(prio);
    rq->count++;
}

/* Context: scheduler lock held. n must be queued in level prio of this run
 * queue (asserted: linked, and the walk to the nearer end of its list finds
 * queue[prio]). Afterwards n is unlinked (list_linked(n) == false). */
void rq_remove(struct runqueue *rq, struct list_node *n, unsigned prio)
{
    assert(prio < SCHED_PRIORITIES);
    assert(list_linked(n));
    assert(rq_head_of(rq, n) == &rq->queue[prio]);
    list_remove(n);
    if (list_empty(&rq->queue[prio]))
        rq->bitmap &= ~rq_bit(prio);
    rq->count--;
}

/* Context: any (read-only). Returns the highest non-empty level, or -1. */
int rq_highest(const struct runqueue *rq)
{
    if (!rq->bitmap)
        return -1;
    return 31 - __builtin_clz(rq->bitmap);
}

/* Context: scheduler lock held. Dequeues the first node of the highest
 * non-empty level and returns it (unlinked), storing its level in *prio when
 * prio is not NULL. Returns NULL and leaves *prio alone when empty. */
struct list_node *rq_pop_highest(struct runqueue *rq, unsigned *prio)
{
    int p = rq_highest(rq);
    if (p < 0)
        return NULL;
    struct list_node *n = list_pop_front(&rq->queue[p]);
    assert(n != NULL);
    if (list_empty(&rq->queue[p]))
        rq->bitmap &= ~rq_bit((unsigned)p);
    rq->count--;
    if (prio)
        *prio = (unsigned)p;
    return n;
}

/* Context: any (read-only). prio < SCHED_PRIORITIES (asserted). */
bool rq_has_level(const struct runqueue *rq, unsigned prio)
{
    assert(prio < SCHED_PRIORITIES);
    return (rq->bitmap & rq_bit(prio)) != 0;
}

/* Context: any (read-only); O(count). Returns false at the first broken
 * invariant; never loops forever on a corrupted list (each walk is bounded by
 * count + 1 nodes). */
bool rq_check(const struct runqueue *rq)
{
    uint64_t total = 0;
    for (unsigned p = 0; p < SCHED_PRIORITIES; p++) {
        const struct list_node *h = &rq->queue[p];
        if (!h->next || !h->prev || h->next->prev != h)
            return false;
        bool nonempty = h->next != h;
        if (nonempty != ((rq->bitmap & rq_bit(p)) != 0))
            return false;
        for (const struct list_node *n = h->next; n != h; n = n->next) {
            if (!n->next || n->next->prev != n || rq_is_head(rq, n))
                return false;
            if (++total > rq->count)
                return false;
        }
    }
    return total == rq->count;
}
