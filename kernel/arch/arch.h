/* SPDX-License-Identifier: MIT */
/* arch.h - everything the generic kernel asks of the CPU and platform.
 * Generic code includes only this; the x86_64 implementation lives under
 * kernel/arch/x86_64/. */
#pragma once

#include "lib/types.h"

/* Phase 1: the boot-time serial log (COM1). */
bool arch_serial_init(void);        /* false when no UART answers */
void arch_serial_putc(char c);      /* polled; safe in any context */

/* This CPU's tables (GDT, TSS, IDT, per-CPU pointer). Called once per CPU. */
struct cpu;
void arch_cpu_init(struct cpu *c);
/* Point the per-CPU register at c before anything else runs on this CPU
 * (so arch_cpu_id() and spinlocks work from the first line of kmain). */
void arch_percpu_early(struct cpu *c);

/* Inline: arch_cpu_id(), arch_irq_save() (disable, return previous
 * state), arch_irq_restore(), arch_cpu_relax(). */
#include "arch/x86_64/arch_inline.h"
bool arch_irqs_enabled(void);

/* Stop this CPU for good (interrupts off, halt loop). */
__noreturn void arch_halt(void);
/* Stop every other CPU (NMI broadcast once the LAPIC is up). */
void arch_stop_others(void);
/* Print this CPU's registers and a backtrace (panic). */
void arch_dump_state(void);
/* Leave QEMU through the isa-debug-exit device (status = code*2+1); halts
 * when not under QEMU. */
__noreturn void arch_qemu_exit(unsigned code);
#define QEMU_EXIT_SUCCESS 0x10      /* QEMU status 33 */
#define QEMU_EXIT_FAILURE 0x11      /* QEMU status 35 */

/* Print a backtrace starting at the given frame pointer. */
void arch_backtrace(uint64_t rbp, unsigned max_frames);

/* Page tables. `root` is a top-level table's physical address. Callers
 * serialise updates to one space (vm_space.lock). prot uses the VM_* bits
 * of mm/vmm.h. Table pages come from alloc(ctx) (0 = out of memory). */
typedef paddr_t (*arch_pt_alloc_fn)(void *ctx);
__must_check int arch_mmu_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned prot, bool large,
                              arch_pt_alloc_fn alloc, void *ctx);
/* Remove the leaf that maps va; returns its size (4 KiB / 2 MiB) and
 * physical address, or 0 when nothing is mapped there. */
uint64_t arch_mmu_unmap(paddr_t root, vaddr_t va, paddr_t *pa);
/* 0 if va is mapped; otherwise how many bytes from va on are certainly
 * unmapped (to the end of the largest empty table slot containing va). */
uint64_t arch_mmu_hole(paddr_t root, vaddr_t va);
/* Size of the leaf mapping va (0 = unmapped), with its pa and prot. */
uint64_t arch_mmu_query(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *prot);
/* Rewrite the protection of the leaf mapping va; false if unmapped. */
bool arch_mmu_protect(paddr_t root, vaddr_t va, unsigned prot);
/* Free every user-half page table under root (not the frames they map),
 * passing each table page to free_table; returns how many. */
uint64_t arch_mmu_free_user_tables(paddr_t root, void (*free_table)(paddr_t));
/* Copy the kernel half of the top-level table kroot into root. */
void arch_mmu_share_kernel(paddr_t root, paddr_t kroot);
void arch_mmu_switch(paddr_t root);       /* load root (tag 0, flushed) on this CPU */
paddr_t arch_mmu_current(void);
/* One past the highest physical address this CPU can address (CPUID
 * 0x80000008; 36 bits when the leaf is missing). */
paddr_t arch_phys_limit(void);
void arch_tlb_flush_local(vaddr_t va);    /* one page, this CPU */
void arch_tlb_flush_all_local(void);      /* everything incl. global pages */
/* Address-space tags (x86_64: PCIDs, when the CPU has PCID and INVPCID).
 * A space with tag 0 has none: each switch to it flushes. A space's tag is
 * taken when it is made and given back when its tables are freed. */
uint16_t arch_asid_alloc(void);
void arch_asid_free(uint16_t asid);
/* What a thread of the space (root, asid) loads on a switch (x86_64: the
 * CR3 value, with the PCID and the no-flush bit when asid != 0). */
uint64_t arch_mmu_switch_value(paddr_t root, uint16_t asid);
/* Drop this CPU's TLB entries tagged asid (a space not running here). */
void arch_tlb_flush_asid_local(uint16_t asid);
/* CPU feature setup for paging (NX, global pages, PAT with WC). */
void arch_mmu_cpu_init(void);
/* Give a new kernel root all upper-half second-level tables, so that the
 * kernel half never needs a new top-level entry (and can be shared by copy). */
__must_check int arch_mmu_init_kernel_root(paddr_t root, arch_pt_alloc_fn alloc, void *ctx);
/* Visit every leaf mapping in [lo, hi) of root. */
typedef void (*arch_mmu_visit_fn)(void *ctx, vaddr_t va, paddr_t pa, uint64_t size, unsigned prot);
void arch_mmu_walk(paddr_t root, vaddr_t lo, vaddr_t hi, arch_mmu_visit_fn fn, void *ctx);

/* Switch to the stack whose top is `top` and call fn(arg); never returns. */
__noreturn void arch_run_on_stack(vaddr_t top, void (*fn)(void *), void *arg);

/* Threads. */
struct thread;
/* Lay out t's kernel stack so the first switch to it enters
 * sched_thread_entry(t) with interrupts off. */
void arch_thread_init(struct thread *t);
/* Save callee-saved state on the current stack into *save_ksp and resume
 * the context whose stack pointer is new_ksp. */
void arch_switch(uint64_t *save_ksp, uint64_t new_ksp);
/* Like arch_switch, but `next` has no kernel context (thread.h,
 * frame_resume): switch to its kernel stack top, run ipc_frame_resume(next)
 * and leave to user mode from its saved user state. */
void arch_switch_resume(uint64_t *save_ksp, struct thread *next);
/* Per-switch CPU state: kernel stack for ring-3 entries, address space,
 * FPU. Called with the scheduler lock held, just before arch_switch. */
void arch_thread_switch(struct thread *prev, struct thread *next);
/* Halt until the next interrupt, with interrupts enabled atomically. */
void arch_idle(void);

/* Timer: fire one interrupt at (or soon after) absolute time ns; or none. */
void arch_timer_arm(uint64_t deadline_ns);
void arch_timer_disarm(void);
/* Ask CPU `cpu` to reschedule (IPI). */
void arch_send_resched(unsigned cpu);

/* The address of the last page fault on this CPU (CR2). */
uint64_t arch_fault_address(void);

/* Size of the saved user state at the top of a user thread's kernel stack. */
#define ARCH_USER_FRAME_SIZE (22 * 8)

/* User threads. Lay out t's kernel stack so that its first switch enters
 * user mode at entry with RSP = stack, RDI = arg, every other register 0. */
void arch_user_thread_init(struct thread *t, uint64_t entry, uint64_t stack, uint64_t arg);
/* Extended (FPU/SSE) state for a user thread: allocated in its initial
 * state; NULL when out of memory. */
void *arch_ext_alloc(void);
void arch_ext_free(void *ext);
#define ARCH_EXT_SIZE 512
/* t runs on this CPU: reload what arch_thread_switch would set up for it
 * (the I/O permission bitmap after a change). */
void arch_thread_refresh(struct thread *t);
/* Make every other CPU reload its running thread's I/O permission bitmap
 * (arch_thread_refresh) and wait until all have: after a process's bitmap
 * changed, no CPU still allows a revoked port or reads a freed bitmap. */
void arch_iomap_sync(void);
/* Per-CPU setup for ring 3: SYSCALL MSRs, SSE, SMEP/SMAP. Returns a
 * description of the protections enabled (for the boot log). */
const char *arch_user_cpu_init(void);
