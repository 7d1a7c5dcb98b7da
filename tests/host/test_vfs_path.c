// SPDX-License-Identifier: MIT
/* test_vfs_path.c - user/servers/vfs/path.c: normalisation of good paths
 * (".", "..", repeated and trailing slashes, relative paths), ".." never
 * climbing out of the root, the name and path length limits at their exact
 * boundaries, malformed input (empty, unterminated within the limit), and
 * the split / within / next helpers. A seeded random run (VFS_PATH_SEED=n)
 * checks that every output is canonical and re-normalises to itself. */
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
#include "path.h"

static void expect_norm(const char *in, const char *want)
{
    char out[VFS_PATH_MAX];
    int r = path_normalize(in, out);
    if (r < 0)
        fail_msg("\"%s\": error %d, want \"%s\"", in, r, want);
    assert_string_equal(out, want);
    assert_int_equal(r, (int)strlen(want));
}

static void expect_err(const char *in, int err)
{
    char out[VFS_PATH_MAX];
    memset(out, 'Z', sizeof out);
    int r = path_normalize(in, out);
    if (r != err)
        fail_msg("\"%.40s\": %d, want %d", in, r, err);
    assert_int_equal(out[0], 'Z');         /* untouched on failure */
}

static void canonical_forms(void **state)
{
    (void)state;
    expect_norm("/", "/");
    expect_norm("//", "/");
    expect_norm("/.", "/");
    expect_norm("/./", "/");
    expect_norm("/a", "/a");
    expect_norm("/a/", "/a");
    expect_norm("/a//b///c/", "/a/b/c");
    expect_norm("/a/./b/.", "/a/b");
    expect_norm("/a/b/..", "/a");
    expect_norm("/a/b/../..", "/");
    expect_norm("/a/../b/../c", "/c");
    expect_norm("a/b", "/a/b");              /* relative: from the root */
    expect_norm(".", "/");
    expect_norm("./etc/motd", "/etc/motd");
    expect_norm("/tmp/x/../y", "/tmp/y");
    expect_norm("/...", "/...");             /* only "." and ".." are special */
    expect_norm("/..a/b..", "/..a/b..");
    expect_norm("/a b/ c", "/a b/ c");
}

static void dotdot_never_escapes(void **state)
{
    (void)state;
    expect_err("/..", -MOS_EINVAL);
    expect_err("..", -MOS_EINVAL);
    expect_err("/../etc", -MOS_EINVAL);
    expect_err("/a/../..", -MOS_EINVAL);
    expect_err("/a/b/../../../tmp", -MOS_EINVAL);
    expect_err("/./../", -MOS_EINVAL);
    expect_err("a/../../b", -MOS_EINVAL);
    expect_norm("/a/b/../../a", "/a");       /* down to the root is fine */
}

static void malformed_input(void **state)
{
    (void)state;
    expect_err("", -MOS_EINVAL);
    /* Unterminated within VFS_PATH_MAX bytes: too long, and nothing beyond
     * the limit is read (the buffer is exactly VFS_PATH_MAX bytes). */
    char *raw = malloc(VFS_PATH_MAX);
    memset(raw, 'a', VFS_PATH_MAX);
    raw[0] = '/';
    expect_err(raw, -MOS_ENAMETOOLONG);
    free(raw);
}

static void length_limits(void **state)
{
    (void)state;
    char in[VFS_PATH_MAX * 2], want[VFS_PATH_MAX * 2];
    /* A component of VFS_NAME_MAX - 1 bytes is fine, one more is not. */
    in[0] = '/';
    memset(in + 1, 'n', VFS_NAME_MAX - 1);
    in[VFS_NAME_MAX] = '\0';
    expect_norm(in, in);
    memset(in + 1, 'n', VFS_NAME_MAX);
    in[VFS_NAME_MAX + 1] = '\0';
    expect_err(in, -MOS_ENAMETOOLONG);
    /* ...also when ".." would remove it again: every component is checked. */
    strcpy(in + VFS_NAME_MAX + 1, "/..");
    expect_err(in, -MOS_ENAMETOOLONG);
    /* The whole path: VFS_PATH_MAX - 1 bytes fit, VFS_PATH_MAX do not. */
    size_t n = 0;
    while (n < VFS_PATH_MAX - 1) {
        in[n++] = '/';
        size_t k = VFS_PATH_MAX - 1 - n < 10 ? VFS_PATH_MAX - 1 - n : 10;
        if (k == 0) {
            in[n - 1] = 'x';
            break;
        }
        memset(in + n, 'p', k);
        n += k;
    }
    in[n] = '\0';
    assert_int_equal(strlen(in), VFS_PATH_MAX - 1);
    expect_norm(in, in);
    in[n] = 'q';
    in[n + 1] = '\0';
    expect_err(in, -MOS_ENAMETOOLONG);
    /* A relative path of VFS_PATH_MAX - 1 bytes needs one more for its "/". */
    memset(in, 'r', VFS_PATH_MAX - 1);
    for (size_t i = 50; i < VFS_PATH_MAX - 1; i += 50)
        in[i] = '/';
    in[VFS_PATH_MAX - 1] = '\0';
    expect_err(in, -MOS_ENAMETOOLONG);
    in[VFS_PATH_MAX - 2] = '\0';
    want[0] = '/';
    strcpy(want + 1, in);
    expect_norm(in, want);
    /* Long input that shrinks below the limit is still refused: the input
     * itself must fit (the protocol bounds paths, not results). */
    memset(in, '/', VFS_PATH_MAX + 10);
    in[VFS_PATH_MAX + 10] = '\0';
    expect_err(in, -MOS_ENAMETOOLONG);
}

static void split_within_next(void **state)
{
    (void)state;
    char parent[VFS_PATH_MAX], name[VFS_NAME_MAX];
    assert_int_equal(path_split("/a/b/c", parent, name), 0);
    assert_string_equal(parent, "/a/b");
    assert_string_equal(name, "c");
    assert_int_equal(path_split("/top", parent, name), 0);
    assert_string_equal(parent, "/");
    assert_string_equal(name, "top");
    assert_int_equal(path_split("/", parent, name), -MOS_EINVAL);

    assert_true(path_within("/tmp", "/tmp"));
    assert_true(path_within("/tmp/a", "/tmp"));
    assert_false(path_within("/tmpx", "/tmp"));
    assert_false(path_within("/tm", "/tmp"));
    assert_false(path_within("/", "/tmp"));
    assert_true(path_within("/anything", "/"));

    const char *rest = "a/bb//ccc";
    assert_int_equal(path_next(&rest, name), 1);
    assert_string_equal(name, "a");
    assert_int_equal(path_next(&rest, name), 1);
    assert_string_equal(name, "bb");
    assert_int_equal(path_next(&rest, name), 1);
    assert_string_equal(name, "ccc");
    assert_int_equal(path_next(&rest, name), 0);
    rest = "";
    assert_int_equal(path_next(&rest, name), 0);
    char big[VFS_NAME_MAX + 2];
    memset(big, 'x', VFS_NAME_MAX);
    big[VFS_NAME_MAX] = '\0';
    rest = big;
    assert_int_equal(path_next(&rest, name), -MOS_ENAMETOOLONG);
}

/* Random strings of '/', '.', 'a', 'b': the output is canonical (starts
 * with '/', no "//", no "." or ".." components, no trailing '/') and a
 * fixed point; a simple reference model agrees on success or failure. */
static void random_paths_are_canonical(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("VFS_PATH_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 0);
    srand(seed);
    static const char alphabet[] = "/./.ab";
    for (int iter = 0; iter < 20000; iter++) {
        char in[64], out[VFS_PATH_MAX], again[VFS_PATH_MAX];
        int n = 1 + rand() % 40;
        for (int i = 0; i < n; i++)
            in[i] = alphabet[rand() % (sizeof alphabet - 1)];
        in[n] = '\0';
        /* Reference: a stack of components. */
        int depth = 0, bad = 0;
        char comps[64][64];
        char tmp[64];
        strcpy(tmp, in);
        for (char *tok = strtok(tmp, "/"); tok; tok = strtok(NULL, "/")) {
            if (strcmp(tok, ".") == 0)
                continue;
            if (strcmp(tok, "..") == 0) {
                if (depth == 0) {
                    bad = 1;
                    break;
                }
                depth--;
                continue;
            }
            strcpy(comps[depth++], tok);
        }
        char ref[VFS_PATH_MAX] = "";
        for (int i = 0; i < depth; i++) {
            strcat(ref, "/");
            strcat(ref, comps[i]);
        }
        if (depth == 0)
            strcpy(ref, "/");
        int r = path_normalize(in, out);
        if (bad) {
            if (r != -MOS_EINVAL)
                fail_msg("seed %u: \"%s\" gave %d, want EINVAL", seed, in, r);
            continue;
        }
        if (r < 0 || strcmp(out, ref) != 0)
            fail_msg("seed %u: \"%s\" gave %d \"%s\", want \"%s\"", seed, in, r, r < 0 ? "" : out, ref);
        assert_int_equal(path_normalize(out, again), r);
        assert_string_equal(again, out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_forms),
        cmocka_unit_test(dotdot_never_escapes),
        cmocka_unit_test(malformed_input),
        cmocka_unit_test(length_limits),
        cmocka_unit_test(split_within_next),
        cmocka_unit_test(random_paths_are_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
