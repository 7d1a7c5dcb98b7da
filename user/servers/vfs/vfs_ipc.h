/* SPDX-License-Identifier: MIT */
/* vfs_ipc.h - the VFS protocol's messages to and from vfs_*() calls. The
 * service loop (main.c) copies a request out of the IPC buffer into a
 * struct vfs_req, vfs_ipc_dispatch() fills a struct vfs_rep, and the loop
 * sends it as the reply. Userspace only (large reads and writes map memory). */
#pragma once

#include <stdint.h>
#include <mos/ipc.h>
#include <mos/types.h>
#include "vfs.h"

/* Where a granted buffer is mapped while a request uses it, and the most of
 * it one request touches (a longer request is served short). */
#define VFS_GRANT_VA      0x0000300000000000ull
#define VFS_GRANT_MAX     (16ull << 20)

struct vfs_req {
    uint32_t op;                        /* the label: enum vfs_op */
    uint64_t badge;                     /* the session */
    uint64_t w[MOS_MSG_WORDS];
    const uint8_t *data;                /* payload (a copy: stable during the call) */
    uint32_t bytes;
    const mos_handle_t *caps;           /* capabilities that arrived (the loop deletes them after) */
    uint32_t ncaps;
};

struct vfs_rep {
    long result;                        /* the reply's label: 0 or -MOS_E* */
    uint64_t w[MOS_MSG_WORDS];
    uint8_t *data;                      /* MOS_MSG_MAX_BYTES of room for the reply payload */
    uint32_t bytes;
    mos_handle_t cap;                   /* 0, or a capability to send (copied; the loop
                                         * deletes this one after the reply) */
};

/* Serve one request. Never fails: a bad request gets its error in
 * rp->result (-MOS_ENOSYS unknown method, -MOS_EINVAL short or malformed). */
void vfs_ipc_dispatch(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp);
