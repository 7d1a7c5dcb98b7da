/* SPDX-License-Identifier: MIT */
/* vfs_client.h - the VFS protocol (proto/vfs.h) from a client. The VFS
 * endpoint is the "vfs" capability of the start block; its badge is this
 * client's session. Reads and writes above 4096 bytes go through a memory
 * grant (VFS_READ_GRANT/VFS_WRITE_GRANT), smaller ones through the payload. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include "proto/vfs.h"

long vfs_init(void);                                 /* from the start block ("vfs") */
mos_handle_t vfs_handle(void);
long vfs_open(const char *path, uint32_t flags);    /* handle >= 0 or -MOS_E* */
long vfs_close(long h);
long vfs_read(long h, uint64_t off, void *buf, size_t len);   /* bytes (0 = end) */
long vfs_write(long h, uint64_t off, const void *buf, size_t len);
long vfs_stat(const char *path, struct vfs_stat *st);
long vfs_fstat(long h, struct vfs_stat *st);
long vfs_readdir(long h, uint64_t index, struct vfs_dirent *d);  /* 0, or -MOS_ENOENT at the end */
long vfs_mkdir(const char *path);
long vfs_unlink(const char *path);
long vfs_rename(const char *from, const char *to);
/* A new session for a child process: an endpoint capability (handle in this
 * process) to pass to it as its "vfs"; vfs_disconnect(badge) when it died. */
long vfs_connect(mos_handle_t *session_cap, uint64_t *badge);
long vfs_disconnect(uint64_t badge);
/* Whole file into a malloc'ed buffer (NUL-terminated); size in *len. */
long vfs_read_file(const char *path, char **data, size_t *len);
