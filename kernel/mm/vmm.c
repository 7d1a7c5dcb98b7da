// SPDX-License-Identifier: MIT
/* vmm.c - address spaces in terms of (va, pa, prot). vmm_init builds the
 * kernel's own page tables in phase 3: the HHDM over every memory-map
 * region (read-write, NX, global; the kernel image's own frames read-only
 * there too, so no writable alias of .text exists), the image mapped per
 * section with W^X, the framebuffer write-combining, nothing below the
 * kernel half. Until the switch, tables are written through the boot HHDM,
 * which covers the first 4 GiB; the PMM hands out low frames first.
 * Locking: vm_space.lock around every page-table change of that space. */
#include "mm/vmm.h"
#include "mm/pmm.h"
#include "mm/tlb.h"
#include "mm/quota.h"
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/kstats.h"
#include "lib/string.h"
#include <mos/errors.h>

struct vm_space kernel_vm = { .lock = SPINLOCK_INIT("kernel_vm") };
uint64_t hhdm_offset = HHDM_BASE;
static paddr_t image_phys;                  /* physical address of KERNEL_LINK */
static vaddr_t mmio_next = KMMIO_REGION;    /* kernel_vm.lock */
static uint64_t table_frames;               /* atomic: vmm_tables_changed */
static uint64_t ktable_frames;              /* atomic: the kernel's tables (never freed) */

void vmm_tables_changed(int64_t n)
{
    __atomic_add_fetch(&table_frames, (uint64_t)n, __ATOMIC_RELAXED);
    KSTAT_ADD(table_frames, n);
}

static void ktable_added(void)
{
    __atomic_add_fetch(&ktable_frames, 1, __ATOMIC_RELAXED);
    KSTAT_ADD(ktable_frames, 1);
}

uint64_t vmm_table_frames(void)
{
    return __atomic_load_n(&table_frames, __ATOMIC_RELAXED);
}

uint64_t vmm_kernel_table_frames(void)
{
    return __atomic_load_n(&ktable_frames, __ATOMIC_RELAXED);
}

paddr_t kva_to_pa(const void *p)
{
    vaddr_t va = (vaddr_t)p;
    if (va >= KERNEL_VMA)
        return va - KERNEL_LINK + image_phys;
    if (va >= hhdm_offset && va < KSTACK_REGION)
        return va - hhdm_offset;
    paddr_t pa = 0;
    bool ok = vmm_translate(&kernel_vm, va, &pa, NULL);
    assert(ok);
    return pa;
}

void *pa_to_kva(paddr_t pa)
{
    return (void *)(pa + hhdm_offset);
}

static paddr_t table_alloc(void *ctx)
{
    struct vm_space *vs = ctx;
    if (vs->quota && quota_charge(vs->quota, PAGE_SIZE))
        return 0;
    paddr_t pa = pmm_alloc();
    if (!pa) {
        if (vs->quota)
            quota_refund(vs->quota, PAGE_SIZE);
        return 0;
    }
    if (vs != &kernel_vm) {
        vs->table_pages++;
        vmm_tables_changed(1);
    } else {
        ktable_added();
    }
    return pa;
}

static bool range_ok(vaddr_t va, uint64_t len)
{
    return IS_ALIGNED(va, PAGE_SIZE) && IS_ALIGNED(len, PAGE_SIZE) && len && va + len > va;
}

/* Unmap [va, end) without flushing; stops early once `max` leaves were
 * removed (recorded in out[]). Returns where it stopped. vs->lock held. */
struct unmapped {
    paddr_t pa;
    uint64_t size;
};

static vaddr_t unmap_some(struct vm_space *vs, vaddr_t va, vaddr_t end,
                          struct unmapped *out, unsigned max, unsigned *n)
{
    *n = 0;
    while (va < end && *n < max) {
        uint64_t hole = arch_mmu_hole(vs->root, va);
        if (hole) {
            va = (end - va <= hole) ? end : va + hole;
            continue;
        }
        paddr_t pa;
        uint64_t size = arch_mmu_unmap(vs->root, va, &pa);
        out[(*n)++] = (struct unmapped){ pa, size };
        va = ALIGN_DOWN(va, size) + size;
    }
    return va < end ? va : end;
}

int vmm_map(struct vm_space *vs, vaddr_t va, paddr_t pa, uint64_t len, unsigned prot)
{
    if (!range_ok(va, len) || !IS_ALIGNED(pa, PAGE_SIZE))
        return -MOS_EINVAL;
    if ((prot & VM_WRITE) && (prot & VM_EXEC))
        return -MOS_EINVAL;                          /* W^X, always */
    uint64_t f = spin_lock_irqsave(&vs->lock);
    vaddr_t done = va;
    int err = 0;
    while (done < va + len) {
        uint64_t off = done - va;
        bool large = (prot & VM_LARGE) && IS_ALIGNED(done, LARGE_PAGE_SIZE) &&
                     IS_ALIGNED(pa + off, LARGE_PAGE_SIZE) && len - off >= LARGE_PAGE_SIZE;
        err = arch_mmu_map(vs->root, done, pa + off, prot & ~VM_LARGE, large, table_alloc, vs);
        if (err)
            break;
        done += large ? LARGE_PAGE_SIZE : PAGE_SIZE;
    }
    if (err) {                                       /* undo: validate-then-commit */
        struct unmapped u[64];
        unsigned n;
        for (vaddr_t at = va; at < done;)
            at = unmap_some(vs, at, done, u, 64, &n);
    }
    spin_unlock_irqrestore(&vs->lock, f);
    if (err && done > va)
        tlb_flush_range(vs, va, done - va);
    return err;
}

long vmm_unmap(struct vm_space *vs, vaddr_t va, uint64_t len,
               void (*frames)(void *ctx, paddr_t pa), void *ctx)
{
    if (!range_ok(va, len))
        return -MOS_EINVAL;
    /* In batches: unmap, shoot down, and only then hand the frames back,
     * so no CPU can still reach a frame through a stale TLB entry once it
     * is reused. */
    long count = 0;
    vaddr_t at = va, end = va + len;
    while (at < end) {
        struct unmapped u[64];
        unsigned n;
        uint64_t f = spin_lock_irqsave(&vs->lock);
        vaddr_t from = at;
        at = unmap_some(vs, at, end, u, 64, &n);
        spin_unlock_irqrestore(&vs->lock, f);
        if (!n)
            continue;
        tlb_flush_range(vs, from, at - from);
        for (unsigned i = 0; i < n; i++) {
            for (uint64_t off = 0; off < u[i].size; off += PAGE_SIZE) {
                if (frames)
                    frames(ctx, u[i].pa + off);
                count++;
            }
        }
    }
    return count;
}

bool vmm_translate(struct vm_space *vs, vaddr_t va, paddr_t *pa, unsigned *prot)
{
    uint64_t f = spin_lock_irqsave(&vs->lock);
    uint64_t size = arch_mmu_query(vs->root, va, pa, prot);
    spin_unlock_irqrestore(&vs->lock, f);
    return size != 0;
}

int vmm_protect(struct vm_space *vs, vaddr_t va, uint64_t len, unsigned prot)
{
    if (!range_ok(va, len))
        return -MOS_EINVAL;
    if ((prot & VM_WRITE) && (prot & VM_EXEC))
        return -MOS_EINVAL;
    uint64_t f = spin_lock_irqsave(&vs->lock);
    for (vaddr_t a = va; a < va + len; a += PAGE_SIZE)
        arch_mmu_protect(vs->root, a, prot);
    spin_unlock_irqrestore(&vs->lock, f);
    tlb_flush_range(vs, va, len);
    return 0;
}

void *vmm_map_device(paddr_t pa, uint64_t len, unsigned prot)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t size = ALIGN_UP(pa + len, PAGE_SIZE) - base;
    uint64_t f = spin_lock_irqsave(&kernel_vm.lock);
    vaddr_t va = mmio_next;
    if (va + size > KMMIO_REGION_END || va + size < va) {
        spin_unlock_irqrestore(&kernel_vm.lock, f);
        return NULL;
    }
    mmio_next += size + PAGE_SIZE;                   /* a hole between mappings */
    spin_unlock_irqrestore(&kernel_vm.lock, f);
    unsigned p = VM_READ | VM_WRITE | VM_GLOBAL | (prot & (VM_WC | VM_NOCACHE));
    if (!(p & VM_WC))
        p |= VM_NOCACHE;
    if (vmm_map(&kernel_vm, va, base, size, p))
        return NULL;
    return (void *)(va + (pa - base));
}

/* ------------------------------------------------------------ phase 3 */

static paddr_t boot_table_alloc(void *ctx)
{
    (void)ctx;
    paddr_t pa = pmm_alloc();
    if (!pa)
        panic("vmm: out of memory building the kernel page tables");
    if (pa >= GiB(4))
        panic("vmm: page table frame 0x%llx beyond the boot HHDM", (unsigned long long)pa);
    ktable_added();
    return pa;
}

static void map_or_die(vaddr_t va, paddr_t pa, uint64_t len, unsigned prot)
{
    for (uint64_t off = 0; off < len;) {
        bool large = (prot & VM_LARGE) && IS_ALIGNED(va + off, LARGE_PAGE_SIZE) &&
                     IS_ALIGNED(pa + off, LARGE_PAGE_SIZE) && len - off >= LARGE_PAGE_SIZE;
        int err = arch_mmu_map(kernel_vm.root, va + off, pa + off, prot & ~VM_LARGE, large,
                               boot_table_alloc, NULL);
        if (err && err != -MOS_EEXIST)
            panic("vmm: cannot map 0x%llx: %d", (unsigned long long)(va + off), err);
        off += large ? LARGE_PAGE_SIZE : PAGE_SIZE;
    }
}

/* Map [base, end) of physical memory into the HHDM; pages of the kernel
 * image get a read-only alias, everything else read-write, never executable. */
static void map_hhdm_range(paddr_t base, paddr_t end, paddr_t img_lo, paddr_t img_hi, unsigned extra)
{
    base = ALIGN_DOWN(base, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    const unsigned rw = VM_READ | VM_WRITE | VM_GLOBAL | extra;
    while (base < end) {
        paddr_t chunk_end = ALIGN_DOWN(base, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE;
        bool whole = IS_ALIGNED(base, LARGE_PAGE_SIZE) && chunk_end <= end;
        bool touches_image = base < img_hi && chunk_end > img_lo;
        if (whole && !touches_image) {
            map_or_die(hhdm_offset + base, base, LARGE_PAGE_SIZE, rw | VM_LARGE);
            base = chunk_end;
            continue;
        }
        bool in_image = base >= img_lo && base < img_hi;
        map_or_die(hhdm_offset + base, base, PAGE_SIZE, in_image ? (VM_READ | VM_GLOBAL) : rw);
        base += PAGE_SIZE;
    }
}

static void map_section(const char *start, const char *end, unsigned prot)
{
    vaddr_t s = ALIGN_DOWN((vaddr_t)start, PAGE_SIZE), e = ALIGN_UP((vaddr_t)end, PAGE_SIZE);
    if (e > s)
        map_or_die(s, kva_to_pa((void *)s), e - s, prot | VM_GLOBAL);
}

void vmm_init(const struct boot_info *bi)
{
    image_phys = bi->kernel_phys_base;
    hhdm_offset = bi->hhdm_offset;
    arch_mmu_cpu_init();

    kernel_vm.root = boot_table_alloc(NULL);
    memset(pa_to_kva(kernel_vm.root), 0, PAGE_SIZE);
    if (arch_mmu_init_kernel_root(kernel_vm.root, boot_table_alloc, NULL))
        panic("vmm: cannot build the kernel root");

    paddr_t img_lo = kva_to_pa(__kernel_start), img_hi = kva_to_pa(__kernel_end);
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        /* Firmware-reserved ranges matter only below 4 GiB (BIOS data, ACPI
         * tables on some machines); above, they are PCI holes: skip them. */
        bool wanted = r->type != MEM_RESERVED && r->type != MEM_BAD;
        if (wanted || r->base < GiB(4))
            map_hhdm_range(r->base, MIN(r->base + r->len, wanted ? r->base + r->len : GiB(4)),
                           img_lo, img_hi, 0);
    }
    map_hhdm_range(0, MiB(1), img_lo, img_hi, 0);    /* BIOS areas, the SMP trampoline */
    if (bi->fb.format != FB_NONE)
        map_hhdm_range(bi->fb.addr, bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height,
                       img_lo, img_hi, VM_WC);

    map_section(__kernel_start, __text_start, VM_READ);           /* .boot: never run again */
    map_section(__text_start, __text_end, VM_READ | VM_EXEC);
    map_section(__rodata_start, __rodata_end, VM_READ);
    map_section(__data_start, __data_end, VM_READ | VM_WRITE);
    map_section(__ksyms_start, __ksyms_end, VM_READ);

    kernel_vm.switch_root = kernel_vm.root;
    arch_mmu_switch(kernel_vm.root);
    arch_tlb_flush_all_local();
}
