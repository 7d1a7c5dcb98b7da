// SPDX-License-Identifier: MIT
/* limine.c - the Limine boot protocol (base revision 2): the requests the
 * kernel image carries, and limine_parse(), which turns the loader's
 * responses into struct boot_info (see limine.h for the contract).
 * Everything the loader wrote is untrusted: a loader pointer is followed
 * only after lim_ptr() has checked that it is non-NULL, aligned, inside the
 * part of the HHDM that base revision 2 guarantees to be mapped (physical
 * 0-4 GiB, plus memory-map entries other than RESERVED and BAD above that),
 * and readable through limine_read; what it points to is copied out with
 * memcpy before use, so nothing is read twice or unaligned. Counts are
 * checked against LIMINE_MAX_*, strings for a NUL within LIMINE_MAX_STRING.
 * Validate, then commit: each response is checked whole before it changes
 * *bi, so a rejected one leaves only a warning (bi->warnings counts every
 * boot_warn() made here).
 * Locking: none; runs once, at boot, on one CPU, before phase 2. */
#include "boot/limine.h"
#include "arch/x86_64/memlayout.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/vmm.h"
#include <mos/errors.h>

/* ------------------------------------------------------------ the requests */

/* Base revision 2 obliges the loader to look only between the markers;
 * kernel/kernel.ld puts these three sections together, in this order. */
__attribute__((used, section(".limine_requests_start"), aligned(8)))
static volatile uint64_t limine_start_marker[4] = LIMINE_REQUESTS_START_MARKER;

__attribute__((used, section(".limine_requests"), aligned(8)))
volatile struct limine_requests limine_requests = {
    .base_revision = { LIMINE_BASE_REVISION_MAGIC0, LIMINE_BASE_REVISION_MAGIC1,
                       LIMINE_BASE_REVISION_WANTED },
    .bootloader_info = { .id = LIMINE_BOOTLOADER_INFO_ID },
    .hhdm = { .id = LIMINE_HHDM_ID },
    .memmap = { .id = LIMINE_MEMMAP_ID },
    .kernel_address = { .id = LIMINE_KERNEL_ADDRESS_ID },
    .kernel_file = { .id = LIMINE_KERNEL_FILE_ID },
    /* Revision 1: 4-level is preferred, and the only mode accepted. */
    .paging_mode = { .hdr = { .id = LIMINE_PAGING_MODE_ID, .revision = 1 },
                     .mode = LIMINE_PAGING_MODE_X86_64_4LVL,
                     .max_mode = LIMINE_PAGING_MODE_X86_64_4LVL,
                     .min_mode = LIMINE_PAGING_MODE_X86_64_4LVL },
    .modules = { .hdr = { .id = LIMINE_MODULE_ID } },
    .framebuffer = { .id = LIMINE_FRAMEBUFFER_ID },
    .rsdp = { .id = LIMINE_RSDP_ID },
};

__attribute__((used, section(".limine_requests_end"), aligned(8)))
static volatile uint64_t limine_end_marker[2] = LIMINE_REQUESTS_END_MARKER;

/* The kernel runs on the loader's page tables until phase 3, so a checked
 * HHDM address can be read as it is. */
static const void *read_direct(uint64_t va, size_t len)
{
    (void)len;
    return (const void *)(uintptr_t)va;
}

const void *(*limine_read)(uint64_t va, size_t len) = read_direct;

/* ------------------------------------------------------------ reporting */

struct lim_ctx {
    struct boot_info *bi;
    uint64_t hhdm;          /* accepted HHDM offset; 0 until then */
    uint32_t nmap;          /* bi->regions[0, nmap) came from the loader's map */
    bool refused;           /* a needed response is missing or unusable */
};

static char refusal[160];   /* the first refusal, for limine_refusal() */

#define U(x) ((unsigned long long)(x))

/* boot_warn() and count it: the one place this file reports. */
#define lim_warn(c, fmt, ...)                                   \
    do {                                                        \
        boot_warn("limine: " fmt, ##__VA_ARGS__);               \
        (c)->bi->warnings++;                                    \
    } while (0)

/* A needed response is missing or unusable: report it; limine_parse fails. */
#define lim_refuse(c, fmt, ...)                                             \
    do {                                                                    \
        lim_warn(c, "cannot boot: " fmt, ##__VA_ARGS__);                    \
        if (!(c)->refused)                                                  \
            ksnprintf(refusal, sizeof refusal, fmt, ##__VA_ARGS__);         \
        (c)->refused = true;                                                \
    } while (0)

const char *limine_refusal(void)
{
    return refusal;
}

/* ------------------------------------------------------------ loader memory */

/* Memory-map types the HHDM maps above 4 GiB at base revision 2. */
static bool type_in_hhdm(uint32_t type)
{
    return type != MEM_RESERVED && type != MEM_BAD;
}

/* Is physical [pa, pa + len) inside the guaranteed part of the HHDM? Only
 * entries copied from the loader's map count (not the regions this file
 * adds), and before the map is read only the first 4 GiB. len > 0. */
static bool lim_phys_mapped(const struct lim_ctx *c, uint64_t pa, uint64_t len)
{
    if (len > UINT64_MAX - pa)
        return false;
    uint64_t cur = pa, end = pa + len;
    while (cur < end) {
        if (cur < LIMINE_HHDM_GUARANTEED) {
            cur = LIMINE_HHDM_GUARANTEED;
            continue;
        }
        bool found = false;
        for (uint32_t i = 0; i < c->nmap; i++) {
            const struct mem_region *r = &c->bi->regions[i];
            if (type_in_hhdm(r->type) && r->base <= cur && cur - r->base < r->len) {
                cur = r->base + r->len;     /* no wrap: checked when copied */
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

/* The loader pointer `va` to `len` bytes, checked (see the top of the file),
 * or NULL after reporting why, naming the object as `what`. */
static const void *lim_ptr(struct lim_ctx *c, uint64_t va, uint64_t len, uint64_t align,
                           const char *what)
{
    if (va == 0) {
        lim_warn(c, "%s: NULL pointer", what);
        return NULL;
    }
    if (va % align != 0) {
        lim_warn(c, "%s: pointer 0x%llx is not %llu-byte aligned", what, U(va), U(align));
        return NULL;
    }
    if (va < c->hhdm || len > UINT64_MAX - va) {
        lim_warn(c, "%s: pointer 0x%llx is not in the HHDM at 0x%llx", what, U(va), U(c->hhdm));
        return NULL;
    }
    if (len == 0 || !lim_phys_mapped(c, va - c->hhdm, len)) {
        lim_warn(c, "%s: [0x%llx, +0x%llx) lies outside the memory the HHDM maps", what,
                 U(va - c->hhdm), U(len));
        return NULL;
    }
    const void *p = limine_read(va, (size_t)len);
    if (!p)
        lim_warn(c, "%s: cannot read 0x%llx (+0x%llx)", what, U(va), U(len));
    return p;
}

/* Copy a checked loader object of `size` bytes into *out. */
static bool lim_copy(struct lim_ctx *c, uint64_t va, void *out, size_t size, const char *what)
{
    const void *p = lim_ptr(c, va, size, 8, what);
    if (p)
        memcpy(out, p, size);
    return p != NULL;
}

/* Element i of a checked array of loader pointers. */
static uint64_t lim_elem(const void *array, uint64_t i)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)array + i * sizeof v, sizeof v);
    return v;
}

/* Copy the loader string at `va` into dst[dstsz] (truncated if it must be)
 * and store its whole length in *len. It is read page by page, each page
 * checked, so a string ending just before unmapped memory is fine. */
static bool lim_string(struct lim_ctx *c, uint64_t va, char *dst, size_t dstsz, size_t *len,
                       const char *what)
{
    size_t n = 0;
    dst[0] = '\0';
    while (n < LIMINE_MAX_STRING) {
        uint64_t at = va + n;
        if (at < va) {
            lim_warn(c, "%s: string at 0x%llx runs off the address space", what, U(va));
            return false;
        }
        size_t chunk = (size_t)MIN(PAGE_SIZE - at % PAGE_SIZE, (uint64_t)(LIMINE_MAX_STRING - n));
        const char *s = lim_ptr(c, at, chunk, 1, what);
        if (!s)
            return false;
        size_t k = strnlen(s, chunk);
        if (n < dstsz - 1) {
            size_t take = MIN(k, dstsz - 1 - n);
            memcpy(dst + n, s, take);
            dst[n + take] = '\0';
        }
        n += k;
        if (k < chunk) {
            *len = n;
            return true;
        }
    }
    lim_warn(c, "%s: no NUL within %u bytes", what, (unsigned)LIMINE_MAX_STRING);
    return false;
}

/* ------------------------------------------------------------ needed responses */

static void lim_base_revision(struct lim_ctx *c)
{
    uint64_t loaded = limine_requests.base_revision[1];
    uint64_t wanted = limine_requests.base_revision[2];
    if (wanted != 0) {
        lim_refuse(c, "the loader did not accept base revision %d (the tag still says %llu): "
                   "this needs Limine 8.x or later", LIMINE_BASE_REVISION_WANTED, U(wanted));
        return;
    }
    if (loaded != LIMINE_BASE_REVISION_MAGIC1 && loaded != LIMINE_BASE_REVISION_WANTED)
        lim_refuse(c, "the loader accepted base revision %d but says it used %llu",
                   LIMINE_BASE_REVISION_WANTED, U(loaded));
}

/* The HHDM response cannot be checked against an offset not yet known: it
 * must at least be an aligned upper-half address (lim_hhdm_check() later
 * checks that it lies inside the map it describes). */
static bool lim_hhdm(struct lim_ctx *c)
{
    uint64_t va = limine_requests.hhdm.response;
    struct limine_hhdm_response r;
    if (va == 0) {
        lim_refuse(c, "no answer to the HHDM request (the loader's map of physical memory)");
        return false;
    }
    if (va < HHDM_BASE || va % 8 != 0 || va > UINT64_MAX - sizeof r) {
        lim_refuse(c, "the HHDM response pointer 0x%llx is not an aligned upper-half address",
                   U(va));
        return false;
    }
    const void *p = limine_read(va, sizeof r);
    if (!p) {
        lim_refuse(c, "cannot read the HHDM response at 0x%llx", U(va));
        return false;
    }
    memcpy(&r, p, sizeof r);
    if (r.offset < HHDM_BASE || r.offset % PAGE_SIZE != 0) {
        lim_refuse(c, "the HHDM offset 0x%llx is not a page-aligned upper-half address",
                   U(r.offset));
        return false;
    }
    if (r.offset > KSTACK_REGION - LIMINE_HHDM_GUARANTEED) {
        lim_refuse(c, "the HHDM at 0x%llx leaves no room below the kernel's stack region "
                   "at 0x%llx", U(r.offset), U(KSTACK_REGION));
        return false;
    }
    c->hhdm = r.offset;
    c->bi->hhdm_offset = r.offset;
    return true;
}

static uint32_t lim_mem_type(uint64_t type, bool *known)
{
    *known = true;
    switch (type) {
    case LIMINE_MEMMAP_USABLE:                 return MEM_USABLE;
    case LIMINE_MEMMAP_RESERVED:               return MEM_RESERVED;
    case LIMINE_MEMMAP_ACPI_RECLAIMABLE:       return MEM_ACPI_RECLAIMABLE;
    case LIMINE_MEMMAP_ACPI_NVS:               return MEM_ACPI_NVS;
    case LIMINE_MEMMAP_BAD_MEMORY:             return MEM_BAD;
    case LIMINE_MEMMAP_BOOTLOADER_RECLAIMABLE: return MEM_BOOTLOADER;
    case LIMINE_MEMMAP_EXECUTABLE_AND_MODULES: return MEM_KERNEL_AND_MODULES;
    case LIMINE_MEMMAP_FRAMEBUFFER:            return MEM_FRAMEBUFFER;
    default:
        *known = false;
        return MEM_RESERVED;
    }
}

/* The protocol promises that USABLE and BOOTLOADER_RECLAIMABLE entries
 * overlap nothing; others may overlap each other. Report broken promises
 * (bootmem_sanitize resolves every overlap, the more restrictive type
 * winning). */
static void lim_memmap_overlaps(struct lim_ctx *c)
{
    enum { SHOWN = 4 };
    unsigned found = 0;
    const struct mem_region *reg = c->bi->regions;
    for (uint32_t i = 0; i < c->nmap; i++) {
        for (uint32_t j = i + 1; j < c->nmap; j++) {
            const struct mem_region *a = &reg[i], *b = &reg[j];
            bool exclusive = a->type == MEM_USABLE || a->type == MEM_BOOTLOADER ||
                             b->type == MEM_USABLE || b->type == MEM_BOOTLOADER;
            if (!exclusive || a->base >= b->base + b->len || b->base >= a->base + a->len)
                continue;
            if (found++ < SHOWN)
                lim_warn(c, "memory map: %s [0x%llx-0x%llx) overlaps %s [0x%llx-0x%llx); "
                         "the more restrictive type wins", bootmem_type_name(a->type),
                         U(a->base), U(a->base + a->len), bootmem_type_name(b->type),
                         U(b->base), U(b->base + b->len));
        }
    }
    if (found > SHOWN)
        lim_warn(c, "memory map: %u more overlaps not listed", found - SHOWN);
}

static bool lim_memmap(struct lim_ctx *c)
{
    struct boot_info *bi = c->bi;
    struct limine_memmap_response m;
    if (limine_requests.memmap.response == 0) {
        lim_refuse(c, "no answer to the memory map request");
        return false;
    }
    if (!lim_copy(c, limine_requests.memmap.response, &m, sizeof m, "memory map response")) {
        lim_refuse(c, "the memory map response is unusable");
        return false;
    }
    if (m.entry_count == 0 || m.entry_count > LIMINE_MAX_MEMMAP_ENTRIES) {
        lim_refuse(c, "the memory map claims %llu entries (1 to %u expected)",
                   U(m.entry_count), (unsigned)LIMINE_MAX_MEMMAP_ENTRIES);
        return false;
    }
    const void *array = lim_ptr(c, m.entries, m.entry_count * 8, 8, "memory map entry array");
    if (!array) {
        lim_refuse(c, "the memory map entry array is unusable");
        return false;
    }
    bool unsorted = false;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < m.entry_count; i++) {
        char what[40];
        struct limine_memmap_entry e;
        ksnprintf(what, sizeof what, "memory map entry %llu", U(i));
        if (!lim_copy(c, lim_elem(array, i), &e, sizeof e, what))
            continue;                   /* an unlisted range is never used: safe */
        if (i > 0 && e.base < prev && !unsorted) {
            lim_warn(c, "memory map is not sorted by base (entry %llu at 0x%llx follows "
                     "0x%llx); it will be sorted", U(i), U(e.base), U(prev));
            unsorted = true;
        }
        prev = e.base;
        if (e.length == 0)
            continue;
        if (e.length > UINT64_MAX - e.base) {
            lim_warn(c, "memory map entry %llu [0x%llx, +0x%llx) wraps around; dropped", U(i),
                     U(e.base), U(e.length));
            continue;
        }
        bool known;
        uint32_t type = lim_mem_type(e.type, &known);
        if (!known)
            lim_warn(c, "memory map entry %llu has unknown type %llu; treated as reserved",
                     U(i), U(e.type));
        if (bi->nregions >= BOOT_MAX_REGIONS) {
            lim_warn(c, "memory map has more than %u entries; dropped the rest from entry %llu",
                     (unsigned)BOOT_MAX_REGIONS, U(i));
            break;
        }
        bi->regions[bi->nregions++] = (struct mem_region){ .base = e.base, .len = e.length,
                                                           .type = type };
    }
    c->nmap = bi->nregions;
    if (c->nmap == 0) {
        lim_refuse(c, "the memory map has no usable entry");
        return false;
    }
    lim_memmap_overlaps(c);
    return true;
}

/* Once the map is known: the HHDM must fit below the kernel's stack region
 * whatever it maps, and the HHDM response must lie inside it. */
static void lim_hhdm_check(struct lim_ctx *c)
{
    uint64_t top = LIMINE_HHDM_GUARANTEED;
    for (uint32_t i = 0; i < c->nmap; i++) {
        const struct mem_region *r = &c->bi->regions[i];
        if (type_in_hhdm(r->type))
            top = MAX(top, r->base + r->len);
    }
    if (top > KSTACK_REGION - c->hhdm)
        lim_refuse(c, "the HHDM at 0x%llx maps memory up to 0x%llx, which would run into the "
                   "kernel's stack region at 0x%llx", U(c->hhdm), U(top), U(KSTACK_REGION));
    uint64_t va = limine_requests.hhdm.response;
    if (va < c->hhdm || !lim_phys_mapped(c, va - c->hhdm, sizeof(struct limine_hhdm_response)))
        lim_refuse(c, "the HHDM response at 0x%llx lies outside the HHDM it describes", U(va));
}

static void lim_kernel_address(struct lim_ctx *c)
{
    struct limine_kernel_address_response r;
    uint64_t link = (uint64_t)(uintptr_t)__kernel_start;
    uint64_t size = (uint64_t)(uintptr_t)__kernel_end - link;
    if (limine_requests.kernel_address.response == 0) {
        lim_refuse(c, "no answer to the kernel address request: the kernel cannot know where "
                   "it was loaded");
        return;
    }
    if (!lim_copy(c, limine_requests.kernel_address.response, &r, sizeof r,
                  "kernel address response")) {
        lim_refuse(c, "the kernel address response is unusable");
        return;
    }
    if (r.virtual_base != link) {
        lim_refuse(c, "the loader placed the image at virtual 0x%llx, but it is linked at "
                   "0x%llx and cannot be relocated", U(r.virtual_base), U(link));
        return;
    }
    if (r.physical_base % PAGE_SIZE != 0 || r.physical_base < PAGE_SIZE ||
        r.physical_base > (1ull << 52) - size) {
        lim_refuse(c, "the image's physical base 0x%llx is impossible (not page-aligned, "
                   "page 0, or beyond 52 bits)", U(r.physical_base));
        return;
    }
    if (!lim_phys_mapped(c, r.physical_base, size))
        lim_warn(c, "the kernel image [0x%llx, +0x%llx) is not in the loader's memory map; "
                 "it is reserved anyway", U(r.physical_base), U(size));
    c->bi->kernel_phys_base = r.physical_base;
    c->bi->kernel_phys_end = r.physical_base + size;
}

static void lim_paging_mode(struct lim_ctx *c)
{
    struct limine_paging_mode_response r;
    if (limine_requests.paging_mode.hdr.response == 0) {
        lim_refuse(c, "no answer to the paging mode request (the kernel needs 4-level paging)");
        return;
    }
    if (!lim_copy(c, limine_requests.paging_mode.hdr.response, &r, sizeof r,
                  "paging mode response")) {
        lim_refuse(c, "the paging mode response is unusable");
        return;
    }
    if (r.mode != LIMINE_PAGING_MODE_X86_64_4LVL)
        lim_refuse(c, "the loader enabled paging mode %llu%s; the kernel needs 4-level paging",
                   U(r.mode), r.mode == LIMINE_PAGING_MODE_X86_64_5LVL ? " (5-level)" : "");
}

/* ------------------------------------------------------------ optional responses */

static void lim_bootloader_info(struct lim_ctx *c)
{
    struct limine_bootloader_info_response r;
    char name[48], version[48];
    size_t nlen, vlen;
    if (limine_requests.bootloader_info.response == 0) {
        lim_warn(c, "no bootloader info response: loader \"unknown\"");
        return;
    }
    if (!lim_copy(c, limine_requests.bootloader_info.response, &r, sizeof r,
                  "bootloader info response") ||
        !lim_string(c, r.name, name, sizeof name, &nlen, "bootloader name") ||
        !lim_string(c, r.version, version, sizeof version, &vlen, "bootloader version"))
        return;
    if (nlen == 0)
        return;                         /* an empty name tells nothing */
    if (vlen)
        ksnprintf(c->bi->loader, sizeof c->bi->loader, "%s %s", name, version);
    else
        ksnprintf(c->bi->loader, sizeof c->bi->loader, "%s", name);
}

/* The first five words of a limine_file. */
static bool lim_file(struct lim_ctx *c, uint64_t va, struct limine_file *f, const char *what)
{
    memset(f, 0, sizeof *f);
    return lim_copy(c, va, f, LIMINE_FILE_READ_SIZE, what);
}

static void lim_kernel_file(struct lim_ctx *c)
{
    struct limine_kernel_file_response r;
    struct limine_file f;
    struct boot_info *bi = c->bi;
    size_t len;
    if (limine_requests.kernel_file.response == 0) {
        lim_warn(c, "no kernel file response: the command line is empty");
        return;
    }
    if (!lim_copy(c, limine_requests.kernel_file.response, &r, sizeof r, "kernel file response")
        || !lim_file(c, r.kernel_file, &f, "kernel file"))
        return;
    if (!lim_string(c, f.string, bi->cmdline, sizeof bi->cmdline, &len, "command line")) {
        bi->cmdline[0] = '\0';
        return;
    }
    if (len >= sizeof bi->cmdline)
        lim_warn(c, "command line truncated from %zu to %zu bytes", len, sizeof bi->cmdline - 1);
}

/* Put module m in bi->modules: the initrd first, the others in order. */
static void lim_add_module(struct lim_ctx *c, const struct boot_module *m, bool initrd,
                           bool *have_initrd)
{
    struct boot_info *bi = c->bi;
    if (bi->nmodules >= BOOT_MAX_MODULES) {
        if (!initrd) {
            lim_warn(c, "too many modules (max %u): \"%s\" dropped", (unsigned)BOOT_MAX_MODULES,
                     m->name);
            return;
        }
        bi->nmodules--;                 /* the initrd matters more than the last one */
        lim_warn(c, "too many modules (max %u): \"%s\" dropped for the initrd",
                 (unsigned)BOOT_MAX_MODULES, bi->modules[bi->nmodules].name);
    }
    if (initrd) {
        memmove(&bi->modules[1], &bi->modules[0], bi->nmodules * sizeof bi->modules[0]);
        bi->modules[0] = *m;
        *have_initrd = true;
    } else {
        bi->modules[bi->nmodules] = *m;
    }
    bi->nmodules++;
}

/* One module file: checked whole, then added. */
static void lim_module(struct lim_ctx *c, uint64_t i, uint64_t va, bool *have_initrd)
{
    struct limine_file f;
    struct boot_module m = { 0 };
    char what[40], path[128], string[BOOT_MODNAME_MAX];
    size_t plen, slen;
    ksnprintf(what, sizeof what, "module %llu", U(i));
    if (!lim_file(c, va, &f, what) ||
        !lim_string(c, f.path, path, sizeof path, &plen, what) ||
        !lim_string(c, f.string, string, sizeof string, &slen, what))
        return;
    if (f.size == 0) {
        lim_warn(c, "module %llu (%s) is empty; dropped", U(i), path);
        return;
    }
    if (!lim_ptr(c, f.address, f.size, PAGE_SIZE, what))
        return;
    bool initrd = (plen < sizeof path && strcmp(path, LIMINE_INITRD_PATH) == 0) ||
                  (slen < sizeof string && strcmp(string, LIMINE_INITRD_STRING) == 0);
    if (initrd && *have_initrd) {
        lim_warn(c, "module %llu (%s) looks like a second initrd; kept as an ordinary module",
                 U(i), path);
        initrd = false;
    }
    const char *name = initrd ? LIMINE_INITRD_STRING : slen ? string : path;
    size_t nlen = initrd ? strlen(name) : slen ? slen : plen;
    if (nlen >= sizeof m.name)
        lim_warn(c, "module %llu name truncated from %zu to %zu bytes", U(i), nlen,
                 sizeof m.name - 1);
    m.start = f.address - c->hhdm;
    m.size = f.size;
    ksnprintf(m.name, sizeof m.name, "%s", name);
    lim_add_module(c, &m, initrd, have_initrd);
}

static void lim_modules(struct lim_ctx *c)
{
    struct limine_module_response r;
    bool have_initrd = false;
    if (limine_requests.modules.hdr.response == 0) {
        lim_warn(c, "no module response: there is no initrd (%s)", LIMINE_INITRD_PATH);
        return;
    }
    if (!lim_copy(c, limine_requests.modules.hdr.response, &r, sizeof r, "module response"))
        return;
    if (r.module_count > LIMINE_MAX_MODULES) {
        lim_warn(c, "the module response claims %llu modules (limit %u); all ignored",
                 U(r.module_count), (unsigned)LIMINE_MAX_MODULES);
        return;
    }
    if (r.module_count > 0) {
        const void *array = lim_ptr(c, r.modules, r.module_count * 8, 8, "module array");
        if (!array)
            return;
        for (uint64_t i = 0; i < r.module_count; i++)
            lim_module(c, i, lim_elem(array, i), &have_initrd);
    }
    if (!have_initrd)
        lim_warn(c, "no module is the initrd (path %s or string \"%s\")", LIMINE_INITRD_PATH,
                 LIMINE_INITRD_STRING);
}

static bool fb_field_ok(uint8_t shift, uint8_t size, uint16_t bpp)
{
    return size >= 1 && (unsigned)shift + size <= bpp;
}

/* Can the framebuffer console drive framebuffer i? If so, fill *out. */
static bool lim_fb_usable(struct lim_ctx *c, uint64_t i, const struct limine_framebuffer *f,
                          struct boot_fb *out)
{
    if (f->memory_model != LIMINE_FRAMEBUFFER_RGB) {
        lim_warn(c, "framebuffer %llu: memory model %u is not RGB; the console cannot drive it",
                 U(i), f->memory_model);
        return false;
    }
    if (f->bpp != 16 && f->bpp != 24 && f->bpp != 32) {
        lim_warn(c, "framebuffer %llu: %u bits per pixel; the console drives 16, 24 or 32",
                 U(i), f->bpp);
        return false;
    }
    if (f->width == 0 || f->height == 0 || f->width > 16384 || f->height > 16384 ||
        f->pitch < f->width * (f->bpp / 8u) || f->pitch > UINT32_MAX) {
        lim_warn(c, "framebuffer %llu: geometry %llux%llu, pitch %llu is unusable", U(i),
                 U(f->width), U(f->height), U(f->pitch));
        return false;
    }
    if (!fb_field_ok(f->red_mask_shift, f->red_mask_size, f->bpp) ||
        !fb_field_ok(f->green_mask_shift, f->green_mask_size, f->bpp) ||
        !fb_field_ok(f->blue_mask_shift, f->blue_mask_size, f->bpp)) {
        lim_warn(c, "framebuffer %llu: colour fields %u/%u %u/%u %u/%u (shift/size) do not "
                 "fit %u bits", U(i), f->red_mask_shift, f->red_mask_size, f->green_mask_shift,
                 f->green_mask_size, f->blue_mask_shift, f->blue_mask_size, f->bpp);
        return false;
    }
    uint64_t bytes = f->pitch * f->height;      /* < 2^47: both are bounded above */
    if (f->address < c->hhdm || !lim_phys_mapped(c, f->address - c->hhdm, bytes)) {
        lim_warn(c, "framebuffer %llu: [0x%llx, +0x%llx) is not in the HHDM", U(i),
                 U(f->address), U(bytes));
        return false;
    }
    *out = (struct boot_fb){
        .addr = f->address - c->hhdm, .width = (uint32_t)f->width,
        .height = (uint32_t)f->height, .pitch = (uint32_t)f->pitch, .bpp = (uint8_t)f->bpp,
        .format = FB_RGB,
        .red_pos = f->red_mask_shift, .red_size = f->red_mask_size,
        .green_pos = f->green_mask_shift, .green_size = f->green_mask_size,
        .blue_pos = f->blue_mask_shift, .blue_size = f->blue_mask_size,
    };
    return true;
}

/* The first framebuffer the console can drive; none is not an error. */
static void lim_framebuffer(struct lim_ctx *c)
{
    struct limine_framebuffer_response r;
    if (limine_requests.framebuffer.response == 0)
        return;
    if (!lim_copy(c, limine_requests.framebuffer.response, &r, sizeof r, "framebuffer response"))
        return;
    if (r.framebuffer_count > LIMINE_MAX_FRAMEBUFFERS) {
        lim_warn(c, "the framebuffer response claims %llu framebuffers (limit %u); none used",
                 U(r.framebuffer_count), (unsigned)LIMINE_MAX_FRAMEBUFFERS);
        return;
    }
    if (r.framebuffer_count == 0)
        return;
    const void *array = lim_ptr(c, r.framebuffers, r.framebuffer_count * 8, 8,
                                "framebuffer array");
    if (!array)
        return;
    for (uint64_t i = 0; i < r.framebuffer_count; i++) {
        char what[32];
        struct limine_framebuffer f;
        struct boot_fb fb;
        ksnprintf(what, sizeof what, "framebuffer %llu", U(i));
        if (lim_copy(c, lim_elem(array, i), &f, sizeof f, what) && lim_fb_usable(c, i, &f, &fb)) {
            c->bi->fb = fb;
            return;
        }
    }
    lim_warn(c, "no framebuffer the console can drive: serial console only");
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

/* A copy of the RSDP (20 bytes for ACPI 1.0, 36 from revision 2 on). */
static void lim_rsdp(struct lim_ctx *c)
{
    struct limine_rsdp_response r;
    uint8_t rsdp[36];
    if (limine_requests.rsdp.response == 0)
        return;                         /* no ACPI: phase 4 says so */
    if (!lim_copy(c, limine_requests.rsdp.response, &r, sizeof r, "RSDP response"))
        return;
    const uint8_t *p = lim_ptr(c, r.address, 20, 1, "RSDP");
    if (!p)
        return;
    memcpy(rsdp, p, 20);
    if (memcmp(rsdp, "RSD PTR ", 8) != 0 || checksum(rsdp, 20) != 0) {
        lim_warn(c, "the RSDP at 0x%llx has a bad signature or checksum; ignored", U(r.address));
        return;
    }
    size_t len = 20;
    if (rsdp[15] >= 2) {
        p = lim_ptr(c, r.address, 36, 1, "ACPI 2.0 RSDP");
        uint32_t length = 0;
        if (p) {
            memcpy(rsdp, p, 36);
            memcpy(&length, rsdp + 20, 4);
        }
        if (p && length >= 36 && checksum(rsdp, 36) == 0)
            len = 36;
        else
            lim_warn(c, "the ACPI 2.0 part of the RSDP at 0x%llx is unusable; using the 1.0 "
                     "part", U(r.address));
    }
    memcpy(c->bi->rsdp, rsdp, len);
    c->bi->rsdp_len = (uint8_t)len;
    c->bi->rsdp_addr = r.address - c->hhdm;
}

/* Record the kernel image and the modules in the memory map too, so that it
 * says what the kernel knows whatever the loader's map says about them. */
static void lim_add_region(struct lim_ctx *c, paddr_t base, uint64_t len, const char *what)
{
    struct boot_info *bi = c->bi;
    if (len == 0)
        return;
    if (bi->nregions >= BOOT_MAX_REGIONS) {
        lim_warn(c, "no room in the memory map to record %s [0x%llx, +0x%llx); it is avoided "
                 "anyway", what, U(base), U(len));
        return;
    }
    bi->regions[bi->nregions++] = (struct mem_region){ .base = base, .len = len,
                                                       .type = MEM_KERNEL_AND_MODULES };
}

/* ------------------------------------------------------------ the parser */

int limine_parse(struct boot_info *bi)
{
    memset(bi, 0, sizeof *bi);
    bi->protocol = "limine";
    memcpy(bi->loader, "unknown", sizeof "unknown");
    refusal[0] = '\0';
    struct lim_ctx c = { .bi = bi };

    lim_base_revision(&c);
    if (!lim_hhdm(&c))
        return -MOS_EINVAL;             /* no pointer can be checked without it */
    if (lim_memmap(&c))
        lim_hhdm_check(&c);
    lim_kernel_address(&c);
    lim_paging_mode(&c);
    lim_bootloader_info(&c);
    lim_kernel_file(&c);
    lim_modules(&c);
    lim_framebuffer(&c);
    lim_rsdp(&c);

    lim_add_region(&c, bi->kernel_phys_base, bi->kernel_phys_end - bi->kernel_phys_base,
                   "the kernel image");
    for (uint32_t i = 0; i < bi->nmodules; i++)
        lim_add_region(&c, bi->modules[i].start, bi->modules[i].size, "a module");
    return c.refused ? -MOS_EINVAL : 0;
}
