/* SPDX-License-Identifier: MIT */
/* kheap.h - the kernel heap: object caches for fixed-size kernel objects
 * (one page per slab, a header at the page start) and a general kmalloc
 * built on power-of-two caches (16..2048 bytes) plus whole pages above that.
 * Memory comes from page_alloc()/page_free() (mm/page.h). Freed objects are
 * poisoned when CONFIG_KHEAP_DEBUG; allocation returns zeroed memory. The
 * debug kernel's CONFIG_DEBUG_HEAP adds red zones around every object,
 * callers in reports and periodic checks (kheap.c).
 * Locking: one spinlock per cache; kmalloc's large path takes none. */
#pragma once

#include "lib/types.h"

struct kcache;

/* A cache of objects of `size` bytes aligned to `align` (power of two, <= 64).
 * size must be <= 2048. Returns NULL when out of memory. */
struct kcache *kcache_create(const char *name, size_t size, size_t align);
void *kcache_alloc(struct kcache *c);            /* zeroed object, or NULL */
void kcache_free(struct kcache *c, void *obj);   /* obj must come from c */
/* Give empty slabs back to the page allocator; returns pages released. */
size_t kcache_shrink(struct kcache *c);

void *kmalloc(size_t size);      /* zeroed; NULL on failure or size 0 */
void kfree(void *p);             /* NULL is ignored */

struct kheap_stats {
    uint64_t objects_in_use;     /* live kcache objects + live kmalloc blocks */
    uint64_t bytes_in_use;       /* bytes requested and not yet freed */
    uint64_t pages;              /* pages held from page_alloc() right now */
};
void kheap_get_stats(struct kheap_stats *out);

/* Invariant checker: every slab's free count matches its free list, free
 * objects still carry their poison, red zones are intact, totals add up.
 * Prints what is wrong and returns false (it does not panic). */
bool kheap_check(void);

/* Debug aid: print every cache's usage to the log (kernel only). */
void kheap_dump(void);
