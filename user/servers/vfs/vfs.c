// SPDX-License-Identifier: MIT
/* vfs.c - the namespace (see vfs.h): a path is normalised, then the mount
 * table picks the file system ("/tmp" and below: tmpfs; the rest: tarfs)
 * and the path inside it. Sessions live in a hash table keyed by badge;
 * each holds a fixed table of handles. Every call checks what it can before
 * it changes anything, and open() takes its handle slot before it creates
 * or truncates a file, so a failed request leaves no trace. */
#include "vfs.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "path.h"
#ifdef HOST_TEST
#include <stdlib.h>
#else
#include "mos_malloc.h"
#endif

#define VFS_O_ALL (VFS_O_READ | VFS_O_WRITE | VFS_O_CREATE | VFS_O_TRUNC | VFS_O_APPEND | VFS_O_DIR)
#define VFS_O_WRITES (VFS_O_WRITE | VFS_O_CREATE | VFS_O_TRUNC | VFS_O_APPEND)
#define TMP_MOUNT "/tmp"

/* ---------------------------------------------------------------- mounts */

struct where {
    enum vfs_fs fs;
    const char *rel;                /* inside norm: the path in that file system */
    char norm[VFS_PATH_MAX];
};

static int resolve(const char *path, struct where *w)
{
    int r = path_normalize(path, w->norm);
    if (r < 0)
        return r;
    if (path_within(w->norm, TMP_MOUNT)) {
        w->fs = VFS_FS_TMP;
        w->rel = w->norm + sizeof TMP_MOUNT - 1;
        if (*w->rel == '/')
            w->rel++;
    } else {
        w->fs = VFS_FS_TAR;
        w->rel = w->norm + 1;
    }
    return 0;
}

/* Does the archive have its own "tmp" at the top (hidden by the mount)? */
static int tar_has_tmp(struct vfs *v)
{
    struct tarfs_node *n;
    return tarfs_lookup(&v->tar, "tmp", &n) == 0;
}

/* ---------------------------------------------------------------- sessions */

static unsigned bucket_of(uint64_t badge)
{
    uint64_t x = badge * 0x9E3779B97F4A7C15ull;
    return (unsigned)(x >> 58) % VFS_SESSION_BUCKETS;
}

static struct vfs_session *session_find(struct vfs *v, uint64_t badge)
{
    for (struct vfs_session *s = v->buckets[bucket_of(badge)]; s; s = s->next)
        if (s->badge == badge)
            return s;
    return NULL;
}

static struct vfs_session *session_new(struct vfs *v, uint64_t badge)
{
    if (v->nsessions >= VFS_SESSIONS_MAX)
        return NULL;
    struct vfs_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->badge = badge;
    unsigned b = bucket_of(badge);
    s->next = v->buckets[b];
    v->buckets[b] = s;
    v->nsessions++;
    return s;
}

static void session_free(struct vfs *v, struct vfs_session *s)
{
    struct vfs_session **pp = &v->buckets[bucket_of(s->badge)];
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    v->nsessions--;
    free(s);
}

/* A session that holds nothing worth keeping goes. */
static void session_trim(struct vfs *v, struct vfs_session *s)
{
    if (!s->connected && s->nfiles == 0)
        session_free(v, s);
}

static void file_release(struct vfs *v, struct vfs_session *s, struct vfs_file *f)
{
    if (f->fs == VFS_FS_TMP)
        tmpfs_put(&v->tmp, f->node);
    memset(f, 0, sizeof *f);
    s->nfiles--;
    v->nfiles--;
}

static struct vfs_file *file_of(struct vfs *v, uint64_t badge, long h)
{
    if (h < 0 || ((uint64_t)h >> 8) != v->epoch)
        return NULL;
    uint64_t slot = (uint64_t)h & 0xFF;
    struct vfs_session *s = session_find(v, badge);
    if (!s || slot >= VFS_SESSION_FILES || s->files[slot].fs == VFS_FS_NONE)
        return NULL;
    return &s->files[slot];
}

/* ---------------------------------------------------------------- set-up */

int vfs_init(struct vfs *v, const void *arch, size_t len, uint32_t epoch, vfs_mint_fn mint, void *mint_ctx)
{
    memset(v, 0, sizeof *v);
    v->epoch = (epoch ^ (epoch >> 15) ^ (epoch >> 30)) & 0x7FFF;
    if (v->epoch == 0)
        v->epoch = 1;
    v->mint = mint;
    v->mint_ctx = mint_ctx;
    int r = tmpfs_init(&v->tmp, TMPFS_FILE_MAX, TMPFS_TOTAL_MAX, TMPFS_NODES_MAX);
    if (r)
        return r;
    if (len && (r = tarfs_mount(&v->tar, arch, len))) {
        tmpfs_fini(&v->tmp);
        return r;
    }
    if (!len)
        tarfs_unmount(&v->tar);             /* an empty root */
    return 0;
}

void vfs_fini(struct vfs *v)
{
    for (unsigned b = 0; b < VFS_SESSION_BUCKETS; b++)
        while (v->buckets[b]) {
            struct vfs_session *s = v->buckets[b];
            for (unsigned i = 0; i < VFS_SESSION_FILES; i++)
                if (s->files[i].fs != VFS_FS_NONE)
                    file_release(v, s, &s->files[i]);
            session_free(v, s);
        }
    tmpfs_fini(&v->tmp);
    tarfs_unmount(&v->tar);
}

/* ---------------------------------------------------------------- files */

static int check_open_flags(uint32_t flags)
{
    if (flags & ~VFS_O_ALL)
        return -MOS_EINVAL;
    if ((flags & (VFS_O_TRUNC | VFS_O_APPEND)) && !(flags & VFS_O_WRITE))
        return -MOS_EINVAL;
    if ((flags & VFS_O_DIR) && (flags & VFS_O_WRITES))
        return -MOS_EINVAL;
    return 0;
}

/* Find (or, with CREATE, make) the node `w` names, as open() wants it. */
static int open_node(struct vfs *v, const struct where *w, uint32_t flags, void **node, int *ns_root)
{
    int r;
    *ns_root = 0;
    if (w->fs == VFS_FS_TAR) {
        if (flags & VFS_O_WRITES)
            return -MOS_EROFS;
        struct tarfs_node *n;
        if ((r = tarfs_lookup(&v->tar, w->rel, &n)))
            return r;
        if (n->type == VFS_TYPE_DIR && !(flags & VFS_O_DIR))
            return -MOS_EISDIR;
        if (n->type != VFS_TYPE_DIR && (flags & VFS_O_DIR))
            return -MOS_ENOTDIR;
        *ns_root = (n == &v->tar.root);
        *node = n;
        return 0;
    }
    struct tmpfs_node *n;
    r = tmpfs_lookup(&v->tmp, w->rel, &n);
    if (r == -MOS_ENOENT && (flags & VFS_O_CREATE) && !(flags & VFS_O_DIR))
        r = tmpfs_create(&v->tmp, w->rel, VFS_TYPE_FILE, &n);
    else if (r == 0 && n->type == VFS_TYPE_DIR && !(flags & VFS_O_DIR))
        r = -MOS_EISDIR;
    else if (r == 0 && n->type != VFS_TYPE_DIR && (flags & VFS_O_DIR))
        r = -MOS_ENOTDIR;
    if (r)
        return r;
    if ((flags & VFS_O_TRUNC) && (r = tmpfs_truncate(&v->tmp, n, 0)))
        return r;                           /* (shrinking cannot fail) */
    *node = n;
    return 0;
}

long vfs_open(struct vfs *v, uint64_t badge, const char *path, uint32_t flags)
{
    struct where w;
    int r = check_open_flags(flags);
    if (r || (r = resolve(path, &w)))
        return r;
    if (!(flags & (VFS_O_READ | VFS_O_WRITE)))
        flags |= VFS_O_READ;
    struct vfs_session *s = session_find(v, badge);
    int fresh = !s;
    if (fresh && !(s = session_new(v, badge)))
        return v->nsessions >= VFS_SESSIONS_MAX ? -MOS_ENOSPC : -MOS_ENOMEM;
    unsigned slot = 0;
    while (slot < VFS_SESSION_FILES && s->files[slot].fs != VFS_FS_NONE)
        slot++;
    void *node = NULL;
    int ns_root = 0;
    if (slot == VFS_SESSION_FILES)
        r = -MOS_ENOSPC;
    else
        r = open_node(v, &w, flags, &node, &ns_root);
    if (r) {
        if (fresh)
            session_trim(v, s);
        return r;
    }
    struct vfs_file *f = &s->files[slot];
    f->fs = (uint8_t)w.fs;
    f->ns_root = (uint8_t)ns_root;
    f->flags = flags;
    f->node = node;
    if (w.fs == VFS_FS_TMP)
        tmpfs_get(node);
    s->nfiles++;
    v->nfiles++;
    return (long)(((uint64_t)v->epoch << 8) | slot);
}

int vfs_close(struct vfs *v, uint64_t badge, long h)
{
    struct vfs_file *f = file_of(v, badge, h);
    if (!f)
        return -MOS_EBADHANDLE;
    struct vfs_session *s = session_find(v, badge);
    file_release(v, s, f);
    session_trim(v, s);
    return 0;
}

long vfs_read(struct vfs *v, uint64_t badge, long h, uint64_t off, void *buf, size_t len)
{
    struct vfs_file *f = file_of(v, badge, h);
    if (!f)
        return -MOS_EBADHANDLE;
    if (f->flags & VFS_O_DIR)
        return -MOS_EISDIR;
    if (!(f->flags & VFS_O_READ))
        return -MOS_EPERM;
    if (f->fs == VFS_FS_TAR)
        return tarfs_read(f->node, off, buf, len);
    return tmpfs_read(f->node, off, buf, len);
}

long vfs_write(struct vfs *v, uint64_t badge, long h, uint64_t off, const void *buf, size_t len)
{
    struct vfs_file *f = file_of(v, badge, h);
    if (!f)
        return -MOS_EBADHANDLE;
    if (f->flags & VFS_O_DIR)
        return -MOS_EISDIR;
    if (!(f->flags & VFS_O_WRITE) || f->fs != VFS_FS_TMP)
        return -MOS_EPERM;
    struct tmpfs_node *n = f->node;
    if (f->flags & VFS_O_APPEND)
        off = n->size;
    return tmpfs_write(&v->tmp, n, off, buf, len);
}

static void stat_tar(struct vfs *v, struct tarfs_node *n, struct vfs_stat *st)
{
    tarfs_stat(n, st);
    if (n == &v->tar.root && !tar_has_tmp(v))
        st->size++;                         /* the "tmp" mount point */
}

int vfs_stat(struct vfs *v, const char *path, struct vfs_stat *st)
{
    struct where w;
    int r = resolve(path, &w);
    if (r)
        return r;
    if (w.fs == VFS_FS_TAR) {
        struct tarfs_node *n;
        if ((r = tarfs_lookup(&v->tar, w.rel, &n)))
            return r;
        stat_tar(v, n, st);
        return 0;
    }
    struct tmpfs_node *n;
    if ((r = tmpfs_lookup(&v->tmp, w.rel, &n)))
        return r;
    tmpfs_stat(n, st);
    return 0;
}

int vfs_fstat(struct vfs *v, uint64_t badge, long h, struct vfs_stat *st)
{
    struct vfs_file *f = file_of(v, badge, h);
    if (!f)
        return -MOS_EBADHANDLE;
    if (f->fs == VFS_FS_TAR)
        stat_tar(v, f->node, st);
    else
        tmpfs_stat(f->node, st);
    return 0;
}

int vfs_readdir(struct vfs *v, uint64_t badge, long h, uint64_t index, struct vfs_dirent *d)
{
    struct vfs_file *f = file_of(v, badge, h);
    if (!f)
        return -MOS_EBADHANDLE;
    if (!(f->flags & VFS_O_DIR))
        return -MOS_ENOTDIR;
    if (f->fs == VFS_FS_TMP)
        return tmpfs_readdir(f->node, index, d);
    int r = tarfs_readdir(f->node, index, d);
    if (!f->ns_root)
        return r;
    /* "/": the archive's top level, with "tmp" the mount point. */
    if (r == 0 && strcmp(d->name, "tmp") == 0) {
        d->type = VFS_TYPE_DIR;
        d->size = v->tmp.root->nchildren;
    } else if (r == -MOS_ENOENT && index == v->tar.root.nchildren && !tar_has_tmp(v)) {
        memset(d, 0, sizeof *d);
        memcpy(d->name, "tmp", 4);
        d->type = VFS_TYPE_DIR;
        d->size = v->tmp.root->nchildren;
        r = 0;
    }
    return r;
}

int vfs_mkdir(struct vfs *v, const char *path)
{
    struct where w;
    int r = resolve(path, &w);
    if (r)
        return r;
    if (w.fs == VFS_FS_TAR)
        return -MOS_EROFS;
    if (*w.rel == '\0')
        return -MOS_EEXIST;                 /* "/tmp" itself */
    struct tmpfs_node *n;
    return tmpfs_create(&v->tmp, w.rel, VFS_TYPE_DIR, &n);
}

int vfs_unlink(struct vfs *v, const char *path)
{
    struct where w;
    int r = resolve(path, &w);
    if (r)
        return r;
    if (w.fs == VFS_FS_TAR)
        return -MOS_EROFS;
    return tmpfs_unlink(&v->tmp, w.rel);
}

int vfs_rename(struct vfs *v, const char *from, const char *to)
{
    struct where a, b;
    int r = resolve(from, &a);
    if (r || (r = resolve(to, &b)))
        return r;
    if (a.fs != VFS_FS_TMP || b.fs != VFS_FS_TMP)
        return -MOS_EROFS;
    return tmpfs_rename(&v->tmp, a.rel, b.rel);
}

/* ---------------------------------------------------------------- sessions */

long vfs_connect(struct vfs *v, uint64_t badge, uint64_t *new_badge)
{
    if (v->nsessions >= VFS_SESSIONS_MAX)
        return -MOS_ENOSPC;
    if (!v->mint)
        return -MOS_ENOSYS;
    uint64_t nb;
    do                                      /* never a badge in use (after 2^32 sessions) */
        nb = VFS_BADGE_TAG | ((uint64_t)v->epoch << 32) | v->next_session++;
    while (session_find(v, nb));
    struct vfs_session *s = session_new(v, nb);
    if (!s)
        return -MOS_ENOMEM;
    long cap = v->mint(v->mint_ctx, nb);
    if (cap < 0) {
        session_free(v, s);
        return cap;
    }
    s->connected = 1;
    s->creator = badge;
    *new_badge = nb;
    return cap;
}

int vfs_disconnect(struct vfs *v, uint64_t badge, uint64_t target)
{
    struct vfs_session *s = session_find(v, target);
    if (!s)
        return 0;
    if (badge != target && badge != 0 && !(s->connected && s->creator == badge))
        return -MOS_EPERM;
    for (unsigned i = 0; i < VFS_SESSION_FILES; i++)
        if (s->files[i].fs != VFS_FS_NONE)
            file_release(v, s, &s->files[i]);
    for (unsigned b = 0; b < VFS_SESSION_BUCKETS; b++)
        for (struct vfs_session *c = v->buckets[b]; c; c = c->next)
            if (c->connected && c->creator == target && c != s)
                c->creator = s->creator;
    session_free(v, s);
    return 0;
}

void vfs_stats(const struct vfs *v, uint64_t out[3])
{
    out[0] = v->nfiles;
    out[1] = v->nsessions;
    out[2] = v->tmp.bytes;
}
