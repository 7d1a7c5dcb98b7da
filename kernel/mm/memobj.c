// SPDX-License-Identifier: MIT
/* memobj.c - memory objects: RAM from the PMM (zeroed, charged to the
 * allocating process) or physical ranges (device registers, the initrd).
 * Frames are freed when the object dies, never earlier: every mapping of
 * them goes away first because each mapping holds a capability slot, and
 * each slot holds a reference. RAM frames held are counted (kinfo
 * memobj_frames). Locking: big_lock. */
#include "mm/memobj.h"
#include "mm/kheap.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "lib/assert.h"
#include "lib/kstats.h"
#include "lib/string.h"
#include <mos/caps.h>
#include <mos/errors.h>

static struct kcache *memobj_cache;
static uint64_t ram_frames;             /* big_lock: RAM frames objects hold */

static void count_frames(int64_t n)
{
    ram_frames += (uint64_t)n;
    KSTAT_ADD(memobj_frames, n);
}

uint64_t memobj_ram_frames(void)
{
    return ram_frames;
}

static uint64_t charge_for(uint64_t npages, uint32_t flags)
{
    uint64_t bytes = npages * PAGE_SIZE + sizeof(struct memobj);
    if (!(flags & (MOS_MEM_CONTIG | MOS_MEM_DMA32)))
        bytes += npages * sizeof(paddr_t);
    return bytes;
}

static struct memobj *alloc_struct(void)
{
    if (!memobj_cache)
        memobj_cache = kcache_create("memobj", sizeof(struct memobj), 16);
    return memobj_cache ? kcache_alloc(memobj_cache) : NULL;
}

static void zero_frame(paddr_t pa)
{
    memset(pa_to_kva(pa), 0, PAGE_SIZE);
}

int memobj_create(struct process *p, uint64_t npages, uint32_t flags, struct memobj **out)
{
    if (npages == 0 || npages > (1ull << 32) || (flags & ~(MOS_MEM_CONTIG | MOS_MEM_DMA32)))
        return -MOS_EINVAL;
    if (flags & MOS_MEM_DMA32)
        flags |= MOS_MEM_CONTIG;
    uint64_t charge = charge_for(npages, flags);
    if (p && process_charge(p, charge))
        return -MOS_ENOMEM;
    struct memobj *m = alloc_struct();
    if (!m)
        goto fail_charge;
    m->npages = npages;
    m->flags = flags;
    if (flags & MOS_MEM_CONTIG) {
        m->base = pmm_alloc_contig(npages, PAGE_SIZE, (flags & MOS_MEM_DMA32) ? GiB(4) : 0);
        if (!m->base)
            goto fail_struct;
        for (uint64_t i = 0; i < npages; i++)
            zero_frame(m->base + i * PAGE_SIZE);
    } else {
        m->frames = kmalloc(npages * sizeof(paddr_t));
        if (!m->frames)
            goto fail_struct;
        for (uint64_t i = 0; i < npages; i++) {
            m->frames[i] = pmm_alloc();
            if (!m->frames[i]) {
                while (i--) {
                    int err = pmm_free(m->frames[i]);
                    assert(err == 0);
                }
                kfree(m->frames);
                goto fail_struct;
            }
            zero_frame(m->frames[i]);
        }
    }
    kobj_init(&m->obj, MOS_CAP_MEMORY);
    count_frames((int64_t)npages);
    if (p) {
        m->charged = p;
        m->charge = charge;
        kobj_get(&p->obj);
    }
    *out = m;
    return 0;
fail_struct:
    kcache_free(memobj_cache, m);
fail_charge:
    if (p)
        process_refund(p, charge);
    return -MOS_ENOMEM;
}

int memobj_create_phys(paddr_t base, uint64_t npages, uint32_t flags, struct memobj **out)
{
    struct memobj *m = alloc_struct();
    if (!m)
        return -MOS_ENOMEM;
    kobj_init(&m->obj, MOS_CAP_MEMORY);
    m->npages = npages;
    m->flags = flags | MOS_MEM_CONTIG;
    m->base = base;
    *out = m;
    return 0;
}

paddr_t memobj_frame(const struct memobj *m, uint64_t page)
{
    assert(page < m->npages);
    return m->frames ? m->frames[page] : m->base + page * PAGE_SIZE;
}

void memobj_destroy(struct memobj *m)
{
    if (m->charged) {                       /* RAM we allocated: give it back */
        if (m->frames) {
            for (uint64_t i = 0; i < m->npages; i++) {
                int err = pmm_free(m->frames[i]);
                assert(err == 0);
            }
            kfree(m->frames);
        } else {
            int err = pmm_free_contig(m->base, m->npages);
            assert(err == 0);
        }
        count_frames(-(int64_t)m->npages);
        process_refund(m->charged, m->charge);
        kobj_put(&m->charged->obj);
    }
    kcache_free(memobj_cache, m);
}
