/* SPDX-License-Identifier: MIT */
/* cap.h - the pure capability core: what a slot holds (struct cap), capability
 * spaces (struct cspace: caller-provided slot arrays, handles with 12-bit
 * generations), rights and range arithmetic, and the capability derivation
 * tree (CDT) whose links live in the slots and may span cspaces.
 * Invariants (cdt_check() verifies them): a child has its parent's type,
 * object and flags, a subset of its rights, a sub-range of its range
 * (MEMORY/IOPORT/IRQ) and, if the parent is badged, the parent's badge;
 * REPLY caps have no children; an empty slot has a zero cap, no links and
 * ext NULL; roots (parent NULL) have no siblings; slot 0 stays empty.
 * Locking: none inside. Every function here expects the caller to hold the
 * kernel lock that protects all cspaces and the CDT. Nothing allocates,
 * sleeps or recurses. */
#pragma once

#include "lib/types.h"
#include <mos/types.h>
#include <mos/caps.h>
#include <mos/errors.h>

/* ------------------------------------------------------------------ caps */

/* What a slot holds. type == MOS_CAP_NONE <=> the slot is empty (then every
 * field is zero). */
struct cap {
    uint8_t  type;           /* enum mos_cap_type */
    uint8_t  rights;         /* MOS_RIGHT_*, never beyond MOS_RIGHTS_ALL */
    uint16_t flags;          /* type-specific (MEMORY: MOS_MEM_*); copied to children */
    uint32_t _pad;           /* always 0 */
    uint64_t badge;          /* 0 = unbadged */
    void    *obj;            /* kernel object (NULL for IOPORT/IRQ); opaque here */
    uint64_t base, count;    /* range: MEMORY pages (offset into obj), IOPORT ports,
                              * IRQ lines; both 0 for the other types */
};
_Static_assert(sizeof(struct cap) == 40, "struct cap layout");

/* Does this type carry a [base, base+count) range? */
static inline bool cap_type_has_range(unsigned type)
{
    return type == MOS_CAP_MEMORY || type == MOS_CAP_IOPORT || type == MOS_CAP_IRQ;
}

/* Does c hold every right in `rights`? */
static inline bool cap_has_rights(const struct cap *c, uint32_t rights)
{
    return (rights & ~(uint32_t)c->rights) == 0;
}

/* Is c a well-formed non-empty cap? (known type, rights within
 * MOS_RIGHTS_ALL, _pad 0, range not wrapping, base = count = 0 for types
 * without a range). cap_narrow() only produces valid caps from valid ones;
 * the kernel must only create valid roots. */
bool cap_is_valid(const struct cap *c);

/* Is `child` a subset of `parent` (bit by bit, all 32 bits)? */
bool cap_rights_subset(uint32_t child, uint32_t parent);

/* Derive a narrower cap from *parent into *out (nothing else is touched;
 * *out is written only on success). Checks, in this order:
 *   parent not cap_is_valid() (e.g. empty)        -> -MOS_EINVAL
 *   parent is REPLY (never derivable)              -> -MOS_EPERM
 *   rights not a subset of parent's                -> -MOS_EPERM
 *   parent badged and badge is another nonzero one -> -MOS_EPERM
 *   type without range and base or count != 0      -> -MOS_EINVAL
 *   count != 0 and [base, base+count) wraps or is
 *   not inside the parent's range                  -> -MOS_ERANGE
 * count == 0 means the parent's whole range (base ignored). badge 0 inherits
 * the parent's badge; an unbadged parent may give any badge. type, flags and
 * obj are copied. Returns 0. Pure: any context. */
__must_check int cap_narrow(const struct cap *parent, uint32_t rights, uint64_t badge,
                            uint64_t base, uint64_t count, struct cap *out);

/* Could `child` have been derived from `parent` by cap_narrow()? (same type,
 * obj and flags; rights subset; range inside; badge kept; parent not REPLY;
 * neither empty). Used by cdt_check() and the asserts of cdt_insert_child(). */
bool cap_within(const struct cap *child, const struct cap *parent);

/* ---------------------------------------------------------------- slots */

#define CAP_GEN_BITS 12
#define CAP_GEN_MASK ((1u << CAP_GEN_BITS) - 1)
/* Largest usable nslots: index 0xFFFFF is never used, so no handle can ever
 * equal MOS_SELF (0xFFFFFFFF). */
#define CSPACE_MAX_SLOTS ((1u << MOS_HANDLE_INDEX_BITS) - 1)

struct cspace;

/* One slot of a cspace. All fields: kernel lock. */
struct cap_slot {
    struct cap cap;          /* cap.type == MOS_CAP_NONE <=> slot empty */
    uint16_t gen;            /* generation (CAP_GEN_BITS used); +1 every time the slot empties */
    uint32_t index;          /* own index in cs->slots (set by cspace_init) */
    struct cspace *cs;       /* owner (set by cspace_init) */
    /* CDT links: NULL when the slot is empty. Children are listed newest
     * first; a root (parent NULL) has no siblings. */
    struct cap_slot *parent, *first_child, *next_sibling, *prev_sibling;
    void *ext;               /* kernel glue (e.g. mappings made through this cap). Never
                              * read here; cdt_move() moves it with the cap; the release
                              * callback must clear it: NULL whenever the slot is empty
                              * (asserted when a slot is filled, checked by cdt_check). */
};

/* A capability space over a caller-provided array of slots. */
struct cspace {
    struct cap_slot *slots;  /* [nslots], owned by the caller */
    uint32_t nslots;         /* 1..CSPACE_MAX_SLOTS; slot 0 is reserved, never used */
    uint32_t used;           /* non-empty slots */
    uint32_t hint;           /* where cspace_alloc() starts looking (next fit) */
    void *owner;             /* e.g. the process; opaque here */
};

/* Initialise cs over slots[0..nslots): every slot empty with generation 0,
 * index and cs set. Slot 0 is reserved and never used, so handle 0 (and any
 * handle with index 0) is never valid. nslots must be 1..CSPACE_MAX_SLOTS
 * (asserted). */
void cspace_init(struct cspace *cs, struct cap_slot *slots, uint32_t nslots, void *owner);

/* The handle naming s: (gen << 20) | index. For an empty slot this is the
 * handle it will have once filled (filling does not change the generation). */
static inline mos_handle_t cspace_handle(const struct cap_slot *s)
{
    return ((mos_handle_t)(s->gen & CAP_GEN_MASK) << MOS_HANDLE_INDEX_BITS) | s->index;
}

/* Resolve h in cs. type: an enum mos_cap_type, or -1 for any. Returns 0 and
 * sets *out, or (checked in this order):
 *   -MOS_EBADHANDLE  h == 0, h == MOS_SELF, index 0 or >= nslots, empty slot,
 *                    generation mismatch (stale handle)
 *   -MOS_EBADTYPE    type != -1 and the cap has another type
 *   -MOS_EPERM       some bit of need_rights is missing
 * *out is untouched on failure. */
__must_check int cspace_lookup(struct cspace *cs, mos_handle_t h, int type, uint32_t need_rights,
                               struct cap_slot **out);

/* A free slot of cs (not filled: calling it again before filling returns the
 * same slot), or NULL when cs is full. Next fit, so freed slots are reused
 * round-robin and generations wrap as late as possible. */
__must_check struct cap_slot *cspace_alloc(struct cspace *cs);

/* Slot `index` if it is free and usable (1 <= index < nslots), else NULL. */
__must_check struct cap_slot *cspace_alloc_at(struct cspace *cs, uint32_t index);

/* Number of free usable slots: callers that must fill several slots check
 * this first, then cspace_alloc() + fill each (which then cannot fail). */
static inline uint32_t cspace_free_count(const struct cspace *cs)
{
    return cs->nslots - 1 - cs->used;
}

/* The first non-empty slot at index >= from_index: returns 0 and sets *out,
 * or -MOS_ENOENT when there is none. */
__must_check int cspace_next_used(struct cspace *cs, uint32_t from_index, struct cap_slot **out);

/* ------------------------------------------------------------------- CDT */

/* Called for every slot being deleted, while it still holds its cap (and its
 * links), before it is emptied: the glue undoes the cap's effects (mappings,
 * IRQ bindings, blocked threads), clears s->ext and drops its object
 * reference. It MUST NOT change the CDT or any slot (no insert, move, delete,
 * revoke): when dropping the last reference would destroy an object that owns
 * a cspace (a process), queue that destruction and run it after the CDT
 * operation returns. */
typedef void (*cdt_release_fn)(struct cap_slot *s, void *ctx);

/* Fill the empty slot dst with *c as the newest child of parent (parent NULL:
 * a root, e.g. a newly created object). c must be derivable from parent's cap
 * (cap_within(); use cap_narrow(), or parent->cap itself for a copy): both
 * are asserted, as are dst being empty, unlinked, not slot 0 and ext NULL.
 * dst->ext stays NULL: set it afterwards if needed. Takes no object
 * reference: that is the caller's job. */
void cdt_insert_child(struct cap_slot *parent, struct cap_slot *dst, const struct cap *c);

/* Move src's cap into the empty slot dst (any cspace): dst takes src's cap,
 * ext, parent (and src's place among its siblings) and children (their
 * parent pointers are updated). src becomes empty and its generation is
 * bumped, so its old handle dies. O(number of children). Anything the glue
 * keys by slot address (back-pointers from the records on the ext chain,
 * threads blocked "through" src) still names src: re-point it afterwards. */
void cdt_move(struct cap_slot *src, struct cap_slot *dst);

/* Delete the cap in s: release(s, ctx) (if release != NULL) while s still
 * holds it, then s is emptied (generation bumped, cap zeroed; ext is not
 * touched: release must have cleared it) and unlinked. s's children take its
 * place in its parent's child list, in their order, so a later revoke of an
 * ancestor still reaches them; if s was a root they become roots.
 * O(number of children). */
void cdt_delete(struct cap_slot *s, cdt_release_fn release, void *ctx);

/* Delete every descendant of s (not s itself), in every cspace, deepest first
 * (each slot is released only after all of its descendants), each exactly
 * once. Returns how many were deleted. Iterative and in place: O(descendants)
 * time, O(1) stack whatever the depth. */
uint64_t cdt_revoke(struct cap_slot *s, cdt_release_fn release, void *ctx);

/* cdt_revoke(), but stops after `budget` deletions, so a long revoke can be
 * split with preemption points in between:
 *     while (cdt_has_children(s)) { cdt_revoke_bounded(s, rel, ctx, 256); <unlock/relock> }
 * (the caller must make sure s itself stays alive while unlocked). Each call
 * costs O(depth of s's subtree) to resume plus O(deleted). Returns how many
 * were deleted (<= budget). */
uint64_t cdt_revoke_bounded(struct cap_slot *s, cdt_release_fn release, void *ctx, uint64_t budget);

/* Does s have at least one child? */
bool cdt_has_children(const struct cap_slot *s);

/* Invariant checker over spaces[0..n): every slot's index/cs fields, empty
 * slots zeroed and unlinked, used counts, link consistency (parent, child,
 * sibling; every link points at a slot of one of these spaces), no cycles, and
 * cap_within() for every child. Pass every cspace the trees span. Prints the
 * first violation with kprintf and returns false; true if all hold.
 * O(total slots * n) time, O(1) space. */
bool cdt_check(struct cspace *const *spaces, size_t n);
