// SPDX-License-Identifier: MIT
/* kstack.c - kernel stacks: fixed slots in the kernel-stack region, each an
 * unmapped guard page followed by KSTACK_SIZE bytes of mapped frames (not
 * necessarily contiguous). A slot bitmap under one lock; frames come from
 * the PMM and go back on free (after the TLB shoot-down in vmm_unmap).
 * Up to KSTACK_CACHE freed stacks stay mapped for reuse, so thread churn
 * costs neither page-table work nor shoot-downs; kstack_drain() empties the
 * cache (leak accounting in tests). kinfo kstack_frames counts the frames
 * of every mapped stack (slots in use, cached ones included). */
#include "mm/kstack.h"
#include "mm/vmm.h"
#include "mm/pmm.h"
#include "arch/x86_64/memlayout.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/assert.h"
#include "lib/kstats.h"

#define SLOT_SIZE  (KSTACK_SIZE + PAGE_SIZE)
#define MAX_SLOTS  16384

static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");
static uint64_t slot_used[MAX_SLOTS / 64];       /* kstack_lock */
static uint64_t slots_in_use;                    /* kstack_lock */
static unsigned slot_hint;                       /* kstack_lock: lowest word maybe free */
static uint64_t slot_high;                       /* kstack_lock: highest slot ever used + 1 */
#define KSTACK_CACHE 64
static struct kstack cached[KSTACK_CACHE];       /* kstack_lock: mapped, free stacks */
static unsigned ncached;                         /* kstack_lock */

static long slot_take(void)
{
    uint64_t f = spin_lock_irqsave(&kstack_lock);
    for (unsigned w = slot_hint; w < MAX_SLOTS / 64; w++) {
        if (slot_used[w] != ~0ull) {
            unsigned b = (unsigned)__builtin_ctzll(~slot_used[w]);
            slot_used[w] |= 1ull << b;
            slots_in_use++;
            slot_hint = w;
            slot_high = MAX(slot_high, (uint64_t)w * 64 + b + 1);
            spin_unlock_irqrestore(&kstack_lock, f);
            return (long)(w * 64 + b);
        }
    }
    spin_unlock_irqrestore(&kstack_lock, f);
    return -1;
}

static void slot_give(unsigned slot)
{
    uint64_t f = spin_lock_irqsave(&kstack_lock);
    assert(slot_used[slot / 64] & (1ull << (slot % 64)));
    slot_used[slot / 64] &= ~(1ull << (slot % 64));
    slots_in_use--;
    if (slot / 64 < slot_hint)
        slot_hint = slot / 64;
    spin_unlock_irqrestore(&kstack_lock, f);
}

static void free_frame(void *ctx, paddr_t pa)
{
    (void)ctx;
    int err = pmm_free(pa);
    assert(err == 0);
}

bool kstack_alloc(struct kstack *ks)
{
    uint64_t f = spin_lock_irqsave(&kstack_lock);
    if (ncached) {
        *ks = cached[--ncached];
        spin_unlock_irqrestore(&kstack_lock, f);
        return true;
    }
    spin_unlock_irqrestore(&kstack_lock, f);
    long slot = slot_take();
    if (slot < 0)
        return false;
    vaddr_t base = KSTACK_REGION + (uint64_t)slot * SLOT_SIZE + PAGE_SIZE;
    for (uint64_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
        paddr_t pa = pmm_alloc();
        if (!pa || vmm_map(&kernel_vm, base + off, pa, PAGE_SIZE, VM_READ | VM_WRITE | VM_GLOBAL)) {
            if (pa) {
                int err = pmm_free(pa);
                assert(err == 0);
            }
            if (off)
                vmm_unmap(&kernel_vm, base, off, free_frame, NULL);
            slot_give((unsigned)slot);
            return false;
        }
    }
    ks->base = base;
    ks->top = base + KSTACK_SIZE;
    KSTAT_ADD(kstack_frames, KSTACK_SIZE / PAGE_SIZE);
    return true;
}

static void release(struct kstack *ks)
{
    unsigned slot = (unsigned)((ks->base - PAGE_SIZE - KSTACK_REGION) / SLOT_SIZE);
    vmm_unmap(&kernel_vm, ks->base, KSTACK_SIZE, free_frame, NULL);
    KSTAT_ADD(kstack_frames, -(int64_t)(KSTACK_SIZE / PAGE_SIZE));
    slot_give(slot);
    ks->base = ks->top = 0;
}

void kstack_free(struct kstack *ks)
{
    assert(ks->base >= KSTACK_REGION && ks->top <= KSTACK_REGION_END);
    uint64_t f = spin_lock_irqsave(&kstack_lock);
    if (ncached < KSTACK_CACHE) {
        cached[ncached++] = *ks;
        spin_unlock_irqrestore(&kstack_lock, f);
        ks->base = ks->top = 0;
        return;
    }
    spin_unlock_irqrestore(&kstack_lock, f);
    release(ks);
}

unsigned kstack_drain(void)
{
    unsigned n = 0;
    for (;;) {
        struct kstack ks;
        uint64_t f = spin_lock_irqsave(&kstack_lock);
        if (!ncached) {
            spin_unlock_irqrestore(&kstack_lock, f);
            return n;
        }
        ks = cached[--ncached];
        spin_unlock_irqrestore(&kstack_lock, f);
        release(&ks);
        n++;
    }
}

vaddr_t kstack_guard_of(vaddr_t addr)
{
    if (addr < KSTACK_REGION || addr >= KSTACK_REGION + (uint64_t)MAX_SLOTS * SLOT_SIZE)
        return 0;
    return KSTACK_REGION + (addr - KSTACK_REGION) / SLOT_SIZE * SLOT_SIZE;
}

uint64_t kstack_high_water(void)
{
    return slot_high;
}

uint64_t kstack_in_use(void)
{
    return slots_in_use;
}
