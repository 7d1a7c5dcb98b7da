// SPDX-License-Identifier: MIT
/* ktest_faults.c - in-kernel tests that raise exceptions on purpose: each
 * planned fault must produce the crash report (marked planned), be recorded
 * with the right vector, error code, RIP and CR2, and let the test go on.
 * Covers the exception vectors that can be raised at will and the W^X and
 * guard-page protections of phase 3. */
#include "test/ktest.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "lib/ksyms.h"
#include "lib/string.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

static bool rip_in(uint64_t rip, const char *fn)
{
    const char *name = ksym_lookup(rip, NULL);
    return name && strcmp(name, fn) == 0;
}

static __attribute__((noinline)) void do_divide_by_zero(void)
{
    __asm__ volatile("xorl %%ecx, %%ecx\n\t movl $1, %%eax\n\t xorl %%edx, %%edx\n\t divl %%ecx"
                     ::: "eax", "ecx", "edx");
}

static __attribute__((noinline)) void do_invalid_opcode(void)
{
    __asm__ volatile("ud2");
}

static __attribute__((noinline)) void do_breakpoint(void)
{
    __asm__ volatile("int3");
}

/* Read through an address the compiler cannot see. */
static __attribute__((noinline)) void read_at(uintptr_t addr)
{
    __asm__ volatile("movq (%0), %%rax" :: "r"(addr) : "rax", "memory");
}

static __attribute__((noinline)) void do_noncanonical_read(void)
{
    (void)*(volatile uint64_t *)0x8000000000000000ull;
}

KTEST(fault_divide_error_reported)
{
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_DE, rec, do_divide_by_zero()));
    KT_EXPECT_EQ(t, rec.vector, VEC_DE);
    KT_EXPECT(t, rip_in(rec.rip, "do_divide_by_zero"));
}

KTEST(fault_invalid_opcode_reported)
{
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_UD, rec, do_invalid_opcode()));
    KT_EXPECT_EQ(t, rec.vector, VEC_UD);
    KT_EXPECT(t, rip_in(rec.rip, "do_invalid_opcode"));
}

KTEST(fault_breakpoint_reported)
{
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_BP, rec, do_breakpoint()));
    KT_EXPECT_EQ(t, rec.vector, VEC_BP);
    KT_EXPECT(t, rip_in(rec.rip, "do_breakpoint"));     /* trap: RIP after int3 */
}

KTEST(fault_general_protection_reported)
{
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_GP, rec, do_noncanonical_read()));
    KT_EXPECT_EQ(t, rec.vector, VEC_GP);
    KT_EXPECT_EQ(t, rec.error, 0);
    KT_EXPECT(t, rip_in(rec.rip, "do_noncanonical_read"));
}

KTEST(fault_null_dereference_is_page_fault)
{
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, read_at(8)));
    KT_EXPECT_EQ(t, rec.cr2, 8);
    KT_EXPECT_EQ(t, rec.error & (PF_PRESENT | PF_WRITE | PF_USER), 0);
}

KTEST(fault_guard_page_of_kernel_stack)
{
    struct kstack ks;
    KT_EXPECT(t, kstack_alloc(&ks));
    struct fault_record rec;
    volatile uint64_t *guard = (uint64_t *)(ks.base - 64);
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, (void)*guard));
    KT_EXPECT_EQ(t, rec.cr2, ks.base - 64);
    KT_EXPECT_EQ(t, rec.error & PF_PRESENT, 0);
    KT_EXPECT_EQ(t, kstack_guard_of(rec.cr2), ks.base - PAGE_SIZE);
    kstack_free(&ks);
}

KTEST(fault_write_to_text)
{
    struct fault_record rec;
    volatile uint8_t *text = (uint8_t *)(uintptr_t)&do_breakpoint;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, *text = 0xCC));
    KT_EXPECT_EQ(t, rec.cr2, (uint64_t)text);
    KT_EXPECT_EQ(t, rec.error & (PF_PRESENT | PF_WRITE), PF_PRESENT | PF_WRITE);
}

KTEST(fault_write_to_text_through_hhdm_alias)
{
    struct fault_record rec;
    volatile uint8_t *alias = pa_to_kva(kva_to_pa((void *)(uintptr_t)&do_breakpoint));
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, *alias = 0xCC));
    KT_EXPECT_EQ(t, rec.error & (PF_PRESENT | PF_WRITE), PF_PRESENT | PF_WRITE);
}

static const uint64_t some_rodata = 0x5555;

KTEST(fault_write_to_rodata)
{
    struct fault_record rec;
    volatile uint64_t *ro = (volatile uint64_t *)&some_rodata;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, *ro = 1));
    KT_EXPECT_EQ(t, rec.cr2, (uint64_t)ro);
    KT_EXPECT_EQ(t, some_rodata, 0x5555);
}

static uint8_t data_code[16] __aligned(16);

KTEST(fault_execute_from_data)
{
    struct fault_record rec;
    data_code[0] = 0xC3;                                  /* ret */
    void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, fn()));
    KT_EXPECT_EQ(t, rec.cr2, (uint64_t)data_code);
    KT_EXPECT(t, rec.error & PF_FETCH);
}

KTEST(fault_execute_from_heap_via_hhdm)
{
    struct fault_record rec;
    paddr_t pa = pmm_alloc();
    uint8_t *p = pa_to_kva(pa);
    p[0] = 0xC3;
    void (*fn)(void) = (void (*)(void))(uintptr_t)p;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, fn()));
    KT_EXPECT(t, rec.error & PF_FETCH);
    KT_EXPECT_EQ(t, pmm_free(pa), 0);
}

KTEST(fault_access_after_unmap)
{
    vaddr_t va = KMMIO_REGION_END - MiB(32);
    paddr_t pa = pmm_alloc();
    KT_EXPECT_EQ(t, vmm_map(&kernel_vm, va, pa, PAGE_SIZE, VM_READ | VM_WRITE), 0);
    *(volatile uint64_t *)va = 42;                        /* fills the TLB */
    KT_EXPECT_EQ(t, vmm_unmap(&kernel_vm, va, PAGE_SIZE, NULL, NULL), 1);
    struct fault_record rec;
    KT_EXPECT(t, KT_EXPECT_FAULT(t, VEC_PF, rec, (void)*(volatile uint64_t *)va));
    KT_EXPECT_EQ(t, rec.cr2, va);
    KT_EXPECT_EQ(t, pmm_free(pa), 0);
}

KTEST(fault_report_names_function_in_backtrace)
{
    uint64_t off = 0;
    const char *name = ksym_lookup((uint64_t)&do_invalid_opcode + 1, &off);
    KT_EXPECT(t, name && strcmp(name, "do_invalid_opcode") == 0 && off == 1);
    KT_EXPECT(t, ksym_lookup(0x1000, NULL) == NULL);
    KT_EXPECT_EQ(t, ksym_address("kmain_multiboot2") != 0, 1);
}
