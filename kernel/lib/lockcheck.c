// SPDX-License-Identifier: MIT
/* lockcheck.c - the lock-order checker of the debug kernel (lockcheck.h).
 * Per CPU: the locks it holds, in acquisition order, with where each was
 * taken, and how deep it is in interrupt handlers. Spinlocks are held with
 * interrupts off, so the thread holding a lock cannot move to another CPU;
 * the one lock that crosses a context switch (cpu->lock, released by the
 * thread switched to) stays on its CPU, so per-CPU lists are exact.
 * Releases may come in any order (the fast path drops big_lock before its
 * CPU's lock). Per class: whether interrupt handlers take it (declared, or
 * learned) and where it was last taken with interrupts on.
 * Locking: each CPU touches only its own list, with interrupts off or from
 * the lock path itself; the class flags are monotonic bytes and words. */
#include "lib/lockcheck.h"
#include "lib/spinlock.h"
#include "lib/kcheck.h"
#include "lib/kprintf.h"
#include "lib/ksyms.h"
#include "lib/string.h"
#include "arch/arch.h"
#include "sched/cpu.h"

#define LC_MAX_HELD 16
#define LC_CPUS (CONFIG_DEBUG_LOCKS ? MAX_CPUS : 1)   /* no tables in the normal build */

struct lc_class {
    const char *name;
    uint8_t rank;
    bool irq;                    /* declared: interrupt handlers take it */
};

static const struct lc_class classes[LOCK_CLASS_COUNT] = {
    [LOCK_CLASS_NONE] = { "(none)", 0, false },
#define LOCK_CLASS_ROW(id, n, r, i) [LOCK_CLASS_##id] = { n, r, i },
    LOCK_CLASSES(LOCK_CLASS_ROW)
#undef LOCK_CLASS_ROW
};

struct lc_held {
    struct spinlock *lock;
    uintptr_t where;             /* return address into the code that took it */
    bool trylock;
};

struct lc_cpu {
    unsigned depth;              /* entries used in held[] */
    unsigned irq_depth;          /* nesting of interrupt handlers */
    struct lc_held held[LC_MAX_HELD];
};

static struct lc_cpu lc_cpus[LC_CPUS];
static bool class_irq_learned[LOCK_CLASS_COUNT];     /* taken inside an interrupt handler */
static uintptr_t class_irqs_on_at[LOCK_CLASS_COUNT]; /* last taken with interrupts on, 0 = never */
static volatile bool lc_off;                         /* a real failure is being reported */

static struct lc_cpu *my_cpu(void)
{
    unsigned id = arch_cpu_id();
    return &lc_cpus[id < LC_CPUS ? id : 0];
}

static bool irqs_enabled(void)
{
    uint64_t f = arch_irq_save();
    arch_irq_restore(f);
    return f != 0;
}

enum lock_class lockcheck_class_of(struct spinlock *l)
{
    if (l->lclass != LOCK_CLASS_NONE && l->lclass < LOCK_CLASS_COUNT)
        return (enum lock_class)l->lclass;
    enum lock_class c = LOCK_CLASS_UNRANKED;
    for (unsigned i = 1; i < LOCK_CLASS_COUNT; i++) {
        if (l->name && strcmp(l->name, classes[i].name) == 0) {
            c = (enum lock_class)i;
            break;
        }
    }
    l->lclass = (uint8_t)c;      /* benign race: every CPU computes the same value */
    return c;
}

unsigned lockcheck_rank(enum lock_class c)
{
    return c < LOCK_CLASS_COUNT ? classes[c].rank : 0;
}

const char *lockcheck_class_name(enum lock_class c)
{
    return c < LOCK_CLASS_COUNT ? classes[c].name : "?";
}

static bool class_is_irq(enum lock_class c)
{
    return classes[c].irq || __atomic_load_n(&class_irq_learned[c], __ATOMIC_RELAXED);
}

unsigned lockcheck_depth(void)
{
    return my_cpu()->depth;
}

/* "'name' (class c, rank r, taken at fn+0x12)" */
static void describe(char *buf, size_t len, struct spinlock *l, uintptr_t where)
{
    char sym[64];
    enum lock_class c = lockcheck_class_of(l);
    ksym_format(where, sym, sizeof sym);
    ksnprintf(buf, len, "'%s' (class %s, rank %u, at %s)", l->name ? l->name : "?",
              classes[c].name, classes[c].rank, sym);
}

static void dump_held(struct lc_cpu *c)
{
    char d[128];
    kprintf("  locks held by CPU %u (oldest first):%s\n", arch_cpu_id(), c->depth ? "" : " none");
    for (unsigned i = 0; i < c->depth; i++) {
        describe(d, sizeof d, c->held[i].lock, c->held[i].where);
        kprintf("    %s%s\n", d, c->held[i].trylock ? " [try-lock]" : "");
    }
}

void lockcheck_dump_held(void)
{
    dump_held(my_cpu());
}

/* Report a violation: headline with both locks' names, the held list, then
 * the verdict. Returns only when a test planned it. */
static void violation(const char *kind, const char *fmt, ...) __printf(2, 3);
static void violation(const char *kind, const char *fmt, ...)
{
    char what[320], summary[360];
    struct kcheck_plan *plan = kcheck_begin();
    if (!plan)
        lc_off = true;           /* the report itself takes locks: stop checking */
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    kprintf("LOCKCHECK: %s on CPU %u: %s\n", kind, arch_cpu_id(), what);
    dump_held(my_cpu());
    ksnprintf(summary, sizeof summary, "LOCKCHECK: %s: %s", kind, what);   /* the panic's line */
    kcheck_end(plan, kind, summary);
}

static void push(struct lc_cpu *c, struct spinlock *l, uintptr_t where, bool trylock)
{
    if (c->depth == LC_MAX_HELD) {
        char d[128];
        describe(d, sizeof d, l, where);
        violation("lock-too-deep", "taking %s with %d locks already held", d, LC_MAX_HELD);
        return;                  /* planned: not tracked */
    }
    c->held[c->depth++] = (struct lc_held){ .lock = l, .where = where, .trylock = trylock };
}

/* Interrupt-state rules for taking a lock of class cls. */
static void check_irq_rules(struct lc_cpu *c, struct spinlock *l, enum lock_class cls, uintptr_t where)
{
    char d[128];
    bool on = irqs_enabled();
    if (c->irq_depth && !class_is_irq(cls)) {
        __atomic_store_n(&class_irq_learned[cls], true, __ATOMIC_RELAXED);
        uintptr_t at = __atomic_load_n(&class_irqs_on_at[cls], __ATOMIC_RELAXED);
        if (at) {
            char sym[64];
            ksym_format(at, sym, sizeof sym);
            describe(d, sizeof d, l, where);
            violation("lock-irq-inversion", "%s taken in an interrupt handler, but elsewhere "
                      "(at %s) with interrupts on", d, sym);
        }
    }
    if (on) {
        __atomic_store_n(&class_irqs_on_at[cls], where, __ATOMIC_RELAXED);
        if (class_is_irq(cls)) {
            describe(d, sizeof d, l, where);
            violation("lock-irq-on", "%s is taken by interrupt handlers but was taken with "
                      "interrupts on", d);
        }
    }
}

bool lockcheck_acquire(struct spinlock *l)
{
    if (lc_off)
        return true;
    uintptr_t where = (uintptr_t)__builtin_return_address(0);
    struct lc_cpu *c = my_cpu();
    enum lock_class cls = lockcheck_class_of(l);
    char a[128], b[128];

    for (unsigned i = 0; i < c->depth; i++) {
        if (c->held[i].lock == l) {
            describe(a, sizeof a, l, where);
            describe(b, sizeof b, l, c->held[i].where);
            violation("lock-recursion", "taking %s, which this CPU already holds: %s", a, b);
            return false;        /* planned: taking it would spin for ever */
        }
    }
    /* The held lock of highest rank decides; report that one. */
    struct lc_held *worst = NULL;
    for (unsigned i = 0; i < c->depth; i++) {
        enum lock_class hc = lockcheck_class_of(c->held[i].lock);
        if (classes[hc].rank >= classes[cls].rank &&
            (!worst || classes[hc].rank > classes[lockcheck_class_of(worst->lock)].rank))
            worst = &c->held[i];
    }
    if (worst) {
        describe(a, sizeof a, l, where);
        describe(b, sizeof b, worst->lock, worst->where);
        violation("lock-order", "taking %s while holding %s", a, b);
    }
    check_irq_rules(c, l, cls, where);
    push(c, l, where, false);
    return true;
}

void lockcheck_trylocked(struct spinlock *l, uintptr_t where)
{
    if (lc_off)
        return;
    struct lc_cpu *c = my_cpu();
    check_irq_rules(c, l, lockcheck_class_of(l), where);
    push(c, l, where, true);
}

bool lockcheck_release(struct spinlock *l)
{
    if (lc_off)
        return true;
    uintptr_t where = (uintptr_t)__builtin_return_address(0);
    struct lc_cpu *c = my_cpu();
    char a[128];
    unsigned i = c->depth;
    while (i > 0 && c->held[i - 1].lock != l)
        i--;
    if (i == 0) {
        describe(a, sizeof a, l, where);
        violation("lock-release-unheld", "releasing %s, which this CPU does not hold "
                  "(holder: CPU %d)", a, l->cpu);
        return false;            /* planned: leave the lock alone */
    }
    enum lock_class cls = lockcheck_class_of(l);
    if (class_is_irq(cls) && irqs_enabled()) {
        describe(a, sizeof a, l, where);
        violation("lock-irq-on", "%s is taken by interrupt handlers but was held with "
                  "interrupts on until its release", a);
    }
    memmove(&c->held[i - 1], &c->held[i], (c->depth - i) * sizeof c->held[0]);
    c->depth--;
    return true;
}

void lockcheck_irq_enter_slow(void)
{
    if (lc_off)
        return;
    struct lc_cpu *c = my_cpu();
    c->irq_depth++;
    for (unsigned i = 0; i < c->depth; i++) {
        struct spinlock *l = c->held[i].lock;
        if (class_is_irq(lockcheck_class_of(l))) {
            char a[128];
            describe(a, sizeof a, l, c->held[i].where);
            violation("lock-irq-on", "an interrupt arrived while this CPU holds %s, which "
                      "interrupt handlers take", a);
            break;
        }
    }
}

void lockcheck_irq_exit_slow(void)
{
    struct lc_cpu *c = my_cpu();
    if (c->irq_depth)
        c->irq_depth--;
}
