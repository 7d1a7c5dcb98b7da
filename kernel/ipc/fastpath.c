// SPDX-License-Identifier: MIT
/* fastpath.c - the IPC fast path: ipc_call and ipc_reply_recv with a
 * register-only message (no payload, no capabilities, no flags) when the
 * partner is already waiting on this CPU and no thread ready here is as
 * urgent as the partner (so no time slice has to start).
 * It does what the general path (ipc.c) would do, minus the scheduler
 * queues: the partner's saved registers receive the message, the reply
 * right is set up, the current thread blocks, and the CPU leaves straight
 * to user mode on the partner's saved state (arch_switch_to_frame). A
 * thread left this way is resumed either by the fast path of its partner
 * (it then returns to user mode directly) or by the general path's
 * sched_wake (the scheduler then enters it through ipc_frame_resume, which
 * finishes like block_on does): it keeps no kernel context at all. Anything unusual declines, and the general path
 * handles the call completely: the fast path only ever accelerates.
 * Locking: big_lock, then this CPU's scheduler lock, as in ipc.c/sched.c. */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "arch/arch.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/switch_inline.h"
#include "config.h"
#include "lib/klock.h"
#include "cap/cap.h"
#include "proc/process.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>

__noreturn void arch_switch_to_frame(void *frame);
void fastpath_switched(void);
void *ipc_frame_resume(struct thread *t);

static inline struct trap_frame *frame_of(struct thread *t)
{
    return (struct trap_frame *)(t->kstack.top - sizeof(struct trap_frame));
}

/* Called by arch_switch_to_frame on the partner's stack: the switch is
 * complete, so the CPU's scheduler lock can go. */
void fastpath_switched(void)
{
    spin_unlock(&this_cpu()->lock);
}

/* Switch from `from` (now blocked: it will resume from its frame) to `to`
 * (blocked in IPC, now running) on CPU c, with c->lock and big_lock held;
 * both are released on the way to user mode. */
static __noreturn void switch_to_partner(struct cpu *c, struct thread *from, struct thread *to)
{
    from->state = THREAD_BLOCKED;
    from->frame_resume = true;
    to->state = THREAD_RUNNING;
    to->frame_resume = false;
    to->wake_pending = false;
    to->blocking = false;
    c->current = to;
    arch_thread_switch_inline(from, to);
    spin_unlock(&big_lock);             /* interrupts stay off (system call) */
    arch_switch_to_frame(frame_of(to));
}

/* A thread that the fast path left blocked is being resumed by the general
 * path (sched_wake, then schedule): finish the switch, compute the result of
 * its IPC like block_on() does, and let it leave to user mode. Runs on the
 * top of its kernel stack (arch_switch_resume); interrupts off. */
void *ipc_frame_resume(struct thread *t)
{
    t->frame_resume = false;
    sched_finish_switch();
    struct trap_frame *f = frame_of(t);
    spin_lock(&big_lock);
    long r = t->ipc_result;
    if (t->ipc_ep) {                        /* still queued: killed (or cancelled) */
        ipc_dequeue(t);
        r = t->wake_reason ? t->wake_reason : -MOS_EDEAD;
    } else if (t->ipc_state == IPC_WAIT_REPLY) {
        if (t->replier)
            t->replier->reply_to = NULL;
        t->replier = NULL;
        t->ipc_state = IPC_NONE;
        r = t->wake_reason ? t->wake_reason : -MOS_EDEAD;
    }
    spin_unlock(&big_lock);
    f->rax = (uint64_t)r;
    syscall_exit_checks(f);
    return f;
}

/* switch_to_partner leaves through SYSRET without syscall_exit_checks: a
 * partner whose return address is not canonical (its syscall instruction
 * ended the user half) must take the general path, which kills it there
 * instead of faulting in ring 0 (CVE-2012-0217). */
static inline bool resumable(struct thread *t)
{
    return frame_of(t)->rip < USER_TOP;
}

static inline bool plain_message(uint64_t info)
{
    return (info & 0xFFFFFFFFull) == 0;  /* no payload, no capabilities, no flags */
}

static inline void copy_words(struct trap_frame *to, const struct trap_frame *from, uint64_t badge,
                              uint64_t info)
{
    to->rax = 0;
    to->rdi = badge;
    to->rsi = info;
    to->rdx = from->rdx;
    to->r10 = from->r10;
    to->r8 = from->r8;
    to->r9 = from->r9;
}

/* cspace_lookup's checks, inline; NULL means "let the general path report
 * the error". */
static inline struct cap_slot *fast_lookup(struct cspace *cs, uint64_t handle, unsigned type,
                                           uint32_t rights)
{
    mos_handle_t h = (mos_handle_t)handle;
    uint32_t idx = MOS_HANDLE_INDEX(h);
    if (idx == 0 || idx >= cs->nslots)
        return NULL;
    struct cap_slot *s = &cs->slots[idx];
    if (s->cap.type != type || (s->gen & CAP_GEN_MASK) != MOS_HANDLE_GEN(h) || (rights & ~(uint32_t)s->cap.rights))
        return NULL;
    return s;
}

bool fastpath_call(struct trap_frame *f)
{
    if (!CONFIG_IPC_FASTPATH || !plain_message(f->rsi))
        return false;
    struct cpu *c = this_cpu();
    struct thread *cl = c->current;
    spin_lock(&big_lock);
    struct cap_slot *slot = fast_lookup(&cl->proc->cs, f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE);
    if (!slot)
        goto decline;
    struct endpoint *ep = slot->cap.obj;
    if (list_empty(&ep->recvq))
        goto decline;
    struct thread *sv = list_entry(ep->recvq.next, struct thread, ipc_node);
    spin_lock(&c->lock);
    if (sv->cpu != c->id || sv->state != THREAD_BLOCKED || sv->ipc_flags ||
        rq_highest_inline(&c->rq) >= (int)sv->prio || c->need_resched || cl->killed || sv->killed ||
        !resumable(sv)) {
        spin_unlock(&c->lock);
        goto decline;
    }
    /* Commit: nothing below can fail. The server leaves the queue (its
     * reference to the endpoint goes: the caller's capability keeps it). */
    list_remove(&sv->ipc_node);
    ep->obj.refs--;                          /* (the caller's capability keeps the endpoint) */
    sv->ipc_ep = NULL;
    sv->ipc_slot = NULL;
    sv->ipc_state = IPC_NONE;
    if (sv->timer.queued)
        tq_remove(&c->tq, &sv->timer);
    copy_words(frame_of(sv), f, slot->cap.badge, f->rsi | MOS_MSG_CALL);
    sv->ipc_result = 0;
    cl->ipc_state = IPC_WAIT_REPLY;
    cl->reply_ticket = ipc_ticket++;
    cl->replier = sv;
    cl->call_slot = slot;
    sv->reply_to = cl;
    switch_to_partner(c, cl, sv);
decline:
    spin_unlock(&big_lock);
    return false;
}

bool fastpath_reply_recv(struct trap_frame *f)
{
    if (!CONFIG_IPC_FASTPATH || !plain_message(f->rsi))
        return false;
    struct cpu *c = this_cpu();
    struct thread *sv = c->current;
    spin_lock(&big_lock);
    struct thread *cl = sv->reply_to;
    if (!cl || cl->ipc_state != IPC_WAIT_REPLY)
        goto decline;
    struct cap_slot *slot = fast_lookup(&sv->proc->cs, f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_READ);
    if (!slot)
        goto decline;
    struct endpoint *ep = slot->cap.obj;
    if (ep->notify_bits || !list_empty(&ep->sendq))
        goto decline;
    spin_lock(&c->lock);
    if (cl->cpu != c->id || cl->state != THREAD_BLOCKED || rq_highest_inline(&c->rq) >= (int)cl->prio ||
        c->need_resched || cl->killed || sv->killed || !resumable(cl)) {
        spin_unlock(&c->lock);
        goto decline;
    }
    /* Commit: the reply, then wait for the next message. */
    copy_words(frame_of(cl), f, 0, f->rsi);
    cl->ipc_state = IPC_NONE;
    cl->replier = NULL;
    cl->ipc_result = 0;
    sv->reply_to = NULL;
    sv->ipc_flags = 0;
    ep->obj.refs++;                          /* the queue's reference */
    sv->ipc_ep = ep;
    sv->ipc_slot = slot;
    sv->ipc_state = IPC_RECV_BLOCKED;
    list_push_back(&ep->recvq, &sv->ipc_node);
    switch_to_partner(c, sv, cl);
decline:
    spin_unlock(&big_lock);
    return false;
}
