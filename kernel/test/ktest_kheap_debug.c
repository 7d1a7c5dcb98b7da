// SPDX-License-Identifier: MIT
/* ktest_kheap_debug.c - in-kernel tests of the debug heap (mm/kheap.c with
 * CONFIG_DEBUG_HEAP), built only into the debug kernel. Each test damages
 * the heap the way a bug would (a write past an object, before it, after
 * its free; a second free) under a planned failure (lib/kcheck.h): the heap
 * must report it, with the right kind, and change nothing; the test then
 * repairs the damage and checks that the heap is whole again. The detailed
 * logic is also tested on the host (tests/host/test_kheap_debug.c). */
#include "test/ktest.h"
#include "lib/kcheck.h"
#include "lib/string.h"
#include "mm/kheap.h"
#include "config.h"

#define RZ 0xa5

static bool all_byte(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static bool stats_equal(const struct kheap_stats *a)
{
    struct kheap_stats b;
    kheap_get_stats(&b);
    return memcmp(a, &b, sizeof b) == 0;
}

/* Break *byte, run stmt under a plan, expect one report of `kind` that
 * changed no counter, then repair. */
#define EXPECT_HEAP_BUG(t, byte, stmt, kind_)                                         \
    do {                                                                              \
        uint8_t *_b = (byte), _saved = *_b;                                           \
        struct kheap_stats _st;                                                       \
        struct kcheck_plan _p;                                                        \
        kheap_get_stats(&_st);                                                        \
        *_b ^= 0x5a;                                                                  \
        kcheck_plan_begin(&_p);                                                       \
        stmt;                                                                         \
        kcheck_plan_end(&_p);                                                         \
        KT_EXPECTF((t), _p.hits == 1 && strcmp(_p.kind, (kind_)) == 0,                \
                   "%s: %u reports, first '%s', expected '%s'", #stmt, _p.hits,       \
                   _p.kind, (kind_));                                                 \
        KT_EXPECTF((t), stats_equal(&_st), "%s changed the heap counters", #stmt);    \
        *_b = _saved;                                                                 \
    } while (0)

KTEST(debug_heap_red_zones_surround_objects)
{
    if (!CONFIG_DEBUG_HEAP)
        KT_SKIP(t, "CONFIG_DEBUG_HEAP is off");
    uint8_t *p = kmalloc(24);
    struct kcache *c = kcache_create("ktest-rz", 100, 64);
    uint8_t *o = c ? kcache_alloc(c) : NULL;
    KT_EXPECT(t, p && o);
    if (!p || !o)
        return;
    KT_EXPECT(t, all_byte(p - 16, 16, RZ) && all_byte(p + 24, 16, RZ));
    KT_EXPECT(t, IS_ALIGNED((uintptr_t)o, 64) && all_byte(o - 64, 64, RZ) && all_byte(o + 100, 16, RZ));
    KT_EXPECT(t, kheap_check());
    kfree(p);
    kcache_free(c, o);
    KT_EXPECT(t, kheap_check());
}

KTEST(debug_heap_overflow_into_red_zone_is_reported)
{
    if (!CONFIG_DEBUG_HEAP)
        KT_SKIP(t, "CONFIG_DEBUG_HEAP is off");
    uint8_t *p = kmalloc(24);
    struct kcache *c = kcache_create("ktest-overflow", 40, 8);
    uint8_t *o = c ? kcache_alloc(c) : NULL;
    uint8_t *big = kmalloc(9000);
    KT_EXPECT(t, p && o && big);
    if (!p || !o || !big)
        return;
    EXPECT_HEAP_BUG(t, p + 24, kfree(p), "red zone overwritten");      /* one past the end */
    EXPECT_HEAP_BUG(t, p - 1, kfree(p), "red zone overwritten");       /* one before */
    EXPECT_HEAP_BUG(t, o + 40, kcache_free(c, o), "red zone overwritten");
    EXPECT_HEAP_BUG(t, o - 8, kcache_free(c, o), "red zone overwritten");
    EXPECT_HEAP_BUG(t, big + 9000, kfree(big), "red zone overwritten");
    EXPECT_HEAP_BUG(t, big - 4, kfree(big), "red zone overwritten");
    /* The on-demand check sees damage in a live object too. */
    p[30] ^= 1;
    KT_EXPECT(t, !kheap_check());
    p[30] ^= 1;
    KT_EXPECT(t, kheap_check());
    kfree(p);
    kcache_free(c, o);
    kfree(big);
    KT_EXPECT(t, kheap_check());
}

KTEST(debug_heap_write_after_free_is_reported)
{
    if (!CONFIG_DEBUG_HEAP)
        KT_SKIP(t, "CONFIG_DEBUG_HEAP is off");
    /* 1000-byte objects: three per slab page, so the next slot is known. */
    struct kcache *c = kcache_create("ktest-waf", 1000, 8);
    KT_EXPECT(t, c != NULL);
    if (!c)
        return;
    uint8_t *a = kcache_alloc(c), *b = kcache_alloc(c), *d = kcache_alloc(c);
    KT_EXPECT(t, a && b && d);
    if (!a || !b || !d)
        return;
    KT_EXPECT(t, ALIGN_DOWN((uintptr_t)a, PAGE_SIZE) == ALIGN_DOWN((uintptr_t)d, PAGE_SIZE));
    kcache_free(c, b);                  /* the slab's only free slot */
    uint8_t *got = NULL;
    EXPECT_HEAP_BUG(t, b + 500, got = kcache_alloc(c), "write after free");
    KT_EXPECT(t, got == NULL);          /* refused: the damaged object stays free */
    b[500] ^= 0x5a;                     /* damage the freed object again for the check */
    KT_EXPECT(t, !kheap_check());
    b[500] ^= 0x5a;
    KT_EXPECT(t, kheap_check());
    got = kcache_alloc(c);              /* repaired: handed out, zeroed */
    KT_EXPECT(t, got == b && all_byte(got, 1000, 0));
    kcache_free(c, a);
    kcache_free(c, got);
    kcache_free(c, d);
    KT_EXPECT(t, kheap_check());
}

KTEST(debug_heap_double_free_is_reported)
{
    if (!CONFIG_DEBUG_HEAP)
        KT_SKIP(t, "CONFIG_DEBUG_HEAP is off");
    struct kcache *c = kcache_create("ktest-dbl", 64, 8);
    uint8_t *keep = c ? kcache_alloc(c) : NULL, *x = c ? kcache_alloc(c) : NULL;
    uint8_t *k = kmalloc(300), *k2 = kmalloc(300);
    KT_EXPECT(t, keep && x && k && k2);
    if (!keep || !x || !k || !k2)
        return;
    kcache_free(c, x);
    kfree(k);
    struct kheap_stats st;
    kheap_get_stats(&st);
    struct kcheck_plan p;
    kcheck_plan_begin(&p);
    kcache_free(c, x);
    kfree(k);
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 2);
    KT_EXPECT(t, strcmp(p.kind, "double free") == 0 && strcmp(p.last_kind, "double free") == 0);
    KT_EXPECT(t, stats_equal(&st));
    KT_EXPECT(t, kheap_check());
    kcache_free(c, keep);
    kfree(k2);
}
