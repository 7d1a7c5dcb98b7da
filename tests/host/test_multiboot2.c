// SPDX-License-Identifier: MIT
/* test_multiboot2.c - mb2_parse() on boot information built byte by byte the
 * way GRUB lays it out (tag sizes as GRUB computes them, 8-byte padding,
 * little-endian fields), on malformed variants of it, and on thousands of
 * random mutations. Every parse gets an exact-size heap copy of the bytes, so
 * ASan flags any read past `avail`. After every parse, check_bi() verifies
 * the invariants of the result, including warnings == boot_warn() calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/multiboot2.h"
#include "boot/boot_info.h"
#include "fake_kernel.h"
#include <mos/errors.h>

/* ------------------------------------------------------------ builder */

struct mb2b {
    uint8_t buf[8192];
    size_t len;
};

static void b_init(struct mb2b *b)
{
    memset(b->buf, 0, sizeof b->buf);
    b->len = 8;                     /* total_size, reserved: set by b_finish */
}

static void b_put(struct mb2b *b, const void *p, size_t n)
{
    assert_true(b->len + n <= sizeof b->buf);
    if (n)
        memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void b_u8(struct mb2b *b, uint8_t v) { b_put(b, &v, 1); }

static void b_u16(struct mb2b *b, uint16_t v)
{
    uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    b_put(b, le, 2);
}

static void b_u32(struct mb2b *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    b_put(b, le, 4);
}

static void b_u64(struct mb2b *b, uint64_t v)
{
    b_u32(b, (uint32_t)v);
    b_u32(b, (uint32_t)(v >> 32));
}

static void set_u32(uint8_t *p, size_t off, uint32_t v)
{
    p[off] = (uint8_t)v;
    p[off + 1] = (uint8_t)(v >> 8);
    p[off + 2] = (uint8_t)(v >> 16);
    p[off + 3] = (uint8_t)(v >> 24);
}

/* Open a tag; returns its offset. Its size is fixed by b_end(). */
static size_t b_begin(struct mb2b *b, uint32_t type)
{
    size_t off = b->len;
    assert_int_equal(off % 8, 0);
    b_u32(b, type);
    b_u32(b, 0);
    return off;
}

/* Close a tag: size = bytes written since b_begin; pad to 8 with zeros. */
static void b_end(struct mb2b *b, size_t off)
{
    set_u32(b->buf, off + 4, (uint32_t)(b->len - off));
    while (b->len % 8)
        b_u8(b, 0);
}

static size_t b_string(struct mb2b *b, uint32_t type, const char *s)
{
    size_t off = b_begin(b, type);
    b_put(b, s, strlen(s) + 1);
    b_end(b, off);
    return off;
}

static size_t b_module(struct mb2b *b, uint32_t start, uint32_t end, const char *name)
{
    size_t off = b_begin(b, MB2_TAG_MODULE);
    b_u32(b, start);
    b_u32(b, end);
    b_put(b, name, strlen(name) + 1);
    b_end(b, off);
    return off;
}

struct mmap_ent { uint64_t base, len; uint32_t type; };

static size_t b_mmap(struct mb2b *b, const struct mmap_ent *e, size_t n)
{
    size_t off = b_begin(b, MB2_TAG_MMAP);
    b_u32(b, 24);
    b_u32(b, 0);
    for (size_t i = 0; i < n; i++) {
        b_u64(b, e[i].base);
        b_u64(b, e[i].len);
        b_u32(b, e[i].type);
        b_u32(b, 0);
    }
    b_end(b, off);
    return off;
}

/* An RGB framebuffer tag exactly as GRUB writes it: 32 + 6 = 38 bytes. */
static size_t b_fb_rgb(struct mb2b *b, uint64_t addr, uint32_t w, uint32_t h, uint8_t bpp,
                       const uint8_t colour[6])
{
    size_t off = b_begin(b, MB2_TAG_FRAMEBUFFER);
    b_u64(b, addr);
    b_u32(b, w * (bpp / 8));        /* pitch */
    b_u32(b, w);
    b_u32(b, h);
    b_u8(b, bpp);
    b_u8(b, MB2_FB_TYPE_RGB);
    b_u16(b, 0);
    b_put(b, colour, 6);
    b_end(b, off);
    return off;
}

static const uint8_t rsdp_v1[20] = "RSD PTR \x11OEMID\0\0\x00\x10\xfe\x07";
static const uint8_t rsdp_v2[36] = "RSD PTR \x22OEMID2\x02\x00\x20\xfe\x07\x24\0\0\0"
                                   "\x00\x30\xfe\x07\0\0\0\0\x5a\0\0";

static size_t b_rsdp(struct mb2b *b, uint32_t type, const uint8_t *rsdp, size_t n)
{
    size_t off = b_begin(b, type);
    b_put(b, rsdp, n);
    b_end(b, off);
    return off;
}

/* A tag the parser must skip: `n` payload bytes of filler. */
static size_t b_opaque(struct mb2b *b, uint32_t type, size_t n)
{
    size_t off = b_begin(b, type);
    for (size_t i = 0; i < n; i++)
        b_u8(b, (uint8_t)(0xA5 ^ i));
    b_end(b, off);
    return off;
}

/* End tag, then total_size. Returns the total size. */
static size_t b_finish(struct mb2b *b)
{
    size_t off = b_begin(b, MB2_TAG_END);
    b_end(b, off);
    set_u32(b->buf, 0, (uint32_t)b->len);
    return b->len;
}

/* ------------------------------------------------------------ parsing */

static struct boot_info bi;

static size_t log_lines(void)
{
    size_t n = 0;
    for (size_t i = 0; i < host_log_len; i++)
        n += host_log[i] == '\n';
    return n;
}

static bool str_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Invariants of any mb2_parse() result, whatever the input. */
static void check_bi(int rc)
{
    assert_true(rc == 0 || rc == -MOS_EINVAL);
    assert_non_null(bi.protocol);
    assert_string_equal(bi.protocol, "multiboot2");
    assert_true(str_terminated(bi.loader, sizeof bi.loader));
    assert_true(bi.loader[0] != '\0');
    assert_true(str_terminated(bi.cmdline, sizeof bi.cmdline));
    assert_true(bi.nregions <= BOOT_MAX_REGIONS);
    assert_true(bi.nmodules <= BOOT_MAX_MODULES);
    for (uint32_t i = 0; i < bi.nregions; i++) {
        assert_true(bi.regions[i].len > 0);
        assert_true(bi.regions[i].type >= MEM_USABLE && bi.regions[i].type <= MEM_BAD);
    }
    for (uint32_t i = 0; i < bi.nmodules; i++) {
        assert_true(bi.modules[i].size > 0);
        assert_true(str_terminated(bi.modules[i].name, sizeof bi.modules[i].name));
    }
    assert_true(bi.rsdp_len == 0 || bi.rsdp_len == 20 || bi.rsdp_len == 36);
    assert_int_equal(bi.rsdp_addr, 0);
    assert_int_equal(bi.hhdm_offset, 0);
    assert_int_equal(bi.kernel_phys_base, 0);
    if (bi.fb.format == FB_RGB) {
        assert_true(bi.fb.bpp == 16 || bi.fb.bpp == 24 || bi.fb.bpp == 32);
        assert_true(bi.fb.width && bi.fb.height);
        assert_true((uint64_t)bi.fb.pitch >= (uint64_t)bi.fb.width * (bi.fb.bpp / 8));
    } else {
        assert_int_equal(bi.fb.format, FB_NONE);
        assert_int_equal(bi.fb.addr, 0);
    }
    if (host_log_len < HOST_LOG_SIZE - 1)
        assert_int_equal(bi.warnings, log_lines());
    if (rc != 0)
        assert_int_equal(bi.warnings, 1);
}

/* Parse `len` bytes of `src` from an exact-size heap copy; avail = len. */
static int parse_bytes(const void *src, size_t len)
{
    host_log_clear();
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, src, len);
    int rc = mb2_parse(copy, len, &bi);
    free(copy);
    check_bi(rc);
    return rc;
}

static int parse(const struct mb2b *b)
{
    return parse_bytes(b->buf, b->len);
}

static void assert_logged(const char *needle)
{
    if (!strstr(host_log, needle))
        fail_msg("expected \"%s\" in the log, got:\n%s", needle, host_log);
}

/* ------------------------------------------------------------ fixtures */

/* QEMU's e820 map as GRUB on SeaBIOS reports it with -m 128M. */
static const struct mmap_ent qemu_map[] = {
    { 0x0,         0x9fc00,    1 },
    { 0x9fc00,     0x400,      2 },
    { 0xf0000,     0x10000,    2 },
    { 0x100000,    0x7ee0000,  1 },
    { 0x7fe0000,   0x20000,    2 },
    { 0xfffc0000,  0x40000,    2 },
};

static const uint8_t colour_rgb32[6] = { 16, 8, 8, 8, 0, 8 };

static void build_grub_bios(struct mb2b *b)
{
    b_init(b);
    b_string(b, MB2_TAG_CMDLINE, "console=serial test");
    b_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    b_opaque(b, 10, 20);                                 /* APM */
    b_module(b, 0x400000, 0x412345, "/boot/init");
    b_module(b, 0x413000, 0x513000, "/boot/initrd.tar ro");
    size_t off = b_begin(b, MB2_TAG_BASIC_MEMINFO);      /* mem_lower/upper in KiB */
    b_u32(b, 639);
    b_u32(b, 130048);
    b_end(b, off);
    off = b_begin(b, 5);                                 /* boot device */
    b_u32(b, 0x80);
    b_u32(b, 0xffffffff);
    b_u32(b, 0xffffffff);
    b_end(b, off);
    b_mmap(b, qemu_map, sizeof qemu_map / sizeof qemu_map[0]);
    b_opaque(b, 9, 12 + 64 * 5);                         /* ELF sections */
    b_fb_rgb(b, 0xfd000000, 1024, 768, 32, colour_rgb32);
    b_rsdp(b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
    b_finish(b);
}

static void grub_bios_realistic(void **state)
{
    (void)state;
    struct mb2b b;
    build_grub_bios(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(host_log_len, 0);
    assert_string_equal(bi.cmdline, "console=serial test");
    assert_string_equal(bi.loader, "GRUB 2.06-13+deb12u1");

    assert_int_equal(bi.nmodules, 2);
    assert_int_equal(bi.modules[0].start, 0x400000);
    assert_int_equal(bi.modules[0].size, 0x12345);
    assert_string_equal(bi.modules[0].name, "/boot/init");
    assert_int_equal(bi.modules[1].start, 0x413000);
    assert_int_equal(bi.modules[1].size, 0x100000);
    assert_string_equal(bi.modules[1].name, "/boot/initrd.tar ro");

    assert_int_equal(bi.nregions, 6);
    static const uint32_t types[] = { MEM_USABLE, MEM_RESERVED, MEM_RESERVED, MEM_USABLE,
                                      MEM_RESERVED, MEM_RESERVED };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(bi.regions[i].base, qemu_map[i].base);
        assert_int_equal(bi.regions[i].len, qemu_map[i].len);
        assert_int_equal(bi.regions[i].type, types[i]);
    }

    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.addr, 0xfd000000);
    assert_int_equal(bi.fb.width, 1024);
    assert_int_equal(bi.fb.height, 768);
    assert_int_equal(bi.fb.pitch, 4096);
    assert_int_equal(bi.fb.bpp, 32);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.red_size, 8);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.green_size, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 8);

    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, rsdp_v1, 20);

    /* And the map sanitizes the way the PMM expects. */
    bootmem_sanitize(&bi);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 6);
    assert_int_equal(bi.regions[0].base, 0);
    assert_int_equal(bi.regions[0].len, 0x9f000);       /* shrunk to whole pages */
    assert_int_equal(bi.regions[1].base, 0x9fc00);      /* reserved: kept exact */
    assert_int_equal(bootmem_usable_top(&bi), 0x7fe0000);
}

/* The same layout as literal bytes, so a builder bug cannot hide a parser
 * bug: cmdline "hi", a 1-entry memory map, a 16 bpp framebuffer, end. */
static void literal_bytes(void **state)
{
    (void)state;
    static const uint8_t raw[] __attribute__((aligned(8))) = {
        0x70, 0, 0, 0,  0, 0, 0, 0,                         /* total_size 112 */
        1, 0, 0, 0,  11, 0, 0, 0,  'h', 'i', 0, 0, 0, 0, 0, 0,   /* cmdline, size 11 */
        6, 0, 0, 0,  40, 0, 0, 0,  24, 0, 0, 0,  0, 0, 0, 0,     /* mmap, 1 entry */
        0, 0, 0x10, 0, 0, 0, 0, 0,                          /* base 0x100000 */
        0, 0, 0xf0, 0, 0, 0, 0, 0,                          /* len 0xf00000 */
        1, 0, 0, 0,  0, 0, 0, 0,                            /* available */
        8, 0, 0, 0,  38, 0, 0, 0,                           /* framebuffer, size 38 */
        0, 0, 0, 0xe0, 0, 0, 0, 0,                          /* addr 0xe0000000 */
        0x00, 0x05, 0, 0,  0x80, 0x02, 0, 0,  0xe0, 0x01, 0, 0,   /* 1280, 640x480 */
        16, 1, 0, 0,                                        /* bpp 16, RGB, reserved */
        11, 5, 5, 6, 0, 5,  0, 0,                           /* 5:6:5 + padding */
        0, 0, 0, 0,  8, 0, 0, 0,                            /* end */
    };
    assert_int_equal(sizeof raw, 0x70);
    assert_int_equal(parse_bytes(raw, sizeof raw), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.cmdline, "hi");
    assert_string_equal(bi.loader, "unknown");
    assert_int_equal(bi.nregions, 1);
    assert_int_equal(bi.regions[0].base, 0x100000);
    assert_int_equal(bi.regions[0].len, 0xf00000);
    assert_int_equal(bi.regions[0].type, MEM_USABLE);
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.addr, 0xe0000000);
    assert_int_equal(bi.fb.pitch, 1280);
    assert_int_equal(bi.fb.width, 640);
    assert_int_equal(bi.fb.height, 480);
    assert_int_equal(bi.fb.bpp, 16);
    assert_int_equal(bi.fb.red_pos, 11);
    assert_int_equal(bi.fb.red_size, 5);
    assert_int_equal(bi.fb.green_pos, 5);
    assert_int_equal(bi.fb.green_size, 6);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 5);
    assert_int_equal(bi.nmodules, 0);
    assert_int_equal(bi.rsdp_len, 0);
}

/* OVMF-like: many map entries, EFI tags, both RSDPs. */
static void uefi_like(void **state)
{
    (void)state;
    struct mmap_ent map[40];
    uint64_t base = 0;
    static const uint32_t cycle[] = { 1, 2, 1, 3, 1, 4, 2, 1, 5, 20 };
    for (int i = 0; i < 40; i++) {
        uint64_t len = 0x1000ull * (uint64_t)(1 + (i * 7) % 13);
        map[i] = (struct mmap_ent){ base, len, cycle[i % 10] };
        base += len;
    }
    struct mb2b b;
    b_init(&b);
    b_string(&b, MB2_TAG_CMDLINE, "");
    b_string(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    b_opaque(&b, 12, 8);                                 /* EFI64 system table */
    b_mmap(&b, map, 40);
    size_t off = b_begin(&b, 17);                        /* EFI memory map: skipped */
    b_u32(&b, 48);
    b_u32(&b, 1);
    for (int i = 0; i < 48 * 3; i++)
        b_u8(&b, (uint8_t)i);
    b_end(&b, off);
    b_fb_rgb(&b, 0x80000000, 1280, 800, 32, colour_rgb32);
    b_rsdp(&b, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
    b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
    b_opaque(&b, 20, 8);                                 /* image load base */
    b_finish(&b);

    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "GRUB 2.06");
    assert_int_equal(bi.nregions, 40);
    for (int i = 0; i < 40; i++) {
        static const uint32_t want[] = { 0, MEM_USABLE, MEM_RESERVED, MEM_ACPI_RECLAIMABLE,
                                         MEM_ACPI_NVS, MEM_BAD };
        uint32_t t = map[i].type <= 5 ? want[map[i].type] : MEM_RESERVED;
        assert_int_equal(bi.regions[i].base, map[i].base);
        assert_int_equal(bi.regions[i].len, map[i].len);
        assert_int_equal(bi.regions[i].type, t);
    }
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.width, 1280);
    assert_int_equal(bi.fb.pitch, 5120);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.rsdp_len, 36);
    assert_memory_equal(bi.rsdp, rsdp_v2, 36);
}

static void acpi_new_preferred_in_any_order(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        struct mb2b b;
        b_init(&b);
        b_mmap(&b, qemu_map, 1);
        if (order == 0) {
            b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
            b_rsdp(&b, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
        } else {
            b_rsdp(&b, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
            b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
        }
        b_finish(&b);
        assert_int_equal(parse(&b), 0);
        assert_int_equal(bi.warnings, 0);
        assert_int_equal(bi.rsdp_len, 36);
        assert_memory_equal(bi.rsdp, rsdp_v2, 36);
    }
    /* A short v2 copy is rejected, and v1 is used instead. */
    struct mb2b b;
    b_init(&b);
    b_mmap(&b, qemu_map, 1);
    size_t off = b_rsdp(&b, MB2_TAG_ACPI_NEW, rsdp_v2, 24);
    b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 1);
    char msg[64];
    snprintf(msg, sizeof msg, "tag 15 at +0x%zx", off);
    assert_logged(msg);
    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, rsdp_v1, 20);
    /* A short v1 copy alone: nothing. */
    b_init(&b);
    b_mmap(&b, qemu_map, 1);
    b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, 19);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 1);
    assert_int_equal(bi.rsdp_len, 0);
}

static void header_unusable(void **state)
{
    (void)state;
    struct mb2b b;
    build_grub_bios(&b);
    uint8_t *copy = aligned_alloc(8, b.len + 8);
    assert_non_null(copy);
    memcpy(copy, b.buf, b.len);

    host_log_clear();
    assert_int_equal(mb2_parse(NULL, 4096, &bi), -MOS_EINVAL);
    check_bi(-MOS_EINVAL);
    assert_string_equal(bi.loader, "unknown");

    memmove(copy + 4, copy, b.len);                      /* misaligned pointer */
    host_log_clear();
    assert_int_equal(mb2_parse(copy + 4, b.len, &bi), -MOS_EINVAL);
    check_bi(-MOS_EINVAL);
    assert_int_equal(bi.nregions, 0);
    memmove(copy, copy + 4, b.len);

    host_log_clear();
    assert_int_equal(mb2_parse(copy, 7, &bi), -MOS_EINVAL);    /* avail < 8 */
    check_bi(-MOS_EINVAL);

    host_log_clear();
    assert_int_equal(mb2_parse(copy, b.len - 1, &bi), -MOS_EINVAL);  /* total > avail */
    check_bi(-MOS_EINVAL);
    assert_logged("total_size");
    assert_int_equal(bi.nmodules, 0);
    assert_string_equal(bi.cmdline, "");

    for (uint32_t total = 0; total < 16; total++) {
        set_u32(copy, 0, total);
        host_log_clear();
        assert_int_equal(mb2_parse(copy, b.len, &bi), -MOS_EINVAL);
        check_bi(-MOS_EINVAL);
    }
    /* The exact size is fine. */
    set_u32(copy, 0, (uint32_t)b.len);
    host_log_clear();
    assert_int_equal(mb2_parse(copy, b.len, &bi), 0);
    check_bi(0);
    assert_int_equal(bi.warnings, 0);
    free(copy);
}

static void minimal_info_warns_only_for_missing_map(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    b_finish(&b);
    assert_int_equal(b.len, 16);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 1);
    assert_logged("no usable memory map");
    assert_string_equal(bi.loader, "unknown");
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_int_equal(bi.rsdp_len, 0);
}

static void tag_size_below_8_stops(void **state)
{
    (void)state;
    for (uint32_t bad = 0; bad < 8; bad++) {
        struct mb2b b;
        b_init(&b);
        b_string(&b, MB2_TAG_CMDLINE, "before");
        size_t off = b_begin(&b, 0x1234);
        b_u32(&b, 0);
        b_end(&b, off);
        set_u32(b.buf, off + 4, bad);
        b_mmap(&b, qemu_map, 6);
        b_finish(&b);
        assert_int_equal(parse(&b), 0);
        assert_string_equal(bi.cmdline, "before");
        assert_int_equal(bi.nregions, 0);           /* never reached */
        assert_int_equal(bi.warnings, 2);           /* bad size + no map */
        char msg[64];
        snprintf(msg, sizeof msg, "tag 4660 at +0x%zx: size %u < 8", off, bad);
        assert_logged(msg);
    }
}

static void tag_past_total_size_stops(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    b_mmap(&b, qemu_map, 6);
    size_t off = b_string(&b, MB2_TAG_CMDLINE, "too long");
    b_finish(&b);
    set_u32(b.buf, off + 4, (uint32_t)(b.len - off + 1));
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.nregions, 6);
    assert_string_equal(bi.cmdline, "");
    assert_int_equal(bi.warnings, 1);
    assert_logged("runs past total_size");

    /* A huge size must not wrap any arithmetic. */
    set_u32(b.buf, off + 4, 0xfffffff8);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 1);
    assert_int_equal(bi.nregions, 6);
}

/* total_size cut at every possible byte: always a clean result. */
static void truncated_everywhere(void **state)
{
    (void)state;
    struct mb2b b;
    build_grub_bios(&b);
    size_t full = b.len;
    for (size_t k = 16; k < full; k++) {
        struct mb2b t = b;
        set_u32(t.buf, 0, (uint32_t)k);
        t.len = k;
        assert_int_equal(parse(&t), 0);
        assert_true(bi.warnings >= 1);              /* at least: no end tag */
    }
    /* The bytes are all there but avail stops short: refused outright. */
    for (size_t k = 0; k < full; k++)
        assert_int_equal(parse_bytes(b.buf, k), -MOS_EINVAL);
}

static void truncated_tag_header(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    size_t off = b_begin(&b, MB2_TAG_BASIC_MEMINFO);
    b_u32(&b, 639);
    b_u32(&b, 1024);
    b_end(&b, off);
    b_u32(&b, 6);                                   /* half a tag header */
    set_u32(b.buf, 0, (uint32_t)b.len);
    assert_int_equal(b.len, 28);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 2);
    assert_logged("truncated tag header at +0x18");
    assert_logged("no usable memory map");

    /* Tags end exactly at total_size but there is no end tag. */
    b_init(&b);
    b_mmap(&b, qemu_map, 2);
    set_u32(b.buf, 0, (uint32_t)b.len);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.nregions, 2);
    assert_int_equal(bi.warnings, 1);
    assert_logged("no end tag");
}

static void mmap_bad_entry_size(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { 0, 1, 8, 16, 23, 25, 32, 40, 0xffffffff };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct mb2b b;
        b_init(&b);
        size_t off = b_mmap(&b, qemu_map, 6);       /* 6 * 24 = 144 bytes of entries */
        set_u32(b.buf, off + 8, sizes[i]);
        b_finish(&b);
        assert_int_equal(parse(&b), 0);
        assert_int_equal(bi.nregions, 0);
        assert_int_equal(bi.warnings, 2);           /* the tag + no map */
        char msg[80];
        snprintf(msg, sizeof msg, "tag 6 at +0x%zx: memory map entry_size %u", off, sizes[i]);
        assert_logged(msg);
    }
    /* Too short for its own header. */
    struct mb2b b;
    b_init(&b);
    size_t off = b_begin(&b, MB2_TAG_MMAP);
    b_u32(&b, 24);
    b_end(&b, off);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 2);
    assert_logged("memory map tag too short");
}

/* Larger entries (a future entry_version) are read by their first 24 bytes. */
static void mmap_larger_entries_and_types(void **state)
{
    (void)state;
    static const struct { uint32_t mb2; uint32_t want; } types[] = {
        { 1, MEM_USABLE }, { 2, MEM_RESERVED }, { 3, MEM_ACPI_RECLAIMABLE },
        { 4, MEM_ACPI_NVS }, { 5, MEM_BAD }, { 0, MEM_RESERVED }, { 7, MEM_RESERVED },
        { 0xffffffff, MEM_RESERVED },
    };
    struct mb2b b;
    b_init(&b);
    size_t off = b_begin(&b, MB2_TAG_MMAP);
    b_u32(&b, 32);
    b_u32(&b, 1);
    for (uint32_t i = 0; i < 8; i++) {
        b_u64(&b, 0x100000ull * (i + 1));
        b_u64(&b, 0x1000ull * (i + 1));
        b_u32(&b, types[i].mb2);
        b_u32(&b, 0);
        b_u64(&b, 0xdeadbeefdeadbeefull);           /* the unknown tail */
    }
    /* A zero-length entry: dropped silently. */
    b_u64(&b, 0x5000);
    b_u64(&b, 0);
    b_u32(&b, 1);
    b_u32(&b, 0);
    b_u64(&b, 0);
    b_end(&b, off);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.nregions, 8);
    for (uint32_t i = 0; i < 8; i++) {
        assert_int_equal(bi.regions[i].base, 0x100000ull * (i + 1));
        assert_int_equal(bi.regions[i].len, 0x1000ull * (i + 1));
        assert_int_equal(bi.regions[i].type, types[i].want);
    }
}

static void too_many_regions(void **state)
{
    (void)state;
    static struct mmap_ent map[200];
    for (int i = 0; i < 200; i++)
        map[i] = (struct mmap_ent){ 0x10000ull * (uint64_t)i, 0x8000, 1 + (uint32_t)i % 2 };
    struct mb2b b;
    b_init(&b);
    size_t off = b_mmap(&b, map, 130);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    assert_int_equal(bi.regions[127].base, 0x10000ull * 127);
    assert_int_equal(bi.warnings, 1);
    char msg[80];
    snprintf(msg, sizeof msg, "tag 6 at +0x%zx: too many memory regions", off);
    assert_logged(msg);
    assert_logged("from entry 128");

    /* Two tags: the second fills up the rest, and is cut. */
    b_init(&b);
    b_mmap(&b, map, 100);
    b_mmap(&b, map + 100, 100);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    assert_int_equal(bi.regions[100].base, 0x10000ull * 100);
    assert_int_equal(bi.warnings, 1);
}

static void unterminated_strings(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    size_t c_off = b_begin(&b, MB2_TAG_CMDLINE);
    b_put(&b, "no-nul", 6);
    b_end(&b, c_off);
    size_t l_off = b_begin(&b, MB2_TAG_LOADER_NAME);
    b_put(&b, "GRUBGRUB", 8);                       /* fills the tag to an 8 boundary */
    b_end(&b, l_off);
    size_t m_off = b_begin(&b, MB2_TAG_MODULE);
    b_u32(&b, 0x100000);
    b_u32(&b, 0x200000);
    b_put(&b, "mod", 3);
    b_end(&b, m_off);
    size_t e_off = b_begin(&b, MB2_TAG_CMDLINE);   /* empty payload: no room for NUL */
    b_end(&b, e_off);
    b_module(&b, 0x300000, 0x301000, "good");
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    /* The padding after each tag holds zeros: the parser must not use them. */
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 4);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "unknown");
    assert_int_equal(bi.nmodules, 1);
    assert_string_equal(bi.modules[0].name, "good");
    char msg[80];
    snprintf(msg, sizeof msg, "tag 1 at +0x%zx: command line not NUL-terminated", c_off);
    assert_logged(msg);
    snprintf(msg, sizeof msg, "tag 2 at +0x%zx: loader name not NUL-terminated", l_off);
    assert_logged(msg);
    snprintf(msg, sizeof msg, "tag 3 at +0x%zx: module name not NUL-terminated", m_off);
    assert_logged(msg);
    snprintf(msg, sizeof msg, "tag 1 at +0x%zx", e_off);
    assert_logged(msg);
}

static void long_strings_truncated(void **state)
{
    (void)state;
    char longs[400];
    for (size_t i = 0; i < sizeof longs - 1; i++)
        longs[i] = (char)('a' + i % 26);
    longs[sizeof longs - 1] = '\0';
    struct mb2b b;
    b_init(&b);
    b_string(&b, MB2_TAG_CMDLINE, longs);
    b_string(&b, MB2_TAG_LOADER_NAME, longs);
    b_module(&b, 0x100000, 0x100001, longs);
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 3);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_memory_equal(bi.cmdline, longs, BOOT_CMDLINE_MAX - 1);
    assert_int_equal(strlen(bi.loader), sizeof bi.loader - 1);
    assert_int_equal(bi.nmodules, 1);                   /* kept, name cut */
    assert_int_equal(bi.modules[0].size, 1);
    assert_int_equal(strlen(bi.modules[0].name), BOOT_MODNAME_MAX - 1);
    assert_logged("command line truncated from 399 to 255 bytes");

    /* Exactly fitting strings are not truncated. */
    longs[BOOT_CMDLINE_MAX - 1] = '\0';
    b_init(&b);
    b_string(&b, MB2_TAG_CMDLINE, longs);
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.cmdline, longs);
}

static void later_string_tag_wins(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    b_string(&b, MB2_TAG_CMDLINE, "first");
    b_string(&b, MB2_TAG_CMDLINE, "second");
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.cmdline, "second");

    /* An empty loader name says nothing: "unknown" stays. */
    b_init(&b);
    b_string(&b, MB2_TAG_LOADER_NAME, "");
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.loader, "unknown");
}

/* Build one framebuffer tag from raw fields; returns its offset. */
static size_t b_fb_raw(struct mb2b *b, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
                       uint8_t bpp, uint8_t type, const uint8_t *extra, size_t nextra)
{
    size_t off = b_begin(b, MB2_TAG_FRAMEBUFFER);
    b_u64(b, addr);
    b_u32(b, pitch);
    b_u32(b, w);
    b_u32(b, h);
    b_u8(b, bpp);
    b_u8(b, type);
    b_u16(b, 0);
    b_put(b, extra, nextra);
    b_end(b, off);
    return off;
}

static void fb_parse_one(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp,
                         uint8_t type, const uint8_t *extra, size_t nextra, size_t *off)
{
    struct mb2b b;
    b_init(&b);
    b_mmap(&b, qemu_map, 1);
    *off = b_fb_raw(&b, addr, pitch, w, h, bpp, type, extra, nextra);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
}

static void framebuffer_unsupported(void **state)
{
    (void)state;
    size_t off;
    char msg[96];
    static const uint8_t palette[2 + 3 * 4] = { 4, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0,
                                                255, 0 };
    fb_parse_one(0xfd000000, 1024, 1024, 768, 8, MB2_FB_TYPE_INDEXED, palette,
                 sizeof palette, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_int_equal(bi.warnings, 1);
    snprintf(msg, sizeof msg, "tag 8 at +0x%zx: framebuffer type 0 (indexed) unsupported", off);
    assert_logged(msg);

    fb_parse_one(0xb8000, 160, 80, 25, 16, MB2_FB_TYPE_EGA_TEXT, NULL, 0, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_int_equal(bi.warnings, 1);
    assert_logged("framebuffer type 2 (EGA text) unsupported");

    fb_parse_one(0xfd000000, 4096, 1024, 768, 32, 3, colour_rgb32, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_logged("framebuffer type 3 (unknown) unsupported");

    static const uint8_t bpps[] = { 0, 1, 8, 15, 31, 64, 255 };
    for (size_t i = 0; i < sizeof bpps; i++) {
        fb_parse_one(0xfd000000, 8192, 1024, 768, bpps[i], MB2_FB_TYPE_RGB, colour_rgb32, 6,
                     &off);
        assert_int_equal(bi.fb.format, FB_NONE);
        assert_int_equal(bi.warnings, 1);
        snprintf(msg, sizeof msg, "framebuffer bpp %u unsupported", bpps[i]);
        assert_logged(msg);
    }

    /* RGB without its colour bytes (GRUB always writes 38). */
    fb_parse_one(0xfd000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, colour_rgb32, 5, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_logged("RGB framebuffer tag too short (37 bytes)");
    /* Shorter than the common part. */
    struct mb2b b;
    b_init(&b);
    b_mmap(&b, qemu_map, 1);
    off = b_begin(&b, MB2_TAG_FRAMEBUFFER);
    b_u64(&b, 0xfd000000);
    b_u32(&b, 4096);
    b_end(&b, off);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_logged("framebuffer tag too short (20 bytes)");
}

static void framebuffer_geometry_checked(void **state)
{
    (void)state;
    size_t off;
    /* Pitch too small for the width. */
    fb_parse_one(0xfd000000, 4095, 1024, 768, 32, MB2_FB_TYPE_RGB, colour_rgb32, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_int_equal(bi.warnings, 1);
    assert_logged("geometry");
    fb_parse_one(0, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, colour_rgb32, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    fb_parse_one(0xfd000000, 4096, 0, 768, 32, MB2_FB_TYPE_RGB, colour_rgb32, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    fb_parse_one(0xfd000000, 4096, 1024, 0, 32, MB2_FB_TYPE_RGB, colour_rgb32, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    fb_parse_one(0xfffffffffff00000ull, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, colour_rgb32,
                 6, &off);                                   /* wraps the address space */
    assert_int_equal(bi.fb.format, FB_NONE);
    /* Colour fields outside the pixel. */
    static const uint8_t bad_colour[6] = { 24, 9, 8, 8, 0, 8 };
    fb_parse_one(0xfd000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, bad_colour, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_logged("do not fit 32 bpp");
    static const uint8_t zero_colour[6] = { 16, 0, 8, 8, 0, 8 };
    fb_parse_one(0xfd000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, zero_colour, 6, &off);
    assert_int_equal(bi.fb.format, FB_NONE);

    /* 24 and 16 bpp are fine, and a padded pitch is too. */
    static const uint8_t c24[6] = { 16, 8, 8, 8, 0, 8 };
    fb_parse_one(0xfd000000, 3 * 800 + 32, 800, 600, 24, MB2_FB_TYPE_RGB, c24, 6, &off);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.bpp, 24);
    assert_int_equal(bi.fb.pitch, 2432);
    static const uint8_t c16[6] = { 11, 5, 5, 6, 0, 5 };
    fb_parse_one(0xfd000000, 2 * 800, 800, 600, 16, MB2_FB_TYPE_RGB, c16, 6, &off);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.green_size, 6);
}

static void modules_malformed(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    size_t z = b_module(&b, 0x200000, 0x200000, "empty");
    size_t r = b_module(&b, 0x300000, 0x2fffff, "reversed");
    size_t s = b_begin(&b, MB2_TAG_MODULE);         /* too short for start/end + name */
    b_u32(&b, 0x400000);
    b_u32(&b, 0x401000);
    b_end(&b, s);
    b_module(&b, 0x500000, 0x500800, "ok");
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.warnings, 3);
    assert_int_equal(bi.nmodules, 1);
    assert_int_equal(bi.modules[0].start, 0x500000);
    assert_int_equal(bi.modules[0].size, 0x800);
    char msg[80];
    snprintf(msg, sizeof msg, "tag 3 at +0x%zx: module at 0x200000 is empty", z);
    assert_logged(msg);
    snprintf(msg, sizeof msg, "tag 3 at +0x%zx: module end 0x2fffff < start 0x300000", r);
    assert_logged(msg);
    snprintf(msg, sizeof msg, "tag 3 at +0x%zx: module tag too short", s);
    assert_logged(msg);
}

static void too_many_modules(void **state)
{
    (void)state;
    struct mb2b b;
    b_init(&b);
    for (uint32_t i = 0; i < BOOT_MAX_MODULES + 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "mod%u", i);
        b_module(&b, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x100, name);
    }
    b_mmap(&b, qemu_map, 1);
    b_finish(&b);
    assert_int_equal(parse(&b), 0);
    assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
    assert_string_equal(bi.modules[BOOT_MAX_MODULES - 1].name, "mod15");
    assert_int_equal(bi.warnings, 4);
    assert_logged("too many modules");
    assert_int_equal(bi.nregions, 1);               /* parsing went on after them */
}

static void all_zeros_and_all_ones(void **state)
{
    (void)state;
    uint8_t buf[256];
    memset(buf, 0, sizeof buf);
    assert_int_equal(parse_bytes(buf, sizeof buf), -MOS_EINVAL);     /* total_size 0 */
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(parse_bytes(buf, sizeof buf), -MOS_EINVAL);     /* total_size huge */

    /* With a believable total_size: zeros are an immediate end tag... */
    memset(buf, 0, sizeof buf);
    set_u32(buf, 0, sizeof buf);
    assert_int_equal(parse_bytes(buf, sizeof buf), 0);
    assert_int_equal(bi.warnings, 1);
    assert_int_equal(bi.nregions, 0);
    /* ... and 0xFF is one tag whose size runs past the end. */
    memset(buf, 0xff, sizeof buf);
    set_u32(buf, 0, sizeof buf);
    assert_int_equal(parse_bytes(buf, sizeof buf), 0);
    assert_int_equal(bi.warnings, 2);
    assert_logged("tag 4294967295 at +0x8: size 4294967295 runs past total_size");
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: small, fast, and good enough to spread mutations. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t test_seed(void)
{
    const char *s = getenv("MB2_SEED");
    return s ? strtoull(s, NULL, 0) : 0x6d62322d66757a7aull;
}

/* Flip bytes of a valid info thousands of times: every outcome must be a
 * clean result (check_bi), never an out-of-bounds read (ASan) or UB (UBSan). */
static void random_mutations(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    rng_state = seed;
    print_message("random_mutations: seed 0x%llx (set MB2_SEED to replay)\n",
                  (unsigned long long)seed);
    struct mb2b orig, uefi;
    build_grub_bios(&orig);
    b_init(&uefi);
    b_mmap(&uefi, qemu_map, 6);
    b_rsdp(&uefi, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
    b_fb_rgb(&uefi, 0x80000000, 800, 600, 32, colour_rgb32);
    b_module(&uefi, 0x100000, 0x180000, "x");
    b_finish(&uefi);

    unsigned ok = 0, rejected = 0;
    for (int iter = 0; iter < 20000; iter++) {
        const struct mb2b *src = (iter & 1) ? &uefi : &orig;
        static struct mb2b m;
        memcpy(m.buf, src->buf, src->len);
        m.len = src->len;
        int flips = 1 + (int)(rng() % 8);
        for (int f = 0; f < flips; f++) {
            size_t pos;
            uint64_t r = rng();
            /* Aim a third of the flips at tag headers and fields near them. */
            if (r % 3 == 0)
                pos = (size_t)(rng() % (m.len / 8)) * 8 + (size_t)(r >> 8) % 16;
            else
                pos = (size_t)(rng() % m.len);
            if (pos >= m.len)
                pos = m.len - 1;
            switch ((r >> 16) % 4) {
            case 0: m.buf[pos] = (uint8_t)rng(); break;
            case 1: m.buf[pos] ^= (uint8_t)(1u << ((r >> 20) % 8)); break;
            case 2: m.buf[pos] = 0; break;
            default: m.buf[pos] = 0xff; break;
            }
        }
        if (iter % 5 == 0)                          /* sometimes also cut the buffer */
            m.len = 8 + (size_t)(rng() % (m.len - 7));
        int rc = parse(&m);
        if (rc == 0) {
            ok++;
            bootmem_sanitize(&bi);                  /* whatever came out, sanitize copes */
            assert_true(bi.nregions <= BOOT_MAX_REGIONS);
            for (uint32_t i = 0; i + 1 < bi.nregions; i++)
                assert_true(bi.regions[i].base + bi.regions[i].len <= bi.regions[i + 1].base);
        } else {
            rejected++;
        }
    }
    print_message("random_mutations: %u parsed, %u rejected\n", ok, rejected);
    /* Both paths were exercised, so the test tested something. */
    assert_true(ok > 1000);
    assert_true(rejected > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grub_bios_realistic),
        cmocka_unit_test(literal_bytes),
        cmocka_unit_test(uefi_like),
        cmocka_unit_test(acpi_new_preferred_in_any_order),
        cmocka_unit_test(header_unusable),
        cmocka_unit_test(minimal_info_warns_only_for_missing_map),
        cmocka_unit_test(tag_size_below_8_stops),
        cmocka_unit_test(tag_past_total_size_stops),
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(truncated_tag_header),
        cmocka_unit_test(mmap_bad_entry_size),
        cmocka_unit_test(mmap_larger_entries_and_types),
        cmocka_unit_test(too_many_regions),
        cmocka_unit_test(unterminated_strings),
        cmocka_unit_test(long_strings_truncated),
        cmocka_unit_test(later_string_tag_wins),
        cmocka_unit_test(framebuffer_unsupported),
        cmocka_unit_test(framebuffer_geometry_checked),
        cmocka_unit_test(modules_malformed),
        cmocka_unit_test(too_many_modules),
        cmocka_unit_test(all_zeros_and_all_ones),
        cmocka_unit_test(random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
