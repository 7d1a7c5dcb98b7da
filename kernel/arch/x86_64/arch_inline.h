/* SPDX-License-Identifier: MIT */
/* arch_inline.h - the few arch services that hot paths (spinlocks, the IPC
 * fast path) need without a call; included by arch.h only. */
#pragma once

#include "lib/types.h"

#define ARCH_CPU_INDEX_OFFSET 28    /* offsetof(struct arch_cpu, index), asserted in gdt.c */

/* This CPU's number (GS points at its struct cpu from the first
 * instruction of kmain on the boot CPU, and before any lock on the others). */
static inline unsigned arch_cpu_id(void)
{
    unsigned id;
    __asm__ volatile("movl %%gs:" "28" ", %0" : "=r"(id));
    return id;
}

static inline uint64_t arch_irq_save(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(f) :: "memory");
    return f & (1ull << 9);
}

static inline void arch_irq_restore(uint64_t flags)
{
    if (flags & (1ull << 9))
        __asm__ volatile("sti" ::: "memory");
}

/* Bulk copy with the CPU's string instructions (ERMS-fast on real CPUs,
 * one instruction per 8 bytes under QEMU's -icount): for large copies. */
static inline void arch_copy_bulk(void *dst, const void *src, size_t n)
{
    size_t q = n / 8, r = n % 8;
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(r) :: "memory");
}

static inline void arch_cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}
