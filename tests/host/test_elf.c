// SPDX-License-Identifier: MIT
/* test_elf.c - kernel/lib/elf.c: elf_validate() on a minimal valid ELF built
 * here byte by byte (a text and a data segment), then one malformed variant
 * per check, truncation at every length, overflowing fields, and a seeded
 * random mutation run (ELF_SEED=n repeats one; the seed is printed) whose
 * accepted images must satisfy every promise of elf.h, checked here
 * independently. Every image is passed in a heap block of exactly its
 * length, so ASan catches any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <mos/errors.h>
#include <mos/proc.h>
#include "lib/elf.h"

/* The reference image: ehdr at 0, program headers at 64, text at file
 * 0x1000 -> 0x401000 (R+X, 16 bytes), data at file 0x2000 -> 0x402000
 * (R+W, 8 bytes in the file, 0x100 in memory). Entry 0x401000. */
#define IMG_MAX    0x3000
#define TEXT_OFF   0x1000u
#define TEXT_VA    0x401000u
#define DATA_OFF   0x2000u
#define DATA_VA    0x402000u
#define IMG_LEN    (DATA_OFF + 8)
#define PH(i)      (64u + 56u * (i))

/* Program-header field offsets. */
#define P_TYPE   0
#define P_FLAGS  4
#define P_OFFSET 8
#define P_VADDR  16
#define P_PADDR  24
#define P_FILESZ 32
#define P_MEMSZ  40
#define P_ALIGN  48

struct image {
    uint8_t b[IMG_MAX];
    size_t len;
};

static void put16(struct image *im, size_t off, uint16_t v)
{
    im->b[off] = (uint8_t)v;
    im->b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(struct image *im, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        im->b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void put64(struct image *im, size_t off, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        im->b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void set_phdr(struct image *im, unsigned i, uint32_t type, uint32_t flags, uint64_t off,
                     uint64_t va, uint64_t filesz, uint64_t memsz)
{
    size_t p = PH(i);
    put32(im, p + P_TYPE, type);
    put32(im, p + P_FLAGS, flags);
    put64(im, p + P_OFFSET, off);
    put64(im, p + P_VADDR, va);
    put64(im, p + P_PADDR, va);
    put64(im, p + P_FILESZ, filesz);
    put64(im, p + P_MEMSZ, memsz);
    put64(im, p + P_ALIGN, 0x1000);
}

static void set_phnum(struct image *im, uint16_t n)
{
    put16(im, 56, n);
}

static void build_valid(struct image *im)
{
    memset(im, 0, sizeof *im);
    static const uint8_t ident[16] = { 0x7F, 'E', 'L', 'F', 2, 1, 1, 0 };
    memcpy(im->b, ident, sizeof ident);
    put16(im, 16, 2);          /* e_type ET_EXEC */
    put16(im, 18, 62);         /* e_machine EM_X86_64 */
    put32(im, 20, 1);          /* e_version */
    put64(im, 24, TEXT_VA);    /* e_entry */
    put64(im, 32, 64);         /* e_phoff */
    put64(im, 40, 0);          /* e_shoff */
    put32(im, 48, 0);          /* e_flags */
    put16(im, 52, 64);         /* e_ehsize */
    put16(im, 54, 56);         /* e_phentsize */
    set_phnum(im, 2);
    set_phdr(im, 0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, TEXT_OFF, TEXT_VA, 16, 16);
    set_phdr(im, 1, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, DATA_OFF, DATA_VA, 8, 0x100);
    for (unsigned i = 0; i < 16; i++)
        im->b[TEXT_OFF + i] = (uint8_t)(0x90 + i);
    for (unsigned i = 0; i < 8; i++)
        im->b[DATA_OFF + i] = (uint8_t)(0xD0 + i);
    im->len = IMG_LEN;
}

/* Validate a copy of im->b[0..len) in a block of exactly len bytes. */
static int validate_len(const struct image *im, size_t len, struct elf_info *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, im->b, len);
    int r = elf_validate(copy, len, out);
    free(copy);
    return r;
}

static int validate(const struct image *im, struct elf_info *out)
{
    return validate_len(im, im->len, out);
}

/* Expect rejection, with a reason. */
static void expect_reject(const struct image *im)
{
    struct elf_info info;
    memset(&info, 0xAB, sizeof info);
    assert_int_equal(validate(im, &info), -MOS_ENOEXEC);
    assert_non_null(info.why);
    assert_true(strlen(info.why) > 0);
    assert_int_equal(info.nsegs, 0);
}

static void expect_accept(const struct image *im, struct elf_info *info)
{
    int r = validate(im, info);
    if (r)
        fail_msg("rejected: %s", info->why);
    assert_null(info->why);
}

/* ------------------------------------------------------------ valid */

static void valid_minimal_image_is_described(void **state)
{
    (void)state;
    struct image im;
    struct elf_info info;
    build_valid(&im);
    expect_accept(&im, &info);
    assert_int_equal(info.entry, TEXT_VA);
    assert_int_equal(info.nsegs, 2);
    assert_int_equal(info.seg[0].vaddr, TEXT_VA);
    assert_int_equal(info.seg[0].memsz, 16);
    assert_int_equal(info.seg[0].offset, TEXT_OFF);
    assert_int_equal(info.seg[0].filesz, 16);
    assert_int_equal(info.seg[0].prot, MOS_PROT_READ | MOS_PROT_EXEC);
    assert_int_equal(info.seg[1].vaddr, DATA_VA);
    assert_int_equal(info.seg[1].memsz, 0x100);
    assert_int_equal(info.seg[1].offset, DATA_OFF);
    assert_int_equal(info.seg[1].filesz, 8);
    assert_int_equal(info.seg[1].prot, MOS_PROT_READ | MOS_PROT_WRITE);
}

static void unaligned_image_is_accepted(void **state)
{
    (void)state;
    struct image im;
    build_valid(&im);
    uint8_t *raw = malloc(im.len + 1);
    assert_non_null(raw);
    memcpy(raw + 1, im.b, im.len);
    struct elf_info info;
    assert_int_equal(elf_validate(raw + 1, im.len, &info), 0);
    assert_int_equal(info.nsegs, 2);
    free(raw);
}

static void ignorable_headers_are_ignored(void **state)
{
    (void)state;
    struct image im;
    struct elf_info info;
    build_valid(&im);
    set_phnum(&im, 5);
    set_phdr(&im, 2, 4 /* PT_NOTE */, ELF_PF_R, 0, 0, 0, 0);
    set_phdr(&im, 3, 0x6474e551 /* PT_GNU_STACK */, ELF_PF_R | ELF_PF_W | ELF_PF_X, 0, 0, 0, 0);
    set_phdr(&im, 4, ELF_PT_LOAD, ELF_PF_R, 0, 0x5000, 0, 0);   /* empty PT_LOAD */
    expect_accept(&im, &info);
    assert_int_equal(info.nsegs, 2);
}

static void sixteen_loads_accepted_seventeen_rejected(void **state)
{
    (void)state;
    struct image im;
    struct elf_info info;
    build_valid(&im);
    set_phnum(&im, 16);
    for (unsigned i = 2; i < 16; i++)
        set_phdr(&im, i, ELF_PT_LOAD, ELF_PF_R, 0, 0x500000 + 0x1000 * (uint64_t)i, 0, 0x10);
    expect_accept(&im, &info);
    assert_int_equal(info.nsegs, 16);
    set_phnum(&im, 17);
    set_phdr(&im, 16, ELF_PT_LOAD, ELF_PF_R, 0, 0x600000, 0, 0x10);
    expect_reject(&im);
}

static void segment_may_end_at_top_of_user_space(void **state)
{
    (void)state;
    struct image im;
    struct elf_info info;
    build_valid(&im);
    set_phnum(&im, 3);
    set_phdr(&im, 2, ELF_PT_LOAD, ELF_PF_R, 0, ELF_USER_END - 0x1000, 0, 0x1000);
    expect_accept(&im, &info);
    set_phdr(&im, 2, ELF_PT_LOAD, ELF_PF_R, 0, ELF_USER_END - 0x1000, 0, 0x1001);
    expect_reject(&im);
    /* The lowest page allowed, and one byte below it. */
    set_phdr(&im, 2, ELF_PT_LOAD, ELF_PF_R, 0, ELF_USER_MIN, 0, 0x10);
    expect_accept(&im, &info);
    set_phdr(&im, 2, ELF_PT_LOAD, ELF_PF_R, 0xFFF, ELF_USER_MIN - 1, 0, 0x10);
    expect_reject(&im);
}

/* ------------------------------------------------------------ header */

static void bad_identification_rejected(void **state)
{
    (void)state;
    struct image im;
    for (int i = 0; i < 4; i++) {
        build_valid(&im);
        im.b[i] ^= 0x20;
        expect_reject(&im);
    }
    build_valid(&im);
    im.b[ELF_EI_CLASS] = 1;        /* ELFCLASS32 */
    expect_reject(&im);
    build_valid(&im);
    im.b[ELF_EI_CLASS] = 0;
    expect_reject(&im);
    build_valid(&im);
    im.b[ELF_EI_DATA] = 2;         /* big-endian */
    expect_reject(&im);
    build_valid(&im);
    im.b[ELF_EI_VERSION] = 0;
    expect_reject(&im);
    build_valid(&im);
    put32(&im, 20, 2);             /* e_version */
    expect_reject(&im);
}

static void wrong_type_or_machine_rejected(void **state)
{
    (void)state;
    struct image im;
    static const uint16_t types[] = { 0, 1, 3, 4, 0xFE00 };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        build_valid(&im);
        put16(&im, 16, types[i]);
        expect_reject(&im);
    }
    static const uint16_t machines[] = { 0, 3, 40, 183, 0xFFFF };
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++) {
        build_valid(&im);
        put16(&im, 18, machines[i]);
        expect_reject(&im);
    }
}

static void program_header_table_checked(void **state)
{
    (void)state;
    struct image im;
    static const uint16_t sizes[] = { 0, 32, 55, 57, 64 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        build_valid(&im);
        put16(&im, 54, sizes[i]);
        expect_reject(&im);
    }
    build_valid(&im);
    set_phnum(&im, 0);
    expect_reject(&im);
    /* Table running past the end, by one byte and by a lot. */
    build_valid(&im);
    put64(&im, 32, IMG_LEN - 2 * 56 + 1);
    expect_reject(&im);
    build_valid(&im);
    set_phnum(&im, 0xFFFF);
    expect_reject(&im);
    /* Offsets whose sum with the table size wraps. */
    static const uint64_t offs[] = { UINT64_MAX, UINT64_MAX - 56, UINT64_MAX - 111, 1ull << 63 };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        build_valid(&im);
        put64(&im, 32, offs[i]);
        expect_reject(&im);
    }
}

/* ------------------------------------------------------------ segments */

static void segment_sizes_and_file_range_checked(void **state)
{
    (void)state;
    struct image im;
    build_valid(&im);
    put64(&im, PH(1) + P_FILESZ, 0x101);          /* filesz > memsz */
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(1) + P_FILESZ, 9);              /* one byte past the end */
    put64(&im, PH(1) + P_MEMSZ, 0x100);
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(1) + P_OFFSET, UINT64_MAX - 3); /* offset + filesz wraps */
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(1) + P_OFFSET, DATA_OFF + 0x1000);
    put64(&im, PH(1) + P_VADDR, DATA_VA + 0x1000);
    expect_reject(&im);
    build_valid(&im);                              /* offset past the end, even with filesz 0 */
    put64(&im, PH(1) + P_OFFSET, IMG_LEN + 0x1000 - 8);
    put64(&im, PH(1) + P_FILESZ, 0);
    put64(&im, PH(1) + P_VADDR, DATA_VA + (IMG_LEN - 8) % 0x1000);
    expect_reject(&im);
    build_valid(&im);                              /* offset exactly at the end with filesz 0: fine */
    put64(&im, PH(1) + P_OFFSET, IMG_LEN);
    put64(&im, PH(1) + P_FILESZ, 0);
    put64(&im, PH(1) + P_VADDR, DATA_VA + IMG_LEN % 0x1000);
    struct elf_info info;
    expect_accept(&im, &info);
}

static void segment_address_range_checked(void **state)
{
    (void)state;
    struct image im;
    static const uint64_t vaddrs[] = {
        0, 0x10, 0xFF0,                          /* page 0 */
        ELF_USER_END, ELF_USER_END + 0x1000,      /* non-canonical / kernel half */
        0xFFFFFFFF80000000ull, UINT64_MAX - 0xFFF,
    };
    for (size_t i = 0; i < sizeof vaddrs / sizeof vaddrs[0]; i++) {
        build_valid(&im);
        put64(&im, PH(1) + P_VADDR, vaddrs[i]);
        put64(&im, PH(1) + P_OFFSET, DATA_OFF + (vaddrs[i] & 0xFFF));
        put64(&im, PH(1) + P_FILESZ, 0);
        expect_reject(&im);
    }
    /* vaddr + memsz wraps around or crosses the top. */
    build_valid(&im);
    put64(&im, PH(1) + P_MEMSZ, UINT64_MAX);
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(1) + P_MEMSZ, ELF_USER_END - DATA_VA + 1);
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(1) + P_MEMSZ, UINT64_MAX - DATA_VA + 2);
    expect_reject(&im);
}

static void segment_congruence_checked(void **state)
{
    (void)state;
    struct image im;
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, DATA_VA + 8);
    expect_reject(&im);
    build_valid(&im);
    put64(&im, PH(0) + P_OFFSET, TEXT_OFF - 1);
    expect_reject(&im);
    /* Same page offset with a different page is fine. */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, DATA_VA + 0x7000);
    struct elf_info info;
    expect_accept(&im, &info);
}

static void writable_and_executable_rejected(void **state)
{
    (void)state;
    struct image im;
    build_valid(&im);
    put32(&im, PH(0) + P_FLAGS, ELF_PF_R | ELF_PF_W | ELF_PF_X);
    expect_reject(&im);
    build_valid(&im);
    put32(&im, PH(1) + P_FLAGS, ELF_PF_W | ELF_PF_X);
    expect_reject(&im);
    /* Unknown high flag bits do not matter; W alone is fine. */
    build_valid(&im);
    put32(&im, PH(1) + P_FLAGS, ELF_PF_W | 0x0FF00000);
    struct elf_info info;
    expect_accept(&im, &info);
    assert_int_equal(info.seg[1].prot, MOS_PROT_WRITE);
}

static void overlapping_segments_rejected(void **state)
{
    (void)state;
    struct image im;
    /* Identical range. */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, TEXT_VA);
    put64(&im, PH(1) + P_OFFSET, DATA_OFF);
    expect_reject(&im);
    /* Data starting inside text's page (no byte shared, same page). */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, TEXT_VA + 0x800);
    put64(&im, PH(1) + P_OFFSET, DATA_OFF + 0x800);
    expect_reject(&im);
    /* Data ending inside text's page, from below. */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, TEXT_VA - 0x1000);
    put64(&im, PH(1) + P_MEMSZ, 0x1001);
    expect_reject(&im);
    /* A big segment covering another one entirely. */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, 0x400000);
    put64(&im, PH(1) + P_MEMSZ, 0x10000);
    expect_reject(&im);
    /* Adjacent pages are fine. */
    build_valid(&im);
    put64(&im, PH(1) + P_VADDR, TEXT_VA + 0x1000);
    struct elf_info info;
    expect_accept(&im, &info);
}

static void entry_must_be_in_executable_segment(void **state)
{
    (void)state;
    struct image im;
    static const uint64_t entries[] = {
        0, TEXT_VA - 1, TEXT_VA + 16, DATA_VA, DATA_VA + 0xFF, UINT64_MAX,
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        build_valid(&im);
        put64(&im, 24, entries[i]);
        expect_reject(&im);
    }
    /* Last byte of text is fine. */
    build_valid(&im);
    put64(&im, 24, TEXT_VA + 15);
    struct elf_info info;
    expect_accept(&im, &info);
    assert_int_equal(info.entry, TEXT_VA + 15);
    /* No executable segment at all. */
    build_valid(&im);
    put32(&im, PH(0) + P_FLAGS, ELF_PF_R);
    expect_reject(&im);
}

static void dynamic_and_tls_images_rejected(void **state)
{
    (void)state;
    struct image im;
    static const uint32_t types[] = { ELF_PT_INTERP, ELF_PT_DYNAMIC, ELF_PT_TLS };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        build_valid(&im);
        set_phnum(&im, 3);
        set_phdr(&im, 2, types[i], ELF_PF_R, DATA_OFF, DATA_VA, 8, 8);
        expect_reject(&im);
    }
    build_valid(&im);
    set_phnum(&im, 1);   /* only text */
    struct elf_info info;
    expect_accept(&im, &info);
    set_phdr(&im, 0, 4, ELF_PF_R, 0, 0, 0, 0);   /* no PT_LOAD left */
    expect_reject(&im);
}

/* ------------------------------------------------------------ truncation */

static void every_truncation_rejected(void **state)
{
    (void)state;
    struct image im;
    build_valid(&im);
    for (size_t len = 0; len < im.len; len++) {
        struct elf_info info;
        int r = validate_len(&im, len, &info);
        if (r != -MOS_ENOEXEC)
            fail_msg("truncation to %zu bytes accepted", len);
    }
    struct elf_info info;
    assert_int_equal(validate_len(&im, im.len, &info), 0);
}

/* ------------------------------------------------------------ mutation */

/* Check every promise elf.h makes about an accepted image. */
static void check_accepted(const uint8_t *img, size_t len, const struct elf_info *info)
{
    assert_null(info->why);
    assert_true(info->nsegs >= 1 && info->nsegs <= ELF_MAX_SEGMENTS);
    assert_true(len >= 64);
    bool entry_ok = false;
    for (uint32_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->seg[i];
        assert_true(s->memsz > 0);
        assert_true(s->filesz <= s->memsz);
        assert_true(s->offset <= len && s->filesz <= len - s->offset);
        assert_true(s->vaddr >= ELF_USER_MIN);
        assert_true(s->vaddr < ELF_USER_END && s->memsz <= ELF_USER_END - s->vaddr);
        assert_int_equal(s->vaddr % 4096, s->offset % 4096);
        assert_false((s->prot & MOS_PROT_WRITE) && (s->prot & MOS_PROT_EXEC));
        assert_int_equal(s->prot & ~(MOS_PROT_READ | MOS_PROT_WRITE | MOS_PROT_EXEC), 0);
        uint64_t lo = s->vaddr & ~0xFFFull, hi = (s->vaddr + s->memsz + 0xFFF) & ~0xFFFull;
        for (uint32_t j = 0; j < i; j++) {
            const struct elf_segment *t = &info->seg[j];
            uint64_t tlo = t->vaddr & ~0xFFFull, thi = (t->vaddr + t->memsz + 0xFFF) & ~0xFFFull;
            assert_false(lo < thi && tlo < hi);
        }
        if ((s->prot & MOS_PROT_EXEC) && info->entry >= s->vaddr && info->entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    assert_true(entry_ok);
    /* The header really says what was reported. */
    uint64_t entry;
    memcpy(&entry, img + 24, 8);
    assert_int_equal(entry, info->entry);
}

static const uint64_t interesting[] = {
    0, 1, 0xFFF, 0x1000, 0x1001, TEXT_VA, DATA_VA, IMG_LEN, IMG_LEN - 1, IMG_LEN + 1,
    ELF_USER_END - 1, ELF_USER_END, 1ull << 63, UINT64_MAX, UINT64_MAX - 0xFFF, 0x7FFFFFFF,
};

static void mutate(struct image *im, unsigned *rng)
{
    unsigned kind = (unsigned)rand_r(rng) % 4;
    unsigned n = 1 + (unsigned)rand_r(rng) % 6;
    for (unsigned k = 0; k < n; k++) {
        switch (kind) {
        case 0:   /* a random byte in the headers */
            im->b[(size_t)rand_r(rng) % PH(2)] = (uint8_t)rand_r(rng);
            break;
        case 1:   /* a random bit anywhere in the headers */
            im->b[(size_t)rand_r(rng) % PH(2)] ^= (uint8_t)(1u << (rand_r(rng) % 8));
            break;
        case 2: { /* an interesting value in a 64-bit program-header field */
            size_t field = PH((unsigned)rand_r(rng) % 2) + 8 * (1 + (size_t)rand_r(rng) % 6);
            put64(im, field, interesting[(size_t)rand_r(rng) % (sizeof interesting / sizeof interesting[0])]);
            break;
        }
        default:  /* a header field of the ELF header */
            put64(im, 24 + 8 * ((size_t)rand_r(rng) % 2),
                  interesting[(size_t)rand_r(rng) % (sizeof interesting / sizeof interesting[0])]);
            break;
        }
    }
    if (rand_r(rng) % 8 == 0)
        im->len = (size_t)rand_r(rng) % (IMG_LEN + 1);
    if (rand_r(rng) % 8 == 0)
        put32(im, PH((unsigned)rand_r(rng) % 2) + P_FLAGS, (uint32_t)rand_r(rng) % 8);
}

static void random_mutations_keep_promises(void **state)
{
    (void)state;
    const char *env = getenv("ELF_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
    printf("# test_elf: ELF_SEED=%u\n", seed);
    unsigned rng = seed;
    unsigned accepted = 0;
    for (int iter = 0; iter < 30000; iter++) {
        struct image im;
        build_valid(&im);
        mutate(&im, &rng);
        uint8_t *copy = malloc(im.len ? im.len : 1);
        assert_non_null(copy);
        memcpy(copy, im.b, im.len);
        struct elf_info info;
        int r = elf_validate(copy, im.len, &info);
        if (r == 0) {
            accepted++;
            check_accepted(copy, im.len, &info);
        } else {
            if (r != -MOS_ENOEXEC || !info.why)
                fail_msg("seed %u iteration %d: result %d", seed, iter, r);
        }
        free(copy);
    }
    /* Some mutations (e.g. of padding or paddr) must leave the image valid. */
    assert_true(accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_minimal_image_is_described),
        cmocka_unit_test(unaligned_image_is_accepted),
        cmocka_unit_test(ignorable_headers_are_ignored),
        cmocka_unit_test(sixteen_loads_accepted_seventeen_rejected),
        cmocka_unit_test(segment_may_end_at_top_of_user_space),
        cmocka_unit_test(bad_identification_rejected),
        cmocka_unit_test(wrong_type_or_machine_rejected),
        cmocka_unit_test(program_header_table_checked),
        cmocka_unit_test(segment_sizes_and_file_range_checked),
        cmocka_unit_test(segment_address_range_checked),
        cmocka_unit_test(segment_congruence_checked),
        cmocka_unit_test(writable_and_executable_rejected),
        cmocka_unit_test(overlapping_segments_rejected),
        cmocka_unit_test(entry_must_be_in_executable_segment),
        cmocka_unit_test(dynamic_and_tls_images_rejected),
        cmocka_unit_test(every_truncation_rejected),
        cmocka_unit_test(random_mutations_keep_promises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
