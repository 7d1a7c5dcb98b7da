// SPDX-License-Identifier: MIT
/* path.c - path normalisation for the VFS (see path.h). Lexical only: ".."
 * removes the previous component without looking at the file system, as in
 * Plan 9, so "/tmp/file/.." is "/tmp" whatever "file" is. The input is
 * untrusted (it comes straight from a message): it is read with bounds and
 * every output write is checked. */
#include "path.h"

#include <stdint.h>
#include <mos/errors.h>
#include "lib/string.h"

int path_normalize(const char *in, char out[VFS_PATH_MAX])
{
    size_t inlen = strnlen(in, VFS_PATH_MAX);
    if (inlen == 0)
        return -MOS_EINVAL;
    if (inlen >= VFS_PATH_MAX)
        return -MOS_ENAMETOOLONG;
    char buf[VFS_PATH_MAX];
    size_t len = 0;                        /* buf[0..len): "" or "/a/b" */
    size_t i = 0;
    while (i < inlen) {
        while (i < inlen && in[i] == '/')
            i++;
        size_t start = i;
        while (i < inlen && in[i] != '/')
            i++;
        size_t n = i - start;
        if (n == 0 || (n == 1 && in[start] == '.'))
            continue;
        if (n == 2 && in[start] == '.' && in[start + 1] == '.') {
            if (len == 0)
                return -MOS_EINVAL;         /* above the root */
            while (len > 0 && buf[len - 1] != '/')
                len--;
            len--;                          /* the slash before it */
            continue;
        }
        if (n > VFS_NAME_MAX - 1)
            return -MOS_ENAMETOOLONG;
        if (len + 1 + n >= VFS_PATH_MAX)
            return -MOS_ENAMETOOLONG;
        buf[len++] = '/';
        memcpy(buf + len, in + start, n);
        len += n;
    }
    if (len == 0)
        buf[len++] = '/';
    buf[len] = '\0';
    memcpy(out, buf, len + 1);
    return (int)len;
}

int path_split(const char *norm, char parent[VFS_PATH_MAX], char name[VFS_NAME_MAX])
{
    const char *slash = strrchr(norm, '/');
    if (!slash || slash[1] == '\0')
        return -MOS_EINVAL;
    size_t plen = (size_t)(slash - norm), nlen = strlen(slash + 1);
    if (plen >= VFS_PATH_MAX || nlen >= VFS_NAME_MAX)
        return -MOS_ENAMETOOLONG;
    if (plen == 0) {
        parent[0] = '/';
        parent[1] = '\0';
    } else {
        memcpy(parent, norm, plen);
        parent[plen] = '\0';
    }
    memcpy(name, slash + 1, nlen + 1);
    return 0;
}

int path_within(const char *p, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 1 && prefix[0] == '/')
        return 1;
    return strncmp(p, prefix, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int path_next(const char **rest, char name[VFS_NAME_MAX])
{
    const char *s = *rest;
    while (*s == '/')
        s++;
    if (*s == '\0') {
        *rest = s;
        return 0;
    }
    size_t n = 0;
    while (s[n] != '\0' && s[n] != '/')
        n++;
    if (n >= VFS_NAME_MAX)
        return -MOS_ENAMETOOLONG;
    memcpy(name, s, n);
    name[n] = '\0';
    *rest = s + n;
    return 1;
}
