// SPDX-License-Identifier: MIT
/* ktest_mm.c - in-kernel tests of phase 3 on the real machine state: the
 * PMM against the live memory map, the heap, and the VMM (map, translate,
 * unmap, W^X refusal, and a walk of the live kernel page tables proving each
 * section's rights). Fault-raising checks are in arch/x86_64/ktest_faults.c. */
#include "test/ktest.h"
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "boot/boot_info.h"
#include "mm/kheap.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "lib/string.h"
#include <mos/errors.h>


#define TEST_VA (KMMIO_REGION_END - MiB(64))    /* scratch window for VMM tests */

static bool overlaps(paddr_t a, uint64_t alen, paddr_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* A frame the PMM handed out must be USABLE RAM, above 1 MiB, outside the
 * kernel image and the boot modules. */
static bool frame_is_legal(paddr_t pa)
{
    const struct boot_info *bi = &boot_info;
    if (pa < MiB(1) || !IS_ALIGNED(pa, PAGE_SIZE))
        return false;
    if (overlaps(pa, PAGE_SIZE, bi->kernel_phys_base, bi->kernel_phys_end - bi->kernel_phys_base))
        return false;
    for (uint32_t i = 0; i < bi->nmodules; i++)
        if (overlaps(pa, PAGE_SIZE, bi->modules[i].start, bi->modules[i].size))
            return false;
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == MEM_USABLE && pa >= r->base && pa + PAGE_SIZE <= r->base + r->len)
            return true;
    }
    return false;
}

KTEST(pmm_alloc_returns_legal_distinct_frames)
{
    uint64_t before = pmm_free_frames();
    paddr_t got[256];
    for (unsigned i = 0; i < 256; i++) {
        got[i] = pmm_alloc();
        KT_EXPECTF(t, got[i] && frame_is_legal(got[i]), "frame %u = 0x%llx is not legal", i,
                   (unsigned long long)got[i]);
        for (unsigned j = 0; j < i; j++)
            KT_EXPECTF(t, got[j] != got[i], "frame 0x%llx handed out twice", (unsigned long long)got[i]);
    }
    KT_EXPECT_EQ(t, pmm_free_frames(), before - 256);
    for (unsigned i = 0; i < 256; i++)
        KT_EXPECT_EQ(t, pmm_free(got[i]), 0);
    KT_EXPECT_EQ(t, pmm_free_frames(), before);
    KT_EXPECT(t, pmm_check());
}

KTEST(pmm_double_and_bad_free_rejected)
{
    uint64_t before = pmm_free_frames();
    paddr_t f = pmm_alloc();
    KT_EXPECT(t, f != 0);
    KT_EXPECT_EQ(t, pmm_free(f), 0);
    KT_EXPECT_EQ(t, pmm_free(f), -MOS_EINVAL);              /* double free */
    KT_EXPECT_EQ(t, pmm_free(f + 8), -MOS_EINVAL);          /* misaligned */
    KT_EXPECT_EQ(t, pmm_free(pmm_top() + GiB(1)), -MOS_EINVAL);
    KT_EXPECT_EQ(t, pmm_free(boot_info.kernel_phys_base), -MOS_EINVAL);  /* never free */
    KT_EXPECT_EQ(t, pmm_free_frames(), before);
    KT_EXPECT(t, pmm_check());
}

KTEST(pmm_contiguous_aligned_and_limited)
{
    uint64_t before = pmm_free_frames();
    static const uint64_t aligns[] = { PAGE_SIZE, KiB(64), MiB(2) };
    for (unsigned i = 0; i < ARRAY_SIZE(aligns); i++) {
        paddr_t pa = pmm_alloc_contig(16, aligns[i], MiB(64));
        KT_EXPECTF(t, pa && IS_ALIGNED(pa, aligns[i]) && pa + 16 * PAGE_SIZE <= MiB(64),
                   "contig align 0x%llx gave 0x%llx", (unsigned long long)aligns[i],
                   (unsigned long long)pa);
        for (unsigned k = 0; pa && k < 16; k++)
            KT_EXPECT(t, frame_is_legal(pa + k * PAGE_SIZE));
        if (pa)
            KT_EXPECT_EQ(t, pmm_free_contig(pa, 16), 0);
    }
    KT_EXPECT_EQ(t, pmm_alloc_contig(pmm_usable_frames() + 1, PAGE_SIZE, 0), 0);
    KT_EXPECT_EQ(t, pmm_free_frames(), before);
    KT_EXPECT(t, pmm_check());
}

/* Take every free frame (chaining them through their own first word),
 * check the PMM then reports none, and give them all back. */
KTEST(pmm_exhaustion_and_full_recovery)
{
    uint64_t before = pmm_free_frames(), n = 0;
    paddr_t head = 0, pa;
    while ((pa = pmm_alloc()) != 0) {
        if (!frame_is_legal(pa)) {
            KT_EXPECTF(t, false, "illegal frame 0x%llx", (unsigned long long)pa);
            break;
        }
        *(paddr_t *)pa_to_kva(pa) = head;
        head = pa;
        n++;
    }
    KT_EXPECT_EQ(t, n, before);
    KT_EXPECT_EQ(t, pmm_free_frames(), 0);
    KT_EXPECT_EQ(t, pmm_alloc_contig(1, PAGE_SIZE, 0), 0);
    while (head) {
        paddr_t next = *(paddr_t *)pa_to_kva(head);
        KT_EXPECT_EQ(t, pmm_free(head), 0);
        head = next;
    }
    KT_EXPECT_EQ(t, pmm_free_frames(), before);
    KT_EXPECT(t, pmm_check());
}

KTEST(heap_kmalloc_sizes_and_no_leak)
{
    struct kheap_stats s0, s1;
    uint64_t frames = pmm_free_frames();
    kheap_get_stats(&s0);
    static void *p[64];
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
            size_t size = 1 + (i * 131 + round * 977) % 9000;
            p[i] = kmalloc(size);
            KT_EXPECTF(t, p[i] != NULL, "kmalloc(%zu) failed", size);
            if (!p[i])
                continue;
            const uint8_t *b = p[i];
            bool zero = true;
            for (size_t k = 0; k < size; k++)
                zero &= b[k] == 0;
            KT_EXPECTF(t, zero, "kmalloc(%zu) not zeroed", size);
            KT_EXPECTF(t, IS_ALIGNED((uintptr_t)p[i], 8), "kmalloc(%zu) misaligned", size);
            memset(p[i], 0xA5, size);
        }
        for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
            kfree(p[i]);
    }
    KT_EXPECT(t, kheap_check());
    kheap_get_stats(&s1);
    KT_EXPECT_EQ(t, s1.objects_in_use, s0.objects_in_use);
    KT_EXPECT_EQ(t, s1.bytes_in_use, s0.bytes_in_use);
    KT_EXPECT_EQ(t, kmalloc(0), 0);
    (void)frames;
}

KTEST(heap_object_cache_reuses_and_shrinks)
{
    struct kcache *c = kcache_create("ktest", 200, 64);
    KT_EXPECT(t, c != NULL);
    if (!c)
        return;
    uint64_t frames = pmm_free_frames();
    static void *objs[300];
    for (unsigned i = 0; i < ARRAY_SIZE(objs); i++) {
        objs[i] = kcache_alloc(c);
        KT_EXPECT(t, objs[i] && IS_ALIGNED((uintptr_t)objs[i], 64));
    }
    KT_EXPECT(t, pmm_free_frames() < frames);
    for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
        kcache_free(c, objs[i]);
    KT_EXPECT(t, kcache_shrink(c) > 0);
    KT_EXPECT_EQ(t, pmm_free_frames(), frames);
    KT_EXPECT(t, kheap_check());
}

KTEST(vmm_map_translate_unmap)
{
    paddr_t pa = pmm_alloc();
    uint64_t frames = pmm_free_frames();
    KT_EXPECT(t, pa != 0);
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, TEST_VA, pa, PAGE_SIZE, VM_READ | VM_WRITE), 0);
    paddr_t got = 0;
    unsigned prot = 0;
    KT_EXPECT(t, vmm_translate(&kernel_vm, TEST_VA + 0x123, &got, &prot));
    KT_EXPECT_EQ(t, got, pa + 0x123);
    KT_EXPECT(t, (prot & VM_WRITE) && !(prot & VM_EXEC) && !(prot & VM_USER));
    *(volatile uint64_t *)TEST_VA = 0x1122334455667788ull;          /* through the new mapping */
    KT_EXPECT_EQ(t, *(volatile uint64_t *)pa_to_kva(pa), 0x1122334455667788ull); /* HHDM alias */
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, TEST_VA, pa, PAGE_SIZE, VM_READ), -MOS_EEXIST);
    KT_EXPECT_EQ(t, vmm_unmap(&kernel_vm, TEST_VA, PAGE_SIZE, NULL, NULL), 1);
    KT_EXPECT(t, !vmm_translate(&kernel_vm, TEST_VA, NULL, NULL));
    KT_EXPECT_EQ(t, vmm_unmap(&kernel_vm, TEST_VA, PAGE_SIZE, NULL, NULL), 0);
    KT_EXPECT_EQ(t, pmm_free(pa), 0);
    KT_EXPECT(t, pmm_free_frames() >= frames);   /* page tables stay; frames do not leak */
}

KTEST(vmm_large_pages_and_bad_requests)
{
    paddr_t pa = pmm_alloc_contig(512, MiB(2), 0);
    KT_EXPECT(t, pa != 0);
    if (!pa)
        return;
    vaddr_t va = ALIGN_UP(TEST_VA + MiB(2), MiB(2));
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va, pa, MiB(2), VM_READ | VM_WRITE | VM_LARGE), 0);
    paddr_t got = 0;
    KT_EXPECT(t, vmm_translate(&kernel_vm, va + MiB(1) + 5, &got, NULL));
    KT_EXPECT_EQ(t, got, pa + MiB(1) + 5);
    KT_EXPECT_EQ(t, vmm_unmap(&kernel_vm, va, MiB(2), NULL, NULL), 512);
    /* Refusals change nothing. */
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va, pa, PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC), -MOS_EINVAL);
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va + 1, pa, PAGE_SIZE, VM_READ), -MOS_EINVAL);
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va, pa + 1, PAGE_SIZE, VM_READ), -MOS_EINVAL);
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va, pa, 0, VM_READ), -MOS_EINVAL);
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, ~0ull - PAGE_SIZE + 1, pa, 2 * PAGE_SIZE, VM_READ), -MOS_EINVAL);
    KT_EXPECT(t, !vmm_translate(&kernel_vm, va, NULL, NULL));
    KT_EXPECT_EQ(t, pmm_free_contig(pa, 512), 0);
}

/* Walk the live kernel page tables. */
struct wx_walk {
    struct ktest_ctx *t;
    uint64_t leaves, wx, user, text, rodata, data;
    bool text_ok, rodata_ok, data_ok, hhdm_nx;
};

static void wx_visit(void *ctx, vaddr_t va, paddr_t pa, uint64_t size, unsigned prot)
{
    struct wx_walk *w = ctx;
    (void)pa;
    w->leaves++;
    if ((prot & VM_WRITE) && (prot & VM_EXEC))
        w->wx++;
    if (prot & VM_USER)
        w->user++;
    for (vaddr_t a = va; a < va + size && size == PAGE_SIZE; a += PAGE_SIZE) {
        if (a >= (vaddr_t)__text_start && a < (vaddr_t)__text_end) {
            w->text++;
            w->text_ok &= (prot & VM_EXEC) && !(prot & VM_WRITE);
        } else if (a >= (vaddr_t)__rodata_start && a < (vaddr_t)__rodata_end) {
            w->rodata++;
            w->rodata_ok &= !(prot & VM_EXEC) && !(prot & VM_WRITE);
        } else if (a >= (vaddr_t)__data_start && a < (vaddr_t)__data_end) {
            w->data++;
            w->data_ok &= !(prot & VM_EXEC) && (prot & VM_WRITE);
        }
    }
    if (va >= hhdm_offset && va < KSTACK_REGION && (prot & VM_EXEC))
        w->hhdm_nx = false;
}

KTEST(vmm_kernel_sections_are_wx_on_live_tables)
{
    struct wx_walk w = { .t = t, .text_ok = true, .rodata_ok = true, .data_ok = true, .hhdm_nx = true };
    arch_mmu_walk(arch_mmu_current(), 0, ~0ull, wx_visit, &w);
    KT_EXPECT(t, w.leaves > 0);
    KT_EXPECT_EQ(t, w.wx, 0);
    KT_EXPECT_EQ(t, w.user, 0);
    KT_EXPECT_EQ(t, w.text, ((vaddr_t)__text_end - (vaddr_t)__text_start) / PAGE_SIZE);
    KT_EXPECT_EQ(t, w.rodata, ((vaddr_t)__rodata_end - (vaddr_t)__rodata_start) / PAGE_SIZE);
    KT_EXPECT_EQ(t, w.data, ((vaddr_t)__data_end - (vaddr_t)__data_start) / PAGE_SIZE);
    KT_EXPECT(t, w.text_ok);
    KT_EXPECT(t, w.rodata_ok);
    KT_EXPECT(t, w.data_ok);
    KT_EXPECT(t, w.hhdm_nx);
    /* Nothing at all in the lower half, page 0 in particular. */
    struct wx_walk low = { .t = t };
    arch_mmu_walk(arch_mmu_current(), 0, USER_TOP, wx_visit, &low);
    KT_EXPECT_EQ(t, low.leaves, 0);
    KT_EXPECT(t, !vmm_translate(&kernel_vm, 0, NULL, NULL));
    /* The HHDM alias of the kernel text is read-only. */
    unsigned prot = 0;
    KT_EXPECT(t, vmm_translate(&kernel_vm, (vaddr_t)pa_to_kva(kva_to_pa(__text_start)), NULL, &prot));
    KT_EXPECT(t, !(prot & VM_WRITE) && !(prot & VM_EXEC));
}

KTEST(kstack_alloc_free_no_leak)
{
    kstack_drain();
    uint64_t frames = pmm_free_frames(), in_use = kstack_in_use();
    struct kstack ks[8];
    for (unsigned i = 0; i < 8; i++) {
        KT_EXPECT(t, kstack_alloc(&ks[i]));
        KT_EXPECT_EQ(t, ks[i].top - ks[i].base, KSTACK_SIZE);
        KT_EXPECT(t, !vmm_translate(&kernel_vm, ks[i].base - PAGE_SIZE, NULL, NULL)); /* guard */
        KT_EXPECT(t, vmm_translate(&kernel_vm, ks[i].top - 8, NULL, NULL));
        KT_EXPECT_EQ(t, kstack_guard_of(ks[i].top - 8), ks[i].base - PAGE_SIZE);
    }
    for (unsigned i = 0; i < 8; i++)
        kstack_free(&ks[i]);
    kstack_drain();
    KT_EXPECT_EQ(t, kstack_in_use(), in_use);
    KT_EXPECT(t, pmm_free_frames() >= frames - 4);   /* only page tables may remain */
}
