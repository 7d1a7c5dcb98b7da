// SPDX-License-Identifier: MIT
/* cmdline.c - looking up words of the kernel command line. Pure. */
#include "lib/cmdline.h"
#include "lib/string.h"

/* Find key as a whole word (followed by end, space or '='); return the
 * character after the key or NULL. */
static const char *find(const char *s, const char *key)
{
    size_t klen = strlen(key);
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *word = s;
        while (*s && *s != ' ')
            s++;
        if ((size_t)(s - word) >= klen && strncmp(word, key, klen) == 0 &&
            (word[klen] == ' ' || word[klen] == '\0' || word[klen] == '='))
            return word + klen;
    }
    return NULL;
}

bool cmdline_has(const char *cmdline, const char *key)
{
    return find(cmdline, key) != NULL;
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
    const char *p = find(cmdline, key);
    if (!p || *p != '=' || len == 0)
        return false;
    p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && n + 1 < len) {
        buf[n] = p[n];
        n++;
    }
    buf[n] = '\0';
    return true;
}
