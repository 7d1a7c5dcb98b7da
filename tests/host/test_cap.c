// SPDX-License-Identifier: MIT
/* test_cap.c - host tests of the capability core (kernel/cap): rights never
 * widen (every combination), range arithmetic (inside, outside, wrapping,
 * whole), badge rules, REPLY caps, cspace lookup errors in their documented
 * order, 12-bit generations over 4096 refills, slot allocation, and the
 * derivation tree: insert/move/delete/revoke on hand-built trees spanning
 * three cspaces, the order of re-parented children, release callbacks
 * (exactly once, cap still present, deepest first), a 100,000-deep revoke on
 * a 64 KiB thread stack, bounded revoke, cdt_check() catching each kind of
 * corruption, and the asserts on misuse. cdt_check() runs after every step
 * of the tree tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "cap/cap.h"
#include "fake_kernel.h"

/* ------------------------------------------------------------ fixtures */

#define NCS    3
#define NSLOTS 32

static struct cap_slot slots[NCS][NSLOTS];
static struct cspace cs[NCS];
static struct cspace *const spaces[NCS] = { &cs[0], &cs[1], &cs[2] };
static char objs[4];                 /* fake kernel objects: only their addresses matter */

static int setup(void **state)
{
    (void)state;
    for (int k = 0; k < NCS; k++)
        cspace_init(&cs[k], slots[k], NSLOTS, &objs[k]);
    host_log_clear();
    return 0;
}

/* Fail the current test with a message that also reaches the TAP report
 * (cmocka's fail_msg() text goes to stderr only). */
__attribute__((format(printf, 1, 2))) static void report_failure(const char *fmt, ...)
{
    static char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    _assert_true(0, buf, __FILE__, __LINE__);
}

static void check_tree(void)
{
    host_log_clear();
    if (!cdt_check(spaces, NCS))
        report_failure("cdt_check failed: %s", host_log);
}

static struct cap mk_cap(unsigned type, uint32_t rights, uint64_t badge, void *obj,
                         uint64_t base, uint64_t count)
{
    return (struct cap){ .type = (uint8_t)type, .rights = (uint8_t)rights, .badge = badge,
                         .obj = obj, .base = base, .count = count };
}

/* A new root in cspace k (the kernel creating an object). */
static struct cap_slot *mk_root(int k, unsigned type, uint32_t rights)
{
    struct cap_slot *s = cspace_alloc(&cs[k]);
    assert_non_null(s);
    struct cap c = cap_type_has_range(type) ? mk_cap(type, rights, 0, &objs[0], 0, 100)
                                            : mk_cap(type, rights, 0, &objs[0], 0, 0);
    cdt_insert_child(NULL, s, &c);
    return s;
}

/* Derive a child of p into cspace k. */
static struct cap_slot *derive(struct cap_slot *p, int k, uint32_t rights, uint64_t badge,
                               uint64_t base, uint64_t count)
{
    struct cap c;
    assert_int_equal(cap_narrow(&p->cap, rights, badge, base, count, &c), 0);
    struct cap_slot *s = cspace_alloc(&cs[k]);
    assert_non_null(s);
    cdt_insert_child(p, s, &c);
    check_tree();
    return s;
}

static struct cap_slot *copy(struct cap_slot *p, int k)
{
    struct cap_slot *s = cspace_alloc(&cs[k]);
    assert_non_null(s);
    cdt_insert_child(p, s, &p->cap);
    check_tree();
    return s;
}

/* Children of p, in list order, into out[]; returns how many. */
static int children(const struct cap_slot *p, const struct cap_slot **out, int max)
{
    int n = 0;
    for (const struct cap_slot *c = p->first_child; c; c = c->next_sibling) {
        assert_true(n < max);
        assert_ptr_equal(c->parent, p);
        out[n++] = c;
    }
    return n;
}

static void expect_children(const struct cap_slot *p, int n, ...)
{
    const struct cap_slot *got[64];
    int m = children(p, got, 64);
    assert_int_equal(m, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_ptr_equal(got[i], va_arg(ap, const struct cap_slot *));
    va_end(ap);
}

/* Release recorder: how often each slot was released, in which order, and
 * what it looked like at that moment. */
#define MAX_REL 256
struct rel_log {
    int n;
    struct cap_slot *slot[MAX_REL];
    struct cap cap[MAX_REL];
    bool had_children[MAX_REL];
    int bad;                         /* releases of an empty slot */
};

static void record_release(struct cap_slot *s, void *ctx)
{
    struct rel_log *l = ctx;
    if (s->cap.type == MOS_CAP_NONE)
        l->bad++;
    if (l->n < MAX_REL) {
        l->slot[l->n] = s;
        l->cap[l->n] = s->cap;
        l->had_children[l->n] = s->first_child != NULL;
    }
    l->n++;
    s->ext = NULL;                   /* what the glue must do */
}

static int rel_count(const struct rel_log *l, const struct cap_slot *s)
{
    int c = 0;
    for (int i = 0; i < l->n && i < MAX_REL; i++)
        c += l->slot[i] == s;
    return c;
}

static bool is_empty(const struct cap_slot *s)
{
    return s->cap.type == MOS_CAP_NONE;
}

/* ------------------------------------------------------ rights & ranges */

static const unsigned all_types[] = { MOS_CAP_MEMORY, MOS_CAP_ENDPOINT, MOS_CAP_IRQ,
                                      MOS_CAP_PROCESS, MOS_CAP_THREAD, MOS_CAP_IOPORT };

/* Reference: bit by bit. */
static bool ref_subset(uint32_t c, uint32_t p)
{
    for (int b = 0; b < 32; b++)
        if ((c >> b & 1) && !(p >> b & 1))
            return false;
    return true;
}

static void rights_subset_every_combination(void **state)
{
    (void)state;
    for (uint32_t c = 0; c < 256; c++)
        for (uint32_t p = 0; p < 256; p++)
            assert_int_equal(cap_rights_subset(c, p), ref_subset(c, p));
    assert_false(cap_rights_subset(1u << 31, MOS_RIGHTS_ALL));
    assert_true(cap_rights_subset(0, 0));
    assert_true(cap_rights_subset(0xFFFFFFFFu, 0xFFFFFFFFu));
}

static void narrow_never_widens_rights(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof all_types / sizeof all_types[0]; t++) {
        for (uint32_t p = 0; p <= MOS_RIGHTS_ALL; p++) {
            struct cap parent = cap_type_has_range(all_types[t])
                                    ? mk_cap(all_types[t], p, 0, &objs[1], 10, 5)
                                    : mk_cap(all_types[t], p, 0, &objs[1], 0, 0);
            for (uint32_t r = 0; r < 0x100; r++) {
                struct cap out, before;
                memset(&out, 0xA5, sizeof out);
                before = out;
                int e = cap_narrow(&parent, r, 0, 0, 0, &out);
                if (ref_subset(r, p)) {
                    assert_int_equal(e, 0);
                    assert_int_equal(out.rights, r);
                    assert_true(cap_within(&out, &parent));
                    /* and from the child nothing wider is reachable */
                    struct cap g;
                    for (uint32_t r2 = 0; r2 <= MOS_RIGHTS_ALL; r2++)
                        if (cap_narrow(&out, r2, 0, 0, 0, &g) == 0)
                            assert_true(ref_subset(g.rights, r) && ref_subset(g.rights, p));
                } else {
                    assert_int_equal(e, -MOS_EPERM);
                    assert_memory_equal(&out, &before, sizeof out);   /* untouched */
                }
            }
            struct cap out;
            assert_int_equal(cap_narrow(&parent, p | (1u << 31), 0, 0, 0, &out), -MOS_EPERM);
        }
    }
}

static void narrow_copies_type_obj_flags(void **state)
{
    (void)state;
    struct cap p = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[2], 3, 9);
    p.flags = MOS_MEM_CONTIG | MOS_MEM_WC;
    struct cap c;
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 4, 2, &c), 0);
    assert_int_equal(c.type, MOS_CAP_MEMORY);
    assert_ptr_equal(c.obj, &objs[2]);
    assert_int_equal(c.flags, MOS_MEM_CONTIG | MOS_MEM_WC);
    assert_int_equal(c._pad, 0);
    assert_int_equal(c.base, 4);
    assert_int_equal(c.count, 2);
}

/* Every (base, count) on a small grid against [4, 12). */
static void narrow_range_grid(void **state)
{
    (void)state;
    const unsigned range_types[] = { MOS_CAP_MEMORY, MOS_CAP_IOPORT, MOS_CAP_IRQ };
    for (int t = 0; t < 3; t++) {
        struct cap p = mk_cap(range_types[t], MOS_RIGHTS_ALL, 0,
                              range_types[t] == MOS_CAP_MEMORY ? &objs[0] : NULL, 4, 8);
        for (uint64_t base = 0; base <= 20; base++) {
            for (uint64_t count = 0; count <= 20; count++) {
                struct cap c;
                int e = cap_narrow(&p, MOS_RIGHT_READ, 0, base, count, &c);
                bool ok = count == 0 || (base >= 4 && base + count <= 12);
                if (!ok) {
                    assert_int_equal(e, -MOS_ERANGE);
                    continue;
                }
                assert_int_equal(e, 0);
                assert_int_equal(c.base, count ? base : 4);
                assert_int_equal(c.count, count ? count : 8);
                assert_true(cap_within(&c, &p));
            }
        }
    }
}

static void narrow_range_whole_ignores_base(void **state)
{
    (void)state;
    struct cap p = mk_cap(MOS_CAP_IOPORT, MOS_RIGHTS_ALL, 0, NULL, 0x3F8, 8), c;
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 12345, 0, &c), 0);
    assert_int_equal(c.base, 0x3F8);
    assert_int_equal(c.count, 8);
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, UINT64_MAX, 0, &c), 0);
    assert_int_equal(c.base, 0x3F8);
    /* exactly the parent's range, given explicitly */
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0x3F8, 8, &c), 0);
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0x3F8, 9, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0x3F7, 1, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0x3FF, 1, &c), 0);
    assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0x400, 1, &c), -MOS_ERANGE);
}

static void narrow_range_overflow(void **state)
{
    (void)state;
    struct cap c;
    /* parent [0, 2^64 - 1) */
    struct cap big = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[0], 0, UINT64_MAX);
    assert_int_equal(cap_narrow(&big, 0, 0, 0, UINT64_MAX, &c), 0);
    assert_int_equal(cap_narrow(&big, 0, 0, 1, UINT64_MAX, &c), -MOS_ERANGE);          /* wraps to 0 */
    assert_int_equal(cap_narrow(&big, 0, 0, UINT64_MAX, 1, &c), -MOS_ERANGE);          /* wraps to 0 */
    assert_int_equal(cap_narrow(&big, 0, 0, UINT64_MAX, UINT64_MAX, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&big, 0, 0, UINT64_MAX - 1, 1, &c), 0);                /* last page */
    assert_int_equal(cap_narrow(&big, 0, 0, UINT64_MAX - 1, 2, &c), -MOS_ERANGE);
    /* parent at the very top: [2^64 - 11, 2^64 - 1) */
    struct cap top = mk_cap(MOS_CAP_IRQ, MOS_RIGHTS_ALL, 0, NULL, UINT64_MAX - 10, 10);
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX - 5, 5, &c), 0);
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX - 5, 6, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX - 10, 10, &c), 0);
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX - 11, 10, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX, 2, &c), -MOS_ERANGE);
    assert_int_equal(cap_narrow(&top, 0, 0, 5, UINT64_MAX - 4, &c), -MOS_ERANGE);      /* wraps to 0 */
    assert_int_equal(cap_narrow(&top, 0, 0, UINT64_MAX - 10, UINT64_MAX, &c), -MOS_ERANGE);
    /* a parent whose own range wraps is malformed */
    struct cap wrap = mk_cap(MOS_CAP_IOPORT, MOS_RIGHTS_ALL, 0, NULL, UINT64_MAX, 2);
    assert_false(cap_is_valid(&wrap));
    assert_int_equal(cap_narrow(&wrap, 0, 0, 0, 0, &c), -MOS_EINVAL);
    /* an empty parent range: only "whole" works */
    struct cap none = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[0], 7, 0);
    assert_int_equal(cap_narrow(&none, 0, 0, 0, 0, &c), 0);
    assert_int_equal(c.count, 0);
    assert_int_equal(cap_narrow(&none, 0, 0, 7, 1, &c), -MOS_ERANGE);
}

static void narrow_non_range_types_reject_ranges(void **state)
{
    (void)state;
    const unsigned types[] = { MOS_CAP_ENDPOINT, MOS_CAP_PROCESS, MOS_CAP_THREAD };
    for (int t = 0; t < 3; t++) {
        struct cap p = mk_cap(types[t], MOS_RIGHTS_ALL, 0, &objs[1], 0, 0), c;
        assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 1, 0, &c), -MOS_EINVAL);
        assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0, 1, &c), -MOS_EINVAL);
        assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 3, 3, &c), -MOS_EINVAL);
        assert_int_equal(cap_narrow(&p, MOS_RIGHT_READ, 0, 0, 0, &c), 0);
        assert_int_equal(c.base, 0);
        assert_int_equal(c.count, 0);
        /* such a cap with a range is malformed */
        p.count = 1;
        assert_false(cap_is_valid(&p));
    }
}

static void narrow_badge_rules(void **state)
{
    (void)state;
    struct cap unb = mk_cap(MOS_CAP_ENDPOINT, MOS_RIGHTS_ALL, 0, &objs[0], 0, 0), c, g;
    assert_int_equal(cap_narrow(&unb, MOS_RIGHT_WRITE, 0, 0, 0, &c), 0);
    assert_int_equal(c.badge, 0);
    assert_int_equal(cap_narrow(&unb, MOS_RIGHT_WRITE, 0xDEAD, 0, 0, &c), 0);
    assert_int_equal(c.badge, 0xDEAD);
    assert_int_equal(cap_narrow(&unb, MOS_RIGHT_WRITE, UINT64_MAX, 0, 0, &c), 0);
    assert_int_equal(c.badge, UINT64_MAX);

    struct cap bad = mk_cap(MOS_CAP_ENDPOINT, MOS_RIGHTS_ALL, 7, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&bad, MOS_RIGHT_WRITE, 0, 0, 0, &c), 0);
    assert_int_equal(c.badge, 7);                      /* 0 inherits */
    assert_int_equal(cap_narrow(&bad, MOS_RIGHT_WRITE, 7, 0, 0, &c), 0);
    assert_int_equal(c.badge, 7);
    assert_int_equal(cap_narrow(&bad, MOS_RIGHT_WRITE, 8, 0, 0, &g), -MOS_EPERM);
    assert_int_equal(cap_narrow(&bad, MOS_RIGHT_WRITE, UINT64_MAX, 0, 0, &g), -MOS_EPERM);
    /* and down the line: a grandchild keeps it too */
    assert_int_equal(cap_narrow(&c, MOS_RIGHT_WRITE, 0, 0, 0, &g), 0);
    assert_int_equal(g.badge, 7);
    assert_int_equal(cap_narrow(&c, MOS_RIGHT_WRITE, 9, 0, 0, &g), -MOS_EPERM);

    /* cap_within agrees */
    struct cap other = bad;
    other.badge = 8;
    assert_false(cap_within(&other, &bad));
    other.badge = 0;
    assert_false(cap_within(&other, &bad));
    assert_true(cap_within(&bad, &unb));               /* unbadged parent: any badge */
}

static void narrow_reply_and_invalid_parents(void **state)
{
    (void)state;
    struct cap c;
    struct cap reply = mk_cap(MOS_CAP_REPLY, MOS_RIGHTS_ALL, 0, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&reply, MOS_RIGHTS_ALL, 0, 0, 0, &c), -MOS_EPERM);
    assert_int_equal(cap_narrow(&reply, 0, 0, 0, 0, &c), -MOS_EPERM);
    assert_false(cap_within(&reply, &reply));

    struct cap empty = { 0 };
    assert_int_equal(cap_narrow(&empty, 0, 0, 0, 0, &c), -MOS_EINVAL);
    struct cap unknown = mk_cap(MOS_CAP_TYPE_COUNT, MOS_RIGHTS_ALL, 0, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&unknown, 0, 0, 0, 0, &c), -MOS_EINVAL);
    struct cap wild = mk_cap(MOS_CAP_ENDPOINT, 0x20, 0, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&wild, 0, 0, 0, 0, &c), -MOS_EINVAL);
    struct cap padded = mk_cap(MOS_CAP_ENDPOINT, 1, 0, &objs[0], 0, 0);
    padded._pad = 1;
    assert_int_equal(cap_narrow(&padded, 0, 0, 0, 0, &c), -MOS_EINVAL);
}

/* The documented order: validity, REPLY, rights, badge, range. */
static void narrow_check_order(void **state)
{
    (void)state;
    struct cap c;
    struct cap mem = mk_cap(MOS_CAP_MEMORY, MOS_RIGHT_READ, 5, &objs[0], 0, 4);
    /* rights and range both wrong: rights first */
    assert_int_equal(cap_narrow(&mem, MOS_RIGHT_WRITE, 0, 10, 10, &c), -MOS_EPERM);
    /* badge and range wrong: badge first */
    assert_int_equal(cap_narrow(&mem, MOS_RIGHT_READ, 6, 10, 10, &c), -MOS_EPERM);
    /* only the range */
    assert_int_equal(cap_narrow(&mem, MOS_RIGHT_READ, 5, 10, 10, &c), -MOS_ERANGE);
    struct cap ep = mk_cap(MOS_CAP_ENDPOINT, MOS_RIGHT_READ, 0, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&ep, MOS_RIGHT_WRITE, 0, 1, 1, &c), -MOS_EPERM);
    assert_int_equal(cap_narrow(&ep, MOS_RIGHT_READ, 0, 1, 1, &c), -MOS_EINVAL);
    struct cap reply = mk_cap(MOS_CAP_REPLY, 0, 0, &objs[0], 0, 0);
    assert_int_equal(cap_narrow(&reply, 0, 0, 1, 1, &c), -MOS_EPERM);
}

/* ---------------------------------------------------------------- cspace */

static void cspace_init_empties_everything(void **state)
{
    (void)state;
    struct cap_slot arr[5];
    memset(arr, 0x5A, sizeof arr);
    struct cspace s;
    cspace_init(&s, arr, 5, &objs[3]);
    assert_ptr_equal(s.owner, &objs[3]);
    assert_int_equal(s.nslots, 5);
    assert_int_equal(s.used, 0);
    assert_int_equal(cspace_free_count(&s), 4);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(arr[i].index, i);
        assert_ptr_equal(arr[i].cs, &s);
        assert_int_equal(arr[i].gen, 0);
        assert_int_equal(arr[i].cap.type, MOS_CAP_NONE);
        assert_null(arr[i].parent);
        assert_null(arr[i].first_child);
        assert_null(arr[i].ext);
    }
    struct cspace *one[1] = { &s };
    assert_true(cdt_check(one, 1));
    /* sizes out of range are kernel bugs */
    expect_assert_failure(cspace_init(&s, arr, 0, NULL));
    expect_assert_failure(cspace_init(&s, arr, CSPACE_MAX_SLOTS + 1, NULL));
}

static void lookup_errors_in_documented_order(void **state)
{
    (void)state;
    struct cap_slot *out = (struct cap_slot *)&objs[3];   /* sentinel: must stay */
    struct cap_slot *const sentinel = out;
    struct cspace *c0 = &cs[0];
    struct cap_slot *ep = mk_root(0, MOS_CAP_ENDPOINT, MOS_RIGHT_READ | MOS_RIGHT_WRITE);
    mos_handle_t h = cspace_handle(ep);
    assert_int_not_equal(h, 0);

    assert_int_equal(cspace_lookup(c0, 0, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(c0, MOS_SELF, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(c0, NSLOTS, -1, 0, &out), -MOS_EBADHANDLE);            /* out of range */
    assert_int_equal(cspace_lookup(c0, 0xFFFFF, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(c0, 1u << MOS_HANDLE_INDEX_BITS, -1, 0, &out), -MOS_EBADHANDLE); /* index 0 */
    assert_int_equal(cspace_lookup(c0, ep->index + 1, -1, 0, &out), -MOS_EBADHANDLE);     /* empty */
    assert_int_equal(cspace_lookup(c0, h + (1u << MOS_HANDLE_INDEX_BITS), -1, 0, &out),
                     -MOS_EBADHANDLE);                                                    /* wrong gen */
    assert_ptr_equal(out, sentinel);

    /* right handle: type and rights */
    assert_int_equal(cspace_lookup(c0, h, MOS_CAP_ENDPOINT, MOS_RIGHT_READ, &out), 0);
    assert_ptr_equal(out, ep);
    assert_int_equal(cspace_lookup(c0, h, -1, 0, &out), 0);
    out = sentinel;
    assert_int_equal(cspace_lookup(c0, h, MOS_CAP_MEMORY, 0, &out), -MOS_EBADTYPE);
    assert_int_equal(cspace_lookup(c0, h, MOS_CAP_ENDPOINT, MOS_RIGHT_GRANT, &out), -MOS_EPERM);
    assert_int_equal(cspace_lookup(c0, h, -1, MOS_RIGHT_READ | MOS_RIGHT_EXEC, &out), -MOS_EPERM);
    assert_int_equal(cspace_lookup(c0, h, MOS_CAP_MEMORY, MOS_RIGHT_GRANT, &out), -MOS_EBADTYPE);
    assert_int_equal(cspace_lookup(c0, h, -1, 1u << 31, &out), -MOS_EPERM);
    assert_ptr_equal(out, sentinel);

    /* stale after delete */
    cdt_delete(ep, NULL, NULL);
    assert_int_equal(cspace_lookup(c0, h, -1, 0, &out), -MOS_EBADHANDLE);
    /* stale after delete + refill of the very same slot, even with another
     * type and all rights: the generation is checked before type and rights */
    struct cap_slot *again = cspace_alloc_at(c0, ep->index);
    assert_ptr_equal(again, ep);
    struct cap m = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[0], 0, 1);
    cdt_insert_child(NULL, again, &m);
    assert_int_equal(cspace_lookup(c0, h, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(c0, h, MOS_CAP_ENDPOINT, MOS_RIGHT_GRANT, &out), -MOS_EBADHANDLE);
    assert_ptr_equal(out, sentinel);
    mos_handle_t h2 = cspace_handle(again);
    assert_int_not_equal(h2, h);
    assert_int_equal(MOS_HANDLE_INDEX(h2), MOS_HANDLE_INDEX(h));
    assert_int_equal(cspace_lookup(c0, h2, MOS_CAP_MEMORY, MOS_RIGHTS_ALL, &out), 0);
    assert_ptr_equal(out, again);
    /* the same handle in another cspace names nothing */
    assert_int_equal(cspace_lookup(&cs[1], h2, -1, 0, &out), -MOS_EBADHANDLE);
    check_tree();
}

/* 4095 refills of one slot: no earlier handle ever works again; the 4096th
 * wraps the 12-bit generation back to the first handle (documented). */
static void generation_wraps_in_12_bits(void **state)
{
    (void)state;
    static mos_handle_t seen[4096];
    struct cspace *c0 = &cs[0];
    struct cap_slot *s = mk_root(0, MOS_CAP_THREAD, MOS_RIGHTS_ALL);
    uint32_t idx = s->index;
    seen[0] = cspace_handle(s);
    for (int k = 1; k <= 4095; k++) {
        cdt_delete(s, NULL, NULL);
        assert_ptr_equal(cspace_alloc_at(c0, idx), s);
        mos_handle_t next = cspace_handle(s);                    /* an empty slot names its next cap */
        assert_int_not_equal(next, seen[k - 1]);
        struct cap c = mk_cap(MOS_CAP_THREAD, MOS_RIGHTS_ALL, 0, &objs[0], 0, 0);
        cdt_insert_child(NULL, s, &c);
        mos_handle_t h = cspace_handle(s);
        assert_int_equal(h, next);
        assert_true(s->gen <= CAP_GEN_MASK);
        assert_int_equal(MOS_HANDLE_INDEX(h), idx);
        assert_int_not_equal(h, 0);
        assert_int_not_equal(h, MOS_SELF);
        seen[k] = h;
        struct cap_slot *out;
        assert_int_equal(cspace_lookup(c0, h, -1, 0, &out), 0);
        for (int j = 0; j < k; j++) {
            assert_int_not_equal(seen[j], h);
            assert_int_equal(cspace_lookup(c0, seen[j], -1, 0, &out), -MOS_EBADHANDLE);
        }
    }
    assert_int_equal(s->gen, 4095);
    cdt_delete(s, NULL, NULL);
    assert_int_equal(s->gen, 0);                                   /* wrapped in 12 bits */
    assert_int_equal(cspace_handle(s), seen[0]);
    assert_int_equal(c0->used, 0);
    check_tree();
}

static void alloc_next_fit_and_full(void **state)
{
    (void)state;
    struct cap_slot arr[8];
    struct cspace s;
    cspace_init(&s, arr, 8, NULL);
    struct cap c = mk_cap(MOS_CAP_ENDPOINT, 1, 0, &objs[0], 0, 0);
    struct cap_slot *a = cspace_alloc(&s);
    assert_non_null(a);
    assert_ptr_equal(cspace_alloc(&s), a);                         /* not filled: same slot */
    assert_int_not_equal(a->index, 0);
    for (uint32_t i = 1; i < 8; i++) {
        struct cap_slot *x = cspace_alloc(&s);
        assert_non_null(x);
        assert_int_equal(x->index, i);
        assert_true(is_empty(x));
        cdt_insert_child(NULL, x, &c);
        assert_int_equal(s.used, i);
        assert_int_equal(cspace_free_count(&s), 7 - i);
    }
    assert_null(cspace_alloc(&s));
    assert_null(cspace_alloc(&s));
    /* free 2 and 5: next fit continues after the last one handed out (7),
     * wraps, and finds 2 first, then 5 */
    cdt_delete(&arr[5], NULL, NULL);
    cdt_delete(&arr[2], NULL, NULL);
    struct cap_slot *x = cspace_alloc(&s);
    assert_ptr_equal(x, &arr[2]);
    cdt_insert_child(NULL, x, &c);
    x = cspace_alloc(&s);
    assert_ptr_equal(x, &arr[5]);
    cdt_insert_child(NULL, x, &c);
    assert_null(cspace_alloc(&s));
    /* freeing 1 after 5 was handed out: found by wrapping */
    cdt_delete(&arr[1], NULL, NULL);
    assert_ptr_equal(cspace_alloc(&s), &arr[1]);

    /* alloc_at */
    assert_null(cspace_alloc_at(&s, 0));
    assert_null(cspace_alloc_at(&s, 8));
    assert_null(cspace_alloc_at(&s, UINT32_MAX));
    assert_null(cspace_alloc_at(&s, 3));                           /* used */
    assert_ptr_equal(cspace_alloc_at(&s, 1), &arr[1]);

    /* a cspace with only the reserved slot */
    struct cap_slot one[1];
    struct cspace t;
    cspace_init(&t, one, 1, NULL);
    assert_null(cspace_alloc(&t));
    assert_null(cspace_alloc_at(&t, 0));
    assert_int_equal(cspace_free_count(&t), 0);
    struct cap_slot *out;
    assert_int_equal(cspace_next_used(&t, 0, &out), -MOS_ENOENT);
}

static void next_used_walks_in_order(void **state)
{
    (void)state;
    struct cap_slot *out = NULL;
    assert_int_equal(cspace_next_used(&cs[0], 0, &out), -MOS_ENOENT);
    struct cap c = mk_cap(MOS_CAP_ENDPOINT, 1, 0, &objs[0], 0, 0);
    const uint32_t at[] = { 2, 5, NSLOTS - 1 };
    for (int i = 0; i < 3; i++)
        cdt_insert_child(NULL, cspace_alloc_at(&cs[0], at[i]), &c);
    assert_int_equal(cspace_next_used(&cs[0], 0, &out), 0);
    assert_int_equal(out->index, 2);
    assert_int_equal(cspace_next_used(&cs[0], 2, &out), 0);
    assert_int_equal(out->index, 2);
    assert_int_equal(cspace_next_used(&cs[0], 3, &out), 0);
    assert_int_equal(out->index, 5);
    assert_int_equal(cspace_next_used(&cs[0], 6, &out), 0);
    assert_int_equal(out->index, NSLOTS - 1);
    out = NULL;
    assert_int_equal(cspace_next_used(&cs[0], NSLOTS, &out), -MOS_ENOENT);
    assert_int_equal(cspace_next_used(&cs[0], UINT32_MAX, &out), -MOS_ENOENT);
    assert_null(out);
    /* the whole walk, as cap_inspect(MOS_INSPECT_NEXT) would do it */
    int n = 0;
    for (uint32_t from = 0; cspace_next_used(&cs[0], from, &out) == 0; from = out->index + 1)
        assert_int_equal(out->index, at[n++]);
    assert_int_equal(n, 3);
}

/* ------------------------------------------------------------------ CDT */

/* A (cs0) -> B (cs1) -> D (cs0), E (cs2);  A -> C (cs2) -> F (cs1) */
static void revoke_across_three_cspaces(void **state)
{
    (void)state;
    struct cap_slot *A = mk_root(0, MOS_CAP_MEMORY, MOS_RIGHTS_ALL);
    struct cap_slot *B = derive(A, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 10, 50);
    struct cap_slot *C = derive(A, 2, MOS_RIGHT_READ, 0, 0, 0);
    struct cap_slot *D = derive(B, 0, MOS_RIGHT_READ, 0, 20, 5);
    struct cap_slot *E = copy(B, 2);
    struct cap_slot *F = derive(C, 1, 0, 0, 99, 1);
    expect_children(A, 2, C, B);                                   /* newest first */
    expect_children(B, 2, E, D);
    expect_children(C, 1, F);
    assert_int_equal(cs[0].used, 2);
    assert_int_equal(cs[1].used, 2);
    assert_int_equal(cs[2].used, 2);
    mos_handle_t hB = cspace_handle(B), hD = cspace_handle(D), hE = cspace_handle(E);

    struct rel_log log = { 0 };
    D->ext = &objs[1];
    assert_int_equal(cdt_revoke(B, record_release, &log), 2);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.bad, 0);
    assert_int_equal(rel_count(&log, D), 1);
    assert_int_equal(rel_count(&log, E), 1);
    assert_null(D->ext);
    assert_true(is_empty(D) && is_empty(E));
    assert_false(is_empty(B));
    assert_false(cdt_has_children(B));
    struct cap_slot *out;
    assert_int_equal(cspace_lookup(&cs[1], hB, MOS_CAP_MEMORY, MOS_RIGHT_WRITE, &out), 0);
    assert_int_equal(cspace_lookup(&cs[0], hD, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(&cs[2], hE, -1, 0, &out), -MOS_EBADHANDLE);
    check_tree();

    /* revoking a leaf deletes nothing */
    assert_int_equal(cdt_revoke(F, record_release, &log), 0);
    assert_int_equal(log.n, 2);

    assert_int_equal(cdt_revoke(A, record_release, &log), 3);
    assert_int_equal(log.n, 5);
    assert_int_equal(rel_count(&log, B), 1);
    assert_int_equal(rel_count(&log, C), 1);
    assert_int_equal(rel_count(&log, F), 1);
    assert_int_equal(rel_count(&log, A), 0);
    assert_int_equal(cs[0].used, 1);
    assert_int_equal(cs[1].used, 0);
    assert_int_equal(cs[2].used, 0);
    /* F went before C (deepest first) */
    int posF = -1, posC = -1;
    for (int i = 0; i < log.n; i++) {
        if (log.slot[i] == F) posF = i;
        if (log.slot[i] == C) posC = i;
        assert_false(log.had_children[i]);
    }
    assert_true(posF >= 0 && posF < posC);
    check_tree();
}

static void move_keeps_place_and_children(void **state)
{
    (void)state;
    struct cap_slot *P = mk_root(0, MOS_CAP_ENDPOINT, MOS_RIGHTS_ALL);
    struct cap_slot *x = derive(P, 0, MOS_RIGHT_READ, 0, 0, 0);
    struct cap_slot *M = derive(P, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 42, 0, 0);
    struct cap_slot *y = derive(P, 2, MOS_RIGHT_WRITE, 0, 0, 0);
    struct cap_slot *k1 = derive(M, 0, MOS_RIGHT_READ, 0, 0, 0);
    struct cap_slot *k2 = derive(M, 2, MOS_RIGHT_WRITE, 0, 0, 0);
    expect_children(P, 3, y, M, x);
    expect_children(M, 2, k2, k1);
    M->ext = &objs[2];
    struct cap saved = M->cap;
    mos_handle_t old = cspace_handle(M);
    uint16_t gen = M->gen;

    /* across cspaces */
    struct cap_slot *N = cspace_alloc(&cs[2]);
    cdt_move(M, N);
    check_tree();
    assert_true(is_empty(M));
    assert_null(M->ext);
    assert_int_equal(M->gen, (gen + 1) & CAP_GEN_MASK);
    assert_ptr_equal(N->ext, &objs[2]);
    assert_memory_equal(&N->cap, &saved, sizeof saved);
    assert_ptr_equal(N->parent, P);
    expect_children(P, 3, y, N, x);
    expect_children(N, 2, k2, k1);
    assert_int_equal(cs[1].used, 0);
    assert_int_equal(cs[2].used, 3);
    struct cap_slot *out;
    assert_int_equal(cspace_lookup(&cs[1], old, -1, 0, &out), -MOS_EBADHANDLE);
    assert_int_equal(cspace_lookup(&cs[2], cspace_handle(N), MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &out), 0);

    /* within a cspace: the first child, then the last, then a root */
    struct cap_slot *y2 = cspace_alloc(&cs[2]);
    cdt_move(y, y2);
    expect_children(P, 3, y2, N, x);
    struct cap_slot *x2 = cspace_alloc(&cs[0]);
    cdt_move(x, x2);
    expect_children(P, 3, y2, N, x2);
    struct cap_slot *P2 = cspace_alloc(&cs[1]);
    cdt_move(P, P2);
    assert_null(P2->parent);
    expect_children(P2, 3, y2, N, x2);
    check_tree();

    /* revoke still reaches everything through the moved slots */
    struct rel_log log = { 0 };
    assert_int_equal(cdt_revoke(P2, record_release, &log), 5);
    assert_int_equal(rel_count(&log, k1) + rel_count(&log, k2) + rel_count(&log, N) +
                     rel_count(&log, x2) + rel_count(&log, y2), 5);
    check_tree();
}

/* P's children [c3, c2, c1]; c2's children [y, x]; deleting c2 puts y, x in
 * its place: [c3, y, x, c1]. */
static void delete_reparents_in_order(void **state)
{
    (void)state;
    struct cap_slot *P = mk_root(0, MOS_CAP_IOPORT, MOS_RIGHTS_ALL);
    struct cap_slot *c1 = derive(P, 1, MOS_RIGHTS_ALL, 0, 0, 10);
    struct cap_slot *c2 = derive(P, 2, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 10, 20);
    struct cap_slot *c3 = derive(P, 0, MOS_RIGHT_READ, 0, 40, 10);
    struct cap_slot *x = derive(c2, 1, MOS_RIGHT_READ, 0, 10, 5);
    struct cap_slot *y = derive(c2, 0, MOS_RIGHT_WRITE, 0, 15, 5);
    struct cap_slot *z = derive(x, 2, MOS_RIGHT_READ, 0, 11, 1);
    expect_children(P, 3, c3, c2, c1);
    expect_children(c2, 2, y, x);

    struct rel_log log = { 0 };
    cdt_delete(c2, record_release, &log);
    assert_int_equal(log.n, 1);
    assert_ptr_equal(log.slot[0], c2);
    assert_int_equal(log.cap[0].type, MOS_CAP_IOPORT);             /* released with its cap */
    assert_int_equal(log.cap[0].base, 10);
    assert_true(log.had_children[0]);                              /* ... and before unlinking */
    assert_true(is_empty(c2));
    expect_children(P, 4, c3, y, x, c1);
    expect_children(x, 1, z);
    check_tree();

    cdt_delete(c3, record_release, &log);                          /* first child, no children */
    expect_children(P, 3, y, x, c1);
    cdt_delete(c1, record_release, &log);                          /* last child */
    expect_children(P, 2, y, x);
    cdt_delete(x, NULL, NULL);                                     /* last, with a child */
    expect_children(P, 2, y, z);
    check_tree();

    /* deleting a root: its children become roots, without siblings */
    cdt_delete(P, record_release, &log);
    assert_null(y->parent);
    assert_null(z->parent);
    assert_null(y->next_sibling);
    assert_null(y->prev_sibling);
    assert_null(z->next_sibling);
    assert_null(z->prev_sibling);
    check_tree();
    assert_int_equal(log.n, 4);
    assert_int_equal(log.bad, 0);
}

/* Grandchildren survive their parent's deletion and the grandparent's
 * revoke still reaches them. */
static void revoke_reaches_reparented(void **state)
{
    (void)state;
    struct cap_slot *A = mk_root(0, MOS_CAP_ENDPOINT, MOS_RIGHTS_ALL);
    struct cap_slot *B = derive(A, 1, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 3, 0, 0);
    struct cap_slot *C = derive(B, 2, MOS_RIGHT_WRITE, 0, 0, 0);
    struct cap_slot *D = copy(C, 0);
    assert_int_equal(D->cap.badge, 3);
    cdt_delete(B, NULL, NULL);
    cdt_delete(C, NULL, NULL);
    assert_ptr_equal(D->parent, A);
    check_tree();
    struct rel_log log = { 0 };
    assert_int_equal(cdt_revoke(A, record_release, &log), 1);
    assert_ptr_equal(log.slot[0], D);
    assert_true(is_empty(D));
    check_tree();
}

/* A bushy random tree of 120 nodes over three cspaces: every descendant is
 * released exactly once, as a leaf, with its cap; the root and unrelated
 * caps never. */
static void release_exactly_once_with_cap(void **state)
{
    (void)state;
    static struct cap_slot big[NCS][64];
    struct cspace bcs[NCS];
    struct cspace *bsp[NCS];
    for (int k = 0; k < NCS; k++) {
        cspace_init(&bcs[k], big[k], 64, NULL);
        bsp[k] = &bcs[k];
    }
    struct cap_slot *node[160];
    unsigned rng = 12345;
    struct cap rc = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[0], 0, 1000);
    node[0] = cspace_alloc(&bcs[0]);
    cdt_insert_child(NULL, node[0], &rc);
    struct cap_slot *other = cspace_alloc(&bcs[1]);                /* unrelated tree */
    cdt_insert_child(NULL, other, &rc);
    struct cap_slot *other_kid = cspace_alloc(&bcs[2]);
    cdt_insert_child(other, other_kid, &rc);
    int n = 1;
    while (n < 120) {
        rng = rng * 1103515245u + 12345u;
        struct cap_slot *p = node[(rng >> 8) % (unsigned)n];
        struct cap c;
        uint32_t r = (rng >> 20) & p->cap.rights;
        assert_int_equal(cap_narrow(&p->cap, r, 0, 0, 0, &c), 0);
        struct cap_slot *s = cspace_alloc(&bcs[(rng >> 4) % NCS]);
        assert_non_null(s);
        cdt_insert_child(p, s, &c);
        node[n++] = s;
    }
    assert_true(cdt_check(bsp, NCS));
    struct rel_log log = { 0 };
    assert_int_equal(cdt_revoke(node[0], record_release, &log), 119);
    assert_int_equal(log.n, 119);
    assert_int_equal(log.bad, 0);
    for (int i = 1; i < n; i++)
        assert_int_equal(rel_count(&log, node[i]), 1);
    assert_int_equal(rel_count(&log, node[0]), 0);
    assert_int_equal(rel_count(&log, other), 0);
    assert_int_equal(rel_count(&log, other_kid), 0);
    for (int i = 0; i < log.n; i++) {
        assert_false(log.had_children[i]);
        assert_int_equal(log.cap[i].type, MOS_CAP_MEMORY);
    }
    assert_false(is_empty(other_kid));
    assert_int_equal(bcs[0].used + bcs[1].used + bcs[2].used, 3);
    assert_true(cdt_check(bsp, NCS));
}

/* ----------------------------------------------------- deep chain, small stack */

#define CHAIN 100000u
#define THREAD_STACK (64 * 1024)

struct chain_job {
    struct cap_slot *arr[2];
    struct cspace *sp[2];
    uint64_t revoked, released, leaf_violations;
    bool check_before, check_after;
};

static void count_release(struct cap_slot *s, void *ctx)
{
    struct chain_job *j = ctx;
    j->released++;
    if (s->first_child || s->cap.type == MOS_CAP_NONE)
        j->leaf_violations++;
}

/* Runs on a 64 KiB stack: no cmocka asserts here (they longjmp across threads). */
static void *chain_thread(void *arg)
{
    struct chain_job *j = arg;
    struct cap c = mk_cap(MOS_CAP_MEMORY, MOS_RIGHTS_ALL, 0, &objs[0], 0, 1u << 20);
    struct cap_slot *prev = cspace_alloc(j->sp[0]);
    cdt_insert_child(NULL, prev, &c);
    struct cap_slot *root = prev;
    for (uint32_t i = 1; i <= CHAIN; i++) {
        struct cap_slot *s = cspace_alloc(j->sp[i & 1]);   /* alternate between cspaces */
        if (!s)
            return NULL;
        cdt_insert_child(prev, s, &prev->cap);
        prev = s;
    }
    j->check_before = cdt_check(j->sp, 2);
    j->revoked = cdt_revoke(root, count_release, j);
    j->check_after = cdt_check(j->sp, 2);
    return NULL;
}

static void revoke_deep_chain_on_small_stack(void **state)
{
    (void)state;
    struct chain_job j = { 0 };
    static struct cspace ccs[2];
    uint32_t n = CHAIN / 2 + 2;
    for (int k = 0; k < 2; k++) {
        j.arr[k] = calloc(n, sizeof(struct cap_slot));
        assert_non_null(j.arr[k]);
        cspace_init(&ccs[k], j.arr[k], n, NULL);
        j.sp[k] = &ccs[k];
    }
    /* Our own stack with a guard page below it, painted so the depth used
     * can be measured afterwards. */
    size_t page = 4096, len = THREAD_STACK + page;
    uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem, page, PROT_NONE), 0);
    uint8_t *stack = mem + page;
    memset(stack, 0xC7, THREAD_STACK);

    pthread_attr_t attr;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstack(&attr, stack, THREAD_STACK), 0);
    assert_int_equal(pthread_create(&t, &attr, chain_thread, &j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);

    size_t untouched = 0;
    while (untouched < THREAD_STACK && stack[untouched] == 0xC7)
        untouched++;
    size_t used = THREAD_STACK - untouched;
    if (getenv("HOST_TEST_VERBOSE"))
        fprintf(stderr, "deep revoke: %u levels, %zu bytes of thread stack touched\n", CHAIN, used);
    munmap(mem, len);

    assert_true(j.check_before);
    assert_true(j.check_after);
    assert_int_equal(j.revoked, CHAIN);
    assert_int_equal(j.released, CHAIN);
    assert_int_equal(j.leaf_violations, 0);
    assert_int_equal(ccs[0].used + ccs[1].used, 1);
    assert_true(used < THREAD_STACK);
    free(j.arr[0]);
    free(j.arr[1]);
}

/* Bounded revoke: never more than the budget per call, resumes where it
 * stopped, the tree stays valid in between, deepest first overall. */
static void revoke_bounded_resumes(void **state)
{
    (void)state;
    struct cap_slot *A = mk_root(0, MOS_CAP_THREAD, MOS_RIGHTS_ALL);
    struct cap_slot *nodes[40];
    int n = 0;
    struct cap_slot *p = A;
    for (int i = 0; i < 10; i++) {                                  /* a chain of 10 ... */
        p = copy(p, i % NCS);
        nodes[n++] = p;
    }
    for (int i = 0; i < 12; i++)                                    /* ... and a fan of 12 */
        nodes[n++] = copy(nodes[3], (i + 1) % NCS);
    for (int i = 0; i < 6; i++)
        nodes[n++] = copy(A, i % NCS);
    struct rel_log log = { 0 };
    uint64_t total = 0;
    int calls = 0;
    while (cdt_has_children(A)) {
        uint64_t d = cdt_revoke_bounded(A, record_release, &log, 4);
        assert_true(d >= 1 && d <= 4);
        total += d;
        calls++;
        check_tree();
    }
    assert_int_equal(total, (uint64_t)n);
    assert_int_equal(calls, (n + 3) / 4);
    assert_int_equal(cdt_revoke_bounded(A, record_release, &log, 4), 0);
    assert_int_equal(cdt_revoke_bounded(A, record_release, &log, 0), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(rel_count(&log, nodes[i]), 1);
    for (int i = 0; i < log.n; i++)
        assert_false(log.had_children[i]);
}

/* ------------------------------------------------------- checker, misuse */

struct small_tree { struct cap_slot *A, *B, *C, *D; };

/* A (cs0) -> B (cs1) -> D (cs2);  A -> C (cs2). B is badged. */
static struct small_tree build_small(void)
{
    struct small_tree t;
    t.A = mk_root(0, MOS_CAP_MEMORY, MOS_RIGHTS_ALL);
    t.B = derive(t.A, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 9, 10, 20);
    t.C = derive(t.A, 2, MOS_RIGHT_READ, 0, 50, 10);
    t.D = derive(t.B, 2, MOS_RIGHT_READ, 0, 12, 3);
    return t;
}

static void expect_check_fails(const char *what)
{
    host_log_clear();
    if (cdt_check(spaces, NCS))
        report_failure("cdt_check missed: %s", what);
    assert_non_null(strstr(host_log, "cdt_check"));
}

#define CORRUPT(lvalue, bad, what) \
    do { \
        __typeof__(lvalue) saved_ = (lvalue); \
        (lvalue) = (bad); \
        expect_check_fails(what); \
        (lvalue) = saved_; \
        check_tree(); \
    } while (0)

static void check_catches_corruption(void **state)
{
    (void)state;
    struct small_tree t = build_small();
    struct cap_slot *E = &slots[0][NSLOTS - 1];                     /* an empty slot */
    struct cap_slot stray = { 0 };
    check_tree();

    CORRUPT(t.D->cap.rights, MOS_RIGHT_READ | MOS_RIGHT_EXEC, "widened rights");
    CORRUPT(t.B->cap.rights, MOS_RIGHT_WRITE, "child D now wider than B");
    CORRUPT(t.D->cap.count, 100, "range outside");
    CORRUPT(t.D->cap.base, 5, "range below");
    CORRUPT(t.D->cap.obj, &objs[1], "other object");
    CORRUPT(t.D->cap.type, MOS_CAP_IOPORT, "other type");
    CORRUPT(t.D->cap.flags, MOS_MEM_WC, "other flags");
    CORRUPT(t.D->cap.badge, 10, "badge changed under a badged parent");
    CORRUPT(t.D->cap.rights, 0x40, "rights beyond MOS_RIGHTS_ALL");
    CORRUPT(t.D->cap._pad, 1, "pad");
    CORRUPT(t.A->first_child, t.B, "first_child skips C");
    CORRUPT(t.B->parent, t.C, "parent not owning the list");
    CORRUPT(t.C->next_sibling, t.D, "sibling from another list");
    CORRUPT(t.B->prev_sibling, t.D, "prev_sibling wrong");
    CORRUPT(t.B->first_child, NULL, "child not listed");
    CORRUPT(t.D->parent, &stray, "link outside the spaces");
    CORRUPT(t.D->parent, (struct cap_slot *)((char *)t.B + 8), "misaligned link");
    CORRUPT(t.D->parent, E, "link to an empty slot");
    CORRUPT(E->parent, t.A, "empty slot linked");
    CORRUPT(E->cap.badge, 1, "empty slot with a badge");
    CORRUPT(E->ext, (void *)&objs[1], "empty slot with ext");
    CORRUPT(E->gen, CAP_GEN_MASK + 1, "generation too wide");
    CORRUPT(E->index, 3, "index field");
    CORRUPT(E->cs, &cs[1], "cs field");
    CORRUPT(cs[1].used, 2, "used count");
    CORRUPT(t.B->parent, t.B, "self parent");
    CORRUPT(slots[0][0].cap, t.A->cap, "slot 0 used");

    /* a root with siblings */
    struct cap_slot *R = mk_root(1, MOS_CAP_MEMORY, MOS_RIGHTS_ALL);
    check_tree();
    t.A->next_sibling = R;
    R->prev_sibling = t.A;
    expect_check_fails("roots with siblings");
    t.A->next_sibling = R->prev_sibling = NULL;
    check_tree();

    /* An isolated parent cycle, locally consistent: only reachability sees it. */
    struct cap_slot *x = mk_root(1, MOS_CAP_THREAD, MOS_RIGHTS_ALL);
    struct cap_slot *y = mk_root(2, MOS_CAP_THREAD, MOS_RIGHTS_ALL);
    check_tree();
    x->parent = y; y->first_child = x;
    y->parent = x; x->first_child = y;
    expect_check_fails("parent cycle");
    x->parent = y->parent = x->first_child = y->first_child = NULL;
    check_tree();

    /* A sibling ring under A that A's list does not reach. */
    struct cap_slot *r1 = copy(t.C, 0), *r2 = copy(t.C, 1);
    cdt_delete(t.C, NULL, NULL);                                    /* r1, r2 now under A */
    check_tree();
    struct cap_slot *first = t.A->first_child;                      /* [r2, r1, B] */
    assert_ptr_equal(first, r2);
    t.A->first_child = t.B;
    t.B->prev_sibling = NULL;
    r1->next_sibling = r2;
    r2->prev_sibling = r1;
    expect_check_fails("sibling ring");
}

static void misuse_asserts(void **state)
{
    (void)state;
    struct small_tree t = build_small();
    struct cap_slot *E = cspace_alloc(&cs[0]);
    struct cap ok = t.A->cap;
    struct cap wide = t.B->cap;
    wide.rights = MOS_RIGHTS_ALL;
    struct cap none = { 0 };
    expect_assert_failure(cdt_insert_child(NULL, t.B, &ok));       /* dst full */
    expect_assert_failure(cdt_insert_child(NULL, &slots[0][0], &ok)); /* reserved slot */
    expect_assert_failure(cdt_insert_child(t.B, E, &wide));        /* wider than parent */
    expect_assert_failure(cdt_insert_child(NULL, E, &none));       /* empty cap */
    E->ext = &objs[1];
    expect_assert_failure(cdt_insert_child(NULL, E, &ok));         /* stale ext */
    expect_assert_failure(cdt_move(t.D, E));
    E->ext = NULL;
    expect_assert_failure(cdt_insert_child(E, t.B, &ok));          /* empty parent */
    struct cap_slot *reply = mk_root(1, MOS_CAP_REPLY, MOS_RIGHTS_ALL);
    expect_assert_failure(cdt_insert_child(reply, E, &reply->cap));  /* REPLY never derived */
    expect_assert_failure(cdt_move(E, cspace_alloc(&cs[1])));      /* src empty */
    expect_assert_failure(cdt_move(t.B, t.C));                     /* dst full */
    expect_assert_failure(cdt_delete(E, NULL, NULL));
    expect_assert_failure(cdt_revoke(E, NULL, NULL));
    check_tree();                                                  /* nothing changed */
    expect_children(t.A, 2, t.C, t.B);
    expect_children(t.B, 1, t.D);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rights_subset_every_combination),
        cmocka_unit_test(narrow_never_widens_rights),
        cmocka_unit_test(narrow_copies_type_obj_flags),
        cmocka_unit_test(narrow_range_grid),
        cmocka_unit_test(narrow_range_whole_ignores_base),
        cmocka_unit_test(narrow_range_overflow),
        cmocka_unit_test(narrow_non_range_types_reject_ranges),
        cmocka_unit_test(narrow_badge_rules),
        cmocka_unit_test(narrow_reply_and_invalid_parents),
        cmocka_unit_test(narrow_check_order),
        cmocka_unit_test_setup(cspace_init_empties_everything, setup),
        cmocka_unit_test_setup(lookup_errors_in_documented_order, setup),
        cmocka_unit_test_setup(generation_wraps_in_12_bits, setup),
        cmocka_unit_test_setup(alloc_next_fit_and_full, setup),
        cmocka_unit_test_setup(next_used_walks_in_order, setup),
        cmocka_unit_test_setup(revoke_across_three_cspaces, setup),
        cmocka_unit_test_setup(move_keeps_place_and_children, setup),
        cmocka_unit_test_setup(delete_reparents_in_order, setup),
        cmocka_unit_test_setup(revoke_reaches_reparented, setup),
        cmocka_unit_test_setup(release_exactly_once_with_cap, setup),
        cmocka_unit_test_setup(revoke_deep_chain_on_small_stack, setup),
        cmocka_unit_test_setup(revoke_bounded_resumes, setup),
        cmocka_unit_test_setup(check_catches_corruption, setup),
        cmocka_unit_test_setup(misuse_asserts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
