/* SPDX-License-Identifier: MIT */
/* fake_kernel.h - hooks host tests use to observe fake_kernel.c. */
#pragma once
#include <stddef.h>

#define HOST_LOG_SIZE 65536
extern char host_log[HOST_LOG_SIZE];   /* everything kprintf/boot_warn printed */
extern size_t host_log_len;
extern long host_pages_in_use;         /* page_alloc minus page_free */
extern long host_page_fail_after;      /* -1: never fail; n: fail after n more successes */
void host_log_clear(void);
