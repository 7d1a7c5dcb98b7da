/* SPDX-License-Identifier: MIT */
/* memobj.h - memory objects (what MEMORY capabilities name): a run of
 * physical pages. RAM objects come from mem_alloc (zeroed frames charged to
 * the allocating process's quota, freed when the last capability goes);
 * device objects cover physical space that is not RAM and are never freed.
 * Mappings made through a capability are recorded (struct mapping) so that
 * deleting or revoking the capability removes them everywhere.
 * Locking: big_lock. */
#pragma once

#include "lib/types.h"
#include "lib/list.h"
#include "cap/kobj.h"

struct process;
struct cap_slot;

struct memobj {
    struct kobj obj;                /* type MOS_CAP_MEMORY; first */
    uint64_t npages;
    uint32_t flags;                 /* MOS_MEM_* */
    paddr_t base;                   /* CONTIG/DEVICE: first frame */
    paddr_t *frames;                /* otherwise: one per page */
    struct process *charged;        /* whose quota pays (a reference), NULL for device/boot memory */
    uint64_t charge;                /* bytes charged */
};

__must_check int memobj_create(struct process *p, uint64_t npages, uint32_t flags, struct memobj **out);
/* A device (or boot) object over [base, base + npages pages). */
__must_check int memobj_create_phys(paddr_t base, uint64_t npages, uint32_t flags, struct memobj **out);
void memobj_destroy(struct memobj *m);
paddr_t memobj_frame(const struct memobj *m, uint64_t page);
/* RAM frames held by memory objects (kinfo memobj_frames). */
uint64_t memobj_ram_frames(void);

/* A mapping made through a MEMORY capability. */
struct mapping {
    struct process *proc;           /* whose address space */
    vaddr_t va;
    uint64_t npages;
    struct memobj *mo;
    uint64_t first;                 /* page index in mo of va */
    unsigned prot;                  /* VM_* */
    struct cap_slot *slot;          /* capability it was made through */
    struct mapping *slot_next;      /* slot->ext chain */
    struct list_node in_proc;       /* proc->mappings */
};

/* Map pages [first, first+npages) of the capability's object at va in p.
 * The caller validated rights and ranges. */
__must_check int mapping_create(struct process *p, struct cap_slot *slot, vaddr_t va,
                                uint64_t first, uint64_t npages, unsigned prot);
/* Remove [va, va+npages) from p (only what mappings cover). Returns pages. */
__must_check long mapping_unmap_range(struct process *p, vaddr_t va, uint64_t npages);
/* Remove every mapping made through slot (capability deleted/revoked). */
void mapping_release_slot(struct cap_slot *slot);
/* Remove every mapping of p (teardown). */
void mapping_release_process(struct process *p);
uint64_t mapping_count(void);
