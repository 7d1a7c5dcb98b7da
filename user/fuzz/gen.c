// SPDX-License-Identifier: MIT
/* gen.c - typed program generation and mutation. The call table is the one
 * tools/gen_syscalls.py generates from syscalls.def (syscall_names.h): per
 * call its argument kind letters and the kind of its result. An argument is
 * made from its letter so that most calls get past their first check: a
 * handle argument is usually an earlier result or a pool handle of the right
 * type, a length is usually small, a pointer usually points into the
 * executor's arena, and so on; a share of every kind is deliberately wrong
 * (random handles, the kernel half, unmapped or read-only memory, reserved
 * bits) so the refusal paths are reached too. A few calls have hints where
 * the letter alone says too little (cap_create's type, thread_create's entry
 * and stack, proc_create's argument block). Pure: no system calls; all
 * randomness comes from the caller's fz_rng. */
#include "fuzz.h"

#include <mos/caps.h>
#include <mos/ipc.h>
#include <mos/kcov.h>
#include <mos/proc.h>
#include <mos/syscall.h>
#include "lib/string.h"
#include "syscall_names.h"

/* ---------------------------------------------------------------- rng */
uint64_t fz_rand(struct fz_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fz_below(struct fz_rng *r, uint64_t n)
{
    return n ? fz_rand(r) % n : 0;
}

bool fz_chance(struct fz_rng *r, unsigned percent)
{
    return fz_below(r, 100) < percent;
}

/* ---------------------------------------------------------------- the table */
static const char *const pseudo_names[FZ_NPSEUDO] = { "setcaps", "fault", "wait" };
static const char *const pseudo_kinds[FZ_NPSEUDO] = { "hhhhn", "n", "nd" };

const char *fz_call_name(unsigned nr)
{
    if (nr >= FZ_P_SETCAPS && nr < FZ_P_SETCAPS + FZ_NPSEUDO)
        return pseudo_names[nr - FZ_P_SETCAPS];
    return nr < MOS_SYSCALL_TABLE_SIZE ? mos_syscall_names[nr] : NULL;
}

const char *fz_call_kinds(unsigned nr)
{
    if (nr >= FZ_P_SETCAPS && nr < FZ_P_SETCAPS + FZ_NPSEUDO)
        return pseudo_kinds[nr - FZ_P_SETCAPS];
    return nr < MOS_SYSCALL_TABLE_SIZE ? mos_syscall_kinds[nr] : NULL;
}

char fz_call_result(unsigned nr)
{
    return nr < MOS_SYSCALL_TABLE_SIZE ? mos_syscall_result[nr] : 0;
}

unsigned fz_call_by_name(const char *name)
{
    for (unsigned nr = 1; nr < MOS_SYSCALL_TABLE_SIZE; nr++) {
        if (mos_syscall_names[nr] && strcmp(mos_syscall_names[nr], name) == 0)
            return nr;
    }
    for (unsigned i = 0; i < FZ_NPSEUDO; i++) {
        if (strcmp(pseudo_names[i], name) == 0)
            return FZ_P_SETCAPS + i;
    }
    return 0;
}

unsigned fz_table_calls(void)
{
    unsigned n = 0;
    for (unsigned nr = 1; nr < MOS_SYSCALL_TABLE_SIZE; nr++)
        n += mos_syscall_names[nr] != NULL;
    return n;
}

/* What the executor's pool holds (exec.c makes it in this order). */
static const char pool_type[FZ_POOL + 1] = "EEMMPTTTEM";

/* Relative weights of the calls; unlisted calls weigh DEFAULT_WEIGHT. The
 * calls that only a privileged process could use (irq_bind, log_read) and
 * the ones that end the executor are rarer. */
#define DEFAULT_WEIGHT 10
static unsigned call_weight(unsigned nr)
{
    switch (nr) {
    case SYS_mem_alloc: case SYS_cap_create: case SYS_cap_transfer: case SYS_mem_map:
        return 14;
    case SYS_proc_destroy: case SYS_thread_destroy: case SYS_thread_yield:
        return 4;
    case SYS_irq_bind: case SYS_log_read: case SYS_debug_write:
        return 2;
    case FZ_P_SETCAPS:
        return 6;
    case FZ_P_WAIT:
        return 3;
    case FZ_P_FAULT:
        return 1;
    default:
        return DEFAULT_WEIGHT;
    }
}

static unsigned pick_call(struct fz_rng *r)
{
    static unsigned total;
    static unsigned nrs[MOS_SYSCALL_TABLE_SIZE + FZ_NPSEUDO];
    static unsigned weights[MOS_SYSCALL_TABLE_SIZE + FZ_NPSEUDO];
    static unsigned n;
    if (!total) {
        for (unsigned nr = 1; nr < MOS_SYSCALL_TABLE_SIZE; nr++) {
            if (mos_syscall_names[nr]) {
                nrs[n] = nr;
                weights[n] = call_weight(nr);
                total += weights[n++];
            }
        }
        for (unsigned i = 0; i < FZ_NPSEUDO; i++) {
            nrs[n] = FZ_P_SETCAPS + i;
            weights[n] = call_weight(FZ_P_SETCAPS + i);
            total += weights[n++];
        }
    }
    uint64_t x = fz_below(r, total);
    for (unsigned i = 0; i < n; i++) {
        if (x < weights[i])
            return nrs[i];
        x -= weights[i];
    }
    return nrs[0];
}

/* ---------------------------------------------------------------- values */
static struct fz_arg cnst(uint64_t v)
{
    return (struct fz_arg){ .kind = FA_CONST, .val = v };
}

static struct fz_arg mk(uint32_t kind, uint64_t v)
{
    return (struct fz_arg){ .kind = kind, .val = v };
}

static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 4095, 4096, 4097, 65535, 65536,
    1ull << 20, 1ull << 24, (1ull << 24) + 1, 1ull << 28, (1ull << 28) + 1, 1ull << 31, 1ull << 32,
    0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull,
    0xFFFFFFFFFFFFF000ull,
};
#define NINTERESTING (sizeof interesting / sizeof interesting[0])

static uint64_t any_value(struct fz_rng *r)
{
    switch (fz_below(r, 4)) {
    case 0:
        return interesting[fz_below(r, NINTERESTING)];
    case 1:
        return fz_below(r, 32);
    case 2:
        return fz_rand(r) >> fz_below(r, 64);
    default:
        return fz_rand(r);
    }
}

/* Addresses a pointer or mapping argument gets when it is meant to be wrong. */
static uint64_t bad_address(struct fz_rng *r)
{
    static const uint64_t bad[] = {
        0, 0x1000, 0x400000, 0x400010, 0x0000800000000000ull, 0x00007FFFFFFFF000ull,
        0x00007FFFFFFF0000ull /* kinfo */, 0xFFFF800000000000ull, 0xFFFFFFFF80200000ull,
        FZ_MAP_VA + 1, FZ_MAP_VA + FZ_MAP_PAGES * 4096ull * 16, FZ_SHM_VA, 0x00007FFFFFFEF000ull,
        0x0000010000000000ull,
    };
    if (fz_chance(r, 80))
        return bad[fz_below(r, sizeof bad / sizeof bad[0])];
    return any_value(r);
}

static uint64_t gen_length(struct fz_rng *r)
{
    unsigned x = (unsigned)fz_below(r, 100);
    if (x < 5)
        return 0;
    if (x < 50)
        return 1 + fz_below(r, 4);
    if (x < 70)
        return 5 + fz_below(r, 12);
    if (x < 85)
        return 1ull << fz_below(r, 13);
    return any_value(r);
}

static uint64_t gen_rights(struct fz_rng *r)
{
    unsigned x = (unsigned)fz_below(r, 100);
    uint64_t v = fz_below(r, MOS_RIGHTS_ALL + 1);
    if (x < 70)
        return v;
    if (x < 85)
        return v | MOS_XFER_MOVE;
    return any_value(r);
}

static uint64_t gen_prot(struct fz_rng *r)
{
    static const uint64_t p[] = { 1, 3, 1, 3, 5, 1, 0, 7, 2, 4, 6, 8 };
    if (fz_chance(r, 90))
        return p[fz_below(r, sizeof p / sizeof p[0])];
    return any_value(r);
}

static uint64_t gen_flags(struct fz_rng *r)
{
    unsigned x = (unsigned)fz_below(r, 100);
    if (x < 45)
        return 0;
    if (x < 75)
        return 1ull << fz_below(r, 4);
    if (x < 85)
        return MOS_MSG_REPLY_SLOT;
    return any_value(r);
}

static uint64_t gen_timeout(struct fz_rng *r, bool worker)
{
    unsigned x = (unsigned)fz_below(r, 100);
    if (x < 45)
        return 0;
    if (x < 85)
        return 1000 + fz_below(r, 200000);
    if (x < (worker ? 95u : 87u))
        return UINT64_MAX;
    return any_value(r);
}

static uint64_t gen_info(struct fz_rng *r, unsigned nr)
{
    uint32_t label = (uint32_t)fz_below(r, 8);
    uint32_t bytes = 0, ncaps = 0, flags = 0;
    unsigned x = (unsigned)fz_below(r, 100);
    if (x >= 55)
        bytes = x < 80 ? (uint32_t)(1 + fz_below(r, 64)) : x < 90 ? 4096 : (uint32_t)fz_below(r, 8192);
    x = (unsigned)fz_below(r, 100);
    if (x >= 60)
        ncaps = x < 95 ? (uint32_t)(1 + fz_below(r, 4)) : (uint32_t)fz_below(r, 8);
    if ((nr == SYS_ipc_send || nr == SYS_ipc_call) && fz_chance(r, 60))
        flags |= MOS_MSG_NONBLOCK;
    if (fz_chance(r, 10))
        flags |= MOS_MSG_REPLY_SLOT;
    if (fz_chance(r, 4))
        flags |= (uint32_t)(fz_rand(r) & 0xFF000000u);
    uint64_t info = ((uint64_t)label << 32) | bytes | ((uint64_t)ncaps << 16) | flags;
    if (fz_chance(r, 3))
        info ^= fz_rand(r) & 0xFFFFull;     /* reserved bits */
    return info;
}

static uint64_t gen_priocpu(struct fz_rng *r)
{
    if (fz_chance(r, 85)) {
        uint64_t v = MOS_THREAD_PRIO(1 + fz_below(r, 31));
        if (fz_chance(r, 40))
            v |= MOS_THREAD_CPU(fz_below(r, 3));
        return v;
    }
    return any_value(r);
}

/* ---------------------------------------------------------------- handles */
/* The handle type letter (upper case, or 'h' unknown) call j returns. */
static char res_type(const struct fz_prog *p, unsigned j, unsigned depth)
{
    const struct fz_call *c = &p->c[j];
    char t = fz_call_result(c->nr);
    if (t == 'h' && c->nr == SYS_cap_transfer && depth < 4) {
        if (c->a[0].kind == FA_RES && c->a[0].val < j)
            return res_type(p, (unsigned)c->a[0].val, depth + 1);
        if (c->a[0].kind == FA_POOL && c->a[0].val < FZ_POOL)
            return pool_type[c->a[0].val];
    }
    return t;
}

static bool type_fits(char have, char want)
{
    if (!have)
        return false;
    return want == 'h' || have == want || have == 'h';
}

static uint64_t junk_handle(struct fz_rng *r)
{
    /* Small indexes name real capabilities of the executor (generation 0
     * or 1): the wrong type, or something the program did not make. */
    switch (fz_below(r, 6)) {
    case 0:
        return 1 + fz_below(r, fz_chance(r, 50) ? 24 : 512);
    case 1:
        return ((fz_below(r, 3)) << MOS_HANDLE_INDEX_BITS) | (1 + fz_below(r, 64));
    case 2:
        return 0;
    case 3:
        return MOS_SELF;
    case 4:
        return 0xFFFFFu;
    default:
        return fz_rand(r) & 0xFFFFFFFFu;
    }
}

/* A handle of type `want` (upper case letter, or 'h' for any) for call ci. */
static struct fz_arg gen_handle(struct fz_rng *r, const struct fz_prog *p, unsigned ci, char want)
{
    struct fz_arg cand[FZ_MAX_CALLS + FZ_POOL + 2];
    unsigned n = 0;
    for (unsigned j = 0; j < ci; j++) {
        if (type_fits(res_type(p, j, 0), want))
            cand[n++] = mk(FA_RES, j);
    }
    for (unsigned i = 0; i < FZ_POOL; i++) {
        if (type_fits(pool_type[i], want))
            cand[n++] = mk(FA_POOL, i);
    }
    if (want == 'Y' || want == 'h')
        cand[n++] = mk(FA_IPCREPLY, 0);
    if (want == 'E' || want == 'M' || want == 'h')
        cand[n++] = mk(FA_IPCCAP, fz_below(r, 4));
    unsigned x = (unsigned)fz_below(r, 100);
    if (n && x < 85) {
        /* Prefer this program's own results: they make chains. */
        unsigned own = 0;
        while (own < n && cand[own].kind == FA_RES)
            own++;
        if (own && fz_chance(r, 60))
            return cand[fz_below(r, own)];
        return cand[fz_below(r, n)];
    }
    return cnst(junk_handle(r));
}

/* ---------------------------------------------------------------- arguments */
static bool may_block(const struct fz_call *c)
{
    switch (c->nr) {
    case SYS_ipc_recv:
        return c->a[1].kind != FA_CONST || c->a[1].val != 0;
    case SYS_ipc_send: case SYS_ipc_call:
        return c->a[1].kind != FA_CONST || !(c->a[1].val & MOS_MSG_NONBLOCK);
    case SYS_ipc_reply_recv: case SYS_thread_block:
        return true;
    default:
        return false;
    }
}

/* Put a struct mos_proc_args at a free place of the data area; returns its
 * offset. */
static uint64_t gen_proc_args(struct fz_rng *r, struct fz_prog *p)
{
    uint64_t off = 64 * fz_below(r, FZ_DATA_BYTES / 64);
    struct mos_proc_args a;
    memset(&a, 0, sizeof a);
    a.quota_pages = fz_chance(r, 80) ? 16 + fz_below(r, 240) : any_value(r);
    a.cspace_slots = (uint32_t)(fz_chance(r, 80) ? 16 + fz_below(r, 48) : any_value(r));
    a.exit_ep = fz_chance(r, 70) ? 0 : (uint32_t)junk_handle(r);
    memcpy(a.name, "fzchild", 8);
    if (off + sizeof a > FZ_DATA_BYTES)
        off = 0;
    memcpy(p->data + off, &a, sizeof a);
    return off;
}

static struct fz_arg gen_value(struct fz_rng *r, struct fz_prog *p, unsigned ci, char k)
{
    struct fz_call *c = &p->c[ci];
    bool worker = c->thread != 0;
    switch (k) {
    case 'M': case 'E': case 'I': case 'P': case 'T': case 'O': case 'Y': case 'h':
        return gen_handle(r, p, ci, k);
    case 'p':
        return fz_chance(r, 40) ? cnst(MOS_SELF) : gen_handle(r, p, ci, 'P');
    case 't':
        return fz_chance(r, 4) ? cnst(MOS_SELF) : gen_handle(r, p, ci, 'T');
    case 'e':
        return fz_chance(r, 30) ? cnst(0) : gen_handle(r, p, ci, 'E');
    case 'y':
        return fz_chance(r, 50) ? cnst(0) : gen_handle(r, p, ci, 'Y');
    case 'v':
        if (fz_chance(r, 75))
            return mk(FA_MAP, fz_below(r, FZ_MAP_PAGES));
        return cnst(bad_address(r));
    case 'u':
        if (fz_chance(r, 80))
            return mk(FA_ARENA, fz_chance(r, 80) ? 8 * fz_below(r, FZ_DATA_BYTES / 8)
                                                 : fz_below(r, FZ_ARENA_BYTES + 64));
        return cnst(bad_address(r));
    case 'l':
        return cnst(gen_length(r));
    case 'r':
        return cnst(gen_rights(r));
    case 'x':
        return cnst(gen_prot(r));
    case 'f':
        return cnst(gen_flags(r));
    case 'c':
        return cnst(gen_priocpu(r));
    case 'd':
        return cnst(gen_timeout(r, worker));
    case 'g':
        return cnst(gen_info(r, c->nr));
    case 'b':
        return cnst(fz_chance(r, 70) ? 1ull << fz_below(r, 64) : any_value(r));
    case 'w': case 'n': default:
        return cnst(any_value(r));
    }
}

/* Argument ai of call ci, with the per-call hints. */
static struct fz_arg gen_arg(struct fz_rng *r, struct fz_prog *p, unsigned ci, unsigned ai)
{
    struct fz_call *c = &p->c[ci];
    const char *kinds = fz_call_kinds(c->nr);
    char k = kinds[ai];
    switch (c->nr) {
    case SYS_cap_create:
        if (ai == 0 && fz_chance(r, 85))
            return cnst(MOS_CAP_ENDPOINT);
        if (ai == 1 && fz_chance(r, 90))
            return cnst(0);
        break;
    case SYS_mem_alloc:
        if (ai == 0 && fz_chance(r, 90))
            return cnst(1 + fz_below(r, fz_chance(r, 90) ? 4 : 64));
        if (ai == 1 && fz_chance(r, 60))
            return cnst(0);
        break;
    case SYS_mem_map: case SYS_mem_grant:
        if (ai == 2 + (c->nr == SYS_mem_grant ? 0 : 1) && fz_chance(r, 70))
            return cnst(fz_below(r, 4));            /* first page */
        break;
    case SYS_cap_transfer:
        if (ai >= 3 && fz_chance(r, 65))
            return cnst(0);                          /* badge, range: keep */
        if (ai == 1 && fz_chance(r, 40))
            return cnst(MOS_SELF);
        break;
    case SYS_cap_inspect:
        if (ai == 3 && fz_chance(r, 70))
            return cnst(fz_chance(r, 50) ? MOS_INSPECT_NEXT : 0);
        break;
    case SYS_proc_create:
        if (ai == 0 && fz_chance(r, 85))
            return mk(FA_ARENA, gen_proc_args(r, p));
        break;
    case SYS_proc_destroy:
        if (ai == 0)
            return fz_chance(r, 6) ? cnst(MOS_SELF) : gen_handle(r, p, ci, 'P');
        break;
    case SYS_thread_create:
        if (ai == 1 && fz_chance(r, 85))
            return mk(FA_FUNC, 0);
        if (ai == 2 && fz_chance(r, 85))
            return mk(FA_STACK, fz_below(r, FZ_TSTACKS));
        if (ai == 3 && fz_chance(r, 85))
            return cnst(fz_below(r, 4) | (fz_below(r, 3) << 8));   /* fuzz thread: op, pool endpoint */
        if (ai == 5 && fz_chance(r, 50))
            return cnst(0);
        break;
    case SYS_debug_write:
        if (ai == 1 && fz_chance(r, 90))
            return cnst(fz_below(r, 48));            /* keep the log small */
        break;
    case FZ_P_SETCAPS:
        if (ai == 4)
            return cnst(fz_chance(r, 70) ? 0 : fz_below(r, 16));
        break;
    case FZ_P_FAULT:
        return cnst(fz_below(r, FZ_FAULT_KINDS));
    case FZ_P_WAIT:
        if (ai == 0)
            return cnst(1 + fz_below(r, FZ_WORKERS));
        return cnst(10000 + fz_below(r, 1000000));
    default:
        break;
    }
    return gen_value(r, p, ci, k);
}

static void gen_call(struct fz_rng *r, struct fz_prog *p, unsigned ci, unsigned nr)
{
    struct fz_call *c = &p->c[ci];
    memset(c, 0, sizeof *c);
    c->nr = (uint16_t)nr;
    const char *kinds = fz_call_kinds(nr);
    c->nargs = (uint8_t)strlen(kinds);
    for (unsigned ai = 0; ai < c->nargs; ai++)
        c->a[ai] = gen_arg(r, p, ci, ai);
    /* A few calls that never wait run on a worker too. */
    if (nr < FZ_P_SETCAPS && fz_chance(r, 5))
        c->thread = (uint8_t)(1 + fz_below(r, FZ_WORKERS));
}

/* Calls that may wait always go to a worker: the main thread carries on
 * (and can be their partner), and never blocks the executor for good. */
static void fixup(struct fz_rng *r, struct fz_prog *p)
{
    for (unsigned i = 0; i < p->ncalls; i++) {
        struct fz_call *c = &p->c[i];
        if (c->nr < FZ_P_SETCAPS && !c->thread && may_block(c))
            c->thread = (uint8_t)(1 + fz_below(r, FZ_WORKERS));
    }
}

void fz_generate(struct fz_rng *r, struct fz_prog *p)
{
    memset(p, 0, sizeof *p);
    p->fail_skip = (uint32_t)fz_below(r, 1u << 16);
    unsigned n = 2 + (unsigned)fz_below(r, 9);
    for (unsigned i = 0; i < n; i++)
        gen_call(r, p, i, pick_call(r));
    p->ncalls = n;
    fixup(r, p);
}

/* ---------------------------------------------------------------- mutation */
/* References to call `at` and later move by delta (insert: +1, remove: -1;
 * a reference to a removed call becomes 0). */
static void shift_refs(struct fz_prog *p, unsigned from, unsigned at, int delta)
{
    for (unsigned i = from; i < p->ncalls; i++) {
        struct fz_call *c = &p->c[i];
        for (unsigned a = 0; a < c->nargs; a++) {
            struct fz_arg *x = &c->a[a];
            if (x->kind != FA_RES || x->val < at)
                continue;
            if (delta < 0 && x->val == at)
                *x = cnst(0);
            else
                x->val = (uint64_t)((int64_t)x->val + delta);
        }
    }
}

static void insert_call(struct fz_rng *r, struct fz_prog *p)
{
    if (p->ncalls >= FZ_MAX_CALLS)
        return;
    unsigned at = (unsigned)fz_below(r, p->ncalls + 1);
    memmove(&p->c[at + 1], &p->c[at], (p->ncalls - at) * sizeof p->c[0]);
    p->ncalls++;
    shift_refs(p, at + 1, at, 1);
    gen_call(r, p, at, pick_call(r));
}

static void remove_call(struct fz_rng *r, struct fz_prog *p)
{
    if (p->ncalls <= 1)
        return;
    unsigned at = (unsigned)fz_below(r, p->ncalls);
    memmove(&p->c[at], &p->c[at + 1], (p->ncalls - at - 1) * sizeof p->c[0]);
    p->ncalls--;
    shift_refs(p, at, at, -1);
}

static void splice(struct fz_rng *r, struct fz_prog *p, const struct fz_prog *o)
{
    if (!o || !o->ncalls)
        return;
    unsigned keep = (unsigned)fz_below(r, p->ncalls + 1);
    unsigned from = (unsigned)fz_below(r, o->ncalls);
    unsigned n = 0;
    while (keep + n < FZ_MAX_CALLS && from + n < o->ncalls) {
        struct fz_call c = o->c[from + n];
        for (unsigned a = 0; a < c.nargs; a++) {
            if (c.a[a].kind != FA_RES)
                continue;
            if (c.a[a].val < from)
                c.a[a] = cnst(0);
            else
                c.a[a].val = c.a[a].val - from + keep;
        }
        p->c[keep + n] = c;
        n++;
    }
    p->ncalls = keep + n;
}

void fz_mutate(struct fz_rng *r, struct fz_prog *p, const struct fz_prog *other)
{
    unsigned rounds = 1;
    while (rounds < 6 && fz_chance(r, 45))
        rounds++;
    for (unsigned k = 0; k < rounds; k++) {
        unsigned x = (unsigned)fz_below(r, 100);
        if (x < 45 && p->ncalls) {
            unsigned ci = (unsigned)fz_below(r, p->ncalls);
            struct fz_call *c = &p->c[ci];
            if (c->nargs) {
                unsigned ai = (unsigned)fz_below(r, c->nargs);
                c->a[ai] = gen_arg(r, p, ci, ai);
            }
        } else if (x < 65) {
            insert_call(r, p);
        } else if (x < 75) {
            remove_call(r, p);
        } else if (x < 83) {
            splice(r, p, other);
        } else if (x < 91 && p->ncalls) {
            struct fz_call *c = &p->c[fz_below(r, p->ncalls)];
            if (c->nr < FZ_P_SETCAPS)
                c->thread = (uint8_t)fz_below(r, FZ_WORKERS + 1);
        } else if (x < 96) {
            p->fail_skip = (uint32_t)fz_below(r, 1u << 16);
        } else if (p->ncalls) {
            unsigned ci = (unsigned)fz_below(r, p->ncalls);
            gen_call(r, p, ci, pick_call(r));
        }
    }
    if (!p->ncalls)
        insert_call(r, p);
    fixup(r, p);
}
