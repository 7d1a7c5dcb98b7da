// SPDX-License-Identifier: MIT
/* tar.c - the USTAR reader: a header block of 512 bytes per entry, the data
 * rounded up to whole blocks, and two zero blocks at the end. Header layout
 * (offsets in the block): name 0 (100), mode 100 (8), uid 108, gid 116,
 * size 124 (12), mtime 136 (12), chksum 148 (8), typeflag 156, linkname 157
 * (100), magic 257 ("ustar\0" POSIX or "ustar " GNU), version 263, uname
 * 265, gname 297, devmajor 329, devminor 337, prefix 345 (155).
 * Numeric fields are octal text: optional leading spaces, at least one digit,
 * then only NULs or spaces to the end of the field (GNU base-256 numbers are
 * refused). The checksum is the sum of the header's bytes with the chksum
 * field counted as spaces; unsigned and (historic) signed sums are accepted.
 * Every position is compared with len before it is read. Pure. */
#include "lib/tar.h"
#include "lib/string.h"

#include <mos/errors.h>

#define TAR_OFF_NAME     0
#define TAR_OFF_MODE     100
#define TAR_OFF_SIZE     124
#define TAR_OFF_MTIME    136
#define TAR_OFF_CHKSUM   148
#define TAR_OFF_TYPE     156
#define TAR_OFF_LINKNAME 157
#define TAR_OFF_MAGIC    257
#define TAR_OFF_PREFIX   345

/* Parse the octal field f[0..n) into *out; false if malformed or > 64 bits. */
static bool tar_octal(const uint8_t *f, size_t n, uint64_t *out)
{
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    size_t first_digit = i;
    uint64_t v = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3))
            return false;
        v = (v << 3) | (uint64_t)(f[i] - '0');
    }
    if (i == first_digit)
        return false;
    for (; i < n; i++) {
        if (f[i] != '\0' && f[i] != ' ')
            return false;
    }
    *out = v;
    return true;
}

static bool tar_zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < TAR_BLOCK; i++) {
        if (b[i])
            return false;
    }
    return true;
}

static bool tar_checksum_ok(const uint8_t *h)
{
    uint64_t stored;
    if (!tar_octal(h + TAR_OFF_CHKSUM, 8, &stored))
        return false;
    uint64_t usum = 0;
    int64_t ssum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++) {
        uint8_t c = (i >= TAR_OFF_CHKSUM && i < TAR_OFF_CHKSUM + 8) ? ' ' : h[i];
        usum += c;
        ssum += (int8_t)c;
    }
    return stored == usum || (ssum >= 0 && stored == (uint64_t)ssum);
}

/* Length of the NUL-terminated string in f[0..n) (n if no NUL). */
static size_t tar_field_len(const uint8_t *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i])
        i++;
    return i;
}

/* Strip leading "/" and "./" and trailing "/" in place; "." becomes "". */
static void tar_normalize(char *s)
{
    size_t skip = 0;
    for (;;) {
        if (s[skip] == '/')
            skip++;
        else if (s[skip] == '.' && s[skip + 1] == '/')
            skip += 2;
        else
            break;
    }
    size_t n = strlen(s + skip);
    memmove(s, s + skip, n + 1);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    if (n == 1 && s[0] == '.')
        s[0] = '\0';
}

/* Build e->name from the prefix and name fields of header h. */
static bool tar_read_name(const uint8_t *h, struct tar_entry *e)
{
    size_t nlen = tar_field_len(h + TAR_OFF_NAME, 100);
    size_t plen = tar_field_len(h + TAR_OFF_PREFIX, 155);
    if (nlen == 0)
        return false;
    size_t k = 0;
    if (plen) {
        memcpy(e->name, h + TAR_OFF_PREFIX, plen);
        k = plen;
        e->name[k++] = '/';
    }
    memcpy(e->name + k, h + TAR_OFF_NAME, nlen);
    e->name[k + nlen] = '\0';
    tar_normalize(e->name);
    return true;
}

static uint32_t tar_type_of(uint8_t flag)
{
    switch (flag) {
    case '0':
    case '\0':
    case '7':   /* contiguous file: a regular file everywhere that matters */
        return TAR_FILE;
    case '5':
        return TAR_DIR;
    case '2':
        return TAR_SYMLINK;
    case '1':
        return TAR_HARDLINK;
    default:
        return TAR_OTHER;
    }
}

int tar_next(const void *arch, size_t len, size_t *pos, struct tar_entry *e)
{
    const uint8_t *a = arch;
    size_t at = *pos;
    if (at > len || len - at < TAR_BLOCK)
        return -MOS_EINVAL;                 /* no terminator */
    const uint8_t *h = a + at;
    if (tar_zero_block(h)) {
        if (len - at < 2 * TAR_BLOCK || !tar_zero_block(h + TAR_BLOCK))
            return -MOS_EINVAL;             /* a lone zero block */
        return 0;
    }
    if (memcmp(h + TAR_OFF_MAGIC, "ustar", 5) != 0 ||
        (h[TAR_OFF_MAGIC + 5] != '\0' && h[TAR_OFF_MAGIC + 5] != ' '))
        return -MOS_EINVAL;
    if (!tar_checksum_ok(h))
        return -MOS_EINVAL;

    uint64_t mode, size, mtime;
    if (!tar_octal(h + TAR_OFF_MODE, 8, &mode) || !tar_octal(h + TAR_OFF_SIZE, 12, &size) ||
        !tar_octal(h + TAR_OFF_MTIME, 12, &mtime))
        return -MOS_EINVAL;
    size_t data_at = at + TAR_BLOCK;
    if (size > len - data_at)
        return -MOS_EINVAL;                 /* data beyond the archive */
    if (!tar_read_name(h, e))
        return -MOS_EINVAL;
    e->type = tar_type_of(h[TAR_OFF_TYPE]);
    if (e->name[0] == '\0' && e->type != TAR_DIR)
        return -MOS_EINVAL;                 /* only the root directory may be "" */
    size_t llen = tar_field_len(h + TAR_OFF_LINKNAME, 100);
    memcpy(e->linkname, h + TAR_OFF_LINKNAME, llen);
    e->linkname[llen] = '\0';
    e->mode = (uint32_t)(mode & 07777);
    e->size = size;
    e->mtime = mtime;
    e->data = a + data_at;
    e->header_offset = at;

    /* Next header: after the data rounded up to a block. If the padding
     * runs past the end, the next call reports the missing terminator. */
    size_t next = data_at + (size_t)size;
    size_t pad = (TAR_BLOCK - (size_t)(size % TAR_BLOCK)) % TAR_BLOCK;
    *pos = pad > len - next ? len : next + pad;
    return 1;
}

int tar_find(const void *arch, size_t len, const char *path, struct tar_entry *e)
{
    char want[TAR_NAME_MAX];
    size_t plen = strnlen(path, TAR_NAME_MAX);
    if (plen == TAR_NAME_MAX)
        return -MOS_ENOENT;                 /* longer than any stored name */
    memcpy(want, path, plen + 1);
    tar_normalize(want);

    struct tar_entry cur;
    size_t pos = 0;
    bool found = false;
    int r;
    while ((r = tar_next(arch, len, &pos, &cur)) == 1) {
        if (strcmp(cur.name, want) == 0) {
            *e = cur;
            found = true;
        }
    }
    if (r < 0)
        return r;
    return found ? 0 : -MOS_ENOENT;
}
