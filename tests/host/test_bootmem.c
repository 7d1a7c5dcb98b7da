// SPDX-License-Identifier: MIT
/* test_bootmem.c - bootmem_sanitize() on hand-made maps (every pair of types
 * overlapping, nesting, unsorted input, unaligned usable bounds, merges,
 * capacity overflow) and on random maps checked cell by cell against a
 * reference model. check_sane() verifies the output invariants after every
 * call: sorted, disjoint, non-empty, merged, usable page-aligned. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/boot_info.h"
#include "fake_kernel.h"

#define PG 0x1000ull

static struct boot_info bi;

static void reset(void)
{
    memset(&bi, 0, sizeof bi);
    host_log_clear();
}

static void add(uint64_t base, uint64_t len, uint32_t type)
{
    assert_true(bi.nregions < BOOT_MAX_REGIONS);
    bi.regions[bi.nregions++] = (struct mem_region){ .base = base, .len = len, .type = type };
}

static size_t log_lines(void)
{
    size_t n = 0;
    for (size_t i = 0; i < host_log_len; i++)
        n += host_log[i] == '\n';
    return n;
}

/* The output invariants, and warnings == boot_warn() calls. */
static void check_sane(void)
{
    assert_true(bi.nregions <= BOOT_MAX_REGIONS);
    for (uint32_t i = 0; i < bi.nregions; i++) {
        const struct mem_region *r = &bi.regions[i];
        assert_true(r->len > 0);
        assert_true(r->type >= MEM_USABLE && r->type <= MEM_FRAMEBUFFER);
        assert_true(r->base + r->len > r->base || r->base + r->len == 0);
        if (r->type == MEM_USABLE) {
            assert_int_equal(r->base % PG, 0);
            assert_int_equal(r->len % PG, 0);
        }
        if (i + 1 < bi.nregions) {
            const struct mem_region *n = &bi.regions[i + 1];
            assert_true(r->base + r->len <= n->base);               /* sorted, disjoint */
            if (r->base + r->len == n->base)
                assert_int_not_equal(r->type, n->type);             /* merged */
        }
    }
    for (uint32_t i = bi.nregions; i < BOOT_MAX_REGIONS; i++)
        assert_int_equal(bi.regions[i].len, 0);
    if (host_log_len < HOST_LOG_SIZE - 1)
        assert_int_equal(bi.warnings, log_lines());
}

static void sanitize(void)
{
    bootmem_sanitize(&bi);
    check_sane();
}

static void expect(uint32_t i, uint64_t base, uint64_t len, uint32_t type)
{
    assert_true(i < bi.nregions);
    if (bi.regions[i].base != base || bi.regions[i].len != len || bi.regions[i].type != type)
        fail_msg("region %u: got [0x%llx+0x%llx) %s, want [0x%llx+0x%llx) %s", i,
                 (unsigned long long)bi.regions[i].base, (unsigned long long)bi.regions[i].len,
                 bootmem_type_name(bi.regions[i].type), (unsigned long long)base,
                 (unsigned long long)len, bootmem_type_name(type));
}

/* The documented precedence, restated independently of bootmem.c. */
static const uint32_t precedence[] = {
    MEM_USABLE, MEM_BOOTLOADER, MEM_ACPI_RECLAIMABLE, MEM_KERNEL_AND_MODULES,
    MEM_FRAMEBUFFER, MEM_RESERVED, MEM_ACPI_NVS, MEM_BAD,
};

static int prec(uint32_t type)
{
    for (int i = 0; i < 8; i++)
        if (precedence[i] == type)
            return i;
    fail_msg("no precedence for type %u", type);
    return -1;
}

static uint32_t winner(uint32_t a, uint32_t b)
{
    return prec(a) >= prec(b) ? a : b;
}

/* The documented rule for which overlaps are silent. */
static bool silent_overlap(uint32_t a, uint32_t b)
{
    bool carve_a = a == MEM_BOOTLOADER || a == MEM_KERNEL_AND_MODULES || a == MEM_FRAMEBUFFER;
    bool carve_b = b == MEM_BOOTLOADER || b == MEM_KERNEL_AND_MODULES || b == MEM_FRAMEBUFFER;
    return a == b || (a == MEM_USABLE && carve_b) || (b == MEM_USABLE && carve_a) ||
           (a == MEM_FRAMEBUFFER && b == MEM_RESERVED) ||
           (b == MEM_FRAMEBUFFER && a == MEM_RESERVED);
}

/* ------------------------------------------------------------ tests */

static void type_names(void **state)
{
    (void)state;
    assert_string_equal(bootmem_type_name(MEM_USABLE), "usable");
    assert_string_equal(bootmem_type_name(MEM_RESERVED), "reserved");
    assert_string_equal(bootmem_type_name(MEM_ACPI_RECLAIMABLE), "ACPI reclaimable");
    assert_string_equal(bootmem_type_name(MEM_ACPI_NVS), "ACPI NVS");
    assert_string_equal(bootmem_type_name(MEM_BAD), "bad");
    assert_string_equal(bootmem_type_name(MEM_BOOTLOADER), "bootloader");
    assert_string_equal(bootmem_type_name(MEM_KERNEL_AND_MODULES), "kernel/modules");
    assert_string_equal(bootmem_type_name(MEM_FRAMEBUFFER), "framebuffer");
    assert_string_equal(bootmem_type_name(0), "unknown");
    assert_string_equal(bootmem_type_name(9), "unknown");
    assert_string_equal(bootmem_type_name(0xffffffff), "unknown");
}

static void empty_map(void **state)
{
    (void)state;
    reset();
    sanitize();
    assert_int_equal(bi.nregions, 0);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bootmem_usable_top(&bi), 0);
}

static void clean_map_unchanged(void **state)
{
    (void)state;
    reset();
    add(0, 0x9f000, MEM_USABLE);
    add(0x9fc00, 0x400, MEM_RESERVED);
    add(0xf0000, 0x10000, MEM_RESERVED);
    add(0x100000, 0x7ee0000, MEM_USABLE);
    add(0x7fe0000, 0x20000, MEM_ACPI_RECLAIMABLE);
    struct mem_region before[5];
    memcpy(before, bi.regions, sizeof before);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 5);
    assert_memory_equal(bi.regions, before, sizeof before);
    assert_int_equal(bootmem_usable_top(&bi), 0x7fe0000);
}

static void unsorted_input_sorted(void **state)
{
    (void)state;
    reset();
    add(0x7fe0000, 0x20000, MEM_RESERVED);
    add(0xfffc0000, 0x40000, MEM_RESERVED);
    add(0x100000, 0x7ee0000, MEM_USABLE);
    add(0xf0000, 0x10000, MEM_RESERVED);
    add(0, 0x9fc00, MEM_USABLE);
    add(0x9fc00, 0x400, MEM_RESERVED);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 6);
    expect(0, 0, 0x9f000, MEM_USABLE);
    expect(1, 0x9fc00, 0x400, MEM_RESERVED);
    expect(2, 0xf0000, 0x10000, MEM_RESERVED);
    expect(3, 0x100000, 0x7ee0000, MEM_USABLE);
    expect(4, 0x7fe0000, 0x20000, MEM_RESERVED);
    expect(5, 0xfffc0000, 0x40000, MEM_RESERVED);
    assert_int_equal(bootmem_usable_top(&bi), 0x7fe0000);
}

static void zero_length_dropped(void **state)
{
    (void)state;
    reset();
    add(0x5000, 0, MEM_USABLE);
    add(0x1000, 0x1000, MEM_USABLE);
    add(0x1800, 0, MEM_RESERVED);        /* inside usable, but empty: splits nothing */
    add(0, 0, MEM_BAD);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 1);
    expect(0, 0x1000, 0x1000, MEM_USABLE);
}

static void usable_shrunk_to_pages(void **state)
{
    (void)state;
    reset();
    add(0x1001, 0x3000, MEM_USABLE);         /* [0x1001, 0x4001) -> [0x2000, 0x4000) */
    add(0x10000, 0xfff, MEM_USABLE);         /* less than a page: gone */
    add(0x20800, 0x1000, MEM_USABLE);        /* straddles a page, contains none: gone */
    add(0x30000, 0x1000, MEM_USABLE);        /* exact: kept */
    add(0x40123, 0x456, MEM_RESERVED);       /* not usable: kept exactly */
    add(0x50000, 0x2fff, MEM_BAD);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 4);
    expect(0, 0x2000, 0x2000, MEM_USABLE);
    expect(1, 0x30000, 0x1000, MEM_USABLE);
    expect(2, 0x40123, 0x456, MEM_RESERVED);
    expect(3, 0x50000, 0x2fff, MEM_BAD);
    assert_int_equal(bootmem_usable_top(&bi), 0x31000);
}

static void adjacent_merged(void **state)
{
    (void)state;
    reset();
    add(0x3000, 0x1000, MEM_USABLE);
    add(0x1000, 0x1000, MEM_USABLE);
    add(0x2000, 0x1000, MEM_USABLE);
    add(0x10000, 0x800, MEM_RESERVED);
    add(0x10800, 0x800, MEM_RESERVED);
    add(0x11000, 0x1000, MEM_ACPI_NVS);      /* touches, other type: not merged */
    /* Halves that are unaligned alone but whole pages together. */
    add(0x20000, 0x1800, MEM_USABLE);
    add(0x21800, 0x1800, MEM_USABLE);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 4);
    expect(0, 0x1000, 0x3000, MEM_USABLE);
    expect(1, 0x10000, 0x1000, MEM_RESERVED);
    expect(2, 0x11000, 0x1000, MEM_ACPI_NVS);
    expect(3, 0x20000, 0x3000, MEM_USABLE);
}

/* Every ordered pair of types, partly overlapping, in both input orders. */
static void overlap_every_type_pair(void **state)
{
    (void)state;
    for (uint32_t a = MEM_USABLE; a <= MEM_FRAMEBUFFER; a++) {
        for (uint32_t b = MEM_USABLE; b <= MEM_FRAMEBUFFER; b++) {
            for (int swap = 0; swap < 2; swap++) {
                reset();
                if (!swap) {
                    add(0x10000, 0x20000, a);        /* [0x10000, 0x30000) */
                    add(0x20000, 0x20000, b);        /* [0x20000, 0x40000) */
                } else {
                    add(0x20000, 0x20000, b);
                    add(0x10000, 0x20000, a);
                }
                sanitize();
                uint32_t w = winner(a, b);
                assert_int_equal(bi.warnings, silent_overlap(a, b) ? 0 : 1);
                if (a == b) {
                    assert_int_equal(bi.nregions, 1);
                    expect(0, 0x10000, 0x30000, a);
                    continue;
                }
                /* [a-only][both: winner][b-only], then touching equals merged. */
                const struct mem_region pieces[3] = {
                    { 0x10000, 0x10000, a, 0 }, { 0x20000, 0x10000, w, 0 },
                    { 0x30000, 0x10000, b, 0 },
                };
                struct mem_region want[3];
                uint32_t n = 0;
                for (int p = 0; p < 3; p++) {
                    if (n && want[n - 1].type == pieces[p].type)
                        want[n - 1].len += pieces[p].len;
                    else
                        want[n++] = pieces[p];
                }
                assert_int_equal(bi.nregions, n);
                for (uint32_t i = 0; i < n; i++)
                    expect(i, want[i].base, want[i].len, want[i].type);
            }
        }
    }
}

static void overlap_warning_names_both(void **state)
{
    (void)state;
    reset();
    add(0x100000, 0x100000, MEM_USABLE);
    add(0x180000, 0x100000, MEM_RESERVED);
    sanitize();
    assert_int_equal(bi.warnings, 1);
    assert_non_null(strstr(host_log, "bootmem: usable [0x100000-0x200000) overlaps "
                                     "reserved [0x180000-0x280000)"));
    expect(0, 0x100000, 0x80000, MEM_USABLE);
    expect(1, 0x180000, 0x100000, MEM_RESERVED);
}

static void nested_regions(void **state)
{
    (void)state;
    /* A hole punched into usable memory. */
    reset();
    add(0, 0x100000, MEM_USABLE);
    add(0x5000, 0x1000, MEM_RESERVED);
    sanitize();
    assert_int_equal(bi.nregions, 3);
    expect(0, 0, 0x5000, MEM_USABLE);
    expect(1, 0x5000, 0x1000, MEM_RESERVED);
    expect(2, 0x6000, 0xfa000, MEM_USABLE);

    /* Usable inside reserved disappears. */
    reset();
    add(0, 0x100000, MEM_RESERVED);
    add(0x5000, 0x1000, MEM_USABLE);
    sanitize();
    assert_int_equal(bi.nregions, 1);
    expect(0, 0, 0x100000, MEM_RESERVED);

    /* Three levels: usable > kernel > bad, with an unaligned kernel end. */
    reset();
    add(0, 0x1000000, MEM_USABLE);
    add(0x200000, 0x345678, MEM_KERNEL_AND_MODULES);
    add(0x300000, 0x1000, MEM_BAD);
    sanitize();
    assert_int_equal(bi.warnings, 2);    /* bad in kernel and in usable; kernel in usable: fine */
    assert_int_equal(bi.nregions, 5);
    expect(0, 0, 0x200000, MEM_USABLE);
    expect(1, 0x200000, 0x100000, MEM_KERNEL_AND_MODULES);
    expect(2, 0x300000, 0x1000, MEM_BAD);
    expect(3, 0x301000, 0x244678, MEM_KERNEL_AND_MODULES);
    expect(4, 0x546000, 0x1000000 - 0x546000, MEM_USABLE);   /* rounded up past 0x545678 */

    /* The same region twice, and one contained in a same-type one: silent. */
    reset();
    add(0x100000, 0x100000, MEM_RESERVED);
    add(0x100000, 0x100000, MEM_RESERVED);
    add(0x140000, 0x1000, MEM_RESERVED);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 1);
    expect(0, 0x100000, 0x100000, MEM_RESERVED);
}

/* What the kernel will do: add its image, modules and loader data on top of
 * QEMU's map. Nothing here is worth a warning. */
static void kernel_carve_outs_are_silent(void **state)
{
    (void)state;
    reset();
    add(0, 0x9fc00, MEM_USABLE);
    add(0x9fc00, 0x400, MEM_RESERVED);
    add(0xf0000, 0x10000, MEM_RESERVED);
    add(0x100000, 0x7ee0000, MEM_USABLE);
    add(0x7fe0000, 0x20000, MEM_RESERVED);
    add(0xfd000000, 0x300000, MEM_RESERVED);
    add(0x200000, 0x123456, MEM_KERNEL_AND_MODULES);
    add(0x400000, 0x12345, MEM_KERNEL_AND_MODULES);
    add(0x10000, 0x1000, MEM_BOOTLOADER);
    add(0xfd000000, 0x300000, MEM_FRAMEBUFFER);
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 12);
    expect(0, 0, 0x10000, MEM_USABLE);
    expect(1, 0x10000, 0x1000, MEM_BOOTLOADER);
    expect(2, 0x11000, 0x8e000, MEM_USABLE);
    expect(3, 0x9fc00, 0x400, MEM_RESERVED);
    expect(4, 0xf0000, 0x10000, MEM_RESERVED);
    expect(5, 0x100000, 0x100000, MEM_USABLE);
    expect(6, 0x200000, 0x123456, MEM_KERNEL_AND_MODULES);
    expect(7, 0x324000, 0xdc000, MEM_USABLE);
    expect(8, 0x400000, 0x12345, MEM_KERNEL_AND_MODULES);
    expect(9, 0x413000, 0x7fe0000 - 0x413000, MEM_USABLE);
    expect(10, 0x7fe0000, 0x20000, MEM_RESERVED);
    /* RESERVED outranks FRAMEBUFFER (documented): the range stays reserved. */
    expect(11, 0xfd000000, 0x300000, MEM_RESERVED);
    assert_int_equal(bootmem_usable_top(&bi), 0x7fe0000);
}

static void unknown_type_and_wrap(void **state)
{
    (void)state;
    reset();
    add(0x1000, 0x1000, 0);
    add(0x3000, 0x1000, 42);
    add(0xfffffffffffff000ull, 0x2000, MEM_USABLE);   /* wraps past 2^64 */
    sanitize();
    assert_int_equal(bi.warnings, 3);
    assert_non_null(strstr(host_log, "unknown type 42"));
    assert_non_null(strstr(host_log, "wraps"));
    /* The clamped usable region ends before 2^64 - 1, so no whole page remains. */
    assert_int_equal(bi.nregions, 2);
    expect(0, 0x1000, 0x1000, MEM_RESERVED);
    expect(1, 0x3000, 0x1000, MEM_RESERVED);

    /* A reserved region at the very top is kept, clamped by one byte. */
    reset();
    add(0xffffffffffff0000ull, 0x10000, MEM_RESERVED);
    add(0xfffffffffff00000ull, 0xf0000, MEM_USABLE);      /* touches it */
    sanitize();
    assert_int_equal(bi.warnings, 1);                 /* the wrap */
    assert_int_equal(bi.nregions, 2);
    expect(0, 0xfffffffffff00000ull, 0xf0000, MEM_USABLE);
    expect(1, 0xffffffffffff0000ull, 0xffff, MEM_RESERVED);
}

static void corrupt_count_clamped(void **state)
{
    (void)state;
    reset();
    for (uint32_t i = 0; i < BOOT_MAX_REGIONS; i++)
        add(PG * 2 * i, PG, MEM_USABLE);
    bi.nregions = 1000;
    sanitize();
    assert_int_equal(bi.warnings, 1);
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
}

/* One big usable range with 127 reserved holes: 255 pieces for 128 slots.
 * The 127 smallest usable pieces go; every reserved piece stays. */
static void capacity_overflow_drops_usable(void **state)
{
    (void)state;
    reset();
    add(0, 0x40000000, MEM_USABLE);
    uint64_t pos = 0;
    uint64_t biggest_base = 0, biggest_len = 0;
    for (uint32_t i = 0; i < BOOT_MAX_REGIONS - 1; i++) {
        /* Usable gaps before each hole grow with i, so the last gap and the
         * tail after the last hole are the biggest. */
        uint64_t gap = PG * (i + 1);
        pos += gap;
        add(pos, PG, MEM_RESERVED);
        pos += PG;
    }
    biggest_base = pos;
    biggest_len = 0x40000000 - pos;
    sanitize();
    /* 127 overlaps (usable vs reserved) + 127 drops. */
    assert_int_equal(bi.warnings, 2 * (BOOT_MAX_REGIONS - 1));
    assert_non_null(strstr(host_log, "too many regions: dropped usable"));
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    uint32_t usable = 0, reserved = 0;
    for (uint32_t i = 0; i < bi.nregions; i++) {
        if (bi.regions[i].type == MEM_USABLE) {
            usable++;
            assert_int_equal(bi.regions[i].base, biggest_base);
            assert_int_equal(bi.regions[i].len, biggest_len);
        } else {
            reserved++;
        }
    }
    assert_int_equal(usable, 1);
    assert_int_equal(reserved, BOOT_MAX_REGIONS - 1);
}

/* No usable memory at all, still too many pieces: the smallest labels go. */
static void capacity_overflow_without_usable(void **state)
{
    (void)state;
    reset();
    add(0, 0x40000000, MEM_RESERVED);
    for (uint32_t i = 0; i < BOOT_MAX_REGIONS - 1; i++)
        add(PG * 4 * (i + 1), PG, MEM_BAD);
    sanitize();
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    for (uint32_t i = 0; i < bi.nregions; i++)
        assert_int_not_equal(bi.regions[i].type, MEM_USABLE);
    /* 127 overlaps + 127 drops. */
    assert_int_equal(bi.warnings, 2 * (BOOT_MAX_REGIONS - 1));
}

/* A split that just fits: no drop. */
static void capacity_exact_fit(void **state)
{
    (void)state;
    reset();
    add(0, PG * 1000, MEM_USABLE);
    for (uint32_t i = 0; i < 63; i++)
        add(PG * (2 + 4 * i), PG, MEM_KERNEL_AND_MODULES);   /* 63 holes -> 127 pieces */
    sanitize();
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 127);
    reset();
    add(0, PG * 1000, MEM_USABLE);
    for (uint32_t i = 0; i < 64; i++)
        add(PG * (2 + 4 * i), PG, MEM_KERNEL_AND_MODULES);   /* 129 pieces */
    sanitize();
    assert_int_equal(bi.warnings, 1);
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    expect(0, PG * 2, PG, MEM_KERNEL_AND_MODULES);          /* first gap (2 pages)... */
    expect(1, PG * 3, PG * 3, MEM_USABLE);                   /* ...was the smallest: gone */
}

static void idempotent(void **state)
{
    (void)state;
    reset();
    add(0x100000, 0x7ee0000, MEM_USABLE);
    add(0x9fc00, 0x400, MEM_RESERVED);
    add(0x200000, 0x123456, MEM_KERNEL_AND_MODULES);
    add(0x7000000, 0x2000000, MEM_ACPI_NVS);
    add(0x123, 0x9fadd, MEM_USABLE);
    sanitize();
    uint32_t warnings = bi.warnings;
    struct boot_info first = bi;
    sanitize();
    assert_int_equal(bi.warnings, warnings);
    assert_int_equal(bi.nregions, first.nregions);
    assert_memory_equal(bi.regions, first.regions, sizeof bi.regions);
}

static void usable_top(void **state)
{
    (void)state;
    reset();
    add(0x100000000ull, 0x40000000, MEM_RESERVED);
    add(0x1000, 0x1000, MEM_USABLE);
    add(0x80000000ull, 0x1000, MEM_USABLE);
    add(0x2000, 0x1000, MEM_BAD);
    assert_int_equal(bootmem_usable_top(&bi), 0x80001000ull);
    bi.regions[2].type = MEM_BOOTLOADER;
    assert_int_equal(bootmem_usable_top(&bi), 0x2000);
}

/* ------------------------------------------------------------ random */

/* The model: an address space of 64 pages in cells of 256 bytes. */
#define CELL    256u
#define NCELLS  (64u * PG / CELL)
#define CELLS_PER_PAGE (PG / CELL)

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint32_t type_at(const struct boot_info *b, uint64_t addr)
{
    for (uint32_t i = 0; i < b->nregions; i++)
        if (addr >= b->regions[i].base && addr - b->regions[i].base < b->regions[i].len)
            return b->regions[i].type;
    return 0;
}

static void random_maps_match_model(void **state)
{
    (void)state;
    const char *s = getenv("BOOTMEM_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x626f6f746d656dull;
    rng_state = seed;
    print_message("random_maps_match_model: seed 0x%llx (set BOOTMEM_SEED to replay)\n",
                  (unsigned long long)seed);
    for (int iter = 0; iter < 3000; iter++) {
        reset();
        static uint32_t model[NCELLS];      /* 0 = not covered */
        memset(model, 0, sizeof model);
        uint32_t n = (uint32_t)(rng() % 60);
        for (uint32_t k = 0; k < n; k++) {
            uint64_t c0 = rng() % NCELLS, nc = rng() % 24;
            if (c0 + nc > NCELLS)
                nc = NCELLS - c0;
            /* Mostly usable, like real maps; every type appears. */
            uint32_t type = rng() % 3 ? MEM_USABLE : 1 + (uint32_t)(rng() % 8);
            add(c0 * CELL, nc * CELL, type);
            for (uint64_t c = c0; c < c0 + nc; c++)
                if (!model[c] || prec(type) > prec(model[c]))
                    model[c] = type;
        }
        sanitize();
        /* Cell by cell: non-usable types exactly; usable only in pages that
         * are entirely usable in the model, and nothing else usable. */
        for (uint32_t c = 0; c < NCELLS; c++) {
            uint32_t got = type_at(&bi, (uint64_t)c * CELL), want = model[c];
            if (want == MEM_USABLE) {
                uint32_t p0 = c / CELLS_PER_PAGE * CELLS_PER_PAGE;
                bool whole = true;
                for (uint32_t q = p0; q < p0 + CELLS_PER_PAGE; q++)
                    whole = whole && model[q] == MEM_USABLE;
                want = whole ? MEM_USABLE : 0;
            }
            if (got != want)
                fail_msg("seed 0x%llx iter %d: cell 0x%x is %s, model says %s",
                         (unsigned long long)seed, iter, c * CELL, bootmem_type_name(got),
                         bootmem_type_name(want));
        }
        /* And a second pass changes nothing. */
        struct boot_info once = bi;
        uint32_t w = bi.warnings;
        sanitize();
        assert_int_equal(bi.warnings, w);
        assert_memory_equal(bi.regions, once.regions, sizeof bi.regions);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names),
        cmocka_unit_test(empty_map),
        cmocka_unit_test(clean_map_unchanged),
        cmocka_unit_test(unsorted_input_sorted),
        cmocka_unit_test(zero_length_dropped),
        cmocka_unit_test(usable_shrunk_to_pages),
        cmocka_unit_test(adjacent_merged),
        cmocka_unit_test(overlap_every_type_pair),
        cmocka_unit_test(overlap_warning_names_both),
        cmocka_unit_test(nested_regions),
        cmocka_unit_test(kernel_carve_outs_are_silent),
        cmocka_unit_test(unknown_type_and_wrap),
        cmocka_unit_test(corrupt_count_clamped),
        cmocka_unit_test(capacity_overflow_drops_usable),
        cmocka_unit_test(capacity_overflow_without_usable),
        cmocka_unit_test(capacity_exact_fit),
        cmocka_unit_test(idempotent),
        cmocka_unit_test(usable_top),
        cmocka_unit_test(random_maps_match_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
