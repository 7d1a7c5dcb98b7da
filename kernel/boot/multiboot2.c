// SPDX-License-Identifier: MIT
/* multiboot2.c - Multiboot2 boot information -> struct boot_info.
 * The input is untrusted bytes: every read goes through rd8/rd32/rd64 on an
 * offset that was first checked against the tag's size, and every tag's size
 * was first checked against total_size, which was checked against `avail`.
 * So nothing outside [info, info + total_size) is ever read, whatever the
 * bytes say. Each handler validates its whole tag before it writes to *bi
 * (validate, then commit), so a rejected tag leaves no trace but a warning.
 * Fields are assembled from bytes (little-endian), which costs nothing after
 * optimisation and needs neither alignment nor aliasing guarantees.
 * Locking: none; runs once, at boot, on one CPU. */
#include "boot/multiboot2.h"
#include "lib/string.h"
#include <mos/errors.h>

/* The boot information being parsed and where its result goes. */
struct mb2_ctx {
    const uint8_t *base;        /* start of the boot information */
    size_t total;               /* its validated total_size */
    struct boot_info *bi;
    bool have_mmap;             /* a memory map tag was accepted */
    bool have_rsdp_v2;          /* rsdp holds a v2 copy: v1 must not replace it */
};

static uint8_t rd8(const uint8_t *p, size_t off)
{
    return p[off];
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
    return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
           (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
    return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

/* boot_warn() and count it: the one place parse warnings are issued. */
#define mb2_warn(c, fmt, ...)                                   \
    do {                                                        \
        boot_warn("multiboot2: " fmt, ##__VA_ARGS__);           \
        (c)->bi->warnings++;                                    \
    } while (0)

#define tag_warn(c, type, off, fmt, ...) \
    mb2_warn(c, "tag %u at +0x%zx: " fmt, (unsigned)(type), (size_t)(off), ##__VA_ARGS__)

/* Check that the string at payload [p, p + maxlen) is NUL-terminated inside
 * it; store its length (without the NUL) in *len. */
static bool str_ok(const uint8_t *p, size_t maxlen, size_t *len)
{
    *len = strnlen((const char *)p, maxlen);
    return *len < maxlen;
}

/* Copy a checked string of length len into dst[dstsz], truncating; true if
 * it had to be truncated. */
static bool str_store(char *dst, size_t dstsz, const uint8_t *src, size_t len)
{
    size_t n = MIN(len, dstsz - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n < len;
}

/* Tags 1 and 2: a NUL-terminated string filling the payload. */
static void mb2_string(struct mb2_ctx *c, uint32_t type, size_t off, size_t size,
                       char *dst, size_t dstsz, const char *what)
{
    const uint8_t *s = c->base + off + MB2_TAG_HEADER_SIZE;
    size_t len;
    if (!str_ok(s, size - MB2_TAG_HEADER_SIZE, &len)) {
        tag_warn(c, type, off, "%s not NUL-terminated within %zu bytes", what,
                 size - MB2_TAG_HEADER_SIZE);
        return;
    }
    if (str_store(dst, dstsz, s, len))
        tag_warn(c, type, off, "%s truncated from %zu to %zu bytes", what, len, dstsz - 1);
}

/* Tag 3: one boot module. */
static void mb2_module(struct mb2_ctx *c, size_t off, size_t size)
{
    const uint8_t *t = c->base + off;
    if (size < MB2_MODULE_HEADER_SIZE + 1) {
        tag_warn(c, MB2_TAG_MODULE, off, "module tag too short (%zu bytes)", size);
        return;
    }
    uint32_t start = rd32(t, 8), end = rd32(t, 12);
    size_t len;
    if (!str_ok(t + MB2_MODULE_HEADER_SIZE, size - MB2_MODULE_HEADER_SIZE, &len)) {
        tag_warn(c, MB2_TAG_MODULE, off, "module name not NUL-terminated");
        return;
    }
    if (end < start) {
        tag_warn(c, MB2_TAG_MODULE, off, "module end 0x%x < start 0x%x", end, start);
        return;
    }
    if (end == start) {
        tag_warn(c, MB2_TAG_MODULE, off, "module at 0x%x is empty", start);
        return;
    }
    if (c->bi->nmodules >= BOOT_MAX_MODULES) {
        tag_warn(c, MB2_TAG_MODULE, off, "too many modules (max %u), module dropped",
                 (unsigned)BOOT_MAX_MODULES);
        return;
    }
    struct boot_module *m = &c->bi->modules[c->bi->nmodules++];
    m->start = start;
    m->size = (uint64_t)end - start;
    if (str_store(m->name, sizeof m->name, t + MB2_MODULE_HEADER_SIZE, len))
        tag_warn(c, MB2_TAG_MODULE, off, "module name truncated from %zu to %zu bytes",
                 len, sizeof m->name - 1);
}

static uint32_t mb2_mem_type(uint32_t t)
{
    switch (t) {
    case MB2_MEM_AVAILABLE:        return MEM_USABLE;
    case MB2_MEM_ACPI_RECLAIMABLE: return MEM_ACPI_RECLAIMABLE;
    case MB2_MEM_NVS:              return MEM_ACPI_NVS;
    case MB2_MEM_BADRAM:           return MEM_BAD;
    default:                       return MEM_RESERVED;
    }
}

/* Tag 6: the memory map. The whole tag is rejected if its layout is off;
 * entries beyond BOOT_MAX_REGIONS are dropped with one warning. */
static void mb2_mmap(struct mb2_ctx *c, size_t off, size_t size)
{
    const uint8_t *t = c->base + off;
    if (size < MB2_MMAP_HEADER_SIZE) {
        tag_warn(c, MB2_TAG_MMAP, off, "memory map tag too short (%zu bytes)", size);
        return;
    }
    uint32_t esize = rd32(t, 8);
    size_t body = size - MB2_MMAP_HEADER_SIZE;
    if (esize < MB2_MMAP_ENTRY_MIN) {
        tag_warn(c, MB2_TAG_MMAP, off, "memory map entry_size %u < %u", esize,
                 (unsigned)MB2_MMAP_ENTRY_MIN);
        return;
    }
    if (body % esize != 0) {
        tag_warn(c, MB2_TAG_MMAP, off, "memory map entry_size %u does not divide %zu bytes",
                 esize, body);
        return;
    }
    c->have_mmap = true;
    struct boot_info *bi = c->bi;
    for (size_t e = MB2_MMAP_HEADER_SIZE; e < size; e += esize) {
        uint64_t base = rd64(t, e), len = rd64(t, e + 8);
        uint32_t type = rd32(t, e + 16);
        if (len == 0)
            continue;
        if (bi->nregions >= BOOT_MAX_REGIONS) {
            tag_warn(c, MB2_TAG_MMAP, off, "too many memory regions (max %u), dropped "
                     "the rest from entry %zu", (unsigned)BOOT_MAX_REGIONS,
                     (e - MB2_MMAP_HEADER_SIZE) / esize);
            return;
        }
        struct mem_region *r = &bi->regions[bi->nregions++];
        r->base = base;
        r->len = len;
        r->type = mb2_mem_type(type);
    }
}

static bool fb_field_ok(uint8_t pos, uint8_t size, uint8_t bpp)
{
    return size >= 1 && (unsigned)pos + size <= bpp;
}

/* Tag 8: the framebuffer. Only direct RGB at 16/24/32 bpp with geometry that
 * makes sense is taken; anything else leaves bi->fb empty (FB_NONE). */
static void mb2_framebuffer(struct mb2_ctx *c, size_t off, size_t size)
{
    const uint8_t *t = c->base + off;
    if (size < MB2_FB_COMMON_SIZE) {
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "framebuffer tag too short (%zu bytes)", size);
        return;
    }
    struct boot_fb fb = {
        .addr = rd64(t, 8),
        .pitch = rd32(t, 16),
        .width = rd32(t, 20),
        .height = rd32(t, 24),
        .bpp = rd8(t, 28),
        .format = FB_RGB,
    };
    uint8_t type = rd8(t, 29);
    if (type != MB2_FB_TYPE_RGB) {
        const char *name = type == MB2_FB_TYPE_INDEXED  ? "indexed" :
                           type == MB2_FB_TYPE_EGA_TEXT ? "EGA text" : "unknown";
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "framebuffer type %u (%s) unsupported",
                 type, name);
        return;
    }
    if (size < MB2_FB_RGB_SIZE) {
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "RGB framebuffer tag too short (%zu bytes)",
                 size);
        return;
    }
    if (fb.bpp != 16 && fb.bpp != 24 && fb.bpp != 32) {
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "framebuffer bpp %u unsupported", fb.bpp);
        return;
    }
    fb.red_pos = rd8(t, 32);
    fb.red_size = rd8(t, 33);
    fb.green_pos = rd8(t, 34);
    fb.green_size = rd8(t, 35);
    fb.blue_pos = rd8(t, 36);
    fb.blue_size = rd8(t, 37);
    uint64_t bytes = (uint64_t)fb.pitch * fb.height;   /* < 2^64: both are u32 */
    if (fb.addr == 0 || fb.width == 0 || fb.height == 0 ||
        fb.pitch < (uint64_t)fb.width * (fb.bpp / 8) || fb.addr + bytes < fb.addr) {
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "framebuffer geometry %ux%u pitch %u at 0x%llx "
                 "unusable", fb.width, fb.height, fb.pitch, (unsigned long long)fb.addr);
        return;
    }
    if (!fb_field_ok(fb.red_pos, fb.red_size, fb.bpp) ||
        !fb_field_ok(fb.green_pos, fb.green_size, fb.bpp) ||
        !fb_field_ok(fb.blue_pos, fb.blue_size, fb.bpp)) {
        tag_warn(c, MB2_TAG_FRAMEBUFFER, off, "framebuffer colour fields %u/%u %u/%u %u/%u "
                 "do not fit %u bpp", fb.red_pos, fb.red_size, fb.green_pos, fb.green_size,
                 fb.blue_pos, fb.blue_size, fb.bpp);
        return;
    }
    c->bi->fb = fb;
}

/* Tags 14 and 15: a copy of the RSDP. v2 is preferred whatever the order. */
static void mb2_rsdp(struct mb2_ctx *c, uint32_t type, size_t off, size_t size)
{
    size_t need = type == MB2_TAG_ACPI_NEW ? MB2_RSDP_V2_SIZE : MB2_RSDP_V1_SIZE;
    size_t have = size - MB2_TAG_HEADER_SIZE;
    if (have < need) {
        tag_warn(c, type, off, "RSDP copy is %zu bytes, need %zu", have, need);
        return;
    }
    if (type == MB2_TAG_ACPI_OLD && c->have_rsdp_v2)
        return;
    memcpy(c->bi->rsdp, c->base + off + MB2_TAG_HEADER_SIZE, need);
    c->bi->rsdp_len = (uint8_t)need;
    if (type == MB2_TAG_ACPI_NEW)
        c->have_rsdp_v2 = true;
}

static void mb2_tag(struct mb2_ctx *c, uint32_t type, size_t off, size_t size)
{
    struct boot_info *bi = c->bi;
    switch (type) {
    case MB2_TAG_CMDLINE:
        mb2_string(c, type, off, size, bi->cmdline, sizeof bi->cmdline, "command line");
        break;
    case MB2_TAG_LOADER_NAME:
        mb2_string(c, type, off, size, bi->loader, sizeof bi->loader, "loader name");
        if (bi->loader[0] == '\0')     /* an empty name tells nothing */
            memcpy(bi->loader, "unknown", sizeof "unknown");
        break;
    case MB2_TAG_MODULE:
        mb2_module(c, off, size);
        break;
    case MB2_TAG_MMAP:
        mb2_mmap(c, off, size);
        break;
    case MB2_TAG_FRAMEBUFFER:
        mb2_framebuffer(c, off, size);
        break;
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW:
        mb2_rsdp(c, type, off, size);
        break;
    default:
        break;      /* basic meminfo, boot device, ELF sections, EFI, ...: not needed */
    }
}

int mb2_parse(const void *info, size_t avail, struct boot_info *bi)
{
    memset(bi, 0, sizeof *bi);
    bi->protocol = "multiboot2";
    memcpy(bi->loader, "unknown", sizeof "unknown");

    struct mb2_ctx c = { .base = info, .bi = bi };
    if (!info || (uintptr_t)info % MB2_TAG_ALIGN != 0 || avail < MB2_INFO_HEADER_SIZE) {
        mb2_warn(&c, "boot information at %p (%zu bytes readable) unusable", info, avail);
        return -MOS_EINVAL;
    }
    uint32_t total = rd32(c.base, 0);
    if (total < MB2_INFO_HEADER_SIZE + MB2_TAG_HEADER_SIZE || total > avail) {
        mb2_warn(&c, "total_size %u unusable (%zu bytes readable)", total, avail);
        return -MOS_EINVAL;
    }
    c.total = total;

    size_t off = MB2_INFO_HEADER_SIZE;
    bool ended = false;
    while (c.total - off >= MB2_TAG_HEADER_SIZE) {
        uint32_t type = rd32(c.base, off);
        size_t size = rd32(c.base, off + 4);
        if (type == MB2_TAG_END) {
            ended = true;
            break;
        }
        if (size < MB2_TAG_HEADER_SIZE) {
            tag_warn(&c, type, off, "size %zu < 8, stopping", size);
            break;
        }
        if (size > c.total - off) {
            tag_warn(&c, type, off, "size %zu runs past total_size %zu, stopping", size,
                     c.total);
            break;
        }
        mb2_tag(&c, type, off, size);
        /* size <= total - off, so this cannot wrap; it may step past total. */
        off += ALIGN_UP(size, (size_t)MB2_TAG_ALIGN);
        if (off >= c.total)
            break;
    }
    if (!ended) {
        if (off < c.total && c.total - off < MB2_TAG_HEADER_SIZE)
            mb2_warn(&c, "truncated tag header at +0x%zx", off);
        else if (off >= c.total)
            mb2_warn(&c, "no end tag within total_size %zu", c.total);
    }
    if (!c.have_mmap)
        mb2_warn(&c, "no usable memory map");
    return 0;
}
