// SPDX-License-Identifier: MIT
/* bootmem.c - turns the loader's memory map (plus whatever the kernel added)
 * into one the PMM can trust: sorted by base, no overlaps, no empty regions,
 * no two touching regions of one type, and USABLE regions page-aligned.
 * Overlaps are resolved by a sweep over the region boundaries: each stretch
 * between two consecutive boundaries gets the most restrictive type among
 * the regions covering it (see rank[] for the order and why). Memory that no
 * region covers is not usable, so dropping a region is always safe, only
 * wasteful. Cost: O(n^2) for n <= BOOT_MAX_REGIONS, no heap; the result is
 * built in a static scratch array, so this is not reentrant.
 * Locking: none; runs once, at boot, on one CPU. */
#include "boot/boot_info.h"
#include "lib/string.h"

/* Restrictiveness, lowest first: a type beats every type ranked below it.
 * The order is "how long until the PMM may hand this memory out":
 *   USABLE              now
 *   BOOTLOADER          after boot (the loader's data is consumed)
 *   ACPI_RECLAIMABLE    after the ACPI tables are parsed
 *   KERNEL_AND_MODULES  while the kernel (or the module's user) lives
 *   FRAMEBUFFER         never: device memory, but its owner is known
 *   RESERVED            never: firmware or unknown
 *   ACPI_NVS            never, and it must be preserved across sleep
 *   BAD                 never: broken RAM
 * so firmware's word "reserved" beats "ACPI reclaimable" (unlike Linux's
 * higher-number-wins e820 rule): we never reclaim what anyone called reserved.
 * Unknown type values are treated as RESERVED (and reported). */
static const uint8_t rank[] = {
    [MEM_USABLE]             = 0,
    [MEM_BOOTLOADER]         = 1,
    [MEM_ACPI_RECLAIMABLE]   = 2,
    [MEM_KERNEL_AND_MODULES] = 3,
    [MEM_FRAMEBUFFER]        = 4,
    [MEM_RESERVED]           = 5,
    [MEM_ACPI_NVS]           = 6,
    [MEM_BAD]                = 7,
};

static bool type_known(uint32_t type)
{
    return type >= MEM_USABLE && type <= MEM_FRAMEBUFFER;
}

static bool is_carve_out(uint32_t type)
{
    return type == MEM_BOOTLOADER || type == MEM_KERNEL_AND_MODULES ||
           type == MEM_FRAMEBUFFER;
}

/* An overlap that is expected and therefore not reported: duplicates, the
 * kernel labelling parts of USABLE memory as its own (kernel image, modules,
 * loader data, framebuffer), or the framebuffer lying in RESERVED space. */
static bool overlap_expected(uint32_t a, uint32_t b)
{
    if (a == b)
        return true;
    if ((a == MEM_USABLE && is_carve_out(b)) || (b == MEM_USABLE && is_carve_out(a)))
        return true;
    return (a == MEM_FRAMEBUFFER && b == MEM_RESERVED) ||
           (b == MEM_FRAMEBUFFER && a == MEM_RESERVED);
}

const char *bootmem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:             return "usable";
    case MEM_RESERVED:           return "reserved";
    case MEM_ACPI_RECLAIMABLE:   return "ACPI reclaimable";
    case MEM_ACPI_NVS:           return "ACPI NVS";
    case MEM_BAD:                return "bad";
    case MEM_BOOTLOADER:         return "bootloader";
    case MEM_KERNEL_AND_MODULES: return "kernel/modules";
    case MEM_FRAMEBUFFER:        return "framebuffer";
    default:                     return "unknown";
    }
}

#define bm_warn(bi, fmt, ...)                                   \
    do {                                                        \
        boot_warn("bootmem: " fmt, ##__VA_ARGS__);              \
        (bi)->warnings++;                                       \
    } while (0)

/* Half-open [base, end) with end <= UINT64_MAX; the last byte of the address
 * space is never representable, which costs nothing real. */
static uint64_t region_end(const struct mem_region *r)
{
    return r->len > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->len;
}

/* At most two output stretches per input boundary pair: 2n - 1 < 2n. */
static struct mem_region scratch[2 * BOOT_MAX_REGIONS];

/* Remove entry i of list[0..*n), keeping the order. */
static void list_remove(struct mem_region *list, uint32_t *n, uint32_t i)
{
    memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof list[0]);
    (*n)--;
}

/* Step 1: clamp, normalise types, drop empties, report unexpected overlaps. */
static uint32_t bootmem_prepare(struct boot_info *bi)
{
    uint32_t n = bi->nregions;
    if (n > BOOT_MAX_REGIONS) {
        bm_warn(bi, "nregions %u > %u, extra regions ignored", n, (unsigned)BOOT_MAX_REGIONS);
        n = BOOT_MAX_REGIONS;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct mem_region r = bi->regions[i];
        if (!type_known(r.type)) {
            bm_warn(bi, "region [0x%llx+0x%llx) has unknown type %u, treated as reserved",
                    (unsigned long long)r.base, (unsigned long long)r.len, r.type);
            r.type = MEM_RESERVED;
        }
        if (r.len > UINT64_MAX - r.base) {
            bm_warn(bi, "region at 0x%llx length 0x%llx wraps, clamped",
                    (unsigned long long)r.base, (unsigned long long)r.len);
            r.len = UINT64_MAX - r.base;
        }
        if (r.len == 0)
            continue;
        r._pad = 0;
        bi->regions[kept++] = r;
    }
    for (uint32_t i = 0; i < kept; i++) {
        const struct mem_region *a = &bi->regions[i];
        for (uint32_t j = i + 1; j < kept; j++) {
            const struct mem_region *b = &bi->regions[j];
            if (a->base < region_end(b) && b->base < region_end(a) &&
                !overlap_expected(a->type, b->type))
                bm_warn(bi, "%s [0x%llx-0x%llx) overlaps %s [0x%llx-0x%llx)",
                        bootmem_type_name(a->type), (unsigned long long)a->base,
                        (unsigned long long)region_end(a), bootmem_type_name(b->type),
                        (unsigned long long)b->base, (unsigned long long)region_end(b));
        }
    }
    return kept;
}

/* Step 2: sweep the boundaries left to right; append each covered stretch to
 * scratch with its winning type, merging with the previous one when they
 * touch and agree. Returns the number of scratch entries. */
static uint32_t bootmem_sweep(const struct mem_region *in, uint32_t n)
{
    uint32_t out = 0;
    if (n == 0)
        return 0;
    uint64_t pos = in[0].base;
    for (uint32_t i = 1; i < n; i++)
        pos = MIN(pos, in[i].base);
    for (;;) {
        /* The next boundary after pos, and who covers [pos, next). */
        uint64_t next = UINT64_MAX;
        bool more = false;
        int win = -1;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t b = in[i].base, e = region_end(&in[i]);
            if (b > pos && b <= next) { next = b; more = true; }
            if (e > pos && e <= next) { next = e; more = true; }
            if (b <= pos && pos < e &&
                (win < 0 || rank[in[i].type] > rank[in[win].type]))
                win = (int)i;
        }
        if (!more)
            break;
        if (win >= 0) {
            uint32_t type = in[win].type;
            struct mem_region *prev = out ? &scratch[out - 1] : NULL;
            if (prev && prev->type == type && prev->base + prev->len == pos) {
                prev->len += next - pos;
            } else {
                scratch[out++] = (struct mem_region){ .base = pos, .len = next - pos,
                                                      .type = type };
            }
        }
        pos = next;
    }
    return out;
}

/* Step 3: shrink USABLE stretches inward to whole pages, dropping empty ones. */
static uint32_t bootmem_align(uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        struct mem_region *r = &scratch[i];
        if (r->type == MEM_USABLE) {
            uint64_t end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE);
            uint64_t base = r->base > UINT64_MAX - (PAGE_SIZE - 1) ? end
                                                                    : ALIGN_UP(r->base, PAGE_SIZE);
            if (base >= end) {
                list_remove(scratch, &n, i);
                continue;
            }
            r->base = base;
            r->len = end - base;
        }
        i++;
    }
    return n;
}

/* Index of the smallest region in scratch[0..n) that is (usable ? USABLE :
 * not USABLE), or -1. */
static int smallest(uint32_t n, bool usable)
{
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if ((scratch[i].type == MEM_USABLE) == usable &&
            (best < 0 || scratch[i].len < scratch[best].len))
            best = (int)i;
    return best;
}

/* Step 4: fit BOOT_MAX_REGIONS by dropping the smallest USABLE stretches
 * first (losing the least RAM), then, only if still needed, the smallest
 * other ones (losing only a label: unlisted memory is never used). */
static uint32_t bootmem_fit(struct boot_info *bi, uint32_t n)
{
    while (n > BOOT_MAX_REGIONS) {
        int i = smallest(n, true);
        if (i < 0)
            i = smallest(n, false);
        const struct mem_region *r = &scratch[i];
        bm_warn(bi, "too many regions: dropped %s [0x%llx-0x%llx)", bootmem_type_name(r->type),
                (unsigned long long)r->base, (unsigned long long)(r->base + r->len));
        list_remove(scratch, &n, (uint32_t)i);
    }
    return n;
}

void bootmem_sanitize(struct boot_info *bi)
{
    uint32_t n = bootmem_prepare(bi);
    n = bootmem_sweep(bi->regions, n);
    n = bootmem_align(n);
    n = bootmem_fit(bi, n);
    memcpy(bi->regions, scratch, n * sizeof scratch[0]);
    memset(&bi->regions[n], 0, (BOOT_MAX_REGIONS - n) * sizeof bi->regions[0]);
    bi->nregions = n;
}

paddr_t bootmem_usable_top(const struct boot_info *bi)
{
    paddr_t top = 0;
    uint32_t n = MIN(bi->nregions, (uint32_t)BOOT_MAX_REGIONS);
    for (uint32_t i = 0; i < n; i++)
        if (bi->regions[i].type == MEM_USABLE)
            top = MAX(top, region_end(&bi->regions[i]));
    return top;
}
