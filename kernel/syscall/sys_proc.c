// SPDX-License-Identifier: MIT
/* sys_proc.c - proc_create, proc_destroy, thread_create, thread_destroy,
 * thread_yield, thread_block, thread_wake. */
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "arch/x86_64/trap.h"
#include "ipc/ipc.h"
#include "lib/klock.h"
#include "lib/string.h"
#include "proc/capglue.h"
#include "proc/process.h"
#include "sched/clock.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include <mos/errors.h>
#include <mos/proc.h>

static struct process *self(void)
{
    return thread_current()->proc;
}

long sys_proc_create(struct trap_frame *f)
{
    struct mos_proc_args a;
    int err = copy_from_user(&a, uptr(f->rdi), sizeof a);
    if (err)
        return err;
    a.name[sizeof a.name - 1] = '\0';
    if (a.quota_pages == 0 || a.quota_pages > (1ull << 40) / PAGE_SIZE)
        return reject(-MOS_EINVAL, "proc_create: quota %llu pages", (unsigned long long)a.quota_pages);
    if (a._reserved || a.max_prio > MOS_PRIO_USER_MAX)
        return reject(-MOS_EINVAL, "proc_create: max_prio %u", a.max_prio);
    uint64_t fl = klock();
    struct process *me = self(), *child;
    struct endpoint *exit_ep = NULL;
    uint64_t badge = 0;
    long r = 0;
    if (a.exit_ep) {
        struct cap_slot *s;
        r = cspace_lookup(&me->cs, a.exit_ep, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &s);
        if (r)
            goto out;
        exit_ep = s->cap.obj;
        badge = s->cap.badge;
    }
    if (a.max_prio > me->max_prio) {                /* no one raises a ceiling */
        r = -MOS_EPERM;
        goto out;
    }
    if (cspace_free_count(&me->cs) == 0) {
        r = -MOS_ENOSPC;
        goto out;
    }
    r = process_create(me, a.name, a.quota_pages * PAGE_SIZE, a.cspace_slots, exit_ep, badge, &child);
    if (r)
        goto out;
    child->max_prio = (uint8_t)(a.max_prio ? a.max_prio : me->max_prio);
    struct cap c = { .type = MOS_CAP_PROCESS, .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .obj = child };
    r = capglue_install_root(me, &c);
out:
    kunlock(fl);
    return r;
}

long sys_proc_destroy(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct process *p;
    long r = syscall_target((mos_handle_t)f->rdi, MOS_RIGHT_WRITE, &p);
    if (!r)
        process_kill(p, (mos_handle_t)f->rdi == MOS_SELF ? MOS_EXIT_CALLED : MOS_EXIT_KILLED, (int64_t)f->rsi, 0, 0);
    kunlock(fl);
    return r;                       /* the caller itself leaves on its way out if it was the target */
}

long sys_thread_create(struct trap_frame *f)
{
    uint64_t pc = f->r8;
    unsigned prio = (unsigned)(pc & 0xFF);
    int cpu = (int)((pc >> 8) & 0xFFFF) - 1;
    bool start = !(pc & MOS_THREAD_SUSPENDED);
    if ((pc & ~MOS_THREAD_SUSPENDED) >> 24)
        return reject(-MOS_EINVAL, "thread_create: prio/cpu 0x%llx", (unsigned long long)pc);
    uint64_t fl = klock();
    struct process *p, *me = self();
    struct thread *t;
    long r = syscall_target((mos_handle_t)f->rdi, MOS_RIGHT_WRITE, &p);
    if (!r && cspace_free_count(&me->cs) == 0)
        r = -MOS_ENOSPC;
    if (!r)
        r = uthread_create(p, f->rsi, f->rdx, f->r10, prio, cpu, f->r9, start, &t);
    if (!r) {
        thread_get(t);
        struct cap c = { .type = MOS_CAP_THREAD, .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .obj = t };
        r = capglue_install_root(me, &c);
    }
    kunlock(fl);
    return r;
}

long sys_thread_destroy(struct trap_frame *f)
{
    mos_handle_t h = (mos_handle_t)f->rdi;
    if (h == MOS_SELF) {
        thread_current()->killed = true;          /* leaves on the way out */
        return 0;
    }
    uint64_t fl = klock();
    struct cap_slot *s;
    long r = cspace_lookup(&self()->cs, h, MOS_CAP_THREAD, MOS_RIGHT_WRITE, &s);
    if (!r) {
        struct thread *t = s->cap.obj;
        if (t->proc && !t->exiting)
            uthread_kill(t);
    }
    kunlock(fl);
    return r;
}

long sys_thread_yield(struct trap_frame *f)
{
    (void)f;
    thread_yield();
    return 0;
}

long sys_thread_block(struct trap_frame *f)
{
    uint64_t timeout = f->rdi;
    struct thread *t = thread_current();
    uint64_t fl = klock();
    if (t->wake_pending_user) {
        t->wake_pending_user = false;
        kunlock(fl);
        return 0;
    }
    if (timeout == MOS_TIMEOUT_POLL) {
        kunlock(fl);
        return -MOS_ETIMEDOUT;
    }
    t->parked = true;
    sched_prepare_block();
    if (t->killed) {                              /* a kill may have come before the prepare */
        t->parked = false;
        kunlock(fl);
        return -MOS_EDEAD;
    }
    kunlock(fl);
    uint64_t deadline = 0;
    if (timeout != MOS_TIMEOUT_FOREVER) {
        uint64_t now = now_ns();
        deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
    }
    long r = sched_block(deadline);
    fl = klock();
    t->parked = false;
    if (t->wake_pending_user) {                   /* a wake raced with the time-out */
        t->wake_pending_user = false;
        r = 0;
    }
    kunlock(fl);
    return r;
}

long sys_thread_wake(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct cap_slot *s;
    long r = cspace_lookup(&self()->cs, (mos_handle_t)f->rdi, MOS_CAP_THREAD, MOS_RIGHT_WRITE, &s);
    if (!r) {
        struct thread *t = s->cap.obj;
        if (uthread_start_suspended(t))
            ;                                     /* created suspended: this starts it */
        else if (t->parked && sched_wake(t, 0))
            t->parked = false;
        else
            t->wake_pending_user = true;          /* the next thread_block returns at once */
    }
    kunlock(fl);
    return r;
}
