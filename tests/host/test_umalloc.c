// SPDX-License-Identifier: MIT
/* test_umalloc.c - the allocator core (user/lib/umalloc.c) against a fake
 * page provider: a large PROT_NONE reservation whose pages are made
 * read-write as the heap grows (so any access beyond the grown heap faults),
 * with a byte limit and injectable failures. umalloc_check() runs after
 * every operation. A seeded random run (UMALLOC_SEED=n repeats one) checks
 * alloc/free/realloc/calloc against a model: contents preserved (also
 * across realloc and failed realloc), 16-byte alignment, no two live blocks
 * overlapping, NULL only when the provider is exhausted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <cmocka.h>

#include "umalloc.h"

#define RESERVE (256u << 20)

struct fake {
    uint8_t *region;
    uintptr_t end;            /* end of the read-write part */
    size_t max_bytes;         /* the provider refuses to go beyond */
    int fail_next;            /* refuse this many calls */
    unsigned calls;
    unsigned refusals;        /* calls refused (limit or injected) */
    unsigned corruptions;
    const char *last_why;
};

static struct fake fk;
static struct umalloc_heap heap;

static int fake_grow(void *ctx, uintptr_t at, size_t bytes)
{
    struct fake *f = ctx;
    f->calls++;
    assert_int_equal(at, f->end);                 /* always at the heap's end */
    assert_true(bytes > 0 && bytes % UMALLOC_PAGE == 0);
    if (f->fail_next) {
        f->fail_next--;
        f->refusals++;
        return -6;
    }
    if (f->end + bytes - (uintptr_t)f->region > f->max_bytes) {
        f->refusals++;
        return -6;
    }
    assert_int_equal(mprotect((void *)at, bytes, PROT_READ | PROT_WRITE), 0);
    f->end += bytes;
    return 0;
}

static void fake_corrupt(void *ctx, const char *why, const void *p)
{
    struct fake *f = ctx;
    (void)p;
    f->corruptions++;
    f->last_why = why;
}

static void check_heap(void)
{
    const char *why;
    int r = umalloc_check(&heap, &why);
    if (r)
        fail_msg("umalloc_check: %d %s", r, why);
}

static int setup_limit(size_t max_bytes, size_t min_grow)
{
    memset(&fk, 0, sizeof fk);
    fk.region = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (fk.region == MAP_FAILED)
        return -1;
    fk.end = (uintptr_t)fk.region;
    fk.max_bytes = max_bytes;
    umalloc_init(&heap, (uintptr_t)fk.region, (uintptr_t)fk.region + RESERVE, min_grow, fake_grow,
                 fake_corrupt, &fk);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return setup_limit(RESERVE, 64 * 1024);
}

static int teardown(void **state)
{
    (void)state;
    munmap(fk.region, RESERVE);
    return 0;
}

/* ------------------------------------------------------------ basics */

static void empty_heap_is_consistent(void **state)
{
    (void)state;
    check_heap();
    assert_int_equal(fk.calls, 0);
    umalloc_free(&heap, NULL);
    check_heap();
}

static void small_blocks_are_aligned_and_distinct(void **state)
{
    (void)state;
    enum { N = 600 };
    void *p[N];
    for (size_t i = 0; i < N; i++) {
        p[i] = umalloc_alloc(&heap, i);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        assert_true(umalloc_usable_size(&heap, p[i]) >= i);
        memset(p[i], (int)i, i);
        check_heap();
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < i; k++)
            assert_int_equal(((uint8_t *)p[i])[k], (uint8_t)i);
    }
    for (size_t i = 0; i < N; i += 2) {
        umalloc_free(&heap, p[i]);
        check_heap();
    }
    for (size_t i = 1; i < N; i += 2) {
        umalloc_free(&heap, p[i]);
        check_heap();
    }
    assert_int_equal(heap.used, 0);
}

static void freed_space_coalesces_and_is_reused(void **state)
{
    (void)state;
    void *p[200];
    for (int i = 0; i < 200; i++)
        assert_non_null(p[i] = umalloc_alloc(&heap, 1000));
    size_t mapped = heap.end - heap.base;
    unsigned grows = fk.calls;
    /* Free in an order that needs both forward and backward merges. */
    for (int i = 0; i < 200; i += 3)
        umalloc_free(&heap, p[i]);
    for (int i = 2; i < 200; i += 3)
        umalloc_free(&heap, p[i]);
    for (int i = 1; i < 200; i += 3)
        umalloc_free(&heap, p[i]);
    check_heap();
    /* One chunk now spans the heap: the largest possible block fits. */
    void *big = umalloc_alloc(&heap, mapped - 2 * UMALLOC_HDR);
    assert_non_null(big);
    assert_int_equal(fk.calls, grows);
    check_heap();
    umalloc_free(&heap, big);
    check_heap();
}

static void zero_and_huge_requests(void **state)
{
    (void)state;
    void *a = umalloc_alloc(&heap, 0), *b = umalloc_alloc(&heap, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_null(umalloc_alloc(&heap, SIZE_MAX));
    assert_null(umalloc_alloc(&heap, SIZE_MAX - 15));
    assert_null(umalloc_alloc(&heap, (size_t)1 << 47));
    assert_null(umalloc_alloc(&heap, RESERVE));   /* larger than the whole region */
    check_heap();
    umalloc_free(&heap, a);
    umalloc_free(&heap, b);
    check_heap();
}

static void calloc_zeroes_and_checks_overflow(void **state)
{
    (void)state;
    uint8_t *d = umalloc_alloc(&heap, 5000);
    assert_non_null(d);
    memset(d, 0xFF, 5000);
    umalloc_free(&heap, d);
    uint8_t *z = umalloc_calloc(&heap, 50, 100);
    assert_non_null(z);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(z[i], 0);
    assert_null(umalloc_calloc(&heap, SIZE_MAX / 2, 3));
    assert_null(umalloc_calloc(&heap, (size_t)1 << 33, (size_t)1 << 33));
    assert_non_null(umalloc_calloc(&heap, 0, 7));
    check_heap();
}

static void realloc_semantics(void **state)
{
    (void)state;
    uint8_t *p = umalloc_realloc(&heap, NULL, 100);   /* = alloc */
    assert_non_null(p);
    for (int i = 0; i < 100; i++)
        p[i] = (uint8_t)i;
    /* Grow in place into free space after it. */
    uint8_t *q = umalloc_realloc(&heap, p, 3000);
    assert_ptr_equal(q, p);
    for (int i = 0; i < 100; i++)
        assert_int_equal(q[i], (uint8_t)i);
    check_heap();
    /* Shrink keeps the address and contents, and frees the tail. */
    size_t used = heap.used;
    q = umalloc_realloc(&heap, p, 50);
    assert_ptr_equal(q, p);
    assert_true(heap.used < used);
    for (int i = 0; i < 50; i++)
        assert_int_equal(q[i], (uint8_t)i);
    check_heap();
    /* Blocked by a neighbour: moves, contents kept. */
    uint8_t *wall = umalloc_alloc(&heap, 10);
    assert_non_null(wall);
    uint8_t *r = umalloc_realloc(&heap, q, 100000);
    assert_non_null(r);
    for (int i = 0; i < 50; i++)
        assert_int_equal(r[i], (uint8_t)i);
    check_heap();
    /* realloc(p, 0) frees. */
    assert_null(umalloc_realloc(&heap, r, 0));
    umalloc_free(&heap, wall);
    assert_int_equal(heap.used, 0);
    check_heap();
}

static void last_chunk_grows_with_the_heap(void **state)
{
    (void)state;
    /* The first grow is 64 KiB: a takes all but 1024 bytes of it (and the
     * fence), p the last 1024, so p ends right at the fence. */
    uint8_t *a = umalloc_alloc(&heap, 64 * 1024 - 16 - 1024 - 16);
    uint8_t *p = umalloc_alloc(&heap, 1000);
    assert_non_null(a);
    assert_ptr_equal(p, a + (64 * 1024 - 16 - 1024));
    assert_int_equal(heap.end - heap.base, 64 * 1024);
    memset(p, 0x5A, 1000);
    uint8_t *q = umalloc_realloc(&heap, p, 4u << 20);   /* beyond the mapped heap */
    assert_ptr_equal(q, p);                           /* grown in place */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(q[i], 0x5A);
    memset(q, 1, 4u << 20);
    check_heap();
}

/* ------------------------------------------------------------ exhaustion */

static void exhaustion_returns_null_and_recovers(void **state)
{
    (void)state;
    teardown(state);
    assert_int_equal(setup_limit(1u << 20, 64 * 1024), 0);
    void *p[400];
    int n = 0;
    while (n < 400 && (p[n] = umalloc_alloc(&heap, 10000)) != NULL) {
        memset(p[n], n, 10000);
        n++;
        check_heap();
    }
    assert_true(n >= 90 && n < 105);   /* about 1 MiB / 10 KiB */
    assert_null(umalloc_alloc(&heap, 10000));
    check_heap();
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 10000; k += 997)
            assert_int_equal(((uint8_t *)p[i])[k], (uint8_t)i);
        umalloc_free(&heap, p[i]);
    }
    check_heap();
    assert_non_null(umalloc_alloc(&heap, 900000));
    check_heap();
}

static void failed_grow_leaves_heap_unchanged(void **state)
{
    (void)state;
    teardown(state);
    assert_int_equal(setup_limit(RESERVE, 4u << 20), 0);
    /* Fill most of the first (4 MiB) grow. */
    void *a = umalloc_alloc(&heap, (4u << 20) - 4096);
    assert_non_null(a);
    size_t end = heap.end, used = heap.used;
    /* Both the 4 MiB step and the minimal retry fail. */
    fk.fail_next = 2;
    assert_null(umalloc_alloc(&heap, 100000));
    assert_int_equal(fk.fail_next, 0);
    assert_int_equal(heap.end, end);
    assert_int_equal(heap.used, used);
    check_heap();
    /* Only the big step fails: the minimal one is used. */
    fk.fail_next = 1;
    void *b = umalloc_alloc(&heap, 100000);
    assert_non_null(b);
    assert_true(heap.end > end && heap.end - end <= 100000 + 2 * UMALLOC_PAGE);
    check_heap();
    /* A failed realloc keeps the old block. */
    memset(b, 0x33, 100000);
    fk.fail_next = 100;
    assert_null(umalloc_realloc(&heap, b, 64u << 20));
    for (size_t i = 0; i < 100000; i++)
        assert_int_equal(((uint8_t *)b)[i], 0x33);
    fk.fail_next = 0;
    check_heap();
}

static void growth_is_geometric(void **state)
{
    (void)state;
    for (int i = 0; i < 4096; i++)
        assert_non_null(umalloc_alloc(&heap, 4000));   /* ~16 MiB */
    assert_true(heap.grows >= 8 && heap.grows <= 30);
    assert_int_equal(heap.grows, fk.calls);
    check_heap();
}

/* ------------------------------------------------------------ misuse */

static void invalid_frees_are_reported(void **state)
{
    (void)state;
    uint8_t *a = umalloc_alloc(&heap, 64), *b = umalloc_alloc(&heap, 64);
    assert_non_null(b);
    umalloc_free(&heap, a);
    check_heap();
    umalloc_free(&heap, a);                       /* double free */
    assert_int_equal(fk.corruptions, 1);
    assert_string_equal(fk.last_why, "double free");
    check_heap();
    static uint8_t outside[64] __attribute__((aligned(16)));
    umalloc_free(&heap, outside + 16);            /* not from the heap */
    assert_int_equal(fk.corruptions, 2);
    umalloc_free(&heap, b + 8);                   /* misaligned interior */
    assert_int_equal(fk.corruptions, 3);
    umalloc_free(&heap, b + 32);                  /* aligned interior */
    assert_int_equal(fk.corruptions, 4);
    assert_null(umalloc_realloc(&heap, b + 16, 10));
    assert_int_equal(fk.corruptions, 5);
    check_heap();
    umalloc_free(&heap, b);
    assert_int_equal(fk.corruptions, 5);
    check_heap();
}

static void stale_pointer_into_merged_chunk_is_reported(void **state)
{
    (void)state;
    uint8_t *c = umalloc_alloc(&heap, 64), *d = umalloc_alloc(&heap, 64), *e = umalloc_alloc(&heap, 64);
    assert_non_null(c);
    assert_ptr_equal(d, c + 80);
    assert_non_null(e);
    umalloc_free(&heap, c);
    umalloc_free(&heap, d);                       /* merges into c's chunk */
    check_heap();
    umalloc_free(&heap, d);
    assert_int_equal(fk.corruptions, 1);
    umalloc_free(&heap, c);                       /* c's chunk is free: a double free */
    assert_int_equal(fk.corruptions, 2);
    assert_string_equal(fk.last_why, "double free");
    check_heap();
    umalloc_free(&heap, e);
    assert_int_equal(fk.corruptions, 2);
    assert_int_equal(heap.used, 0);
    check_heap();
}

static void checker_detects_damage(void **state)
{
    (void)state;
    uint8_t *a = umalloc_alloc(&heap, 64), *b = umalloc_alloc(&heap, 64);
    assert_non_null(a);
    assert_non_null(b);
    umalloc_free(&heap, a);
    const char *why;
    assert_int_equal(umalloc_check(&heap, &why), 0);
    uint64_t saved;
    memcpy(&saved, b - 16, 8);                     /* b's size word */
    uint64_t bad = saved + 16;
    memcpy(b - 16, &bad, 8);
    assert_true(umalloc_check(&heap, &why) < 0);
    assert_non_null(why);
    memcpy(b - 16, &saved, 8);
    assert_int_equal(umalloc_check(&heap, &why), 0);
    heap.used += 16;                               /* accounting */
    assert_true(umalloc_check(&heap, &why) < 0);
    heap.used -= 16;
    assert_int_equal(umalloc_check(&heap, &why), 0);
}

/* ------------------------------------------------------------ model */

struct block {
    uint8_t *p;
    size_t n;
    uint8_t seed;
};

static void fill(struct block *b)
{
    for (size_t i = 0; i < b->n; i++)
        b->p[i] = (uint8_t)(b->seed + i * 31 + (i >> 8));
}

static void verify(const struct block *b, size_t upto, unsigned seed, int iter)
{
    for (size_t i = 0; i < upto; i++) {
        if (b->p[i] != (uint8_t)(b->seed + i * 31 + (i >> 8)))
            fail_msg("seed %u iteration %d: byte %zu of a %zu-byte block changed", seed, iter, i, b->n);
    }
}

static int by_address(const void *x, const void *y)
{
    const struct block *a = x, *b = y;
    return (a->p > b->p) - (a->p < b->p);
}

static size_t random_size(unsigned *rng)
{
    unsigned r = (unsigned)rand_r(rng) % 100;
    if (r < 70)
        return (size_t)rand_r(rng) % 257;
    if (r < 95)
        return 257 + (size_t)rand_r(rng) % 8000;
    return 8193 + (size_t)rand_r(rng) % 300000;
}

static void random_operations_match_model(void **state)
{
    (void)state;
    teardown(state);
    assert_int_equal(setup_limit(2u << 20, 64 * 1024), 0);   /* tight: some requests fail */
    const char *env = getenv("UMALLOC_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
    printf("# test_umalloc: UMALLOC_SEED=%u\n", seed);
    unsigned rng = seed;
    enum { MAXLIVE = 300 };
    static struct block live[MAXLIVE], sorted[MAXLIVE];
    size_t nlive = 0;
    unsigned nulls = 0;
    for (int iter = 0; iter < 20000; iter++) {
        unsigned op = (unsigned)rand_r(&rng) % 10;
        unsigned refusals = fk.refusals;
        if (nlive == 0 || (op < 4 && nlive < MAXLIVE)) {
            struct block b = { .n = random_size(&rng), .seed = (uint8_t)rand_r(&rng) };
            bool zero = rand_r(&rng) % 4 == 0;
            b.p = zero ? umalloc_calloc(&heap, 1, b.n) : umalloc_alloc(&heap, b.n);
            if (!b.p) {
                nulls++;
                assert_true(fk.refusals > refusals);   /* NULL only when the provider said no */
            } else {
                assert_int_equal((uintptr_t)b.p % 16, 0);
                assert_true(umalloc_usable_size(&heap, b.p) >= b.n);
                for (size_t i = 0; zero && i < b.n; i++)
                    assert_int_equal(b.p[i], 0);
                fill(&b);
                live[nlive++] = b;
            }
        } else if (op < 7) {
            size_t k = (size_t)rand_r(&rng) % nlive;
            verify(&live[k], live[k].n, seed, iter);
            umalloc_free(&heap, live[k].p);
            live[k] = live[--nlive];
        } else {
            size_t k = (size_t)rand_r(&rng) % nlive;
            struct block *b = &live[k];
            size_t n = random_size(&rng);
            uint8_t *q = umalloc_realloc(&heap, b->p, n);
            if (n == 0) {
                assert_null(q);
                live[k] = live[--nlive];
            } else if (!q) {
                nulls++;
                assert_true(fk.refusals > refusals);
                verify(b, b->n, seed, iter);   /* the old block is intact */
            } else {
                b->p = q;
                verify(b, b->n < n ? b->n : n, seed, iter);
                assert_int_equal((uintptr_t)q % 16, 0);
                b->n = n;
                fill(b);
            }
        }
        check_heap();
        assert_int_equal(fk.corruptions, 0);
        if (iter % 97 == 0) {
            memcpy(sorted, live, nlive * sizeof live[0]);
            qsort(sorted, nlive, sizeof sorted[0], by_address);
            for (size_t i = 0; i < nlive; i++) {
                verify(&sorted[i], sorted[i].n, seed, iter);
                assert_true((uintptr_t)sorted[i].p >= heap.base && (uintptr_t)sorted[i].p + sorted[i].n <= heap.end);
                if (i + 1 < nlive && sorted[i].p + sorted[i].n > sorted[i + 1].p)
                    fail_msg("seed %u iteration %d: blocks overlap", seed, iter);
            }
        }
    }
    for (size_t i = 0; i < nlive; i++) {
        verify(&live[i], live[i].n, seed, -1);
        umalloc_free(&heap, live[i].p);
    }
    check_heap();
    assert_int_equal(heap.used, 0);
    printf("# test_umalloc: %u allocations failed for lack of memory\n", nulls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(empty_heap_is_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(small_blocks_are_aligned_and_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(freed_space_coalesces_and_is_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_and_huge_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(calloc_zeroes_and_checks_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(realloc_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(last_chunk_grows_with_the_heap, setup, teardown),
        cmocka_unit_test_setup_teardown(exhaustion_returns_null_and_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_grow_leaves_heap_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(growth_is_geometric, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_frees_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_pointer_into_merged_chunk_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(checker_detects_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(random_operations_match_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
