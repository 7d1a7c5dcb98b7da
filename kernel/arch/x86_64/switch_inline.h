/* SPDX-License-Identifier: MIT */
/* switch_inline.h - arch_thread_switch() for the hot paths (the scheduler
 * calls the out-of-line copy in context.c; the IPC fast path inlines it):
 * the kernel stack the CPU enters on from ring 3, the FPU/SSE state, the
 * address space, and the I/O permission bitmap. */
#pragma once

#include "arch/x86_64/arch_cpu.h"
#include "arch/x86_64/cpu.h"
#include "sched/thread.h"

#define ARCH_IOMAP_ON  ((uint16_t)(offsetof(struct arch_cpu, iomap) - offsetof(struct arch_cpu, tss)))
#define ARCH_IOMAP_OFF ((uint16_t)0xFFFF)    /* beyond the TSS limit: every port denied */

void arch_load_iomap(struct arch_cpu *a, struct thread *t);

/* The switch between two user threads (both have FPU/SSE areas: a user
 * thread is never created without one) minus the I/O bitmap, for a caller
 * that checked neither needs one loaded: the IPC fast path (call-free). */
static inline __attribute__((always_inline)) void arch_thread_switch_plain(struct arch_cpu *a, struct thread *prev,
                                                                           struct thread *next)
{
    uint64_t top = next->kstack.top;
    a->tss.rsp[0] = top;
    a->kernel_rsp = top;
    uint64_t root = next->space_root;       /* (read once: the asm below clobbers memory) */
    __asm__ volatile("fxsave64 (%0)" :: "r"(prev->arch_ext) : "memory");
    __asm__ volatile("fxrstor64 (%0)" :: "r"(next->arch_ext) : "memory");
    if (root != a->loaded_root) {
        write_cr3(root);
        a->loaded_root = root;
    }
}

static inline __attribute__((always_inline)) void arch_thread_switch_inline(struct thread *prev, struct thread *next)
{
    struct arch_cpu *a = arch_this_cpu();
    uint64_t top = next->kstack.top;
    a->tss.rsp[0] = top;
    a->kernel_rsp = top;
    if (prev->arch_ext)
        __asm__ volatile("fxsave64 (%0)" :: "r"(prev->arch_ext) : "memory");
    if (next->arch_ext)
        __asm__ volatile("fxrstor64 (%0)" :: "r"(next->arch_ext) : "memory");
    if (next->space_root != a->loaded_root) {
        write_cr3(next->space_root);
        a->loaded_root = next->space_root;
    }
    if (unlikely((next->iomap && *next->iomap) || a->tss.iomap_base != ARCH_IOMAP_OFF))
        arch_load_iomap(a, next);
}
