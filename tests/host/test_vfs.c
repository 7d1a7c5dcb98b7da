// SPDX-License-Identifier: MIT
/* test_vfs.c - user/servers/vfs/vfs.c, the namespace: the mount table ("/"
 * the archive, "/tmp" the tmpfs, "tmp" listed in "/"), permissions
 * (-MOS_EROFS for every write under "/", open flags, read/write rights of a
 * handle), the per-session handle tables (private to their badge, full at
 * VFS_SESSION_FILES, stale after close and after a restart with another
 * epoch), sessions made by vfs_connect() (the mint callback, badges,
 * vfs_disconnect() by whom, handles released, children passed up), and
 * the statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "vfs.h"
#include "vfs_tarbuild.h"

#define A 0x100u                /* session badges of two ordinary clients */
#define B 0x200u

static struct tb arch;
static uint8_t *arch_copy;
static struct vfs v;
static long mint_result;        /* what the fake mint returns (>= 0: a handle) */
static uint64_t minted[8];
static unsigned nminted;

static long fake_mint(void *ctx, uint64_t badge)
{
    assert_ptr_equal(ctx, &v);
    if (mint_result < 0)
        return mint_result;
    if (nminted < 8)
        minted[nminted] = badge;
    nminted++;
    return mint_result;
}

static void build(int with_tmp)
{
    tb_reset(&arch);
    tb_add(&arch, "bin/hello", '0', "ELF...", 6, 0755, NULL);
    tb_add(&arch, "etc/motd", '0', "welcome\n", 8, 0644, NULL);
    if (with_tmp)
        tb_add(&arch, "tmp/", '5', NULL, 0, 0777, NULL);
    tb_finish(&arch);
    arch_copy = tb_copy(&arch);
}

static int setup_epoch(uint32_t epoch, int with_tmp)
{
    build(with_tmp);
    mint_result = 77;
    nminted = 0;
    assert_int_equal(vfs_init(&v, arch_copy, arch.len, epoch, fake_mint, &v), 0);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return setup_epoch(12345, 0);
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(tmpfs_check(&v.tmp), 0);
    vfs_fini(&v);
    free(arch_copy);
    return 0;
}

static long open_ok(uint64_t badge, const char *path, uint32_t flags)
{
    long h = vfs_open(&v, badge, path, flags);
    if (h < 0)
        fail_msg("open %s 0x%x: %ld", path, flags, h);
    return h;
}

static void mounts_and_root_listing(void **state)
{
    (void)state;
    struct vfs_stat st;
    assert_int_equal(vfs_stat(&v, "/", &st), 0);
    assert_int_equal(st.type, VFS_TYPE_DIR);
    assert_int_equal(st.size, 3);                 /* bin, etc, tmp */
    assert_int_equal(vfs_stat(&v, "/tmp", &st), 0);
    assert_int_equal(st.type, VFS_TYPE_DIR);
    assert_int_equal(st.writable, 1);
    assert_int_equal(vfs_stat(&v, "/etc/motd", &st), 0);
    assert_int_equal(st.size, 8);
    assert_int_equal(st.writable, 0);
    assert_int_equal(vfs_stat(&v, "etc//./motd/", &st), 0);
    assert_int_equal(vfs_stat(&v, "/tmp/../etc/motd", &st), 0);
    assert_int_equal(vfs_stat(&v, "/nope", &st), -MOS_ENOENT);
    assert_int_equal(vfs_stat(&v, "/etc/motd/x", &st), -MOS_ENOTDIR);
    assert_int_equal(vfs_stat(&v, "/..", &st), -MOS_EINVAL);
    assert_int_equal(vfs_stat(&v, "/tmp/../../etc", &st), -MOS_EINVAL);
    assert_int_equal(vfs_stat(&v, "", &st), -MOS_EINVAL);
    char longname[VFS_NAME_MAX + 2] = "/";
    memset(longname + 1, 'x', VFS_NAME_MAX);
    longname[VFS_NAME_MAX + 1] = '\0';
    assert_int_equal(vfs_stat(&v, longname, &st), -MOS_ENAMETOOLONG);
    assert_int_equal(vfs_stat(&v, "/tmpx", &st), -MOS_ENOENT);       /* not the mount */

    long d = open_ok(A, "/", VFS_O_DIR);
    struct vfs_dirent e;
    const char *want[] = { "bin", "etc", "tmp" };
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(vfs_readdir(&v, A, d, i, &e), 0);
        assert_string_equal(e.name, want[i]);
        assert_int_equal(e.type, VFS_TYPE_DIR);
    }
    assert_int_equal(vfs_readdir(&v, A, d, 3, &e), -MOS_ENOENT);
    long f = open_ok(A, "/tmp/new", VFS_O_WRITE | VFS_O_CREATE);
    assert_int_equal(vfs_readdir(&v, A, d, 2, &e), 0);
    assert_int_equal(e.size, 1);                  /* what /tmp holds now */
    long t = open_ok(A, "/tmp", VFS_O_DIR);
    assert_int_equal(vfs_readdir(&v, A, t, 0, &e), 0);
    assert_string_equal(e.name, "new");
    assert_int_equal(vfs_close(&v, A, f), 0);
    assert_int_equal(vfs_close(&v, A, t), 0);
    assert_int_equal(vfs_close(&v, A, d), 0);
}

static void archive_with_its_own_tmp(void **state)
{
    (void)state;
    vfs_fini(&v);
    free(arch_copy);
    setup_epoch(1, 1);
    struct vfs_stat st;
    assert_int_equal(vfs_stat(&v, "/", &st), 0);
    assert_int_equal(st.size, 3);                 /* "tmp" once */
    long d = open_ok(A, "/", VFS_O_DIR);
    struct vfs_dirent e;
    unsigned tmps = 0, i = 0;
    while (vfs_readdir(&v, A, d, i++, &e) == 0)
        tmps += strcmp(e.name, "tmp") == 0;
    assert_int_equal(tmps, 1);
    assert_int_equal(i, 4);
    assert_int_equal(vfs_stat(&v, "/tmp", &st), 0);
    assert_int_equal(st.writable, 1);             /* the mount hides the archive's */
    assert_int_equal(vfs_close(&v, A, d), 0);
}

static void read_only_root(void **state)
{
    (void)state;
    assert_int_equal(vfs_open(&v, A, "/etc/motd", VFS_O_WRITE), -MOS_EROFS);
    assert_int_equal(vfs_open(&v, A, "/etc/motd", VFS_O_READ | VFS_O_WRITE), -MOS_EROFS);
    assert_int_equal(vfs_open(&v, A, "/etc/new", VFS_O_WRITE | VFS_O_CREATE), -MOS_EROFS);
    assert_int_equal(vfs_open(&v, A, "/etc/new", VFS_O_READ | VFS_O_CREATE), -MOS_EROFS);
    assert_int_equal(vfs_mkdir(&v, "/newdir"), -MOS_EROFS);
    assert_int_equal(vfs_mkdir(&v, "/"), -MOS_EROFS);
    assert_int_equal(vfs_unlink(&v, "/etc/motd"), -MOS_EROFS);
    assert_int_equal(vfs_rename(&v, "/etc/motd", "/etc/m2"), -MOS_EROFS);
    assert_int_equal(vfs_rename(&v, "/etc/motd", "/tmp/m"), -MOS_EROFS);
    long f = open_ok(A, "/tmp/x", VFS_O_WRITE | VFS_O_CREATE);
    assert_int_equal(vfs_rename(&v, "/tmp/x", "/x"), -MOS_EROFS);
    assert_int_equal(vfs_close(&v, A, f), 0);
    /* Reading works. */
    long h = open_ok(A, "/etc/motd", VFS_O_READ);
    char buf[16] = { 0 };
    assert_int_equal(vfs_read(&v, A, h, 0, buf, sizeof buf), 8);
    assert_string_equal(buf, "welcome\n");
    assert_int_equal(vfs_read(&v, A, h, 3, buf, 2), 2);
    assert_memory_equal(buf, "co", 2);
    assert_int_equal(vfs_read(&v, A, h, 8, buf, 2), 0);
    assert_int_equal(vfs_write(&v, A, h, 0, "x", 1), -MOS_EPERM);
    struct vfs_stat st;
    assert_int_equal(vfs_fstat(&v, A, h, &st), 0);
    assert_int_equal(st.size, 8);
    assert_int_equal(st.mode, 0644);
    assert_int_equal(vfs_close(&v, A, h), 0);
}

static void open_flags_and_types(void **state)
{
    (void)state;
    assert_int_equal(vfs_open(&v, A, "/etc", VFS_O_READ), -MOS_EISDIR);
    assert_int_equal(vfs_open(&v, A, "/tmp", VFS_O_READ), -MOS_EISDIR);
    assert_int_equal(vfs_open(&v, A, "/etc/motd", VFS_O_DIR), -MOS_ENOTDIR);
    assert_int_equal(vfs_open(&v, A, "/etc/motd", 0x1000), -MOS_EINVAL);
    assert_int_equal(vfs_open(&v, A, "/tmp/f", VFS_O_TRUNC), -MOS_EINVAL);
    assert_int_equal(vfs_open(&v, A, "/tmp/f", VFS_O_APPEND | VFS_O_READ), -MOS_EINVAL);
    assert_int_equal(vfs_open(&v, A, "/tmp", VFS_O_DIR | VFS_O_WRITE), -MOS_EINVAL);
    assert_int_equal(vfs_open(&v, A, "/tmp/f", VFS_O_READ), -MOS_ENOENT);
    assert_int_equal(vfs_open(&v, A, "/tmp/nodir/f", VFS_O_WRITE | VFS_O_CREATE), -MOS_ENOENT);
    assert_int_equal(vfs_open(&v, A, "/tmp/../..", VFS_O_READ), -MOS_EINVAL);
    assert_int_equal(v.nsessions, 0);             /* failed opens leave no session behind */
    /* flags 0 = read */
    long h = open_ok(A, "/etc/motd", 0);
    char c;
    assert_int_equal(vfs_read(&v, A, h, 0, &c, 1), 1);
    assert_int_equal(vfs_readdir(&v, A, h, 0, &(struct vfs_dirent){ 0 }), -MOS_ENOTDIR);
    assert_int_equal(vfs_close(&v, A, h), 0);
    long d = open_ok(A, "/bin", VFS_O_DIR | VFS_O_READ);
    assert_int_equal(vfs_read(&v, A, d, 0, &c, 1), -MOS_EISDIR);
    assert_int_equal(vfs_write(&v, A, d, 0, &c, 1), -MOS_EISDIR);
    assert_int_equal(vfs_close(&v, A, d), 0);
}

static void tmp_files_through_handles(void **state)
{
    (void)state;
    assert_int_equal(vfs_mkdir(&v, "/tmp/d"), 0);
    assert_int_equal(vfs_mkdir(&v, "/tmp/d"), -MOS_EEXIST);
    assert_int_equal(vfs_mkdir(&v, "/tmp"), -MOS_EEXIST);
    long w = open_ok(A, "/tmp/d/f", VFS_O_WRITE | VFS_O_CREATE);
    assert_int_equal(vfs_write(&v, A, w, 0, "abc", 3), 3);
    char buf[16];
    assert_int_equal(vfs_read(&v, A, w, 0, buf, 3), -MOS_EPERM);     /* write-only */
    long ap = open_ok(A, "/tmp/d/f", VFS_O_WRITE | VFS_O_APPEND);
    assert_int_equal(vfs_write(&v, A, ap, 0, "de", 2), 2);           /* offset ignored */
    assert_int_equal(vfs_write(&v, A, ap, 100, "f", 1), 1);
    long r = open_ok(B, "/tmp/d/f", VFS_O_READ);
    memset(buf, 0, sizeof buf);
    assert_int_equal(vfs_read(&v, B, r, 0, buf, sizeof buf), 6);
    assert_string_equal(buf, "abcdef");
    assert_int_equal(vfs_write(&v, B, r, 0, "x", 1), -MOS_EPERM);    /* read-only */
    /* Truncate on open. */
    long t = open_ok(B, "/tmp/d/f", VFS_O_WRITE | VFS_O_TRUNC);
    struct vfs_stat st;
    assert_int_equal(vfs_fstat(&v, B, r, &st), 0);
    assert_int_equal(st.size, 0);
    assert_int_equal(vfs_read(&v, B, r, 0, buf, sizeof buf), 0);
    /* Unlink while open: the handles keep it; the name is free. */
    assert_int_equal(vfs_write(&v, B, t, 0, "kept", 4), 4);
    assert_int_equal(vfs_unlink(&v, "/tmp/d"), -MOS_ENOTEMPTY);
    assert_int_equal(vfs_unlink(&v, "/tmp/d/f"), 0);
    assert_int_equal(vfs_stat(&v, "/tmp/d/f", &st), -MOS_ENOENT);
    assert_int_equal(vfs_read(&v, B, r, 0, buf, sizeof buf), 4);
    assert_int_equal(vfs_unlink(&v, "/tmp/d"), 0);
    assert_int_equal(vfs_unlink(&v, "/tmp"), -MOS_EBUSY);
    uint64_t s[3];
    vfs_stats(&v, s);
    assert_int_equal(s[0], 4);
    assert_int_equal(s[1], 2);
    assert_int_equal(s[2], 4);
    assert_int_equal(vfs_close(&v, A, w), 0);
    assert_int_equal(vfs_close(&v, A, ap), 0);
    assert_int_equal(vfs_close(&v, B, r), 0);
    assert_int_equal(vfs_close(&v, B, t), 0);
    vfs_stats(&v, s);
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 0);                    /* sessions without handles go */
    assert_int_equal(s[2], 0);                    /* the unlinked file's bytes too */
    /* Rename within /tmp. */
    long n = open_ok(A, "/tmp/a", VFS_O_WRITE | VFS_O_CREATE);
    assert_int_equal(vfs_close(&v, A, n), 0);
    assert_int_equal(vfs_rename(&v, "/tmp/a", "/tmp/b"), 0);
    assert_int_equal(vfs_stat(&v, "/tmp/b", &st), 0);
    assert_int_equal(vfs_rename(&v, "/tmp", "/tmp/c"), -MOS_EBUSY);
}

static void handles_are_private_and_bounded(void **state)
{
    (void)state;
    long h = open_ok(A, "/etc/motd", VFS_O_READ);
    char c;
    assert_int_equal(vfs_read(&v, B, h, 0, &c, 1), -MOS_EBADHANDLE); /* another session */
    assert_int_equal(vfs_close(&v, B, h), -MOS_EBADHANDLE);
    assert_int_equal(vfs_read(&v, A, -1, 0, &c, 1), -MOS_EBADHANDLE);
    assert_int_equal(vfs_read(&v, A, h + 1, 0, &c, 1), -MOS_EBADHANDLE);
    assert_int_equal(vfs_read(&v, A, h & 0xFF, 0, &c, 1), -MOS_EBADHANDLE); /* no epoch */
    assert_int_equal(vfs_read(&v, A, h | 0x40, 0, &c, 1), -MOS_EBADHANDLE); /* slot 64+ */
    assert_int_equal(vfs_fstat(&v, A, 0x7FFFFFFF, &(struct vfs_stat){ 0 }), -MOS_EBADHANDLE);
    assert_int_equal(vfs_close(&v, A, h), 0);
    assert_int_equal(vfs_close(&v, A, h), -MOS_EBADHANDLE);          /* closed */
    /* The table fills at VFS_SESSION_FILES; a close makes room. */
    long hs[VFS_SESSION_FILES];
    for (unsigned i = 0; i < VFS_SESSION_FILES; i++)
        hs[i] = open_ok(A, "/etc/motd", VFS_O_READ);
    assert_int_equal(vfs_open(&v, A, "/etc/motd", VFS_O_READ), -MOS_ENOSPC);
    assert_int_equal(vfs_open(&v, A, "/tmp/nofile", VFS_O_WRITE | VFS_O_CREATE), -MOS_ENOSPC);
    struct vfs_stat st;
    assert_int_equal(vfs_stat(&v, "/tmp/nofile", &st), -MOS_ENOENT);  /* not created */
    long other = open_ok(B, "/etc/motd", VFS_O_READ);                /* B has its own table */
    assert_int_equal(vfs_close(&v, A, hs[17]), 0);
    hs[17] = open_ok(A, "/etc/motd", VFS_O_READ);
    for (unsigned i = 0; i < VFS_SESSION_FILES; i++)
        assert_int_equal(vfs_close(&v, A, hs[i]), 0);
    assert_int_equal(vfs_close(&v, B, other), 0);
    assert_int_equal(v.nfiles, 0);
}

static void restart_makes_old_handles_stale(void **state)
{
    (void)state;
    long h = open_ok(A, "/etc/motd", VFS_O_READ);
    vfs_fini(&v);
    free(arch_copy);
    setup_epoch(54321, 0);                        /* "the VFS restarted" */
    long h2 = open_ok(A, "/bin/hello", VFS_O_READ);  /* takes the same slot */
    assert_int_equal(h2 & 0xFF, h & 0xFF);
    assert_int_not_equal(h2, h);
    char c;
    assert_int_equal(vfs_read(&v, A, h, 0, &c, 1), -MOS_EBADHANDLE);
    assert_int_equal(vfs_close(&v, A, h2), 0);
}

static void connect_and_disconnect(void **state)
{
    (void)state;
    uint64_t c1, c2, g;
    assert_int_equal(vfs_connect(&v, A, &c1), 77);   /* the minted handle */
    assert_int_equal(nminted, 1);
    assert_int_equal(minted[0], c1);
    assert_true(c1 & VFS_BADGE_TAG);
    assert_int_equal(vfs_connect(&v, A, &c2), 77);
    assert_int_not_equal(c1, c2);
    assert_int_equal(v.nsessions, 2);             /* connected sessions stay without handles */
    long h1 = open_ok(c1, "/etc/motd", VFS_O_READ);
    long h2 = open_ok(c2, "/tmp/f", VFS_O_WRITE | VFS_O_CREATE);
    assert_int_equal(vfs_write(&v, c2, h2, 0, "zz", 2), 2);
    /* c1 makes a grandchild g. */
    assert_int_equal(vfs_connect(&v, c1, &g), 77);
    long hg = open_ok(g, "/etc/motd", VFS_O_READ);
    /* Who may disconnect: not a stranger, not a sibling. */
    assert_int_equal(vfs_disconnect(&v, B, c1), -MOS_EPERM);
    assert_int_equal(vfs_disconnect(&v, c2, c1), -MOS_EPERM);
    assert_int_equal(vfs_disconnect(&v, A, g), -MOS_EPERM);          /* not its creator */
    /* The creator may: c1's handles go, g passes to A. */
    assert_int_equal(vfs_disconnect(&v, A, c1), 0);
    char c;
    assert_int_equal(vfs_read(&v, c1, h1, 0, &c, 1), -MOS_EBADHANDLE);
    assert_int_equal(vfs_read(&v, g, hg, 0, &c, 1), 1);
    assert_int_equal(vfs_disconnect(&v, A, g), 0);
    assert_int_equal(vfs_read(&v, g, hg, 0, &c, 1), -MOS_EBADHANDLE);
    /* A session may end itself; badge 0 (init) may end any. */
    assert_int_equal(vfs_disconnect(&v, 0, c2), 0);
    assert_int_equal(vfs_read(&v, c2, h2, 0, &c, 1), -MOS_EBADHANDLE);
    long ha = open_ok(A, "/etc/motd", VFS_O_READ);
    assert_int_equal(vfs_disconnect(&v, A, A), 0);
    assert_int_equal(vfs_close(&v, A, ha), -MOS_EBADHANDLE);
    assert_int_equal(vfs_disconnect(&v, A, 0xDEAD), 0);              /* no record: nothing to do */
    assert_int_equal(v.nsessions, 0);
    assert_int_equal(v.nfiles, 0);
    struct vfs_stat st;
    assert_int_equal(vfs_stat(&v, "/tmp/f", &st), 0);                /* files outlive sessions */
    /* A failing mint leaves nothing. */
    mint_result = -MOS_ENOSPC;
    assert_int_equal(vfs_connect(&v, A, &c1), -MOS_ENOSPC);
    assert_int_equal(v.nsessions, 0);
}

static void session_limit(void **state)
{
    (void)state;
    uint64_t b;
    for (unsigned i = 0; i < VFS_SESSIONS_MAX; i++)
        assert_int_equal(vfs_connect(&v, A, &b), 77);
    assert_int_equal(vfs_connect(&v, A, &b), -MOS_ENOSPC);
    assert_int_equal(vfs_open(&v, A, "/etc/motd", VFS_O_READ), -MOS_ENOSPC);
    assert_int_equal(vfs_disconnect(&v, A, b), 0);
    long h = open_ok(A, "/etc/motd", VFS_O_READ);
    assert_int_equal(vfs_close(&v, A, h), 0);
}

static void empty_root_without_archive(void **state)
{
    (void)state;
    vfs_fini(&v);
    assert_int_equal(vfs_init(&v, NULL, 0, 9, NULL, NULL), 0);
    struct vfs_stat st;
    assert_int_equal(vfs_stat(&v, "/", &st), 0);
    assert_int_equal(st.size, 1);                 /* just "tmp" */
    assert_int_equal(vfs_stat(&v, "/etc", &st), -MOS_ENOENT);
    uint64_t b;
    assert_int_equal(vfs_connect(&v, A, &b), -MOS_ENOSYS);           /* no mint callback */
    long h = open_ok(A, "/tmp/x", VFS_O_CREATE | VFS_O_WRITE);
    assert_int_equal(vfs_close(&v, A, h), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mounts_and_root_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(archive_with_its_own_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_root, setup, teardown),
        cmocka_unit_test_setup_teardown(open_flags_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(tmp_files_through_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(handles_are_private_and_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_makes_old_handles_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_and_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(session_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_root_without_archive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
