/* SPDX-License-Identifier: MIT */
/* lockcheck.h - lock-order checking for the debug kernel (CONFIG_DEBUG_LOCKS).
 * Every spinlock belongs to a class with a rank; the documented order
 * (docs/architecture.md, "Locking") is the order of increasing rank:
 *     big -> threads -> cpu -> vm_space -> shootdown -> pmm/kstack/kheap/kcache/ioapic -> log
 * Each CPU keeps the list of locks it holds. Taking a lock asserts that its
 * rank is above every rank held (a try-lock never waits, so it is exempt,
 * but it is tracked) and that this CPU does not hold it already; releasing
 * asserts that this CPU holds it. A class that interrupt handlers take
 * (marked below, or learned when one is taken inside a handler) must only
 * be taken and held with interrupts off, and no interrupt may arrive while
 * one is held. A violation is reported with both locks' names through
 * kcheck (a panic, or a record when a test planned it).
 * In the normal build every hook is an `if (CONFIG_DEBUG_LOCKS)` that
 * compiles to nothing. A lock's class comes from its name at first use
 * (SPINLOCK_INIT, spin_init) unless given (SPINLOCK_INIT_CLASS,
 * spin_init_class); a name not in the table gets the class "unranked",
 * which ranks below log only. */
#pragma once

#include "lib/types.h"
#include "config.h"

/* X(ID, lock name, rank, taken in interrupt handlers) */
#define LOCK_CLASSES(X)                                   \
    X(BIG,        "big",        10, true)                 \
    X(THREADS,    "threads",    20, false)                \
    X(CPU,        "cpu",        30, true)                 \
    X(VM_SPACE,   "vm_space",   40, false)                \
    X(KERNEL_VM,  "kernel_vm",  40, false)                \
    X(SHOOTDOWN,  "shootdown",  45, false)                \
    X(PMM,        "pmm",        50, false)                \
    X(KSTACK,     "kstack",     50, false)                \
    X(KHEAP,      "kheap",      50, false)                \
    X(KCACHE,     "kcache",     50, false)                \
    X(IOAPIC,     "ioapic",     50, true)                 \
    X(UNRANKED,   "unranked",   60, false)                \
    X(TEST_OUTER, "test-outer", 70, false)                \
    X(TEST_INNER, "test-inner", 75, false)                \
    X(TEST_IRQ,   "test-irq",   78, true)                 \
    X(TEST_LEARN, "test-learn", 79, false)                \
    X(LOG,        "log",        90, true)

enum lock_class {
    LOCK_CLASS_NONE = 0,          /* not resolved yet: taken from the name */
#define LOCK_CLASS_ENUM(id, name, rank, irq) LOCK_CLASS_##id,
    LOCK_CLASSES(LOCK_CLASS_ENUM)
#undef LOCK_CLASS_ENUM
    LOCK_CLASS_COUNT
};

struct spinlock;

/* Hooks of spin_lock/spin_trylock/spin_unlock (lib/spinlock.h), called only
 * when CONFIG_DEBUG_LOCKS. lockcheck_acquire runs before the lock is
 * waited for, so an inversion is reported instead of deadlocking; it
 * returns false when the acquisition must not happen (a planned failure
 * that would otherwise hang the test: this CPU already holds the lock).
 * lockcheck_release returns false when the release must not happen (a
 * planned release of a lock this CPU does not hold). */
bool lockcheck_acquire(struct spinlock *l);
void lockcheck_trylocked(struct spinlock *l, uintptr_t where);   /* where: the caller */
bool lockcheck_release(struct spinlock *l);

/* Interrupt handlers run between these (arch trap dispatch, interrupts
 * off): locks taken inside are taken "in interrupt context". */
void lockcheck_irq_enter_slow(void);
void lockcheck_irq_exit_slow(void);
static inline void lockcheck_irq_enter(void)
{
    if (CONFIG_DEBUG_LOCKS)
        lockcheck_irq_enter_slow();
}
static inline void lockcheck_irq_exit(void)
{
    if (CONFIG_DEBUG_LOCKS)
        lockcheck_irq_exit_slow();
}

/* The class of a lock and the rank of a class (tests, reports). */
enum lock_class lockcheck_class_of(struct spinlock *l);
unsigned lockcheck_rank(enum lock_class c);
const char *lockcheck_class_name(enum lock_class c);
/* Locks this CPU holds now. */
unsigned lockcheck_depth(void);
/* Print the locks this CPU holds (crash reports). */
void lockcheck_dump_held(void);
