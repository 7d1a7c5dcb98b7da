// SPDX-License-Identifier: MIT
/* ktest_lockcheck.c - in-kernel tests of the lock-order checker
 * (lib/lockcheck.c), built only into the debug kernel (CONFIG_DEBUG_LOCKS).
 * Each violation is committed on purpose with locks private to the test
 * (classes with the real ranks, or test classes), under a planned failure
 * (lib/kcheck.h): the checker must report it, naming both locks, and the
 * test goes on. The order table itself is checked against the order
 * docs/architecture.md documents, and the kernel's own locks against it. */
#include "test/ktest.h"
#include "arch/arch.h"
#include "lib/kcheck.h"
#include "lib/klock.h"
#include "lib/lockcheck.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "config.h"

#define EXPECT_VIOLATION(t, p, kind_)                                                   \
    KT_EXPECTF((t), (p)->hits >= 1 && strcmp((p)->kind, (kind_)) == 0,                 \
               "%u reports, first '%s', expected '%s'", (p)->hits, (p)->kind, (kind_))

KTEST(debug_lock_order_table_matches_the_documented_order)
{
    if (!CONFIG_DEBUG_LOCKS)
        KT_SKIP(t, "CONFIG_DEBUG_LOCKS is off");
    /* big_lock -> thread_list_lock -> cpu->lock -> vm_space.lock -> pmm/kheap/kstack */
    static const enum lock_class order[] = {
        LOCK_CLASS_BIG, LOCK_CLASS_THREADS, LOCK_CLASS_CPU, LOCK_CLASS_VM_SPACE, LOCK_CLASS_PMM,
    };
    for (unsigned i = 1; i < ARRAY_SIZE(order); i++)
        KT_EXPECTF(t, lockcheck_rank(order[i - 1]) < lockcheck_rank(order[i]), "%s before %s",
                   lockcheck_class_name(order[i - 1]), lockcheck_class_name(order[i]));
    KT_EXPECT_EQ(t, lockcheck_rank(LOCK_CLASS_KERNEL_VM), lockcheck_rank(LOCK_CLASS_VM_SPACE));
    KT_EXPECT_EQ(t, lockcheck_rank(LOCK_CLASS_KHEAP), lockcheck_rank(LOCK_CLASS_PMM));
    KT_EXPECT_EQ(t, lockcheck_rank(LOCK_CLASS_KCACHE), lockcheck_rank(LOCK_CLASS_PMM));
    KT_EXPECT_EQ(t, lockcheck_rank(LOCK_CLASS_KSTACK), lockcheck_rank(LOCK_CLASS_PMM));
    KT_EXPECT(t, lockcheck_rank(LOCK_CLASS_LOG) > lockcheck_rank(LOCK_CLASS_UNRANKED));
    /* The kernel's locks carry those classes. */
    KT_EXPECT_EQ(t, lockcheck_class_of(&big_lock), LOCK_CLASS_BIG);
    KT_EXPECT_EQ(t, lockcheck_class_of(&kernel_vm.lock), LOCK_CLASS_KERNEL_VM);
    KT_EXPECT_EQ(t, lockcheck_class_of(&this_cpu()->lock), LOCK_CLASS_CPU);
    /* The test thread holds nothing between tests. */
    KT_EXPECT_EQ(t, lockcheck_depth(), 0);
}

KTEST(debug_lock_correct_order_is_quiet)
{
    if (!CONFIG_DEBUG_LOCKS)
        KT_SKIP(t, "CONFIG_DEBUG_LOCKS is off");
    struct spinlock big = SPINLOCK_INIT_CLASS("ktest-big", LOCK_CLASS_BIG);
    struct spinlock vs = SPINLOCK_INIT_CLASS("ktest-vm", LOCK_CLASS_VM_SPACE);
    struct spinlock pmm = SPINLOCK_INIT_CLASS("ktest-pmm", LOCK_CLASS_PMM);
    struct kcheck_plan p;
    kcheck_plan_begin(&p);
    uint64_t f = spin_lock_irqsave(&big);
    spin_lock(&vs);
    KT_EXPECT_EQ(t, lockcheck_depth(), 2);
    spin_lock(&pmm);
    spin_unlock(&big);                  /* out of order releases are fine */
    spin_unlock(&pmm);
    spin_unlock(&vs);
    KT_EXPECT_EQ(t, lockcheck_depth(), 0);
    arch_irq_restore(f);
    KT_EXPECT_EQ(t, kcheck_plan_end(&p), 0);
}

KTEST(debug_lock_inversion_is_caught)
{
    if (!CONFIG_DEBUG_LOCKS)
        KT_SKIP(t, "CONFIG_DEBUG_LOCKS is off");
    /* A vm_space lock taken under a pmm lock: the order is the other way. */
    struct spinlock pmm = SPINLOCK_INIT_CLASS("ktest-pmm", LOCK_CLASS_PMM);
    struct spinlock vs = SPINLOCK_INIT_CLASS("ktest-vm", LOCK_CLASS_VM_SPACE);
    struct kcheck_plan p;
    kcheck_plan_begin(&p);
    uint64_t f = spin_lock_irqsave(&pmm);
    spin_lock(&vs);
    spin_unlock(&vs);
    spin_unlock_irqrestore(&pmm, f);
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 1);
    EXPECT_VIOLATION(t, &p, "lock-order");
    KT_EXPECTF(t, strstr(p.summary, "'ktest-vm'") && strstr(p.summary, "'ktest-pmm'"),
               "summary '%s' names both locks", p.summary);
    KT_EXPECT_EQ(t, lockcheck_depth(), 0);

    /* The same with test classes, and two locks of one class. */
    struct spinlock outer = SPINLOCK_INIT_CLASS("ktest-outer", LOCK_CLASS_TEST_OUTER);
    struct spinlock inner = SPINLOCK_INIT_CLASS("ktest-inner", LOCK_CLASS_TEST_INNER);
    struct spinlock inner2 = SPINLOCK_INIT_CLASS("ktest-inner2", LOCK_CLASS_TEST_INNER);
    kcheck_plan_begin(&p);
    f = spin_lock_irqsave(&inner);
    spin_lock(&outer);
    spin_unlock(&outer);
    spin_lock(&inner2);
    spin_unlock(&inner2);
    spin_unlock_irqrestore(&inner, f);
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 2);
    EXPECT_VIOLATION(t, &p, "lock-order");
    KT_EXPECT(t, strcmp(p.last_kind, "lock-order") == 0);
    /* A try-lock never waits, so it may go against the order. */
    kcheck_plan_begin(&p);
    f = spin_lock_irqsave(&inner);
    KT_EXPECT(t, spin_trylock(&outer));
    KT_EXPECT_EQ(t, lockcheck_depth(), 2);
    spin_unlock(&outer);
    spin_unlock_irqrestore(&inner, f);
    KT_EXPECT_EQ(t, kcheck_plan_end(&p), 0);
}

KTEST(debug_lock_recursion_and_bad_release_are_caught)
{
    if (!CONFIG_DEBUG_LOCKS)
        KT_SKIP(t, "CONFIG_DEBUG_LOCKS is off");
    struct spinlock l = SPINLOCK_INIT_CLASS("ktest-self", LOCK_CLASS_TEST_OUTER);
    struct kcheck_plan p;
    kcheck_plan_begin(&p);
    uint64_t f = spin_lock_irqsave(&l);
    spin_lock(&l);                      /* would spin for ever: reported and refused */
    spin_unlock_irqrestore(&l, f);
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 1);
    EXPECT_VIOLATION(t, &p, "lock-recursion");
    KT_EXPECT(t, strstr(p.summary, "'ktest-self'"));
    KT_EXPECT(t, l.next == l.owner);    /* free again */

    kcheck_plan_begin(&p);
    spin_unlock(&l);                    /* not held: reported, and the lock is left alone */
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 1);
    EXPECT_VIOLATION(t, &p, "lock-release-unheld");
    KT_EXPECT(t, l.next == l.owner);
    KT_EXPECT(t, spin_trylock(&l));
    spin_unlock(&l);
    KT_EXPECT_EQ(t, lockcheck_depth(), 0);
}

KTEST(debug_lock_interrupt_rules_are_enforced)
{
    if (!CONFIG_DEBUG_LOCKS)
        KT_SKIP(t, "CONFIG_DEBUG_LOCKS is off");
    /* A lock interrupt handlers take, taken with interrupts on (they go off
     * at once: held with them on, the thread could move to another CPU). */
    struct spinlock irq = SPINLOCK_INIT_CLASS("ktest-irq", LOCK_CLASS_TEST_IRQ);
    struct kcheck_plan p;
    uint64_t f = arch_irq_save();
    kcheck_plan_begin(&p);
    arch_irq_restore(1ull << 9);
    spin_lock(&irq);
    arch_irq_save();
    spin_unlock(&irq);
    kcheck_plan_end(&p);
    arch_irq_restore(f);
    KT_EXPECT_EQ(t, p.hits, 1);
    EXPECT_VIOLATION(t, &p, "lock-irq-on");
    KT_EXPECT(t, strstr(p.summary, "'ktest-irq'") && strstr(p.summary, "taken with interrupts on"));


    /* An interrupt arriving while it is held (simulated entry). */
    kcheck_plan_begin(&p);
    f = spin_lock_irqsave(&irq);
    lockcheck_irq_enter();
    lockcheck_irq_exit();
    spin_unlock_irqrestore(&irq, f);
    kcheck_plan_end(&p);
    KT_EXPECT_EQ(t, p.hits, 1);
    EXPECT_VIOLATION(t, &p, "lock-irq-on");
    KT_EXPECT(t, strstr(p.summary, "interrupt arrived"));

    /* Learned: a class first taken with interrupts on, then in a handler. */
    struct spinlock learn = SPINLOCK_INIT_CLASS("ktest-learn", LOCK_CLASS_TEST_LEARN);
    kcheck_plan_begin(&p);
    f = arch_irq_save();
    arch_irq_restore(1ull << 9);
    spin_lock(&learn);                  /* fine so far: no handler takes it */
    arch_irq_save();
    spin_unlock(&learn);
    lockcheck_irq_enter();              /* as if in an interrupt handler */
    spin_lock(&learn);
    spin_unlock(&learn);
    lockcheck_irq_exit();
    arch_irq_restore(f);
    kcheck_plan_end(&p);
    KT_EXPECT(t, p.hits >= 1);
    EXPECT_VIOLATION(t, &p, "lock-irq-inversion");
    KT_EXPECT(t, strstr(p.summary, "'ktest-learn'"));
    KT_EXPECT_EQ(t, lockcheck_depth(), 0);
}
