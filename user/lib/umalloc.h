/* SPDX-License-Identifier: MIT */
/* umalloc.h - the allocator core behind malloc (malloc.c), independent of
 * the system: it manages one contiguous heap [base, end) that a page
 * provider extends at its end, so host tests drive it with a fake provider.
 * Boundary tags: each chunk starts with a 16-byte header (size | flags, and
 * a check word that tells in-use from free and catches wild or double
 * frees); a free chunk also holds free-list links and ends with a copy of
 * its size, so neighbours coalesce in O(1). Free chunks sit in size-class
 * bins (exact classes below 512 bytes, then four per power of two); the
 * search is first fit within a class, then the next non-empty class.
 * Invariants (umalloc_check): chunks tile [base, end - 16) exactly, sizes are
 * multiples of 16 and >= UMALLOC_MIN_CHUNK, no two free chunks touch, every
 * free chunk is in the bin of its size and nothing else is, the last 16
 * bytes are an in-use fence. Not thread-safe: the caller locks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define UMALLOC_ALIGN     16u
#define UMALLOC_HDR       16u
#define UMALLOC_MIN_CHUNK 48u
#define UMALLOC_NBINS     160u
#define UMALLOC_PAGE      4096u

/* Map `bytes` (a multiple of UMALLOC_PAGE) of fresh read-write memory at
 * address `at` (always the current end of the heap). Returns 0 or < 0. */
typedef int (*umalloc_grow_fn)(void *ctx, uintptr_t at, size_t bytes);
/* Called on a detected corruption or invalid free (why: static text; p: the
 * pointer or chunk). If it returns, the operation is abandoned. */
typedef void (*umalloc_corrupt_fn)(void *ctx, const char *why, const void *p);

struct umalloc_chunk;

struct umalloc_heap {
    uintptr_t base;                 /* page-aligned start */
    uintptr_t end;                  /* end of the mapped heap (== base before the first grow) */
    uintptr_t limit;                /* never grows past this */
    size_t min_grow;                /* smallest extension, bytes (multiple of UMALLOC_PAGE) */
    umalloc_grow_fn grow;
    umalloc_corrupt_fn corrupt;     /* NULL: ignore (the operation is abandoned) */
    void *ctx;                      /* for grow and corrupt */
    size_t used;                    /* bytes in in-use chunks, headers included */
    size_t grows;                   /* successful grow calls */
    struct umalloc_chunk *bins[UMALLOC_NBINS];
    uint64_t binmap[(UMALLOC_NBINS + 63) / 64];   /* bit b set <=> bins[b] != NULL */
};

/* Set up an empty heap over [base, limit) (both UMALLOC_PAGE-aligned). Maps
 * nothing yet. */
void umalloc_init(struct umalloc_heap *h, uintptr_t base, uintptr_t limit, size_t min_grow,
                  umalloc_grow_fn grow, umalloc_corrupt_fn corrupt, void *ctx);

/* C semantics: NULL when out of memory (the heap is then unchanged, except
 * that it may have grown); every result is 16-byte aligned. */
void *umalloc_alloc(struct umalloc_heap *h, size_t n);
void umalloc_free(struct umalloc_heap *h, void *p);
void *umalloc_calloc(struct umalloc_heap *h, size_t count, size_t size);
/* realloc(NULL, n) = alloc; realloc(p, 0) frees p and returns NULL; on
 * failure NULL and p still valid and unchanged. */
void *umalloc_realloc(struct umalloc_heap *h, void *p, size_t n);
/* Bytes usable at p (>= what was asked for). */
size_t umalloc_usable_size(struct umalloc_heap *h, const void *p);

/* Check every invariant listed above. Returns 0, or a negative number
 * identifying the first broken one, with a static reason in *why (why may be
 * NULL). */
int umalloc_check(const struct umalloc_heap *h, const char **why);
