// SPDX-License-Identifier: MIT
/* timerq.c - the timer queue is a pairing heap ordered by (deadline, seq),
 * seq being the insertion order, so equal deadlines leave first-in first-out.
 * Why: it needs no rank/balance field (tq_node has none), is deterministic,
 * and gives insert and peek O(1), pop and remove-any O(log n) amortized
 * (Fredman, Sedgewick, Sleator, Tarjan 1986); one pop may meld every child
 * of the root (O(n) once, paid for by the inserts that made them).
 * Shape: a binary tree, left = first child, right = next sibling, parent =
 * binary parent (previous sibling, or the parent of a first child), so any
 * node is cut out in O(1). Invariants (tq_check() verifies them): the root
 * has no parent or sibling; each node is before all its children; parent
 * links agree; count nodes, all queued, all with seq < next_seq. Sibling
 * chains can be n long, so nothing recurses: every walk is iterative.
 * Locking: none of its own; the owning CPU's scheduler lock protects it. */
#include "sched/timerq.h"

#include "lib/assert.h"

/* Strict order: does a leave before b? seq is unique within a queue. */
static inline bool tq_before(const struct tq_node *a, const struct tq_node *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* Meld two detached heaps (roots without parent or sibling; either may be
 * NULL): the later root becomes the first child of the earlier one. */
static struct tq_node *tq_link(struct tq_node *a, struct tq_node *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (tq_before(b, a)) {
        struct tq_node *t = a;
        a = b;
        b = t;
    }
    b->right = a->left;
    if (b->right)
        b->right->parent = b;
    b->parent = a;
    a->left = b;
    return a;
}

/* The standard two-pass pairing of a sibling list (first, first->right, ...):
 * meld the siblings in pairs left to right, then meld the pairs into one heap
 * right to left. Returns the detached root (or NULL for an empty list). The
 * pairs are kept on a temporary stack threaded through ->right, so this is
 * iterative and O(number of siblings). */
static struct tq_node *tq_merge_pairs(struct tq_node *first)
{
    struct tq_node *pairs = NULL;
    while (first) {
        struct tq_node *a = first, *b = a->right;
        first = b ? b->right : NULL;
        a->parent = a->right = NULL;
        if (b)
            b->parent = b->right = NULL;
        struct tq_node *m = tq_link(a, b);
        m->right = pairs;
        pairs = m;
    }
    struct tq_node *heap = NULL;
    while (pairs) {
        struct tq_node *next = pairs->right;
        pairs->right = NULL;
        heap = tq_link(heap, pairs);
        pairs = next;
    }
    return heap;
}

static void tq_node_reset(struct tq_node *n)
{
    n->parent = n->left = n->right = NULL;
    n->queued = false;
}

void tq_init(struct timerq *q)
{
    q->root = NULL;
    q->count = 0;
    q->next_seq = 0;
}

void tq_node_init(struct tq_node *n)
{
    n->deadline = 0;
    n->seq = 0;
    tq_node_reset(n);
}

/* Context: scheduler lock held; O(1). n must not be queued (asserted) and
 * must have been tq_node_init'ed (or removed/popped since). It gets the next
 * seq, so it leaves after every node already queued with the same deadline.
 * The queue does not own n: its owner keeps it alive until it is removed. */
void tq_insert(struct timerq *q, struct tq_node *n, uint64_t deadline)
{
    assert(!n->queued);
    n->deadline = deadline;
    n->seq = q->next_seq++;
    n->parent = n->left = n->right = NULL;
    n->queued = true;
    q->root = tq_link(q->root, n);
    q->count++;
}

/* Context: scheduler lock held; O(log n) amortized. n must be queued in q, or
 * not queued at all (then nothing happens). Afterwards n is not queued and
 * may be inserted again; its deadline and seq fields are left as they were. */
void tq_remove(struct timerq *q, struct tq_node *n)
{
    if (!n->queued)
        return;
    assert(q->count > 0);
    struct tq_node *p = n->parent;
    if (!p) {
        assert(q->root == n);           /* only the root has no parent */
        q->root = tq_merge_pairs(n->left);
    } else {
        /* Cut n's subtree out of its sibling list, then meld n's children
         * back in at the root: they are all after n, hence after its old
         * ancestors, but need not be after the root. */
        if (p->left == n)
            p->left = n->right;
        else
            p->right = n->right;
        if (n->right)
            n->right->parent = p;
        q->root = tq_link(q->root, tq_merge_pairs(n->left));
    }
    q->count--;
    tq_node_reset(n);
}

/* Context: any (read-only); O(1). */
struct tq_node *tq_peek(const struct timerq *q)
{
    return q->root;
}

/* Context: scheduler lock held; O(log n) amortized. Returns the earliest
 * node, now unqueued, when its deadline <= now (a deadline equal to now has
 * expired); otherwise NULL and the queue is untouched. */
struct tq_node *tq_pop_expired(struct timerq *q, uint64_t now)
{
    struct tq_node *n = q->root;
    if (!n || n->deadline > now)
        return NULL;
    tq_remove(q, n);
    return n;
}

/* Context: any (read-only); O(count) time, O(1) stack. A pre-order walk of
 * the binary tree that climbs back through the parent links (verified on the
 * way down, so the climb is trustworthy). Each node compares itself with its
 * own children, walking its sibling list: every node is compared once with
 * its heap parent. Returns false at the first broken invariant; the walk is
 * cut off after count + 1 nodes, so corruption cannot make it loop. */
bool tq_check(const struct timerq *q)
{
    const struct tq_node *n = q->root;
    if (!n)
        return q->count == 0;
    if (n->parent || n->right)
        return false;
    uint64_t seen = 0;
    while (n) {
        if (++seen > q->count || !n->queued || n->seq >= q->next_seq)
            return false;
        uint64_t children = 0;
        for (const struct tq_node *c = n->left; c; c = c->right)
            if (++children > q->count || !tq_before(n, c))
                return false;
        if (n->left && n->left->parent != n)
            return false;
        if (n->right && n->right->parent != n)
            return false;
        if (n->left) {
            n = n->left;
            continue;
        }
        if (n->right) {
            n = n->right;
            continue;
        }
        /* Climb until we come up out of a left subtree whose parent has a
         * right subtree still to visit. */
        for (;;) {
            const struct tq_node *p = n->parent;
            if (!p) {
                n = NULL;
                break;
            }
            if (p->left == n && p->right) {
                n = p->right;
                break;
            }
            n = p;
        }
    }
    return seen == q->count;
}
