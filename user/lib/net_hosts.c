// SPDX-License-Identifier: MIT
/* net_hosts.c - the hosts-file table of net_resolve() (net_client.h): a
 * line is "a.b.c.d name [alias ...]", '#' starts a comment, fields are
 * separated by spaces or tabs, names compare without regard to case. The
 * text is not trusted (it is a file anyone with write access to the VFS
 * could have made): every read stays inside [text, text + len), a line
 * whose first field is not a dotted quad is skipped, a NUL byte ends the
 * text, and names longer than NET_NAME_MAX - 1 never match. Pure: no
 * system calls, no allocation (host-tested: tests/host/test_net_hosts.c). */
#include "net_client.h"
#include <mos/errors.h>

static bool nh_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static char nh_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* [p, end) is exactly a dotted quad: 0, with the address in *addr. */
static int nh_quad(const char *p, const char *end, uint32_t *addr)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || v > 255)
                return -1;
        }
        if (!digits)
            return -1;
        a = a << 8 | v;
        if (part < 3) {
            if (p >= end || *p != '.')
                return -1;
            p++;
        }
    }
    if (p != end)
        return -1;
    *addr = a;
    return 0;
}

static bool nh_same(const char *field, size_t flen, const char *name, size_t nlen)
{
    if (flen != nlen)
        return false;
    for (size_t i = 0; i < flen; i++)
        if (nh_lower(field[i]) != nh_lower(name[i]))
            return false;
    return true;
}

long net_hosts_lookup(const char *text, size_t len, const char *name, uint32_t *addr)
{
    if ((!text && len) || !name || !addr)
        return -MOS_EINVAL;
    size_t nlen = 0;
    while (nlen < NET_NAME_MAX && name[nlen])
        nlen++;
    if (nlen == 0 || nlen >= NET_NAME_MAX)
        return -MOS_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0') {
            len = i;
            break;
        }
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = p;
        while (eol < end && *eol != '\n')
            eol++;
        const char *stop = p;
        while (stop < eol && *stop != '#')
            stop++;
        /* Fields of [p, stop): the first the address, the rest names. */
        uint32_t a = 0;
        bool have_addr = false, bad = false;
        while (p < stop && !bad) {
            while (p < stop && nh_space(*p))
                p++;
            const char *f = p;
            while (p < stop && !nh_space(*p))
                p++;
            if (f == p)
                break;
            if (!have_addr) {
                bad = nh_quad(f, p, &a) != 0;
                have_addr = true;
            } else if (nh_same(f, (size_t)(p - f), name, nlen)) {
                *addr = a;
                return 0;
            }
        }
        p = eol < end ? eol + 1 : end;
    }
    return -MOS_ENOENT;
}
