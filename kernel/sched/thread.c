// SPDX-License-Identifier: MIT
/* thread.c - thread objects: creation (a kernel stack with a guard page, a
 * first frame that enters sched_thread_entry), reference counting, exit and
 * reaping. A thread that exits cannot free the stack it runs on: the next
 * thread on its CPU puts it on that CPU's reap list, and thread_reap()
 * (idle loop, thread_create) frees it with interrupts enabled, because
 * unmapping a stack may wait for TLB shoot-downs on other CPUs. */
#include "sched/thread.h"
#include "sched/sched.h"
#include "sched/cpu.h"
#include "arch/arch.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kheap.h"
#include "mm/vmm.h"
#include "cap/kobj.h"
#include "lib/kstats.h"
#include <mos/caps.h>

static struct kcache *thread_cache;
static struct spinlock thread_list_lock = SPINLOCK_INIT("threads");
static struct list_node thread_list = LIST_INIT(thread_list);   /* thread_list_lock */
static uint64_t threads_alive;                                  /* thread_list_lock */
static uint64_t next_tid = 1;                                   /* atomic */

__noreturn void sched_exit_current(void);

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, unsigned prio, int cpu)
{
    struct thread *t = thread_alloc(name, prio, cpu);
    if (!t)
        return NULL;
    t->entry = fn;
    t->arg = arg;
    arch_thread_init(t);
    return t;
}

struct thread *thread_alloc(const char *name, unsigned prio, int cpu)
{
    if (prio < 1 || prio > SCHED_PRIO_MAX || cpu < -1 || cpu >= (int)ncpus_online)
        return NULL;
    thread_reap();
    if (!thread_cache) {
        thread_cache = kcache_create("thread", sizeof(struct thread), 64);
        if (!thread_cache)
            return NULL;
    }
    struct thread *t = kcache_alloc(thread_cache);
    if (!t)
        return NULL;
    if (!kstack_alloc(&t->kstack)) {
        kcache_free(thread_cache, t);
        return NULL;
    }
    t->state = THREAD_NEW;
    t->prio = (uint8_t)prio;
    t->pinned = (int16_t)cpu;
    t->cpu = cpu >= 0 ? (uint16_t)cpu : 0;
    t->refs = 1;
    t->space_root = kernel_vm.root;
    t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    t->obj_id = kobj_new_id();
    strncpy(t->name, name, sizeof t->name - 1);
    tq_node_init(&t->timer);
    list_node_init(&t->rq_node);
    list_node_init(&t->ipc_node);
    list_node_init(&t->proc_node);
    uint64_t f = spin_lock_irqsave(&thread_list_lock);
    list_push_back(&thread_list, &t->all_node);
    threads_alive++;
    KSTAT_SET(objects[MOS_CAP_THREAD], threads_alive);
    spin_unlock_irqrestore(&thread_list_lock, f);
    return t;
}

void thread_get(struct thread *t)
{
    __atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
}

static void thread_free(struct thread *t)
{
    assert(t->state == THREAD_DEAD || t->state == THREAD_NEW);
    kstack_free(&t->kstack);
    if (t->arch_ext)
        arch_ext_free(t->arch_ext);
    uint64_t f = spin_lock_irqsave(&thread_list_lock);
    list_remove(&t->all_node);
    threads_alive--;                    /* last: a count of 0 means all is freed */
    KSTAT_SET(objects[MOS_CAP_THREAD], threads_alive);
    spin_unlock_irqrestore(&thread_list_lock, f);
    kcache_free(thread_cache, t);
}

void thread_put(struct thread *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
        thread_free(t);
}

void thread_exit(void)
{
    thread_reap();          /* a CPU that never idles still frees its dead */
    sched_exit_current();
}

void thread_reap(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        uint64_t f = spin_lock_irqsave(&c->lock);
        struct list_node *n = list_pop_front(&c->reap);
        spin_unlock_irqrestore(&c->lock, f);
        if (!n)
            return;
        thread_put(container_of(n, struct thread, reap_node));
    }
}

uint64_t thread_count(void)
{
    return threads_alive;
}

void thread_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx)
{
    uint64_t f = spin_lock_irqsave(&thread_list_lock);
    list_for_each(pos, &thread_list)
        fn(container_of(pos, struct thread, all_node), ctx);
    spin_unlock_irqrestore(&thread_list_lock, f);
}

void thread_dump(void)
{
    static const char *const names[] = { "new", "ready", "running", "blocked", "dead" };
    uint64_t f = spin_lock_irqsave(&thread_list_lock);
    list_for_each(pos, &thread_list) {
        struct thread *t = container_of(pos, struct thread, all_node);
        kprintf("  thread %llu %-16s %-8s cpu %u prio %u refs %u\n", (unsigned long long)t->tid,
                t->name, names[t->state], t->cpu, t->prio, t->refs);
    }
    spin_unlock_irqrestore(&thread_list_lock, f);
}
