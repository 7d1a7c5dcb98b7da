// SPDX-License-Identifier: MIT
/* string.c - the kernel's memcpy/memset/memmove/memcmp and C string functions,
 * with the C standard's semantics (prototypes in lib/string.h). Pure and
 * reentrant: no state, no locks; safe in any context, including interrupts.
 * Bulk copies and fills move 8-byte words once both pointers are aligned
 * alike. The compiler must not turn these loops back into calls to
 * themselves, so GCC's loop-idiom pass is off in this file (clang does not
 * do it under -ffreestanding).
 * Host tests link this file beside the C library, so under HOST_TEST every
 * function is renamed kstring_host_<name> (see KSTRING below). */
#include "lib/string.h"
#include "lib/types.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

#ifdef HOST_TEST
#define KSTRING(name) kstring_host_##name
#else
#define KSTRING(name) name
#endif

/* In the kernel these repeat lib/string.h; on the host they declare the
 * renamed functions (tests/host/test_string.c lists them too). */
void *KSTRING(memcpy)(void *restrict dst, const void *restrict src, size_t n);
void *KSTRING(memset)(void *dst, int c, size_t n);
void *KSTRING(memmove)(void *dst, const void *src, size_t n);
int KSTRING(memcmp)(const void *a, const void *b, size_t n);
size_t KSTRING(strlen)(const char *s);
int KSTRING(strcmp)(const char *a, const char *b);
int KSTRING(strncmp)(const char *a, const char *b, size_t n);
size_t KSTRING(strnlen)(const char *s, size_t maxlen);
char *KSTRING(strncpy)(char *restrict dst, const char *restrict src, size_t n);
char *KSTRING(strchr)(const char *s, int c);
char *KSTRING(strrchr)(const char *s, int c);
char *KSTRING(strstr)(const char *h, const char *n);

/* A word that may alias any object, so word copies of char buffers are
 * valid even where strict aliasing is on (the host build). */
typedef uint64_t __attribute__((may_alias)) kstring_word_t;
#define KSTRING_WORD sizeof(kstring_word_t)
#define KSTRING_MISALIGN(p) ((uintptr_t)(p) & (KSTRING_WORD - 1))

/* Copy n bytes from low addresses to high; correct when d <= s even if the
 * ranges overlap. */
static void kstring_copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= KSTRING_WORD && KSTRING_MISALIGN(d) == KSTRING_MISALIGN(s)) {
        while (KSTRING_MISALIGN(d)) {
            *d++ = *s++;
            n--;
        }
        kstring_word_t *dw = (kstring_word_t *)(void *)d;
        const kstring_word_t *sw = (const kstring_word_t *)(const void *)s;
        for (; n >= KSTRING_WORD; n -= KSTRING_WORD)
            *dw++ = *sw++;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--)
        *d++ = *s++;
}

/* Copy n bytes from high addresses to low; correct when d >= s even if the
 * ranges overlap. */
static void kstring_copy_down(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if (n >= KSTRING_WORD && KSTRING_MISALIGN(d) == KSTRING_MISALIGN(s)) {
        while (KSTRING_MISALIGN(d)) {
            *--d = *--s;
            n--;
        }
        kstring_word_t *dw = (kstring_word_t *)(void *)d;
        const kstring_word_t *sw = (const kstring_word_t *)(const void *)s;
        for (; n >= KSTRING_WORD; n -= KSTRING_WORD)
            *--dw = *--sw;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--)
        *--d = *--s;
}

/* memcpy: the ranges must not overlap (use memmove). Returns dst. */
void *KSTRING(memcpy)(void *restrict dst, const void *restrict src, size_t n)
{
    kstring_copy_up(dst, src, n);
    return dst;
}

/* memmove: overlapping ranges are allowed. Returns dst. */
void *KSTRING(memmove)(void *dst, const void *src, size_t n)
{
    /* Compare as integers: relational operators on pointers into different
     * objects are undefined. */
    if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
        kstring_copy_up(dst, src, n);
    else
        kstring_copy_down(dst, src, n);
    return dst;
}

/* memset: fills n bytes with (unsigned char)c. Returns dst. */
void *KSTRING(memset)(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    if (n >= KSTRING_WORD) {
        while (KSTRING_MISALIGN(d)) {
            *d++ = b;
            n--;
        }
        kstring_word_t w = (kstring_word_t)b * UINT64_C(0x0101010101010101);
        kstring_word_t *dw = (kstring_word_t *)(void *)d;
        for (; n >= KSTRING_WORD; n -= KSTRING_WORD)
            *dw++ = w;
        d = (unsigned char *)dw;
    }
    while (n--)
        *d++ = b;
    return dst;
}

/* memcmp: compares bytes as unsigned char; <0, 0 or >0. */
int KSTRING(memcmp)(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return (int)*x - (int)*y;
    }
    return 0;
}

size_t KSTRING(strlen)(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

/* strnlen: reads at most maxlen bytes of s. */
size_t KSTRING(strnlen)(const char *s, size_t maxlen)
{
    size_t n = 0;
    while (n < maxlen && s[n])
        n++;
    return n;
}

/* strcmp/strncmp: compare as unsigned char, like memcmp. */
int KSTRING(strcmp)(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return (int)*x - (int)*y;
}

int KSTRING(strncmp)(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return (int)*x - (int)*y;
        if (!*x)
            return 0;
    }
    return 0;
}

/* strncpy: copies at most n bytes and pads the rest of dst with NULs; dst is
 * NOT terminated when strlen(src) >= n. Returns dst. */
char *KSTRING(strncpy)(char *restrict dst, const char *restrict src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = '\0';
    return dst;
}

/* strchr: first (char)c in s; the terminator itself is found when c == 0. */
char *KSTRING(strchr)(const char *s, int c)
{
    char ch = (char)c;
    for (;; s++) {
        if (*s == ch)
            return (char *)(uintptr_t)s;
        if (!*s)
            return NULL;
    }
}

/* strrchr: last (char)c in s; the terminator itself is found when c == 0. */
char *KSTRING(strrchr)(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;
    for (;; s++) {
        if (*s == ch)
            last = s;
        if (!*s)
            return (char *)(uintptr_t)last;
    }
}

/* strstr: the first place in h where all of n appears; h itself when n
 * is empty. */
char *KSTRING(strstr)(const char *h, const char *n)
{
    size_t len = KSTRING(strlen)(n);
    for (;; h++) {
        if (KSTRING(strncmp)(h, n, len) == 0)
            return (char *)(uintptr_t)h;
        if (!*h)
            return NULL;
    }
}
