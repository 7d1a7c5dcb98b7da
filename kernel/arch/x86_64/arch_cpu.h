/* SPDX-License-Identifier: MIT */
/* arch_cpu.h - the x86_64 part of per-CPU data. struct cpu (sched/cpu.h)
 * starts with a struct arch_cpu, and IA32_GS_BASE points at it in the kernel,
 * so %gs:0 is the CPU's own address. The offsets of the first fields are used
 * by assembly (syscall entry) and are fixed by static asserts in gdt.c. */
#pragma once


#define GDT_KCODE   0x08
#define GDT_KDATA   0x10
#define GDT_UCODE32 0x18    /* unused placeholder required by SYSRET's layout */
#define GDT_UDATA   0x20
#define GDT_UCODE   0x28
#define GDT_TSS     0x30
#define GDT_ENTRIES 8       /* null, kcode, kdata, ucode32, udata, ucode, tss(2) */
#define USER_CS     (GDT_UCODE | 3)
#define USER_DS     (GDT_UDATA | 3)

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3
#define IST_COUNT        3
#define IST_STACK_SIZE   8192

#define ARCH_CPU_SELF        0
#define ARCH_CPU_KERNEL_RSP  8
#define ARCH_CPU_USER_RSP    16

#ifndef __ASSEMBLY__
#include "lib/types.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct arch_cpu {
    struct arch_cpu *self;      /* %gs:0 */
    uint64_t kernel_rsp;        /* %gs:8  top of the current thread's kernel stack */
    uint64_t user_rsp;          /* %gs:16 scratch for the syscall entry */
    uint32_t apic_id;
    uint32_t index;             /* dense CPU number, 0 = boot CPU */
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    uint64_t ist_top[IST_COUNT + 1];  /* IST stack tops, [0] unused */
    /* The TSS and, right behind it, the I/O permission bitmap (1 = port
     * denied; the trailing 0xFF byte is required by the CPU). The bitmap is
     * loaded from the running process's on every switch (IOPORT caps). */
    struct tss tss __attribute__((aligned(16)));
    uint8_t iomap[8192 + 1];
    uint64_t loaded_root;             /* CR3 as last written by arch_thread_switch */
    uint64_t iomap_owner_gen;         /* which bitmap version is loaded (global, unique) */
};

/* This CPU's arch_cpu (valid once arch_cpu_init has run on it). */
static inline struct arch_cpu *arch_this_cpu(void)
{
    struct arch_cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

struct cpu;
/* Point IST slot `ist` (1..IST_COUNT) of c's TSS at a new stack top. */
void arch_set_ist(struct cpu *c, unsigned ist, uint64_t top);
#endif /* __ASSEMBLY__ */
