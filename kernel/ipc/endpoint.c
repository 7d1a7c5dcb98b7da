// SPDX-License-Identifier: MIT
/* endpoint.c - endpoint objects: creation, destruction, notification bits,
 * and cancelling the threads queued through a capability that goes away.
 * Locking: big_lock. */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "mm/kheap.h"
#include "proc/process.h"
#include "lib/assert.h"
#include "sched/sched.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>

static struct kcache *ep_cache;

int endpoint_create(struct process *p, struct endpoint **out)
{
    if (!ep_cache)
        ep_cache = kcache_create("endpoint", sizeof(struct endpoint), 16);
    if (p && process_charge(p, sizeof(struct endpoint)))
        return -MOS_ENOMEM;
    struct endpoint *ep = ep_cache ? kcache_alloc(ep_cache) : NULL;
    if (!ep) {
        if (p)
            process_refund(p, sizeof(struct endpoint));
        return -MOS_ENOMEM;
    }
    kobj_init(&ep->obj, MOS_CAP_ENDPOINT);
    if (p) {
        ep->charged = p;
        kobj_get(&p->obj);
    }
    list_init(&ep->sendq);
    list_init(&ep->recvq);
    *out = ep;
    return 0;
}

void endpoint_destroy(struct endpoint *ep)
{
    /* Queued threads hold references, so the queues are empty here. */
    assert(list_empty(&ep->sendq) && list_empty(&ep->recvq));
    if (ep->charged) {
        process_refund(ep->charged, sizeof(struct endpoint));
        kobj_put(&ep->charged->obj);
    }
    kcache_free(ep_cache, ep);
}

void endpoint_notify(struct endpoint *ep, uint64_t bits)
{
    ep->notify_bits |= bits;
    if (!ep->notify_bits || list_empty(&ep->recvq))
        return;
    struct thread *r = ipc_dequeue(list_entry(ep->recvq.next, struct thread, ipc_node));
    ipc_deliver_notification(r, ep);
    ipc_finish_wait(r, 0);
}

/* A caller whose delivered call went through the capability being deleted
 * gives up waiting for the reply. */
static void cancel_call(struct thread *t, void *slot)
{
    if (t->ipc_state != IPC_WAIT_REPLY || t->call_slot != slot)
        return;
    if (t->replier)
        t->replier->reply_to = NULL;
    t->replier = NULL;
    t->ipc_state = IPC_NONE;
    ipc_finish_wait(t, -MOS_ECANCELED);
}

void ipc_cancel_slot(struct endpoint *ep, struct cap_slot *slot)
{
    struct list_node *queues[2] = { &ep->sendq, &ep->recvq };
    for (int q = 0; q < 2; q++) {
        list_for_each_safe(pos, tmp, queues[q]) {
            struct thread *t = list_entry(pos, struct thread, ipc_node);
            if (t->ipc_slot == slot) {
                ipc_dequeue(t);
                ipc_finish_wait(t, -MOS_ECANCELED);
            }
        }
    }
    thread_for_each(cancel_call, slot);
}

static void move_call(struct thread *t, void *ctx)
{
    struct cap_slot **m = ctx;
    if (t->ipc_state == IPC_WAIT_REPLY && t->call_slot == m[0])
        t->call_slot = m[1];
}

void ipc_move_slot(struct endpoint *ep, struct cap_slot *from, struct cap_slot *to)
{
    struct cap_slot *m[2] = { from, to };
    thread_for_each(move_call, m);
    struct list_node *queues[2] = { &ep->sendq, &ep->recvq };
    for (int q = 0; q < 2; q++)
        list_for_each(pos, queues[q]) {
            struct thread *t = list_entry(pos, struct thread, ipc_node);
            if (t->ipc_slot == from)
                t->ipc_slot = to;
        }
}
