// SPDX-License-Identifier: MIT
/* ktest_debug_panic.c - the debug checkers' real verdict: a failure nobody
 * planned panics. The other debug ktests arm a plan (lib/kcheck.h) so the
 * kernel survives their failures; this one commits one bug of the kind
 * named by kcheck_panic=<kind> on the command line with no plan armed, and
 * the kernel must print the checker's report, then "PANIC on CPU n: ...",
 * and leave QEMU with the failure status. Only the debug-panic-<kind>
 * scenarios (tests/qemu/scenarios_debug.py, images built by mk/debug.mk
 * with "test=debug_panic kcheck_panic=<kind>") select it; elsewhere it
 * skips. If the bug goes unnoticed the test returns and FAILs, and the
 * scenario, which expects the report and the PANIC line, fails too.
 * Built only into the debug kernel (kernel/test/debug.mk). */
#include "test/ktest.h"
#include "boot/boot_info.h"
#include "lib/cmdline.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/kheap.h"
#include "config.h"


static volatile int v_int_max = 0x7fffffff, v_one = 1;
static volatile long sink;

/* Signed overflow: UBSan's handler reports it, then panics. */
static __attribute__((noinline)) void bug_ubsan(void)
{
    sink = v_int_max + v_one;
}

/* One byte past a 24-byte kmalloc object: found by kfree's red zone check. */
static __attribute__((noinline)) void bug_heap_overflow(void)
{
    uint8_t *volatile p = kmalloc(24);
    if (!p)
        return;
    p[24] = 0xff;
    kfree(p);
    __asm__ volatile("" ::: "memory");  /* no tail call: the backtrace shows this function */
}

/* A write into a freed object: found when its slot is handed out again.
 * 1000-byte objects: three per slab page, so after freeing the middle one
 * it is the slab's only free slot and the next allocation takes it. */
static __attribute__((noinline)) void bug_use_after_free(void)
{
    struct kcache *c = kcache_create("panic-uaf", 1000, 8);
    uint8_t *a = c ? kcache_alloc(c) : NULL;
    uint8_t *volatile b = c ? kcache_alloc(c) : NULL;
    uint8_t *d = c ? kcache_alloc(c) : NULL;
    if (!a || !b || !d)
        return;
    kcache_free(c, b);
    b[500] = 0x31;
    sink = (long)(uintptr_t)kcache_alloc(c);
}

/* A vm_space lock taken while a pmm lock is held: the order is the other
 * way (lib/lockcheck.h). */
static __attribute__((noinline)) void bug_lock_order(void)
{
    static struct spinlock pmm = SPINLOCK_INIT_CLASS("panic-pmm", LOCK_CLASS_PMM);
    static struct spinlock vs = SPINLOCK_INIT_CLASS("panic-vm", LOCK_CLASS_VM_SPACE);
    uint64_t f = spin_lock_irqsave(&pmm);
    spin_lock(&vs);
    spin_unlock(&vs);
    spin_unlock_irqrestore(&pmm, f);
}

static const struct {
    const char *kind;
    void (*commit)(void);
} bugs[] = {
    { "ubsan", bug_ubsan },
    { "heap-overflow", bug_heap_overflow },
    { "use-after-free", bug_use_after_free },
    { "lock-order", bug_lock_order },
};

KTEST(debug_panic_on_an_unplanned_failure)
{
    char kind[32];
    if (!cmdline_get(boot_info.cmdline, "kcheck_panic", kind, sizeof kind))
        KT_SKIP(t, "needs kcheck_panic=<kind> (the debug-panic-<kind> scenarios)");
    for (unsigned i = 0; i < ARRAY_SIZE(bugs); i++) {
        if (strcmp(kind, bugs[i].kind) == 0) {
            kprintf("debug_panic: committing a %s bug with no plan armed: the kernel must panic\n",
                    kind);
            bugs[i].commit();
            ktest_fail(t, __FILE__, __LINE__, "the %s bug went unnoticed: no panic", kind);
            return;
        }
    }
    ktest_fail(t, __FILE__, __LINE__, "unknown kcheck_panic=%s", kind);
}
