// SPDX-License-Identifier: MIT
/* test_cdt_model.c - a seeded random test of the capability core against a
 * reference model written separately here. 200,000 operations (CDT_OPS) over
 * 4 cspaces of 64 slots in one long run: create roots, derive (random rights, badge, range,
 * often invalid), copy, move within and across cspaces, delete, revoke (whole
 * or bounded), lookups with live, stale, forged and wrong-cspace handles, and
 * cspace_next_used walks. The model is a plain table: per slot a cap, a
 * generation, a parent id and an ordered array of child ids; revoke removes
 * the descendants found by rescanning all parent ids until nothing changes.
 * After every step every slot (cap, generation, ext, parent, ordered
 * children) and every used count is compared; cdt_check() runs every 64
 * steps. On a mismatch the failing step is replayed with full checking to
 * find the shortest failing prefix, which is then reduced (removing chunks of
 * operations while it still fails) and printed with the seed. CDT_SEED=n
 * replays a seed; the seed is printed on stderr when the test starts. Besides
 * that long run, 200,000 short sequences (CDT_SEQS; 1 to 12 operations each,
 * from empty cspaces, every result compared, every slot and cdt_check() at
 * the end of each) cover what a fresh state makes easy to reach; a failing
 * one is shrunk and printed the same way. Faults planted in the model prove
 * that mismatches are caught and shrunk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cap/cap.h"
#include "fake_kernel.h"

#define NCS         4
#define NSL         64
#define NIDS        (NCS * NSL)
#define CHECK_EVERY 64
#define STALE_RING  64
#define SHRINK_SECONDS 20

/* ------------------------------------------------------------------ rng */

static uint64_t rng_state;

static uint64_t rnd(void)                  /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static bool chance(unsigned pct)
{
    return rnd_below(100) < pct;
}

/* ------------------------------------------------- the system under test */

static struct cap_slot rslots[NCS][NSL];
static struct cspace rcs[NCS];
static struct cspace *const rsp[NCS] = { &rcs[0], &rcs[1], &rcs[2], &rcs[3] };
static char objs[8];                       /* fake kernel objects */
static uintptr_t next_token;               /* values for slot->ext */

static struct cap_slot *rslot(int id)
{
    return &rslots[id / NSL][id % NSL];
}

/* ------------------------------------------------------------- the model */

struct mslot {
    bool live;
    struct cap cap;
    unsigned gen;
    int parent;                /* id, or -1 for a root */
    int nkids;
    int kids[NIDS];            /* newest first */
    uintptr_t ext;
};

static struct mslot M[NIDS];
static int m_last_filled = -1;             /* generator's hint: the newest cap */
static int model_fault;                    /* planted model bugs, see FAULT_* */
enum { FAULT_NONE, FAULT_DELETE_ORPHANS, FAULT_REVOKE_SHALLOW, FAULT_MOVE_KEEPS_GEN,
       FAULT_BADGE_FREE, FAULT_COUNT };

static struct { uint8_t cs; mos_handle_t h; } stale[STALE_RING];
static unsigned nstale;

static bool m_ranged(unsigned type)
{
    return type == MOS_CAP_MEMORY || type == MOS_CAP_IOPORT || type == MOS_CAP_IRQ;
}

static mos_handle_t m_handle(int id)
{
    return (mos_handle_t)(M[id].gen << 20) | (mos_handle_t)(id % NSL);
}

static void m_reset(void)
{
    /* Only the slots a run touched (cheap for the many short sequences). */
    for (int i = 0; i < NIDS; i++) {
        if (M[i].live || M[i].gen || M[i].nkids || M[i].parent != -1 || M[i].ext) {
            memset(&M[i], 0, sizeof M[i]);
            M[i].parent = -1;
        }
    }
    nstale = 0;
    m_last_filled = -1;
}

/* Empty slot id (its handle goes into the ring of stale handles). */
static void m_clear(int id)
{
    unsigned r = nstale++ % STALE_RING;
    stale[r].cs = (uint8_t)(id / NSL);
    stale[r].h = m_handle(id);
    unsigned gen = (M[id].gen + 1) % 4096;
    memset(&M[id], 0, sizeof M[id]);
    M[id].parent = -1;
    M[id].gen = gen;
}

static int m_used(int k)
{
    int n = 0;
    for (int i = 0; i < NSL; i++)
        n += M[k * NSL + i].live;
    return n;
}

static int m_kid_pos(int p, int id)
{
    for (int i = 0; i < M[p].nkids; i++)
        if (M[p].kids[i] == id)
            return i;
    return -1;
}

/* Replace `id` in p's child list with the n ids of `with`. */
static void m_splice(int p, int id, const int *with, int n)
{
    int pos = m_kid_pos(p, id);
    int tmp[NIDS], t = 0;
    for (int i = 0; i < pos; i++)
        tmp[t++] = M[p].kids[i];
    for (int i = 0; i < n; i++)
        tmp[t++] = with[i];
    for (int i = pos + 1; i < M[p].nkids; i++)
        tmp[t++] = M[p].kids[i];
    memcpy(M[p].kids, tmp, sizeof(int) * (size_t)t);
    M[p].nkids = t;
}

static void m_insert(int parent, int id, const struct cap *c, uintptr_t ext)
{
    M[id].live = true;
    M[id].cap = *c;
    M[id].parent = parent;
    M[id].nkids = 0;
    M[id].ext = ext;
    m_last_filled = id;
    if (parent >= 0) {
        memmove(&M[parent].kids[1], &M[parent].kids[0], sizeof(int) * (size_t)M[parent].nkids);
        M[parent].kids[0] = id;
        M[parent].nkids++;
    }
}

static void m_move(int src, int dst)
{
    unsigned dgen = M[dst].gen;
    M[dst] = M[src];
    M[dst].gen = dgen;
    for (int i = 0; i < M[dst].nkids; i++)
        M[M[dst].kids[i]].parent = dst;
    if (M[dst].parent >= 0)
        M[M[dst].parent].kids[m_kid_pos(M[dst].parent, src)] = dst;
    unsigned sgen = M[src].gen;
    m_clear(src);
    if (model_fault == FAULT_MOVE_KEEPS_GEN)
        M[src].gen = sgen;
}

static void m_delete(int id)
{
    int p = M[id].parent;
    if (model_fault == FAULT_DELETE_ORPHANS)
        p = -1;
    for (int i = 0; i < M[id].nkids; i++)
        M[M[id].kids[i]].parent = p;
    if (M[id].parent >= 0)
        m_splice(M[id].parent, id, p >= 0 ? M[id].kids : NULL, p >= 0 ? M[id].nkids : 0);
    m_clear(id);
}

/* Descendants of id: start from {id} and add every live slot whose parent is
 * in the set, until a whole scan adds nothing. */
static int m_descendants(int id, bool in[NIDS])
{
    memset(in, 0, sizeof(bool) * NIDS);
    in[id] = true;
    bool changed = true;
    int rounds = 0;
    while (changed) {
        changed = false;
        rounds++;
        for (int j = 0; j < NIDS; j++) {
            if (M[j].live && !in[j] && M[j].parent >= 0 && in[M[j].parent]) {
                if (model_fault == FAULT_REVOKE_SHALLOW && M[j].parent != id)
                    continue;
                in[j] = true;
                changed = true;
            }
        }
    }
    in[id] = false;
    int n = 0;
    for (int j = 0; j < NIDS; j++)
        n += in[j];
    return n;
}

static void m_revoke(int id, const bool in[NIDS])
{
    for (int j = 0; j < NIDS; j++)
        if (in[j])
            m_clear(j);
    M[id].nkids = 0;
    for (int j = 0; j < NIDS; j++)                  /* survivors of a shallow (faulty) revoke */
        if (M[j].live && M[j].parent >= 0 && !M[M[j].parent].live)
            M[j].parent = -1;
}

/* The lookup rules, from the contract. */
static int m_lookup(int k, mos_handle_t h, int type, uint32_t need, int *id)
{
    if (h == 0 || h == 0xFFFFFFFFu)
        return -MOS_EBADHANDLE;
    uint32_t idx = h & 0xFFFFFu, gen = h >> 20;
    if (idx == 0 || idx >= NSL)
        return -MOS_EBADHANDLE;
    const struct mslot *m = &M[k * NSL + (int)idx];
    if (!m->live || m->gen != gen)
        return -MOS_EBADHANDLE;
    if (type != -1 && m->cap.type != type)
        return -MOS_EBADTYPE;
    if (need & ~(uint32_t)m->cap.rights)
        return -MOS_EPERM;
    *id = k * NSL + (int)idx;
    return 0;
}

/* The narrowing rules, from the contract (with 128-bit sums). */
static int m_narrow(const struct cap *p, uint32_t rights, uint64_t badge, uint64_t base,
                    uint64_t count, struct cap *out)
{
    if (p->type == MOS_CAP_REPLY)
        return -MOS_EPERM;
    for (int b = 0; b < 32; b++)
        if ((rights >> b & 1) && !(p->rights >> b & 1))
            return -MOS_EPERM;
    if (p->badge != 0 && badge != 0 && badge != p->badge && model_fault != FAULT_BADGE_FREE)
        return -MOS_EPERM;
    struct cap c = *p;
    c.rights = (uint8_t)rights;
    if (badge != 0 && (p->badge == 0 || model_fault == FAULT_BADGE_FREE))
        c.badge = badge;
    if (!m_ranged(p->type)) {
        if (base != 0 || count != 0)
            return -MOS_EINVAL;
    } else if (count != 0) {
        unsigned __int128 end = (unsigned __int128)base + count;
        unsigned __int128 pend = (unsigned __int128)p->base + p->count;
        if (end > UINT64_MAX || base < p->base || end > pend)
            return -MOS_ERANGE;
        c.base = base;
        c.count = count;
    }
    *out = c;
    return 0;
}

/* ------------------------------------------------------------ operations */

enum op_kind { OP_CREATE, OP_DERIVE, OP_COPY, OP_MOVE, OP_DELETE, OP_REVOKE, OP_LOOKUP,
               OP_NEXT_USED, OP_KINDS };
static const char *const op_name[OP_KINDS] = { "create", "derive", "copy", "move", "delete",
                                               "revoke", "lookup", "next_used" };

/* One concrete operation: replaying a list of them needs no random numbers,
 * so any sub-list can be replayed (operations whose handle no longer names
 * anything simply fail the lookup, in the model as in the kernel). */
struct op {
    uint8_t kind;
    uint8_t a_cs;              /* cspace the handle is looked up in / next_used walks */
    uint8_t b_cs;              /* destination cspace */
    uint8_t use_alloc;         /* destination: cspace_alloc() (1) or cspace_alloc_at(b_idx) */
    uint32_t b_idx;
    mos_handle_t h;            /* source handle (lookup: the handle probed) */
    int32_t ltype;             /* lookup: type or -1 */
    uint32_t rights;           /* create, derive: rights; lookup: rights needed */
    uint8_t type;              /* create */
    uint8_t obj;               /* create: index into objs */
    uint32_t budget;           /* revoke: 0 = cdt_revoke, else cdt_revoke_bounded steps */
    uint32_t from;             /* next_used */
    uint64_t badge, base, count;
};

static const char *op_dest(const struct op *o, char *buf, size_t n)
{
    if (o->use_alloc)
        snprintf(buf, n, "cs%u alloc", o->b_cs);
    else
        snprintf(buf, n, "cs%u[%u]", o->b_cs, o->b_idx);
    return buf;
}

static int op_describe(const struct op *o, char *buf, size_t n)
{
    char d[32];
    switch (o->kind) {
    case OP_CREATE:
        return snprintf(buf, n, "create type=%u rights=0x%x badge=0x%llx range=[0x%llx,+0x%llx) "
                        "obj=%u -> %s", o->type, o->rights, (unsigned long long)o->badge,
                        (unsigned long long)o->base, (unsigned long long)o->count, o->obj,
                        op_dest(o, d, sizeof d));
    case OP_DERIVE:
        return snprintf(buf, n, "derive cs%u:0x%x rights=0x%x badge=0x%llx range=[0x%llx,+0x%llx) "
                        "-> %s", o->a_cs, o->h, o->rights, (unsigned long long)o->badge,
                        (unsigned long long)o->base, (unsigned long long)o->count,
                        op_dest(o, d, sizeof d));
    case OP_COPY:
    case OP_MOVE:
        return snprintf(buf, n, "%s cs%u:0x%x -> %s", op_name[o->kind], o->a_cs, o->h,
                        op_dest(o, d, sizeof d));
    case OP_DELETE:
        return snprintf(buf, n, "delete cs%u:0x%x", o->a_cs, o->h);
    case OP_REVOKE:
        return snprintf(buf, n, "revoke cs%u:0x%x budget=%u", o->a_cs, o->h, o->budget);
    case OP_LOOKUP:
        return snprintf(buf, n, "lookup cs%u:0x%x type=%d need=0x%x", o->a_cs, o->h, o->ltype,
                        o->rights);
    case OP_NEXT_USED:
        return snprintf(buf, n, "next_used cs%u from %u", o->a_cs, o->from);
    }
    return snprintf(buf, n, "?");
}

/* --------------------------------------------------------------- checks */

static char fail_buf[2048];

__attribute__((format(printf, 1, 2))) static bool mismatch(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail_buf, sizeof fail_buf, fmt, ap);
    va_end(ap);
    return false;
}

static bool cap_equal(const struct cap *a, const struct cap *b)
{
    return a->type == b->type && a->rights == b->rights && a->flags == b->flags &&
           a->_pad == b->_pad && a->badge == b->badge && a->obj == b->obj &&
           a->base == b->base && a->count == b->count;
}

/* Every slot and count of the kernel's state against the model's. */
static bool compare_all(void)
{
    for (int k = 0; k < NCS; k++) {
        if ((int)rcs[k].used != m_used(k))
            return mismatch("cs%d: used %u, model %d", k, rcs[k].used, m_used(k));
        if ((int)cspace_free_count(&rcs[k]) != NSL - 1 - m_used(k))
            return mismatch("cs%d: free count %u", k, cspace_free_count(&rcs[k]));
    }
    for (int id = 0; id < NIDS; id++) {
        const struct cap_slot *s = rslot(id);
        const struct mslot *m = &M[id];
        int k = id / NSL, i = id % NSL;
        if (s->index != (uint32_t)i || s->cs != &rcs[k])
            return mismatch("cs%d[%d]: index/cs fields changed", k, i);
        if ((s->cap.type != MOS_CAP_NONE) != m->live)
            return mismatch("cs%d[%d]: %s, model says %s", k, i, m->live ? "empty" : "full",
                        m->live ? "full" : "empty");
        if (s->gen != m->gen)
            return mismatch("cs%d[%d]: generation %u, model %u", k, i, s->gen, m->gen);
        if (!cap_equal(&s->cap, &m->cap))
            return mismatch("cs%d[%d]: cap differs (type %u/%u rights 0x%x/0x%x badge 0x%llx/0x%llx "
                        "base 0x%llx/0x%llx count 0x%llx/0x%llx)", k, i, s->cap.type, m->cap.type,
                        s->cap.rights, m->cap.rights, (unsigned long long)s->cap.badge,
                        (unsigned long long)m->cap.badge, (unsigned long long)s->cap.base,
                        (unsigned long long)m->cap.base, (unsigned long long)s->cap.count,
                        (unsigned long long)m->cap.count);
        if ((uintptr_t)s->ext != m->ext)
            return mismatch("cs%d[%d]: ext %p, model %#lx", k, i, s->ext, (unsigned long)m->ext);
        const struct cap_slot *want = m->parent >= 0 ? rslot(m->parent) : NULL;
        if (s->parent != want)
            return mismatch("cs%d[%d]: parent differs (model: %d)", k, i, m->parent);
        int n = 0;
        for (const struct cap_slot *c = s->first_child; c; c = c->next_sibling, n++) {
            if (n >= m->nkids)
                return mismatch("cs%d[%d]: more children than the model's %d", k, i, m->nkids);
            if (c != rslot(m->kids[n]))
                return mismatch("cs%d[%d]: child #%d differs from the model's (order or identity)",
                            k, i, n);
        }
        if (n != m->nkids)
            return mismatch("cs%d[%d]: %d children, model %d", k, i, n, m->nkids);
    }
    return true;
}

/* ------------------------------------------------------------- executor */

struct rel_rec {
    struct cap_slot *slot;
    struct cap cap;
    uintptr_t ext;
    bool had_children;
};
static struct rel_rec rel[NIDS + 8];
static int nrel;

static void on_release(struct cap_slot *s, void *ctx)
{
    (void)ctx;
    if (nrel < (int)(sizeof rel / sizeof rel[0]))
        rel[nrel] = (struct rel_rec){ s, s->cap, (uintptr_t)s->ext, s->first_child != NULL };
    nrel++;
    s->ext = NULL;                         /* the glue's duty */
}

static int rid(const struct cap_slot *s)
{
    return (int)(s->cs - rcs) * NSL + (int)s->index;
}

/* Resolve the op's source handle in both; false on a mismatch. *id = -1 if
 * the lookup (rightly) failed. */
static bool lookup_both(const struct op *o, int type, uint32_t need, struct cap_slot **rs, int *id)
{
    struct cap_slot *s = NULL;
    int mid = -1;
    int e = cspace_lookup(&rcs[o->a_cs], o->h, type, need, &s);
    int me = m_lookup(o->a_cs, o->h, type, need, &mid);
    if (e != me)
        return mismatch("lookup cs%u:0x%x type %d need 0x%x: %d, model %d", o->a_cs, o->h, type, need,
                    e, me);
    if (e == 0 && s != rslot(mid))
        return mismatch("lookup cs%u:0x%x: wrong slot", o->a_cs, o->h);
    *rs = s;
    *id = e == 0 ? mid : -1;
    return true;
}

static uint32_t alloc_chosen;              /* index cspace_alloc() gave the last op, or 0 */

/* The destination slot in both; *id = -1 when there is none (full/invalid). */
static bool dest_both(const struct op *o, struct cap_slot **rd, int *id)
{
    int k = o->b_cs;
    *id = -1;
    if (o->use_alloc) {
        struct cap_slot *d = cspace_alloc(&rcs[k]);
        if (m_used(k) == NSL - 1) {
            if (d)
                return mismatch("cspace_alloc(cs%d) gave a slot in a full cspace", k);
            *rd = NULL;
            return true;
        }
        if (!d)
            return mismatch("cspace_alloc(cs%d) failed with %d free", k, NSL - 1 - m_used(k));
        if (d->cs != &rcs[k] || d->index == 0 || M[rid(d)].live)
            return mismatch("cspace_alloc(cs%d) gave slot %u: not a free usable slot", k, d->index);
        if (cspace_alloc(&rcs[k]) != d)
            return mismatch("cspace_alloc(cs%d) twice without filling: different slots", k);
        *rd = d;
        *id = rid(d);
        alloc_chosen = d->index;
        return true;
    }
    struct cap_slot *d = cspace_alloc_at(&rcs[k], o->b_idx);
    bool ok = o->b_idx >= 1 && o->b_idx < NSL && !M[k * NSL + (int)o->b_idx].live;
    if ((d != NULL) != ok || (d && d != &rslots[k][o->b_idx]))
        return mismatch("cspace_alloc_at(cs%d, %u): %p, model %s", k, o->b_idx, (void *)d,
                    ok ? "free" : "unusable");
    *rd = d;
    *id = ok ? k * NSL + (int)o->b_idx : -1;
    return true;
}

static bool exec_op(const struct op *o)
{
    struct cap_slot *rs = NULL, *rd = NULL;
    int src = -1, dst = -1;

    switch (o->kind) {
    case OP_CREATE: {
        if (!dest_both(o, &rd, &dst))
            return false;
        if (!rd)
            return true;
        struct cap c = { .type = o->type, .rights = (uint8_t)o->rights, .badge = o->badge };
        if (m_ranged(o->type)) {
            c.base = o->base;
            c.count = o->count;
        }
        if (o->type != MOS_CAP_IOPORT && o->type != MOS_CAP_IRQ)
            c.obj = &objs[o->obj % 8];
        if (o->type == MOS_CAP_MEMORY)
            c.flags = (uint16_t)(o->obj & 0xF);
        cdt_insert_child(NULL, rd, &c);
        rd->ext = (void *)++next_token;
        m_insert(-1, dst, &c, next_token);
        return true;
    }
    case OP_DERIVE: {
        if (!lookup_both(o, -1, 0, &rs, &src))
            return false;
        if (src < 0)
            return true;
        struct cap rc, mc;
        memset(&rc, 0x5A, sizeof rc);
        int e = cap_narrow(&rs->cap, o->rights, o->badge, o->base, o->count, &rc);
        int me = m_narrow(&M[src].cap, o->rights, o->badge, o->base, o->count, &mc);
        if (e != me)
            return mismatch("cap_narrow: %d, model %d", e, me);
        if (e != 0)
            return true;
        if (!cap_equal(&rc, &mc))
            return mismatch("cap_narrow: result differs from the model's");
        if (!dest_both(o, &rd, &dst))
            return false;
        if (!rd)
            return true;
        cdt_insert_child(rs, rd, &rc);
        rd->ext = (void *)++next_token;
        m_insert(src, dst, &mc, next_token);
        return true;
    }
    case OP_COPY: {
        if (!lookup_both(o, -1, 0, &rs, &src))
            return false;
        if (src < 0 || M[src].cap.type == MOS_CAP_REPLY)   /* the kernel never copies replies */
            return true;
        if (!dest_both(o, &rd, &dst))
            return false;
        if (!rd)
            return true;
        cdt_insert_child(rs, rd, &rs->cap);
        rd->ext = (void *)++next_token;
        struct cap c = M[src].cap;
        m_insert(src, dst, &c, next_token);
        return true;
    }
    case OP_MOVE:
        if (!lookup_both(o, -1, 0, &rs, &src))
            return false;
        if (src < 0)
            return true;
        if (!dest_both(o, &rd, &dst))
            return false;
        if (!rd)
            return true;
        cdt_move(rs, rd);
        m_move(src, dst);
        return true;
    case OP_DELETE:
        if (!lookup_both(o, -1, 0, &rs, &src))
            return false;
        if (src < 0)
            return true;
        nrel = 0;
        cdt_delete(rs, on_release, NULL);
        if (nrel != 1 || rel[0].slot != rs)
            return mismatch("delete: %d releases", nrel);
        if (!cap_equal(&rel[0].cap, &M[src].cap) || rel[0].ext != M[src].ext)
            return mismatch("delete: released without its cap/ext");
        if (rel[0].had_children != (M[src].nkids > 0))
            return mismatch("delete: children already gone at release");
        m_delete(src);
        return true;
    case OP_REVOKE: {
        if (!lookup_both(o, -1, 0, &rs, &src))
            return false;
        if (src < 0)
            return true;
        static bool in[NIDS];
        int want = m_descendants(src, in);
        nrel = 0;
        uint64_t got = 0;
        if (o->budget == 0) {
            got = cdt_revoke(rs, on_release, NULL);
        } else {
            while (cdt_has_children(rs)) {
                uint64_t d = cdt_revoke_bounded(rs, on_release, NULL, o->budget);
                if (d == 0 || d > o->budget)
                    return mismatch("revoke_bounded(%u) deleted %llu", o->budget, (unsigned long long)d);
                got += d;
            }
        }
        if (got != (uint64_t)want || nrel != want)
            return mismatch("revoke: returned %llu, released %d, model %d descendants",
                        (unsigned long long)got, nrel, want);
        static bool seen[NIDS];
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < nrel; i++) {
            int r = rid(rel[i].slot);
            if (!in[r] || seen[r])
                return mismatch("revoke: released cs%d[%d], %s", r / NSL, r % NSL,
                            seen[r] ? "twice" : "not a descendant");
            seen[r] = true;
            if (!cap_equal(&rel[i].cap, &M[r].cap) || rel[i].ext != M[r].ext)
                return mismatch("revoke: cs%d[%d] released without its cap/ext", r / NSL, r % NSL);
            if (rel[i].had_children)
                return mismatch("revoke: cs%d[%d] released before its children", r / NSL, r % NSL);
        }
        m_revoke(src, in);
        return true;
    }
    case OP_LOOKUP:
        return lookup_both(o, o->ltype, o->rights, &rs, &src);
    case OP_NEXT_USED: {
        struct cap_slot *out = NULL;
        int e = cspace_next_used(&rcs[o->a_cs], o->from, &out);
        int want = -1;
        for (uint32_t i = o->from ? o->from : 1; i < NSL; i++)
            if (M[o->a_cs * NSL + (int)i].live) {
                want = (int)i;
                break;
            }
        if ((e == 0) != (want >= 0) || (e != 0 && e != -MOS_ENOENT))
            return mismatch("next_used(cs%u, %u): %d, model index %d", o->a_cs, o->from, e, want);
        if (e == 0 && out != &rslots[o->a_cs][want])
            return mismatch("next_used(cs%u, %u): index %u, model %d", o->a_cs, o->from, out->index, want);
        return true;
    }
    }
    return mismatch("unknown op %u", o->kind);
}

/* ------------------------------------------------------------ generator */

static int m_live_count(void)
{
    int n = 0;
    for (int i = 0; i < NIDS; i++)
        n += M[i].live;
    return n;
}

static int pick_live(void)
{
    int n = m_live_count();
    if (n == 0)
        return -1;
    int want = (int)rnd_below((uint64_t)n);
    for (int i = 0; i < NIDS; i++)
        if (M[i].live && want-- == 0)
            return i;
    return -1;
}

static uint64_t rnd_badge(void)
{
    switch (rnd_below(4)) {
    case 0: return 0;
    case 1: return 1 + rnd_below(4);
    case 2: return rnd();
    default: return UINT64_MAX - rnd_below(2);
    }
}

/* A live slot with children, preferably a root (for big revokes). */
static int pick_parent(void)
{
    int best = -1;
    for (int tries = 0; tries < 8; tries++) {
        int id = pick_live();
        if (id >= 0 && M[id].nkids > 0 && (best < 0 || M[id].parent < 0))
            best = id;
    }
    return best;
}

enum { PICK_ANY, PICK_NEWEST, PICK_PARENT };

/* A source handle: mostly live, sometimes stale, forged or for the wrong
 * cspace. `prefer` biases the live choice, to grow chains and revoke trees. */
static void gen_handle(struct op *o, int prefer)
{
    unsigned r = (unsigned)rnd_below(100);
    int id = pick_live();
    if (prefer == PICK_NEWEST && m_last_filled >= 0 && M[m_last_filled].live && chance(40))
        id = m_last_filled;
    else if (prefer == PICK_PARENT && chance(60) && pick_parent() >= 0)
        id = pick_parent();
    if (r < 82 && id >= 0) {
        o->a_cs = (uint8_t)(id / NSL);
        o->h = m_handle(id);
    } else if (r < 88 && nstale > 0) {
        unsigned j = (unsigned)rnd_below(nstale < STALE_RING ? nstale : STALE_RING);
        o->a_cs = stale[j].cs;
        o->h = stale[j].h;
    } else if (r < 92 && id >= 0) {
        o->a_cs = (uint8_t)((id / NSL + 1 + rnd_below(NCS - 1)) % NCS);
        o->h = m_handle(id);
    } else {
        o->a_cs = (uint8_t)rnd_below(NCS);
        switch (rnd_below(7)) {
        case 0: o->h = 0; break;
        case 1: o->h = MOS_SELF; break;
        case 2: o->h = (mos_handle_t)rnd(); break;
        case 3: o->h = (mos_handle_t)(NSL + rnd_below((1u << 20) - NSL)); break;      /* out of range */
        case 4: o->h = (mos_handle_t)(rnd_below(4096) << 20); break;              /* index 0 */
        default: o->h = (mos_handle_t)((rnd_below(4096) << 20) | (1 + rnd_below(NSL - 1))); break;
        }
    }
}

static void gen_dest(struct op *o, int near)
{
    o->b_cs = (uint8_t)(near >= 0 && chance(30) ? near / NSL : (int)rnd_below(NCS));
    o->use_alloc = chance(60);
    if (!o->use_alloc)
        o->b_idx = chance(90) ? (uint32_t)rnd_below(NSL) : (uint32_t)rnd_below(NSL + 8);
}

static void gen_range(struct op *o, const struct cap *p)
{
    if (!m_ranged(p->type)) {
        if (chance(10)) {
            o->base = rnd_below(3);
            o->count = rnd_below(3);
        }
        return;
    }
    unsigned r = (unsigned)rnd_below(100);
    if (r < 25) {                                   /* whole: base ignored */
        o->base = chance(50) ? 0 : rnd();
        o->count = 0;
    } else if (r < 75 && p->count > 0) {           /* inside */
        uint64_t off = rnd_below(p->count);
        o->base = p->base + off;
        o->count = 1 + rnd_below(p->count - off);
    } else if (r < 88) {                            /* near the edges, often outside */
        o->base = p->base + rnd_below(5) - 2;
        o->count = p->count + rnd_below(5) - 2;
    } else {                                        /* wrapping or wild */
        o->base = UINT64_MAX - rnd_below(4);
        o->count = chance(50) ? rnd_below(8) + 1 : rnd();
    }
}

static bool gen_growing;                   /* phase: filling the spaces up, or draining them */

static struct op gen_op(void)
{
    struct op o;
    memset(&o, 0, sizeof o);
    /* Alternate long phases of growth (until cspaces are full) and decline,
     * so both full and nearly empty spaces are covered. */
    if (rnd_below(1500) == 0)
        gen_growing = !gen_growing;
    unsigned grow = gen_growing ? 75 : 25;
    unsigned r = (unsigned)rnd_below(100);
    if (r < grow) {
        unsigned g = (unsigned)rnd_below(100);
        o.kind = g < 15 ? OP_CREATE : g < 70 ? OP_DERIVE : OP_COPY;
    } else {
        unsigned g = (unsigned)rnd_below(100);
        o.kind = g < 20 ? OP_MOVE : g < 42 ? OP_DELETE : g < 52 ? OP_REVOKE : g < 85 ? OP_LOOKUP
                                                                                  : OP_NEXT_USED;
    }
    switch (o.kind) {
    case OP_CREATE:
        o.type = (uint8_t)(1 + rnd_below(MOS_CAP_TYPE_COUNT - 1));
        o.rights = (uint32_t)rnd_below(MOS_RIGHTS_ALL + 1);
        o.badge = chance(70) ? 0 : rnd_badge();
        o.obj = (uint8_t)rnd_below(256);
        if (m_ranged(o.type)) {
            o.count = chance(3) ? 0 : 1 + rnd_below(1000);
            switch (rnd_below(4)) {
            case 0: o.base = UINT64_MAX - o.count - rnd_below(3); break;   /* at the very top */
            case 1: o.base = rnd() % (UINT64_MAX - o.count); break;
            default: o.base = rnd_below(1000); break;
            }
        }
        gen_dest(&o, -1);
        break;
    case OP_DERIVE: {
        gen_handle(&o, PICK_NEWEST);
        int mid = -1;
        const struct cap *p = NULL;
        if (m_lookup(o.a_cs, o.h, -1, 0, &mid) == 0)
            p = &M[mid].cap;
        struct cap none = { .type = MOS_CAP_ENDPOINT };
        if (!p)
            p = &none;
        o.rights = chance(75) ? (uint32_t)rnd() & p->rights : (uint32_t)rnd_below(0x40);
        o.badge = chance(50) ? 0 : chance(40) && p->badge ? p->badge : rnd_badge();
        gen_range(&o, p);
        gen_dest(&o, mid);
        break;
    }
    case OP_COPY:
    case OP_MOVE: {
        gen_handle(&o, o.kind == OP_COPY ? PICK_NEWEST : PICK_ANY);
        int mid = -1;
        (void)m_lookup(o.a_cs, o.h, -1, 0, &mid);
        gen_dest(&o, mid);
        break;
    }
    case OP_DELETE:
        gen_handle(&o, PICK_ANY);
        break;
    case OP_REVOKE:
        gen_handle(&o, PICK_PARENT);
        o.budget = chance(50) ? 0 : 1 + (uint32_t)rnd_below(8);
        break;
    case OP_LOOKUP:
        gen_handle(&o, PICK_ANY);
        o.ltype = chance(50) ? -1 : (int32_t)rnd_below(MOS_CAP_TYPE_COUNT + 1);
        o.rights = chance(40) ? 0 : (uint32_t)rnd_below(0x40);
        break;
    case OP_NEXT_USED:
        o.a_cs = (uint8_t)rnd_below(NCS);
        o.from = chance(10) ? (uint32_t)rnd() : (uint32_t)rnd_below(NSL + 4);
        break;
    }
    return o;
}

/* -------------------------------------------------------- run and shrink */

static void reset_all(void)
{
    for (int k = 0; k < NCS; k++)
        cspace_init(&rcs[k], rslots[k], NSL, NULL);
    m_reset();
    next_token = 0;
    gen_growing = true;
    fail_buf[0] = '\0';
    host_log_clear();
}

static bool step(const struct op *o, bool check)
{
    if (!exec_op(o) || !compare_all())
        return false;
    if (check && !cdt_check(rsp, NCS))
        return mismatch("cdt_check: %s", host_log);
    return true;
}

/* Replay ops[0..n) from scratch; returns the index of the first failing
 * operation, or -1 if all pass. If chosen != NULL, chosen[i] = the slot index
 * cspace_alloc() gave op i (0 if none). */
static long replay_rec(const struct op *ops, size_t n, bool check_every, uint32_t *chosen)
{
    reset_all();
    for (size_t i = 0; i < n; i++) {
        alloc_chosen = 0;
        bool ok = step(&ops[i], check_every || i % CHECK_EVERY == 0 || i + 1 == n);
        if (chosen)
            chosen[i] = alloc_chosen;
        if (!ok)
            return (long)i;
    }
    return -1;
}

static long replay(const struct op *ops, size_t n, bool check_every)
{
    return replay_rec(ops, n, check_every, NULL);
}

/* Replace "cspace_alloc()" destinations by the slots it chose, so that the
 * ops no longer depend on allocation history and more of them can go. Kept
 * only if the sequence still fails. */
static void concretize(struct op *ops, size_t n)
{
    uint32_t *chosen = calloc(n, sizeof *chosen);
    struct op *c = malloc(sizeof *c * n);
    assert_true(chosen && c);
    replay_rec(ops, n, true, chosen);
    memcpy(c, ops, sizeof *c * n);
    for (size_t i = 0; i < n; i++) {
        if (c[i].use_alloc && chosen[i]) {
            c[i].use_alloc = 0;
            c[i].b_idx = chosen[i];
        }
    }
    if (replay(c, n, true) >= 0)
        memcpy(ops, c, sizeof *c * n);
    free(chosen);
    free(c);
}

/* Shrink a failing sequence in place: first to the shortest failing prefix,
 * then by removing chunks while it still fails (1-minimal unless the time
 * budget ran out). Returns the new length. */
static size_t shrink(struct op *ops, size_t n, size_t *prefix_out, bool *minimal)
{
    long f = replay(ops, n, true);
    assert_true(f >= 0);                                  /* it failed: it must fail again */
    n = (size_t)f + 1;
    assert_true(replay(ops, n, true) >= 0);               /* the prefix fails ... */
    assert_true(n == 1 || replay(ops, n - 1, true) < 0);  /* ... and no shorter one does */
    *prefix_out = n;
    concretize(ops, n);

    struct op *tmp = malloc(sizeof *tmp * n);
    assert_non_null(tmp);
    time_t t0 = time(NULL);
    size_t chunk = n / 2 ? n / 2 : 1;
    *minimal = false;
    while (time(NULL) - t0 < SHRINK_SECONDS) {
        bool removed = false;
        for (size_t start = 0; start < n && n > 1 && time(NULL) - t0 < SHRINK_SECONDS;) {
            size_t len = chunk < n - start ? chunk : n - start;
            memcpy(tmp, ops, sizeof *ops * start);
            memcpy(tmp + start, ops + start + len, sizeof *ops * (n - start - len));
            if (n - len > 0 && replay(tmp, n - len, true) >= 0) {
                memcpy(ops, tmp, sizeof *ops * (n - len));
                n -= len;
                removed = true;
            } else {
                start += len;
            }
        }
        if (!removed) {
            if (chunk == 1) {
                *minimal = true;
                break;
            }
            chunk /= 2;
        } else if (chunk > n / 2 && n > 1) {
            chunk = n / 2;
        }
    }
    free(tmp);
    return n;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* The seed of the random runs (one per process, printed; CDT_SEED=n sets it). */
static uint64_t random_seed(void)
{
    static uint64_t seed;
    if (!seed)
        seed = env_u64("CDT_SEED", ((uint64_t)time(NULL) ^ ((uint64_t)clock() << 32)) | 1);
    return seed;
}

struct run_result {
    bool failed;
    size_t fail_step, prefix, reduced_len;
    bool minimal;
    struct op *reduced;            /* malloc'ed when failed */
    char msg[sizeof fail_buf];
};

/* Generate and run nops random operations from seed; on a mismatch, shrink
 * and (unless quiet) print the reduced sequence with the seed. */
static struct run_result run_random(uint64_t seed, size_t nops, bool quiet)
{
    struct run_result res = { 0 };
    struct op *ops = calloc(nops ? nops : 1, sizeof *ops);
    assert_non_null(ops);
    rng_state = seed;
    reset_all();
    for (size_t i = 0; i < nops; i++) {
        ops[i] = gen_op();
        if (step(&ops[i], i % CHECK_EVERY == 0 || i + 1 == nops))
            continue;
        res.failed = true;
        res.fail_step = i;
        snprintf(res.msg, sizeof res.msg, "%s", fail_buf);
        res.reduced_len = shrink(ops, i + 1, &res.prefix, &res.minimal);
        replay(ops, res.reduced_len, true);               /* leave its message in fail_buf */
        res.reduced = ops;
        if (!quiet) {
            fprintf(stderr, "CDT model mismatch: seed %llu (replay: CDT_SEED=%llu CDT_OPS=%zu)\n"
                    "  step %zu: %s\n  shortest failing prefix: %zu ops; reduced to %zu ops%s:\n",
                    (unsigned long long)seed, (unsigned long long)seed, nops, i, res.msg,
                    res.prefix, res.reduced_len, res.minimal ? " (1-minimal)" : "");
            for (size_t j = 0; j < res.reduced_len; j++) {
                char d[256];
                op_describe(&ops[j], d, sizeof d);
                if (res.reduced_len <= 80 || j < 40 || j + 40 >= res.reduced_len)
                    fprintf(stderr, "    %4zu  %s\n", j, d);
                else if (j == 40)
                    fprintf(stderr, "    ...\n");
            }
            fprintf(stderr, "  the reduced sequence fails with: %s\n", fail_buf);
        }
        return res;
    }
    free(ops);
    return res;
}

/* ------------------------------------------------------------------ tests */

/* Fail the current test with a message that also reaches the TAP report
 * (cmocka's fail_msg() text goes to stderr only). */
__attribute__((format(printf, 1, 2))) static void report_failure(const char *fmt, ...)
{
    static char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    _assert_true(0, buf, __FILE__, __LINE__);
}

static void report_run_failure(uint64_t seed, size_t nops, struct run_result *r)
{
    char ops_text[6000];
    size_t len = 0;
    for (size_t j = 0; j < r->reduced_len && j < 40 && len < sizeof ops_text - 300; j++) {
        char d[256];
        op_describe(&r->reduced[j], d, sizeof d);
        len += (size_t)snprintf(ops_text + len, sizeof ops_text - len, "\n    %2zu  %s", j, d);
    }
    ops_text[len] = '\0';
    free(r->reduced);
    report_failure("CDT model mismatch, seed %llu (replay: CDT_SEED=%llu CDT_OPS=%zu): step %zu: %s; "
                   "shortest failing prefix %zu ops, reduced to %zu ops%s:%s",
                   (unsigned long long)seed, (unsigned long long)seed, nops, r->fail_step, r->msg,
                   r->prefix, r->reduced_len, r->minimal ? " (1-minimal)" : "", ops_text);
}

static void model_random_ops(void **state)
{
    (void)state;
    uint64_t seed = random_seed();
    size_t nops = (size_t)env_u64("CDT_OPS", 200000);
    fprintf(stderr, "test_cdt_model: CDT_SEED=%llu CDT_OPS=%zu\n", (unsigned long long)seed, nops);
    struct run_result r = run_random(seed, nops, false);
    if (r.failed)
        report_run_failure(seed, nops, &r);
}

#define SEQ_COUNT 200000
#define SEQ_MAX   12

/* nseq independent sequences of 1..SEQ_MAX operations, each from empty
 * cspaces: every operation's result is compared as it runs, every slot and
 * cdt_check() after the last one. On a mismatch the sequence is shrunk
 * (replayed with full checks after every step) and, unless quiet, printed.
 * res.fail_step is the number of the failing sequence. */
static struct run_result run_sequences(uint64_t seed, size_t nseq, bool quiet)
{
    struct run_result res = { 0 };
    struct op ops[SEQ_MAX];
    rng_state = seed ^ 0x5E0E5E0E5E0E5E0Eull;
    for (size_t s = 0; s < nseq; s++) {
        size_t n = 1 + (size_t)rnd_below(SEQ_MAX);
        reset_all();
        gen_growing = chance(70);
        bool ok = true;
        size_t i;
        for (i = 0; i < n && ok; i++) {
            ops[i] = gen_op();
            ok = i + 1 < n ? exec_op(&ops[i]) : step(&ops[i], true);
        }
        if (ok)
            continue;
        res.failed = true;
        res.fail_step = s;
        snprintf(res.msg, sizeof res.msg, "%s", fail_buf);
        res.reduced = malloc(sizeof *res.reduced * i);
        assert_non_null(res.reduced);
        memcpy(res.reduced, ops, sizeof *ops * i);
        res.reduced_len = shrink(res.reduced, i, &res.prefix, &res.minimal);
        replay(res.reduced, res.reduced_len, true);
        if (!quiet) {
            fprintf(stderr, "CDT model mismatch: sequence %zu of seed %llu (replay: CDT_SEED=%llu CDT_SEQS=%zu)\n"
                    "  %s\n  reduced to %zu ops%s:\n", s, (unsigned long long)seed, (unsigned long long)seed,
                    s + 1, res.msg, res.reduced_len, res.minimal ? " (1-minimal)" : "");
            for (size_t j = 0; j < res.reduced_len; j++) {
                char d[256];
                op_describe(&res.reduced[j], d, sizeof d);
                fprintf(stderr, "    %4zu  %s\n", j, d);
            }
        }
        return res;
    }
    return res;
}

static void model_short_sequences(void **state)
{
    (void)state;
    uint64_t seed = random_seed();
    size_t nseq = (size_t)env_u64("CDT_SEQS", SEQ_COUNT);
    fprintf(stderr, "test_cdt_model: CDT_SEED=%llu CDT_SEQS=%zu\n", (unsigned long long)seed, nseq);
    struct run_result r = run_sequences(seed, nseq, false);
    if (r.failed) {
        char ops_text[4000];
        size_t len = 0;
        for (size_t j = 0; j < r.reduced_len && len < sizeof ops_text - 300; j++) {
            char d[256];
            op_describe(&r.reduced[j], d, sizeof d);
            len += (size_t)snprintf(ops_text + len, sizeof ops_text - len, "\n    %2zu  %s", j, d);
        }
        ops_text[len] = '\0';
        free(r.reduced);
        report_failure("CDT model mismatch in sequence %zu, seed %llu (replay: CDT_SEED=%llu CDT_SEQS=%zu): %s; "
                       "reduced to %zu ops%s:%s", r.fail_step, (unsigned long long)seed,
                       (unsigned long long)seed, r.fail_step + 1, r.msg, r.reduced_len,
                       r.minimal ? " (1-minimal)" : "", ops_text);
    }
}

/* Fixed seeds, so a regression shows up the same way every time. */
static void model_fixed_seeds(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct run_result r = run_random(seed, 25000, false);
        if (r.failed)
            report_run_failure(seed, 25000, &r);
    }
}

/* The generator really covers the ground: every kind of op, full cspaces,
 * each lookup error, rejected derivations, deep trees, big revokes across
 * cspaces, deletes that re-parent, moves across cspaces. */
static void generator_covers_cases(void **state)
{
    (void)state;
    unsigned kinds[OP_KINDS] = { 0 }, lookup_res[4] = { 0 };
    unsigned alloc_full = 0, narrow_err = 0, narrow_range = 0, big_revokes = 0, wide_revokes = 0;
    unsigned reparenting_deletes = 0, cross_moves = 0, max_depth = 0, max_live = 0, min_live = NIDS;
    static bool in[NIDS];
    rng_state = 99;
    reset_all();
    for (int i = 0; i < 40000; i++) {
        struct op o = gen_op();
        kinds[o.kind]++;
        int id = -1;
        int e = m_lookup(o.a_cs, o.h, o.kind == OP_LOOKUP ? o.ltype : -1,
                         o.kind == OP_LOOKUP ? o.rights : 0, &id);
        if (o.kind != OP_CREATE && o.kind != OP_NEXT_USED)
            lookup_res[e == 0 ? 0 : -e == MOS_EBADHANDLE ? 1 : -e == MOS_EBADTYPE ? 2 : 3]++;
        bool dst_full = o.use_alloc && m_used(o.b_cs) == NSL - 1;
        if (e == 0) {
            struct cap c;
            if (o.kind == OP_DERIVE) {
                int ne = m_narrow(&M[id].cap, o.rights, o.badge, o.base, o.count, &c);
                narrow_err += ne != 0;
                narrow_range += ne == 0 && o.count != 0;
                alloc_full += ne == 0 && dst_full;
            }
            if (o.kind == OP_REVOKE) {
                unsigned n = (unsigned)m_descendants(id, in), cspaces = 0;
                for (int k = 0; k < NCS; k++)
                    for (int j = 0; j < NSL; j++)
                        if (in[k * NSL + j]) {
                            cspaces++;
                            break;
                        }
                big_revokes += n >= 5;
                wide_revokes += cspaces >= 3;
            }
            reparenting_deletes += o.kind == OP_DELETE && M[id].nkids > 0 && M[id].parent >= 0;
            cross_moves += o.kind == OP_MOVE && !dst_full && o.b_cs != id / NSL;
        }
        if (o.kind == OP_CREATE)
            alloc_full += dst_full;
        assert_true(step(&o, i % CHECK_EVERY == 0));
        unsigned live = (unsigned)m_live_count();
        max_live = live > max_live ? live : max_live;
        min_live = live < min_live ? live : min_live;
        for (int j = 0; j < NIDS; j++) {
            unsigned d = 0;
            for (int p = j; M[p].live && M[p].parent >= 0; p = M[p].parent)
                d++;
            max_depth = d > max_depth ? d : max_depth;
        }
    }
    if (getenv("CDT_VERBOSE")) {
        fprintf(stderr, "ops:");
        for (int k = 0; k < OP_KINDS; k++)
            fprintf(stderr, " %s=%u", op_name[k], kinds[k]);
        fprintf(stderr, "\nlookups ok=%u badhandle=%u badtype=%u perm=%u; alloc_full=%u "
                "narrow_err=%u narrow_range=%u big_revokes=%u wide_revokes=%u "
                "reparenting_deletes=%u cross_moves=%u depth<=%u live %u..%u\n",
                lookup_res[0], lookup_res[1], lookup_res[2], lookup_res[3], alloc_full, narrow_err,
                narrow_range, big_revokes, wide_revokes, reparenting_deletes, cross_moves,
                max_depth, min_live, max_live);
    }
    for (int k = 0; k < OP_KINDS; k++)
        assert_true(kinds[k] > 1000);
    for (int k = 0; k < 4; k++)
        assert_true(lookup_res[k] > 100);
    assert_true(alloc_full > 100);
    assert_true(narrow_err > 500);
    assert_true(narrow_range > 500);
    assert_true(big_revokes > 50);
    assert_true(wide_revokes > 50);
    assert_true(reparenting_deletes > 200);
    assert_true(cross_moves > 500);
    assert_true(max_depth >= 8);
    assert_true(max_live == NIDS - NCS);
    assert_true(min_live < 40);
}

static void same_seed_same_ops(void **state)
{
    (void)state;
    enum { N = 3000 };
    static struct op a[N], b[N];
    for (int pass = 0; pass < 2; pass++) {
        struct op *o = pass ? b : a;
        rng_state = 4242;
        reset_all();
        for (int i = 0; i < N; i++) {
            o[i] = gen_op();
            assert_true(step(&o[i], false));
        }
    }
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(replay(a, N, true), -1);   /* a recorded sequence replays cleanly */
}

/* Planted model bugs: each must be caught and shrunk to a short, 1-minimal
 * sequence that still fails. */
static void planted_faults_are_caught_and_shrunk(void **state)
{
    (void)state;
    static const char *const names[FAULT_COUNT] = {
        "", "delete orphans children", "revoke only direct children",
        "move keeps the generation", "badge may change" };
    bool verbose = getenv("CDT_VERBOSE") != NULL;
    for (int f = FAULT_NONE + 1; f < FAULT_COUNT; f++) {
        model_fault = f;
        struct run_result r = run_random(7, 20000, !verbose);
        if (!r.failed) {
            model_fault = FAULT_NONE;
            report_failure("planted fault '%s' not detected", names[f]);
        }
        bool ok = r.minimal && r.reduced_len >= 2 && r.reduced_len <= 8;
        /* it still fails, and dropping any one op makes it pass */
        bool still = replay(r.reduced, r.reduced_len, true) >= 0;
        bool each = true;
        struct op tmp[8];
        for (size_t j = 0; ok && j < r.reduced_len; j++) {
            size_t m = 0;
            for (size_t i = 0; i < r.reduced_len; i++)
                if (i != j)
                    tmp[m++] = r.reduced[i];
            if (replay(tmp, m, true) >= 0)
                each = false;
        }
        if (verbose)
            fprintf(stderr, "fault '%s': step %zu, prefix %zu, reduced %zu\n", names[f],
                    r.fail_step, r.prefix, r.reduced_len);
        size_t len = r.reduced_len;
        free(r.reduced);
        model_fault = FAULT_NONE;
        if (!ok || !still || !each)
            report_failure("fault '%s': reduced to %zu ops (minimal %d, still fails %d, each op needed %d)",
                     names[f], len, r.minimal, still, each);
        /* The short sequences catch it too (from a fresh state). */
        model_fault = f;
        r = run_sequences(7, 20000, true);
        model_fault = FAULT_NONE;
        if (!r.failed)
            report_failure("planted fault '%s' not detected by the short sequences", names[f]);
        len = r.reduced_len;
        still = replay(r.reduced, r.reduced_len, true) >= 0;
        free(r.reduced);
        if (!r.minimal || len > 8 || still)
            report_failure("fault '%s' in the short sequences: reduced to %zu ops (minimal %d, fails with "
                           "the model fixed %d)", names[f], len, r.minimal, still);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generator_covers_cases),
        cmocka_unit_test(same_seed_same_ops),
        cmocka_unit_test(planted_faults_are_caught_and_shrunk),
        cmocka_unit_test(model_fixed_seeds),
        cmocka_unit_test(model_random_ops),
        cmocka_unit_test(model_short_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
