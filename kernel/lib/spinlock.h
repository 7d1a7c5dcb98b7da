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
void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);               /* caller has IRQs off or never takes it in IRQ */
void spin_unlock(struct spinlock *l);
uint64_t spin_lock_irqsave(struct spinlock *l);   /* returns the saved flags */
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);
bool spin_held(const struct spinlock *l);         /* held by this CPU */
bool spin_trylock(struct spinlock *l);
#endif
