// SPDX-License-Identifier: MIT
/* uthread.c - user threads: creation inside a process (charged to its
 * quota), killing (a flag checked on every return to user mode, plus a
 * wake-up or an IPI so the thread gets there soon), and exit, which cancels
 * the thread's IPC state and, for the last thread, tears the process down.
 * Locking: big_lock for the process's thread list and IPC state. */
#include "proc/process.h"
#include "ipc/ipc.h"
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "debug/kcov.h"
#include "lib/assert.h"
#include "lib/klock.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include <mos/errors.h>
#include <mos/ipc.h>

#define THREAD_CHARGE (sizeof(struct thread) + KSTACK_SIZE + ARCH_EXT_SIZE)

void process_last_thread_gone(struct process *p);

int uthread_create(struct process *p, uint64_t entry, uint64_t stack, uint64_t arg, unsigned prio,
                   int cpu, uint64_t ipc_buf, bool start, struct thread **out)
{
    assert(klock_held());
    if (entry >= USER_TOP || entry < USER_BASE || stack > USER_TOP || prio < 1 || prio > SCHED_PRIO_MAX ||
        cpu >= (int)ncpus_online || cpu < -1)
        return -MOS_EINVAL;
    if (ipc_buf && (!IS_ALIGNED(ipc_buf, PAGE_SIZE) || ipc_buf < USER_BASE ||
                    ipc_buf > USER_TOP - MOS_IPC_BUFFER_PAGES * PAGE_SIZE))
        return -MOS_EINVAL;
    if (p->state != MOS_PROC_ALIVE || p->dying)
        return -MOS_EDEAD;
    if (prio > p->max_prio)                         /* the process's ceiling */
        return -MOS_EPERM;
    if (process_charge(p, THREAD_CHARGE))
        return -MOS_ENOMEM;
    struct thread *t = thread_alloc(p->name, prio, cpu);
    void *ext = t ? arch_ext_alloc() : NULL;
    if (!t || !ext) {
        if (t) {
            t->state = THREAD_DEAD;
            thread_put(t);
        }
        process_refund(p, THREAD_CHARGE);
        return -MOS_ENOMEM;
    }
    t->arch_ext = ext;
    arch_user_thread_init(t, entry, stack, arg);
    t->proc = p;
    t->space_root = p->vs.switch_root;
    t->iomap = &p->iomap;
    t->iomap_gen = &p->iomap_gen;
    t->ipc_buf = ipc_buf;
    kobj_get(&p->obj);
    list_push_back(&p->threads, &t->proc_node);
    p->nthreads++;
    if (start)
        thread_start(t);
    *out = t;
    return 0;
}

bool uthread_start_suspended(struct thread *t)
{
    assert(klock_held());
    if (t->state != THREAD_NEW || !t->proc)
        return false;
    thread_start(t);
    return true;
}

void uthread_kill(struct thread *t)
{
    t->killed = true;
    if (uthread_start_suspended(t))     /* never started: it leaves at its first run */
        return;
    sched_wake(t, -MOS_EDEAD);
    if (t->state == THREAD_RUNNING && t != thread_current())
        arch_send_resched(t->cpu);
}

void uthread_exit(void)
{
    struct thread *t = thread_current();
    struct process *p = t->proc;
    uint64_t fl = klock();
    assert(p && !t->exiting);
    t->exiting = true;
    ipc_thread_exit(t);
    kcov_thread_exit(t);            /* fuzzing build: its coverage set */
    list_remove(&t->proc_node);
    p->nthreads--;
    process_refund(p, THREAD_CHARGE);
    if (p->nthreads == 0)
        process_last_thread_gone(p);
    else if (!process_has_started_thread(p))
        process_note_orphan_candidate();    /* only suspended ones are left */
    t->proc = NULL;                 /* from here on it runs as a kernel thread */
    t->space_root = kernel_vm.root;
    /* Leave p's page tables now: the switch away from this thread may
     * skip the CR3 load (the next thread uses the kernel's tables too), and
     * the last thread of p frees them, possibly on another CPU. */
    if (arch_mmu_current() != kernel_vm.root)
        arch_mmu_switch(kernel_vm.root);
    t->iomap = NULL;
    t->iomap_gen = NULL;
    kobj_put(&p->obj);
    kobj_run_deferred();
    kunlock(fl);
    thread_exit();
}

void uthread_return_check(void)
{
    struct thread *t = thread_current();
    if (unlikely(t->killed) && t->proc)
        uthread_exit();
}
