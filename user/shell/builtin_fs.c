// SPDX-License-Identifier: MIT
/* builtin_fs.c - the file built-ins over the VFS client (vfs_client.h):
 * ls, cat, echo (with > and >>), mkdir, rm, cd, pwd. Paths are taken
 * relative to the shell's current directory; every error is the VFS's,
 * printed as "<command>: <path>: <strerror text>". */
#include "mos_lib.h"
#include "console_client.h"
#include "vfs_client.h"
#include "fmt.h"
#include "shell.h"

#define IO_CHUNK 4096u

static int fail(const char *cmd, const char *arg, long err)
{
    printf("%s: %s: %s\n", cmd, arg, mos_strerror(err));
    return 1;
}

static void ls_entry(const char *name, uint32_t type, uint64_t size, uint32_t mode, bool lng)
{
    const char *slash = type == VFS_TYPE_DIR ? "/" : "";
    if (!lng) {
        printf("%s%s\n", name, slash);
        return;
    }
    char m[11];
    fmt_mode(type, mode, m);
    printf("%s %9llu %s%s\n", m, (unsigned long long)size, name, slash);
}

static int ls_one(const char *arg, bool lng, bool title)
{
    char path[VFS_PATH_MAX];
    if (sh_path("ls", arg, path, sizeof path) < 0)
        return 1;
    struct vfs_stat st;
    long r = vfs_stat(path, &st);
    if (r < 0)
        return fail("ls", arg, r);
    if (st.type != VFS_TYPE_DIR) {
        ls_entry(arg, st.type, st.size, st.mode, lng);
        return 0;
    }
    long h = vfs_open(path, VFS_O_READ | VFS_O_DIR);
    if (h < 0)
        return fail("ls", arg, h);
    if (title)
        printf("%s:\n", arg);
    int status = 0;
    for (uint64_t i = 0;; i++) {
        struct vfs_dirent d;
        r = vfs_readdir(h, i, &d);
        if (r == -MOS_ENOENT)
            break;
        if (r < 0) {
            status = fail("ls", arg, r);
            break;
        }
        d.name[VFS_NAME_MAX - 1] = 0;
        uint32_t mode = d.type == VFS_TYPE_DIR ? 0755 : 0644;
        if (lng) {
            char child[VFS_PATH_MAX];
            struct vfs_stat cst;
            if (fmt_path_join(child, sizeof child, path, d.name) == 0 &&
                vfs_stat(child, &cst) == 0)
                mode = cst.mode;
        }
        ls_entry(d.name, d.type, d.size, mode, lng);
    }
    (void)vfs_close(h);
    return status;
}

int sh_ls(struct sh_cmd *c)
{
    bool lng = false;
    int first = 1;
    for (; first < c->argc && c->argv[first][0] == '-' && c->argv[first][1]; first++) {
        if (strcmp(c->argv[first], "-l") != 0) {
            printf("ls: unknown option %s (usage: ls [-l] [PATH...])\n", c->argv[first]);
            return 2;
        }
        lng = true;
    }
    if (first == c->argc)
        return ls_one(".", lng, false);
    int status = 0;
    for (int i = first; i < c->argc; i++) {
        if (i > first)
            printf("\n");
        status |= ls_one(c->argv[i], lng, c->argc - first > 1);
    }
    return status;
}

int sh_cat(struct sh_cmd *c)
{
    if (c->argc < 2) {
        printf("usage: cat FILE...\n");
        return 2;
    }
    static char buf[IO_CHUNK];
    int status = 0;
    for (int i = 1; i < c->argc; i++) {
        char path[VFS_PATH_MAX];
        if (sh_path("cat", c->argv[i], path, sizeof path) < 0) {
            status = 1;
            continue;
        }
        long h = vfs_open(path, VFS_O_READ);
        if (h < 0) {
            status = fail("cat", c->argv[i], h);
            continue;
        }
        uint64_t off = 0;
        for (;;) {
            long n = vfs_read(h, off, buf, sizeof buf);
            if (n < 0)
                status = fail("cat", c->argv[i], n);
            if (n <= 0)
                break;
            (void)con_write(buf, (size_t)n);
            off += (uint64_t)n;
        }
        (void)vfs_close(h);
    }
    return status;
}

int sh_echo(struct sh_cmd *c)
{
    char text[SH_PARSE_STORE + 1];
    size_t len = 0;
    for (int i = 1; i < c->argc; i++) {
        size_t n = strlen(c->argv[i]);
        if (len + n + 1 >= sizeof text)
            n = sizeof text - len - 2;
        if (i > 1)
            text[len++] = ' ';
        memcpy(text + len, c->argv[i], n);
        len += n;
    }
    text[len++] = '\n';
    if (!c->redir) {
        (void)con_write(text, len);
        return 0;
    }
    char path[VFS_PATH_MAX];
    if (sh_path("echo", c->redir, path, sizeof path) < 0)
        return 1;
    uint32_t flags = VFS_O_WRITE | VFS_O_CREATE | (c->append ? VFS_O_APPEND : VFS_O_TRUNC);
    long h = vfs_open(path, flags);
    if (h < 0)
        return fail("echo", c->redir, h);
    long n = vfs_write(h, 0, text, len);
    (void)vfs_close(h);
    if (n < 0)
        return fail("echo", c->redir, n);
    if ((size_t)n != len) {
        printf("echo: %s: short write (%ld of %zu bytes)\n", c->redir, n, len);
        return 1;
    }
    return 0;
}

/* mkdir and rm: one VFS call per argument. */
static int each_path(struct sh_cmd *c, const char *usage, long (*op)(const char *))
{
    if (c->argc < 2) {
        printf("usage: %s\n", usage);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < c->argc; i++) {
        char path[VFS_PATH_MAX];
        if (sh_path(c->argv[0], c->argv[i], path, sizeof path) < 0) {
            status = 1;
            continue;
        }
        long r = op(path);
        if (r < 0)
            status = fail(c->argv[0], c->argv[i], r);
    }
    return status;
}

int sh_mkdir(struct sh_cmd *c) { return each_path(c, "mkdir DIR...", vfs_mkdir); }
int sh_rm(struct sh_cmd *c) { return each_path(c, "rm PATH...", vfs_unlink); }

int sh_cd(struct sh_cmd *c)
{
    const char *arg = c->argc > 1 ? c->argv[1] : "/";
    char path[VFS_PATH_MAX];
    if (sh_path("cd", arg, path, sizeof path) < 0)
        return 1;
    struct vfs_stat st;
    long r = vfs_stat(path, &st);
    if (r == 0 && st.type != VFS_TYPE_DIR)
        r = -MOS_ENOTDIR;
    if (r < 0)
        return fail("cd", arg, r);
    fmt_path_normalize(path);
    memcpy(sh_cwd, path, strlen(path) + 1);
    return 0;
}

int sh_pwd(struct sh_cmd *c)
{
    (void)c;
    printf("%s\n", sh_cwd);
    return 0;
}
