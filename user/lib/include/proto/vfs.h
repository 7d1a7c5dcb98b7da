/* SPDX-License-Identifier: MIT */
/* proto/vfs.h - the file-system protocol of the VFS service
 * (user/servers/vfs): a read-only tar file system over the initrd at "/",
 * a writable in-memory file system at "/tmp". Requests are ipc_calls; the
 * reply's label is 0 or -MOS_E*, words as stated. Paths travel in the
 * payload (NUL-terminated, <= VFS_PATH_MAX bytes). File handles are small
 * numbers private to the session they were opened in; a session is named by
 * the badge of the capability the client calls through. docs/services.md. */
#pragma once

#include <stdint.h>

#define VFS_PATH_MAX 256u
#define VFS_NAME_MAX 64u

enum vfs_op {
    VFS_OPEN = 1,       /* payload: path; w0 = VFS_O_* flags. reply w0 = handle */
    VFS_CLOSE,          /* w0 = handle */
    VFS_READ,           /* w0 = handle, w1 = offset, w2 = length (<= 4096).
                         * reply: payload = data, w0 = bytes (0 at end of file) */
    VFS_WRITE,          /* w0 = handle, w1 = offset, payload = data; VFS_APPEND: offset
                         * ignored. reply w0 = bytes written */
    VFS_READ_GRANT,     /* large read, zero-copy: capability 0 = a MEMORY capability
                         * (READ|WRITE) for the client's buffer, w0 = handle, w1 = offset,
                         * w2 = length (<= the capability's pages * 4096). The server maps
                         * it, fills it, unmaps it and deletes its copy. reply w0 = bytes */
    VFS_WRITE_GRANT,    /* large write from such a buffer; same words. reply w0 = bytes */
    VFS_STAT,           /* payload: path. reply: payload = struct vfs_stat */
    VFS_FSTAT,          /* w0 = handle. reply: payload = struct vfs_stat */
    VFS_READDIR,        /* w0 = handle of an open directory, w1 = index.
                         * reply: payload = struct vfs_dirent; label -MOS_ENOENT past the end */
    VFS_MKDIR,          /* payload: path */
    VFS_UNLINK,         /* payload: path (file or empty directory) */
    VFS_RENAME,         /* payload: "from\0to\0" (both in the same file system) */
    VFS_CONNECT,        /* a new session: reply carries capability 0, an endpoint
                         * capability whose badge names the new session */
    VFS_DISCONNECT,     /* w0 = session badge: its handles are closed (callable by the
                         * session itself, or by any session that created it with
                         * VFS_CONNECT: a creator closes the session of a child it saw die) */
    VFS_STATS,          /* reply w0 = open handles, w1 = sessions, w2 = tmpfs bytes */
};

#define VFS_O_READ    0x01u
#define VFS_O_WRITE   0x02u
#define VFS_O_CREATE  0x04u
#define VFS_O_TRUNC   0x08u
#define VFS_O_APPEND  0x10u
#define VFS_O_DIR     0x20u     /* open a directory (for VFS_READDIR) */

#define VFS_TYPE_FILE 1u
#define VFS_TYPE_DIR  2u

struct vfs_stat {
    uint64_t size;
    uint32_t type;              /* VFS_TYPE_* */
    uint32_t mode;              /* permission bits as stored (tar) */
    uint64_t mtime;             /* seconds (tar), 0 in /tmp */
    uint32_t writable;          /* in a writable file system */
    uint32_t _pad;
};
_Static_assert(sizeof(struct vfs_stat) == 32, "proto: vfs_stat");

struct vfs_dirent {
    char name[VFS_NAME_MAX];
    uint32_t type;              /* VFS_TYPE_* */
    uint32_t _pad;
    uint64_t size;
};
_Static_assert(sizeof(struct vfs_dirent) == 80, "proto: vfs_dirent");
