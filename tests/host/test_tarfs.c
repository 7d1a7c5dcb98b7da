// SPDX-License-Identifier: MIT
/* test_tarfs.c - user/servers/vfs/tarfs.c over archives built here:
 * lookups of files and directories, directories implied by deeper paths
 * (the archive lists no directory at all), readdir and stat, reads at every
 * offset, names that cannot be served ("..", overlong components),
 * duplicates (the later entry wins), hard links, symlinks skipped, an
 * archive malformed half-way (what came before is served), and an empty
 * archive. Archives live in heap blocks of exactly their length (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "tarfs.h"
#include "vfs_tarbuild.h"

static struct tb a;

/* 63 characters each: the longest component the VFS serves. */
#define LONGDIR  "a-long-directory-name-that-needs-the-prefix-field-of-ustar-0123"
#define LONGFILE "and-a-long-file-name-so-that-the-whole-path-passes-100-bytes.tx"
#define TOOLONG  "a-component-of-sixty-four-characters-which-is-one-more-than-63xx"
_Static_assert(sizeof LONGDIR == 64 && sizeof LONGFILE == 64 && sizeof TOOLONG == 65, "name lengths");

static struct tarfs_node *get(struct tarfs *fs, const char *rel)
{
    struct tarfs_node *n = NULL;
    int r = tarfs_lookup(fs, rel, &n);
    if (r)
        fail_msg("lookup %s: %d", rel, r);
    return n;
}

static void lookup_and_read(void **state)
{
    (void)state;
    static uint8_t big[1500];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    tb_reset(&a);
    tb_add(&a, "./", '5', NULL, 0, 0755, NULL);
    tb_add(&a, "bin/", '5', NULL, 0, 0711, NULL);
    tb_add(&a, "bin/big", '0', big, sizeof big, 0755, NULL);
    tb_add(&a, "./etc/motd", '0', "hello\n", 6, 0644, NULL);
    tb_add(&a, "empty", '0', NULL, 0, 0600, NULL);
    tb_finish(&a);
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    assert_int_equal(fs.malformed, 0);
    assert_int_equal(fs.files, 3);
    assert_int_equal(fs.dirs, 2);               /* bin, and etc (implied) */

    struct tarfs_node *n = get(&fs, "bin/big"), *m;
    struct vfs_stat st;
    tarfs_stat(n, &st);
    assert_int_equal(st.type, VFS_TYPE_FILE);
    assert_int_equal(st.size, sizeof big);
    assert_int_equal(st.mode, 0755);
    assert_int_equal(st.mtime, 1234567);
    assert_int_equal(st.writable, 0);
    uint8_t buf[2000];
    assert_int_equal(tarfs_read(n, 0, buf, sizeof buf), (long)sizeof big);
    assert_memory_equal(buf, big, sizeof big);
    for (uint64_t off = 0; off <= sizeof big + 3; off += 97) {
        long want = off >= sizeof big ? 0 : (long)(sizeof big - off < 100 ? sizeof big - off : 100);
        assert_int_equal(tarfs_read(n, off, buf, 100), want);
        if (want)
            assert_memory_equal(buf, big + off, (size_t)want);
    }
    assert_int_equal(tarfs_read(n, UINT64_MAX, buf, 10), 0);
    tarfs_stat(get(&fs, "bin"), &st);
    assert_int_equal(st.type, VFS_TYPE_DIR);
    assert_int_equal(st.mode, 0711);
    assert_int_equal(st.size, 1);               /* entries */
    assert_int_equal(tarfs_read(get(&fs, "bin"), 0, buf, 1), -MOS_EISDIR);
    assert_ptr_equal(get(&fs, ""), &fs.root);
    tarfs_stat(get(&fs, "empty"), &st);
    assert_int_equal(st.size, 0);
    assert_int_equal(tarfs_read(get(&fs, "empty"), 0, buf, 1), 0);
    assert_int_equal(tarfs_lookup(&fs, "nope", &m), -MOS_ENOENT);
    assert_int_equal(tarfs_lookup(&fs, "bin/nope", &m), -MOS_ENOENT);
    assert_int_equal(tarfs_lookup(&fs, "etc/motd/x", &m), -MOS_ENOTDIR);
    char buf2[8] = { 0 };
    assert_int_equal(tarfs_read(get(&fs, "etc/motd"), 0, buf2, 7), 6);
    assert_string_equal(buf2, "hello\n");
    tarfs_unmount(&fs);
    free(p);
}

static void implied_directories_and_readdir(void **state)
{
    (void)state;
    tb_reset(&a);
    /* Not one directory entry. */
    tb_add(&a, "usr/share/doc/readme", '0', "r", 1, 0644, NULL);
    tb_add(&a, "usr/bin/tool", '0', "tt", 2, 0755, NULL);
    tb_add(&a, "top", '0', "x", 1, 0644, NULL);
    tb_add(&a, "usr/share/" LONGDIR "/" LONGFILE, '0', "xyz", 3, 0644, NULL);   /* uses the prefix field */
    tb_add(&a, "usr/" TOOLONG "/x", '0', "n", 1, 0644, NULL);                  /* a component too long */
    tb_finish(&a);
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    struct tarfs_node *usr = get(&fs, "usr");
    assert_int_equal(usr->type, VFS_TYPE_DIR);
    assert_int_equal(usr->mode, 0755);
    assert_int_equal(get(&fs, "usr/share/doc")->type, VFS_TYPE_DIR);
    struct vfs_dirent d;
    assert_int_equal(tarfs_readdir(&fs.root, 0, &d), 0);
    assert_string_equal(d.name, "usr");
    assert_int_equal(d.type, VFS_TYPE_DIR);
    assert_int_equal(d.size, 2);
    assert_int_equal(tarfs_readdir(&fs.root, 1, &d), 0);
    assert_string_equal(d.name, "top");
    assert_int_equal(d.type, VFS_TYPE_FILE);
    assert_int_equal(d.size, 1);
    assert_int_equal(tarfs_readdir(&fs.root, 2, &d), -MOS_ENOENT);
    assert_int_equal(tarfs_readdir(get(&fs, "top"), 0, &d), -MOS_ENOTDIR);
    assert_int_equal(tarfs_readdir(usr, 0, &d), 0);
    assert_string_equal(d.name, "share");
    assert_int_equal(tarfs_readdir(usr, 1, &d), 0);
    assert_string_equal(d.name, "bin");
    assert_int_equal(get(&fs, "usr/share/" LONGDIR "/" LONGFILE)->size, 3);
    assert_int_equal(fs.skipped, 1);
    struct tarfs_node *n;
    assert_int_equal(tarfs_lookup(&fs, "usr/" TOOLONG, &n), -MOS_ENAMETOOLONG);
    tarfs_unmount(&fs);
    free(p);
}

static void unservable_and_odd_entries(void **state)
{
    (void)state;
    char longname[VFS_NAME_MAX + 8];
    memset(longname, 'L', VFS_NAME_MAX);
    longname[VFS_NAME_MAX] = '\0';
    tb_reset(&a);
    tb_add(&a, "../evil", '0', "e", 1, 0644, NULL);           /* above the root */
    tb_add(&a, "a/../../evil2", '0', "e", 1, 0644, NULL);
    tb_add(&a, longname, '0', "l", 1, 0644, NULL);            /* component too long */
    tb_add(&a, "ok/./x//y", '0', "y", 1, 0644, NULL);         /* odd but fine: ok/x/y */
    tb_add(&a, "a/../b", '0', "b", 1, 0644, NULL);            /* fine: b */
    tb_add(&a, "link", '2', NULL, 0, 0777, "b");               /* symlink: skipped */
    tb_add(&a, "dev", '3', NULL, 0, 0600, NULL);               /* device: skipped */
    tb_add(&a, "hard", '1', NULL, 0, 0644, "b");               /* hard link: a copy of b */
    tb_add(&a, "hard2", '1', NULL, 0, 0644, "missing");        /* to nothing: skipped */
    tb_finish(&a);
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    struct tarfs_node *n;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    assert_int_equal(fs.skipped, 6);
    assert_int_equal(tarfs_lookup(&fs, "evil", &n), -MOS_ENOENT);
    assert_int_equal(tarfs_lookup(&fs, "evil2", &n), -MOS_ENOENT);
    assert_int_equal(get(&fs, "ok/x/y")->size, 1);
    char c = 0;
    assert_int_equal(tarfs_read(get(&fs, "b"), 0, &c, 1), 1);
    assert_int_equal(c, 'b');
    c = 0;
    assert_int_equal(tarfs_read(get(&fs, "hard"), 0, &c, 1), 1);
    assert_int_equal(c, 'b');
    assert_int_equal(tarfs_lookup(&fs, "link", &n), -MOS_ENOENT);
    assert_int_equal(tarfs_lookup(&fs, longname, &n), -MOS_ENAMETOOLONG);
    /* "a" was implied by "a/../../evil2"? No: that name was refused whole. */
    assert_int_equal(tarfs_lookup(&fs, "a", &n), -MOS_ENOENT);
    tarfs_unmount(&fs);
    free(p);
}

static void duplicates_later_wins(void **state)
{
    (void)state;
    tb_reset(&a);
    tb_add(&a, "f", '0', "old", 3, 0644, NULL);
    tb_add(&a, "f", '0', "newer", 5, 0600, NULL);
    tb_add(&a, "x", '0', "file", 4, 0644, NULL);
    tb_add(&a, "x/inside", '0', "i", 1, 0644, NULL);           /* x becomes a directory */
    tb_add(&a, "d/child", '0', "c", 1, 0644, NULL);
    tb_add(&a, "d", '0', "notdir", 6, 0644, NULL);             /* d has children: stays a dir */
    tb_add(&a, "e/", '5', NULL, 0, 0700, NULL);
    tb_add(&a, "e", '0', "now a file", 10, 0644, NULL);        /* empty dir: becomes a file */
    tb_finish(&a);
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    struct tarfs_node *f = get(&fs, "f");
    assert_int_equal(f->size, 5);
    assert_int_equal(f->mode, 0600);
    assert_int_equal(get(&fs, "x")->type, VFS_TYPE_DIR);
    assert_int_equal(get(&fs, "x/inside")->size, 1);
    assert_int_equal(get(&fs, "d")->type, VFS_TYPE_DIR);
    assert_int_equal(fs.skipped, 1);
    assert_int_equal(get(&fs, "e")->type, VFS_TYPE_FILE);
    assert_int_equal(get(&fs, "e")->size, 10);
    assert_int_equal(fs.root.nchildren, 4);
    assert_int_equal(fs.files, 4);                              /* f, x/inside, d/child, e */
    assert_int_equal(fs.dirs, 2);                               /* x, d */
    tarfs_unmount(&fs);
    free(p);
}

static void malformed_half_way(void **state)
{
    (void)state;
    tb_reset(&a);
    tb_add(&a, "good", '0', "g", 1, 0644, NULL);
    size_t bad = a.len;
    tb_add(&a, "bad", '0', "b", 1, 0644, NULL);
    tb_add(&a, "after", '0', "a", 1, 0644, NULL);
    tb_finish(&a);
    a.b[bad + 148] ^= 1;                                        /* checksum broken */
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    struct tarfs_node *n;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    assert_int_equal(fs.malformed, 1);
    assert_int_equal(fs.malformed_at, bad);
    assert_int_equal(get(&fs, "good")->size, 1);
    assert_int_equal(tarfs_lookup(&fs, "after", &n), -MOS_ENOENT);
    tarfs_unmount(&fs);
    free(p);
    /* Every truncation: never a read outside, never a crash. */
    tb_reset(&a);
    tb_add(&a, "d/f", '0', "data", 4, 0644, NULL);
    tb_add(&a, "g", '0', "more", 4, 0644, NULL);
    tb_finish(&a);
    for (size_t len = 0; len <= a.len; len += 64) {
        p = tb_copy(&a);
        assert_int_equal(tarfs_mount(&fs, p, len), 0);
        tarfs_unmount(&fs);
        free(p);
    }
}

static void empty_archive(void **state)
{
    (void)state;
    tb_reset(&a);
    tb_finish(&a);
    uint8_t *p = tb_copy(&a);
    struct tarfs fs;
    struct vfs_dirent d;
    assert_int_equal(tarfs_mount(&fs, p, a.len), 0);
    assert_int_equal(fs.malformed, 0);
    assert_int_equal(tarfs_readdir(&fs.root, 0, &d), -MOS_ENOENT);
    tarfs_unmount(&fs);
    assert_int_equal(tarfs_mount(&fs, p, 0), 0);               /* no terminator at all */
    assert_int_equal(fs.malformed, 1);
    tarfs_unmount(&fs);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_and_read),
        cmocka_unit_test(implied_directories_and_readdir),
        cmocka_unit_test(unservable_and_odd_entries),
        cmocka_unit_test(duplicates_later_wins),
        cmocka_unit_test(malformed_half_way),
        cmocka_unit_test(empty_archive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
