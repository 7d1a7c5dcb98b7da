// SPDX-License-Identifier: MIT
/* malloc.c - malloc/free/calloc/realloc: the umalloc core over one heap at
 * [MOS_HEAP_BASE, MOS_HEAP_LIMIT), grown by allocating a MEMORY object
 * (mem_alloc) and mapping it read-write at the heap's end in our own address
 * space (mem_map MOS_SELF). The MEMORY handles stay in our capability space
 * for the life of the process (deleting one would unmap its pages); growth
 * steps are at least 64 KiB and a quarter of the heap, so a heap of n bytes
 * holds O(log n) of them. Locking: one spin lock around every call; a waiter
 * yields its CPU. A corruption the core detects aborts the process. */
#include "mos_malloc.h"

#include <stdbool.h>
#include <mos/caps.h>
#include <mos/proc.h>
#include "mos_start.h"
#include "umalloc.h"
#include "user_syscalls.h"

#define HEAP_MIN_GROW (64u * 1024u)

static struct umalloc_heap heap;
static bool heap_ready;
static volatile bool heap_lock;

static void heap_acquire(void)
{
    while (__atomic_test_and_set(&heap_lock, __ATOMIC_ACQUIRE))
        mos_thread_yield();
}

static void heap_release(void)
{
    __atomic_clear(&heap_lock, __ATOMIC_RELEASE);
}

static int heap_grow(void *ctx, uintptr_t at, size_t bytes)
{
    (void)ctx;
    uint64_t pages = bytes / MOS_PAGE_SIZE;
    long mem = mos_mem_alloc(pages, 0);
    if (mem < 0)
        return (int)mem;
    long r = mos_mem_map((uint64_t)mem, MOS_SELF, at, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        (void)mos_cap_delete((uint64_t)mem);
        return (int)r;
    }
    return 0;
}

static void heap_corrupt(void *ctx, const char *why, const void *p)
{
    (void)ctx;
    (void)p;
    heap_release();
    mos_abort(why);
}

/* Called with the lock held. */
static void heap_setup(void)
{
    if (heap_ready)
        return;
    umalloc_init(&heap, MOS_HEAP_BASE, MOS_HEAP_LIMIT, HEAP_MIN_GROW, heap_grow, heap_corrupt, NULL);
    heap_ready = true;
}

void *malloc(size_t n)
{
    heap_acquire();
    heap_setup();
    void *p = umalloc_alloc(&heap, n);
    heap_release();
    return p;
}

void free(void *p)
{
    if (!p)
        return;
    heap_acquire();
    heap_setup();
    umalloc_free(&heap, p);
    heap_release();
}

void *calloc(size_t count, size_t size)
{
    heap_acquire();
    heap_setup();
    void *p = umalloc_calloc(&heap, count, size);
    heap_release();
    return p;
}

void *realloc(void *p, size_t n)
{
    heap_acquire();
    heap_setup();
    void *q = umalloc_realloc(&heap, p, n);
    heap_release();
    return q;
}

void mos_heap_stats(struct mos_heap_stats *out)
{
    heap_acquire();
    heap_setup();
    out->mapped = heap.end - heap.base;
    out->used = heap.used;
    out->grows = heap.grows;
    heap_release();
}

int mos_heap_check(void)
{
    heap_acquire();
    heap_setup();
    int r = umalloc_check(&heap, NULL);
    heap_release();
    return r;
}
