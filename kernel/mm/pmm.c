// SPDX-License-Identifier: MIT
/* pmm.c - the physical memory manager: a bitmap with one bit per 4 KiB frame
 * (1 = used) covering [0, top), where top is the end of the highest USABLE
 * region; nothing above it is ever tracked, so reserved regions above the top
 * cost nothing. Allocation scans 64 frames (one uint64_t word) at a time.
 * Invariants (pmm_check() verifies them): pmm_nfree equals the number of
 * clear bits; bits past pmm_nframes in the last word are set; every word
 * below pmm_hint is full; frames below 1 MiB and the bitmap's own frames are
 * set. pmm_free() refuses (without changing anything) misaligned or
 * out-of-range addresses, frames that were never USABLE or are reserved for
 * good (the first 1 MiB, the bitmap, the kernel image; boot modules may be
 * released), and frames that are already free.
 * Locking: pmm_lock (IRQ-safe) around every read-modify-write of the state;
 * log lines are printed after it is released. */
#include "mm/pmm.h"
#include "lib/assert.h"
#include "lib/bits.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/kstats.h"
#include "debug/kcov.h"
#include <mos/errors.h>

#define LOW_RESERVED_FRAMES  (MiB(1) >> PAGE_SHIFT)   /* first 1 MiB: never handed out */
#define FRAME_LIMIT          (1ull << (64 - PAGE_SHIFT)) /* frame numbers are below this */

struct frame_range {
    uint64_t first;     /* first frame */
    uint64_t end;       /* one past the last frame */
};

static struct spinlock pmm_lock = SPINLOCK_INIT("pmm");
static uint64_t *pmm_bitmap;          /* pmm_lock; bit f of word f/64 = frame f used */
static uint64_t pmm_nframes;          /* frames covered: [0, pmm_nframes) */
static uint64_t pmm_nwords;           /* words in the bitmap */
static uint64_t pmm_nfree;            /* pmm_lock; clear bits */
static uint64_t pmm_nusable;          /* frames USABLE in the map (set at init) */
static uint64_t pmm_hint;             /* pmm_lock; every word below it is full */
static struct frame_range pmm_bitmap_frames;          /* the bitmap itself */
static struct frame_range pmm_kernel_frames;          /* the kernel image: never freed */
static struct frame_range pmm_usable[BOOT_MAX_REGIONS]; /* runs of frames usable at init */
static uint32_t pmm_nusable_ranges;

/* Allocation-failure injection (the fuzzing build's failnth=N,
 * debug/kcov.c; always false elsewhere): every allocation path asks it
 * first. */
static bool pmm_should_fail(void)
{
    return kcov_should_fail();
}

/* ------------------------------------------------------------ range helpers */

static uint64_t addr_end(paddr_t base, uint64_t len)
{
    uint64_t end = base + len;
    return end < base ? UINT64_MAX : end;   /* clamp on overflow */
}

/* Whole frames inside [base, base+len): a USABLE region shrinks inward. */
static struct frame_range frames_inward(paddr_t base, uint64_t len)
{
    uint64_t end = addr_end(base, len);
    struct frame_range r = {
        .first = (base >> PAGE_SHIFT) + ((base & (PAGE_SIZE - 1)) != 0),
        .end = end >> PAGE_SHIFT,
    };
    if (r.end < r.first)
        r.end = r.first;
    return r;
}

/* Every frame touched by [base, base+len): anything to avoid grows outward. */
static struct frame_range frames_outward(paddr_t base, uint64_t len)
{
    uint64_t end = addr_end(base, len);
    struct frame_range r = {
        .first = base >> PAGE_SHIFT,
        .end = (end >> PAGE_SHIFT) + ((end & (PAGE_SIZE - 1)) != 0),
    };
    if (len == 0)
        r.end = r.first;
    return r;
}

static bool ranges_overlap(struct frame_range a, struct frame_range b)
{
    return a.first < a.end && b.first < b.end && a.first < b.end && b.first < a.end;
}

/* Frames [first, end) overlap something that must stay used: a non-USABLE
 * region, an avoid range, the kernel image or a boot module. Returns true
 * and the end of the (first found) obstacle in *skip_to. */
static bool frames_blocked(const struct boot_info *bi, const struct phys_range *avoid,
                           size_t navoid, struct frame_range want, uint64_t *skip_to)
{
    uint32_t nreg = MIN(bi->nregions, (uint32_t)BOOT_MAX_REGIONS);
    for (uint32_t i = 0; i < nreg; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == MEM_USABLE)
            continue;
        struct frame_range fr = frames_outward(r->base, r->len);
        if (ranges_overlap(want, fr)) {
            *skip_to = fr.end;
            return true;
        }
    }
    for (size_t i = 0; i < navoid; i++) {
        struct frame_range fr = frames_outward(avoid[i].base, avoid[i].len);
        if (ranges_overlap(want, fr)) {
            *skip_to = fr.end;
            return true;
        }
    }
    pmm_kernel_frames = (struct frame_range){ 0, 0 };
    if (bi->kernel_phys_end > bi->kernel_phys_base) {
        struct frame_range fr = frames_outward(bi->kernel_phys_base,
                                               bi->kernel_phys_end - bi->kernel_phys_base);
        pmm_kernel_frames = fr;
        if (ranges_overlap(want, fr)) {
            *skip_to = fr.end;
            return true;
        }
    }
    uint32_t nmod = MIN(bi->nmodules, (uint32_t)BOOT_MAX_MODULES);
    for (uint32_t i = 0; i < nmod; i++) {
        struct frame_range fr = frames_outward(bi->modules[i].start, bi->modules[i].size);
        if (ranges_overlap(want, fr)) {
            *skip_to = fr.end;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ bit helpers */

/* Bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
    uint64_t upper = hi >= 64 ? ~0ull : (1ull << hi) - 1;
    return upper & ~((1ull << lo) - 1);
}

/* No libgcc in the kernel, so no __builtin_popcountll. */
/* Set (used = true) or clear frames [first, end), which must be < nframes. */
static void bits_assign(uint64_t first, uint64_t end, bool used)
{
    while (first < end) {
        uint64_t w = first / 64;
        unsigned lo = (unsigned)(first % 64);
        unsigned hi = (unsigned)MIN(end - w * 64, 64ull);
        uint64_t m = word_mask(lo, hi);
        if (used)
            pmm_bitmap[w] |= m;
        else
            pmm_bitmap[w] &= ~m;
        first = w * 64 + hi;
    }
}

/* The first frame in [first, end) whose bit equals `used`, or end. */
static uint64_t bits_find(uint64_t first, uint64_t end, bool used)
{
    while (first < end) {
        uint64_t w = first / 64;
        unsigned lo = (unsigned)(first % 64);
        unsigned hi = (unsigned)MIN(end - w * 64, 64ull);
        uint64_t bits = (used ? pmm_bitmap[w] : ~pmm_bitmap[w]) & word_mask(lo, hi);
        if (bits)
            return w * 64 + (uint64_t)__builtin_ctzll(bits);
        first = w * 64 + hi;
    }
    return end;
}

static uint64_t bits_count_clear(void)
{
    uint64_t n = 0;
    for (uint64_t w = 0; w < pmm_nwords; w++)
        n += popcount64(~pmm_bitmap[w]);
    return n;
}

/* Frames [first, end) must stay used forever: below 1 MiB, the bitmap, the
 * kernel image, or outside every USABLE region. */
static bool frames_reserved(uint64_t first, uint64_t end)
{
    if (first < LOW_RESERVED_FRAMES)
        return true;
    if (ranges_overlap((struct frame_range){ first, end }, pmm_bitmap_frames))
        return true;
    if (ranges_overlap((struct frame_range){ first, end }, pmm_kernel_frames))
        return true;
    /* Walk the run region by region (adjacent regions may be split). */
    uint64_t cur = first;
    while (cur < end) {
        uint64_t next = cur;
        for (uint32_t i = 0; i < pmm_nusable_ranges; i++) {
            if (pmm_usable[i].first <= cur && cur < pmm_usable[i].end) {
                next = pmm_usable[i].end;
                break;
            }
        }
        if (next == cur)
            return true;
        cur = next;
    }
    return false;
}

/* ------------------------------------------------------------ planning */

int pmm_plan(const struct boot_info *bi, const struct phys_range *avoid, size_t navoid,
             struct pmm_plan *out)
{
    uint32_t nreg = MIN(bi->nregions, (uint32_t)BOOT_MAX_REGIONS);
    uint64_t nframes = 0;

    for (uint32_t i = 0; i < nreg; i++) {
        if (bi->regions[i].type != MEM_USABLE)
            continue;
        struct frame_range fr = frames_inward(bi->regions[i].base, bi->regions[i].len);
        if (fr.first < fr.end)
            nframes = MAX(nframes, fr.end);
    }
    if (nframes == 0)
        return -MOS_ENOMEM;

    uint64_t bytes = ALIGN_UP(nframes, 64ull) / 8;
    uint64_t pages = ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT;
    uint64_t best = UINT64_MAX;

    for (uint32_t i = 0; i < nreg; i++) {
        if (bi->regions[i].type != MEM_USABLE)
            continue;
        struct frame_range fr = frames_inward(bi->regions[i].base, bi->regions[i].len);
        uint64_t cand = MAX(fr.first, LOW_RESERVED_FRAMES);
        while (cand < fr.end && fr.end - cand >= pages && cand < best) {
            uint64_t skip_to;
            if (!frames_blocked(bi, avoid, navoid,
                                (struct frame_range){ cand, cand + pages }, &skip_to)) {
                best = cand;
                break;
            }
            cand = skip_to;     /* strictly greater: the obstacle overlapped cand.. */
        }
    }
    if (best == UINT64_MAX)
        return -MOS_ENOMEM;

    out->nframes = nframes;
    out->bitmap_pa = best << PAGE_SHIFT;
    out->bitmap_bytes = bytes;
    return 0;
}

/* ------------------------------------------------------------ init */

void pmm_init(const struct pmm_plan *plan, uint64_t *bitmap, const struct boot_info *bi,
              const struct phys_range *avoid, size_t navoid)
{
    assert(plan->nframes > 0 && plan->nframes < FRAME_LIMIT);
    assert(plan->bitmap_bytes >= ALIGN_UP(plan->nframes, 64ull) / 8);
    assert(IS_ALIGNED(plan->bitmap_pa, PAGE_SIZE));

    uint64_t flags = spin_lock_irqsave(&pmm_lock);

    pmm_bitmap = bitmap;
    pmm_nframes = plan->nframes;
    pmm_nwords = ALIGN_UP(plan->nframes, 64ull) / 64;
    for (uint64_t w = 0; w < pmm_nwords; w++)
        pmm_bitmap[w] = ~0ull;

    /* Free USABLE memory, then let every other region type win overlaps. */
    uint32_t nreg = MIN(bi->nregions, (uint32_t)BOOT_MAX_REGIONS);
    for (uint32_t i = 0; i < nreg; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != MEM_USABLE)
            continue;
        struct frame_range fr = frames_inward(r->base, r->len);
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, false);
    }
    for (uint32_t i = 0; i < nreg; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == MEM_USABLE)
            continue;
        struct frame_range fr = frames_outward(r->base, r->len);
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, true);
    }
    pmm_nusable = bits_count_clear();

    /* Remember what is usable now, for pmm_free()'s checks. Each region can
     * add at most one run of clear bits, so BOOT_MAX_REGIONS runs suffice. */
    pmm_nusable_ranges = 0;
    for (uint64_t f = bits_find(0, pmm_nframes, false); f < pmm_nframes;
         f = bits_find(f, pmm_nframes, false)) {
        uint64_t e = bits_find(f, pmm_nframes, true);
        assert(pmm_nusable_ranges < BOOT_MAX_REGIONS);
        if (pmm_nusable_ranges < BOOT_MAX_REGIONS)
            pmm_usable[pmm_nusable_ranges++] = (struct frame_range){ f, e };
        f = e;
    }

    /* Now what must never be handed out although it is USABLE. */
    bits_assign(0, MIN(LOW_RESERVED_FRAMES, pmm_nframes), true);
    for (size_t i = 0; i < navoid; i++) {
        struct frame_range fr = frames_outward(avoid[i].base, avoid[i].len);
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, true);
    }
    pmm_kernel_frames = (struct frame_range){ 0, 0 };
    if (bi->kernel_phys_end > bi->kernel_phys_base) {
        struct frame_range fr = frames_outward(bi->kernel_phys_base,
                                               bi->kernel_phys_end - bi->kernel_phys_base);
        pmm_kernel_frames = fr;
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, true);
    }
    uint32_t nmod = MIN(bi->nmodules, (uint32_t)BOOT_MAX_MODULES);
    for (uint32_t i = 0; i < nmod; i++) {
        struct frame_range fr = frames_outward(bi->modules[i].start, bi->modules[i].size);
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, true);
    }
    pmm_bitmap_frames = frames_outward(plan->bitmap_pa, plan->bitmap_bytes);
    {
        struct frame_range fr = pmm_bitmap_frames;
        fr.end = MIN(fr.end, pmm_nframes);
        if (fr.first < fr.end)
            bits_assign(fr.first, fr.end, true);
    }

    pmm_nfree = bits_count_clear();

    KSTAT_SET(free_frames, pmm_nfree);
    pmm_hint = 0;
    spin_unlock_irqrestore(&pmm_lock, flags);
}

/* ------------------------------------------------------------ allocation */

paddr_t pmm_alloc(void)
{
    if (pmm_should_fail())
        return 0;

    paddr_t pa = 0;
    uint64_t flags = spin_lock_irqsave(&pmm_lock);
    uint64_t w = pmm_hint;
    while (w < pmm_nwords && pmm_bitmap[w] == ~0ull)
        w++;
    pmm_hint = w;
    if (w < pmm_nwords) {
        uint64_t frame = w * 64 + (uint64_t)__builtin_ctzll(~pmm_bitmap[w]);
        pmm_bitmap[w] |= 1ull << (frame % 64);
        pmm_nfree--;
        KSTAT_SET(free_frames, pmm_nfree);
        pa = frame << PAGE_SHIFT;
    }
    spin_unlock_irqrestore(&pmm_lock, flags);
    return pa;
}

paddr_t pmm_alloc_contig(uint64_t nframes, uint64_t align, paddr_t limit)
{
    if (pmm_should_fail())
        return 0;
    if (nframes == 0 || align < PAGE_SIZE || (align & (align - 1)) != 0) {
        kprintf("pmm: alloc_contig(%llu, 0x%llx): bad arguments\n",
                (unsigned long long)nframes, (unsigned long long)align);
        return 0;
    }

    paddr_t pa = 0;
    uint64_t align_frames = align >> PAGE_SHIFT;
    uint64_t flags = spin_lock_irqsave(&pmm_lock);
    uint64_t end = pmm_nframes;
    if (limit != 0)
        end = MIN(end, limit >> PAGE_SHIFT);

    /* Words below the hint are full, so no free run starts there. */
    uint64_t start = ALIGN_UP(pmm_hint * 64, align_frames);
    while (start < end && end - start >= nframes) {
        uint64_t used = bits_find(start, start + nframes, true);
        if (used == start + nframes) {
            bits_assign(start, start + nframes, true);
            pmm_nfree -= nframes;
            KSTAT_SET(free_frames, pmm_nfree);
            pa = start << PAGE_SHIFT;
            break;
        }
        /* Skip past the obstacle; the next candidate must start after it. */
        uint64_t next = ALIGN_UP(used + 1, align_frames);
        if (next <= used)
            break;          /* wrapped */
        start = next;
    }
    spin_unlock_irqrestore(&pmm_lock, flags);
    return pa;
}

/* ------------------------------------------------------------ freeing */

enum free_verdict { FREE_OK, FREE_MISALIGNED, FREE_RANGE, FREE_RESERVED, FREE_DOUBLE };

static void free_report(enum free_verdict v, paddr_t pa, uint64_t nframes, uint64_t at)
{
    switch (v) {
    case FREE_MISALIGNED:
        kprintf("pmm: free of misaligned address 0x%llx\n", (unsigned long long)pa);
        break;
    case FREE_RANGE:
        kprintf("pmm: free of 0x%llx (+%llu frames) outside [0, 0x%llx)\n",
                (unsigned long long)pa, (unsigned long long)nframes,
                (unsigned long long)(pmm_nframes << PAGE_SHIFT));
        break;
    case FREE_RESERVED:
        kprintf("pmm: free of reserved frame 0x%llx (+%llu frames)\n",
                (unsigned long long)pa, (unsigned long long)nframes);
        break;
    case FREE_DOUBLE:
        kprintf("pmm: double free of 0x%llx\n", (unsigned long long)(at << PAGE_SHIFT));
        break;
    case FREE_OK:
        break;
    }
}

int pmm_free_contig(paddr_t pa, uint64_t nframes)
{
    enum free_verdict v = FREE_OK;
    uint64_t at = 0;
    uint64_t flags = spin_lock_irqsave(&pmm_lock);
    uint64_t first = pa >> PAGE_SHIFT;

    if (!IS_ALIGNED(pa, PAGE_SIZE)) {
        v = FREE_MISALIGNED;
    } else if (nframes == 0 || first >= pmm_nframes || nframes > pmm_nframes - first) {
        v = FREE_RANGE;
    } else if (frames_reserved(first, first + nframes)) {
        v = FREE_RESERVED;
    } else if ((at = bits_find(first, first + nframes, false)) != first + nframes) {
        v = FREE_DOUBLE;
    } else {
        bits_assign(first, first + nframes, false);
        pmm_nfree += nframes;
        KSTAT_SET(free_frames, pmm_nfree);
        pmm_hint = MIN(pmm_hint, first / 64);
    }
    spin_unlock_irqrestore(&pmm_lock, flags);

    if (v == FREE_OK)
        return 0;
    free_report(v, pa, nframes, at);
    return -MOS_EINVAL;
}

int pmm_free(paddr_t pa)
{
    return pmm_free_contig(pa, 1);
}

/* ------------------------------------------------------------ queries */

uint64_t pmm_free_frames(void)
{
    uint64_t flags = spin_lock_irqsave(&pmm_lock);
    uint64_t n = pmm_nfree;
    spin_unlock_irqrestore(&pmm_lock, flags);
    return n;
}

uint64_t pmm_usable_frames(void)
{
    return pmm_nusable;
}

uint64_t pmm_top(void)
{
    return pmm_nframes << PAGE_SHIFT;
}

bool pmm_check(void)
{
    const char *why = NULL;
    uint64_t flags = spin_lock_irqsave(&pmm_lock);

    if (pmm_nwords != ALIGN_UP(pmm_nframes, 64ull) / 64)
        why = "word count does not match the frame count";
    else if (bits_count_clear() != pmm_nfree)
        why = "free counter differs from the clear bits";
    else if (pmm_nwords && (pmm_bitmap[pmm_nwords - 1] | word_mask(0, (unsigned)(pmm_nframes - (pmm_nwords - 1) * 64))) != ~0ull)
        why = "a bit past the last frame is clear";
    else if (pmm_hint > pmm_nwords)
        why = "hint past the end";
    else if (bits_find(0, MIN(pmm_hint * 64, pmm_nframes), false) < MIN(pmm_hint * 64, pmm_nframes))
        why = "a free frame below the hint";
    else if (pmm_nwords && bits_find(0, MIN(LOW_RESERVED_FRAMES, pmm_nframes), false)
                           < MIN(LOW_RESERVED_FRAMES, pmm_nframes))
        why = "a frame below 1 MiB is free";
    else if (pmm_nwords && pmm_bitmap_frames.first < pmm_nframes
             && bits_find(pmm_bitmap_frames.first, MIN(pmm_bitmap_frames.end, pmm_nframes), false)
                < MIN(pmm_bitmap_frames.end, pmm_nframes))
        why = "a frame of the bitmap itself is free";
    else if (pmm_nfree > pmm_nusable)
        why = "more frames free than were usable";
    spin_unlock_irqrestore(&pmm_lock, flags);

    if (why)
        kprintf("pmm_check: %s\n", why);
    return why == NULL;
}

bool pmm_is_ram(paddr_t pa)
{
    uint64_t f = pa >> PAGE_SHIFT;
    for (uint32_t i = 0; i < pmm_nusable_ranges; i++)
        if (f >= pmm_usable[i].first && f < pmm_usable[i].end)
            return true;
    return ranges_overlap((struct frame_range){ f, f + 1 }, pmm_kernel_frames);
}
