// SPDX-License-Identifier: MIT
/* sched.c - the scheduler. Each CPU has a run queue (32 fixed priorities,
 * O(1) pick, round robin inside a level), a timer queue of deadlines, and an
 * idle thread. Tickless: the one-shot timer is armed only for the end of the
 * running thread's slice when another thread of its level is ready, or for
 * the earliest deadline in the timer queue; an idle CPU with no deadlines
 * halts with no timer armed.
 *
 * Locking: cpu->lock protects that CPU's queues, `current`, and the state,
 * `cpu` field and links of every thread whose `cpu` names it. It is taken
 * with interrupts off. A context switch happens with the lock held; the
 * thread switched to releases it (finish_switch), so a thread's context is
 * fully saved before anyone else can see it in a queue. Two CPU locks are
 * never both waited for: a second one is only ever try-locked (stealing,
 * wake-up migration), so there is no lock order to get wrong. Lock order
 * with other locks: object locks (IPC, caps) -> cpu->lock -> pmm/kheap.
 *
 * Blocking: sched_prepare_block() marks the thread BLOCKED while it still
 * runs; a sched_wake() that arrives before it has switched out just turns it
 * back to RUNNING, so no wake-up is lost. */
#include "sched/sched.h"
#include "sched/cpu.h"
#include "sched/clock.h"
#include "arch/arch.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include <mos/errors.h>

static struct thread idle_threads[MAX_CPUS];

static inline struct thread *rq_thread(struct list_node *n)
{
    return container_of(n, struct thread, rq_node);
}

static void resched_cpu(struct cpu *c)
{
    c->need_resched = true;
    if (c != this_cpu())
        arch_send_resched(c->id);
}

/* Program this CPU's timer per the tickless rule. c->lock held. */
static void rearm(struct cpu *c)
{
    uint64_t deadline = 0;
    struct tq_node *n = tq_peek(&c->tq);
    if (n)
        deadline = n->deadline;
    struct thread *cur = c->current;
    /* (A switch is pending when need_resched is set: it starts a new slice
     * and re-arms; arming the old, past slice end would only fire again.) */
    if (cur && !cur->is_idle && !c->need_resched && rq_has_level(&c->rq, cur->prio) &&
        (!deadline || c->slice_end_ns < deadline))
        deadline = c->slice_end_ns;
    if (deadline == c->timer_armed_ns)
        return;
    c->timer_armed_ns = deadline;
    if (deadline)
        arch_timer_arm(deadline);
    else
        arch_timer_disarm();
}

/* Make BLOCKED t runnable on c (t->cpu == c->id). c->lock held. */
static void wake_locked(struct cpu *c, struct thread *t, long reason)
{
    tq_remove(&c->tq, &t->timer);
    t->wake_reason = reason;
    if (c->current == t) {            /* has not switched out yet (cannot happen: defensive) */
        t->state = THREAD_RUNNING;
        return;
    }
    t->state = THREAD_READY;
    rq_push_back(&c->rq, &t->rq_node, t->prio);
    struct thread *cur = c->current;
    if (cur->is_idle || t->prio > cur->prio)
        resched_cpu(c);
    else if (t->prio == cur->prio) {
        if (c == this_cpu())
            rearm(c);                 /* a slice now has to end */
        else
            arch_send_resched(c->id);
    }
}

/* A READY, unpinned thread from another CPU's queue, or NULL. c->lock held. */
static struct thread *steal(struct cpu *c)
{
    c->steal_missed = false;
    for (unsigned k = 1; k < ncpus_online; k++) {
        struct cpu *o = &cpus[(c->id + k) % ncpus_online];
        if (!o->online || o->rq.count == 0)
            continue;
        if (!spin_trylock(&o->lock)) {
            c->steal_missed = true;         /* the idle loop looks again */
            continue;
        }
        struct thread *found = NULL;
        for (int p = SCHED_PRIO_MAX; p > 0 && !found; p--) {
            list_for_each(pos, &o->rq.queue[p]) {
                struct thread *t = rq_thread(pos);
                if (t->pinned < 0) {
                    found = t;
                    break;
                }
            }
        }
        if (found) {
            rq_remove(&o->rq, &found->rq_node, found->prio);
            found->cpu = (uint16_t)c->id;
        }
        spin_unlock(&o->lock);
        if (found)
            return found;
    }
    return NULL;
}

static struct thread *pick_next(struct cpu *c)
{
    unsigned prio;
    struct list_node *n = rq_pop_highest(&c->rq, &prio);
    if (n)
        return rq_thread(n);
    struct thread *t = steal(c);
    return t ? t : c->idle;
}

/* Runs on the stack of the thread switched to, lock still held. */
void sched_finish_switch(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->switch_prev;
    c->switch_prev = NULL;
    if (prev && prev->state == THREAD_DEAD)
        list_push_back(&c->reap, &prev->reap_node);
    rearm(c);
    spin_unlock(&c->lock);
}

/* Give up the CPU. Entered with this CPU's lock held and interrupts off;
 * returns (possibly on another CPU) with the lock released, interrupts
 * still off. `front`: a preempted thread keeps its place in its level. */
static void schedule_locked(bool front)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    c->need_resched = false;
    if (prev->state == THREAD_RUNNING && !prev->is_idle) {
        prev->state = THREAD_READY;
        if (front)
            rq_push_front(&c->rq, &prev->rq_node, prev->prio);
        else
            rq_push_back(&c->rq, &prev->rq_node, prev->prio);
    }
    struct thread *next = pick_next(c);
    if (next != prev) {
        uint64_t now = now_ns();
        prev->runtime_ns += now - prev->last_run_ns;
        if (prev->is_idle)
            c->stat_idle_ns += now - prev->last_run_ns;
        next->last_run_ns = now;
        next->switches++;
        next->state = THREAD_RUNNING;
        next->cpu = (uint16_t)c->id;
        c->slice_end_ns = now + SCHED_SLICE_NS;
        c->current = next;
        c->switch_prev = prev;
        c->stat_switches++;
        arch_thread_switch(prev, next);
        if (next->frame_resume)             /* left by the IPC fast path: no kernel context */
            arch_switch_resume(&prev->ksp, next);
        else
            arch_switch(&prev->ksp, next->ksp);
    } else {
        prev->state = THREAD_RUNNING;
    }
    sched_finish_switch();
}

/* First code of every new thread (arch_thread_trampoline jumps here). */
__noreturn void sched_thread_entry(struct thread *t);
void sched_thread_entry(struct thread *t)
{
    sched_finish_switch();
    arch_irq_restore(1ull << 9);
    t->entry(t->arg);
    thread_exit();
}

/* First code of a new user thread (arch_user_trampoline): returns the
 * trap frame to leave through. */
void *sched_user_thread_entry(struct thread *t);
void *sched_user_thread_entry(struct thread *t)
{
    sched_finish_switch();
    uthread_return_check();             /* killed before it ever ran: never enters user mode */
    return (void *)(t->kstack.top - ARCH_USER_FRAME_SIZE);
}

void sched_init_cpu(struct cpu *c, struct kstack *stack)
{
    struct thread *idle = &idle_threads[c->id];
    idle->is_idle = true;
    idle->state = THREAD_RUNNING;
    idle->prio = SCHED_PRIO_IDLE;
    idle->pinned = (int16_t)c->id;
    idle->cpu = (uint16_t)c->id;
    idle->refs = 1;
    idle->kstack = *stack;
    idle->space_root = kernel_vm.root;
    idle->last_run_ns = now_ns();
    ksnprintf(idle->name, sizeof idle->name, "idle/%u", c->id);
    tq_node_init(&idle->timer);
    spin_init(&c->lock, "cpu");
    rq_init(&c->rq);
    tq_init(&c->tq);
    list_init(&c->reap);
    c->idle = idle;
    c->current = idle;
}

void sched_idle_loop(void)
{
    struct cpu *c = this_cpu();
    unsigned missed = 0;                /* steal attempts that found a busy lock */
    for (;;) {
        thread_reap();
        arch_irq_save();
        spin_lock(&c->lock);
        schedule_locked(false);         /* runs what is ready here, or steals */
        /* Back on the idle thread: nothing to run. An interrupt that makes
         * work after this point is held pending until arch_idle's sti;hlt,
         * which it then ends, so no wake-up is missed. */
        if (c->need_resched || !list_empty(&c->reap) || (c->steal_missed && ++missed < 64)) {
            arch_irq_restore(1ull << 9);
            continue;
        }
        missed = 0;
        arch_idle();
    }
}

struct thread *thread_current(void)
{
    return this_cpu()->current;
}

void thread_yield(void)
{
    uint64_t f = arch_irq_save();
    spin_lock(&this_cpu()->lock);
    schedule_locked(false);
    arch_irq_restore(f);
}

void thread_sleep_ns(uint64_t ns)
{
    uint64_t deadline = now_ns() + ns;
    /* A stray sched_wake may end a block early: sleep again until due. */
    while (now_ns() < deadline) {
        uint64_t f = arch_irq_save();
        struct cpu *c = this_cpu();
        spin_lock(&c->lock);
        struct thread *t = c->current;
        t->state = THREAD_BLOCKED;
        tq_insert(&c->tq, &t->timer, deadline);
        schedule_locked(false);
        arch_irq_restore(f);
    }
}

void sched_prepare_block(void)
{
    uint64_t f = arch_irq_save();
    struct cpu *c = this_cpu();
    spin_lock(&c->lock);
    struct thread *t = c->current;
    t->wake_reason = 0;
    t->wake_pending = false;
    t->blocking = true;             /* stays RUNNING: preemption here must not lose it */
    spin_unlock(&c->lock);
    arch_irq_restore(f);
}

long sched_block(uint64_t deadline_ns)
{
    uint64_t f = arch_irq_save();
    struct cpu *c = this_cpu();
    spin_lock(&c->lock);
    struct thread *t = c->current;
    t->blocking = false;
    if (t->wake_pending) {                      /* woken before we got here */
        t->wake_pending = false;
        spin_unlock(&c->lock);
        arch_irq_restore(f);
        return t->wake_reason;
    }
    t->state = THREAD_BLOCKED;
    if (deadline_ns)
        tq_insert(&c->tq, &t->timer, deadline_ns);
    schedule_locked(false);
    arch_irq_restore(f);
    return t->wake_reason;
}

/* If t waits behind a busy CPU and another CPU idles, move it there.
 * c->lock held; returns the CPU that now owns t (locked), c otherwise. */
static struct cpu *place_on_idle(struct cpu *c, struct thread *t, struct cpu **kick)
{
    if (t->pinned >= 0 || c->current == t || c->current->is_idle || t->prio > c->current->prio)
        return c;
    for (unsigned k = 1; k < ncpus_online; k++) {
        struct cpu *o = &cpus[(c->id + k) % ncpus_online];
        if (!o->online || !o->current->is_idle || o->rq.count)
            continue;
        if (!spin_trylock(&o->lock)) {
            if (!*kick)
                *kick = o;                  /* idle but busy for a moment: it steals t */
            continue;
        }
        if (o->current->is_idle && o->rq.count == 0) {
            tq_remove(&c->tq, &t->timer);
            t->cpu = (uint16_t)o->id;
            spin_unlock(&c->lock);
            return o;
        }
        spin_unlock(&o->lock);
    }
    return c;
}

bool sched_wake(struct thread *t, long reason)
{
    uint64_t f = arch_irq_save();
    struct cpu *c;
    for (;;) {
        c = &cpus[__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE)];
        spin_lock(&c->lock);
        if (t->cpu == c->id)
            break;
        spin_unlock(&c->lock);
    }
    if (t->state != THREAD_BLOCKED) {
        bool caught = t->blocking && !t->wake_pending;
        if (caught) {                           /* between prepare and block: remember it */
            t->wake_pending = true;
            t->wake_reason = reason;
        }
        spin_unlock(&c->lock);
        arch_irq_restore(f);
        return caught;
    }
    struct cpu *kick = NULL;
    c = place_on_idle(c, t, &kick);
    wake_locked(c, t, reason);
    spin_unlock(&c->lock);
    /* t waits behind a busy thread while `kick` looked idle: wake it so its
     * idle loop steals t rather than leaving it queued for a whole slice. */
    if (kick && kick != c)
        arch_send_resched(kick->id);
    /* Preempt at once when we woke something more urgent here and the
     * caller is preemptible (not an interrupt handler). */
    if ((f & (1ull << 9)) && this_cpu()->need_resched) {
        spin_lock(&this_cpu()->lock);
        schedule_locked(true);
    }
    arch_irq_restore(f);
    return true;
}

void thread_start(struct thread *t)
{
    assert(t->state == THREAD_NEW);
    unsigned target = 0;
    if (t->pinned >= 0) {
        target = (unsigned)t->pinned;
    } else {
        unsigned best = ~0u;
        for (unsigned i = 0; i < ncpus_online; i++) {
            unsigned load = sched_load(i);
            if (cpus[i].online && load < best) {
                best = load;
                target = i;
            }
        }
    }
    uint64_t f = arch_irq_save();
    struct cpu *c = &cpus[target];
    spin_lock(&c->lock);
    t->cpu = (uint16_t)target;
    t->state = THREAD_BLOCKED;                /* enters through the wake path */
    wake_locked(c, t, 0);
    spin_unlock(&c->lock);
    if ((f & (1ull << 9)) && this_cpu()->need_resched) {
        spin_lock(&this_cpu()->lock);
        schedule_locked(true);
    }
    arch_irq_restore(f);
}

__noreturn void sched_exit_current(void);
void sched_exit_current(void)
{
    arch_irq_save();
    struct cpu *c = this_cpu();
    spin_lock(&c->lock);
    c->current->state = THREAD_DEAD;
    schedule_locked(false);
    panic("sched: a dead thread was scheduled again");
}

void sched_timer_interrupt(void)
{
    struct cpu *c = this_cpu();
    c->stat_timer_irqs++;
    spin_lock(&c->lock);
    c->timer_armed_ns = 0;                    /* one-shot: it has fired */
    uint64_t now = now_ns();
    struct tq_node *n;
    bool woke = false;
    while ((n = tq_pop_expired(&c->tq, now)) != NULL) {
        struct thread *t = container_of(n, struct thread, timer);
        if (t->state == THREAD_BLOCKED)
            wake_locked(c, t, -MOS_ETIMEDOUT);
        woke = true;
    }
    struct thread *cur = c->current;
    bool slice_over = !cur->is_idle && now >= c->slice_end_ns && rq_has_level(&c->rq, cur->prio);
    if (slice_over)
        c->need_resched = true;
    else if (!woke)
        c->stat_timer_early++;
    rearm(c);
    spin_unlock(&c->lock);
}

void sched_resched_interrupt(void)
{
    struct cpu *c = this_cpu();
    c->stat_ipis++;
    spin_lock(&c->lock);
    struct thread *cur = c->current;
    int top = rq_highest(&c->rq);
    if (top > (int)cur->prio || (cur->is_idle && top >= 0))
        c->need_resched = true;
    rearm(c);
    spin_unlock(&c->lock);
}

void sched_irq_exit(void)
{
    struct cpu *c = this_cpu();
    if (!c->need_resched)
        return;
    spin_lock(&c->lock);
    /* A thread whose slice ran out goes to the back; a preempted one keeps
     * its place. */
    bool expired = now_ns() >= c->slice_end_ns;
    schedule_locked(!expired);
}

void sched_get_stats(unsigned cpu, struct sched_cpu_stats *out)
{
    struct cpu *c = &cpus[cpu];
    out->timer_irqs = c->stat_timer_irqs;
    out->switches = c->stat_switches;
    out->idle_ns = c->stat_idle_ns;
    out->ready = c->rq.count;
    out->current_prio = c->current ? c->current->prio : 0;
}

unsigned sched_load(unsigned cpu)
{
    struct cpu *c = &cpus[cpu];
    struct thread *cur = c->current;
    return c->rq.count + (cur && !cur->is_idle ? 1 : 0);
}
