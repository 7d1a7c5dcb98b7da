// SPDX-License-Identifier: MIT
/* test_tmpfs.c - user/servers/vfs/tmpfs.c: create, write, read, append
 * (write at the end), holes, truncate, mkdir, readdir, unlink (only empty
 * directories), rename (same and other directory, over files and empty
 * directories, never into its own subtree), the per-file, total and node
 * limits with all-or-nothing writes, unlinked files kept alive by handle
 * references, and a seeded random run (TMPFS_SEED=n) against tmpfs_check(). */
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
#include "tmpfs.h"

static struct tmpfs fs;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(tmpfs_init(&fs, 4096, 10000, 16), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(tmpfs_check(&fs), 0);
    tmpfs_fini(&fs);
    return 0;
}

static struct tmpfs_node *mk(const char *rel, uint32_t type)
{
    struct tmpfs_node *n = NULL;
    int r = tmpfs_create(&fs, rel, type, &n);
    if (r)
        fail_msg("create %s: %d", rel, r);
    return n;
}

static struct tmpfs_node *get(const char *rel)
{
    struct tmpfs_node *n = NULL;
    int r = tmpfs_lookup(&fs, rel, &n);
    if (r)
        fail_msg("lookup %s: %d", rel, r);
    return n;
}

static void create_write_read(void **state)
{
    (void)state;
    struct tmpfs_node *f = mk("f", VFS_TYPE_FILE), *n;
    assert_ptr_equal(get("f"), f);
    assert_int_equal(tmpfs_create(&fs, "f", VFS_TYPE_FILE, &n), -MOS_EEXIST);
    char buf[64];
    assert_int_equal(tmpfs_read(f, 0, buf, sizeof buf), 0);
    assert_int_equal(tmpfs_write(&fs, f, 0, "hello", 5), 5);
    assert_int_equal(tmpfs_write(&fs, f, 5, " world", 6), 6);     /* append */
    memset(buf, 0, sizeof buf);
    assert_int_equal(tmpfs_read(f, 0, buf, sizeof buf), 11);
    assert_string_equal(buf, "hello world");
    assert_int_equal(tmpfs_read(f, 6, buf, 3), 3);
    assert_memory_equal(buf, "wor", 3);
    assert_int_equal(tmpfs_read(f, 11, buf, 3), 0);
    assert_int_equal(tmpfs_read(f, 1000, buf, 3), 0);
    assert_int_equal(tmpfs_write(&fs, f, 0, "J", 1), 1);           /* overwrite in place */
    assert_int_equal(tmpfs_read(f, 0, buf, 5), 5);
    assert_memory_equal(buf, "Jello", 5);
    assert_int_equal(fs.bytes, 11);
    /* A hole reads as zeros. */
    assert_int_equal(tmpfs_write(&fs, f, 20, "z", 1), 1);
    assert_int_equal(tmpfs_read(f, 11, buf, 10), 10);
    for (int i = 0; i < 9; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(buf[9], 'z');
    assert_int_equal(fs.bytes, 21);
    struct vfs_stat st;
    tmpfs_stat(f, &st);
    assert_int_equal(st.size, 21);
    assert_int_equal(st.type, VFS_TYPE_FILE);
    assert_int_equal(st.writable, 1);
    assert_int_equal(tmpfs_check(&fs), 0);
}

static void truncate_shrinks_and_grows(void **state)
{
    (void)state;
    struct tmpfs_node *f = mk("t", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_write(&fs, f, 0, "abcdef", 6), 6);
    assert_int_equal(tmpfs_truncate(&fs, f, 2), 0);
    assert_int_equal(fs.bytes, 2);
    assert_int_equal(tmpfs_truncate(&fs, f, 5), 0);
    char buf[8];
    assert_int_equal(tmpfs_read(f, 0, buf, 8), 5);
    assert_memory_equal(buf, "ab\0\0\0", 5);                      /* old bytes do not come back */
    assert_int_equal(tmpfs_truncate(&fs, f, 0), 0);
    assert_int_equal(fs.bytes, 0);
    assert_int_equal(tmpfs_truncate(&fs, fs.root, 0), -MOS_EISDIR);
}

static void directories_and_readdir(void **state)
{
    (void)state;
    mk("d", VFS_TYPE_DIR);
    mk("d/e", VFS_TYPE_DIR);
    struct tmpfs_node *x = mk("d/x", VFS_TYPE_FILE), *n;
    assert_int_equal(tmpfs_write(&fs, x, 0, "123", 3), 3);
    mk("d/e/y", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_create(&fs, "nope/z", VFS_TYPE_FILE, &n), -MOS_ENOENT);
    assert_int_equal(tmpfs_create(&fs, "d/x/z", VFS_TYPE_FILE, &n), -MOS_ENOTDIR);
    assert_int_equal(tmpfs_lookup(&fs, "d/x/z", &n), -MOS_ENOTDIR);
    assert_int_equal(tmpfs_lookup(&fs, "d/q", &n), -MOS_ENOENT);
    assert_int_equal(tmpfs_create(&fs, "", VFS_TYPE_DIR, &n), -MOS_EINVAL);
    assert_ptr_equal(get(""), fs.root);
    struct vfs_dirent d;
    struct tmpfs_node *dir = get("d");
    assert_int_equal(tmpfs_readdir(dir, 0, &d), 0);
    assert_string_equal(d.name, "e");
    assert_int_equal(d.type, VFS_TYPE_DIR);
    assert_int_equal(d.size, 1);
    assert_int_equal(tmpfs_readdir(dir, 1, &d), 0);
    assert_string_equal(d.name, "x");
    assert_int_equal(d.type, VFS_TYPE_FILE);
    assert_int_equal(d.size, 3);
    assert_int_equal(tmpfs_readdir(dir, 2, &d), -MOS_ENOENT);
    assert_int_equal(tmpfs_readdir(dir, UINT64_MAX, &d), -MOS_ENOENT);
    assert_int_equal(tmpfs_readdir(x, 0, &d), -MOS_ENOTDIR);
    char buf[4];
    assert_int_equal(tmpfs_read(dir, 0, buf, 4), -MOS_EISDIR);
    assert_int_equal(tmpfs_write(&fs, dir, 0, buf, 4), -MOS_EISDIR);
}

static void unlink_rules(void **state)
{
    (void)state;
    mk("d", VFS_TYPE_DIR);
    struct tmpfs_node *f = mk("d/f", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_write(&fs, f, 0, "data", 4), 4);
    assert_int_equal(tmpfs_unlink(&fs, "d"), -MOS_ENOTEMPTY);
    assert_int_equal(tmpfs_unlink(&fs, "d/none"), -MOS_ENOENT);
    assert_int_equal(tmpfs_unlink(&fs, "d/f/x"), -MOS_ENOTDIR);
    assert_int_equal(tmpfs_unlink(&fs, ""), -MOS_EBUSY);
    assert_int_equal(tmpfs_unlink(&fs, "d/f"), 0);
    assert_int_equal(fs.bytes, 0);
    assert_int_equal(tmpfs_unlink(&fs, "d"), 0);
    assert_int_equal(fs.nodes, 1);
    assert_int_equal(fs.root->nchildren, 0);
}

static void unlinked_file_lives_while_open(void **state)
{
    (void)state;
    struct tmpfs_node *f = mk("f", VFS_TYPE_FILE), *n;
    assert_int_equal(tmpfs_write(&fs, f, 0, "keep", 4), 4);
    tmpfs_get(f);                           /* an open handle */
    assert_int_equal(tmpfs_unlink(&fs, "f"), 0);
    assert_int_equal(tmpfs_lookup(&fs, "f", &n), -MOS_ENOENT);
    assert_int_equal(fs.orphans, 1);
    assert_int_equal(tmpfs_check(&fs), 0);
    char buf[8];
    assert_int_equal(tmpfs_read(f, 0, buf, 8), 4);
    assert_int_equal(tmpfs_write(&fs, f, 4, "!!", 2), 2);
    assert_int_equal(fs.bytes, 6);
    assert_int_equal(tmpfs_check(&fs), 0);
    /* A new file of the same name is another file. */
    struct tmpfs_node *g = mk("f", VFS_TYPE_FILE);
    assert_ptr_not_equal(f, g);
    tmpfs_put(&fs, f);                      /* the last reference: freed */
    assert_int_equal(fs.orphans, 0);
    assert_int_equal(fs.bytes, 0);
    assert_int_equal(fs.nodes, 2);
}

static void rename_rules(void **state)
{
    (void)state;
    struct tmpfs_node *a = mk("a", VFS_TYPE_FILE), *n;
    assert_int_equal(tmpfs_write(&fs, a, 0, "AAA", 3), 3);
    mk("d", VFS_TYPE_DIR);
    mk("d/sub", VFS_TYPE_DIR);
    mk("e", VFS_TYPE_DIR);
    struct tmpfs_node *b = mk("b", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_write(&fs, b, 0, "B", 1), 1);

    /* Same directory, new name: keeps its place. */
    assert_int_equal(tmpfs_rename(&fs, "a", "a2"), 0);
    assert_ptr_equal(get("a2"), a);
    assert_string_equal(a->name, "a2");
    assert_int_equal(tmpfs_lookup(&fs, "a", &n), -MOS_ENOENT);
    assert_ptr_equal(fs.root->children[0], a);
    /* Into another directory. */
    assert_int_equal(tmpfs_rename(&fs, "a2", "d/a3"), 0);
    assert_ptr_equal(get("d/a3"), a);
    assert_ptr_equal(a->parent, get("d"));
    /* Over an existing file: replaces it (its bytes go). */
    assert_int_equal(fs.bytes, 4);
    assert_int_equal(tmpfs_rename(&fs, "b", "d/a3"), 0);
    assert_ptr_equal(get("d/a3"), b);
    assert_int_equal(fs.bytes, 1);
    /* Same directory over an existing entry, both orders of the slots. */
    mk("d/p", VFS_TYPE_FILE);
    mk("d/q", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_rename(&fs, "d/q", "d/p"), 0);
    assert_int_equal(tmpfs_check(&fs), 0);
    mk("d/r", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_rename(&fs, "d/sub", "d/zz"), 0);
    assert_int_equal(tmpfs_rename(&fs, "d/a3", "d/r"), 0);
    assert_int_equal(tmpfs_check(&fs), 0);
    assert_ptr_equal(get("d/r"), b);
    /* Errors. */
    assert_int_equal(tmpfs_rename(&fs, "none", "x"), -MOS_ENOENT);
    assert_int_equal(tmpfs_rename(&fs, "d/r", "none/x"), -MOS_ENOENT);
    assert_int_equal(tmpfs_rename(&fs, "d/r", "d/r/x"), -MOS_ENOTDIR);
    assert_int_equal(tmpfs_rename(&fs, "d/r", "e"), -MOS_EISDIR);
    assert_int_equal(tmpfs_rename(&fs, "e", "d/r"), -MOS_ENOTDIR);
    assert_int_equal(tmpfs_rename(&fs, "d", "d/zz/inside"), -MOS_EINVAL);
    assert_int_equal(tmpfs_rename(&fs, "d", "d/x"), -MOS_EINVAL);
    assert_int_equal(tmpfs_rename(&fs, "", "x"), -MOS_EBUSY);
    assert_int_equal(tmpfs_rename(&fs, "e", ""), -MOS_EBUSY);
    assert_int_equal(tmpfs_rename(&fs, "e", "d"), -MOS_ENOTEMPTY);
    /* A directory over an empty one. */
    mk("f", VFS_TYPE_DIR);
    struct tmpfs_node *e = get("e");
    assert_int_equal(tmpfs_rename(&fs, "e", "f"), 0);
    assert_ptr_equal(get("f"), e);
    assert_int_equal(tmpfs_lookup(&fs, "e", &n), -MOS_ENOENT);
    /* Onto itself: nothing happens. */
    assert_int_equal(tmpfs_rename(&fs, "f", "f"), 0);
    assert_ptr_equal(get("f"), e);
    assert_int_equal(tmpfs_check(&fs), 0);
}

static void limits_all_or_nothing(void **state)
{
    (void)state;
    static uint8_t big[8192];
    memset(big, 'x', sizeof big);
    struct tmpfs_node *f = mk("f", VFS_TYPE_FILE), *g = mk("g", VFS_TYPE_FILE), *n;
    /* Per file: 4096 bytes. */
    assert_int_equal(tmpfs_write(&fs, f, 0, big, 4096), 4096);
    assert_int_equal(tmpfs_write(&fs, f, 4096, big, 1), -MOS_ENOSPC);
    assert_int_equal(tmpfs_write(&fs, f, 4000, big, 97), -MOS_ENOSPC);
    assert_int_equal(tmpfs_write(&fs, f, UINT64_MAX - 2, big, 8), -MOS_ENOSPC);
    assert_int_equal(tmpfs_truncate(&fs, f, 4097), -MOS_ENOSPC);
    assert_int_equal(f->size, 4096);
    /* Total: 10000 bytes. */
    assert_int_equal(tmpfs_write(&fs, g, 0, big, 4096), 4096);
    struct tmpfs_node *h = mk("h", VFS_TYPE_FILE);
    assert_int_equal(tmpfs_write(&fs, h, 0, big, 1809), -MOS_ENOSPC);
    assert_int_equal(h->size, 0);
    assert_int_equal(tmpfs_write(&fs, h, 0, big, 1808), 1808);
    assert_int_equal(fs.bytes, 10000);
    assert_int_equal(tmpfs_write(&fs, h, 1808, big, 1), -MOS_ENOSPC);
    assert_int_equal(tmpfs_write(&fs, h, 0, "y", 1), 1);          /* within the size: fine */
    assert_int_equal(tmpfs_unlink(&fs, "g"), 0);
    assert_int_equal(tmpfs_write(&fs, h, 1808, big, 1), 1);
    /* Nodes: 16 with the root. */
    char name[16];
    int made = 0;
    for (int i = 0; i < 32; i++) {
        snprintf(name, sizeof name, "n%d", i);
        int r = tmpfs_create(&fs, name, VFS_TYPE_DIR, &n);
        if (r == -MOS_ENOSPC)
            break;
        assert_int_equal(r, 0);
        made++;
    }
    assert_int_equal(fs.nodes, 16);
    assert_int_equal(made, 16 - 3);
    assert_int_equal(tmpfs_check(&fs), 0);
}

/* Random operations on a small name space; the invariants hold after each. */
static void random_operations_keep_invariants(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("TMPFS_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 0);
    srand(seed);
    tmpfs_fini(&fs);
    assert_int_equal(tmpfs_init(&fs, 3000, 20000, 40), 0);
    static const char *names[] = { "a", "b", "a/c", "a/d", "b/e", "b/e/f", "g" };
    struct tmpfs_node *held[8] = { 0 };
    static uint8_t data[3000];
    for (int i = 0; i < 20000; i++) {
        const char *p = names[rand() % 7], *q = names[rand() % 7];
        struct tmpfs_node *n;
        int r = 0;
        switch (rand() % 8) {
        case 0:
            r = tmpfs_create(&fs, p, rand() % 2 ? VFS_TYPE_FILE : VFS_TYPE_DIR, &n);
            break;
        case 1:
            r = tmpfs_unlink(&fs, p);
            break;
        case 2:
            r = tmpfs_rename(&fs, p, q);
            break;
        case 3:
        case 4:
            if (tmpfs_lookup(&fs, p, &n) == 0) {
                uint64_t off = (uint64_t)(rand() % 3100);
                size_t len = (size_t)(rand() % 1000);
                uint64_t before = n->size;
                r = (int)tmpfs_write(&fs, n, off, data, len);
                if (r < 0 && n->size != before)
                    fail_msg("seed %u: failed write changed the size", seed);
            }
            break;
        case 5:
            if (tmpfs_lookup(&fs, p, &n) == 0 && n->type == VFS_TYPE_FILE)
                r = tmpfs_truncate(&fs, n, (uint64_t)(rand() % 3500));
            break;
        case 6: {                           /* open: hold a reference */
            int k = rand() % 8;
            if (!held[k] && tmpfs_lookup(&fs, p, &n) == 0) {
                tmpfs_get(n);
                held[k] = n;
            }
            break;
        }
        default: {                          /* close */
            int k = rand() % 8;
            if (held[k]) {
                tmpfs_put(&fs, held[k]);
                held[k] = NULL;
            }
            break;
        }
        }
        (void)r;
        r = tmpfs_check(&fs);
        if (r)
            fail_msg("seed %u, step %d: tmpfs_check %d", seed, i, r);
    }
    for (int k = 0; k < 8; k++)
        if (held[k])
            tmpfs_put(&fs, held[k]);
    assert_int_equal(fs.orphans, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_write_read, setup, teardown),
        cmocka_unit_test_setup_teardown(truncate_shrinks_and_grows, setup, teardown),
        cmocka_unit_test_setup_teardown(directories_and_readdir, setup, teardown),
        cmocka_unit_test_setup_teardown(unlink_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(unlinked_file_lives_while_open, setup, teardown),
        cmocka_unit_test_setup_teardown(rename_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(random_operations_keep_invariants, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
