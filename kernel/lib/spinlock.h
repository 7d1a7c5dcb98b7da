/* SPDX-License-Identifier: MIT */
/* spinlock.h - fair (ticket) spinlocks that are IRQ-safe: spin_lock_irqsave()
 * disables interrupts on this CPU before taking the lock and restores them on
 * release. Under HOST_TEST they compile to no-ops (host tests are single
 * threaded unless a test brings its own locking). Lock order: docs/scheduler.md. */
#pragma once

#include "lib/types.h"

struct spinlock {
    volatile uint32_t next;     /* ticket handed to the next arrival */
    volatile uint32_t owner;    /* ticket now being served */
    int32_t cpu;                /* holder's CPU id, -1 when free (for assertions) */
    const char *name;
};

#define SPINLOCK_INIT(n) { .next = 0, .owner = 0, .cpu = -1, .name = (n) }

#ifdef HOST_TEST
static inline void spin_init(struct spinlock *l, const char *name) { l->next = l->owner = 0; l->cpu = -1; l->name = name; }
static inline void spin_lock(struct spinlock *l) { (void)l; }
static inline void spin_unlock(struct spinlock *l) { (void)l; }
static inline uint64_t spin_lock_irqsave(struct spinlock *l) { (void)l; return 0; }
static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t f) { (void)l; (void)f; }
static inline bool spin_held(const struct spinlock *l) { (void)l; return true; }
#else
#include "arch/arch.h"
#include "config.h"

void spin_init(struct spinlock *l, const char *name);
bool spin_trylock(struct spinlock *l);
/* Out of line: waiting for a contended lock (services cross-CPU requests). */
void spin_lock_wait(struct spinlock *l, uint32_t ticket);
__noreturn void spin_unlock_bad(const struct spinlock *l);

/* Take l; the caller has interrupts off or never takes l in an interrupt. */
static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (__builtin_expect(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me, 0))
        spin_lock_wait(l, me);
    l->cpu = (int32_t)arch_cpu_id();
}

static inline void spin_unlock(struct spinlock *l)
{
    if (CONFIG_DEBUG_LOCKS && l->cpu != (int32_t)arch_cpu_id())
        spin_unlock_bad(l);
    l->cpu = -1;
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Disable interrupts, take l; returns the interrupt state to restore. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t f = arch_irq_save();
    spin_lock(l);
    return f;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock(l);
    arch_irq_restore(flags);
}

/* Held by this CPU? */
static inline bool spin_held(const struct spinlock *l)
{
    return l->cpu == (int32_t)arch_cpu_id() && l->next != l->owner;
}
#endif
