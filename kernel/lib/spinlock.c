// SPDX-License-Identifier: MIT
/* spinlock.c - ticket spinlocks: arrivals take a ticket, the holder of the
 * ticket being served owns the lock, so waiters are served in FIFO order.
 * spin_lock_irqsave disables interrupts first so an interrupt handler on the
 * same CPU can never spin on a lock its own CPU holds. */
#include "lib/spinlock.h"
#include "lib/assert.h"
#include "arch/arch.h"

/* Called while spinning, with interrupts possibly off: SMP installs a
 * service for cross-CPU requests (TLB shoot-down) that must not wait. */
void (*spin_wait_hook)(void);

void spin_init(struct spinlock *l, const char *name)
{
    l->next = 0;
    l->owner = 0;
    l->cpu = -1;
    l->lclass = LOCK_CLASS_NONE;
    l->name = name;
}

void spin_lock_wait(struct spinlock *l, uint32_t ticket)
{
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
        if (spin_wait_hook)
            spin_wait_hook();
        arch_cpu_relax();
    }
}

void spin_unlock_bad(const struct spinlock *l)
{
    panic("spin_unlock of %s (held by CPU %d) on CPU %u", l->name, l->cpu, arch_cpu_id());
}

bool spin_trylock(struct spinlock *l)
{
    uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint32_t expect = owner;
    if (!__atomic_compare_exchange_n(&l->next, &expect, owner + 1, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return false;
    l->cpu = (int32_t)arch_cpu_id();
    if (CONFIG_DEBUG_LOCKS)
        lockcheck_trylocked(l, (uintptr_t)__builtin_return_address(0));
    return true;
}
