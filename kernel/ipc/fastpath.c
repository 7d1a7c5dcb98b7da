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
#include "arch/x86_64/asm_offsets.h"
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

void fastpath_switched(void);
void *ipc_frame_resume(struct thread *t);

_Static_assert(offsetof(struct cpu, lock.owner) == CPU_LOCK_OWNER, "asm_offsets.h");
_Static_assert(offsetof(struct trap_frame, rip) == 136 && offsetof(struct trap_frame, rflags) == 152 &&
               offsetof(struct trap_frame, rsp) == 160 && offsetof(struct trap_frame, rbx) == 104 &&
               offsetof(struct trap_frame, rbp) == 64 && offsetof(struct trap_frame, r12) == 24,
               "switch.S: arch_fastpath_exit's frame offsets");

/* Take l if it is free, else decline (the general path will wait): no call
 * to a waiting loop keeps the checks free of register saves. The holder
 * field l->cpu (for assertions) is left at -1: nothing the fast path runs
 * asserts ownership, and fast_unlock leaves it as it found it. The debug-
 * locks build uses the checked functions. */
static inline bool fast_trylock(struct spinlock *l)
{
    if (CONFIG_DEBUG_LOCKS)
        return spin_trylock(l);
    uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED), expect = owner;
    return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void fast_unlock(struct spinlock *l)
{
    if (CONFIG_DEBUG_LOCKS) {
        spin_unlock(l);
        return;
    }
    /* owner + 1 in one instruction: only the holder writes owner, and an
     * x86 store is a release. */
    __asm__ volatile("addl $1, %0" : "+m"(l->owner) : : "memory");
}

static inline struct trap_frame *frame_of(struct thread *t)
{
    return (struct trap_frame *)(t->kstack.top - sizeof(struct trap_frame));
}

/* The debug-locks build's unlock on the partner's stack (arch_fastpath_exit
 * calls it with its argument registers saved); others unlock inline. */
void fastpath_switched(void)
{
    spin_unlock(&this_cpu()->lock);
}

/* Switch from `from` (now blocked: it will resume from its frame) to `to`
 * (blocked in IPC, now running) on CPU c, with c->lock and big_lock held,
 * delivering the message words of frame `msg` with `badge` and `info`:
 * they go straight into the registers `to` returns to user mode with (its
 * frame is not written; arch_fastpath_exit in switch.S). Both locks are
 * released on the way. The words are read before big_lock goes: after that
 * a sender on another CPU may deliver into `from`'s frame (it is queued to
 * receive again) or kill and resume it. */
static inline __attribute__((always_inline)) __noreturn void switch_to_partner(struct cpu *c, struct thread *from, struct thread *to,
                                                         const struct trap_frame *msg, uint64_t badge,
                                                         uint64_t info)
{
    from->state = THREAD_BLOCKED;
    from->frame_resume = true;
    to->state = THREAD_RUNNING;
    to->frame_resume = false;
    to->wake_pending = false;
    to->blocking = false;
    c->current = to;
    struct trap_frame *tf = frame_of(to);
    arch_thread_switch_plain(&c->arch, from, to);   /* plain_switch() held: no I/O bitmap */
    uint64_t m0 = msg->rdx, m1 = msg->r10, m2 = msg->r8, m3 = msg->r9;
    if (CONFIG_DEBUG_LOCKS)             /* a call there: before the registers are bound */
        fast_unlock(&big_lock);
    register uint64_t w0 __asm__("rdx") = m0;
    register uint64_t w1 __asm__("r10") = m1;
    register uint64_t w2 __asm__("r8") = m2;
    register uint64_t w3 __asm__("r9") = m3;
    if (!CONFIG_DEBUG_LOCKS)
        fast_unlock(&big_lock);         /* interrupts stay off (system call) */
    __asm__ volatile("jmp arch_fastpath_exit"   /* switch.S: a jump, not a call */
                     : : "D"(tf), "S"(badge), "a"(info), "r"(w0), "r"(w1), "r"(w2), "r"(w3)
                     : "memory");
    __builtin_unreachable();
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
    _Static_assert(USER_TOP == 1ull << 47, "resumable: USER_TOP");
    return (frame_of(t)->rip >> 47) == 0;
}

/* A switch to t without an I/O permission bitmap to load (a driver holding
 * I/O ports, or leaving one): arch_thread_switch_inline stays call-free. */
static inline bool plain_switch(struct cpu *c, struct thread *t)
{
    /* t->iomap is set for every live user thread (uthread_create; only an
     * exited thread, never an IPC partner, has it cleared) */
    return !*t->iomap && c->arch.tss.iomap_base == ARCH_IOMAP_OFF;
}

static inline bool plain_message(uint64_t info)
{
    return (info & 0xFFFFFFFFull) == 0;  /* no payload, no capabilities, no flags */
}

/* cspace_lookup's checks, inline; NULL means "let the general path report
 * the error". */
static inline struct cap_slot *fast_lookup(struct cspace *cs, uint64_t handle, unsigned type,
                                           uint32_t rights)
{
    mos_handle_t h = (mos_handle_t)handle;
    uint32_t idx = MOS_HANDLE_INDEX(h);
    if (idx >= cs->nslots)              /* (slot 0 is never allocated: the type test fails) */
        return NULL;
    struct cap_slot *s = &cs->slots[idx];
    /* (s->gen stays below CAP_GEN_MASK + 1: cdt.c wraps it there) */
    if (s->cap.type != type || s->gen != MOS_HANDLE_GEN(h) || (rights & ~(uint32_t)s->cap.rights))
        return NULL;
    return s;
}

static __noreturn void call_commit(struct cpu *c, struct thread *cl, struct thread *sv, struct endpoint *ep,
                                   struct cap_slot *slot, struct trap_frame *f);
static __noreturn void reply_recv_commit(struct cpu *c, struct thread *sv, struct thread *cl,
                                         struct endpoint *ep, struct cap_slot *slot, struct trap_frame *f);

/* What the checks leave out, and why it is safe:
 * - c->need_resched: it is only ever set with an interrupt on its way (a
 *   reschedule IPI, the timer) or inside a system call that acts on it at
 *   its exit; at entry to this one any such interrupt is still pending and
 *   preempts the partner as soon as SYSRET enables interrupts. A thread
 *   that should run instead right now is caught by the run-queue test.
 * - the partner's `killed`: killing a thread wakes it (uthread_kill), so a
 *   killed partner is never THREAD_BLOCKED.
 * - the FPU/SSE areas: both are user threads (arch_thread_switch_plain). */
bool fastpath_call(struct trap_frame *f)
{
    if (!CONFIG_IPC_FASTPATH || !plain_message(f->rsi))
        return false;
    struct cpu *c = this_cpu();
    struct thread *cl = c->current;
    if (!fast_trylock(&big_lock))
        return false;
    struct cap_slot *slot = fast_lookup(&cl->proc->cs, f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE);
    if (!slot)
        goto decline;
    struct endpoint *ep = slot->cap.obj;
    if (list_empty(&ep->recvq))
        goto decline;
    struct thread *sv = list_entry(ep->recvq.next, struct thread, ipc_node);
    if (!fast_trylock(&c->lock))
        goto decline;
    if (sv->cpu != c->id || sv->state != THREAD_BLOCKED || sv->ipc_flags ||
        (c->rq.bitmap >> sv->prio) || cl->killed ||
        !resumable(sv) || sv->timer.queued || !plain_switch(c, sv)) {
        fast_unlock(&c->lock);
        goto decline;
    }
    call_commit(c, cl, sv, ep, slot, f);
decline:
    fast_unlock(&big_lock);
    return false;
}

/* The commits: nothing in them calls out (a receive with a time-out, an
 * I/O bitmap to load: the checks declined those), so the whole fast path
 * runs in the caller-saved registers and needs no prologue. */
static inline __attribute__((always_inline)) __noreturn void call_commit(struct cpu *c, struct thread *cl, struct thread *sv,
                                                            struct endpoint *ep, struct cap_slot *slot,
                                                            struct trap_frame *f)
{
    /* Nothing below can fail. The server leaves the queue (its reference
     * to the endpoint goes: the caller's capability keeps it). */
    list_remove(&sv->ipc_node);
    ep->obj.refs--;                          /* (the caller's capability keeps the endpoint) */
    sv->ipc_ep = NULL;
    sv->ipc_slot = NULL;
    sv->ipc_state = IPC_NONE;
    sv->ipc_result = 0;
    cl->ipc_state = IPC_WAIT_REPLY;
    cl->reply_ticket = 0;                    /* no REPLY capability names this call */
    cl->replier = sv;
    cl->call_slot = slot;
    sv->reply_to = cl;
    switch_to_partner(c, cl, sv, f, slot->cap.badge, f->rsi | MOS_MSG_CALL);
}

bool fastpath_reply_recv(struct trap_frame *f)
{
    if (!CONFIG_IPC_FASTPATH || !plain_message(f->rsi))
        return false;
    struct cpu *c = this_cpu();
    struct thread *sv = c->current;
    if (!fast_trylock(&big_lock))
        return false;
    struct thread *cl = sv->reply_to;
    if (!cl || cl->ipc_state != IPC_WAIT_REPLY)
        goto decline;
    struct cap_slot *slot = fast_lookup(&sv->proc->cs, f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_READ);
    if (!slot)
        goto decline;
    struct endpoint *ep = slot->cap.obj;
    if (ep->notify_bits || !list_empty(&ep->sendq))
        goto decline;
    if (!fast_trylock(&c->lock))
        goto decline;
    if (cl->cpu != c->id || cl->state != THREAD_BLOCKED || (c->rq.bitmap >> cl->prio) ||
        sv->killed || !resumable(cl) || !plain_switch(c, cl)) {
        fast_unlock(&c->lock);
        goto decline;
    }
    reply_recv_commit(c, sv, cl, ep, slot, f);
decline:
    fast_unlock(&big_lock);
    return false;
}

static inline __attribute__((always_inline)) __noreturn void reply_recv_commit(struct cpu *c, struct thread *sv,
                                                                  struct thread *cl, struct endpoint *ep,
                                                                  struct cap_slot *slot, struct trap_frame *f)
{
    /* The reply, then wait for the next message. */
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
    switch_to_partner(c, sv, cl, f, 0, f->rsi);
}
