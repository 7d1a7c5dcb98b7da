// SPDX-License-Identifier: MIT
/* context.c - the x86_64 side of threads: a new thread's first stack frame,
 * what changes on every switch (the kernel stack the CPU enters on from
 * ring 3, and later the address space and FPU state), idling, and the
 * scheduler's timer and IPI hooks. */
#include "arch/arch.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "mm/kheap.h"
#include "mm/vmm.h"
#include "lib/string.h"
#include "sched/cpu.h"
#include "sched/thread.h"
#include "arch/x86_64/switch_inline.h"

extern char arch_thread_trampoline[], arch_user_trampoline[], syscall_entry[];
bool uaccess_smap;                          /* uaccess.S opens user access only when set */
static struct kcache *ext_cache;

#define VEC_SYSCALL 0x100
_Static_assert(offsetof(struct thread, kstack.top) == 16, "switch.S: arch_switch_resume");
_Static_assert(sizeof(struct trap_frame) == ARCH_USER_FRAME_SIZE, "switch.S, syscall.S");

void arch_thread_init(struct thread *t)
{
    uint64_t *sp = (uint64_t *)t->kstack.top;
    *--sp = 0;                                  /* return address of the C entry: ends backtraces */
    *--sp = (uint64_t)arch_thread_trampoline;   /* arch_switch returns here */
    *--sp = 0;                                  /* rbp */
    *--sp = (uint64_t)t;                        /* rbx: the thread */
    *--sp = 0;                                  /* r12 */
    *--sp = 0;                                  /* r13 */
    *--sp = 0;                                  /* r14 */
    *--sp = 0;                                  /* r15 */
    t->ksp = (uint64_t)sp;
}

void arch_user_thread_init(struct thread *t, uint64_t entry, uint64_t stack, uint64_t arg)
{
    struct trap_frame *f = (struct trap_frame *)(t->kstack.top - sizeof(struct trap_frame));
    memset(f, 0, sizeof *f);
    f->vector = VEC_SYSCALL;
    f->rip = entry;
    f->cs = USER_CS;
    f->rflags = RFLAGS_IF | 0x2;
    f->rsp = stack;
    f->ss = USER_DS;
    f->rdi = arg;
    uint64_t *sp = (uint64_t *)f;
    *--sp = (uint64_t)arch_user_trampoline;     /* arch_switch returns here */
    *--sp = 0;                                  /* rbp */
    *--sp = (uint64_t)t;                        /* rbx: the thread */
    *--sp = 0;                                  /* r12 */
    *--sp = 0;                                  /* r13 */
    *--sp = 0;                                  /* r14 */
    *--sp = 0;                                  /* r15 */
    t->ksp = (uint64_t)sp;
}

void *arch_ext_alloc(void)
{
    if (!ext_cache)
        ext_cache = kcache_create("fpu", ARCH_EXT_SIZE, 64);
    uint8_t *x = ext_cache ? kcache_alloc(ext_cache) : NULL;
    if (x) {
        /* FXSAVE image of the reset state: FCW 0x37F, MXCSR 0x1F80. */
        *(uint16_t *)(x + 0) = 0x37F;
        *(uint32_t *)(x + 24) = 0x1F80;
        *(uint32_t *)(x + 28) = 0xFFFF;         /* MXCSR_MASK as saved by FXSAVE */
    }
    return x;
}

void arch_ext_free(void *ext)
{
    kcache_free(ext_cache, ext);
}

void arch_load_iomap(struct arch_cpu *a, struct thread *t)
{
    /* The version is read before the copy: a copy racing with an update
     * (capglue_update_iomap) keeps the old version and is redone when the
     * updater's arch_iomap_sync() reaches this CPU. */
    uint64_t gen = t->iomap ? __atomic_load_n(t->iomap_gen, __ATOMIC_ACQUIRE) : 0;
    const uint8_t *map = t->iomap ? __atomic_load_n(t->iomap, __ATOMIC_ACQUIRE) : NULL;
    if (!map) {
        a->tss.iomap_base = ARCH_IOMAP_OFF;
        return;
    }
    if (a->iomap_owner_gen != gen) {
        memcpy(a->iomap, map, 8192);
        a->iomap_owner_gen = gen;
    }
    a->tss.iomap_base = ARCH_IOMAP_ON;
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
    arch_thread_switch_inline(prev, next);
}

void arch_thread_refresh(struct thread *t)
{
    arch_load_iomap(arch_this_cpu(), t);
}

const char *arch_user_cpu_init(void)
{
    uint32_t a, b, c, d;
    /* SYSCALL: kernel CS/SS from STAR[47:32], user CS/SS = STAR[63:48] + 16/8. */
    wrmsr(MSR_STAR, ((uint64_t)(GDT_UCODE32 | 3) << 48) | ((uint64_t)GDT_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_IF | (1u << 8) | (1u << 10) | RFLAGS_AC);   /* IF TF DF AC */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* SSE for user code: FXSAVE/FXRSTOR, no x87 emulation, no lazy switching. */
    write_cr0((read_cr0() | (1u << 1)) & ~((1u << 2) | (1u << 3)));   /* MP on, EM and TS off */
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpuid(7, 0, &a, &b, &c, &d);
    bool smep = (b >> 7) & 1, smap = (b >> 20) & 1;
    if (smep)
        cr4 |= CR4_SMEP;
    if (smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    if (smap) {
        uaccess_smap = true;
        clac();
    }
    return smep && smap ? "SMEP+SMAP" : smep ? "SMEP" : smap ? "SMAP" : "no SMEP/SMAP";
}

void arch_idle(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

void arch_timer_arm(uint64_t deadline_ns)
{
    apic_timer_arm(tsc_deadline_for(deadline_ns));
}

void arch_timer_disarm(void)
{
    apic_timer_disarm();
}

void arch_send_resched(unsigned cpu)
{
    apic_send_ipi(cpus[cpu].arch.apic_id, VEC_IPI_RESCHED);
}
