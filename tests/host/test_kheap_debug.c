// SPDX-License-Identifier: MIT
/* test_kheap_debug.c - host tests of the debug heap (kernel/mm/kheap.c built
 * with CONFIG_DEBUG_HEAP=1, as in the debug kernel): red zones before and
 * after every object (kcache and kmalloc) checked on free and by
 * kheap_check(), the callers named in reports, poison checked on reuse with
 * a FIFO free list per slab, double frees, the large blocks' red zone, and
 * a random run that must keep every check quiet. Each detection test breaks
 * one byte, expects the report (cmocka's expect_assert_failure: panic() is
 * mock_assert here) and that nothing changed, repairs the byte and goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "config.h"
#include "mm/kheap.h"

#if !CONFIG_DEBUG_HEAP
#error "test_kheap_debug is built with -DCONFIG_DEBUG_HEAP=1 (tests/host/kheap_debug.mk)"
#endif

#define PAGE 4096u
#define page_of(p) ((uintptr_t)(p) & ~(uintptr_t)(PAGE - 1))
#define RZ 0xa5
#define POISON 0x6b

static bool all_byte(const void *p, size_t n, uint8_t v)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return false;
    return true;
}

static void stats_equal(const struct kheap_stats *a)
{
    struct kheap_stats b;
    kheap_get_stats(&b);
    assert_memory_equal(a, &b, sizeof b);
}

/* Flip one byte, expect `stmt` to report `what` and change nothing, repair. */
#define EXPECT_REPORT(byte_ptr, stmt, what)                                    \
    do {                                                                       \
        uint8_t *_b = (byte_ptr);                                              \
        uint8_t _saved = *_b;                                                  \
        struct kheap_stats _st;                                                \
        kheap_get_stats(&_st);                                                 \
        *_b ^= 0x5a;                                                           \
        host_log_clear();                                                      \
        expect_assert_failure(stmt);                                           \
        assert_non_null(strstr(host_log, what));                               \
        stats_equal(&_st);                                                     \
        *_b = _saved;                                                          \
    } while (0)

static void objects_sit_between_red_zones(void **state)
{
    (void)state;
    const size_t sizes[] = { 1, 8, 24, 100, 1000, 2048 };
    const size_t aligns[] = { 8, 16, 64 };
    for (size_t si = 0; si < 6; si++)
        for (size_t ai = 0; ai < 3; ai++) {
            struct kcache *c = kcache_create("rz", sizes[si], aligns[ai]);
            assert_non_null(c);
            uint8_t *o[4];
            for (int i = 0; i < 4; i++) {
                o[i] = kcache_alloc(c);
                assert_non_null(o[i]);
                assert_int_equal((uintptr_t)o[i] % aligns[ai], 0);
                assert_true(all_byte(o[i], sizes[si], 0));
                assert_true(all_byte(o[i] - 16, 16, RZ));            /* before */
                assert_true(all_byte(o[i] + sizes[si], 16, RZ));     /* after */
                memset(o[i], 0x11 * (i + 1), sizes[si]);
            }
            assert_true(kheap_check());
            /* o[0] stays live last, so its slab page outlives the others' frees. */
            for (int i = 3; i >= 0; i--) {
                assert_true(all_byte(o[i], sizes[si], (uint8_t)(0x11 * (i + 1))));
                kcache_free(c, o[i]);
                if (i > 0 && page_of(o[i]) == page_of(o[0]))
                    assert_true(all_byte(o[i], sizes[si], POISON));  /* poisoned at once */
            }
            assert_true(kheap_check());
        }
}

static void kcache_overflow_and_underflow_are_caught_on_free(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("flow", 40, 8);
    assert_non_null(c);
    uint8_t *o = kcache_alloc(c);
    assert_non_null(o);
    EXPECT_REPORT(o + 40, kcache_free(c, o), "red zone overwritten");   /* one past */
    assert_non_null(strstr(host_log, "the red zone after it"));
    assert_non_null(strstr(host_log, "allocated by 0x"));                /* the caller */
    EXPECT_REPORT(o + 55, kcache_free(c, o), "red zone overwritten");   /* last byte after */
    EXPECT_REPORT(o - 1, kcache_free(c, o), "the red zone before it");  /* one before */
    EXPECT_REPORT(o - 16, kcache_free(c, o), "red zone overwritten");   /* first byte before */
    /* kheap_check sees it in a live object too. */
    o[40] ^= 1;
    host_log_clear();
    assert_false(kheap_check());
    assert_non_null(strstr(host_log, "red zone overwritten"));
    o[40] ^= 1;
    assert_true(kheap_check());
    kcache_free(c, o);
}

static void kmalloc_red_zone_covers_the_slack_and_beyond(void **state)
{
    (void)state;
    /* 20 bytes: class 32 (20 + 8), so the slack [20, 32) and the zone after. */
    uint8_t *p = kmalloc(20);
    assert_non_null(p);
    assert_true(all_byte(p + 20, 12 + 16, RZ));
    EXPECT_REPORT(p + 20, kfree(p), "red zone overwritten");
    EXPECT_REPORT(p + 31, kfree(p), "red zone overwritten");
    EXPECT_REPORT(p + 40, kfree(p), "red zone overwritten");
    EXPECT_REPORT(p - 3, kfree(p), "red zone overwritten");
    kfree(p);
}

static void write_after_free_is_caught_on_reuse(void **state)
{
    (void)state;
    /* 1000-byte objects: three per slab, so which slot comes next is known. */
    struct kcache *c = kcache_create("waf", 1000, 8);
    assert_non_null(c);
    uint8_t *a = kcache_alloc(c), *b = kcache_alloc(c), *d = kcache_alloc(c);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    assert_int_equal(page_of(a), page_of(b));
    assert_int_equal(page_of(a), page_of(d));
    kcache_free(c, b);                       /* the slab's only free slot */
    b[500] = 0;                              /* a late write through a stale pointer */
    host_log_clear();
    assert_false(kheap_check());
    assert_non_null(strstr(host_log, "write after free"));
    host_log_clear();
    expect_assert_failure(kcache_alloc(c));
    assert_non_null(strstr(host_log, "write after free"));
    assert_non_null(strstr(host_log, "byte 500 (in the object) is 0x00, not 0x6b"));
    assert_non_null(strstr(host_log, "freed by 0x"));
    b[500] = POISON;                         /* repaired */
    assert_true(kheap_check());
    uint8_t *again = kcache_alloc(c);
    assert_ptr_equal(again, b);
    assert_true(all_byte(again, 1000, 0));
    /* A red zone of a free object counts too. */
    kcache_free(c, again);
    again[-2] = 0;
    expect_assert_failure(kcache_alloc(c));
    assert_non_null(strstr(host_log, "red zone of a free object overwritten"));
    again[-2] = RZ;
    assert_ptr_equal(kcache_alloc(c), again);
    kcache_free(c, a);
    kcache_free(c, again);
    kcache_free(c, d);
}

static void free_list_is_fifo(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("fifo", 64, 8);
    assert_non_null(c);
    enum { N = 6 };
    uint8_t *o[N];
    for (int i = 0; i < N; i++)
        o[i] = kcache_alloc(c);
    kcache_free(c, o[3]);
    kcache_free(c, o[1]);
    /* The slab's never-used slots come first, then o[3], then o[1]. */
    uint8_t *got[64];
    int n = 0, at3 = -1, at1 = -1;
    while (n < 64) {
        got[n] = kcache_alloc(c);
        if (got[n] == o[3])
            at3 = n;
        if (got[n] == o[1])
            at1 = n;
        n++;
        if (at1 >= 0)
            break;
    }
    assert_true(at3 >= 0 && at1 == at3 + 1);
    assert_int_equal(page_of(got[at3 > 0 ? at3 - 1 : 0]), page_of(o[0]));
    for (int i = 0; i < n; i++)
        kcache_free(c, got[i]);
    for (int i = 0; i < N; i++)
        if (i != 1 && i != 3)
            kcache_free(c, o[i]);
    assert_true(kheap_check());
}

static void double_free_names_the_first_free(void **state)
{
    (void)state;
    struct kcache *c = kcache_create("dbl", 64, 64);
    assert_non_null(c);
    uint8_t *keep = kcache_alloc(c), *x = kcache_alloc(c);
    kcache_free(c, x);
    struct kheap_stats st;
    kheap_get_stats(&st);
    host_log_clear();
    expect_assert_failure(kcache_free(c, x));
    assert_non_null(strstr(host_log, "double free"));
    assert_non_null(strstr(host_log, "already freed by 0x"));
    stats_equal(&st);
    uint8_t *k = kmalloc(300);
    kfree(k);
    expect_assert_failure(kfree(k));
    assert_non_null(strstr(host_log, "double free"));
    assert_true(kheap_check());
    kcache_free(c, keep);
}

static void large_blocks_have_a_red_zone_before(void **state)
{
    (void)state;
    uint8_t *p = kmalloc(10000);
    assert_non_null(p);
    assert_int_equal(page_of(p) + 64, (uintptr_t)p);
    assert_true(all_byte(p - 32, 32, RZ));
    EXPECT_REPORT(p - 1, kfree(p), "red zone overwritten");
    assert_non_null(strstr(host_log, "large block"));
    EXPECT_REPORT(p + 10000, kfree(p), "red zone overwritten");         /* after, as before */
    kfree(p);
}

static uint64_t rng_state = 12345;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Correct use never trips a check (the periodic whole-heap check included:
 * far more than KHEAP_CHECK_PERIOD frees), and the counters add up. */
static void random_correct_use_is_quiet(void **state)
{
    (void)state;
    struct kcache *caches[2] = { kcache_create("r24", 24, 8), kcache_create("r200", 200, 64) };
    enum { MAXLIVE = 800 };
    static struct { uint8_t *p; size_t n; int cache; } live[MAXLIVE];
    size_t nlive = 0;
    struct kheap_stats st0, st;
    kheap_get_stats(&st0);
    for (int step = 0; step < 30000; step++) {
        if (rng() % 100 < 55 && nlive < MAXLIVE) {
            int k = (int)(rng() % 3) - 1;
            size_t n = k >= 0 ? (k ? 200 : 24) : 1 + rng() % 3000;
            uint8_t *p = k >= 0 ? kcache_alloc(caches[k]) : kmalloc(n);
            assert_non_null(p);
            memset(p, 0x77, n);
            live[nlive].p = p;
            live[nlive].n = n;
            live[nlive].cache = k;
            nlive++;
        } else if (nlive) {
            size_t i = rng() % nlive;
            assert_true(all_byte(live[i].p, live[i].n, 0x77));
            if (live[i].cache >= 0)
                kcache_free(caches[live[i].cache], live[i].p);
            else
                kfree(live[i].p);
            live[i] = live[--nlive];
        }
    }
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, st0.objects_in_use + nlive);
    assert_true(kheap_check());
    while (nlive) {
        nlive--;
        if (live[nlive].cache >= 0)
            kcache_free(caches[live[nlive].cache], live[nlive].p);
        else
            kfree(live[nlive].p);
    }
    kcache_shrink(NULL);
    kheap_get_stats(&st);
    assert_int_equal(st.objects_in_use, st0.objects_in_use);
    assert_int_equal(st.pages, (uint64_t)host_pages_in_use);
    assert_true(kheap_check());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(objects_sit_between_red_zones),
        cmocka_unit_test(kcache_overflow_and_underflow_are_caught_on_free),
        cmocka_unit_test(kmalloc_red_zone_covers_the_slack_and_beyond),
        cmocka_unit_test(write_after_free_is_caught_on_reuse),
        cmocka_unit_test(free_list_is_fifo),
        cmocka_unit_test(double_free_names_the_first_free),
        cmocka_unit_test(large_blocks_have_a_red_zone_before),
        cmocka_unit_test(random_correct_use_is_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
