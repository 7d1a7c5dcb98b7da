// SPDX-License-Identifier: MIT
/* tlb.c - TLB coherence after unmap/protect. Local invalidation page by
 * page for small ranges, a full flush beyond 32 pages; a space that is not
 * running here loses all entries of its tag (they survive switches); remote
 * CPUs through the shoot-down hook that SMP bring-up installs. */
#include "mm/tlb.h"
#include "mm/vmm.h"
#include "arch/arch.h"

void (*tlb_remote_flush)(struct vm_space *vs, vaddr_t va, uint64_t len);

void tlb_flush_range(struct vm_space *vs, vaddr_t va, uint64_t len)
{
    bool kernel = vs == &kernel_vm;
    if (kernel || arch_mmu_current() == vs->root) {
        if (len > 32 * PAGE_SIZE) {
            arch_tlb_flush_all_local();
        } else {
            for (uint64_t off = 0; off < len; off += PAGE_SIZE)
                arch_tlb_flush_local(va + off);
        }
    } else {
        arch_tlb_flush_asid_local(vs->asid);    /* its tagged entries outlive a switch */
    }
    if (tlb_remote_flush)
        tlb_remote_flush(vs, va, len);
}
