// SPDX-License-Identifier: MIT
/* gdt.c - per-CPU segment tables: a GDT laid out for SYSCALL/SYSRET (kernel
 * code, kernel data, then user code32 placeholder, user data, user code64 so
 * STAR can name both), and a TSS with IST stacks for double fault, NMI and
 * machine check plus an I/O permission bitmap (all ports denied until an
 * IOPORT capability opens some). Each CPU calls arch_cpu_init() once; the
 * boot CPU first uses static IST stacks and gets guarded ones in phase 4. */
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "lib/string.h"
#include "sched/cpu.h"

_Static_assert(offsetof(struct arch_cpu, self) == ARCH_CPU_SELF, "asm offset");
_Static_assert(offsetof(struct arch_cpu, kernel_rsp) == ARCH_CPU_KERNEL_RSP, "asm offset");
_Static_assert(offsetof(struct arch_cpu, user_rsp) == ARCH_CPU_USER_RSP, "asm offset");
_Static_assert(sizeof(struct tss) == 104, "TSS layout");
_Static_assert(offsetof(struct cpu, arch) == 0, "%gs:0 must be struct cpu");
_Static_assert(offsetof(struct arch_cpu, index) == ARCH_CPU_INDEX_OFFSET, "arch_inline.h");

static uint8_t boot_ist_stacks[IST_COUNT][IST_STACK_SIZE] __aligned(16);

static uint64_t seg_desc(bool code, unsigned dpl)
{
    /* Long-mode segments ignore base and limit; set them flat anyway. */
    uint64_t d = 0x0000FFFFull | (0xFull << 48);       /* limit 0xFFFFF */
    d |= 1ull << 44;                                    /* S: code/data */
    d |= 1ull << 47;                                    /* present */
    d |= (uint64_t)dpl << 45;
    d |= 1ull << 41;                                    /* readable / writable */
    d |= 1ull << 55;                                    /* 4 KiB granularity */
    if (code)
        d |= (1ull << 43) | (1ull << 53);               /* code, L (64-bit) */
    else
        d |= 1ull << 54;                                /* D/B: 32-bit data */
    return d;
}

static void set_tss_desc(uint64_t *gdt, const struct tss *tss, uint32_t limit)
{
    uint64_t base = (uint64_t)tss;
    gdt[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
             ((uint64_t)((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[1] = base >> 32;
}

void arch_set_ist(struct cpu *c, unsigned ist, uint64_t top)
{
    c->arch.ist_top[ist] = top;
    c->arch.tss.ist[ist - 1] = top;
}

void arch_cpu_init(struct cpu *c)
{
    struct arch_cpu *a = &c->arch;

    a->self = a;
    a->index = c->id;
    a->gdt[0] = 0;
    a->gdt[GDT_KCODE / 8] = seg_desc(true, 0);
    a->gdt[GDT_KDATA / 8] = seg_desc(false, 0);
    a->gdt[GDT_UCODE32 / 8] = 0;
    a->gdt[GDT_UDATA / 8] = seg_desc(false, 3);
    a->gdt[GDT_UCODE / 8] = seg_desc(true, 3);

    memset(&a->tss, 0, sizeof a->tss);
    memset(a->iomap, 0xFF, sizeof a->iomap);
    a->tss.iomap_base = (uint16_t)(offsetof(struct arch_cpu, iomap) - offsetof(struct arch_cpu, tss));
    for (unsigned i = 1; i <= IST_COUNT; i++) {
        if (!a->ist_top[i])     /* boot CPU before phase 4 */
            a->ist_top[i] = (uint64_t)&boot_ist_stacks[i - 1][IST_STACK_SIZE];
        a->tss.ist[i - 1] = a->ist_top[i];
    }
    uint32_t limit = (uint32_t)(offsetof(struct arch_cpu, iomap) + sizeof a->iomap -
                                offsetof(struct arch_cpu, tss) - 1);
    set_tss_desc(&a->gdt[GDT_TSS / 8], &a->tss, limit);

    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = {
        sizeof a->gdt - 1, (uint64_t)a->gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "movw %w1, %%ds\n\t movw %w1, %%es\n\t movw %w1, %%ss\n\t"
        "xorl %%eax, %%eax\n\t movw %%ax, %%fs\n\t movw %%ax, %%gs\n\t"
        "pushq %2\n\t leaq 1f(%%rip), %%rax\n\t pushq %%rax\n\t lretq\n"
        "1:\n\t"
        "ltr %w3"
        :: "m"(gdtr), "r"(GDT_KDATA), "i"(GDT_KCODE), "r"(GDT_TSS)
        : "rax", "memory");
    /* Loading GS zeroed the GS base: set the kernel's now. */
    wrmsr(MSR_GS_BASE, (uint64_t)a);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    idt_load();
}

void arch_percpu_early(struct cpu *c)
{
    c->arch.self = &c->arch;
    c->arch.index = c->id;
    wrmsr(MSR_GS_BASE, (uint64_t)&c->arch);
}
