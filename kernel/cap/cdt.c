// SPDX-License-Identifier: MIT
/* cdt.c - the capability derivation tree: insert a child under a slot, move a
 * cap between slots, delete one (its children move up to its parent), and
 * revoke (delete every descendant, in every cspace). The tree lives in the
 * slots' own links (parent, first_child, doubly linked siblings, newest
 * first), so nothing here allocates, and revoke walks it in place, post-order,
 * with O(1) stack whatever the depth. This file also owns filling and
 * emptying slots: the used counts and generation bumps happen only here.
 * Invariants (cdt_check() verifies them): see cap.h; in short a child is
 * cap_within() its parent, empty slots are zeroed and unlinked, roots have no
 * siblings, no cycles. Locking: none inside; the caller holds the kernel
 * lock; the release callback runs under it and must not touch the CDT. */
#include "cap/cap.h"

#include "lib/assert.h"
#include "lib/kprintf.h"

static bool slot_is_empty(const struct cap_slot *s)
{
    return s->cap.type == MOS_CAP_NONE;
}

static bool slot_is_unlinked(const struct cap_slot *s)
{
    return !s->parent && !s->first_child && !s->next_sibling && !s->prev_sibling;
}

/* Put *c into the empty, unlinked slot s (links are the caller's job). */
static void slot_fill(struct cap_slot *s, const struct cap *c)
{
    assert(slot_is_empty(s));
    assert(slot_is_unlinked(s));
    assert(s->index != 0);          /* slot 0 is reserved */
    assert(s->ext == NULL);         /* a release callback forgot to clear it */
    assert(cap_is_valid(c));
    s->cap = *c;
    s->cs->used++;
}

/* Empty the (already unlinked) slot s: its old handle dies. */
static void slot_empty(struct cap_slot *s)
{
    assert(slot_is_unlinked(s));
    s->cap = (struct cap){ 0 };
    s->gen = (uint16_t)((s->gen + 1u) & CAP_GEN_MASK);
    s->cs->used--;
}

void cdt_insert_child(struct cap_slot *parent, struct cap_slot *dst, const struct cap *c)
{
    assert(dst != parent);
    if (parent) {
        assert(!slot_is_empty(parent));
        assert(cap_within(c, &parent->cap));
    }
    slot_fill(dst, c);   /* copies *c first: c may point at parent->cap */
    if (parent) {
        struct cap_slot *first = parent->first_child;
        dst->parent = parent;
        dst->next_sibling = first;
        if (first)
            first->prev_sibling = dst;
        parent->first_child = dst;
    }
}

void cdt_move(struct cap_slot *src, struct cap_slot *dst)
{
    assert(src != dst);
    assert(!slot_is_empty(src));
    slot_fill(dst, &src->cap);

    /* dst takes src's place among its siblings, then adopts its children. */
    dst->ext = src->ext;
    dst->parent = src->parent;
    dst->prev_sibling = src->prev_sibling;
    dst->next_sibling = src->next_sibling;
    dst->first_child = src->first_child;
    if (dst->prev_sibling)
        dst->prev_sibling->next_sibling = dst;
    else if (dst->parent)
        dst->parent->first_child = dst;
    if (dst->next_sibling)
        dst->next_sibling->prev_sibling = dst;
    for (struct cap_slot *c = dst->first_child; c; c = c->next_sibling)
        c->parent = dst;

    src->ext = NULL;
    src->parent = src->first_child = src->next_sibling = src->prev_sibling = NULL;
    slot_empty(src);
}

/* Take s out of the tree. Its children replace it in its parent's list, in
 * their order (or become roots when s is a root). */
static void cdt_unlink(struct cap_slot *s)
{
    struct cap_slot *p = s->parent, *prev = s->prev_sibling, *next = s->next_sibling;
    struct cap_slot *first = s->first_child, *last = NULL;

    if (!p) {
        assert(!prev && !next);
        for (struct cap_slot *c = first, *nx; c; c = nx) {
            nx = c->next_sibling;
            c->parent = c->prev_sibling = c->next_sibling = NULL;
        }
    } else {
        for (struct cap_slot *c = first; c; c = c->next_sibling) {
            c->parent = p;
            last = c;
        }
        struct cap_slot *head = first ? first : next;   /* what follows prev */
        struct cap_slot *tail = first ? last : prev;    /* what precedes next */
        if (first)
            first->prev_sibling = prev;
        if (last)
            last->next_sibling = next;
        if (prev)
            prev->next_sibling = head;
        else
            p->first_child = head;
        if (next)
            next->prev_sibling = tail;
    }
    s->parent = s->first_child = s->next_sibling = s->prev_sibling = NULL;
}

void cdt_delete(struct cap_slot *s, cdt_release_fn release, void *ctx)
{
    assert(!slot_is_empty(s));
    if (release) {
        release(s, ctx);
        assert(!slot_is_empty(s));   /* release must not delete or move s */
    }
    cdt_unlink(s);
    slot_empty(s);
}

bool cdt_has_children(const struct cap_slot *s)
{
    return s->first_child != NULL;
}

uint64_t cdt_revoke_bounded(struct cap_slot *s, cdt_release_fn release, void *ctx, uint64_t budget)
{
    assert(!slot_is_empty(s));
    uint64_t n = 0;
    struct cap_slot *p = s;
    /* Post-order without a stack: go down first children to a leaf, delete
     * it, continue from its parent. Every node is entered once from above
     * and deleted once, when it has no children left: O(descendants). */
    while (n < budget) {
        if (p->first_child) {
            p = p->first_child;
            continue;
        }
        if (p == s)
            break;
        struct cap_slot *up = p->parent;
        cdt_delete(p, release, ctx);   /* a leaf: unlinking is O(1) */
        n++;
        p = up;
    }
    return n;
}

uint64_t cdt_revoke(struct cap_slot *s, cdt_release_fn release, void *ctx)
{
    uint64_t n = cdt_revoke_bounded(s, release, ctx, UINT64_MAX);
    assert(!cdt_has_children(s));
    return n;
}

/* ---------------------------------------------------------------- check */

struct cdt_check_ctx {
    struct cspace *const *spaces;
    size_t n;
};

/* Is p the address of a slot of one of the spaces? */
static bool cdt_slot_known(const struct cdt_check_ctx *cx, const struct cap_slot *p)
{
    uintptr_t a = (uintptr_t)p;
    for (size_t k = 0; k < cx->n; k++) {
        const struct cspace *cs = cx->spaces[k];
        uintptr_t lo = (uintptr_t)cs->slots;
        uintptr_t hi = lo + (uintptr_t)cs->nslots * sizeof(struct cap_slot);
        if (a >= lo && a < hi)
            return (a - lo) % sizeof(struct cap_slot) == 0;
    }
    return false;
}

#define CDT_FAIL(s, ...) \
    do { \
        kprintf("cdt_check: slot %u of cspace %p: ", (s)->index, (void *)(s)->cs); \
        kprintf(__VA_ARGS__); \
        kprintf("\n"); \
        return false; \
    } while (0)

/* A link of non-empty slot s: NULL, or a known, non-empty slot. */
static bool cdt_link_ok(const struct cdt_check_ctx *cx, const struct cap_slot *l)
{
    return !l || (cdt_slot_known(cx, l) && !slot_is_empty(l));
}

/* The local invariants of one slot. */
static bool cdt_check_slot(const struct cdt_check_ctx *cx, const struct cspace *cs,
                           const struct cap_slot *s, uint32_t i)
{
    if (s->index != i || s->cs != cs)
        CDT_FAIL(s, "index/cs fields wrong (slot at position %u)", i);
    if (s->gen > CAP_GEN_MASK)
        CDT_FAIL(s, "generation %u beyond %u bits", s->gen, CAP_GEN_BITS);
    if (slot_is_empty(s)) {
        const struct cap *c = &s->cap;
        if (c->rights || c->flags || c->_pad || c->badge || c->obj || c->base || c->count)
            CDT_FAIL(s, "empty slot with a non-zero cap");
        if (!slot_is_unlinked(s))
            CDT_FAIL(s, "empty slot still linked");
        if (s->ext)
            CDT_FAIL(s, "empty slot with ext set (not cleared on release)");
        return true;
    }
    if (i == 0)
        CDT_FAIL(s, "reserved slot 0 is used");
    if (!cap_is_valid(&s->cap))
        CDT_FAIL(s, "malformed cap (type %u rights 0x%x)", s->cap.type, s->cap.rights);
    if (!cdt_link_ok(cx, s->parent) || !cdt_link_ok(cx, s->first_child) ||
        !cdt_link_ok(cx, s->next_sibling) || !cdt_link_ok(cx, s->prev_sibling))
        CDT_FAIL(s, "a link points at an empty or unknown slot");
    if (s->parent == s || s->first_child == s || s->next_sibling == s || s->prev_sibling == s)
        CDT_FAIL(s, "links to itself");
    if (s->parent) {
        if (!cap_within(&s->cap, &s->parent->cap))
            CDT_FAIL(s, "not derivable from its parent (slot %u): wider rights/range, "
                     "other type/object/flags or badge", s->parent->index);
        if (!s->prev_sibling && s->parent->first_child != s)
            CDT_FAIL(s, "first in its sibling list but not its parent's first child");
    } else if (s->prev_sibling || s->next_sibling) {
        CDT_FAIL(s, "root with siblings");
    }
    if (s->prev_sibling &&
        (s->prev_sibling->next_sibling != s || s->prev_sibling->parent != s->parent))
        CDT_FAIL(s, "prev_sibling inconsistent");
    if (s->next_sibling &&
        (s->next_sibling->prev_sibling != s || s->next_sibling->parent != s->parent))
        CDT_FAIL(s, "next_sibling inconsistent");
    if (s->first_child &&
        (s->first_child->parent != s || s->first_child->prev_sibling != NULL))
        CDT_FAIL(s, "first_child inconsistent");
    return true;
}

/* Count the tree under root r, iteratively; fails once more than `limit`
 * nodes are seen (a node reached twice, or a cycle). */
static bool cdt_count_tree(const struct cap_slot *r, uint64_t limit, uint64_t *count)
{
    const struct cap_slot *cur = r;
    uint64_t n = 1;
    for (;;) {
        if (cur->first_child) {
            cur = cur->first_child;
        } else {
            while (cur != r && !cur->next_sibling)
                cur = cur->parent;
            if (cur == r)
                break;
            cur = cur->next_sibling;
        }
        if (++n > limit)
            CDT_FAIL(r, "more nodes under this root than used slots: a cycle");
    }
    *count += n;
    return true;
}

bool cdt_check(struct cspace *const *spaces, size_t n)
{
    struct cdt_check_ctx cx = { spaces, n };
    uint64_t total_used = 0;

    for (size_t k = 0; k < n; k++) {
        const struct cspace *cs = spaces[k];
        if (!cs || !cs->slots || cs->nslots < 1 || cs->nslots > CSPACE_MAX_SLOTS) {
            kprintf("cdt_check: cspace #%zu malformed\n", k);
            return false;
        }
        uint32_t used = 0;
        for (uint32_t i = 0; i < cs->nslots; i++) {
            const struct cap_slot *s = &cs->slots[i];
            if (!cdt_check_slot(&cx, cs, s, i))
                return false;
            used += !slot_is_empty(s);
        }
        if (used != cs->used) {
            kprintf("cdt_check: cspace %p: used is %u, %u slots are full\n",
                    (void *)cs, cs->used, used);
            return false;
        }
        total_used += used;
    }

    /* Local consistency makes every sibling list a path owned by its parent;
     * now every full slot must be reached exactly once from a root, which
     * rules out parent cycles (a node on one has no root above it). */
    uint64_t reached = 0;
    for (size_t k = 0; k < n; k++) {
        const struct cspace *cs = spaces[k];
        for (uint32_t i = 1; i < cs->nslots; i++) {
            const struct cap_slot *s = &cs->slots[i];
            if (!slot_is_empty(s) && !s->parent && !cdt_count_tree(s, total_used - reached, &reached))
                return false;
        }
    }
    if (reached != total_used) {
        kprintf("cdt_check: %llu full slots, %llu reachable from roots: a cycle\n",
                (unsigned long long)total_used, (unsigned long long)reached);
        return false;
    }
    return true;
}
