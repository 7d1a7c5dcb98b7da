// SPDX-License-Identifier: MIT
/* mapping.c - records of what was mapped where through which capability.
 * Each record is on two lists: its process's (teardown, mem_unmap) and its
 * capability slot's (slot->ext chain: delete and revoke). Removing a record
 * unmaps its pages with a TLB shoot-down before anything is freed. A partial
 * mem_unmap trims or splits records; the split's new record is allocated
 * before anything changes, so a failure leaves no trace. Locking: big_lock. */
#include "mm/memobj.h"
#include "mm/kheap.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "cap/cap.h"
#include "lib/assert.h"
#include "lib/kstats.h"
#include <mos/caps.h>
#include <mos/errors.h>

static struct kcache *mapping_cache;
static uint64_t mappings_alive;

uint64_t mapping_count(void)
{
    return mappings_alive;
}

static struct mapping *alloc_record(void)
{
    if (!mapping_cache)
        mapping_cache = kcache_create("mapping", sizeof(struct mapping), 16);
    struct mapping *m = mapping_cache ? kcache_alloc(mapping_cache) : NULL;
    if (m)
        KSTAT_SET(mappings, ++mappings_alive);
    return m;
}

static void free_record(struct mapping *m)
{
    KSTAT_SET(mappings, --mappings_alive);
    kcache_free(mapping_cache, m);
}

static void slot_link(struct mapping *m)
{
    m->slot_next = m->slot->ext;
    m->slot->ext = m;
}

static void slot_unlink(struct mapping *m)
{
    struct mapping **pp = (struct mapping **)&m->slot->ext;
    while (*pp && *pp != m)
        pp = &(*pp)->slot_next;
    assert(*pp == m);
    *pp = m->slot_next;
}

int mapping_create(struct process *p, struct cap_slot *slot, vaddr_t va, uint64_t first,
                   uint64_t npages, unsigned prot)
{
    struct memobj *mo = slot->cap.obj;
    struct mapping *m = alloc_record();
    if (!m)
        return -MOS_ENOMEM;
    /* Refuse an occupied range before anything is allocated (a failed call
     * must not leave page tables behind). */
    for (uint64_t i = 0; i < npages; i++) {
        if (vmm_translate(&p->vs, va + i * PAGE_SIZE, NULL, NULL)) {
            free_record(m);
            return -MOS_EEXIST;
        }
    }
    unsigned vmprot = prot | VM_USER;
    if (mo->flags & MOS_MEM_DEVICE)
        vmprot |= (mo->flags & MOS_MEM_WC) ? VM_WC : VM_NOCACHE;
    /* Map page by page (objects need not be contiguous); undo on failure. */
    uint64_t done = 0;
    int err = 0;
    for (; done < npages; done++) {
        err = vmm_map(&p->vs, va + done * PAGE_SIZE, memobj_frame(mo, first + done), PAGE_SIZE, vmprot);
        if (err)
            break;
    }
    if (err) {
        if (done)
            vmm_unmap(&p->vs, va, done * PAGE_SIZE, NULL, NULL);
        free_record(m);
        return err;
    }
    *m = (struct mapping){ .proc = p, .va = va, .npages = npages, .mo = mo, .first = first,
                           .prot = vmprot, .slot = slot };
    slot_link(m);
    list_push_back(&p->mappings, &m->in_proc);
    return 0;
}

static void remove_record(struct mapping *m)
{
    vmm_unmap(&m->proc->vs, m->va, m->npages * PAGE_SIZE, NULL, NULL);
    slot_unlink(m);
    list_remove(&m->in_proc);
    free_record(m);
}

long mapping_unmap_range(struct process *p, vaddr_t va, uint64_t npages)
{
    vaddr_t end = va + npages * PAGE_SIZE;
    /* A split needs one more record: get it first (validate, then commit). */
    struct mapping *spare = NULL;
    list_for_each(pos, &p->mappings) {
        struct mapping *m = list_entry(pos, struct mapping, in_proc);
        if (m->va < va && m->va + m->npages * PAGE_SIZE > end) {
            spare = alloc_record();
            if (!spare)
                return -MOS_ENOMEM;
            break;
        }
    }
    long pages = 0;
    list_for_each_safe(pos, tmp, &p->mappings) {
        struct mapping *m = list_entry(pos, struct mapping, in_proc);
        vaddr_t mend = m->va + m->npages * PAGE_SIZE;
        if (mend <= va || m->va >= end)
            continue;
        vaddr_t lo = MAX(m->va, va), hi = MIN(mend, end);
        pages += (long)((hi - lo) / PAGE_SIZE);
        if (lo == m->va && hi == mend) {            /* all of it */
            remove_record(m);
            continue;
        }
        vmm_unmap(&p->vs, lo, hi - lo, NULL, NULL);
        if (lo == m->va) {                          /* head removed */
            m->first += (hi - m->va) / PAGE_SIZE;
            m->npages -= (hi - m->va) / PAGE_SIZE;
            m->va = hi;
        } else if (hi == mend) {                    /* tail removed */
            m->npages = (lo - m->va) / PAGE_SIZE;
        } else {                                    /* middle: split */
            assert(spare);
            *spare = *m;
            spare->va = hi;
            spare->first = m->first + (hi - m->va) / PAGE_SIZE;
            spare->npages = (mend - hi) / PAGE_SIZE;
            m->npages = (lo - m->va) / PAGE_SIZE;
            slot_link(spare);
            list_push_back(&p->mappings, &spare->in_proc);
            spare = NULL;
        }
    }
    if (spare)
        free_record(spare);
    return pages;
}

void mapping_release_slot(struct cap_slot *slot)
{
    while (slot->ext)
        remove_record(slot->ext);
}

void mapping_release_process(struct process *p)
{
    while (!list_empty(&p->mappings))
        remove_record(list_entry(p->mappings.next, struct mapping, in_proc));
}
