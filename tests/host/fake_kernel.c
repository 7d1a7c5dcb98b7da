// SPDX-License-Identifier: MIT
/* fake_kernel.c - what pure kernel modules need from the rest of the kernel,
 * supplied natively for host tests: kprintf (to stderr, and captured so tests
 * can check what was reported), boot_warn, and page_alloc/page_free from the
 * C library. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "lib/kprintf.h"
#include "boot/boot_info.h"
#include "mm/page.h"

char host_log[HOST_LOG_SIZE];
size_t host_log_len;
long host_pages_in_use;
long host_page_fail_after = -1;

void host_log_clear(void)
{
    host_log_len = 0;
    host_log[0] = '\0';
}

static void capture(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(host_log + host_log_len, sizeof host_log - host_log_len, fmt, ap2);
    va_end(ap2);
    if (n > 0) {
        host_log_len += (size_t)n;
        if (host_log_len >= sizeof host_log)
            host_log_len = sizeof host_log - 1;
    }
    if (getenv("HOST_TEST_VERBOSE"))
        vfprintf(stderr, fmt, ap);
}

int kvprintf(const char *fmt, va_list ap)
{
    capture(fmt, ap);
    return 0;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    return 0;
}

void boot_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    capture(fmt, ap);
    va_end(ap);
    kprintf("\n");
}

void *page_alloc(size_t npages)
{
    if (host_page_fail_after == 0)
        return NULL;
    if (host_page_fail_after > 0)
        host_page_fail_after--;
    void *p = aligned_alloc(4096, npages * 4096);
    if (p) {
        memset(p, 0, npages * 4096);
        host_pages_in_use += (long)npages;
    }
    return p;
}

void page_free(void *va, size_t npages)
{
    host_pages_in_use -= (long)npages;
    free(va);
}
