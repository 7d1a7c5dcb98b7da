// SPDX-License-Identifier: MIT
/* umalloc.c - the allocator core (layout and invariants in umalloc.h).
 * A chunk at c: head = size | UC_INUSE | UC_PREV_INUSE, check = c ^ magic
 * (UC_USED or UC_FREE), then the payload (in use) or the free-list links and,
 * in its last 8 bytes, a copy of the size (free). The heap ends with a
 * 16-byte fence chunk of size 0 that is always "in use", so coalescing never
 * runs off the end; growing turns the old fence into the start of the new
 * free space. A header that stops being a chunk boundary (merged into a
 * neighbour) is wiped, so a stale pointer to it is caught as an invalid free.
 * Pure: no system calls (the page provider is a callback); compiled into
 * the user library and into tests/host/test_umalloc.c. */
#include "umalloc.h"

#include <stdbool.h>
#include "lib/string.h"

#define UC_INUSE      1u
#define UC_PREV_INUSE 2u
#define UC_FLAGS      15u
#define UC_USED       ((uintptr_t)0x55534544434B4F4Bull)
#define UC_FREE       ((uintptr_t)0x46524545434B4F4Bull)
/* Requests above this fail at once, so size arithmetic never wraps. */
#define UC_MAX_REQUEST ((size_t)1 << 46)

struct umalloc_chunk {
    size_t head;
    uintptr_t check;
    struct umalloc_chunk *next, *prev;   /* free chunks only */
};
_Static_assert(sizeof(struct umalloc_chunk) == 32, "chunk header + links");
_Static_assert(UMALLOC_MIN_CHUNK >= sizeof(struct umalloc_chunk) + sizeof(size_t), "room for the footer");

static size_t uc_size(const struct umalloc_chunk *c)
{
    return c->head & ~(size_t)UC_FLAGS;
}

static struct umalloc_chunk *uc_at(uintptr_t a)
{
    return (struct umalloc_chunk *)a;
}

static struct umalloc_chunk *uc_next(const struct umalloc_chunk *c)
{
    return uc_at((uintptr_t)c + uc_size(c));
}

static size_t *uc_footer(const struct umalloc_chunk *c)
{
    return (size_t *)((uintptr_t)c + uc_size(c) - sizeof(size_t));
}

static void *uc_payload(struct umalloc_chunk *c)
{
    return (void *)((uintptr_t)c + UMALLOC_HDR);
}

static struct umalloc_chunk *uc_fence(const struct umalloc_heap *h)
{
    return uc_at(h->end - UMALLOC_HDR);
}

static unsigned uc_bin(size_t size)
{
    if (size < 512)
        return (unsigned)(size / 16);
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    unsigned b = 32u + (k - 9u) * 4u + (unsigned)((size >> (k - 2u)) & 3u);
    return b < UMALLOC_NBINS ? b : UMALLOC_NBINS - 1;
}

static void uc_bin_insert(struct umalloc_heap *h, struct umalloc_chunk *c)
{
    unsigned b = uc_bin(uc_size(c));
    c->prev = NULL;
    c->next = h->bins[b];
    if (c->next)
        c->next->prev = c;
    h->bins[b] = c;
    h->binmap[b / 64] |= 1ull << (b % 64);
}

static void uc_bin_remove(struct umalloc_heap *h, struct umalloc_chunk *c)
{
    unsigned b = uc_bin(uc_size(c));
    if (c->prev)
        c->prev->next = c->next;
    else
        h->bins[b] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!h->bins[b])
        h->binmap[b / 64] &= ~(1ull << (b % 64));
}

/* c stops being a chunk boundary. */
static void uc_wipe(struct umalloc_chunk *c)
{
    c->head = 0;
    c->check = 0;
}

/* Make [c, c + size) one free chunk (prev_flag: whether the chunk before it
 * is in use), tell its successor, and bin it. The caller has coalesced. */
static void uc_make_free(struct umalloc_heap *h, struct umalloc_chunk *c, size_t size, size_t prev_flag)
{
    c->head = size | prev_flag;
    c->check = (uintptr_t)c ^ UC_FREE;
    *uc_footer(c) = size;
    uc_next(c)->head &= ~(size_t)UC_PREV_INUSE;
    uc_bin_insert(h, c);
}

static void uc_corrupt(struct umalloc_heap *h, const char *why, const void *p)
{
    if (h->corrupt)
        h->corrupt(h->ctx, why, p);
}

/* The chunk size for a request of n bytes, 0 if too large. */
static size_t uc_request(size_t n)
{
    if (n > UC_MAX_REQUEST)
        return 0;
    size_t need = (n + UMALLOC_HDR + UMALLOC_ALIGN - 1) & ~(size_t)(UMALLOC_ALIGN - 1);
    return need < UMALLOC_MIN_CHUNK ? UMALLOC_MIN_CHUNK : need;
}

/* First free chunk of at least need bytes (not removed from its bin). */
static struct umalloc_chunk *uc_find(struct umalloc_heap *h, size_t need)
{
    for (unsigned b = uc_bin(need); b < UMALLOC_NBINS; b++) {
        uint64_t word = h->binmap[b / 64] >> (b % 64);
        if (!word) {
            b = (b / 64 + 1) * 64 - 1;   /* the rest of this word is empty */
            continue;
        }
        b += (unsigned)__builtin_ctzll(word);
        if (b >= UMALLOC_NBINS)
            break;
        for (struct umalloc_chunk *c = h->bins[b]; c; c = c->next) {
            if (uc_size(c) >= need)
                return c;
        }
    }
    return NULL;
}

static size_t uc_page_up(size_t n)
{
    return (n + UMALLOC_PAGE - 1) & ~(size_t)(UMALLOC_PAGE - 1);
}

/* Extend the heap so that a free chunk of at least `need` bytes follows
 * what is there (merged with a free last chunk). Returns 0 or < 0. */
static int uc_grow(struct umalloc_heap *h, size_t need)
{
    bool first = h->end == h->base;
    size_t avail = h->limit - h->end;
    if (need > avail)
        return -1;
    size_t min = uc_page_up(need + (first ? UMALLOC_HDR : 0));
    if (min > avail)
        return -1;
    size_t want = (h->end - h->base) / 4;
    want = want > h->min_grow ? want : h->min_grow;
    want = uc_page_up(want > min ? want : min);
    if (want > avail)
        want = avail;
    int r = h->grow(h->ctx, h->end, want);
    if (r < 0 && want > min) {
        want = min;
        r = h->grow(h->ctx, h->end, want);
    }
    if (r < 0)
        return r;
    h->grows++;

    uintptr_t new_end = h->end + want;
    struct umalloc_chunk *fence = uc_at(new_end - UMALLOC_HDR);
    struct umalloc_chunk *c;
    size_t size, prev_flag;
    if (first) {
        c = uc_at(h->base);
        size = want - UMALLOC_HDR;
        prev_flag = UC_PREV_INUSE;   /* nothing before the first chunk */
    } else {
        c = uc_fence(h);
        size = want;
        prev_flag = c->head & UC_PREV_INUSE;
    }
    fence->head = UC_INUSE;
    fence->check = (uintptr_t)fence ^ UC_USED;
    h->end = new_end;
    if (!prev_flag) {
        struct umalloc_chunk *prev = uc_at((uintptr_t)c - *(const size_t *)((uintptr_t)c - sizeof(size_t)));
        uc_bin_remove(h, prev);
        uc_wipe(c);
        size += uc_size(prev);
        prev_flag = prev->head & UC_PREV_INUSE;
        c = prev;
    }
    uc_make_free(h, c, size, prev_flag);
    return 0;
}

/* Mark the free chunk c (already out of its bin) in use with `need` bytes,
 * returning any remainder of at least UMALLOC_MIN_CHUNK to a bin. */
static void uc_take(struct umalloc_heap *h, struct umalloc_chunk *c, size_t need)
{
    size_t size = uc_size(c), prev_flag = c->head & UC_PREV_INUSE;
    if (size - need >= UMALLOC_MIN_CHUNK) {
        c->head = need | UC_INUSE | prev_flag;
        uc_make_free(h, uc_next(c), size - need, UC_PREV_INUSE);
    } else {
        need = size;
        c->head = size | UC_INUSE | prev_flag;
        uc_next(c)->head |= UC_PREV_INUSE;
    }
    c->check = (uintptr_t)c ^ UC_USED;
    h->used += need;
}

/* The in-use chunk of payload p, or NULL (after reporting) if p is not one. */
static struct umalloc_chunk *uc_chunk_of(struct umalloc_heap *h, const void *p, const char *op)
{
    uintptr_t a = (uintptr_t)p;
    if (a % UMALLOC_ALIGN || a < h->base + UMALLOC_HDR || a >= h->end) {
        uc_corrupt(h, op, p);
        return NULL;
    }
    struct umalloc_chunk *c = uc_at(a - UMALLOC_HDR);
    size_t size = uc_size(c);
    if (c->check == ((uintptr_t)c ^ UC_FREE)) {
        uc_corrupt(h, "double free", p);
        return NULL;
    }
    if (c->check != ((uintptr_t)c ^ UC_USED) || !(c->head & UC_INUSE) || size < UMALLOC_MIN_CHUNK ||
        size > h->end - UMALLOC_HDR - (uintptr_t)c) {
        uc_corrupt(h, op, p);
        return NULL;
    }
    return c;
}

/* Give back the tail of in-use chunk c beyond `need` bytes, if large enough
 * to be a chunk, merging it with a free successor. */
static void uc_shrink(struct umalloc_heap *h, struct umalloc_chunk *c, size_t need)
{
    size_t size = uc_size(c);
    if (size - need < UMALLOC_MIN_CHUNK)
        return;
    c->head = need | (c->head & UC_FLAGS);
    h->used -= size - need;
    struct umalloc_chunk *rest = uc_next(c);
    struct umalloc_chunk *after = uc_at((uintptr_t)c + size);
    size_t rest_size = size - need;
    if (!(after->head & UC_INUSE)) {
        uc_bin_remove(h, after);
        rest_size += uc_size(after);
        uc_wipe(after);
    }
    uc_make_free(h, rest, rest_size, UC_PREV_INUSE);
}

void umalloc_init(struct umalloc_heap *h, uintptr_t base, uintptr_t limit, size_t min_grow,
                  umalloc_grow_fn grow, umalloc_corrupt_fn corrupt, void *ctx)
{
    memset(h, 0, sizeof *h);
    h->base = base;
    h->end = base;
    h->limit = limit;
    h->min_grow = uc_page_up(min_grow ? min_grow : UMALLOC_PAGE);
    h->grow = grow;
    h->corrupt = corrupt;
    h->ctx = ctx;
}

void *umalloc_alloc(struct umalloc_heap *h, size_t n)
{
    size_t need = uc_request(n);
    if (!need)
        return NULL;
    struct umalloc_chunk *c = uc_find(h, need);
    if (!c) {
        if (uc_grow(h, need) < 0)
            return NULL;
        c = uc_find(h, need);
        if (!c)
            return NULL;
    }
    uc_bin_remove(h, c);
    uc_take(h, c, need);
    return uc_payload(c);
}

void umalloc_free(struct umalloc_heap *h, void *p)
{
    if (!p)
        return;
    struct umalloc_chunk *c = uc_chunk_of(h, p, "free of an invalid pointer");
    if (!c)
        return;
    size_t size = uc_size(c), prev_flag = c->head & UC_PREV_INUSE;
    h->used -= size;
    struct umalloc_chunk *next = uc_next(c);
    if (!(next->head & UC_INUSE)) {
        uc_bin_remove(h, next);
        size += uc_size(next);
        uc_wipe(next);
    }
    if (!prev_flag) {
        struct umalloc_chunk *prev = uc_at((uintptr_t)c - *(const size_t *)((uintptr_t)c - sizeof(size_t)));
        uc_bin_remove(h, prev);
        uc_wipe(c);
        size += uc_size(prev);
        prev_flag = prev->head & UC_PREV_INUSE;
        c = prev;
    }
    uc_make_free(h, c, size, prev_flag);
}

void *umalloc_calloc(struct umalloc_heap *h, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = umalloc_alloc(h, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *umalloc_realloc(struct umalloc_heap *h, void *p, size_t n)
{
    if (!p)
        return umalloc_alloc(h, n);
    if (n == 0) {
        umalloc_free(h, p);
        return NULL;
    }
    struct umalloc_chunk *c = uc_chunk_of(h, p, "realloc of an invalid pointer");
    if (!c)
        return NULL;
    size_t need = uc_request(n);
    if (!need)
        return NULL;
    size_t size = uc_size(c);
    if (need <= size) {
        uc_shrink(h, c, need);
        return p;
    }
    /* Grow in place: into a free successor, first extending the heap if c
     * is the last chunk. */
    struct umalloc_chunk *next = uc_next(c);
    if (next == uc_fence(h))
        (void)uc_grow(h, need - size);   /* on failure, fall back to moving */
    next = uc_next(c);
    if (!(next->head & UC_INUSE) && size + uc_size(next) >= need) {
        size_t total = size + uc_size(next);
        uc_bin_remove(h, next);
        uc_wipe(next);
        c->head = total | (c->head & UC_FLAGS);
        uc_next(c)->head |= UC_PREV_INUSE;
        h->used += total - size;
        uc_shrink(h, c, need);
        return p;
    }
    void *q = umalloc_alloc(h, n);
    if (!q)
        return NULL;
    memcpy(q, p, size - UMALLOC_HDR);
    umalloc_free(h, p);
    return q;
}

size_t umalloc_usable_size(struct umalloc_heap *h, const void *p)
{
    struct umalloc_chunk *c = uc_chunk_of(h, p, "usable_size of an invalid pointer");
    return c ? uc_size(c) - UMALLOC_HDR : 0;
}

static int uc_fail(const char **why, const char *text, int code)
{
    if (why)
        *why = text;
    return code;
}

int umalloc_check(const struct umalloc_heap *h, const char **why)
{
    if (why)
        *why = NULL;
    if (h->end == h->base) {
        for (unsigned b = 0; b < UMALLOC_NBINS; b++) {
            if (h->bins[b])
                return uc_fail(why, "empty heap with binned chunks", -1);
        }
        return h->used ? uc_fail(why, "empty heap with bytes in use", -2) : 0;
    }
    if (h->end - h->base < UMALLOC_PAGE || h->end > h->limit)
        return uc_fail(why, "heap bounds", -3);

    uintptr_t fence = h->end - UMALLOC_HDR;
    uintptr_t a = h->base;
    bool prev_free = false;
    size_t used = 0, nfree = 0;
    for (;;) {
        const struct umalloc_chunk *c = uc_at(a);
        bool prev_inuse = (c->head & UC_PREV_INUSE) != 0;
        if (prev_inuse == prev_free)
            return uc_fail(why, "PREV_INUSE flag disagrees with the previous chunk", -4);
        if (a == fence) {
            if (uc_size(c) != 0 || !(c->head & UC_INUSE) || c->check != (a ^ UC_USED))
                return uc_fail(why, "bad fence", -5);
            break;
        }
        size_t size = uc_size(c);
        if (size < UMALLOC_MIN_CHUNK || size % UMALLOC_ALIGN || size > fence - a)
            return uc_fail(why, "chunk size out of bounds", -6);
        if (c->head & UC_INUSE) {
            if (c->check != (a ^ UC_USED))
                return uc_fail(why, "bad check word on an in-use chunk", -7);
            used += size;
            prev_free = false;
        } else {
            if (c->check != (a ^ UC_FREE))
                return uc_fail(why, "bad check word on a free chunk", -8);
            if (prev_free)
                return uc_fail(why, "two free chunks touch", -9);
            if (*uc_footer(c) != size)
                return uc_fail(why, "footer differs from header", -10);
            nfree++;
            prev_free = true;
        }
        a += size;
    }
    if (used != h->used)
        return uc_fail(why, "bytes in use miscounted", -11);

    size_t binned = 0;
    for (unsigned b = 0; b < UMALLOC_NBINS; b++) {
        bool bit = (h->binmap[b / 64] >> (b % 64)) & 1;
        if (bit != (h->bins[b] != NULL))
            return uc_fail(why, "bin map disagrees with the bins", -12);
        const struct umalloc_chunk *prev = NULL;
        for (const struct umalloc_chunk *c = h->bins[b]; c; prev = c, c = c->next) {
            uintptr_t ca = (uintptr_t)c;
            if (ca < h->base || ca >= fence || ca % UMALLOC_ALIGN)
                return uc_fail(why, "binned pointer outside the heap", -13);
            if ((c->head & UC_INUSE) || c->check != (ca ^ UC_FREE))
                return uc_fail(why, "binned chunk not free", -14);
            if (uc_bin(uc_size(c)) != b)
                return uc_fail(why, "chunk in the wrong bin", -15);
            if (c->prev != prev)
                return uc_fail(why, "broken bin back link", -16);
            if (++binned > nfree)
                return uc_fail(why, "more binned chunks than free ones (or a cycle)", -17);
        }
    }
    if (binned != nfree)
        return uc_fail(why, "a free chunk is not binned", -18);
    return 0;
}
