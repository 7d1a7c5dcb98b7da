/* SPDX-License-Identifier: MIT */
/* tmpfs.h - the writable in-memory file system (mounted at /tmp). Files
 * are malloc'ed byte arrays, directories arrays of child pointers (so
 * readdir by index is O(1) and stable while nothing changes). Limits: bytes
 * per file, bytes in all files, and nodes, each fixed at tmpfs_init().
 * Nodes are reference counted: the directory entry holds one reference and
 * every open handle one more, so an unlinked file stays readable and
 * writable through handles already open, and is freed (with its bytes
 * returned to the total) when the last one closes. Pure; compiled into the
 * VFS and host tests. Single-threaded: the caller serialises every call. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "proto/vfs.h"

struct tmpfs_node {
    char name[VFS_NAME_MAX];        /* one component; "" for the root */
    uint32_t type;                  /* VFS_TYPE_FILE or VFS_TYPE_DIR */
    uint32_t refs;                  /* 1 while linked + one per open handle */
    struct tmpfs_node *parent;      /* NULL for the root and once unlinked */
    uint8_t *data;                  /* files: cap bytes allocated, size used */
    uint64_t size, cap;
    struct tmpfs_node **children;   /* dirs: nchildren entries, creation order */
    uint32_t nchildren, ccap;
};

struct tmpfs {
    struct tmpfs_node *root;
    uint64_t bytes;                 /* sum of the sizes of all live files */
    uint64_t file_max, total_max;   /* limits, bytes */
    uint32_t nodes, nodes_max;      /* live nodes (root included) */
    uint32_t orphans;               /* unlinked nodes kept alive by open handles */
    uint64_t orphan_bytes;          /* their bytes (part of `bytes`) */
};

#define TMPFS_FILE_MAX  (4ull << 20)    /* defaults used by the VFS */
#define TMPFS_TOTAL_MAX (8ull << 20)
#define TMPFS_NODES_MAX 4096u

/* An empty file system. Returns 0 or -MOS_ENOMEM. */
__attribute__((warn_unused_result)) int tmpfs_init(struct tmpfs *fs, uint64_t file_max,
                                                   uint64_t total_max, uint32_t nodes_max);
/* Free every node, whatever references are left (for tests and shutdown). */
void tmpfs_fini(struct tmpfs *fs);

/* Paths are relative to the root of the file system: "" is the root, "a/b"
 * (normalised: no ".", "..", empty or overlong components).
 * tmpfs_lookup: 0 and *out (no reference taken), -MOS_ENOENT, -MOS_ENOTDIR. */
__attribute__((warn_unused_result)) int tmpfs_lookup(struct tmpfs *fs, const char *rel,
                                                     struct tmpfs_node **out);
/* Create rel as an empty file or directory (type). 0 and *out (no extra
 * reference), -MOS_EEXIST, -MOS_ENOENT / -MOS_ENOTDIR (its parent),
 * -MOS_EINVAL (rel is the root), -MOS_ENOSPC (node limit), -MOS_ENOMEM. */
__attribute__((warn_unused_result)) int tmpfs_create(struct tmpfs *fs, const char *rel, uint32_t type,
                                                     struct tmpfs_node **out);
/* Remove rel: a file, or an empty directory. 0, -MOS_ENOENT, -MOS_ENOTDIR,
 * -MOS_ENOTEMPTY, -MOS_EBUSY (the root). */
__attribute__((warn_unused_result)) int tmpfs_unlink(struct tmpfs *fs, const char *rel);
/* Move from to `to` (both in this file system). An existing target is
 * replaced when both are files, or when both are directories and the
 * target is empty. 0, -MOS_ENOENT, -MOS_ENOTDIR, -MOS_EISDIR (file onto a
 * directory), -MOS_ENOTEMPTY, -MOS_EINVAL (into itself or its own subtree),
 * -MOS_EBUSY (the root), -MOS_ENOMEM. */
__attribute__((warn_unused_result)) int tmpfs_rename(struct tmpfs *fs, const char *from, const char *to);

/* Take and drop a reference (an open handle). The last put frees the node. */
void tmpfs_get(struct tmpfs_node *n);
void tmpfs_put(struct tmpfs *fs, struct tmpfs_node *n);

/* Bytes read (0 at or past the end), or -MOS_EISDIR. */
long tmpfs_read(const struct tmpfs_node *n, uint64_t off, void *buf, size_t len);
/* Write len bytes at off, growing the file (a gap reads as zeros). All or
 * nothing: len, or -MOS_EISDIR, -MOS_ENOSPC (file or total limit),
 * -MOS_ENOMEM. */
long tmpfs_write(struct tmpfs *fs, struct tmpfs_node *n, uint64_t off, const void *buf, size_t len);
/* Set the size (shrink, or grow with zeros). 0, -MOS_EISDIR, -MOS_ENOSPC, -MOS_ENOMEM. */
__attribute__((warn_unused_result)) int tmpfs_truncate(struct tmpfs *fs, struct tmpfs_node *n, uint64_t size);
/* Entry `index` of directory dir: 0, -MOS_ENOENT past the end, -MOS_ENOTDIR. */
int tmpfs_readdir(const struct tmpfs_node *dir, uint64_t index, struct vfs_dirent *d);
void tmpfs_stat(const struct tmpfs_node *n, struct vfs_stat *st);

/* Check every invariant (parents, reference counts, byte and node totals).
 * Returns 0 or a negative number naming the broken one. For tests. */
int tmpfs_check(const struct tmpfs *fs);
