// SPDX-License-Identifier: MIT
/* mmu.c - x86_64 4-level page tables behind the arch_mmu_* interface:
 * walk, map (4 KiB or 2 MiB leaves), unmap, query, protect. Tables are
 * reached through the HHDM. Intermediate entries are permissive (present,
 * writable, and user for the lower half); the leaf carries the real rights,
 * with NX on everything not executable. PAT entry 1 is reprogrammed to
 * write-combining so VM_WC can use it (PWT=1). Callers hold the space lock. */
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/arch_cpu.h"
#include "arch/x86_64/pcid.h"
#include "arch/x86_64/smp.h"
#include "boot/boot_info.h"
#include "lib/cmdline.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/vmm.h"
#include <mos/errors.h>

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

static inline uint64_t *table_va(paddr_t pa)
{
    return (uint64_t *)(pa + hhdm_offset);
}

static inline unsigned idx(vaddr_t va, int level)   /* level 4 = PML4 .. 1 = PT */
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t leaf_bits(unsigned prot, bool large)
{
    uint64_t e = PTE_P;
    if (prot & VM_WRITE)
        e |= PTE_W;
    if (prot & VM_USER)
        e |= PTE_U;
    if (!(prot & VM_EXEC))
        e |= PTE_NX;
    if (prot & VM_GLOBAL)
        e |= PTE_G;
    if (prot & VM_NOCACHE)
        e |= PTE_PCD | PTE_PWT;         /* PAT index 3: UC */
    else if (prot & VM_WC)
        e |= PTE_PWT;                   /* PAT index 1: WC (see arch_mmu_cpu_init) */
    if (large)
        e |= PTE_PS;                    /* (PAT bit of large pages stays 0) */
    return e;
}

static unsigned prot_of(uint64_t e)
{
    unsigned p = VM_READ;
    if (e & PTE_W)
        p |= VM_WRITE;
    if (e & PTE_U)
        p |= VM_USER;
    if (!(e & PTE_NX))
        p |= VM_EXEC;
    if (e & PTE_G)
        p |= VM_GLOBAL;
    if ((e & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT))
        p |= VM_NOCACHE;
    else if (e & PTE_PWT)
        p |= VM_WC;
    return p;
}

/* The entry for va at `level`, creating tables above it when alloc is set.
 * NULL when a table is missing (and not created) or a large leaf is in the way. */
static uint64_t *walk(paddr_t root, vaddr_t va, int level, arch_pt_alloc_fn alloc, void *ctx)
{
    uint64_t *table = table_va(root);
    for (int l = 4; l > level; l--) {
        uint64_t *e = &table[idx(va, l)];
        if (!(*e & PTE_P)) {
            if (!alloc)
                return NULL;
            paddr_t t = alloc(ctx);
            if (!t)
                return NULL;
            memset(table_va(t), 0, PAGE_SIZE);
            *e = t | PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0);
        } else if (*e & PTE_PS) {
            return NULL;
        }
        table = table_va(*e & PTE_ADDR);
    }
    return &table[idx(va, level)];
}

int arch_mmu_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned prot, bool large,
                 arch_pt_alloc_fn alloc, void *ctx)
{
    uint64_t *e = walk(root, va, large ? 2 : 1, alloc, ctx);
    if (!e)
        return alloc ? -MOS_ENOMEM : -MOS_EINVAL;
    if (*e & PTE_P)
        return -MOS_EEXIST;
    *e = (pa & PTE_ADDR) | leaf_bits(prot, large);
    return 0;
}

/* Find the leaf for va: its entry and size. */
static uint64_t *leaf(paddr_t root, vaddr_t va, uint64_t *size)
{
    uint64_t *table = table_va(root);
    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &table[idx(va, l)];
        if (!(*e & PTE_P))
            return NULL;
        if (l == 1 || (l == 2 && (*e & PTE_PS))) {
            *size = l == 1 ? PAGE_SIZE : LARGE_PAGE_SIZE;
            return e;
        }
        if (*e & PTE_PS)            /* 1 GiB leaves are never created */
            return NULL;
        table = table_va(*e & PTE_ADDR);
    }
    return NULL;
}

uint64_t arch_mmu_hole(paddr_t root, vaddr_t va)
{
    uint64_t *table = table_va(root);
    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &table[idx(va, l)];
        uint64_t span = 1ull << (12 + 9 * (l - 1));
        if (!(*e & PTE_P))
            return ALIGN_DOWN(va, span) + span - va;
        if (l == 1 || (*e & PTE_PS))
            return 0;
        table = table_va(*e & PTE_ADDR);
    }
    return 0;
}

uint64_t arch_mmu_unmap(paddr_t root, vaddr_t va, paddr_t *pa)
{
    uint64_t size;
    uint64_t *e = leaf(root, va, &size);
    if (!e)
        return 0;
    if (pa)
        *pa = *e & PTE_ADDR & ~(size - 1);
    *e = 0;
    return size;
}

uint64_t arch_mmu_query(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *prot)
{
    uint64_t size;
    uint64_t *e = leaf(root, va, &size);
    if (!e)
        return 0;
    if (pa)
        *pa = (*e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
    if (prot)
        *prot = prot_of(*e);
    return size;
}

bool arch_mmu_protect(paddr_t root, vaddr_t va, unsigned prot)
{
    uint64_t size;
    uint64_t *e = leaf(root, va, &size);
    if (!e)
        return false;
    *e = (*e & PTE_ADDR) | leaf_bits(prot, size == LARGE_PAGE_SIZE);
    return true;
}

static uint64_t free_level(paddr_t table, int level, void (*free_table)(paddr_t))
{
    uint64_t n = 0;
    if (level > 1) {
        uint64_t *t = table_va(table);
        for (unsigned i = 0; i < 512; i++)
            if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
                n += free_level(t[i] & PTE_ADDR, level - 1, free_table);
    }
    free_table(table);
    return n + 1;
}

uint64_t arch_mmu_free_user_tables(paddr_t root, void (*free_table)(paddr_t))
{
    uint64_t *pml4 = table_va(root), n = 0;
    for (unsigned i = 0; i < 256; i++) {
        if (pml4[i] & PTE_P) {
            n += free_level(pml4[i] & PTE_ADDR, 3, free_table);
            pml4[i] = 0;
        }
    }
    return n;
}

void arch_mmu_share_kernel(paddr_t root, paddr_t kroot)
{
    memcpy(table_va(root) + 256, table_va(kroot) + 256, 256 * sizeof(uint64_t));
}

void arch_mmu_switch(paddr_t root)
{
    write_cr3(root);
    arch_this_cpu()->loaded_root = root;
}

paddr_t arch_mmu_current(void)
{
    return read_cr3() & PTE_ADDR;
}

void arch_tlb_flush_local(vaddr_t va)
{
    invlpg(va);
}

void arch_tlb_flush_all_local(void)
{
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE);      /* toggling PGE drops global entries too */
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

/* PCIDs: used only with INVPCID too, which flushes one PCID of a space
 * that is not running here (after an unmap) and all of them (before freed
 * PCIDs are reused, pcid.c). Decided once, on the boot CPU; "nopcid" on
 * the kernel command line turns them off. */
static enum { PCID_UNDECIDED, PCID_OFF, PCID_ON } pcid_mode;

static void flush_all_pcids(void)
{
    invpcid(INVPCID_ALL_NONGLOBAL, 0, 0);
    smp_flush_all_asids();
}

static void pcid_decide(void)
{
    uint32_t a, b, c, d, b7 = 0;
    cpuid(0, 0, &a, &b, &c, &d);
    unsigned max = a;
    cpuid(1, 0, &a, &b, &c, &d);
    bool pcid = (c >> 17) & 1;
    if (max >= 7) {
        cpuid(7, 0, &a, &b7, &c, &d);
    }
    bool inv = (b7 >> 10) & 1;
    bool off = cmdline_has(boot_info.cmdline, "nopcid");
    pcid_mode = pcid && inv && !off ? PCID_ON : PCID_OFF;
    if (pcid_mode == PCID_ON) {
        pcid_init(flush_all_pcids);
        kprintf("mmu: PCID on (%u tags, INVPCID)\n", PCID_COUNT - 1);
    } else {
        kprintf("mmu: PCID off (%s)\n", off ? "nopcid" : !pcid ? "no PCID" : "no INVPCID");
    }
}

void arch_mmu_cpu_init(void)
{
    /* PAT: 0 WB, 1 WC, 2 UC-, 3 UC, 4 WB, 5 WT, 6 UC-, 7 UC. */
    wrmsr(MSR_PAT, 0x0007040600070106ull);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr0(read_cr0() | CR0_WP);
    write_cr4(read_cr4() | CR4_PGE);
    if (pcid_mode == PCID_UNDECIDED)
        pcid_decide();
    if (pcid_mode == PCID_ON) {
        if (read_cr3() & 0xFFF)
            write_cr3(read_cr3() & ~0xFFFull);      /* CR4.PCIDE needs CR3[11:0] = 0 */
        write_cr4(read_cr4() | CR4_PCIDE);
    }
}

uint16_t arch_asid_alloc(void)
{
    return pcid_alloc();
}

void arch_asid_free(uint16_t asid)
{
    pcid_free(asid);
}

uint64_t arch_mmu_switch_value(paddr_t root, uint16_t asid)
{
    return asid ? root | asid | CR3_NOFLUSH : root;
}

void arch_tlb_flush_asid_local(uint16_t asid)
{
    if (asid)
        invpcid(INVPCID_SINGLE, asid, 0);
}

int arch_mmu_init_kernel_root(paddr_t root, arch_pt_alloc_fn alloc, void *ctx)
{
    uint64_t *pml4 = table_va(root);
    for (unsigned i = 256; i < 512; i++) {
        paddr_t t = alloc(ctx);
        if (!t)
            return -MOS_ENOMEM;
        memset(table_va(t), 0, PAGE_SIZE);
        pml4[i] = t | PTE_P | PTE_W;
    }
    return 0;
}

static void walk_level(uint64_t *table, int level, vaddr_t base, vaddr_t lo, vaddr_t hi,
                       arch_mmu_visit_fn fn, void *ctx)
{
    uint64_t span = 1ull << (12 + 9 * (level - 1));
    for (unsigned i = 0; i < 512; i++) {
        vaddr_t va = base + i * span;
        if (level == 4 && i >= 256)
            va |= 0xFFFF000000000000ull;            /* canonical upper half */
        if (va + span - 1 < lo || va >= hi)
            continue;
        uint64_t e = table[i];
        if (!(e & PTE_P))
            continue;
        if (level == 1 || (e & PTE_PS))
            fn(ctx, va, e & PTE_ADDR & ~(span - 1), span, prot_of(e));
        else
            walk_level(table_va(e & PTE_ADDR), level - 1, va, lo, hi, fn, ctx);
    }
}

void arch_mmu_walk(paddr_t root, vaddr_t lo, vaddr_t hi, arch_mmu_visit_fn fn, void *ctx)
{
    walk_level(table_va(root), 4, 0, lo, hi, fn, ctx);
}

paddr_t arch_phys_limit(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    unsigned bits = 36;
    if (a >= 0x80000008) {
        cpuid(0x80000008, 0, &a, &b, &c, &d);
        bits = a & 0xFF;
    }
    if (bits < 32 || bits > 52)
        bits = 36;
    return 1ull << bits;
}
