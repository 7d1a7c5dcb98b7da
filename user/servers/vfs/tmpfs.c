// SPDX-License-Identifier: MIT
/* tmpfs.c - the writable in-memory file system (see tmpfs.h). Every change
 * checks first and commits after: a failed call leaves the tree as it was.
 * File storage grows by doubling (bounded by the per-file limit), so
 * appending n bytes costs O(n) copies in total; the limits count the bytes
 * of the files' sizes, not the slack of their allocations. */
#include "tmpfs.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "path.h"
#ifdef HOST_TEST
#include <stdlib.h>
#else
#include "mos_malloc.h"
#endif

static struct tmpfs_node *node_new(struct tmpfs *fs, const char *name, uint32_t type)
{
    struct tmpfs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    size_t len = strnlen(name, VFS_NAME_MAX - 1);
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->type = type;
    n->refs = 1;
    fs->nodes++;
    return n;
}

/* Free n (no references left, no parent, no children). */
static void node_free(struct tmpfs *fs, struct tmpfs_node *n)
{
    fs->bytes -= n->size;
    fs->nodes--;
    free(n->data);
    free(n->children);
    free(n);
}

static struct tmpfs_node *child_find(const struct tmpfs_node *dir, const char *name, uint32_t *index)
{
    for (uint32_t i = 0; i < dir->nchildren; i++)
        if (strcmp(dir->children[i]->name, name) == 0) {
            if (index)
                *index = i;
            return dir->children[i];
        }
    return NULL;
}

/* Make room for one more child of dir. */
static int child_reserve(struct tmpfs_node *dir)
{
    if (dir->nchildren < dir->ccap)
        return 0;
    uint32_t ncap = dir->ccap ? dir->ccap * 2 : 8;
    struct tmpfs_node **c = realloc(dir->children, ncap * sizeof *c);
    if (!c)
        return -MOS_ENOMEM;
    dir->children = c;
    dir->ccap = ncap;
    return 0;
}

/* Take child i out of dir (order of the others kept: readdir indexes stay
 * meaningful for entries before it). */
static void child_remove(struct tmpfs_node *dir, uint32_t i)
{
    memmove(&dir->children[i], &dir->children[i + 1], (dir->nchildren - i - 1) * sizeof dir->children[0]);
    dir->nchildren--;
}

int tmpfs_init(struct tmpfs *fs, uint64_t file_max, uint64_t total_max, uint32_t nodes_max)
{
    memset(fs, 0, sizeof *fs);
    fs->file_max = file_max;
    fs->total_max = total_max;
    fs->nodes_max = nodes_max;
    fs->root = node_new(fs, "", VFS_TYPE_DIR);
    return fs->root ? 0 : -MOS_ENOMEM;
}

static void tree_free(struct tmpfs *fs, struct tmpfs_node *n)
{
    for (uint32_t i = 0; i < n->nchildren; i++)
        tree_free(fs, n->children[i]);
    n->nchildren = 0;
    node_free(fs, n);
}

void tmpfs_fini(struct tmpfs *fs)
{
    if (fs->root)
        tree_free(fs, fs->root);
    fs->root = NULL;
    /* Orphans still referenced by handles are the handle owners' to put;
     * a full shutdown drops them with the process. */
}

int tmpfs_lookup(struct tmpfs *fs, const char *rel, struct tmpfs_node **out)
{
    struct tmpfs_node *n = fs->root;
    char name[VFS_NAME_MAX];
    int r;
    while ((r = path_next(&rel, name)) == 1) {
        if (n->type != VFS_TYPE_DIR)
            return -MOS_ENOTDIR;
        n = child_find(n, name, NULL);
        if (!n)
            return -MOS_ENOENT;
    }
    if (r < 0)
        return r;
    *out = n;
    return 0;
}

/* The directory that holds rel, and rel's last component in name. */
static int parent_of(struct tmpfs *fs, const char *rel, struct tmpfs_node **dir, char name[VFS_NAME_MAX])
{
    char abs[VFS_PATH_MAX], norm[VFS_PATH_MAX], parent[VFS_PATH_MAX];
    size_t len = strnlen(rel, VFS_PATH_MAX - 1);
    abs[0] = '/';
    memcpy(abs + 1, rel, len);
    abs[len + 1] = '\0';
    int r = path_normalize(abs, norm);
    if (r < 0)
        return r;
    r = path_split(norm, parent, name);
    if (r < 0)
        return r;                           /* the root: no parent */
    r = tmpfs_lookup(fs, parent + 1, dir);
    if (r < 0)
        return r;
    return (*dir)->type == VFS_TYPE_DIR ? 0 : -MOS_ENOTDIR;
}

int tmpfs_create(struct tmpfs *fs, const char *rel, uint32_t type, struct tmpfs_node **out)
{
    struct tmpfs_node *dir;
    char name[VFS_NAME_MAX];
    int r = parent_of(fs, rel, &dir, name);
    if (r < 0)
        return r;
    if (child_find(dir, name, NULL))
        return -MOS_EEXIST;
    if (fs->nodes >= fs->nodes_max)
        return -MOS_ENOSPC;
    if ((r = child_reserve(dir)))
        return r;
    struct tmpfs_node *n = node_new(fs, name, type);
    if (!n)
        return -MOS_ENOMEM;
    n->parent = dir;
    dir->children[dir->nchildren++] = n;
    *out = n;
    return 0;
}

/* Drop the directory entry's reference of n, just unhooked from its parent. */
static void unlinked(struct tmpfs *fs, struct tmpfs_node *n)
{
    n->parent = NULL;
    if (--n->refs == 0) {
        node_free(fs, n);
    } else {
        fs->orphans++;
        fs->orphan_bytes += n->size;
    }
}

int tmpfs_unlink(struct tmpfs *fs, const char *rel)
{
    struct tmpfs_node *dir, *n;
    char name[VFS_NAME_MAX];
    uint32_t i;
    int r = parent_of(fs, rel, &dir, name);
    if (r == -MOS_EINVAL)
        return -MOS_EBUSY;                  /* the root */
    if (r < 0)
        return r;
    if (!(n = child_find(dir, name, &i)))
        return -MOS_ENOENT;
    if (n->type == VFS_TYPE_DIR && n->nchildren)
        return -MOS_ENOTEMPTY;
    child_remove(dir, i);
    unlinked(fs, n);
    return 0;
}

int tmpfs_rename(struct tmpfs *fs, const char *from, const char *to)
{
    struct tmpfs_node *fdir, *tdir, *n, *old;
    char fname[VFS_NAME_MAX], tname[VFS_NAME_MAX];
    uint32_t fi, ti;
    int r = parent_of(fs, from, &fdir, fname);
    if (r == 0)
        r = parent_of(fs, to, &tdir, tname);
    if (r == -MOS_EINVAL)
        return -MOS_EBUSY;                  /* the root moves nowhere, nothing replaces it */
    if (r < 0)
        return r;
    if (!(n = child_find(fdir, fname, &fi)))
        return -MOS_ENOENT;
    /* Not into itself: no ancestor of the target directory may be n. */
    for (const struct tmpfs_node *a = tdir; a; a = a->parent)
        if (a == n)
            return -MOS_EINVAL;
    old = child_find(tdir, tname, &ti);
    if (old == n)
        return 0;
    if (old) {
        if (n->type == VFS_TYPE_DIR && old->type != VFS_TYPE_DIR)
            return -MOS_ENOTDIR;
        if (n->type != VFS_TYPE_DIR && old->type == VFS_TYPE_DIR)
            return -MOS_EISDIR;
        if (old->type == VFS_TYPE_DIR && old->nchildren)
            return -MOS_ENOTEMPTY;
    } else if (tdir != fdir && (r = child_reserve(tdir))) {
        return r;
    }
    /* Commit: nothing below fails. */
    if (old) {
        tdir->children[ti] = n;             /* n takes the old entry's place */
        child_remove(fdir, fi);             /* and leaves its own (fi != ti when fdir == tdir) */
        unlinked(fs, old);
    } else if (tdir != fdir) {
        child_remove(fdir, fi);
        tdir->children[tdir->nchildren++] = n;
    }                                       /* else: same directory, new name, same slot */
    memcpy(n->name, tname, strlen(tname) + 1);
    n->parent = tdir;
    return 0;
}

void tmpfs_get(struct tmpfs_node *n)
{
    n->refs++;
}

void tmpfs_put(struct tmpfs *fs, struct tmpfs_node *n)
{
    if (--n->refs)
        return;
    /* Only an unlinked node loses its last reference. */
    fs->orphans--;
    fs->orphan_bytes -= n->size;
    node_free(fs, n);
}

long tmpfs_read(const struct tmpfs_node *n, uint64_t off, void *buf, size_t len)
{
    if (n->type != VFS_TYPE_FILE)
        return -MOS_EISDIR;
    if (off >= n->size)
        return 0;
    uint64_t avail = n->size - off;
    if (len > avail)
        len = (size_t)avail;
    memcpy(buf, n->data + off, len);
    return (long)len;
}

/* Change n's size to `size` (storage first, then the totals). */
static int resize(struct tmpfs *fs, struct tmpfs_node *n, uint64_t size)
{
    if (size > fs->file_max)
        return -MOS_ENOSPC;
    if (size > n->size && size - n->size > fs->total_max - fs->bytes)
        return -MOS_ENOSPC;
    if (size > n->cap) {
        uint64_t ncap = n->cap ? n->cap : 64;
        while (ncap < size)
            ncap *= 2;
        if (ncap > fs->file_max)
            ncap = fs->file_max;
        uint8_t *d = realloc(n->data, (size_t)ncap);
        if (!d)
            return -MOS_ENOMEM;
        n->data = d;
        n->cap = ncap;
    }
    if (size > n->size)
        memset(n->data + n->size, 0, (size_t)(size - n->size));
    fs->bytes = fs->bytes - n->size + size;
    if (!n->parent && n != fs->root)
        fs->orphan_bytes = fs->orphan_bytes - n->size + size;
    n->size = size;
    return 0;
}

long tmpfs_write(struct tmpfs *fs, struct tmpfs_node *n, uint64_t off, const void *buf, size_t len)
{
    if (n->type != VFS_TYPE_FILE)
        return -MOS_EISDIR;
    if (len == 0)
        return 0;
    if (off > fs->file_max || len > fs->file_max - off)
        return -MOS_ENOSPC;
    uint64_t end = off + len;
    if (end > n->size) {
        int r = resize(fs, n, end);
        if (r < 0)
            return r;
    }
    memcpy(n->data + off, buf, len);
    return (long)len;
}

int tmpfs_truncate(struct tmpfs *fs, struct tmpfs_node *n, uint64_t size)
{
    if (n->type != VFS_TYPE_FILE)
        return -MOS_EISDIR;
    return resize(fs, n, size);
}

int tmpfs_readdir(const struct tmpfs_node *dir, uint64_t index, struct vfs_dirent *d)
{
    if (dir->type != VFS_TYPE_DIR)
        return -MOS_ENOTDIR;
    if (index >= dir->nchildren)
        return -MOS_ENOENT;
    const struct tmpfs_node *c = dir->children[index];
    memset(d, 0, sizeof *d);
    memcpy(d->name, c->name, strlen(c->name) + 1);
    d->type = c->type;
    d->size = c->type == VFS_TYPE_FILE ? c->size : c->nchildren;
    return 0;
}

void tmpfs_stat(const struct tmpfs_node *n, struct vfs_stat *st)
{
    memset(st, 0, sizeof *st);
    st->type = n->type;
    st->size = n->type == VFS_TYPE_FILE ? n->size : n->nchildren;
    st->mode = n->type == VFS_TYPE_DIR ? 0755 : 0644;
    st->writable = 1;
}

static int check_tree(const struct tmpfs_node *n, uint32_t *nodes, uint64_t *bytes)
{
    if (n->refs == 0 || n->size > n->cap || (n->type != VFS_TYPE_FILE && n->type != VFS_TYPE_DIR))
        return -1;
    if (n->type == VFS_TYPE_DIR && n->size)
        return -2;
    (*nodes)++;
    *bytes += n->size;
    for (uint32_t i = 0; i < n->nchildren; i++) {
        const struct tmpfs_node *c = n->children[i];
        if (c->parent != n)
            return -3;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(n->children[j]->name, c->name) == 0)
                return -4;
        int r = check_tree(c, nodes, bytes);
        if (r)
            return r;
    }
    return 0;
}

int tmpfs_check(const struct tmpfs *fs)
{
    uint32_t nodes = 0;
    uint64_t bytes = 0;
    if (!fs->root || fs->root->parent)
        return -5;
    int r = check_tree(fs->root, &nodes, &bytes);
    if (r)
        return r;
    if (nodes + fs->orphans != fs->nodes)
        return -6;
    if (bytes + fs->orphan_bytes != fs->bytes)
        return -7;
    if (fs->bytes > fs->total_max || fs->nodes > fs->nodes_max)
        return -8;
    return 0;
}
