/* SPDX-License-Identifier: MIT */
/* ipc.h - endpoints and message passing: synchronous send/receive with FIFO
 * queues of blocked senders and receivers, call/reply (implicit reply right
 * or a REPLY capability for deferred replies), reply-and-receive, and
 * notification bits. Messages: label + 4 register words, an optional payload
 * of up to 4 KiB copied between the two IPC buffers, up to 4 capabilities.
 * Locking: big_lock for every field of an endpoint and the IPC fields of
 * struct thread. */
#pragma once

#include "lib/types.h"
#include "lib/list.h"
#include "cap/kobj.h"

struct thread;
struct cap_slot;
struct trap_frame;

enum ipc_state {
    IPC_NONE = 0,
    IPC_SEND_BLOCKED,       /* in ep->sendq, sending */
    IPC_CALL_BLOCKED,       /* in ep->sendq, calling */
    IPC_RECV_BLOCKED,       /* in ep->recvq */
    IPC_WAIT_REPLY,         /* call delivered; waiting for the reply */
};

struct endpoint {
    struct kobj obj;                /* type MOS_CAP_ENDPOINT; first */
    struct list_node sendq;         /* struct thread.ipc_node, FIFO */
    struct list_node recvq;
    uint64_t notify_bits;           /* ORed by notify, cleared by the receive that takes them */
    struct process *charged;        /* whose quota pays for it (a reference) */
};

struct process;
/* A new endpoint charged to p's quota (p NULL: the kernel's). */
__must_check int endpoint_create(struct process *p, struct endpoint **out);
void endpoint_destroy(struct endpoint *ep);       /* last reference gone */

/* Notify from the kernel (interrupts, exit notifications). */
void endpoint_notify(struct endpoint *ep, uint64_t bits);

/* A capability slot naming ep is being deleted: wake every thread queued
 * through it with -MOS_ECANCELED. */
void ipc_cancel_slot(struct endpoint *ep, struct cap_slot *slot);
/* The capability in slot `from` moved to `to`: queued threads follow it. */
void ipc_move_slot(struct endpoint *ep, struct cap_slot *from, struct cap_slot *to);
/* Thread t is leaving: take it off any queue, fail its caller (-MOS_EDEAD)
 * if it holds an implicit reply right, forget a pending call. */
void ipc_thread_exit(struct thread *t);

/* A REPLY capability is deleted unused. */
void ipc_reply_cap_release(struct cap_slot *slot);

/* The fast path (fastpath.c): returns false to let the general path handle
 * the call; when it takes it, it does not return (the CPU leaves to user
 * mode in the partner thread). */
bool fastpath_call(struct trap_frame *f);
bool fastpath_reply_recv(struct trap_frame *f);

/* System calls (frame = the caller's saved user state). */
long sys_ipc_send(struct trap_frame *f);
long sys_ipc_recv(struct trap_frame *f);
long sys_ipc_call(struct trap_frame *f);
long sys_ipc_reply(struct trap_frame *f);
long sys_ipc_reply_recv(struct trap_frame *f);
long sys_ipc_notify(struct trap_frame *f);
