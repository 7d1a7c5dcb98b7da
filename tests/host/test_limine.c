// SPDX-License-Identifier: MIT
/* test_limine.c - limine_parse() against Limine responses built in memory
 * byte by byte at the offsets the protocol specifies (PROTOCOL.md, base
 * revision 2), not through the parser's own structs, so a layout mistake in
 * limine_proto.h shows up here. A 16 MiB buffer plays physical memory and
 * FAKE_HHDM is the loader's direct map of it; limine_read is redirected to
 * fake_read(), which hands out an exact-size heap copy of what was asked,
 * so ASan flags any read beyond the bytes the parser checked. Tests play
 * the loader by writing the response pointers into limine_requests.
 * The "kernel image" limine.c measures is a 1 MiB block of this binary
 * (__kernel_start/__kernel_end, defined below). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/limine.h"
#include "boot/boot_info.h"
#include "mm/vmm.h"              /* __kernel_start, __kernel_end */
#include "fake_kernel.h"
#include <mos/errors.h>

#define TEST_IMAGE_SIZE  0x100000
__asm__(".pushsection .bss\n"
        ".balign 4096\n"
        ".globl __kernel_start, __kernel_end\n"
        "__kernel_start:\n"
        ".skip 0x100000\n"
        "__kernel_end:\n"
        ".popsection\n");

/* ------------------------------------------------------------ fake memory */

#define FAKE_HHDM  0xffff800000000000ull
#define PHYS_SIZE  0x1000000ull            /* 16 MiB of "physical" memory */
#define RESP_BASE  0x200000ull             /* responses: bootloader-reclaimable */
#define RESP_END   0x600000ull
#define IMAGE_PA   0x600000ull             /* where the "loader" put the kernel */
#define INITRD_PA  0x700000ull
#define EXTRA_PA   0x710000ull
#define RSDP_PA    0xf5000ull
#define FB_PA      0xfd000000ull
#define VA(pa)     (FAKE_HHDM + (uint64_t)(pa))

static uint8_t *phys;
static uint64_t next_pa;
static void **copies;
static size_t ncopies, capcopies;
static unsigned long reads;

static const void *fake_read(uint64_t va, size_t len)
{
    reads++;
    if (va < FAKE_HHDM)
        return NULL;
    uint64_t pa = va - FAKE_HHDM;
    if (pa >= PHYS_SIZE || len > PHYS_SIZE - pa || len == 0)
        return NULL;            /* mapped, maybe, but not in this fake */
    if (ncopies == capcopies) {
        capcopies = capcopies ? capcopies * 2 : 64;
        copies = realloc(copies, capcopies * sizeof *copies);
        assert_non_null(copies);
    }
    void *p = malloc(len);
    assert_non_null(p);
    memcpy(p, phys + pa, len);
    copies[ncopies++] = p;
    return p;
}

static void free_copies(void)
{
    for (size_t i = 0; i < ncopies; i++)
        free(copies[i]);
    ncopies = 0;
}

static void w8(uint64_t pa, uint8_t v) { phys[pa] = v; }
static void w16(uint64_t pa, uint16_t v) { w8(pa, (uint8_t)v); w8(pa + 1, (uint8_t)(v >> 8)); }
static void w32(uint64_t pa, uint32_t v) { w16(pa, (uint16_t)v); w16(pa + 2, (uint16_t)(v >> 16)); }
static void w64(uint64_t pa, uint64_t v) { w32(pa, (uint32_t)v); w32(pa + 4, (uint32_t)(v >> 32)); }

static uint64_t r64(uint64_t pa)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | phys[pa + (uint64_t)i];
    return v;
}

/* Bump allocator over the bootloader-reclaimable stretch; memory is zero. */
static uint64_t palloc(uint64_t n, uint64_t align)
{
    next_pa = (next_pa + align - 1) & ~(align - 1);
    uint64_t pa = next_pa;
    next_pa += n;
    assert_true(next_pa <= RESP_END);
    return pa;
}

static uint64_t put_str(const char *s)
{
    uint64_t pa = palloc(strlen(s) + 1, 1);
    memcpy(phys + pa, s, strlen(s) + 1);
    return VA(pa);
}

/* ------------------------------------------------------------ the loader */

/* Each builder lays one response out as the protocol gives it and returns
 * its HHDM address. */
static uint64_t mk_hhdm(uint64_t offset)
{
    uint64_t pa = palloc(16, 8);
    w64(pa, 0);                 /* revision */
    w64(pa + 8, offset);
    return VA(pa);
}

struct ent { uint64_t base, len, type; };

static uint64_t mk_memmap(const struct ent *e, size_t n)
{
    uint64_t arr = palloc(n * 8, 8);
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = palloc(24, 8);
        w64(pa, e[i].base);
        w64(pa + 8, e[i].len);
        w64(pa + 16, e[i].type);
        w64(arr + 8 * i, VA(pa));
    }
    uint64_t resp = palloc(24, 8);
    w64(resp, 0);
    w64(resp + 8, n);
    w64(resp + 16, VA(arr));
    return VA(resp);
}

/* struct limine_file: 112 bytes, five words then media/partition data. */
static uint64_t mk_file(uint64_t addr_va, uint64_t size, const char *path, const char *string)
{
    uint64_t pa = palloc(112, 8);
    w64(pa, 0);
    w64(pa + 8, addr_va);
    w64(pa + 16, size);
    w64(pa + 24, path ? put_str(path) : 0);
    w64(pa + 32, string ? put_str(string) : 0);
    w32(pa + 40, 1);            /* media type: optical */
    return VA(pa);
}

static uint64_t mk_two_words(uint64_t a, uint64_t b)
{
    uint64_t pa = palloc(16, 8);
    w64(pa, a);
    w64(pa + 8, b);
    return VA(pa);
}

static uint64_t mk_three_words(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t pa = palloc(24, 8);
    w64(pa, a);
    w64(pa + 8, b);
    w64(pa + 16, c);
    return VA(pa);
}

/* A list response: { revision, count, -> array of count pointers }. */
static uint64_t mk_list(const uint64_t *items, size_t n)
{
    uint64_t arr = n ? palloc(n * 8, 8) : 0;
    for (size_t i = 0; i < n; i++)
        w64(arr + 8 * i, items[i]);
    return mk_three_words(0, n, n ? VA(arr) : 0);
}

struct fbspec {
    uint64_t addr_va, width, height, pitch;
    uint16_t bpp;
    uint8_t model;
    uint8_t rsize, rshift, gsize, gshift, bsize, bshift;
};

/* struct limine_framebuffer, response revision 1 (80 bytes). */
static uint64_t mk_fb(const struct fbspec *f)
{
    uint64_t pa = palloc(80, 8);
    w64(pa, f->addr_va);
    w64(pa + 8, f->width);
    w64(pa + 16, f->height);
    w64(pa + 24, f->pitch);
    w16(pa + 32, f->bpp);
    w8(pa + 34, f->model);
    w8(pa + 35, f->rsize);
    w8(pa + 36, f->rshift);
    w8(pa + 37, f->gsize);
    w8(pa + 38, f->gshift);
    w8(pa + 39, f->bsize);
    w8(pa + 40, f->bshift);
    return VA(pa);
}

static const struct fbspec fb_default = {
    .addr_va = VA(FB_PA), .width = 1024, .height = 768, .pitch = 4096, .bpp = 32, .model = 1,
    .rsize = 8, .rshift = 16, .gsize = 8, .gshift = 8, .bsize = 8, .bshift = 0,
};

static void set_fbs(const struct fbspec *f, size_t n)
{
    uint64_t items[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++)
        items[i] = mk_fb(&f[i]);
    limine_requests.framebuffer.response = mk_list(items, n);
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* An ACPI RSDP at pa: revision 0 (20 bytes) or 2 (36 bytes), checksummed. */
static void put_rsdp(uint64_t pa, uint8_t revision)
{
    uint8_t *p = phys + pa;
    memset(p, 0, 36);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "MOSTST", 6);
    p[15] = revision;
    w32(pa + 16, 0x7fe1000);            /* RSDT */
    p[8] = (uint8_t)-sum8(p, 20);       /* checksum of the 1.0 part */
    if (revision >= 2) {
        w32(pa + 20, 36);               /* length */
        w64(pa + 24, 0x7fe2000);        /* XSDT */
        p[32] = (uint8_t)-sum8(p, 36);  /* checksum of all 36 bytes */
    }
}

/* Every memory-map type, below and above 4 GiB. */
static const struct ent map_default[] = {
    { 0x0,         0x1000,     LIMINE_MEMMAP_RESERVED },
    { 0x1000,      0x9e000,    LIMINE_MEMMAP_USABLE },
    { 0x9f000,     0x1000,     LIMINE_MEMMAP_RESERVED },
    { 0xe0000,     0x20000,    LIMINE_MEMMAP_RESERVED },
    { 0x100000,    0x100000,   LIMINE_MEMMAP_USABLE },
    { RESP_BASE,   RESP_END - RESP_BASE, LIMINE_MEMMAP_BOOTLOADER_RECLAIMABLE },
    { IMAGE_PA,    0x200000,   LIMINE_MEMMAP_EXECUTABLE_AND_MODULES },
    { 0x800000,    0x7000000,  LIMINE_MEMMAP_USABLE },
    { 0x7800000,   0x10000,    LIMINE_MEMMAP_ACPI_RECLAIMABLE },
    { 0x7810000,   0x10000,    LIMINE_MEMMAP_ACPI_NVS },
    { 0x7820000,   0x1000,     LIMINE_MEMMAP_BAD_MEMORY },
    { FB_PA,       0x300000,   LIMINE_MEMMAP_FRAMEBUFFER },
    { 0xfffc0000,  0x40000,    LIMINE_MEMMAP_RESERVED },
    { 0x100000000, 0x40000000, LIMINE_MEMMAP_USABLE },
    { 0x140000000, 0x100000,   LIMINE_MEMMAP_RESERVED },
    { 0x140100000, 0x400000,   LIMINE_MEMMAP_FRAMEBUFFER },
};
#define MAP_DEFAULT_N ARRAY_SIZE(map_default)

static uint64_t image_link(void)
{
    return (uint64_t)(uintptr_t)__kernel_start;
}

static void set_modules(const uint64_t *files, size_t n)
{
    limine_requests.modules.hdr.response = mk_list(files, n);
}

/* What Limine 8 answers for a normal MinimalOS boot. */
static void loader_default(void)
{
    limine_requests.base_revision[1] = 2;       /* loaders knowing revision 3 say what they used */
    limine_requests.base_revision[2] = 0;       /* accepted */
    limine_requests.bootloader_info.response =
        mk_three_words(0, put_str("Limine"), put_str("8.7.0"));
    limine_requests.hhdm.response = mk_hhdm(FAKE_HHDM);
    limine_requests.memmap.response = mk_memmap(map_default, MAP_DEFAULT_N);
    limine_requests.kernel_address.response = mk_three_words(0, IMAGE_PA, image_link());
    limine_requests.kernel_file.response =
        mk_two_words(0, mk_file(VA(IMAGE_PA), 0x123456, "/boot/minimalos.elf", "test debug"));
    limine_requests.paging_mode.hdr.response = mk_two_words(0, LIMINE_PAGING_MODE_X86_64_4LVL);
    uint64_t mods[2] = {
        mk_file(VA(INITRD_PA), 0x10000, "/boot/initrd.tar", "initrd"),
        mk_file(VA(EXTRA_PA), 0x1000, "/boot/extra.bin", ""),
    };
    set_modules(mods, 2);
    set_fbs(&fb_default, 1);
    put_rsdp(RSDP_PA, 2);
    limine_requests.rsdp.response = mk_two_words(0, VA(RSDP_PA));
}

static void reset_requests(void)
{
    limine_requests.base_revision[0] = LIMINE_BASE_REVISION_MAGIC0;
    limine_requests.base_revision[1] = LIMINE_BASE_REVISION_MAGIC1;
    limine_requests.base_revision[2] = LIMINE_BASE_REVISION_WANTED;
    limine_requests.bootloader_info.response = 0;
    limine_requests.hhdm.response = 0;
    limine_requests.memmap.response = 0;
    limine_requests.kernel_address.response = 0;
    limine_requests.kernel_file.response = 0;
    limine_requests.paging_mode.hdr.response = 0;
    limine_requests.modules.hdr.response = 0;
    limine_requests.framebuffer.response = 0;
    limine_requests.rsdp.response = 0;
}

static int setup(void **state)
{
    (void)state;
    phys = aligned_alloc(4096, PHYS_SIZE);
    assert_non_null(phys);
    memset(phys, 0, PHYS_SIZE);
    next_pa = RESP_BASE;
    reads = 0;
    reset_requests();
    limine_read = fake_read;
    host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free_copies();
    free(copies);
    copies = NULL;
    capcopies = 0;
    free(phys);
    phys = NULL;
    return 0;
}

/* Start over inside a test (the fixture's teardown frees the last one). */
static void fresh(void)
{
    teardown(NULL);
    setup(NULL);
}

/* ------------------------------------------------------------ checking */

static struct boot_info bi;

/* Warnings this parse reported (lines the fake boot_warn captured). */
static unsigned limine_lines(void)
{
    unsigned n = 0;
    const char *p = host_log;
    while ((p = strstr(p, "limine: ")) != NULL) {
        if (p == host_log || p[-1] == '\n')
            n++;
        p++;
    }
    return n;
}

static bool logged(const char *text)
{
    return strstr(host_log, text) != NULL;
}

#define assert_logged(text)                                                     \
    do {                                                                        \
        if (!logged(text))                                                      \
            fail_msg("expected \"%s\" in the log:\n%s", (text), host_log);      \
    } while (0)

/* Invariants of any limine_parse() result. */
static void check_bi(int rc)
{
    assert_true(rc == 0 || rc == -MOS_EINVAL);
    assert_string_equal(bi.protocol, "limine");
    assert_non_null(memchr(bi.loader, '\0', sizeof bi.loader));
    assert_true(bi.loader[0] != '\0');
    assert_non_null(memchr(bi.cmdline, '\0', sizeof bi.cmdline));
    assert_true(bi.nregions <= BOOT_MAX_REGIONS);
    assert_true(bi.nmodules <= BOOT_MAX_MODULES);
    for (uint32_t i = 0; i < bi.nmodules; i++) {
        assert_non_null(memchr(bi.modules[i].name, '\0', sizeof bi.modules[i].name));
        assert_true(bi.modules[i].size > 0);
        assert_true(bi.modules[i].start % 4096 == 0);
    }
    for (uint32_t i = 0; i < bi.nregions; i++) {
        assert_true(bi.regions[i].len > 0);
        assert_true(bi.regions[i].type >= MEM_USABLE && bi.regions[i].type <= MEM_FRAMEBUFFER);
    }
    if (bi.fb.format != FB_NONE) {
        assert_int_equal(bi.fb.format, FB_RGB);
        assert_true(bi.fb.bpp == 16 || bi.fb.bpp == 24 || bi.fb.bpp == 32);
        assert_true((uint64_t)bi.fb.pitch >= (uint64_t)bi.fb.width * (bi.fb.bpp / 8));
    }
    assert_true(bi.rsdp_len == 0 || bi.rsdp_len == 20 || bi.rsdp_len == 36);
    assert_int_equal(bi.warnings, limine_lines());
    if (rc == 0) {
        assert_true(bi.hhdm_offset >= 0xffff800000000000ull && bi.hhdm_offset % 4096 == 0);
        assert_true(bi.kernel_phys_end - bi.kernel_phys_base == TEST_IMAGE_SIZE);
        assert_string_equal(limine_refusal(), "");
    } else {
        assert_true(limine_refusal()[0] != '\0');
    }
}

static int parse(void)
{
    free_copies();
    host_log_clear();
    int rc = limine_parse(&bi);
    check_bi(rc);
    return rc;
}

static const struct mem_region *find_region(uint64_t base)
{
    for (uint32_t i = 0; i < bi.nregions; i++)
        if (bi.regions[i].base == base)
            return &bi.regions[i];
    return NULL;
}

/* The type bootmem_sanitize() left at physical address pa (0: not covered). */
static uint32_t type_at(uint64_t pa)
{
    for (uint32_t i = 0; i < bi.nregions; i++)
        if (bi.regions[i].base <= pa && pa - bi.regions[i].base < bi.regions[i].len)
            return bi.regions[i].type;
    return 0;
}

/* ------------------------------------------------------------ the image */

static void requests_carry_the_protocol_ids(void **state)
{
    (void)state;
    /* Numbers from the specification, written out again so that a typo in
     * limine_proto.h cannot hide behind the same typo here. */
    const uint64_t magic[2] = { 0xc7b1dd30df4c8b88ull, 0x0a82e883a194f07bull };
    struct { volatile uint64_t *id; uint64_t w2, w3; } want[] = {
        { limine_requests.bootloader_info.id, 0xf55038d8e2a1202full, 0x279426fcf5f59740ull },
        { limine_requests.hhdm.id, 0x48dcf1cb8ad2b852ull, 0x63984e959a98244bull },
        { limine_requests.memmap.id, 0x67cf3d9d378a806full, 0xe304acdfc50c3c62ull },
        { limine_requests.kernel_address.id, 0x71ba76863cc55f63ull, 0xb2644a48c516a487ull },
        { limine_requests.kernel_file.id, 0xad97e90e83f1ed67ull, 0x31eb5d1c5ff23b69ull },
        { limine_requests.paging_mode.hdr.id, 0x95c1a0edab0944cbull, 0xa4e5cb3842f7488aull },
        { limine_requests.modules.hdr.id, 0x3e7e279702be32afull, 0xca1c4f3bd1280ceeull },
        { limine_requests.framebuffer.id, 0x9d5827dcd881dd75ull, 0xa3148604f6fab11bull },
        { limine_requests.rsdp.id, 0xc5e77b6b397e7b43ull, 0x27637845accdcf3cull },
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(want[i].id[0], magic[0]);
        assert_int_equal(want[i].id[1], magic[1]);
        assert_int_equal(want[i].id[2], want[i].w2);
        assert_int_equal(want[i].id[3], want[i].w3);
        assert_int_equal((uintptr_t)want[i].id % 8, 0);
    }
    assert_int_equal(limine_requests.base_revision[0], 0xf9562b2d5c95a6c8ull);
    assert_int_equal(limine_requests.base_revision[1], 0x6a7b384944536bdcull);
    assert_int_equal(limine_requests.base_revision[2], 2);
    assert_int_equal(limine_requests.paging_mode.hdr.revision, 1);
    assert_int_equal(limine_requests.paging_mode.mode, 0);
    assert_int_equal(limine_requests.paging_mode.max_mode, 0);
    assert_int_equal(limine_requests.paging_mode.min_mode, 0);
    const uint64_t start[4] = LIMINE_REQUESTS_START_MARKER, end[2] = LIMINE_REQUESTS_END_MARKER;
    assert_int_equal(start[0], 0xf6b8f4b39de7d1aeull);
    assert_int_equal(start[3], 0x181e920a7852b9d9ull);
    assert_int_equal(end[0], 0xadc0e0531bb10d03ull);
    assert_int_equal(end[1], 0x9572709f31764c62ull);
}

/* ------------------------------------------------------------ a good boot */

static void default_boot_translates_everything(void **state)
{
    (void)state;
    loader_default();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.warnings, 0);
    assert_string_equal(bi.loader, "Limine 8.7.0");
    assert_string_equal(bi.cmdline, "test debug");
    assert_int_equal(bi.hhdm_offset, FAKE_HHDM);
    assert_int_equal(bi.kernel_phys_base, IMAGE_PA);
    assert_int_equal(bi.kernel_phys_end, IMAGE_PA + TEST_IMAGE_SIZE);

    /* The loader's entries in order, types translated, then the image and
     * the two modules recorded as kernel-and-modules memory. */
    static const uint32_t types[MAP_DEFAULT_N] = {
        MEM_RESERVED, MEM_USABLE, MEM_RESERVED, MEM_RESERVED, MEM_USABLE, MEM_BOOTLOADER,
        MEM_KERNEL_AND_MODULES, MEM_USABLE, MEM_ACPI_RECLAIMABLE, MEM_ACPI_NVS, MEM_BAD,
        MEM_FRAMEBUFFER, MEM_RESERVED, MEM_USABLE, MEM_RESERVED, MEM_FRAMEBUFFER,
    };
    assert_int_equal(bi.nregions, MAP_DEFAULT_N + 3);
    for (size_t i = 0; i < MAP_DEFAULT_N; i++) {
        assert_int_equal(bi.regions[i].base, map_default[i].base);
        assert_int_equal(bi.regions[i].len, map_default[i].len);
        assert_int_equal(bi.regions[i].type, types[i]);
    }
    assert_int_equal(bi.regions[MAP_DEFAULT_N].base, IMAGE_PA);
    assert_int_equal(bi.regions[MAP_DEFAULT_N].len, TEST_IMAGE_SIZE);
    assert_int_equal(bi.regions[MAP_DEFAULT_N].type, MEM_KERNEL_AND_MODULES);

    assert_int_equal(bi.nmodules, 2);
    assert_string_equal(bi.modules[0].name, "initrd");
    assert_int_equal(bi.modules[0].start, INITRD_PA);
    assert_int_equal(bi.modules[0].size, 0x10000);
    assert_string_equal(bi.modules[1].name, "/boot/extra.bin");   /* no string: the path */
    assert_int_equal(bi.modules[1].start, EXTRA_PA);

    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.addr, FB_PA);
    assert_int_equal(bi.fb.width, 1024);
    assert_int_equal(bi.fb.height, 768);
    assert_int_equal(bi.fb.pitch, 4096);
    assert_int_equal(bi.fb.bpp, 32);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.red_size, 8);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 8);

    assert_int_equal(bi.rsdp_len, 36);
    assert_memory_equal(bi.rsdp, phys + RSDP_PA, 36);
    assert_int_equal(bi.rsdp_addr, RSDP_PA);
    assert_true(reads > 0);
}

static void sanitized_map_protects_image_and_modules(void **state)
{
    (void)state;
    loader_default();
    assert_int_equal(parse(), 0);
    bootmem_sanitize(&bi);
    assert_int_equal(type_at(IMAGE_PA), MEM_KERNEL_AND_MODULES);
    assert_int_equal(type_at(IMAGE_PA + TEST_IMAGE_SIZE - 1), MEM_KERNEL_AND_MODULES);
    assert_int_equal(type_at(INITRD_PA), MEM_KERNEL_AND_MODULES);
    assert_int_equal(type_at(0x900000), MEM_USABLE);
    assert_int_equal(type_at(0x100000000), MEM_USABLE);
    assert_int_equal(type_at(RESP_BASE), MEM_BOOTLOADER);
    for (uint32_t i = 1; i < bi.nregions; i++)
        assert_true(bi.regions[i - 1].base + bi.regions[i - 1].len <= bi.regions[i].base);
}

/* The image may be anywhere: below 1 MiB's worth of megabytes, high in
 * RAM, or above 4 GiB; 0x200000 is never assumed. */
static void kernel_at_any_physical_base(void **state)
{
    (void)state;
    static const uint64_t bases[] = { 0x3f00000, 0x1000000, 0x100200000, 0x13ff00000 };
    loader_default();
    for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
        limine_requests.kernel_address.response = mk_three_words(0, bases[i], image_link());
        assert_int_equal(parse(), 0);
        assert_int_equal(bi.kernel_phys_base, bases[i]);
        assert_int_equal(bi.kernel_phys_end, bases[i] + TEST_IMAGE_SIZE);
        assert_int_equal(bi.warnings, 0);
        bootmem_sanitize(&bi);
        assert_int_equal(type_at(bases[i]), MEM_KERNEL_AND_MODULES);
        assert_int_equal(type_at(bases[i] + TEST_IMAGE_SIZE - 1), MEM_KERNEL_AND_MODULES);
    }
}

/* ------------------------------------------------------------ refusals */

static void base_revision_not_accepted(void **state)
{
    (void)state;
    loader_default();
    limine_requests.base_revision[1] = LIMINE_BASE_REVISION_MAGIC1;
    limine_requests.base_revision[2] = 2;          /* left as it was: not accepted */
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("did not accept base revision 2");
    assert_non_null(strstr(limine_refusal(), "base revision 2"));

    limine_requests.base_revision[2] = 0;
    limine_requests.base_revision[1] = 3;          /* accepted, but "used 3" */
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("says it used 3");

    limine_requests.base_revision[1] = LIMINE_BASE_REVISION_MAGIC1;  /* pre-revision-3 loader */
    assert_int_equal(parse(), 0);
}

static void missing_needed_responses_refuse(void **state)
{
    (void)state;
    struct {
        volatile uint64_t *response;
        const char *said;
    } cases[] = {
        { &limine_requests.hhdm.response, "no answer to the HHDM request" },
        { &limine_requests.memmap.response, "no answer to the memory map request" },
        { &limine_requests.kernel_address.response, "no answer to the kernel address request" },
        { &limine_requests.paging_mode.hdr.response, "no answer to the paging mode request" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fresh();
        loader_default();
        *cases[i].response = 0;
        assert_int_equal(parse(), -MOS_EINVAL);
        assert_logged(cases[i].said);
        assert_logged("cannot boot: ");
        assert_non_null(strstr(limine_refusal(), cases[i].said));
    }
}

/* A refusal keeps what was valid, so the caller can show it on screen. */
static void refusal_keeps_the_framebuffer(void **state)
{
    (void)state;
    loader_default();
    limine_requests.paging_mode.hdr.response = mk_two_words(0, LIMINE_PAGING_MODE_X86_64_5LVL);
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("5-level");
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.addr, FB_PA);
}

static void hhdm_offset_checked(void **state)
{
    (void)state;
    static const uint64_t bad[] = {
        0x0000400000000000ull,          /* lower half */
        FAKE_HHDM + 0x800,              /* not page-aligned */
        0xfffffe0000000000ull,          /* the kernel's stack region */
        0xfffffdff80000000ull,          /* 2 GiB below it: no room for 4 GiB */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        fresh();
        loader_default();
        limine_requests.hhdm.response = mk_hhdm(bad[i]);
        assert_int_equal(parse(), -MOS_EINVAL);
        assert_logged("HHDM");
    }
    fresh();
    loader_default();
    limine_requests.hhdm.response = 0x1000;     /* response pointer in the lower half */
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("not an aligned upper-half address");
    limine_requests.hhdm.response = mk_hhdm(FAKE_HHDM) + 4;     /* misaligned */
    assert_int_equal(parse(), -MOS_EINVAL);
    limine_requests.hhdm.response = FAKE_HHDM + PHYS_SIZE;     /* unreadable */
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("cannot read the HHDM response");
}

/* The HHDM may be anywhere the kernel's layout allows, as long as all of
 * memory fits below the kernel's stack region. */
static void hhdm_extent_checked(void **state)
{
    (void)state;
    loader_default();
    struct ent big[MAP_DEFAULT_N + 1];
    memcpy(big, map_default, sizeof map_default);
    /* 1 TiB of RAM at 100 TiB: the HHDM at 0xFFFF800000000000 still ends
     * below the stack region at 0xFFFFFE0000000000 (126 TiB above it). */
    big[MAP_DEFAULT_N] = (struct ent){ 100ull << 40, 1ull << 40, LIMINE_MEMMAP_USABLE };
    limine_requests.memmap.response = mk_memmap(big, MAP_DEFAULT_N + 1);
    assert_int_equal(parse(), 0);
    /* 256 TiB at 2 TiB does not fit; neither does a reserved-free hole
     * ending exactly one byte too high. */
    big[MAP_DEFAULT_N] = (struct ent){ 2ull << 40, 256ull << 40, LIMINE_MEMMAP_USABLE };
    limine_requests.memmap.response = mk_memmap(big, MAP_DEFAULT_N + 1);
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("run into the kernel's stack region");
    big[MAP_DEFAULT_N] = (struct ent){ 126ull << 40, 0x1001, LIMINE_MEMMAP_ACPI_NVS };
    limine_requests.memmap.response = mk_memmap(big, MAP_DEFAULT_N + 1);
    assert_int_equal(parse(), -MOS_EINVAL);
    /* Reserved memory up there is not in the HHDM at revision 2: fine. */
    big[MAP_DEFAULT_N].type = LIMINE_MEMMAP_RESERVED;
    limine_requests.memmap.response = mk_memmap(big, MAP_DEFAULT_N + 1);
    assert_int_equal(parse(), 0);
}

static void kernel_address_checked(void **state)
{
    (void)state;
    loader_default();
    limine_requests.kernel_address.response = mk_three_words(0, IMAGE_PA, 0xffffffff80000000ull);
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("cannot be relocated");
    limine_requests.kernel_address.response = mk_three_words(0, IMAGE_PA + 0x800, image_link());
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("physical base 0x600800 is impossible");
    limine_requests.kernel_address.response = mk_three_words(0, 0, image_link());
    assert_int_equal(parse(), -MOS_EINVAL);
    limine_requests.kernel_address.response = mk_three_words(0, 1ull << 52, image_link());
    assert_int_equal(parse(), -MOS_EINVAL);
    /* Outside the loader's map (and its HHDM): allowed, reported. */
    limine_requests.kernel_address.response = mk_three_words(0, 0x180000000ull, image_link());
    assert_int_equal(parse(), 0);
    assert_logged("not in the loader's memory map");
}

static void paging_mode_must_be_4_level(void **state)
{
    (void)state;
    loader_default();
    limine_requests.paging_mode.hdr.response = mk_two_words(0, 1);
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("needs 4-level paging");
    limine_requests.paging_mode.hdr.response = mk_two_words(0, 7);
    assert_int_equal(parse(), -MOS_EINVAL);
    /* The older response layout { revision, mode, flags } reads the same. */
    limine_requests.paging_mode.hdr.response = mk_three_words(0, 0, 0);
    assert_int_equal(parse(), 0);
}

/* ------------------------------------------------------------ pointers */

/* Every response pointer must be non-NULL, 8-byte aligned, inside the HHDM
 * and inside memory the HHDM maps at base revision 2. */
static void response_pointers_checked(void **state)
{
    (void)state;
    struct {
        uint64_t va;
        const char *said;
    } bad[] = {
        { VA(RESP_BASE) + 4, "not 8-byte aligned" },
        { 0x200000, "not in the HHDM" },                                 /* physical, not HHDM */
        { 0xffff7fffffff0000ull, "not in the HHDM" },                    /* just below it */
        { VA(0x140000000ull), "outside the memory the HHDM maps" },      /* reserved, above 4 GiB */
        { VA(0x180000000ull), "outside the memory the HHDM maps" },      /* not in the map */
        { VA(PHYS_SIZE + 0x1000), "cannot read" },                       /* mapped, unreadable */
        { UINT64_MAX - 15, "not in the HHDM" },                          /* wraps */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        fresh();
        loader_default();
        limine_requests.kernel_address.response = bad[i].va;
        assert_int_equal(parse(), -MOS_EINVAL);
        assert_logged(bad[i].said);
        /* An optional response with the same pointer is dropped, not fatal. */
        loader_default();
        limine_requests.framebuffer.response = bad[i].va;
        assert_int_equal(parse(), 0);
        assert_logged(bad[i].said);
        assert_int_equal(bi.fb.format, FB_NONE);
    }
}

/* ------------------------------------------------------------ memory map */

static void memmap_counts_checked(void **state)
{
    (void)state;
    loader_default();
    limine_requests.memmap.response = mk_three_words(0, 0, VA(RESP_BASE));
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("claims 0 entries");
    limine_requests.memmap.response = mk_three_words(0, LIMINE_MAX_MEMMAP_ENTRIES + 1,
                                                     VA(RESP_BASE));
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("claims 1025 entries");
    limine_requests.memmap.response = mk_three_words(0, 1ull << 61, VA(RESP_BASE));
    assert_int_equal(parse(), -MOS_EINVAL);
    /* A count whose array would run past mapped memory. */
    limine_requests.memmap.response = mk_three_words(0, 1000, VA(PHYS_SIZE - 8));
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("memory map entry array");
    limine_requests.memmap.response = mk_three_words(0, 4, 0);
    assert_int_equal(parse(), -MOS_EINVAL);
    assert_logged("NULL pointer");
}

static void memmap_bad_entries_dropped(void **state)
{
    (void)state;
    loader_default();
    struct ent e[] = {
        { 0x1000, 0x9e000, LIMINE_MEMMAP_USABLE },
        { 0x100000, 0, LIMINE_MEMMAP_USABLE },                       /* empty: skipped */
        { 0xfffffffffffff000ull, 0x2000, LIMINE_MEMMAP_RESERVED },   /* wraps */
        { 0x800000, 0x7000000, 99 },                                 /* unknown type */
        { 0x7900000, 0x1000, 8 },                                    /* "reserved mapped", rev 4+ */
        { RESP_BASE, RESP_END - RESP_BASE, LIMINE_MEMMAP_BOOTLOADER_RECLAIMABLE },
    };
    limine_requests.memmap.response = mk_memmap(e, ARRAY_SIZE(e));
    assert_int_equal(parse(), 0);
    assert_logged("wraps around; dropped");
    assert_logged("unknown type 99; treated as reserved");
    assert_logged("unknown type 8");
    assert_non_null(find_region(0x800000));
    assert_int_equal(find_region(0x800000)->type, MEM_RESERVED);
    assert_null(find_region(0x100000));
    assert_null(find_region(0xfffffffffffff000ull));
}

static void memmap_null_entry_pointer_dropped(void **state)
{
    (void)state;
    loader_default();
    /* Rebuild the default map by hand with entry 7 (the big usable stretch)
     * pointing nowhere. */
    uint64_t arr = palloc(MAP_DEFAULT_N * 8, 8);
    for (size_t i = 0; i < MAP_DEFAULT_N; i++) {
        uint64_t pa = palloc(24, 8);
        w64(pa, map_default[i].base);
        w64(pa + 8, map_default[i].len);
        w64(pa + 16, map_default[i].type);
        w64(arr + 8 * i, i == 7 ? 0 : VA(pa));
    }
    limine_requests.memmap.response = mk_three_words(0, MAP_DEFAULT_N, VA(arr));
    assert_int_equal(parse(), 0);
    assert_logged("memory map entry 7: NULL pointer");
    assert_null(find_region(0x800000));
    assert_int_equal(bi.nregions, MAP_DEFAULT_N - 1 + 3);
}

static void memmap_unsorted_and_overlapping(void **state)
{
    (void)state;
    loader_default();
    struct ent e[MAP_DEFAULT_N + 1];
    memcpy(e, map_default, sizeof map_default);
    /* Swap two entries and add a reserved hole inside usable RAM. */
    struct ent t = e[1];
    e[1] = e[7];
    e[7] = t;
    e[MAP_DEFAULT_N] = (struct ent){ 0x1000000, 0x100000, LIMINE_MEMMAP_RESERVED };
    limine_requests.memmap.response = mk_memmap(e, MAP_DEFAULT_N + 1);
    assert_int_equal(parse(), 0);
    assert_logged("not sorted by base");
    assert_logged("usable [0x800000-0x7800000) overlaps reserved [0x1000000-0x1100000)");
    bootmem_sanitize(&bi);
    for (uint32_t i = 1; i < bi.nregions; i++)
        assert_true(bi.regions[i - 1].base + bi.regions[i - 1].len <= bi.regions[i].base);
    assert_int_equal(type_at(0x1000000), MEM_RESERVED);    /* the restrictive type won */
    assert_int_equal(type_at(0x10ff000), MEM_RESERVED);
    assert_int_equal(type_at(0x1100000), MEM_USABLE);
    assert_int_equal(type_at(0xfff000), MEM_USABLE);
}

static void memmap_more_entries_than_boot_info_holds(void **state)
{
    (void)state;
    loader_default();
    enum { N = 300 };
    static struct ent e[N];
    for (size_t i = 0; i < N; i++)
        e[i] = (struct ent){ 0x800000 + i * 0x10000, 0x8000,
                             i % 2 ? LIMINE_MEMMAP_RESERVED : LIMINE_MEMMAP_USABLE };
    limine_requests.memmap.response = mk_memmap(e, N);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nregions, BOOT_MAX_REGIONS);
    assert_logged("more than 128 entries; dropped the rest from entry 128");
    assert_logged("no room in the memory map to record the kernel image");
}

/* ------------------------------------------------------------ modules */

static void initrd_found_by_path_or_string(void **state)
{
    (void)state;
    loader_default();
    /* The initrd second, found by its path (no string): moved first. */
    uint64_t a[2] = {
        mk_file(VA(EXTRA_PA), 0x1000, "/boot/extra.bin", "extra"),
        mk_file(VA(INITRD_PA), 0x10000, "/boot/initrd.tar", ""),
    };
    set_modules(a, 2);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nmodules, 2);
    assert_string_equal(bi.modules[0].name, "initrd");
    assert_int_equal(bi.modules[0].start, INITRD_PA);
    assert_string_equal(bi.modules[1].name, "extra");
    assert_int_equal(bi.warnings, 0);

    /* Found by its string, whatever the path. */
    uint64_t b[2] = {
        mk_file(VA(EXTRA_PA), 0x1000, "/boot/extra.bin", "extra"),
        mk_file(VA(INITRD_PA), 0x10000, "/somewhere/root.tar", "initrd"),
    };
    set_modules(b, 2);
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.modules[0].name, "initrd");
    assert_int_equal(bi.modules[0].start, INITRD_PA);

    /* Not by position: a lone module that is neither is not the initrd. */
    uint64_t c[1] = { mk_file(VA(INITRD_PA), 0x10000, "/boot/root.tar", "rootfs") };
    set_modules(c, 1);
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.modules[0].name, "rootfs");
    assert_logged("no module is the initrd");

    /* A second initrd is kept as an ordinary module. */
    uint64_t d[2] = {
        mk_file(VA(INITRD_PA), 0x10000, "/boot/initrd.tar", "initrd"),
        mk_file(VA(EXTRA_PA), 0x1000, "/boot/other.tar", "initrd"),
    };
    set_modules(d, 2);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.modules[0].start, INITRD_PA);
    assert_string_equal(bi.modules[1].name, "initrd");  /* its own string, not promoted */
    assert_logged("looks like a second initrd");

    /* No module response at all. */
    limine_requests.modules.hdr.response = 0;
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nmodules, 0);
    assert_logged("no module response");
}

static void modules_malformed_dropped(void **state)
{
    (void)state;
    loader_default();
    uint64_t m[] = {
        mk_file(VA(EXTRA_PA + 0x10), 0x100, "/boot/misaligned", "x"),   /* not page-aligned */
        mk_file(VA(EXTRA_PA), 0, "/boot/empty", "x"),                    /* empty */
        mk_file(VA(0x180000000ull), 0x1000, "/boot/nowhere", "x"),       /* outside the HHDM */
        mk_file(VA(EXTRA_PA), 0x1000, NULL, "x"),                        /* NULL path */
        mk_file(VA(EXTRA_PA), 0x1000, "/boot/nostring", NULL),           /* NULL string */
        0,                                                               /* NULL file */
        mk_file(VA(INITRD_PA), 0x10000, "/boot/initrd.tar", "initrd"),
    };
    set_modules(m, ARRAY_SIZE(m));
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nmodules, 1);
    assert_string_equal(bi.modules[0].name, "initrd");
    assert_logged("module 0: pointer");
    assert_logged("module 1 (/boot/empty) is empty");
    assert_logged("module 2: [0x180000000");
    assert_logged("module 3: NULL pointer");
    assert_logged("module 5: NULL pointer");

    limine_requests.modules.hdr.response = mk_three_words(0, LIMINE_MAX_MODULES + 1, VA(RESP_BASE));
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nmodules, 0);
    assert_logged("claims 65 modules (limit 64); all ignored");
    limine_requests.modules.hdr.response = mk_three_words(0, 3, 0);
    assert_int_equal(parse(), 0);
    assert_logged("module array: NULL pointer");
}

static void many_modules_keep_the_initrd(void **state)
{
    (void)state;
    loader_default();
    enum { N = BOOT_MAX_MODULES + 4 };
    uint64_t m[N];
    for (size_t i = 0; i < N - 1; i++) {
        char name[32];
        snprintf(name, sizeof name, "mod%zu", i);
        m[i] = mk_file(VA(EXTRA_PA), 0x1000, "/boot/mod", name);
    }
    m[N - 1] = mk_file(VA(INITRD_PA), 0x10000, "/boot/initrd.tar", "");
    set_modules(m, N);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
    assert_string_equal(bi.modules[0].name, "initrd");
    assert_string_equal(bi.modules[1].name, "mod0");
    assert_logged("dropped for the initrd");
    assert_logged("\"mod16\" dropped");
}

/* ------------------------------------------------------------ strings */

static void strings_checked(void **state)
{
    (void)state;
    loader_default();
    /* A command line longer than boot_info holds is truncated. */
    char lng[400];
    memset(lng, 'a', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    limine_requests.kernel_file.response =
        mk_two_words(0, mk_file(VA(IMAGE_PA), 1, "/boot/minimalos.elf", lng));
    assert_int_equal(parse(), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_logged("command line truncated from 399 to 255 bytes");

    /* A string with no NUL within the limit. */
    uint64_t pa = palloc(LIMINE_MAX_STRING + 16, 4096);
    memset(phys + pa, 'x', LIMINE_MAX_STRING + 16);
    uint64_t file = mk_file(VA(IMAGE_PA), 1, "/boot/minimalos.elf", "");
    w64(file - FAKE_HHDM + 32, VA(pa));
    limine_requests.kernel_file.response = mk_two_words(0, file);
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.cmdline, "");
    assert_logged("no NUL within 4096 bytes");

    /* A string ending right before unreadable memory, across a page. */
    uint64_t edge = PHYS_SIZE - 6;
    memcpy(phys + edge, "a b c", 6);
    w64(file - FAKE_HHDM + 32, VA(edge));
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.cmdline, "a b c");
    uint64_t cross = RESP_END - 4096 - 3;
    memcpy(phys + cross, "quiet test", 11);
    w64(file - FAKE_HHDM + 32, VA(cross));
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.cmdline, "quiet test");

    /* Missing kernel file or bootloader info: boot on, reported. */
    limine_requests.kernel_file.response = 0;
    limine_requests.bootloader_info.response = 0;
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "unknown");
    assert_logged("no kernel file response");
    assert_logged("no bootloader info response");
    limine_requests.bootloader_info.response = mk_three_words(0, 0, put_str("8"));
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.loader, "unknown");
    assert_logged("bootloader name: NULL pointer");
    limine_requests.bootloader_info.response = mk_three_words(0, put_str("Limine"), put_str(""));
    assert_int_equal(parse(), 0);
    assert_string_equal(bi.loader, "Limine");
}

/* ------------------------------------------------------------ framebuffer */

static void framebuffer_formats(void **state)
{
    (void)state;
    struct fbspec f;
    loader_default();

    f = fb_default;
    f.bpp = 16;
    f.pitch = 2048;
    f.rsize = 5; f.rshift = 11; f.gsize = 6; f.gshift = 5; f.bsize = 5; f.bshift = 0;
    set_fbs(&f, 1);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.fb.bpp, 16);
    assert_int_equal(bi.fb.green_size, 6);
    assert_int_equal(bi.warnings, 0);

    f = fb_default;
    f.bpp = 24;
    f.pitch = 3072;
    set_fbs(&f, 1);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.fb.bpp, 24);

    struct { struct fbspec f; const char *said; } bad[] = {
        { fb_default, "memory model 2 is not RGB" },
        { fb_default, "8 bits per pixel" },
        { fb_default, "colour fields" },
        { fb_default, "geometry 1024x768, pitch 1000" },
        { fb_default, "geometry 0x768" },
        { fb_default, "geometry 100000x768" },
        { fb_default, "is not in the HHDM" },
        { fb_default, "is not in the HHDM" },
    };
    bad[0].f.model = 2;
    bad[1].f.bpp = 8;
    bad[2].f.rshift = 30;
    bad[3].f.pitch = 1000;
    bad[4].f.width = 0;
    bad[5].f.width = 100000;
    bad[6].f.addr_va = VA(0x180000000ull);          /* not mapped at revision 2 */
    bad[7].f.addr_va = FB_PA;                       /* physical, not HHDM */
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        set_fbs(&bad[i].f, 1);
        assert_int_equal(parse(), 0);              /* the console is optional */
        assert_int_equal(bi.fb.format, FB_NONE);
        assert_logged(bad[i].said);
        assert_logged("serial console only");
    }

    /* The first one the console can drive wins. */
    struct fbspec two[2] = { bad[0].f, fb_default };
    two[1].addr_va = VA(0x140100000ull);            /* a framebuffer region above 4 GiB */
    set_fbs(two, 2);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.fb.format, FB_RGB);
    assert_int_equal(bi.fb.addr, 0x140100000ull);

    struct fbspec many[LIMINE_MAX_FRAMEBUFFERS + 1];
    for (size_t i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = fb_default;
    set_fbs(many, ARRAY_SIZE(many));
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.fb.format, FB_NONE);
    assert_logged("claims 17 framebuffers (limit 16)");

    set_fbs(NULL, 0);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.fb.format, FB_NONE);
    limine_requests.framebuffer.response = 0;
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.warnings, 0);
}

/* ------------------------------------------------------------ RSDP */

static void rsdp_checked(void **state)
{
    (void)state;
    loader_default();
    put_rsdp(RSDP_PA, 0);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, phys + RSDP_PA, 20);

    put_rsdp(RSDP_PA, 2);
    phys[RSDP_PA + 30] ^= 1;                        /* breaks the extended checksum only */
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 20);
    assert_logged("using the 1.0 part");

    put_rsdp(RSDP_PA, 2);
    phys[RSDP_PA + 12] ^= 1;                        /* breaks the first checksum */
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 0);
    assert_logged("bad signature or checksum");

    put_rsdp(RSDP_PA, 2);
    phys[RSDP_PA] = 'X';
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 0);

    limine_requests.rsdp.response = mk_two_words(0, RSDP_PA);   /* physical: revision 3 style */
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 0);
    assert_logged("RSDP: pointer 0xf5000 is not in the HHDM");

    limine_requests.rsdp.response = 0;
    assert_int_equal(parse(), 0);
    assert_int_equal(bi.rsdp_len, 0);
    assert_int_equal(bi.warnings, 0);
}

/* ------------------------------------------------------------ random damage */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Damage the default responses at random (bytes, words, pointers, the
 * request words) thousands of times: every parse must end cleanly with the
 * invariants of check_bi() and no read outside what it checked. */
static void random_damage(void **state)
{
    (void)state;
    const char *s = getenv("LIMINE_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed11e;
    print_message("random_damage: seed 0x%llx (set LIMINE_SEED to replay)\n",
                  (unsigned long long)seed);
    rng_state = seed ? seed : 1;
    unsigned ok = 0;
    /* Every round starts from the same default boot: build it once and undo
     * each round's damage from a pristine copy (rebuilding 16 MiB of fake
     * memory per round cost a minute of page faults under ASan). */
    fresh();
    loader_default();
    const uint64_t used = next_pa - RESP_BASE;
    uint8_t *pristine = malloc(PHYS_SIZE);
    assert_non_null(pristine);
    memcpy(pristine, phys, PHYS_SIZE);
    static struct limine_requests saved_requests;
    memcpy(&saved_requests, (const void *)&limine_requests, sizeof saved_requests);
    for (int iter = 0; iter < 3000; iter++) {
        uint64_t touched[6];
        int n = 1 + (int)(rng() % 6);
        for (int k = 0; k < n; k++) {
            uint64_t at = RESP_BASE + rng() % used;
            touched[k] = at & ~7ull;
            switch (rng() % 5) {
            case 0:
                phys[at] = (uint8_t)rng();
                break;
            case 1:                                 /* a word: often a count or a pointer */
                at &= ~7ull;
                w64(at, rng() % 3 ? rng() % 0x100 : rng());
                break;
            case 2:                                 /* a pointer nudged */
                at &= ~7ull;
                w64(at, r64(at) + (rng() % 64) - 32);
                break;
            case 3: {                               /* a response pointer replaced */
                volatile uint64_t *r[] = {
                    &limine_requests.hhdm.response, &limine_requests.memmap.response,
                    &limine_requests.modules.hdr.response, &limine_requests.framebuffer.response,
                    &limine_requests.kernel_file.response, &limine_requests.rsdp.response,
                };
                *r[rng() % ARRAY_SIZE(r)] = rng() % 2 ? VA(RESP_BASE + rng() % used) : rng();
                break;
            }
            default:
                limine_requests.base_revision[1 + rng() % 2] = rng() % 4;
                break;
            }
        }
        int rc = parse();
        if (rc == 0) {
            ok++;
            bootmem_sanitize(&bi);
        }
        for (int k = 0; k < n; k++)                 /* every write above stays in these 16 bytes */
            memcpy(phys + touched[k], pristine + touched[k], 16);
        memcpy((void *)&limine_requests, &saved_requests, sizeof saved_requests);
        free_copies();
        host_log_clear();
        reads = 0;
    }
    assert_memory_equal(phys, pristine, PHYS_SIZE);     /* the undo missed nothing */
    free(pristine);
    print_message("random_damage: %u of 3000 still bootable\n", ok);
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(requests_carry_the_protocol_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(default_boot_translates_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(sanitized_map_protects_image_and_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(kernel_at_any_physical_base, setup, teardown),
        cmocka_unit_test_setup_teardown(base_revision_not_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_needed_responses_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(refusal_keeps_the_framebuffer, setup, teardown),
        cmocka_unit_test_setup_teardown(hhdm_offset_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(hhdm_extent_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(kernel_address_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(paging_mode_must_be_4_level, setup, teardown),
        cmocka_unit_test_setup_teardown(response_pointers_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(memmap_counts_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(memmap_bad_entries_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(memmap_null_entry_pointer_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(memmap_unsorted_and_overlapping, setup, teardown),
        cmocka_unit_test_setup_teardown(memmap_more_entries_than_boot_info_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(initrd_found_by_path_or_string, setup, teardown),
        cmocka_unit_test_setup_teardown(modules_malformed_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(many_modules_keep_the_initrd, setup, teardown),
        cmocka_unit_test_setup_teardown(strings_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(framebuffer_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(rsdp_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(random_damage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
