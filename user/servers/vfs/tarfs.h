/* SPDX-License-Identifier: MIT */
/* tarfs.h - the read-only file system over the initrd, a USTAR archive in
 * memory. Mounting indexes the archive once into a tree of nodes (file data
 * is not copied: nodes point into the archive, which must stay mapped for
 * the life of the mount). Directories a path implies exist even when the
 * archive does not list them. Pure; compiled into the VFS and host tests.
 * Single-threaded: the caller serialises every call. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "proto/vfs.h"

struct tarfs_node {
    char name[VFS_NAME_MAX];        /* one component; "" for the root */
    uint32_t type;                  /* VFS_TYPE_FILE or VFS_TYPE_DIR */
    uint32_t mode;                  /* permission bits from the archive (0755 if implied) */
    uint64_t mtime;                 /* seconds, from the archive (0 if implied) */
    uint64_t size;                  /* files: data bytes */
    const void *data;               /* files: size bytes inside the archive */
    struct tarfs_node *parent;      /* NULL for the root */
    struct tarfs_node **children;   /* dirs: nchildren entries, archive order */
    uint32_t nchildren, cap;
};

struct tarfs {
    struct tarfs_node root;
    uint32_t files, dirs;           /* nodes in the tree (without the root) */
    uint32_t skipped;               /* entries not served: symlinks, devices, bad names */
    int malformed;                  /* 1: indexing stopped at a malformed header */
    size_t malformed_at;            /* its offset */
};

/* Index the archive [arch, arch + len). A malformed header ends the index
 * there (what came before is served, fs->malformed says so); entries whose
 * names cannot be served (a component above VFS_NAME_MAX - 1, a path of
 * VFS_PATH_MAX or more, ".." above the root) and symlinks and devices are
 * counted in fs->skipped. Hard links become copies of their target. A name
 * that occurs twice: the later entry wins, except that a directory with
 * children stays a directory. Returns 0, or -MOS_ENOMEM (fs is then empty
 * but valid: tarfs_unmount() still works). */
__attribute__((warn_unused_result)) int tarfs_mount(struct tarfs *fs, const void *arch, size_t len);
/* Free the index. */
void tarfs_unmount(struct tarfs *fs);

/* The node at the relative path rel ("" = root, "a/b"; no "." or ".."):
 * 0 and *out, -MOS_ENOENT, or -MOS_ENOTDIR (a file where a directory was
 * needed), -MOS_ENAMETOOLONG. */
__attribute__((warn_unused_result)) int tarfs_lookup(struct tarfs *fs, const char *rel,
                                                     struct tarfs_node **out);

/* Copy up to len bytes of file n from off into buf: bytes copied (0 at or
 * past the end), or -MOS_EISDIR. */
long tarfs_read(const struct tarfs_node *n, uint64_t off, void *buf, size_t len);
/* Entry `index` of directory dir: 0, -MOS_ENOENT past the end, -MOS_ENOTDIR. */
int tarfs_readdir(const struct tarfs_node *dir, uint64_t index, struct vfs_dirent *d);
void tarfs_stat(const struct tarfs_node *n, struct vfs_stat *st);
