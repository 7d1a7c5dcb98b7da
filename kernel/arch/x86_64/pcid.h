/* SPDX-License-Identifier: MIT */
/* pcid.h - the process-context identifier (PCID) allocator: one tag per user
 * address space, so that switching back to a space keeps its TLB entries.
 * Pure bookkeeping (host-tested in tests/host/test_pcid.c); mmu.c decides
 * whether the CPU has PCIDs at all and supplies the flush. */
#pragma once

#include "lib/types.h"

#define PCID_COUNT 4096u            /* CR3 bits 11:0 */

/* Start handing out PCIDs 1..PCID_COUNT-1 (0 stays the kernel's and that of
 * spaces that got none). flush_all must invalidate every non-global TLB
 * entry of every PCID on every CPU before it returns. Without pcid_init
 * (no PCID on this CPU) pcid_alloc always returns 0. */
void pcid_init(void (*flush_all)(void));

/* A PCID no space uses and no CPU caches entries for, or 0 when all are
 * taken. A freed PCID is reused only after flush_all has run: when no
 * clean PCID is left, pcid_alloc calls it once and takes back every freed
 * one. Callers serialise (big_lock). */
uint16_t pcid_alloc(void);

/* The space that had pcid is gone (its page tables may already be freed):
 * the PCID waits, dirty, for the next flush_all. pcid_free(0) does nothing. */
void pcid_free(uint16_t pcid);

/* Counters for tests and the log: PCIDs in use, freed but not yet flushed,
 * and flush_all rounds so far. */
struct pcid_stats {
    uint32_t used, dirty;
    uint64_t flushes;
};
struct pcid_stats pcid_stats(void);

/* Whether pcid_init ran (the CPU has PCID and INVPCID, and it is wanted). */
bool pcid_enabled(void);
