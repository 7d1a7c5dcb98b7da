/* SPDX-License-Identifier: MIT */
/* spinlock.h - fair (ticket) spinlocks that are IRQ-safe: spin_lock_irqsave()
 * disables interrupts on this CPU before taking the lock and restores them on
 * release. Under HOST_TEST they compile to no-ops (host tests are single
 * threaded unless a test brings its own locking). Lock order: docs/scheduler.md
 * and docs/architecture.md; the debug kernel (CONFIG_DEBUG_LOCKS) checks it
 * on every acquisition (lib/lockcheck.h, class from the name or given). */
#pragma once

#include "lib/types.h"
#include "lib/lockcheck.h"

struct spinlock {
    volatile uint32_t next;     /* ticket handed to the next arrival */
    volatile uint32_t owner;    /* ticket now being served */
    int32_t cpu;                /* holder's CPU id, -1 when free (for assertions) */
    uint8_t lclass;             /* enum lock_class; LOCK_CLASS_NONE = from name (debug) */
    uint8_t _pad[3];
    const char *name;
};
_Static_assert(sizeof(struct spinlock) == 24, "struct spinlock is embedded in asm-visible structs");

#define SPINLOCK_INIT(n) { .next = 0, .owner = 0, .cpu = -1, .name = (n) }
#define SPINLOCK_INIT_CLASS(n, c) { .next = 0, .owner = 0, .cpu = -1, .lclass = (c), .name = (n) }

#ifdef HOST_TEST
static inline void spin_init(struct spinlock *l, const char *name) { l->next = l->owner = 0; l->cpu = -1; l->lclass = LOCK_CLASS_NONE; l->name = name; }
static inline void spin_init_class(struct spinlock *l, const char *name, enum lock_class c) { spin_init(l, name); l->lclass = (uint8_t)c; }
static inline void spin_lock(struct spinlock *l) { (void)l; }
static inline void spin_unlock(struct spinlock *l) { (void)l; }
static inline uint64_t spin_lock_irqsave(struct spinlock *l) { (void)l; return 0; }
static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t f) { (void)l; (void)f; }
static inline bool spin_held(const struct spinlock *l) { (void)l; return true; }
#else
#include "arch/arch.h"
#include "config.h"

void spin_init(struct spinlock *l, const char *name);
/* The same with an explicit lock-order class (locks named per instance). */
static inline void spin_init_class(struct spinlock *l, const char *name, enum lock_class c)
{
    spin_init(l, name);
    l->lclass = (uint8_t)c;
}
bool spin_trylock(struct spinlock *l);
/* Out of line: waiting for a contended lock (services cross-CPU requests). */
void spin_lock_wait(struct spinlock *l, uint32_t ticket);
__noreturn void spin_unlock_bad(const struct spinlock *l);

/* Take l; the caller has interrupts off or never takes l in an interrupt. */
static inline void spin_lock(struct spinlock *l)
{
    if (CONFIG_DEBUG_LOCKS && !lockcheck_acquire(l))
        return;                 /* a planned failure that must not hang its test */
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (__builtin_expect(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me, 0))
        spin_lock_wait(l, me);
    l->cpu = (int32_t)arch_cpu_id();
}

static inline void spin_unlock(struct spinlock *l)
{
    if (CONFIG_DEBUG_LOCKS && !lockcheck_release(l))
        return;                 /* a planned failure: this CPU does not hold l */
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
