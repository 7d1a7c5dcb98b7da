// SPDX-License-Identifier: MIT
/* page.c - whole zeroed pages for kernel allocators, from the PMM through
 * the HHDM. Single pages use pmm_alloc; runs use pmm_alloc_contig. Pages
 * held are counted (atomic; kinfo heap_pages: the heap is the only user). */
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "lib/assert.h"
#include "lib/kstats.h"
#include "lib/string.h"

static uint64_t held;                   /* atomic */

static void count(int64_t n)
{
    __atomic_add_fetch(&held, (uint64_t)n, __ATOMIC_RELAXED);
    KSTAT_ADD(heap_pages, n);
}

uint64_t page_held(void)
{
    return __atomic_load_n(&held, __ATOMIC_RELAXED);
}

void *page_alloc(size_t npages)
{
    if (npages == 0)
        return NULL;
    paddr_t pa = npages == 1 ? pmm_alloc() : pmm_alloc_contig(npages, PAGE_SIZE, 0);
    if (!pa)
        return NULL;
    void *va = pa_to_kva(pa);
    memset(va, 0, npages * PAGE_SIZE);
    count((int64_t)npages);
    return va;
}

void page_free(void *va, size_t npages)
{
    paddr_t pa = kva_to_pa(va);
    int err = npages == 1 ? pmm_free(pa) : pmm_free_contig(pa, npages);
    assert(err == 0);
    count(-(int64_t)npages);
}
