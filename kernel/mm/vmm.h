/* SPDX-License-Identifier: MIT */
/* vmm.h - virtual memory: address spaces (struct vm_space) and mapping
 * ranges into them in terms of (va, pa, prot); the page-table format is the
 * arch layer's business (arch/x86_64/mmu.c). The kernel half is shared by
 * every space: its top-level entries are created once in vmm_init and
 * copied into each new space, so kernel mappings never need syncing. */
#pragma once

#include "lib/types.h"
#include "lib/spinlock.h"
#include "boot/boot_info.h"

struct quota;

/* Protection bits (a mapping is always readable). */
#define VM_READ     0x01
#define VM_WRITE    0x02
#define VM_EXEC     0x04
#define VM_USER     0x08
#define VM_NOCACHE  0x10    /* uncached (device registers) */
#define VM_WC       0x20    /* write-combining (framebuffers) */
#define VM_GLOBAL   0x40    /* kernel mapping kept across address-space switches */
#define VM_LARGE    0x80    /* vmm_map may use 2 MiB pages where alignment allows */

struct vm_space {
    paddr_t root;               /* top-level page table (physical) */
    uint64_t switch_root;       /* what its threads load (arch_mmu_switch_value) */
    uint16_t asid;              /* its TLB tag (arch_asid_alloc; 0 = none) */
    struct spinlock lock;       /* page-table updates of this space */
    uint64_t table_pages;       /* page-table pages owned (user half only) */
    void *owner;                /* the process, or NULL for the kernel */
    struct quota *quota;        /* charged for each page-table page (big_lock), or NULL */
};

extern struct vm_space kernel_vm;

/* Phase 3: build the kernel's own tables (HHDM over the memory map, the image
 * mapped W^X per section, nothing at page 0), switch to them. */
void vmm_init(const struct boot_info *bi);

/* Map [va, va+len) to [pa, pa+len). Page-aligned arguments; W+X refused
 * (-MOS_EINVAL); -MOS_EEXIST if any page is already mapped (nothing changes);
 * -MOS_ENOMEM if a page table cannot be allocated (partial work undone). */
__must_check int vmm_map(struct vm_space *vs, vaddr_t va, paddr_t pa, uint64_t len, unsigned prot);

/* Unmap [va, va+len); unmapped holes are skipped. TLBs are flushed on every
 * CPU that may cache the space. Returns the number of pages unmapped.
 * If frames is non-NULL, the physical address of each unmapped 4 KiB page is
 * passed to frames(ctx, pa). */
long vmm_unmap(struct vm_space *vs, vaddr_t va, uint64_t len,
               void (*frames)(void *ctx, paddr_t pa), void *ctx);

/* Look up one address: true (and the pa and prot) when mapped. */
bool vmm_translate(struct vm_space *vs, vaddr_t va, paddr_t *pa, unsigned *prot);

/* Change the protection of mapped pages in [va, va+len) (W^X still holds). */
__must_check int vmm_protect(struct vm_space *vs, vaddr_t va, uint64_t len, unsigned prot);

/* Map device registers (uncached) or a framebuffer (VM_WC) into the kernel's
 * MMIO window; returns the kernel virtual address (offset within the page
 * preserved) or NULL. Never unmapped. */
void *vmm_map_device(paddr_t pa, uint64_t len, unsigned prot);

/* Page-table frames of processes' spaces (kinfo table_frames): vmm's own
 * allocations count themselves; whoever allocates or frees a table outside
 * vmm (a process's root, its tables at teardown) reports it here. Atomic.
 * The kernel's own tables are counted apart (kinfo ktable_frames). */
void vmm_tables_changed(int64_t n);
uint64_t vmm_table_frames(void);
uint64_t vmm_kernel_table_frames(void);

/* Kernel virtual <-> physical for HHDM and image addresses. */
paddr_t kva_to_pa(const void *va);
void *pa_to_kva(paddr_t pa);       /* through the HHDM */
extern uint64_t hhdm_offset;

/* Kernel image layout (from the linker script). */
extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __data_end[];
extern char __bss_start[], __bss_end[], __ksyms_start[], __ksyms_end[];
