// SPDX-License-Identifier: MIT
/* test_pmm.c - host tests of the physical memory manager (kernel/mm/pmm.c).
 * Physical memory is imaginary here: the PMM only keeps a bitmap (a host
 * buffer the tests own and may inspect: one bit per frame, 1 = used) and
 * hands out addresses. Expected frame states come from a per-frame reference
 * model written independently of pmm.c (byte-range tests, no shortcuts), and
 * pmm_check() runs after every step. Set TEST_SEED=n to replay the random
 * test; its seed is printed on failure. */
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
#include "mm/pmm.h"
#include <mos/errors.h>

#define FRAME 4096ull

/* ------------------------------------------------------------ fixtures */

static struct boot_info bi;
static struct phys_range avoid[8];
static size_t navoid;
static struct pmm_plan plan;
static uint64_t *bitmap;

static void map_reset(void)
{
    memset(&bi, 0, sizeof bi);
    memset(avoid, 0, sizeof avoid);
    navoid = 0;
}

static void map_add(uint64_t base, uint64_t len, uint32_t type)
{
    assert_true(bi.nregions < BOOT_MAX_REGIONS);
    bi.regions[bi.nregions++] = (struct mem_region){ .base = base, .len = len, .type = type };
}

static void avoid_add(uint64_t base, uint64_t len)
{
    assert_true(navoid < sizeof avoid / sizeof avoid[0]);
    avoid[navoid++] = (struct phys_range){ base, len };
}

static void module_add(uint64_t start, uint64_t size)
{
    bi.modules[bi.nmodules].start = start;
    bi.modules[bi.nmodules].size = size;
    bi.nmodules++;
}

/* A PC-like map: 128 MiB with the legacy hole, a reserved hole and an ACPI
 * region in the middle, unaligned edges, and firmware reservations far above
 * the last usable byte. */
static void map_pc(void)
{
    map_reset();
    map_add(0x0, 0x9fc00, MEM_USABLE);
    map_add(0x9fc00, 0x400, MEM_RESERVED);
    map_add(0xf0000, 0x10000, MEM_RESERVED);
    map_add(0x100000, 0x2f00000, MEM_USABLE);              /* 1 MiB .. 48 MiB */
    map_add(0x3000000, 0x100000, MEM_RESERVED);
    map_add(0x3100000, 0x10000, MEM_ACPI_RECLAIMABLE);
    map_add(0x3110000, 0x8000000 - 0x3110000, MEM_USABLE); /* .. 128 MiB */
    map_add(0xfec00000, 0x1000, MEM_RESERVED);
    map_add(0xfffc0000, 0x40000, MEM_RESERVED);
    map_add(0x100000000ull, 0x40000000ull, MEM_RESERVED);  /* 4 GiB .. 5 GiB, not RAM */
    bi.kernel_phys_base = 0x200000;
    bi.kernel_phys_end = 0x2c3456;
    module_add(0x400000, 0x1234);
    avoid_add(0x100000, 0x1800);                            /* unaligned end */
    avoid_add(0x5000800, 0x100);                            /* unaligned, inside one frame */
}

/* A small map so the random test runs into exhaustion often; unsanitized
 * (an unaligned usable start, a region overlapping a usable one). */
static void map_small(void)
{
    map_reset();
    map_add(0x0, 0x9f000, MEM_USABLE);
    map_add(0x100000, 0x300000, MEM_USABLE);                /* 1 .. 4 MiB */
    map_add(0x400000, 0x10000, MEM_RESERVED);
    map_add(0x410800, 0x3ee800, MEM_USABLE);                /* unaligned start .. 0x7ff000 */
    map_add(0x600800, 0x100, MEM_ACPI_NVS);                 /* overlaps usable: it wins */
    map_add(0x7ff000, 0x1000, MEM_BAD);
    map_add(0x800000, 0x123456, MEM_USABLE);                /* unaligned end */
    map_add(0x10000000, 0x1000000, MEM_FRAMEBUFFER);        /* above the top */
    bi.kernel_phys_base = 0x200000;
    bi.kernel_phys_end = 0x240000;
    avoid_add(0x101000, 0x2000);
}

static void pmm_start(void)
{
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &plan), 0);
    free(bitmap);
    bitmap = malloc(plan.bitmap_bytes);
    assert_non_null(bitmap);
    memset(bitmap, 0x5a, plan.bitmap_bytes);   /* init must not rely on zeroed memory */
    pmm_init(&plan, bitmap, &bi, avoid, navoid);
    assert_true(pmm_check());
}

static int teardown(void **state)
{
    (void)state;
    free(bitmap);
    bitmap = NULL;
    return 0;
}

/* ------------------------------------------------------------ reference model */

enum mstate { M_HARD, M_SOFT, M_FREE, M_USED };
/* M_HARD: never usable, below 1 MiB, the bitmap or the kernel image: pmm_free refuses it.
 * M_SOFT: usable but reserved at init (avoid ranges, modules): may be released. */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static enum mstate model_frame(uint64_t f)
{
    uint64_t a = f * FRAME;
    bool usable = false;
    for (uint32_t i = 0; i < bi.nregions; i++) {
        const struct mem_region *r = &bi.regions[i];
        if (r->type == MEM_USABLE && r->base <= a && a + FRAME <= r->base + r->len)
            usable = true;
    }
    for (uint32_t i = 0; i < bi.nregions; i++) {
        const struct mem_region *r = &bi.regions[i];
        if (r->type != MEM_USABLE && overlaps(a, FRAME, r->base, r->len))
            usable = false;
    }
    if (!usable || a < 0x100000 || overlaps(a, FRAME, plan.bitmap_pa, plan.bitmap_bytes))
        return M_HARD;
    if (overlaps(a, FRAME, bi.kernel_phys_base, bi.kernel_phys_end - bi.kernel_phys_base))
        return M_HARD;
    for (size_t i = 0; i < navoid; i++)
        if (overlaps(a, FRAME, avoid[i].base, avoid[i].len))
            return M_SOFT;
    if (overlaps(a, FRAME, bi.kernel_phys_base, bi.kernel_phys_end - bi.kernel_phys_base))
        return M_SOFT;
    for (uint32_t i = 0; i < bi.nmodules; i++)
        if (overlaps(a, FRAME, bi.modules[i].start, bi.modules[i].size))
            return M_SOFT;
    return M_FREE;
}

static bool frame_usable_in_map(uint64_t f)
{
    uint64_t a = f * FRAME;
    bool usable = false;
    for (uint32_t i = 0; i < bi.nregions; i++) {
        const struct mem_region *r = &bi.regions[i];
        if (r->type == MEM_USABLE && r->base <= a && a + FRAME <= r->base + r->len)
            usable = true;
        if (r->type != MEM_USABLE && overlaps(a, FRAME, r->base, r->len))
            return false;
    }
    return usable;
}

static bool bit_used(uint64_t f)
{
    return (bitmap[f / 64] >> (f % 64)) & 1;
}

static enum mstate *model_build(uint64_t *nfree)
{
    enum mstate *m = calloc(plan.nframes, sizeof *m);
    assert_non_null(m);
    *nfree = 0;
    for (uint64_t f = 0; f < plan.nframes; f++) {
        m[f] = model_frame(f);
        *nfree += m[f] == M_FREE;
    }
    return m;
}

/* ------------------------------------------------------------ pmm_plan */

static void plan_places_bitmap_lowest_above_1mib(void **state)
{
    (void)state;
    map_pc();
    navoid = 0;
    struct pmm_plan p;
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), 0);
    assert_int_equal(p.nframes, 0x8000000 / FRAME);
    assert_int_equal(p.bitmap_bytes, 0x8000000 / FRAME / 8);
    assert_int_equal(p.bitmap_pa, 0x100000);
}

static void plan_skips_avoid_ranges_in_whole_pages(void **state)
{
    (void)state;
    struct pmm_plan p;

    map_pc();           /* avoid [0x100000, 0x101800): two whole pages */
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x102000);

    avoid_add(0x102ff0, 0x20);          /* straddles 0x103000: pages 0x102 and 0x103 */
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x104000);

    /* Up to just below the kernel image: the page before it still fits. */
    map_pc();
    navoid = 0;
    avoid_add(0x100000, 0xff000);
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x1ff000);

    /* The kernel image and the boot modules are avoided even if not listed. */
    navoid = 0;
    avoid_add(0x100000, 0xff800);
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x2c4000);
    avoid_add(0x2c4000, 0x13c000);      /* up to the module at 0x400000 */
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x402000);
}

static void plan_needs_room_for_the_whole_bitmap(void **state)
{
    (void)state;
    struct pmm_plan p;
    map_reset();
    /* 8 GiB of frames: a 256 KiB bitmap (64 pages). */
    map_add(0x100000, 63 * FRAME, MEM_USABLE);           /* one page short */
    map_add(0x100000 + 63 * FRAME, FRAME, MEM_RESERVED);
    map_add(0x200000, 64 * FRAME + 0x800, MEM_USABLE);   /* 64 pages and a half */
    map_add(0x300000, 0x200000000ull - 0x300000, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), 0);
    assert_int_equal(p.nframes, 0x200000000ull / FRAME);
    assert_int_equal(p.bitmap_bytes, 256 * 1024);
    assert_int_equal(p.bitmap_pa, 0x200000);

    /* Same, but an avoid range inside the second region pushes it to the third. */
    avoid_add(0x23f000, 1);
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x300000);

    /* Unsorted map: the lowest place still wins. */
    map_reset();
    map_add(0x4000000, 0x4000000, MEM_USABLE);
    map_add(0x200000, 0x100000, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x200000);
    assert_int_equal(p.nframes, 0x8000000 / FRAME);
}

static void plan_top_is_highest_usable_address(void **state)
{
    (void)state;
    struct pmm_plan p;
    map_pc();
    uint64_t top = 0x8000000;
    /* Reserved, ACPI and framebuffer regions above the top do not grow it. */
    map_add(0x200000000ull, 0x1000000, MEM_FRAMEBUFFER);
    map_add(0x300000000ull, 0x1000, MEM_ACPI_NVS);
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.nframes * FRAME, top);
    assert_int_equal(p.bitmap_bytes % 8, 0);

    /* An unaligned end of the highest usable region rounds down. */
    map_reset();
    map_add(0x100000, 0x1234567, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), 0);
    assert_int_equal(p.nframes, (0x100000 + 0x1234567) / FRAME);
    assert_int_equal(p.bitmap_bytes, ((p.nframes + 63) / 64) * 8);

    /* A usable sliver smaller than a page adds nothing. */
    map_add(0x9000000, 0x800, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), 0);
    assert_int_equal(p.nframes, (0x100000 + 0x1234567) / FRAME);
}

static void plan_fails_without_room(void **state)
{
    (void)state;
    struct pmm_plan p = { 11, 22, 33 };

    map_reset();
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), -MOS_ENOMEM);          /* empty map */
    map_add(0x100000, 0x100000, MEM_RESERVED);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), -MOS_ENOMEM);          /* nothing usable */
    map_add(0x1000, 0x9e000, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), -MOS_ENOMEM);          /* only below 1 MiB */
    map_add(0x200000, 0x800, MEM_USABLE);
    assert_int_equal(pmm_plan(&bi, NULL, 0, &p), -MOS_ENOMEM);          /* less than a page */
    map_add(0x300000, 0x2000, MEM_USABLE);
    avoid_add(0x300fff, 2);
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), -MOS_ENOMEM);    /* avoided */
    assert_int_equal(p.nframes, 11);
    assert_int_equal(p.bitmap_pa, 22);
    assert_int_equal(p.bitmap_bytes, 33);
    navoid = 0;
    assert_int_equal(pmm_plan(&bi, avoid, navoid, &p), 0);
    assert_int_equal(p.bitmap_pa, 0x300000);
}

/* ------------------------------------------------------------ init */

static void init_matches_the_model(void **state)
{
    (void)state;
    void (*maps[])(void) = { map_pc, map_small };
    for (size_t k = 0; k < 2; k++) {
        maps[k]();
        pmm_start();
        uint64_t nfree, nusable = 0;
        enum mstate *m = model_build(&nfree);
        for (uint64_t f = 0; f < plan.nframes; f++) {
            if (bit_used(f) != (m[f] != M_FREE))
                fail_msg("map %zu frame 0x%llx: bit %d, model %d", k,
                         (unsigned long long)f, bit_used(f), m[f]);
            nusable += frame_usable_in_map(f);
        }
        assert_int_equal(pmm_free_frames(), nfree);
        assert_int_equal(pmm_usable_frames(), nusable);
        assert_int_equal(pmm_top(), plan.nframes * FRAME);
        /* Bits past the last frame are set. */
        for (uint64_t f = plan.nframes; f < plan.bitmap_bytes * 8; f++)
            assert_true(bit_used(f));
        free(m);
    }
}

static void check_detects_corruption(void **state)
{
    (void)state;
    map_small();
    pmm_start();
    assert_int_equal(bitmap[0], ~0ull);     /* below 1 MiB */
    bitmap[0] &= ~(1ull << 5);              /* a free bit the counter does not know */
    host_log_clear();
    assert_false(pmm_check());
    assert_non_null(strstr(host_log, "pmm_check"));
    bitmap[0] |= 1ull << 5;
    assert_true(pmm_check());

    uint64_t last = plan.bitmap_bytes / 8 - 1;
    assert_int_not_equal(plan.nframes % 64, 0);   /* this map ends inside a word */
    assert_true(bitmap[last] >> 63);
    bitmap[last] &= ~(1ull << 63);          /* a bit past the end */
    assert_false(pmm_check());
    bitmap[last] |= 1ull << 63;
    assert_true(pmm_check());

    /* Counter and bits agree, but a reserved frame was freed behind its back. */
    paddr_t a = pmm_alloc();
    assert_int_not_equal(a, 0);
    bitmap[0] &= ~1ull;                     /* frame 0 free ... */
    bitmap[a / FRAME / 64] |= 1ull << (a / FRAME % 64);   /* ... a already used */
    assert_false(pmm_check());
    bitmap[0] |= 1;
    assert_true(pmm_check());
    assert_int_equal(pmm_free(a), 0);
    assert_true(pmm_check());
}

/* ------------------------------------------------------------ single frames */

static void exhaustion_and_reserved_frames(void **state)
{
    (void)state;
    map_pc();
    pmm_start();
    uint64_t nfree;
    enum mstate *m = model_build(&nfree);
    uint64_t start_free = pmm_free_frames();
    assert_int_equal(start_free, nfree);

    paddr_t *got = malloc(nfree * sizeof *got);
    assert_non_null(got);
    for (uint64_t i = 0; i < nfree; i++) {
        paddr_t pa = pmm_alloc();
        assert_int_not_equal(pa, 0);
        assert_int_equal(pa % FRAME, 0);
        assert_true(pa >= 0x100000);
        assert_true(pa < pmm_top());
        uint64_t f = pa / FRAME;
        if (m[f] != M_FREE)
            fail_msg("handed out 0x%llx in state %d", (unsigned long long)pa, m[f]);
        m[f] = M_USED;                      /* a second hand-out would fail above */
        assert_false(overlaps(pa, FRAME, plan.bitmap_pa, plan.bitmap_bytes));
        got[i] = pa;
        assert_int_equal(pmm_free_frames(), nfree - i - 1);
        assert_true(pmm_check());
    }
    assert_int_equal(pmm_alloc(), 0);
    assert_int_equal(pmm_alloc_contig(1, FRAME, 0), 0);
    assert_int_equal(pmm_free_frames(), 0);
    assert_true(pmm_check());

    for (uint64_t i = 0; i < nfree; i++) {
        assert_int_equal(pmm_free(got[nfree - 1 - i]), 0);
        assert_int_equal(pmm_free_frames(), i + 1);
        assert_true(pmm_check());
    }
    assert_int_equal(pmm_free_frames(), start_free);
    /* And the same frames come back (lowest first). */
    paddr_t first = pmm_alloc();
    assert_int_equal(first, got[0]);
    assert_int_equal(pmm_free(first), 0);
    free(got);
    free(m);
}

static void lowest_free_frame_first(void **state)
{
    (void)state;
    map_small();
    pmm_start();
    paddr_t a = pmm_alloc(), b = pmm_alloc(), c = pmm_alloc();
    assert_true(a < b && b < c);
    assert_int_equal(pmm_free(b), 0);
    assert_int_equal(pmm_alloc(), b);       /* the hint moves back down on free */
    assert_int_equal(pmm_free(a), 0);
    assert_int_equal(pmm_free(c), 0);
    assert_int_equal(pmm_free(b), 0);
    assert_int_equal(pmm_alloc(), a);
    assert_int_equal(pmm_free(a), 0);
    assert_true(pmm_check());
}

static void double_free_changes_nothing(void **state)
{
    (void)state;
    map_pc();
    pmm_start();
    paddr_t a = pmm_alloc();
    paddr_t b = pmm_alloc();
    assert_int_equal(pmm_free(a), 0);
    uint64_t before = pmm_free_frames();
    uint64_t *snap = malloc(plan.bitmap_bytes);
    assert_non_null(snap);
    memcpy(snap, bitmap, plan.bitmap_bytes);

    host_log_clear();
    assert_int_equal(pmm_free(a), -MOS_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "pmm: double free of 0x%llx", (unsigned long long)a);
    assert_non_null(strstr(host_log, want));
    assert_int_equal(pmm_free_frames(), before);
    assert_memory_equal(snap, bitmap, plan.bitmap_bytes);
    assert_true(pmm_check());

    /* A run with one free frame inside is a double free too, and is refused whole. */
    paddr_t run = pmm_alloc_contig(4, FRAME, 0);
    assert_int_not_equal(run, 0);
    assert_int_equal(pmm_free(run + 2 * FRAME), 0);
    before = pmm_free_frames();
    memcpy(snap, bitmap, plan.bitmap_bytes);
    host_log_clear();
    assert_int_equal(pmm_free_contig(run, 4), -MOS_EINVAL);
    snprintf(want, sizeof want, "pmm: double free of 0x%llx", (unsigned long long)(run + 2 * FRAME));
    assert_non_null(strstr(host_log, want));
    assert_int_equal(pmm_free_frames(), before);
    assert_memory_equal(snap, bitmap, plan.bitmap_bytes);
    assert_int_equal(pmm_free_contig(run, 2), 0);
    assert_int_equal(pmm_free(run + 3 * FRAME), 0);
    assert_int_equal(pmm_free(b), 0);
    assert_true(pmm_check());
    free(snap);
}

static void bad_frees_change_nothing(void **state)
{
    (void)state;
    map_pc();
    pmm_start();
    paddr_t a = pmm_alloc();
    uint64_t before = pmm_free_frames();
    uint64_t *snap = malloc(plan.bitmap_bytes);
    assert_non_null(snap);
    memcpy(snap, bitmap, plan.bitmap_bytes);

    const struct { paddr_t pa; uint64_t n; } bad[] = {
        { a + 1, 1 }, { a + 0x800, 1 }, { a | 0xfff, 1 },      /* misaligned */
        { pmm_top(), 1 }, { pmm_top() + FRAME, 1 },             /* beyond the top */
        { 0xfec00000, 1 }, { 0x100000000ull, 1 },               /* reserved above the top */
        { ~0ull & ~(FRAME - 1), 1 },
        { pmm_top() - FRAME, 2 },                               /* run crosses the top */
        { a, 0 }, { a, ~0ull }, { a, ~0ull / FRAME },           /* empty / overflowing runs */
        { 0, 1 }, { 0x9e000, 1 }, { 0xff000, 1 },               /* first MiB */
        { plan.bitmap_pa, 1 },                                  /* the bitmap itself */
        { 0x3000000, 1 }, { 0x3100000, 1 },                     /* holes inside the top */
        { 0x2fff000, 2 },                                       /* run into a hole */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        host_log_clear();
        int r = bad[i].n == 1 ? pmm_free(bad[i].pa) : pmm_free_contig(bad[i].pa, bad[i].n);
        if (r != -MOS_EINVAL)
            fail_msg("free(0x%llx, %llu) returned %d", (unsigned long long)bad[i].pa,
                     (unsigned long long)bad[i].n, r);
        assert_non_null(strstr(host_log, "pmm: "));
        assert_int_equal(pmm_free_frames(), before);
        assert_memory_equal(snap, bitmap, plan.bitmap_bytes);
        assert_true(pmm_check());
    }
    assert_int_equal(pmm_free(a), 0);

    /* A frame inside a USABLE region but overlapped by another region. */
    map_small();
    pmm_start();
    before = pmm_free_frames();
    assert_true(bit_used(0x600));
    assert_int_equal(pmm_free(0x600000), -MOS_EINVAL);
    assert_int_equal(pmm_free(0x410000), -MOS_EINVAL);     /* half-usable frame */
    assert_int_equal(pmm_free_contig(0x5ff000, 2), -MOS_EINVAL);
    assert_int_equal(pmm_free_frames(), before);
    assert_true(bit_used(0x600) && bit_used(0x410));
    assert_true(pmm_check());
    free(snap);
}

static void boot_module_frames_can_be_released(void **state)
{
    (void)state;
    map_pc();
    pmm_start();
    uint64_t before = pmm_free_frames();
    assert_true(bit_used(0x400) && bit_used(0x401));
    assert_int_equal(pmm_free_contig(0x400000, 2), 0);
    assert_int_equal(pmm_free_frames(), before + 2);
    assert_false(bit_used(0x400) || bit_used(0x401));
    assert_true(pmm_check());
}

/* ------------------------------------------------------------ contiguous */

static void contig_alignment_and_limits(void **state)
{
    (void)state;
    const uint64_t aligns[] = { FRAME, 0x10000, 0x200000 };
    const uint64_t sizes[] = { 1, 3, 16, 512, 700 };
    const paddr_t limits[] = { 0, 0x1000000, 0x4000000, 0x3000000 + 0x12345 };
    map_pc();
    pmm_start();
    uint64_t start_free = pmm_free_frames();
    uint64_t nfree;
    enum mstate *m = model_build(&nfree);

    for (size_t ai = 0; ai < 3; ai++)
        for (size_t si = 0; si < 5; si++)
            for (size_t li = 0; li < 4; li++) {
                uint64_t n = sizes[si], al = aligns[ai];
                paddr_t lim = limits[li];
                uint64_t before = pmm_free_frames();
                paddr_t pa = pmm_alloc_contig(n, al, lim);
                assert_int_not_equal(pa, 0);
                assert_int_equal(pa % al, 0);
                if (lim)
                    assert_true(pa + n * FRAME <= lim);
                for (uint64_t f = pa / FRAME; f < pa / FRAME + n; f++) {
                    if (m[f] != M_FREE)
                        fail_msg("contig(%llu, 0x%llx) gave frame 0x%llx in state %d",
                                 (unsigned long long)n, (unsigned long long)al,
                                 (unsigned long long)f, m[f]);
                    assert_true(bit_used(f));
                }
                assert_int_equal(pmm_free_frames(), before - n);
                assert_true(pmm_check());
                assert_int_equal(pmm_free_contig(pa, n), 0);
                assert_int_equal(pmm_free_frames(), before);
                assert_true(pmm_check());
            }

    /* Limits nothing satisfies. */
    /* The first free frame is 0x103000 (avoid range, then the bitmap). */
    assert_int_equal(pmm_alloc_contig(1, FRAME, 0x100000), 0);
    assert_int_equal(pmm_alloc_contig(1, FRAME, 0x103fff), 0);      /* ends past the limit */
    paddr_t fit = pmm_alloc_contig(1, FRAME, 0x104000);              /* ends exactly at it */
    assert_int_equal(fit, 0x103000);
    assert_int_equal(pmm_free(fit), 0);
    assert_int_equal(pmm_alloc_contig(1, 0x200000, 0x200000), 0);
    /* Runs stop at holes and reserved frames. The longest free runs are
     * [0x402000, 0x3000000) (0x2bfe frames, then the hole), [0x3110000,
     * 0x5000000) and [0x5001000, 0x8000000) (0x2fff frames). */
    assert_int_equal(pmm_alloc_contig(0x3000, FRAME, 0), 0);
    paddr_t big = pmm_alloc_contig(0x2bfe, FRAME, 0);
    assert_int_equal(big, 0x402000);
    assert_int_equal(pmm_free_contig(big, 0x2bfe), 0);
    big = pmm_alloc_contig(0x2bff, FRAME, 0);
    assert_int_equal(big, 0x5001000);
    assert_int_equal(pmm_alloc_contig(0x2bff, FRAME, 0), 0);
    assert_int_equal(pmm_free_contig(big, 0x2bff), 0);
    assert_int_equal(pmm_free_frames(), start_free);

    /* Bad arguments: nothing happens. */
    assert_int_equal(pmm_alloc_contig(0, FRAME, 0), 0);
    assert_int_equal(pmm_alloc_contig(1, 0, 0), 0);
    assert_int_equal(pmm_alloc_contig(1, 2048, 0), 0);
    assert_int_equal(pmm_alloc_contig(1, 3 * FRAME, 0), 0);
    assert_int_equal(pmm_alloc_contig(~0ull, FRAME, 0), 0);
    assert_int_equal(pmm_free_frames(), start_free);
    assert_true(pmm_check());
    free(m);
}

static void contig_fails_when_fragmented(void **state)
{
    (void)state;
    map_small();
    pmm_start();
    uint64_t nfree = pmm_free_frames();
    paddr_t *got = malloc(nfree * sizeof *got);
    assert_non_null(got);
    for (uint64_t i = 0; i < nfree; i++)
        assert_int_not_equal(got[i] = pmm_alloc(), 0);
    assert_int_not_equal(plan.nframes % 64, 0);
    assert_int_equal(pmm_alloc(), 0);       /* nothing free: the hint runs to the end */
    assert_true(pmm_check());
    /* Free every frame whose number is even: plenty free, no two adjacent. */
    uint64_t freed = 0;
    for (uint64_t i = 0; i < nfree; i++)
        if ((got[i] / FRAME) % 2 == 0) {
            assert_int_equal(pmm_free(got[i]), 0);
            freed++;
        }
    assert_int_equal(pmm_free_frames(), freed);
    assert_true(freed > 100);
    assert_int_equal(pmm_alloc_contig(2, FRAME, 0), 0);
    paddr_t one = pmm_alloc_contig(1, 0x10000, 0);      /* single frames still work */
    assert_int_not_equal(one, 0);
    assert_int_equal(one % 0x10000, 0);
    assert_int_equal(pmm_free(one), 0);
    assert_int_equal(pmm_free_frames(), freed);
    assert_true(pmm_check());

    /* Free one odd frame: exactly one 3-frame run appears, and it is found. */
    paddr_t odd = 0;
    for (uint64_t i = 0; i < nfree && !odd; i++)
        if ((got[i] / FRAME) % 2 == 1 && got[i] > 0x500000 && (got[i] - FRAME) / FRAME % 2 == 0
            && bit_used(got[i] / FRAME) && !bit_used(got[i] / FRAME - 1) && !bit_used(got[i] / FRAME + 1))
            odd = got[i];
    assert_int_not_equal(odd, 0);
    assert_int_equal(pmm_free(odd), 0);
    assert_int_equal(pmm_alloc_contig(3, FRAME, 0), odd - FRAME);
    assert_int_equal(pmm_alloc_contig(2, FRAME, 0), 0);
    assert_int_equal(pmm_free_contig(odd - FRAME, 3), 0);
    assert_true(pmm_check());

    for (uint64_t i = 0; i < nfree; i++)
        if ((got[i] / FRAME) % 2 == 1 && got[i] != odd)
            assert_int_equal(pmm_free(got[i]), 0);
    assert_int_equal(pmm_free_frames(), nfree);
    assert_true(pmm_check());
    free(got);
}

/* ------------------------------------------------------------ random vs model */

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t test_seed(void)
{
    const char *s = getenv("TEST_SEED");
    return s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

#define CHECK(c) do { if (!(c)) fail_msg("seed %llu step %d: %s (TEST_SEED=%llu to replay)", \
    (unsigned long long)seed, step, #c, (unsigned long long)seed); } while (0)

/* The lowest run a first-fit contiguous allocation may return, or 0. */
static paddr_t model_contig(const enum mstate *m, uint64_t n, uint64_t al, paddr_t lim)
{
    uint64_t end = plan.nframes;
    if (lim && lim / FRAME < end)
        end = lim / FRAME;
    for (uint64_t s = 0; s + n <= end; s += al / FRAME) {
        uint64_t k = 0;
        while (k < n && m[s + k] == M_FREE)
            k++;
        if (k == n)
            return s * FRAME;
    }
    return 0;
}

struct run { paddr_t pa; uint64_t n; };

static void random_ops_match_the_model(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    rng_state = seed;
    int step = 0;

    map_small();
    pmm_start();
    uint64_t nfree;
    enum mstate *m = model_build(&nfree);
    struct run *runs = malloc(plan.nframes * sizeof *runs);
    assert_non_null(runs);
    size_t nruns = 0;

    for (step = 0; step < 6000; step++) {
        unsigned op = (unsigned)(rng() % 100);
        if (op < 40) {                                      /* one frame */
            paddr_t pa = pmm_alloc();
            paddr_t want = model_contig(m, 1, FRAME, 0);
            CHECK(pa == want);
            if (pa) {
                m[pa / FRAME] = M_USED;
                nfree--;
                runs[nruns++] = (struct run){ pa, 1 };
            }
        } else if (op < 55) {                               /* a run */
            uint64_t n = 1 + rng() % 24;
            uint64_t al = FRAME << (rng() % 6);
            paddr_t lim = rng() % 3 ? 0 : (rng() % (plan.nframes + 8)) * FRAME + rng() % 2;
            paddr_t pa = pmm_alloc_contig(n, al, lim);
            paddr_t want = model_contig(m, n, al, lim);
            CHECK(pa == want);
            if (pa) {
                for (uint64_t f = pa / FRAME; f < pa / FRAME + n; f++)
                    m[f] = M_USED;
                nfree -= n;
                runs[nruns++] = (struct run){ pa, n };
            }
        } else if (op < 88) {                               /* free a run (maybe part) */
            if (nruns == 0)
                continue;
            size_t i = rng() % nruns;
            struct run r = runs[i];
            runs[i] = runs[--nruns];
            if (r.n > 1 && rng() % 2) {                     /* split: free the head now */
                uint64_t head = 1 + rng() % (r.n - 1);
                runs[nruns++] = (struct run){ r.pa + head * FRAME, r.n - head };
                r.n = head;
            }
            CHECK(pmm_free_contig(r.pa, r.n) == 0);
            for (uint64_t f = r.pa / FRAME; f < r.pa / FRAME + r.n; f++)
                m[f] = M_FREE;
            nfree += r.n;
        } else {                                            /* a bad free */
            uint64_t f = rng() % (plan.nframes + 16);
            unsigned kind = (unsigned)(rng() % 3);
            paddr_t pa = f * FRAME + (kind == 0 ? 1 + rng() % (FRAME - 1) : 0);
            bool should_fail = kind == 0 || f >= plan.nframes || m[f] == M_FREE || m[f] == M_HARD;
            if (!should_fail)
                continue;                                   /* would be a valid free */
            CHECK(pmm_free(pa) == -MOS_EINVAL);
        }
        CHECK(pmm_free_frames() == nfree);
        CHECK(pmm_check());
        if (step % 250 == 0)
            for (uint64_t f = 0; f < plan.nframes; f++)
                CHECK(bit_used(f) == (m[f] != M_FREE));
    }
    while (nruns) {
        struct run r = runs[--nruns];
        CHECK(pmm_free_contig(r.pa, r.n) == 0);
        nfree += r.n;
    }
    uint64_t start_free;
    free(m);
    m = model_build(&start_free);
    CHECK(nfree == start_free);
    CHECK(pmm_free_frames() == start_free);
    for (uint64_t f = 0; f < plan.nframes; f++)
        CHECK(bit_used(f) == (m[f] != M_FREE));
    free(m);
    free(runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(plan_places_bitmap_lowest_above_1mib, teardown),
        cmocka_unit_test_teardown(plan_skips_avoid_ranges_in_whole_pages, teardown),
        cmocka_unit_test_teardown(plan_needs_room_for_the_whole_bitmap, teardown),
        cmocka_unit_test_teardown(plan_top_is_highest_usable_address, teardown),
        cmocka_unit_test_teardown(plan_fails_without_room, teardown),
        cmocka_unit_test_teardown(init_matches_the_model, teardown),
        cmocka_unit_test_teardown(check_detects_corruption, teardown),
        cmocka_unit_test_teardown(exhaustion_and_reserved_frames, teardown),
        cmocka_unit_test_teardown(lowest_free_frame_first, teardown),
        cmocka_unit_test_teardown(double_free_changes_nothing, teardown),
        cmocka_unit_test_teardown(bad_frees_change_nothing, teardown),
        cmocka_unit_test_teardown(boot_module_frames_can_be_released, teardown),
        cmocka_unit_test_teardown(contig_alignment_and_limits, teardown),
        cmocka_unit_test_teardown(contig_fails_when_fragmented, teardown),
        cmocka_unit_test_teardown(random_ops_match_the_model, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
