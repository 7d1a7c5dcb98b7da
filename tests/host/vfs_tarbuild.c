// SPDX-License-Identifier: MIT
/* vfs_tarbuild.c - USTAR archives for the VFS host tests (see vfs_tarbuild.h). */
#include "vfs_tarbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_octal(uint8_t *f, size_t n, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*llo", (int)(n - 1), (unsigned long long)v);
    memcpy(f, tmp, n - 1);
    f[n - 1] = '\0';
}

static void fix_checksum(uint8_t *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06o", sum);
    memcpy(h + 148, tmp, 6);
    h[154] = '\0';
    h[155] = ' ';
}

void tb_reset(struct tb *a)
{
    memset(a, 0, sizeof *a);
}

void tb_add(struct tb *a, const char *name, char type, const void *data, size_t size, unsigned mode,
            const char *link)
{
    size_t padded = (size + 511) / 512 * 512;
    if (a->len + 512 + padded + 1024 > TB_MAX)
        abort();
    uint8_t *h = a->b + a->len;
    memset(h, 0, 512);
    size_t n = strlen(name);
    if (n > 100) {                          /* split into prefix / name at a slash */
        size_t cut = n - 100;
        while (cut < n && name[cut] != '/')
            cut++;
        if (cut >= n || cut > 155)
            abort();
        memcpy(h + 345, name, cut);
        memcpy(h, name + cut + 1, n - cut - 1);
    } else {
        memcpy(h, name, n);
    }
    put_octal(h + 100, 8, mode);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 1234567);
    h[156] = (uint8_t)type;
    if (link)
        memcpy(h + 157, link, strnlen(link, 100));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    fix_checksum(h);
    a->len += 512;
    if (size) {
        memcpy(a->b + a->len, data, size);
        memset(a->b + a->len + size, 0, padded - size);
        a->len += padded;
    }
}

void tb_finish(struct tb *a)
{
    memset(a->b + a->len, 0, 1024);
    a->len += 1024;
}

uint8_t *tb_copy(const struct tb *a)
{
    uint8_t *p = malloc(a->len ? a->len : 1);
    if (!p)
        abort();
    memcpy(p, a->b, a->len);
    return p;
}
