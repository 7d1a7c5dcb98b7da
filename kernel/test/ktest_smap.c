// SPDX-License-Identifier: MIT
/* ktest_smap.c - the kernel never touches user memory outside its copy
 * routines (uaccess.S opens user access with STAC only around them): a
 * kernel that reads, writes or executes a user page directly must fault.
 * The tests build a small address space with one user data page and one
 * user code page, load it on this CPU and, with interrupts off, make the
 * kernel read and write the data page and call into the code page, each
 * as a planned fault (the crash report, marked planned, goes to the log;
 * the sectest scenario checks it). copy_from_user/copy_to_user on the
 * same page work, which proves the page is mapped and the faults are SMAP
 * and SMEP at work. Compiled only into the sectest variant kernel (mk/security.mk),
 * run with "test=smap"; a CPU without SMAP or SMEP fails these tests. */
#include "test/ktest.h"
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "syscall/uaccess.h"

#define SMAP_DATA_VA 0x0000000040000000ull
#define SMAP_CODE_VA 0x0000000040001000ull
#define SMAP_VALUE   0x5AFE5AFE5AFE5AFEull

struct user_space {
    struct vm_space vs;
    paddr_t data, code;
    paddr_t old_root;
    uint64_t irq;
};

static bool cpu_has(unsigned bit)
{
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    return (b >> bit) & 1;
}

static void free_table(paddr_t pa)
{
    int err = pmm_free(pa);
    (void)err;
}

/* Build the space (data page holds SMAP_VALUE, code page a `ret`) and load
 * it on this CPU with interrupts off. False if memory ran out. */
static bool enter_user_space(struct user_space *u)
{
    *u = (struct user_space){ 0 };
    u->vs.root = pmm_alloc();
    u->data = pmm_alloc();
    u->code = pmm_alloc();
    if (!u->vs.root || !u->data || !u->code)
        return false;
    memset(pa_to_kva(u->vs.root), 0, PAGE_SIZE);
    arch_mmu_share_kernel(u->vs.root, kernel_vm.root);
    spin_init(&u->vs.lock, "smaptest");
    memset(pa_to_kva(u->data), 0, PAGE_SIZE);
    *(uint64_t *)pa_to_kva(u->data) = SMAP_VALUE;
    memset(pa_to_kva(u->code), 0xCC, PAGE_SIZE);        /* int3 everywhere ... */
    *(uint8_t *)pa_to_kva(u->code) = 0xC3;              /* ... but a ret at the start */
    if (vmm_map(&u->vs, SMAP_DATA_VA, u->data, PAGE_SIZE, VM_READ | VM_WRITE | VM_USER) ||
        vmm_map(&u->vs, SMAP_CODE_VA, u->code, PAGE_SIZE, VM_READ | VM_EXEC | VM_USER))
        return false;
    u->irq = arch_irq_save();
    u->old_root = arch_mmu_current();
    arch_mmu_switch(u->vs.root);
    return true;
}

static void leave_user_space(struct user_space *u)
{
    if (u->old_root) {
        clac();
        arch_mmu_switch(u->old_root);
        arch_irq_restore(u->irq);
    }
    if (u->vs.root) {
        arch_mmu_free_user_tables(u->vs.root, free_table);
        free_table(u->vs.root);
    }
    if (u->data)
        free_table(u->data);
    if (u->code)
        free_table(u->code);
}

static __attribute__((noinline)) uint64_t kernel_read(uintptr_t va)
{
    uint64_t v;
    __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(va) : "memory");
    return v;
}

static __attribute__((noinline)) void kernel_write(uintptr_t va, uint64_t v)
{
    __asm__ volatile("movq %1, (%0)" :: "r"(va), "r"(v) : "memory");
}

static __attribute__((noinline)) void kernel_call(uintptr_t va)
{
    ((void (*)(void))va)();
}

KTEST(smap_kernel_read_of_a_user_page_faults)
{
    if (!cpu_has(20)) {
        KT_EXPECTF(t, false, "this CPU has no SMAP (run with -cpu max)");
        return;
    }
    struct user_space u;
    struct fault_record rec = { 0 };
    uint64_t with_ac = 0;
    if (enter_user_space(&u)) {
        KT_EXPECT_FAULT(t, VEC_PF, rec, (void)kernel_read(SMAP_DATA_VA));
        stac();                                         /* what uaccess.S does */
        with_ac = kernel_read(SMAP_DATA_VA);
        clac();
    } else {
        KT_EXPECTF(t, false, "no memory for the test space");
    }
    leave_user_space(&u);
    KT_EXPECT(t, rec.caught);
    KT_EXPECT_EQ(t, rec.cr2, SMAP_DATA_VA);
    KT_EXPECTF(t, (rec.error & (PF_PRESENT | PF_WRITE | PF_USER | PF_FETCH)) == PF_PRESENT,
               "error code 0x%llx, expected a protection violation on a kernel read",
               (unsigned long long)rec.error);
    KT_EXPECT_EQ(t, with_ac, SMAP_VALUE);
}

KTEST(smap_kernel_write_to_a_user_page_faults)
{
    if (!cpu_has(20)) {
        KT_EXPECTF(t, false, "this CPU has no SMAP (run with -cpu max)");
        return;
    }
    struct user_space u;
    struct fault_record rec = { 0 };
    uint64_t after = 0;
    if (enter_user_space(&u)) {
        KT_EXPECT_FAULT(t, VEC_PF, rec, kernel_write(SMAP_DATA_VA, 1));
        stac();
        after = kernel_read(SMAP_DATA_VA);
        clac();
    } else {
        KT_EXPECTF(t, false, "no memory for the test space");
    }
    leave_user_space(&u);
    KT_EXPECT(t, rec.caught);
    KT_EXPECT_EQ(t, rec.cr2, SMAP_DATA_VA);
    KT_EXPECTF(t, (rec.error & (PF_PRESENT | PF_WRITE | PF_USER | PF_FETCH)) == (PF_PRESENT | PF_WRITE),
               "error code 0x%llx, expected a protection violation on a kernel write",
               (unsigned long long)rec.error);
    KT_EXPECT_EQ(t, after, SMAP_VALUE);                 /* the write did not happen */
}

KTEST(smap_smep_kernel_execution_of_a_user_page_faults)
{
    if (!cpu_has(7)) {
        KT_EXPECTF(t, false, "this CPU has no SMEP (run with -cpu max)");
        return;
    }
    struct user_space u;
    struct fault_record rec = { 0 }, rec_ac = { 0 };
    if (enter_user_space(&u)) {
        KT_EXPECT_FAULT(t, VEC_PF, rec, kernel_call(SMAP_CODE_VA));
        stac();                                         /* AC opens data access, never execution */
        KT_EXPECT_FAULT(t, VEC_PF, rec_ac, kernel_call(SMAP_CODE_VA));
        clac();
    } else {
        KT_EXPECTF(t, false, "no memory for the test space");
    }
    leave_user_space(&u);
    KT_EXPECT(t, rec.caught && rec_ac.caught);
    KT_EXPECT_EQ(t, rec.cr2, SMAP_CODE_VA);
    KT_EXPECT_EQ(t, rec.rip, SMAP_CODE_VA);
    KT_EXPECTF(t, (rec.error & (PF_PRESENT | PF_USER | PF_FETCH)) == (PF_PRESENT | PF_FETCH),
               "error code 0x%llx, expected a protection violation on a kernel instruction fetch",
               (unsigned long long)rec.error);
    KT_EXPECT_EQ(t, rec_ac.rip, SMAP_CODE_VA);
}

KTEST(smap_copy_routines_reach_the_same_user_page)
{
    struct user_space u;
    uint64_t got = 0, back = 0;
    int e1 = -1, e2 = -1, e3 = -1;
    if (enter_user_space(&u)) {
        e1 = copy_from_user(&got, uptr(SMAP_DATA_VA), sizeof got);
        uint64_t v = ~SMAP_VALUE;
        e2 = copy_to_user(uptr(SMAP_DATA_VA + 8), &v, sizeof v);
        e3 = copy_from_user(&back, uptr(SMAP_DATA_VA + 8), sizeof back);
    } else {
        KT_EXPECTF(t, false, "no memory for the test space");
    }
    leave_user_space(&u);
    KT_EXPECT_EQ(t, e1, 0);
    KT_EXPECT_EQ(t, e2, 0);
    KT_EXPECT_EQ(t, e3, 0);
    KT_EXPECT_EQ(t, got, SMAP_VALUE);
    KT_EXPECT_EQ(t, back, ~SMAP_VALUE);
}
