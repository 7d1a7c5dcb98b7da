/* SPDX-License-Identifier: MIT */
/* mos_malloc.h - the C allocation functions, over the core in
 * user/lib/umalloc.c. The heap lives at [MOS_HEAP_BASE, MOS_HEAP_LIMIT) and
 * grows with mem_alloc + mem_map(MOS_SELF) in steps of at least 64 KiB and a
 * quarter of its size (so it uses few capability slots); memory is never
 * returned to the kernel. Every block is 16-byte aligned. Thread-safe (a
 * spin lock that yields). A corrupted heap or a bad free() aborts the
 * process with a message. */
#pragma once

#include <stddef.h>

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
/* realloc(p, 0) frees p and returns NULL; on failure p is left intact. */
void *realloc(void *p, size_t n);

/* Heap statistics. */
struct mos_heap_stats {
    size_t mapped;            /* bytes mapped for the heap */
    size_t used;              /* bytes in allocated chunks (with headers) */
    size_t grows;             /* times the heap grew (MEMORY capabilities held) */
};
void mos_heap_stats(struct mos_heap_stats *out);
/* Check every heap invariant; returns 0 or a negative code (see umalloc.h). */
int mos_heap_check(void);
