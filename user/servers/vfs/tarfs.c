// SPDX-License-Identifier: MIT
/* tarfs.c - the read-only tar file system (see tarfs.h). Mounting walks the
 * archive once with kernel/lib/tar.c (which checks every header and keeps
 * every read inside the archive) and builds the directory tree; after that
 * lookups walk the tree and reads copy from the archive. Names in the
 * archive go through path_normalize(), so "./a//b/" and "a/b" are the same
 * node and no name can climb out of the root. */
#include "tarfs.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "lib/tar.h"
#include "path.h"
#ifdef HOST_TEST
#include <stdlib.h>
#else
#include "mos_malloc.h"
#endif

static struct tarfs_node *child_find(const struct tarfs_node *dir, const char *name)
{
    for (uint32_t i = 0; i < dir->nchildren; i++)
        if (strcmp(dir->children[i]->name, name) == 0)
            return dir->children[i];
    return NULL;
}

static struct tarfs_node *child_add(struct tarfs *fs, struct tarfs_node *dir, const char *name, uint32_t type)
{
    if (dir->nchildren == dir->cap) {
        uint32_t ncap = dir->cap ? dir->cap * 2 : 8;
        struct tarfs_node **c = realloc(dir->children, ncap * sizeof *c);
        if (!c)
            return NULL;
        dir->children = c;
        dir->cap = ncap;
    }
    struct tarfs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    size_t len = strlen(name);              /* < VFS_NAME_MAX: path_normalize checked */
    memcpy(n->name, name, len + 1);
    n->type = type;
    n->mode = 0755;
    n->parent = dir;
    dir->children[dir->nchildren++] = n;
    if (type == VFS_TYPE_DIR)
        fs->dirs++;
    else
        fs->files++;
    return n;
}

/* Free n's subtree (not n itself). */
static void node_free_children(struct tarfs_node *n)
{
    for (uint32_t i = 0; i < n->nchildren; i++) {
        node_free_children(n->children[i]);
        free(n->children[i]);
    }
    free(n->children);
    n->children = NULL;
    n->nchildren = n->cap = 0;
}

/* Turn an existing node into `type` (an entry named again with another
 * type). A directory with children stays one. Returns 0 or -1 (keep). */
static int node_retype(struct tarfs *fs, struct tarfs_node *n, uint32_t type)
{
    if (n->type == type)
        return 0;
    if (n->type == VFS_TYPE_DIR) {
        if (n->nchildren)
            return -1;
        free(n->children);
        n->children = NULL;
        n->cap = 0;
        fs->dirs--;
        fs->files++;
    } else {
        n->data = NULL;
        n->size = 0;
        fs->files--;
        fs->dirs++;
    }
    n->type = type;
    return 0;
}

/* The node for the normalised absolute path norm, creating it (and the
 * directories above it, implied) with `type`. NULL: out of memory, or a
 * file stands where a directory is needed and keeps its place (-1 in *why). */
static struct tarfs_node *tree_make(struct tarfs *fs, const char *norm, uint32_t type, int *why)
{
    struct tarfs_node *dir = &fs->root;
    const char *rest = norm;
    char name[VFS_NAME_MAX];
    *why = 0;
    for (;;) {
        int r = path_next(&rest, name);
        if (r <= 0) {
            *why = -1;                      /* cannot happen for a normalised path */
            return NULL;
        }
        int last = (*rest == '\0');
        uint32_t want = last ? type : VFS_TYPE_DIR;
        struct tarfs_node *n = child_find(dir, name);
        if (!n) {
            n = child_add(fs, dir, name, want);
            if (!n)
                return NULL;
        } else if (n->type != want) {
            if (node_retype(fs, n, want)) {
                *why = -1;
                return NULL;
            }
        }
        if (last)
            return n;
        dir = n;
    }
}

static int add_entry(struct tarfs *fs, const struct tar_entry *e)
{
    char norm[VFS_PATH_MAX];
    if (e->name[0] == '\0')
        return 0;                           /* "./": the root itself */
    if (path_normalize(e->name, norm) < 0) {
        fs->skipped++;
        return 0;
    }
    if (norm[1] == '\0')
        return 0;
    const struct tar_entry *src = e;
    struct tarfs_node *target = NULL;
    uint32_t type;
    switch (e->type) {
    case TAR_FILE:
        type = VFS_TYPE_FILE;
        break;
    case TAR_DIR:
        type = VFS_TYPE_DIR;
        break;
    case TAR_HARDLINK: {
        char tnorm[VFS_PATH_MAX];
        if (path_normalize(e->linkname, tnorm) < 0 || tarfs_lookup(fs, tnorm + 1, &target) ||
            target->type != VFS_TYPE_FILE) {
            fs->skipped++;
            return 0;
        }
        type = VFS_TYPE_FILE;
        break;
    }
    default:
        fs->skipped++;
        return 0;
    }
    int why;
    struct tarfs_node *n = tree_make(fs, norm, type, &why);
    if (!n) {
        if (why) {
            fs->skipped++;
            return 0;
        }
        return -MOS_ENOMEM;
    }
    n->mode = src->mode;
    n->mtime = src->mtime;
    if (type == VFS_TYPE_FILE) {
        n->data = target ? target->data : src->data;
        n->size = target ? target->size : src->size;
    }
    return 0;
}

int tarfs_mount(struct tarfs *fs, const void *arch, size_t len)
{
    memset(fs, 0, sizeof *fs);
    fs->root.type = VFS_TYPE_DIR;
    fs->root.mode = 0755;
    size_t pos = 0;
    struct tar_entry *e = malloc(sizeof *e);    /* ~400 bytes: keep it off the stack */
    if (!e)
        return -MOS_ENOMEM;
    int r;
    while ((r = tar_next(arch, len, &pos, e)) == 1) {
        if (add_entry(fs, e)) {
            free(e);
            tarfs_unmount(fs);
            return -MOS_ENOMEM;
        }
    }
    free(e);
    if (r < 0) {
        fs->malformed = 1;
        fs->malformed_at = pos;
    }
    return 0;
}

void tarfs_unmount(struct tarfs *fs)
{
    node_free_children(&fs->root);
    memset(fs, 0, sizeof *fs);
    fs->root.type = VFS_TYPE_DIR;
    fs->root.mode = 0755;
}

int tarfs_lookup(struct tarfs *fs, const char *rel, struct tarfs_node **out)
{
    struct tarfs_node *n = &fs->root;
    char name[VFS_NAME_MAX];
    int r;
    while ((r = path_next(&rel, name)) == 1) {
        if (n->type != VFS_TYPE_DIR)
            return -MOS_ENOTDIR;
        n = child_find(n, name);
        if (!n)
            return -MOS_ENOENT;
    }
    if (r < 0)
        return r;
    *out = n;
    return 0;
}

long tarfs_read(const struct tarfs_node *n, uint64_t off, void *buf, size_t len)
{
    if (n->type != VFS_TYPE_FILE)
        return -MOS_EISDIR;
    if (off >= n->size)
        return 0;
    uint64_t avail = n->size - off;
    if (len > avail)
        len = (size_t)avail;
    memcpy(buf, (const uint8_t *)n->data + off, len);
    return (long)len;
}

int tarfs_readdir(const struct tarfs_node *dir, uint64_t index, struct vfs_dirent *d)
{
    if (dir->type != VFS_TYPE_DIR)
        return -MOS_ENOTDIR;
    if (index >= dir->nchildren)
        return -MOS_ENOENT;
    const struct tarfs_node *c = dir->children[index];
    memset(d, 0, sizeof *d);
    memcpy(d->name, c->name, strlen(c->name) + 1);
    d->type = c->type;
    d->size = c->type == VFS_TYPE_FILE ? c->size : c->nchildren;
    return 0;
}

void tarfs_stat(const struct tarfs_node *n, struct vfs_stat *st)
{
    memset(st, 0, sizeof *st);
    st->type = n->type;
    st->size = n->type == VFS_TYPE_FILE ? n->size : n->nchildren;
    st->mode = n->mode;
    st->mtime = n->mtime;
    st->writable = 0;
}
