// SPDX-License-Identifier: MIT
/* printf.c - printf and friends on the kernel's pure format engine (kfmt,
 * kernel/lib/kprintf.c, compiled into this library). Output goes through a
 * 256-byte buffer on the caller's stack to one process-wide writer, so
 * each short printf reaches the writer (by default one debug_write system
 * call) in one piece. The writer pointer is set by mos_set_writer() and read
 * without a lock: set it before starting threads. */
#include "mos_stdio.h"

#include <stdint.h>
#include "lib/kprintf.h"
#include "lib/string.h"
#include "user_syscalls.h"

#define PRINTF_BUF 256

static void printf_debug_writer(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    (void)mos_debug_write((uint64_t)(uintptr_t)s, n);
}

static mos_writer_fn printf_writer = printf_debug_writer;
static void *printf_ctx;

void mos_set_writer(mos_writer_fn fn, void *ctx)
{
    printf_writer = fn ? fn : printf_debug_writer;
    printf_ctx = fn ? ctx : NULL;
}

void mos_write(const char *s, size_t n)
{
    if (n)
        printf_writer(printf_ctx, s, n);
}

struct printf_buf {
    char data[PRINTF_BUF];
    size_t len;
};

static void printf_flush(struct printf_buf *b)
{
    mos_write(b->data, b->len);
    b->len = 0;
}

static void printf_sink(void *ctx, const char *s, size_t n)
{
    struct printf_buf *b = ctx;
    while (n) {
        if (b->len == PRINTF_BUF)
            printf_flush(b);
        size_t k = PRINTF_BUF - b->len;
        if (k > n)
            k = n;
        memcpy(b->data + b->len, s, k);
        b->len += k;
        s += k;
        n -= k;
    }
}

int vprintf(const char *restrict fmt, va_list ap)
{
    struct printf_buf b;
    b.len = 0;
    int n = kfmt(printf_sink, &b, fmt, ap);
    printf_flush(&b);
    return n;
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap)
{
    return kvsnprintf(buf, n, fmt, ap);
}

int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int puts(const char *s)
{
    struct printf_buf b;
    b.len = 0;
    size_t n = strlen(s);
    printf_sink(&b, s, n);
    printf_sink(&b, "\n", 1);
    printf_flush(&b);
    return (int)(n + 1);
}

int putchar(int c)
{
    char ch = (char)c;
    mos_write(&ch, 1);
    return (unsigned char)ch;
}

bool mos_test_vline(const char *suite, const char *target, const char *check, bool ok,
                    const char *fmt, va_list ap)
{
    char why[240] = "";
    if (ok) {
        printf("TEST %s/%s/%s ok\n", suite, target, check);
    } else {
        vsnprintf(why, sizeof why, fmt, ap);
        printf("TEST %s/%s/%s FAIL %s\n", suite, target, check, why);
    }
    return ok;
}
