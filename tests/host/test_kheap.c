// SPDX-License-Identifier: MIT
/* test_kheap.c - host tests of the kernel heap (kernel/mm/kheap.c): object
 * caches and kmalloc over fake_kernel.c's page_alloc (aligned_alloc), which
 * counts pages in use and can be told to fail. All tests share one heap (it
 * has no teardown), so each records a baseline first and checks it returns
 * there. Corruption tests poke freed memory of a slab that is still alive,
 * then repair it. Set TEST_SEED=n to replay the random test; its seed is
 * printed on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "config.h"
#include "mm/kheap.h"

#define PAGE 4096u
#define page_of(p) ((uintptr_t)(p) & ~(uintptr_t)(PAGE - 1))

/* ------------------------------------------------------------ helpers */

struct baseline {
    struct kheap_stats st;
    long host_pages;
};

/* Release every empty slab, then record where the heap stands. */
static struct baseline baseline_take(void)
{
    struct baseline b;
    kcache_shrink(NULL);
    kheap_get_stats(&b.st);
    b.host_pages = host_pages_in_use;
    assert_int_equal(b.st.pages, (uint64_t)b.host_pages);
    assert_true(kheap_check());
    return b;
}

static void baseline_expect(const struct baseline *b)
{
    struct kheap_stats st;
    kcache_shrink(NULL);
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, b->st.objects_in_use);
    assert_int_equal(st.bytes_in_use, b->st.bytes_in_use);
    assert_int_equal(st.pages, b->st.pages);
    assert_int_equal(host_pages_in_use, b->host_pages);
    assert_true(kheap_check());
}

static void stats_consistent(void)
{
    struct kheap_stats st;
    kheap_get_stats(&st);
    assert_int_equal(st.pages, (uint64_t)host_pages_in_use);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static bool all_byte(const void *p, size_t n, uint8_t v)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return false;
    return true;
}

static int reset_failures(void **state)
{
    (void)state;
    host_page_fail_after = -1;
    return 0;
}

/* ------------------------------------------------------------ kmalloc */

static void kmalloc_sizes_are_aligned_zeroed_and_disjoint(void **state)
{
    (void)state;
    struct baseline b = baseline_take();
    enum { N = 400 };
    static uint8_t *ptr[N];
    static size_t len[N];
    uint64_t bytes = 0;

    for (size_t i = 0; i < N; i++) {
        /* 1..64 every size, then a spread up to ~20 KiB, edges included. */
        size_t n = i < 64 ? i + 1 : (i * i * 7 + i) % 20000 + 1;
        if (i % 50 == 0)
            n = (size_t[]){ 2040, 2041, 2048, 2049, 4032, 4033, 4096, 16 }[i / 50];
        ptr[i] = kmalloc(n);
        len[i] = n;
        assert_non_null(ptr[i]);
        assert_int_equal((uintptr_t)ptr[i] % 16, 0);
        if (n >= 64)
            assert_int_equal((uintptr_t)ptr[i] % 64, 0);
        assert_true(all_zero(ptr[i], n));
        memset(ptr[i], (int)(i % 251) + 1, n);
        bytes += n;
    }
    struct kheap_stats st;
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, b.st.objects_in_use + N);
    assert_int_equal(st.bytes_in_use, b.st.bytes_in_use + bytes);
    stats_consistent();
    assert_true(kheap_check());

    /* Nobody's bytes were overwritten by another allocation. */
    for (size_t i = 0; i < N; i++)
        assert_true(all_byte(ptr[i], len[i], (uint8_t)(i % 251 + 1)));
    for (size_t i = 0; i < N; i += 2)
        kfree(ptr[i]);
    assert_true(kheap_check());
    for (size_t i = 1; i < N; i += 2) {
        assert_true(all_byte(ptr[i], len[i], (uint8_t)(i % 251 + 1)));
        kfree(ptr[i]);
    }
    baseline_expect(&b);
}

static void kmalloc_edge_sizes(void **state)
{
    (void)state;
    struct baseline b = baseline_take();
    assert_null(kmalloc(0));
    assert_null(kmalloc(SIZE_MAX));
    assert_null(kmalloc(SIZE_MAX - 63));
    assert_null(kmalloc(SIZE_MAX / 2 + 1));
    kfree(NULL);
    baseline_expect(&b);
}

static void kmalloc_large_blocks(void **state)
{
    (void)state;
    struct baseline b = baseline_take();
    const size_t sizes[] = { 2049, 3000, 4032, 4033, 8192, 100000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        long before = host_pages_in_use;
        uint8_t *p = kmalloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        /* Whole pages, a 64-byte header, the block right after it. */
        assert_int_equal(page_of(p) + 64, (uintptr_t)p);
        assert_int_equal(host_pages_in_use - before, (long)((n + 64 + PAGE - 1) / PAGE));
        assert_true(all_zero(p, n));
        memset(p, 0xc3, n);                 /* ASan: all n bytes are ours */
        struct kheap_stats st;
        kheap_get_stats(&st);
        assert_int_equal(st.bytes_in_use, b.st.bytes_in_use + n);
        assert_int_equal(st.objects_in_use, b.st.objects_in_use + 1);
        stats_consistent();
        kfree(p);
        assert_int_equal(host_pages_in_use, before);
    }
    baseline_expect(&b);
}

static void kmalloc_reuses_freed_memory_zeroed(void **state)
{
    (void)state;
    struct baseline b = baseline_take();
    uint8_t *keep = kmalloc(100);
    uint8_t *p = kmalloc(100);
    assert_non_null(keep);
    assert_non_null(p);
    memset(p, 0xff, 100);
    kfree(p);
    uint8_t *q = kmalloc(100);
    assert_ptr_equal(q, p);                 /* most recently freed first */
    assert_true(all_zero(q, 100));
    kfree(q);
    kfree(keep);
    baseline_expect(&b);
}

/* ------------------------------------------------------------ kcache */

static void kcache_objects_are_aligned(void **state)
{
    (void)state;
    const size_t sizes[] = { 1, 7, 24, 100, 1000, 2048 };
    const size_t aligns[] = { 0, 1, 8, 16, 32, 64 };
    struct baseline b0 = baseline_take();
    for (size_t si = 0; si < 6; si++)
        for (size_t ai = 0; ai < 6; ai++) {
            struct kcache *c = kcache_create("align-test", sizes[si], aligns[ai]);
            assert_non_null(c);
            struct baseline b = baseline_take();
            enum { N = 40 };
            uint8_t *o[N];
            for (int i = 0; i < N; i++) {
                o[i] = kcache_alloc(c);
                assert_non_null(o[i]);
                if (aligns[ai])
                    assert_int_equal((uintptr_t)o[i] % aligns[ai], 0);
                assert_int_equal((uintptr_t)o[i] % 8, 0);
                assert_true(all_zero(o[i], sizes[si]));
                memset(o[i], i + 1, sizes[si]);
            }
            for (int i = 0; i < N; i++)
                assert_true(all_byte(o[i], sizes[si], (uint8_t)(i + 1)));
            struct kheap_stats st;
            kheap_get_stats(&st);
            assert_int_equal(st.objects_in_use, b.st.objects_in_use + N);
            assert_int_equal(st.bytes_in_use, b.st.bytes_in_use + N * sizes[si]);
            assert_true(kheap_check());
            for (int i = 0; i < N; i++)
                kcache_free(c, o[i]);
            kcache_free(c, NULL);
            baseline_expect(&b);
        }
    /* Each cache's own struct is a live object. */
    struct kheap_stats st;
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, b0.st.objects_in_use + 36);
}

static void kcache_create_rejects_bad_arguments(void **state)
{
    (void)state;
    expect_assert_failure(kcache_create("zero", 0, 8));
    expect_assert_failure(kcache_create("big", 2049, 8));
    expect_assert_failure(kcache_create("align", 32, 128));
    expect_assert_failure(kcache_create("align", 32, 24));
    assert_true(kheap_check());
}

static void slabs_are_reused_and_shrunk(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("reuse", 200, 16);
    assert_non_null(c);
    struct baseline b = baseline_take();

    /* Allocate until the cache holds three slabs. */
    enum { MAX = 200 };
    void *o[MAX];
    int n = 0;
    while (host_pages_in_use - b.host_pages < 3 || n % 2) {
        assert_true(n < MAX);
        o[n] = kcache_alloc(c);
        assert_non_null(o[n]);
        n++;
    }
    assert_int_equal(host_pages_in_use - b.host_pages, 3);
    /* Free and reallocate repeatedly: no new pages. */
    for (int round = 0; round < 50; round++) {
        for (int i = round % 2; i < n; i += 2)
            kcache_free(c, o[i]);
        for (int i = round % 2; i < n; i += 2) {
            o[i] = kcache_alloc(c);
            assert_non_null(o[i]);
            assert_true(all_zero(o[i], 200));
        }
        assert_int_equal(host_pages_in_use - b.host_pages, 3);
    }
    assert_true(kheap_check());
    for (int i = 0; i < n; i++)
        kcache_free(c, o[i]);
    struct kheap_stats st;
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, b.st.objects_in_use);
    assert_int_equal(st.bytes_in_use, b.st.bytes_in_use);
    stats_consistent();
    /* A cache keeps at most one empty slab (the rest went back at once);
     * what it still holds is what kcache_shrink gives back. */
    long held = host_pages_in_use - b.host_pages;
    assert_true(held >= 0 && held <= 1);
    assert_int_equal(kcache_shrink(c), (size_t)held);
    assert_int_equal(host_pages_in_use, b.host_pages);
    assert_int_equal(kcache_shrink(c), 0);
    /* The cache still works after shrinking to nothing. */
    void *x = kcache_alloc(c);
    assert_non_null(x);
    assert_int_equal(host_pages_in_use, b.host_pages + 1);
    kcache_free(c, x);
    assert_int_equal(kcache_shrink(c), 1);
    baseline_expect(&b);
}

static void page_alloc_failure_is_survived(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("fail", 512, 64);
    assert_non_null(c);
    struct baseline b = baseline_take();

    host_page_fail_after = 0;
    assert_null(kcache_alloc(c));
    assert_null(kmalloc(100));
    assert_null(kmalloc(10000));
    assert_null(kmalloc(2048));
    baseline_expect(&b);

    /* One page, then failure: exactly one slab's worth of objects. */
    host_page_fail_after = 1;
    enum { MAX = 64 };
    void *o[MAX];
    int n = 0;
    while ((o[n] = kcache_alloc(c)) != NULL) {
        n++;
        assert_true(n < MAX);
    }
    assert_true(n >= 1);
    assert_int_equal(host_pages_in_use, b.host_pages + 1);
    assert_true(kheap_check());
    stats_consistent();
    host_page_fail_after = -1;
    void *more = kcache_alloc(c);           /* recovers once pages come back */
    assert_non_null(more);
    kcache_free(c, more);
    for (int i = 0; i < n; i++)
        kcache_free(c, o[i]);
    baseline_expect(&b);

    /* kcache_create itself can fail once its own slab is full. */
    host_page_fail_after = 0;
    int created = 0;
    struct kcache *k;
    while ((k = kcache_create("fill", 32, 8)) != NULL) {
        created++;
        assert_true(created < 1000);
    }
    host_page_fail_after = -1;
    assert_true(kheap_check());
    stats_consistent();
}

/* ------------------------------------------------------------ bug detection */

/* After baseline_take() no cache holds a partial slab, so two allocations
 * in a row share a fresh slab: freeing one keeps the page alive. */

static void write_after_free_is_detected(void **state)
{
    (void)state;
    if (!CONFIG_KHEAP_DEBUG)
        skip();
    struct kcache *c = kcache_create("waf", 48, 16);
    assert_non_null(c);
    struct baseline b = baseline_take();
    uint8_t *keep = kcache_alloc(c), *victim = kcache_alloc(c);
    assert_int_equal(page_of(keep), page_of(victim));
    kcache_free(c, victim);

    for (size_t off = 0; off < 48; off += 47) {     /* first and last byte */
        uint8_t saved = victim[off];
        victim[off] = 0;
        host_log_clear();
        assert_false(kheap_check());
        assert_non_null(strstr(host_log, "waf"));
        expect_assert_failure(kcache_alloc(c));
        assert_non_null(strstr(host_log, "write after free"));
        victim[off] = saved;                /* repaired: the heap is intact again */
        assert_true(kheap_check());
    }
    uint8_t *again = kcache_alloc(c);
    assert_ptr_equal(again, victim);
    assert_true(all_zero(again, 48));
    kcache_free(c, again);
    kcache_free(c, keep);

    /* The same through kmalloc. */
    uint8_t *k1 = kmalloc(100), *k2 = kmalloc(100);
    assert_int_equal(page_of(k1), page_of(k2));
    kfree(k2);
    k2[60] ^= 0x11;
    expect_assert_failure(kmalloc(100));
    k2[60] ^= 0x11;
    uint8_t *k3 = kmalloc(100);
    assert_ptr_equal(k3, k2);
    kfree(k3);
    kfree(k1);
    baseline_expect(&b);
}

static void red_zone_overflow_is_detected(void **state)
{
    (void)state;
    if (!CONFIG_KHEAP_DEBUG)
        skip();
    struct baseline b = baseline_take();
    /* 25, 57, 1017: n + 8 is one past a class size, so the red zone decides the class. */
    const size_t sizes[] = { 1, 20, 24, 25, 57, 100, 1000, 1017, 2040, 2041, 3000, 5000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        for (size_t over = 0; over < 8; over += 7) {    /* first and last red-zone byte */
            uint8_t *p = kmalloc(n);
            assert_non_null(p);
            struct kheap_stats st0;
            kheap_get_stats(&st0);
            uint8_t saved = p[n + over];
            p[n + over] ^= 0xff;
            if (n <= 2040)              /* small objects: kheap_check sees it too */
                assert_false(kheap_check());
            host_log_clear();
            expect_assert_failure(kfree(p));
            assert_non_null(strstr(host_log, "red zone"));
            struct kheap_stats st1;
            kheap_get_stats(&st1);      /* the failed kfree changed nothing */
            assert_memory_equal(&st0, &st1, sizeof st0);
            p[n + over] = saved;
            assert_true(kheap_check());
            kfree(p);
        }
    }
    baseline_expect(&b);
}

static void double_free_is_detected(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("dbl", 64, 64);
    assert_non_null(c);
    struct baseline b = baseline_take();
    uint8_t *keep = kcache_alloc(c), *x = kcache_alloc(c);
    assert_int_equal(page_of(keep), page_of(x));
    kcache_free(c, x);
    struct kheap_stats st0, st1;
    kheap_get_stats(&st0);
    host_log_clear();
    expect_assert_failure(kcache_free(c, x));
    assert_non_null(strstr(host_log, "double free"));
    kheap_get_stats(&st1);
    assert_memory_equal(&st0, &st1, sizeof st0);
    assert_true(kheap_check());
    kcache_free(c, keep);

    uint8_t *k1 = kmalloc(300), *k2 = kmalloc(300);
    assert_int_equal(page_of(k1), page_of(k2));
    kfree(k1);
    host_log_clear();
    expect_assert_failure(kfree(k1));
    assert_non_null(strstr(host_log, "double free"));
    assert_true(kheap_check());
    kfree(k2);
    baseline_expect(&b);
}

static void foreign_pointers_are_rejected(void **state)
{
    (void)state;
    struct kcache *c1 = kcache_create("one", 40, 8), *c2 = kcache_create("two", 40, 8);
    assert_non_null(c1);
    assert_non_null(c2);
    struct baseline b = baseline_take();
    uint8_t *o = kcache_alloc(c1);
    uint8_t *small = kmalloc(40);
    uint8_t *large = kmalloc(10000);
    assert_non_null(o);
    assert_non_null(small);
    assert_non_null(large);

    host_log_clear();
    expect_assert_failure(kcache_free(c2, o));          /* wrong cache */
    assert_non_null(strstr(host_log, "wrong cache"));
    expect_assert_failure(kcache_free(c1, o + 1));      /* not an object start */
    expect_assert_failure(kcache_free(c1, o + 8));
    expect_assert_failure(kcache_free(c1, (uint8_t *)page_of(o) + 8));   /* the header */
    expect_assert_failure(kcache_free(c1, small));      /* a kmalloc object */
    expect_assert_failure(kcache_free(c1, large));      /* a large block */
    host_log_clear();
    expect_assert_failure(kfree(o));                    /* kcache object to kfree */
    assert_non_null(strstr(host_log, "kcache object"));
    expect_assert_failure(kfree(small + 16));
    expect_assert_failure(kfree(large + 64));           /* inside a large block */
    assert_true(kheap_check());

    kcache_free(c1, o);
    kfree(small);
    kfree(large);
    baseline_expect(&b);
}

static void kheap_dump_lists_caches(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("dump-me", 72, 8);
    assert_non_null(c);
    void *o = kcache_alloc(c), *p = kmalloc(5000);
    host_log_clear();
    kheap_dump();
    assert_non_null(strstr(host_log, "dump-me"));
    assert_non_null(strstr(host_log, "kmalloc-2048"));
    assert_non_null(strstr(host_log, "large blocks 1"));
    kcache_free(c, o);
    kfree(p);
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define CHECK(c) do { if (!(c)) fail_msg("seed %llu step %d: %s (TEST_SEED=%llu to replay)", \
    (unsigned long long)seed, step, #c, (unsigned long long)seed); } while (0)

struct live {
    uint8_t *p;
    size_t n;
    int cache;          /* -1: kmalloc */
    uint8_t fill;
};

static void random_ops_keep_the_heap_consistent(void **state)
{
    (void)state;
    const char *env = getenv("TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    rng_state = seed;
    int step = 0;

    static const struct { size_t size, align; } spec[3] = { { 24, 8 }, { 200, 64 }, { 1000, 16 } };
    struct kcache *caches[3];
    for (int i = 0; i < 3; i++) {
        caches[i] = kcache_create("random", spec[i].size, spec[i].align);
        CHECK(caches[i] != NULL);
    }
    struct baseline b = baseline_take();
    enum { MAXLIVE = 1500 };
    static struct live live[MAXLIVE];
    size_t nlive = 0;
    uint64_t bytes = 0;

    for (step = 0; step < 20000; step++) {
        unsigned op = (unsigned)(rng() % 100);
        bool inject = rng() % 50 == 0;
        if (inject)
            host_page_fail_after = 0;
        if (op < 55 && nlive < MAXLIVE) {
            struct live l = { .fill = (uint8_t)(rng() % 255 + 1) };
            unsigned kind = (unsigned)(rng() % 10);
            if (kind < 3) {
                l.cache = (int)(rng() % 3);
                l.n = spec[l.cache].size;
                l.p = kcache_alloc(caches[l.cache]);
                if (l.p)
                    CHECK((uintptr_t)l.p % spec[l.cache].align == 0);
            } else {
                l.cache = -1;
                l.n = kind < 7 ? 1 + rng() % 256 : kind < 9 ? 1 + rng() % 2048 : 1 + rng() % 20000;
                l.p = kmalloc(l.n);
                if (l.p)
                    CHECK((uintptr_t)l.p % 16 == 0);
            }
            CHECK(l.p != NULL || inject);
            if (l.p) {
                CHECK(all_zero(l.p, l.n));
                memset(l.p, l.fill, l.n);
                live[nlive++] = l;
                bytes += l.n;
            }
        } else if (op < 97 && nlive) {
            size_t i = rng() % nlive;
            struct live l = live[i];
            live[i] = live[--nlive];
            CHECK(all_byte(l.p, l.n, l.fill));     /* nobody else wrote here */
            if (l.cache < 0)
                kfree(l.p);
            else
                kcache_free(caches[l.cache], l.p);
            bytes -= l.n;
        } else {
            kcache_shrink(rng() % 2 ? NULL : caches[rng() % 3]);
        }
        host_page_fail_after = -1;

        struct kheap_stats st;
        kheap_get_stats(&st);
        CHECK(st.objects_in_use == b.st.objects_in_use + nlive);
        CHECK(st.bytes_in_use == b.st.bytes_in_use + bytes);
        CHECK(st.pages == (uint64_t)host_pages_in_use);
        if (step % 200 == 0)
            CHECK(kheap_check());
    }
    CHECK(kheap_check());
    while (nlive) {
        struct live l = live[--nlive];
        CHECK(all_byte(l.p, l.n, l.fill));
        if (l.cache < 0)
            kfree(l.p);
        else
            kcache_free(caches[l.cache], l.p);
    }
    baseline_expect(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(kmalloc_sizes_are_aligned_zeroed_and_disjoint, reset_failures),
        cmocka_unit_test_teardown(kmalloc_edge_sizes, reset_failures),
        cmocka_unit_test_teardown(kmalloc_large_blocks, reset_failures),
        cmocka_unit_test_teardown(kmalloc_reuses_freed_memory_zeroed, reset_failures),
        cmocka_unit_test_teardown(kcache_objects_are_aligned, reset_failures),
        cmocka_unit_test_teardown(kcache_create_rejects_bad_arguments, reset_failures),
        cmocka_unit_test_teardown(slabs_are_reused_and_shrunk, reset_failures),
        cmocka_unit_test_teardown(page_alloc_failure_is_survived, reset_failures),
        cmocka_unit_test_teardown(write_after_free_is_detected, reset_failures),
        cmocka_unit_test_teardown(red_zone_overflow_is_detected, reset_failures),
        cmocka_unit_test_teardown(double_free_is_detected, reset_failures),
        cmocka_unit_test_teardown(foreign_pointers_are_rejected, reset_failures),
        cmocka_unit_test_teardown(kheap_dump_lists_caches, reset_failures),
        cmocka_unit_test_teardown(random_ops_keep_the_heap_consistent, reset_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
