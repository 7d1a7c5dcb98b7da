/* SPDX-License-Identifier: MIT */
/* ipc_internal.h - shared inside kernel/ipc only. */
#pragma once

#include "ipc/ipc.h"
#include "sched/thread.h"

/* Take t off its endpoint queue (it must be on one); drops the endpoint
 * reference the queue held; t's state becomes IPC_NONE. Returns t. */
struct thread *ipc_dequeue(struct thread *t);
/* Give a receiver blocked on ep the pending notification bits (cleared). */
void ipc_deliver_notification(struct thread *r, struct endpoint *ep);
/* End t's IPC wait with `result` and wake it (a wake before it has
 * switched out is remembered). */
void ipc_finish_wait(struct thread *t, long result);
/* The next ticket for a call's reply right (big_lock). */
extern uint64_t ipc_ticket;
/* Queue t as a receiver on ep through slot (takes an endpoint reference). */
void ipc_enqueue_recv(struct thread *t, struct endpoint *ep, struct cap_slot *slot);
