// SPDX-License-Identifier: MIT
/* ipc.c - message passing (see ipc.h). A blocked sender's message stays in
 * its saved user registers (its trap frame) and its IPC buffer until a
 * receiver takes it, so nothing is buffered in the kernel; delivery writes
 * the receiver's saved registers and copies the payload page and the
 * capabilities between the two IPC buffers through the page tables (HHDM).
 * Validation happens before any change: a call that fails leaves no trace.
 * Every path here runs under big_lock; blocking drops it first (sched.h's
 * protocol), then re-takes it to learn how the wait ended.
 * The fast path (fastpath.c) may handle call/reply_recv before these. */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "proc/capglue.h"
#include "proc/process.h"
#include "arch/x86_64/trap.h"
#include "lib/assert.h"
#include "lib/klock.h"
#include "lib/string.h"
#include "arch/arch.h"
#include "mm/vmm.h"
#include "sched/clock.h"
#include "sched/sched.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>

uint64_t ipc_ticket = 1;                 /* big_lock */

static inline struct trap_frame *frame_of(struct thread *t)
{
    return (struct trap_frame *)(t->kstack.top - sizeof(struct trap_frame));
}

/* Kernel pointer to one page of t's IPC buffer (page 0: data, page 1:
 * caps/reply), or NULL when it is not mapped with the needed access. */
static void *ipcbuf_page(struct thread *t, unsigned page, bool write)
{
    if (!t->ipc_buf || !t->proc)
        return NULL;
    paddr_t pa;
    unsigned prot;
    if (!vmm_translate(&t->proc->vs, t->ipc_buf + page * PAGE_SIZE, &pa, &prot))
        return NULL;
    if (!(prot & VM_USER) || (write && !(prot & VM_WRITE)))
        return NULL;
    return pa_to_kva(ALIGN_DOWN(pa, PAGE_SIZE));
}

#define BUF_CAPS_OFF  offsetof(struct mos_ipc_buffer, caps)
#define BUF_REPLY_OFF offsetof(struct mos_ipc_buffer, reply)
#define BUF_FLAGS_OFF offsetof(struct mos_ipc_buffer, cap_flags)
_Static_assert(offsetof(struct mos_ipc_buffer, caps) == 4096, "caps on the second page");

struct thread *ipc_dequeue(struct thread *t)
{
    assert(t->ipc_ep && list_linked(&t->ipc_node));
    list_remove(&t->ipc_node);
    struct endpoint *ep = t->ipc_ep;
    t->ipc_ep = NULL;
    t->ipc_slot = NULL;
    t->ipc_state = IPC_NONE;
    kobj_put(&ep->obj);
    return t;
}

void ipc_enqueue_recv(struct thread *t, struct endpoint *ep, struct cap_slot *slot)
{
    kobj_get(&ep->obj);
    t->ipc_ep = ep;
    t->ipc_slot = slot;
    t->ipc_state = IPC_RECV_BLOCKED;
    list_push_back(&ep->recvq, &t->ipc_node);
}

static void enqueue(struct thread *t, struct endpoint *ep, struct cap_slot *slot, unsigned state,
                    bool recv)
{
    kobj_get(&ep->obj);
    t->ipc_ep = ep;
    t->ipc_slot = slot;
    t->ipc_state = (uint8_t)state;
    list_push_back(recv ? &ep->recvq : &ep->sendq, &t->ipc_node);
}

/* Move up to ncaps capabilities named in s's buffer into r's space; writes
 * the new handles into r's buffer. Returns how many arrived. */
static uint32_t transfer_caps(struct thread *s, struct thread *r, uint32_t ncaps, uint32_t *flags)
{
    uint8_t *sp = ipcbuf_page(s, 1, false), *rp = ipcbuf_page(r, 1, true);
    if (!sp || !rp) {
        *flags |= MOS_MSG_LOST;
        return 0;
    }
    mos_handle_t handles[MOS_MSG_MAX_CAPS];
    uint32_t move;
    memcpy(handles, sp + BUF_CAPS_OFF - PAGE_SIZE, sizeof handles);     /* copied once */
    memcpy(&move, sp + BUF_FLAGS_OFF - PAGE_SIZE, sizeof move);
    mos_handle_t out[MOS_MSG_MAX_CAPS] = { 0 };
    uint32_t got = 0;
    for (uint32_t i = 0; i < ncaps; i++) {
        struct cap_slot *src, *dst;
        struct cap nc;
        if (cspace_lookup(&s->proc->cs, handles[i], -1, MOS_RIGHT_GRANT, &src) ||
            src->cap.type == MOS_CAP_REPLY || !(dst = cspace_alloc(&r->proc->cs)) ||
            cap_narrow(&src->cap, src->cap.rights, 0, 0, 0, &nc)) {
            *flags |= MOS_MSG_LOST;
            continue;
        }
        if (move & (1u << i)) {
            capglue_move(src, dst);
        } else {
            cdt_insert_child(src, dst, &nc);
            capglue_get(&nc);
            if (nc.type == MOS_CAP_IOPORT)
                capglue_update_iomap(r->proc, NULL);
        }
        out[got++] = cspace_handle(dst);
    }
    memcpy(rp + BUF_CAPS_OFF - PAGE_SIZE, out, sizeof out);
    return got;
}

/* Deliver the message in s's saved registers (and buffer) to r: the
 * receiver's saved registers become the message. */
static void deliver(struct thread *s, struct thread *r, uint64_t badge, uint32_t extra)
{
    struct trap_frame *sf = frame_of(s), *rf = frame_of(r);
    uint64_t info = sf->rsi;
    uint32_t bytes = mos_msg_bytes(info), ncaps = mos_msg_ncaps(info), flags = extra, got = 0;
    if (bytes) {
        uint8_t *from = ipcbuf_page(s, 0, false), *to = ipcbuf_page(r, 0, true);
        if (from && to) {
            arch_copy_bulk(to, from, bytes);
        } else {
            bytes = 0;
            flags |= MOS_MSG_LOST;
        }
    }
    if (ncaps)
        got = transfer_caps(s, r, ncaps, &flags);
    rf->rax = 0;
    rf->rdi = badge;
    rf->rsi = mos_msginfo(mos_msg_label(info), bytes, got, flags);
    rf->rdx = sf->rdx;
    rf->r10 = sf->r10;
    rf->r8 = sf->r8;
    rf->r9 = sf->r9;
}

void ipc_deliver_notification(struct thread *r, struct endpoint *ep)
{
    struct trap_frame *rf = frame_of(r);
    rf->rax = 0;
    rf->rdi = 0;
    rf->rsi = mos_msginfo(0, 0, 0, MOS_MSG_NOTIFY);
    rf->rdx = ep->notify_bits;
    rf->r10 = rf->r8 = rf->r9 = 0;
    ep->notify_bits = 0;
}

/* Validate an outgoing message's shape against the capability used. */
static long check_message(struct thread *t, uint64_t info, const struct cap_slot *ep_slot)
{
    if (mos_msg_bytes(info) > MOS_MSG_MAX_BYTES || mos_msg_ncaps(info) > MOS_MSG_MAX_CAPS)
        return -MOS_EINVAL;
    if ((mos_msg_bytes(info) || mos_msg_ncaps(info)) && !t->ipc_buf)
        return -MOS_EINVAL;
    if (mos_msg_ncaps(info) && ep_slot && !(ep_slot->cap.rights & MOS_RIGHT_GRANT))
        return -MOS_EPERM;
    return 0;
}

/* Set up the reply right of call `c`, just delivered to server `r`. */
static void setup_reply(struct thread *c, struct thread *r, uint32_t recv_flags,
                        struct cap_slot *call_slot)
{
    c->ipc_state = IPC_WAIT_REPLY;
    c->reply_ticket = ipc_ticket++;
    c->call_slot = call_slot;
    if (recv_flags & MOS_MSG_REPLY_SLOT) {
        /* A REPLY capability, its handle in the receiver's buffer. When there
         * is no free slot or the buffer cannot take the handle, the call keeps
         * the implicit reply right instead, the handle field reads 0, and the
         * message says MOS_MSG_LOST. */
        uint8_t *rp = ipcbuf_page(r, 1, true);
        struct cap_slot *slot = rp ? cspace_alloc(&r->proc->cs) : NULL;
        mos_handle_t h = 0;
        if (slot) {
            struct cap rc = { .type = MOS_CAP_REPLY, .rights = MOS_RIGHT_WRITE, .obj = c,
                              .badge = c->reply_ticket };
            cdt_insert_child(NULL, slot, &rc);
            thread_get(c);
            h = cspace_handle(slot);
        }
        if (rp)
            memcpy(rp + BUF_REPLY_OFF - PAGE_SIZE, &h, sizeof h);
        if (slot)
            return;
        frame_of(r)->rsi |= MOS_MSG_LOST;
    }
    c->replier = r;
    r->reply_to = c;
}

/* End t's IPC wait with `result` and wake it (it may not have switched out
 * yet: the wake is then remembered). */
void ipc_finish_wait(struct thread *t, long result)
{
    t->ipc_result = result;
    sched_wake(t, 0);
}

/* Drop the implicit reply right r holds (its caller fails with EDEAD). */
static void drop_reply_to(struct thread *r)
{
    struct thread *c = r->reply_to;
    if (!c)
        return;
    r->reply_to = NULL;
    c->replier = NULL;
    c->ipc_state = IPC_NONE;
    ipc_finish_wait(c, -MOS_EDEAD);
}

/* Block the current thread until whoever ends its wait wakes it. Returns
 * its ipc_result, or the timeout/kill reason if it is still queued (it is
 * then taken off the queue). Drops and re-takes big_lock around the block. */
static long block_on(uint64_t *fl, uint64_t deadline)
{
    struct thread *t = thread_current();
    t->ipc_result = -MOS_EINVAL;                /* overwritten by whoever ends the wait */
    sched_prepare_block();
    kunlock(*fl);
    /* A kill that came before the prepare found nothing to wake: look. */
    long r = t->killed ? -MOS_EDEAD : sched_block(deadline);
    *fl = klock();
    if (t->ipc_ep) {                            /* still queued: timed out or killed */
        ipc_dequeue(t);
        return r ? r : -MOS_EDEAD;
    }
    if (t->ipc_state == IPC_WAIT_REPLY) {       /* killed while waiting for the reply */
        if (t->replier)
            t->replier->reply_to = NULL;
        t->replier = NULL;
        t->ipc_state = IPC_NONE;
        return r ? r : -MOS_EDEAD;
    }
    return t->ipc_result;
}

/* Send or call (call = also wait for the reply). */
static long do_send(struct trap_frame *f, bool call)
{
    struct thread *s = thread_current();
    uint64_t fl = klock();
    struct cap_slot *slot;
    long err = cspace_lookup(&s->proc->cs, (mos_handle_t)f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &slot);
    if (!err)
        err = check_message(s, f->rsi, slot);
    if (err) {
        kunlock(fl);
        return err;
    }
    struct endpoint *ep = slot->cap.obj;
    uint64_t badge = slot->cap.badge;
    if (!list_empty(&ep->recvq)) {
        struct thread *r = list_entry(ep->recvq.next, struct thread, ipc_node);
        uint32_t rflags = r->ipc_flags;
        ipc_dequeue(r);
        deliver(s, r, badge, call ? MOS_MSG_CALL : 0);
        if (call)
            setup_reply(s, r, rflags, slot);
        ipc_finish_wait(r, 0);
        if (!call) {
            kunlock(fl);
            return 0;
        }
    } else if (mos_msg_flags(f->rsi) & MOS_MSG_NONBLOCK) {
        kunlock(fl);
        return -MOS_EAGAIN;
    } else {
        s->ipc_badge = badge;
        enqueue(s, ep, slot, call ? IPC_CALL_BLOCKED : IPC_SEND_BLOCKED, false);
    }
    long r = block_on(&fl, 0);
    kunlock(fl);
    return r;                                   /* 0: delivered (and, for a call, replied) */
}

long sys_ipc_send(struct trap_frame *f) { return do_send(f, false); }
long sys_ipc_call(struct trap_frame *f)
{
    return do_send(f, true);            /* (syscall.S tried the fast path first) */
}

/* Receive on endpoint h into the current thread's saved registers. */
static long do_recv(mos_handle_t h, uint64_t timeout, uint32_t flags, uint64_t *fl)
{
    struct thread *r = thread_current();
    struct cap_slot *slot;
    long err = cspace_lookup(&r->proc->cs, h, MOS_CAP_ENDPOINT, MOS_RIGHT_READ, &slot);
    if (err)
        return err;
    if ((flags & ~MOS_MSG_REPLY_SLOT) || ((flags & MOS_MSG_REPLY_SLOT) && !r->ipc_buf))
        return -MOS_EINVAL;
    drop_reply_to(r);
    struct endpoint *ep = slot->cap.obj;
    if (ep->notify_bits) {
        ipc_deliver_notification(r, ep);
        return 0;
    }
    if (!list_empty(&ep->sendq)) {
        struct thread *s = list_entry(ep->sendq.next, struct thread, ipc_node);
        bool call = s->ipc_state == IPC_CALL_BLOCKED;
        struct cap_slot *call_slot = s->ipc_slot;
        ipc_dequeue(s);
        deliver(s, r, s->ipc_badge, call ? MOS_MSG_CALL : 0);
        if (call)
            setup_reply(s, r, flags, call_slot);   /* the caller stays blocked */
        else
            ipc_finish_wait(s, 0);
        return 0;
    }
    if (timeout == MOS_TIMEOUT_POLL)
        return -MOS_ETIMEDOUT;
    r->ipc_flags = flags;
    enqueue(r, ep, slot, IPC_RECV_BLOCKED, true);
    uint64_t deadline = 0;
    if (timeout != MOS_TIMEOUT_FOREVER) {
        uint64_t now = now_ns();
        deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
    }
    return block_on(fl, deadline);
}

long sys_ipc_recv(struct trap_frame *f)
{
    uint64_t fl = klock();
    long r = f->rdx & ~(uint64_t)MOS_MSG_REPLY_SLOT ? -MOS_EINVAL
                                                    : do_recv((mos_handle_t)f->rdi, f->rsi, (uint32_t)f->rdx, &fl);
    kunlock(fl);
    return r;
}

/* Reply through the implicit right (h == 0) or a REPLY capability. */
static long do_reply(struct thread *r, mos_handle_t h, struct trap_frame *f)
{
    struct thread *c;
    struct cap_slot *slot = NULL;
    long err = check_message(r, f->rsi, NULL);
    if (err)
        return err;
    if (h == 0) {
        c = r->reply_to;
        if (!c)
            return -MOS_ENOENT;
        r->reply_to = NULL;
        c->replier = NULL;
    } else {
        err = cspace_lookup(&r->proc->cs, h, MOS_CAP_REPLY, MOS_RIGHT_WRITE, &slot);
        if (err)
            return err;
        c = slot->cap.obj;
        bool live = c->ipc_state == IPC_WAIT_REPLY && c->reply_ticket == slot->cap.badge && !c->killed;
        slot->cap.badge = 0;                    /* the release below must not fail the caller */
        cdt_delete(slot, capglue_release, NULL);
        if (!live)
            return -MOS_EDEAD;
    }
    deliver(r, c, 0, 0);
    c->ipc_state = IPC_NONE;
    ipc_finish_wait(c, 0);
    return 0;
}

long sys_ipc_reply(struct trap_frame *f)
{
    struct thread *r = thread_current();
    uint64_t fl = klock();
    long err = do_reply(r, (mos_handle_t)f->rdi, f);
    kobj_run_deferred();
    kunlock(fl);
    return err;
}

long sys_ipc_reply_recv(struct trap_frame *f)
{
    struct thread *r = thread_current();   /* (syscall.S tried the fast path first) */
    uint64_t fl = klock();
    if (r->reply_to) {
        long err = do_reply(r, 0, f);
        if (err) {
            kunlock(fl);
            return err;
        }
    }
    long res = do_recv((mos_handle_t)f->rdi, MOS_TIMEOUT_FOREVER,
                       mos_msg_flags(f->rsi) & MOS_MSG_REPLY_SLOT, &fl);
    kunlock(fl);
    return res;
}

long sys_ipc_notify(struct trap_frame *f)
{
    struct thread *t = thread_current();
    uint64_t fl = klock();
    struct cap_slot *slot;
    long err = cspace_lookup(&t->proc->cs, (mos_handle_t)f->rdi, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &slot);
    if (!err)
        endpoint_notify(slot->cap.obj, f->rsi);
    kunlock(fl);
    return err;
}

void ipc_reply_cap_release(struct cap_slot *slot)
{
    struct thread *c = slot->cap.obj;
    if (slot->cap.badge && c->ipc_state == IPC_WAIT_REPLY && c->reply_ticket == slot->cap.badge) {
        c->ipc_state = IPC_NONE;               /* the server dropped the call unanswered */
        ipc_finish_wait(c, -MOS_EDEAD);
    }
    thread_put(c);
}

void ipc_thread_exit(struct thread *t)
{
    if (t->ipc_ep)
        ipc_dequeue(t);
    drop_reply_to(t);
    if (t->ipc_state == IPC_WAIT_REPLY) {
        if (t->replier)
            t->replier->reply_to = NULL;
        t->replier = NULL;
        t->ipc_state = IPC_NONE;
    }
}
