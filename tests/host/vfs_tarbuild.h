/* SPDX-License-Identifier: MIT */
/* vfs_tarbuild.h - build small USTAR archives in memory for the VFS host
 * tests (real header layout, octal fields, checksum). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define TB_MAX (256 * 1024)

struct tb {
    uint8_t b[TB_MAX];
    size_t len;
};

void tb_reset(struct tb *a);
/* Append an entry (type '0' file, '5' dir, '1' hard link, '2' symlink, ...). */
void tb_add(struct tb *a, const char *name, char type, const void *data, size_t size, unsigned mode,
            const char *link);
/* The two zero blocks at the end. */
void tb_finish(struct tb *a);
/* A heap copy of exactly a->len bytes (ASan sees any read past the end). */
uint8_t *tb_copy(const struct tb *a);
