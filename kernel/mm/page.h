/* SPDX-License-Identifier: MIT */
/* page.h - whole pages of kernel memory, reached through the HHDM: the
 * bridge between the PMM (physical frames) and kernel allocators. */
#pragma once

#include "lib/types.h"

/* npages physically contiguous zeroed pages; kernel virtual address or NULL. */
void *page_alloc(size_t npages);
void page_free(void *va, size_t npages);
/* Pages handed out and not yet freed (the kernel heap's; kinfo heap_pages). */
uint64_t page_held(void);
