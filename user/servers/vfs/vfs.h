/* SPDX-License-Identifier: MIT */
/* vfs.h - the namespace of the VFS service: the mount table ("/" is the
 * tar file system over the initrd, "/tmp" the in-memory one), the sessions
 * (one per badge a request arrives with, each with its own table of open
 * handles) and the permission checks. Everything the protocol can ask is a
 * vfs_*() call here; vfs_ipc.c only unpacks and packs messages. Pure (no
 * system calls: minting a session capability is a callback), so host tests
 * link it. Single-threaded: the service loop serialises every call.
 *
 * Handles are opaque numbers >= 0 private to a session: (epoch << 8) | slot.
 * The epoch is chosen anew each time the service starts, so a handle from
 * before a restart fails with -MOS_EBADHANDLE instead of naming whatever a
 * new open got the same slot. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "proto/vfs.h"
#include "tarfs.h"
#include "tmpfs.h"

#define VFS_SESSION_FILES 64u           /* open handles per session */
#define VFS_SESSIONS_MAX  1024u
#define VFS_BADGE_TAG     (1ull << 62)  /* set in every badge VFS_CONNECT makes */
#define VFS_SESSION_BUCKETS 64u

enum vfs_fs { VFS_FS_NONE = 0, VFS_FS_TAR, VFS_FS_TMP };

struct vfs_file {
    uint8_t fs;                 /* enum vfs_fs; VFS_FS_NONE: a free slot */
    uint8_t ns_root;            /* the namespace root "/" (readdir adds "tmp") */
    uint16_t _pad;
    uint32_t flags;             /* VFS_O_* it was opened with */
    void *node;                 /* struct tarfs_node, or struct tmpfs_node (holding a reference) */
};

struct vfs_session {
    uint64_t badge;
    uint64_t creator;           /* badge of the session that made it (VFS_CONNECT) */
    int connected;              /* made by VFS_CONNECT: lives until VFS_DISCONNECT;
                                 * other sessions are dropped when their last handle closes */
    uint32_t nfiles;
    struct vfs_file files[VFS_SESSION_FILES];
    struct vfs_session *next;   /* hash chain */
};

/* Make a capability for a new session: an endpoint capability with `badge`,
 * returned as a handle (>= 0) or -MOS_E*. */
typedef long (*vfs_mint_fn)(void *ctx, uint64_t badge);

struct vfs {
    struct tarfs tar;
    struct tmpfs tmp;
    struct vfs_session *buckets[VFS_SESSION_BUCKETS];
    uint32_t nsessions;         /* sessions in the table */
    uint32_t nfiles;            /* open handles in all sessions */
    uint32_t epoch;             /* 1..0x7FFF, in every handle */
    uint32_t next_session;      /* counter in minted badges */
    vfs_mint_fn mint;
    void *mint_ctx;
};

/* Mount the archive [arch, arch + len) (len may be 0: an empty root) at
 * "/" and an empty tmpfs (default limits) at "/tmp". epoch: any number; it
 * is folded into 1..0x7FFF. Returns 0 or -MOS_ENOMEM. */
__attribute__((warn_unused_result)) int vfs_init(struct vfs *v, const void *arch, size_t len,
                                                 uint32_t epoch, vfs_mint_fn mint, void *mint_ctx);
/* Close every handle, free every session and both file systems. */
void vfs_fini(struct vfs *v);

/* `badge` is the session the request came from. Paths are NUL-terminated
 * strings (normalised here). Errors besides those listed per call:
 * -MOS_EINVAL (empty path, ".." above the root), -MOS_ENAMETOOLONG,
 * -MOS_ENOENT, -MOS_ENOTDIR (a file inside a path), -MOS_EBADHANDLE (no
 * such handle in this session), -MOS_ENOMEM. */

/* A new handle: VFS_O_READ and/or VFS_O_WRITE (neither: read), CREATE,
 * TRUNC (needs WRITE), APPEND (needs WRITE), DIR (alone, or with READ).
 * -MOS_EROFS (anything that writes, under "/"), -MOS_EISDIR (a directory
 * without VFS_O_DIR), -MOS_ENOTDIR (VFS_O_DIR on a file), -MOS_ENOSPC (the
 * session's table is full, too many sessions, tmpfs limits). */
long vfs_open(struct vfs *v, uint64_t badge, const char *path, uint32_t flags);
int vfs_close(struct vfs *v, uint64_t badge, long h);
/* Bytes read (0 at the end), -MOS_EPERM (not opened for reading), -MOS_EISDIR. */
long vfs_read(struct vfs *v, uint64_t badge, long h, uint64_t off, void *buf, size_t len);
/* Bytes written (all of len), -MOS_EPERM (not opened for writing), -MOS_ENOSPC. */
long vfs_write(struct vfs *v, uint64_t badge, long h, uint64_t off, const void *buf, size_t len);
int vfs_stat(struct vfs *v, const char *path, struct vfs_stat *st);
int vfs_fstat(struct vfs *v, uint64_t badge, long h, struct vfs_stat *st);
/* Entry `index` of a handle opened with VFS_O_DIR: 0, -MOS_ENOENT past the
 * end, -MOS_ENOTDIR (not a directory handle). */
int vfs_readdir(struct vfs *v, uint64_t badge, long h, uint64_t index, struct vfs_dirent *d);
/* -MOS_EEXIST, -MOS_EROFS, -MOS_ENOSPC. */
int vfs_mkdir(struct vfs *v, const char *path);
/* A file or an empty directory: -MOS_ENOTEMPTY, -MOS_EROFS, -MOS_EBUSY ("/tmp"). */
int vfs_unlink(struct vfs *v, const char *path);
/* Within /tmp: -MOS_EROFS (either side under "/"), -MOS_EISDIR, -MOS_ENOTEMPTY,
 * -MOS_EINVAL (into its own subtree), -MOS_EBUSY ("/tmp"). */
int vfs_rename(struct vfs *v, const char *from, const char *to);

/* A new session made by session `badge`: its capability (from the mint
 * callback) is returned, its badge stored in *new_badge. -MOS_ENOSPC (too
 * many sessions), or the callback's error. */
long vfs_connect(struct vfs *v, uint64_t badge, uint64_t *new_badge);
/* Close session `target`'s handles and forget it. Allowed to the session
 * itself, to the session that made it with vfs_connect(), and to badge 0
 * (the unbadged endpoint, which only init and the VFS hold). Sessions that
 * `target` made pass to target's creator. 0 (also when target has no
 * record: nothing is open), or -MOS_EPERM. */
int vfs_disconnect(struct vfs *v, uint64_t badge, uint64_t target);

/* out[0] = open handles, out[1] = sessions, out[2] = tmpfs bytes. */
void vfs_stats(const struct vfs *v, uint64_t out[3]);
