/* SPDX-License-Identifier: MIT */
/* tar.h - a pure reader of USTAR archives held in memory (the initrd), shared
 * by the kernel (finding init), the VFS's tarfs and host tests. The archive
 * is never trusted: every header's magic, checksum and octal fields are
 * checked, every entry's data must lie inside the archive, and nothing is
 * read outside [arch, arch + len). Entries point into the archive (no
 * copies of file data). Freestanding; no state, no locks, any context. */
#pragma once

#include "lib/types.h"

#define TAR_BLOCK    512u
/* prefix (155) + '/' + name (100) + NUL */
#define TAR_NAME_MAX 257u

enum tar_type {
    TAR_FILE = 1,       /* typeflag '0' or NUL (old regular file) */
    TAR_DIR,            /* '5' */
    TAR_SYMLINK,        /* '2': linkname holds the target; no data */
    TAR_HARDLINK,       /* '1': linkname holds the target; no data */
    TAR_OTHER,          /* devices, FIFOs, pax/GNU extension headers: skip */
};

struct tar_entry {
    char name[TAR_NAME_MAX];  /* prefix "/" name, leading "./" and "/" and a
                               * trailing "/" removed; "" for the root "./" */
    char linkname[101];       /* NUL-terminated */
    uint32_t type;            /* enum tar_type */
    uint32_t mode;            /* permission bits (07777) */
    uint64_t size;            /* data bytes */
    uint64_t mtime;
    const void *data;         /* size bytes inside the archive (for TAR_FILE) */
    size_t header_offset;     /* where this entry's header block starts */
};

/* Read the entry whose header is at *pos (start with *pos = 0) into *e and
 * advance *pos past its data. Returns 1 (an entry), 0 at the end of the
 * archive (two zero blocks; *pos is left on the first), or -MOS_EINVAL if
 * the header at *pos is malformed (bad magic or checksum, non-octal or
 * overflowing field, empty name, data beyond len) or the archive ends
 * without its two zero blocks. *e is undefined unless 1 is returned; *pos
 * moves only when 1 is returned. */
__must_check int tar_next(const void *arch, size_t len, size_t *pos, struct tar_entry *e);

/* Find path (a leading "/" or "./" and a trailing "/" are ignored) and fill
 * *e; when the name occurs twice the later entry wins, as with tar(1).
 * Scans (and so validates) the whole archive. Returns 0, -MOS_ENOENT, or
 * -MOS_EINVAL if the archive is malformed anywhere. */
__must_check int tar_find(const void *arch, size_t len, const char *path, struct tar_entry *e);
