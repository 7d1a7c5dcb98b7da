// SPDX-License-Identifier: MIT
/* test_tar.c - kernel/lib/tar.c on USTAR archives built here with the real
 * header layout (name, mode, uid, gid, size, mtime, checksum, typeflag,
 * linkname, magic, version, ..., prefix; octal text fields; checksum over
 * the header with its own field as spaces): iteration and names, lookups,
 * every malformed-header check, truncation at every length, and a seeded
 * random mutation run (TAR_SEED=n repeats one). Archives are passed in heap
 * blocks of exactly their length, so ASan catches any read past the end. */
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
#include "lib/tar.h"

#define ARCH_MAX (64 * 1024)

struct arch {
    uint8_t b[ARCH_MAX];
    size_t len;
};

/* Write v as zero-padded octal in a field of n bytes: n - 1 digits and a NUL. */
static void put_octal(uint8_t *f, size_t n, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*llo", (int)(n - 1), (unsigned long long)v);
    memcpy(f, tmp, n - 1);
    f[n - 1] = '\0';
}

/* Recompute the checksum of the header at h (6 digits, NUL, space). */
static void fix_checksum(uint8_t *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06o", sum);
    memcpy(h + 148, tmp, 6);
    h[154] = '\0';
    h[155] = ' ';
}

/* Append an entry; returns the offset of its header. */
static size_t add(struct arch *a, const char *prefix, const char *name, char type, const void *data,
                  size_t size, unsigned mode, const char *link)
{
    size_t at = a->len;
    uint8_t *h = a->b + at;
    assert_true(at + 512 + size + 511 < ARCH_MAX);
    memset(h, 0, 512);
    memcpy(h, name, strnlen(name, 100));
    put_octal(h + 100, 8, mode);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 1234567);
    h[156] = (uint8_t)type;
    if (link)
        memcpy(h + 157, link, strnlen(link, 100));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    if (prefix)
        memcpy(h + 345, prefix, strnlen(prefix, 155));
    fix_checksum(h);
    a->len += 512;
    if (size) {
        memcpy(a->b + a->len, data, size);
        size_t padded = (size + 511) / 512 * 512;
        memset(a->b + a->len + size, 0, padded - size);
        a->len += padded;
    }
    return at;
}

static void finish(struct arch *a)
{
    memset(a->b + a->len, 0, 1024);
    a->len += 1024;
}

static uint8_t file_data[700];
static size_t hello_at, motd_at;

/* A small tree: dir, file of 700 bytes (padding), file, empty file, symlink,
 * a path split across prefix and name, "./"-prefixed names. */
static void build_basic(struct arch *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < sizeof file_data; i++)
        file_data[i] = (uint8_t)(i * 7 + 3);
    add(a, NULL, "./", '5', NULL, 0, 0755, NULL);
    add(a, NULL, "bin/", '5', NULL, 0, 0755, NULL);
    hello_at = add(a, NULL, "bin/hello", '0', file_data, sizeof file_data, 0755, NULL);
    motd_at = add(a, NULL, "./etc/motd", '0', "hello\n", 6, 0644, NULL);
    add(a, NULL, "empty", '\0', NULL, 0, 0600, NULL);
    add(a, NULL, "lib", '2', NULL, 0, 0777, "bin");
    add(a, "usr/share/a-rather-long-directory-name-that-does-not-fit-in-the-name-field",
        "and-then-a-long-file-name-as-well.txt", '0', "xyz", 3, 0644, NULL);
    finish(a);
}

static uint8_t *copy_exact(const struct arch *a, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, a->b, len);
    return p;
}

/* ------------------------------------------------------------ iteration */

static void iterates_every_entry(void **state)
{
    (void)state;
    static struct arch a;
    build_basic(&a);
    uint8_t *p = copy_exact(&a, a.len);
    struct tar_entry e;
    size_t pos = 0;
    static const struct { const char *name; uint32_t type; uint64_t size; uint32_t mode; } want[] = {
        { "", TAR_DIR, 0, 0755 },
        { "bin", TAR_DIR, 0, 0755 },
        { "bin/hello", TAR_FILE, 700, 0755 },
        { "etc/motd", TAR_FILE, 6, 0644 },
        { "empty", TAR_FILE, 0, 0600 },
        { "lib", TAR_SYMLINK, 0, 0777 },
        { "usr/share/a-rather-long-directory-name-that-does-not-fit-in-the-name-field/"
          "and-then-a-long-file-name-as-well.txt", TAR_FILE, 3, 0644 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t before = pos;
        assert_int_equal(tar_next(p, a.len, &pos, &e), 1);
        assert_string_equal(e.name, want[i].name);
        assert_int_equal(e.type, want[i].type);
        assert_int_equal(e.size, want[i].size);
        assert_int_equal(e.mode, want[i].mode);
        assert_int_equal(e.mtime, 1234567);
        assert_int_equal(e.header_offset, before);
        assert_ptr_equal(e.data, p + before + 512);
        assert_true(pos > before && pos % 512 == 0);
    }
    assert_int_equal(tar_next(p, a.len, &pos, &e), 0);
    size_t end = pos;
    assert_int_equal(tar_next(p, a.len, &pos, &e), 0);   /* stays at the end */
    assert_int_equal(pos, end);
    assert_int_equal(end, a.len - 1024);
    free(p);
}

static void file_data_and_links_are_exposed(void **state)
{
    (void)state;
    static struct arch a;
    build_basic(&a);
    uint8_t *p = copy_exact(&a, a.len);
    struct tar_entry e;
    assert_int_equal(tar_find(p, a.len, "bin/hello", &e), 0);
    assert_int_equal(e.size, sizeof file_data);
    assert_memory_equal(e.data, file_data, sizeof file_data);
    assert_int_equal(e.header_offset, hello_at);
    assert_int_equal(tar_find(p, a.len, "etc/motd", &e), 0);
    assert_memory_equal(e.data, "hello\n", 6);
    assert_int_equal(e.header_offset, motd_at);
    assert_int_equal(tar_find(p, a.len, "lib", &e), 0);
    assert_int_equal(e.type, TAR_SYMLINK);
    assert_string_equal(e.linkname, "bin");
    free(p);
}

static void lookup_normalizes_paths(void **state)
{
    (void)state;
    static struct arch a;
    build_basic(&a);
    uint8_t *p = copy_exact(&a, a.len);
    struct tar_entry e;
    static const char *const same[] = { "bin/hello", "/bin/hello", "./bin/hello", "//./bin/hello" };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(tar_find(p, a.len, same[i], &e), 0);
        assert_string_equal(e.name, "bin/hello");
    }
    assert_int_equal(tar_find(p, a.len, "bin/", &e), 0);
    assert_int_equal(e.type, TAR_DIR);
    assert_int_equal(tar_find(p, a.len, "/", &e), 0);     /* the root "./" */
    assert_int_equal(e.type, TAR_DIR);
    assert_string_equal(e.name, "");
    static const char *const missing[] = { "bin/hell", "bin/hello2", "hello", "etc", "bin/hello/x", "BIN/hello" };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        assert_int_equal(tar_find(p, a.len, missing[i], &e), -MOS_ENOENT);
    char longpath[400];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(tar_find(p, a.len, longpath, &e), -MOS_ENOENT);
    free(p);
}

static void later_duplicate_wins(void **state)
{
    (void)state;
    static struct arch a;
    memset(&a, 0, sizeof a);
    add(&a, NULL, "f", '0', "old", 3, 0644, NULL);
    add(&a, NULL, "g", '0', "g", 1, 0644, NULL);
    add(&a, NULL, "./f", '0', "newer", 5, 0644, NULL);
    finish(&a);
    struct tar_entry e;
    assert_int_equal(tar_find(a.b, a.len, "f", &e), 0);
    assert_int_equal(e.size, 5);
    assert_memory_equal(e.data, "newer", 5);
}

static void empty_archive_and_gnu_magic(void **state)
{
    (void)state;
    static struct arch a;
    memset(&a, 0, sizeof a);
    finish(&a);
    struct tar_entry e;
    size_t pos = 0;
    assert_int_equal(tar_next(a.b, a.len, &pos, &e), 0);
    assert_int_equal(tar_find(a.b, a.len, "x", &e), -MOS_ENOENT);
    /* Old GNU magic "ustar  \0". */
    memset(&a, 0, sizeof a);
    size_t h = add(&a, NULL, "gnu", '0', "1", 1, 0644, NULL);
    memcpy(a.b + h + 257, "ustar  ", 8);
    fix_checksum(a.b + h);
    finish(&a);
    assert_int_equal(tar_find(a.b, a.len, "gnu", &e), 0);
}

static void field_variants_accepted(void **state)
{
    (void)state;
    static struct arch a;
    memset(&a, 0, sizeof a);
    size_t h = add(&a, NULL, "v", '0', "abc", 3, 0644, NULL);
    memcpy(a.b + h + 124, "     3      ", 12);    /* leading spaces, trailing spaces */
    memcpy(a.b + h + 136, "777777777777", 12);    /* 12 digits, no terminator */
    memcpy(a.b + h + 100, "644 \0\0\0\0", 8);
    a.b[h + 50] = 0xE9;                           /* after the name's NUL: ignored, */
    fix_checksum(a.b + h);                        /* but counted in the checksum */
    finish(&a);
    struct tar_entry e;
    assert_int_equal(tar_find(a.b, a.len, "v", &e), 0);
    assert_int_equal(e.size, 3);
    assert_int_equal(e.mtime, 0777777777777ull);
    assert_int_equal(e.mode, 0644);
    /* A historic signed checksum is accepted too. */
    int ssum = 0;
    uint8_t *hd = a.b + h;
    memset(hd + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        ssum += (int8_t)hd[i];
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06o", ssum);
    memcpy(hd + 148, tmp, 6);
    hd[154] = '\0';
    assert_int_equal(tar_find(a.b, a.len, "v", &e), 0);
}

/* ------------------------------------------------------------ malformed */

/* Build a one-file archive, let edit() damage the header (then optionally
 * fix the checksum), and expect -MOS_EINVAL from both tar_next and tar_find. */
static void expect_bad(void (*edit)(uint8_t *h), bool fix)
{
    static struct arch a;
    memset(&a, 0, sizeof a);
    size_t h = add(&a, NULL, "file", '0', "data", 4, 0644, NULL);
    finish(&a);
    edit(a.b + h);
    if (fix)
        fix_checksum(a.b + h);
    uint8_t *p = copy_exact(&a, a.len);
    struct tar_entry e;
    size_t pos = 0;
    assert_int_equal(tar_next(p, a.len, &pos, &e), -MOS_EINVAL);
    assert_int_equal(pos, 0);
    assert_int_equal(tar_find(p, a.len, "file", &e), -MOS_EINVAL);
    free(p);
}

static void edit_name_byte(uint8_t *h) { h[0] = 'F'; }
static void edit_checksum_digit(uint8_t *h) { h[150] = '9'; }
static void edit_checksum_empty(uint8_t *h) { memset(h + 148, 0, 8); }
static void edit_size_nonoctal(uint8_t *h) { h[134] = '8'; }
static void edit_size_letter(uint8_t *h) { h[130] = 'x'; }
static void edit_size_junk_after(uint8_t *h) { memcpy(h + 124, "4\0x", 3); }
static void edit_size_empty(uint8_t *h) { memset(h + 124, 0, 12); }
static void edit_size_spaces(uint8_t *h) { memset(h + 124, ' ', 12); }
static void edit_size_base256(uint8_t *h) { memset(h + 124, 0, 12); h[124] = 0x80; h[135] = 4; }
/* The archive is 2048 bytes; data starts at 512. */
static void edit_size_beyond(uint8_t *h) { put_octal(h + 124, 12, 2048 - 512 + 1); }
static void edit_size_huge(uint8_t *h) { memcpy(h + 124, "777777777777", 12); }
static void edit_mode_nonoctal(uint8_t *h) { h[101] = '9'; }
static void edit_mtime_minus(uint8_t *h) { h[136] = '-'; }
static void edit_magic(uint8_t *h) { memcpy(h + 257, "ustaR", 5); }
static void edit_magic_6th(uint8_t *h) { h[262] = 'x'; }
static void edit_name_empty(uint8_t *h) { memset(h, 0, 100); }
static void edit_name_dot(uint8_t *h) { memcpy(h, "./\0", 3); }   /* root, but a regular file */

static void malformed_headers_rejected(void **state)
{
    (void)state;
    expect_bad(edit_name_byte, false);
    expect_bad(edit_checksum_digit, false);
    expect_bad(edit_checksum_empty, false);
    expect_bad(edit_size_nonoctal, true);
    expect_bad(edit_size_letter, true);
    expect_bad(edit_size_junk_after, true);
    expect_bad(edit_size_empty, true);
    expect_bad(edit_size_spaces, true);
    expect_bad(edit_size_base256, true);
    expect_bad(edit_size_beyond, true);
    expect_bad(edit_size_huge, true);
    expect_bad(edit_mode_nonoctal, true);
    expect_bad(edit_mtime_minus, true);
    expect_bad(edit_magic, true);
    expect_bad(edit_magic_6th, true);
    expect_bad(edit_name_empty, true);
    expect_bad(edit_name_dot, true);
}

static void missing_terminator_rejected(void **state)
{
    (void)state;
    static struct arch a;
    struct tar_entry e;
    size_t pos;
    /* No zero block at all, one zero block, one zero block then junk. */
    for (int variant = 0; variant < 3; variant++) {
        memset(&a, 0, sizeof a);
        add(&a, NULL, "f", '0', "x", 1, 0644, NULL);
        if (variant >= 1)
            a.len += 512;
        if (variant == 2) {
            memset(a.b + a.len, 0x41, 512);
            a.len += 512;
        }
        uint8_t *p = copy_exact(&a, a.len);
        pos = 0;
        assert_int_equal(tar_next(p, a.len, &pos, &e), 1);
        assert_int_equal(tar_next(p, a.len, &pos, &e), -MOS_EINVAL);
        assert_int_equal(tar_find(p, a.len, "f", &e), -MOS_EINVAL);
        free(p);
    }
    /* An archive shorter than one block, and an empty one. */
    memset(&a, 0, sizeof a);
    for (size_t len = 0; len < 1024; len += 100) {
        uint8_t *p = copy_exact(&a, len);
        pos = 0;
        assert_int_equal(tar_next(p, len, &pos, &e), -MOS_EINVAL);
        free(p);
    }
    /* A position beyond the end. */
    finish(&a);
    pos = a.len + 512;
    assert_int_equal(tar_next(a.b, a.len, &pos, &e), -MOS_EINVAL);
}

/* Walk the whole archive; returns the final tar_next result. */
static int walk(const uint8_t *p, size_t len, unsigned *entries)
{
    struct tar_entry e;
    size_t pos = 0;
    int r;
    *entries = 0;
    while ((r = tar_next(p, len, &pos, &e)) == 1) {
        (*entries)++;
        assert_true(strlen(e.name) < TAR_NAME_MAX);
        assert_true(strlen(e.linkname) <= 100);
        const uint8_t *d = e.data;
        assert_true(d >= p + 512 && e.size <= (uint64_t)(p + len - d));
        assert_true(pos <= len && pos > e.header_offset);
        assert_int_equal(e.header_offset % 512, 0);
    }
    return r;
}

static void every_truncation_rejected(void **state)
{
    (void)state;
    static struct arch a;
    build_basic(&a);
    unsigned n;
    for (size_t len = 0; len < a.len; len++) {
        uint8_t *p = copy_exact(&a, len);
        int r = walk(p, len, &n);
        if (r != -MOS_EINVAL)
            fail_msg("truncation to %zu bytes: result %d after %u entries", len, r, n);
        free(p);
    }
    uint8_t *p = copy_exact(&a, a.len);
    assert_int_equal(walk(p, a.len, &n), 0);
    assert_int_equal(n, 7);
    free(p);
}

static void random_mutations_stay_in_bounds(void **state)
{
    (void)state;
    const char *env = getenv("TAR_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
    printf("# test_tar: TAR_SEED=%u\n", seed);
    unsigned rng = seed;
    static struct arch a, m;
    build_basic(&a);
    unsigned complete = 0;
    for (int iter = 0; iter < 4000; iter++) {
        m = a;
        unsigned flips = 1 + (unsigned)rand_r(&rng) % 8;
        for (unsigned k = 0; k < flips; k++) {
            size_t at = (size_t)rand_r(&rng) % m.len;
            if (rand_r(&rng) % 2)
                m.b[at] = (uint8_t)rand_r(&rng);
            else
                m.b[at] ^= (uint8_t)(1u << (rand_r(&rng) % 8));
        }
        if (rand_r(&rng) % 4 == 0) {   /* make the damage pass the checksum */
            for (size_t h = 0; h + 512 <= m.len; h += 512) {
                if (memcmp(m.b + h + 257, "ustar", 5) == 0)
                    fix_checksum(m.b + h);
            }
        }
        if (rand_r(&rng) % 8 == 0)
            m.len = (size_t)rand_r(&rng) % (m.len + 1);
        uint8_t *p = copy_exact(&m, m.len);
        unsigned n;
        int r = walk(p, m.len, &n);
        if (r != 0 && r != -MOS_EINVAL)
            fail_msg("seed %u iteration %d: result %d", seed, iter, r);
        if (r == 0)
            complete++;
        struct tar_entry e;
        int f = tar_find(p, m.len, "bin/hello", &e);
        if (f == 0)
            assert_string_equal(e.name, "bin/hello");
        else if (f != -MOS_ENOENT && f != -MOS_EINVAL)
            fail_msg("seed %u iteration %d: tar_find %d", seed, iter, f);
        free(p);
    }
    assert_true(complete > 0);   /* flips in file data leave archives valid */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iterates_every_entry),
        cmocka_unit_test(file_data_and_links_are_exposed),
        cmocka_unit_test(lookup_normalizes_paths),
        cmocka_unit_test(later_duplicate_wins),
        cmocka_unit_test(empty_archive_and_gnu_magic),
        cmocka_unit_test(field_variants_accepted),
        cmocka_unit_test(malformed_headers_rejected),
        cmocka_unit_test(missing_terminator_rejected),
        cmocka_unit_test(every_truncation_rejected),
        cmocka_unit_test(random_mutations_stay_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
