// SPDX-License-Identifier: MIT
/* idt.c - the interrupt descriptor table, shared by all CPUs: 256 interrupt
 * gates pointing at the isr.S stubs. Double fault, NMI and machine check run
 * on their own IST stacks (so a kernel stack overflow still gets a report);
 * breakpoint is reachable from ring 3 (int3), everything else is DPL 0. */
#include "arch/x86_64/arch_cpu.h"
#include "arch/x86_64/trap.h"

struct idt_gate {
    uint16_t off_lo;
    uint16_t selector;
    uint8_t  ist;
    uint8_t  type_attr;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

extern const char isr_stubs[];
static struct idt_gate idt[256] __aligned(16);

static void set_gate(unsigned vec, unsigned ist, unsigned dpl)
{
    uint64_t off = (uint64_t)(isr_stubs + vec * 16);
    idt[vec] = (struct idt_gate){
        .off_lo = (uint16_t)off,
        .selector = GDT_KCODE,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8E | (dpl << 5)),    /* present, 64-bit interrupt gate */
        .off_mid = (uint16_t)(off >> 16),
        .off_hi = (uint32_t)(off >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, 0, 0);
    set_gate(VEC_DF, IST_DOUBLE_FAULT, 0);
    set_gate(VEC_NMI, IST_NMI, 0);
    set_gate(VEC_MC, IST_MACHINE_CHECK, 0);
    set_gate(VEC_BP, 0, 3);
}

void idt_load(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {
        sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(idtr) : "memory");
}
