/* SPDX-License-Identifier: MIT */
/* sock.h - sockets and sessions of the netstack.
 *
 * A session is a client, named by the badge it calls with; it owns up to
 * NET_MAX_SOCKETS_PER_SESSION sockets and NS_WAITS_PER_SESSION pending
 * NET_WAITs. A socket is a slot of one table: an lwIP pcb, its shared area
 * (area.h), and the netstack's own copies of everything it publishes there
 * (state, flags, error, rx_head, tx_tail): what the client writes into the
 * area is only ever read as the two indices it owns (rx_tail, tx_head) and
 * the ns_wait flag, each checked before use.
 *
 * lwIP's callbacks only record what happened (queue received data, note an
 * error, mark the socket as having work); the moving of bytes between
 * rings and lwIP happens in sock_run(), called by the main loop, so no
 * socket is ever freed inside an lwIP callback. A socket whose client
 * breaks the ring rules fails alone with -MOS_EPROTO.
 *
 * Lifetimes: OPEN (the client has its id) -> CLOSING (NET_CLOSE: the
 * client's view is revoked, unsent tx bytes still go out for up to
 * NS_LINGER_MS) -> free. An accepted connection is an EMBRYO in its
 * listener's queue until NET_ACCEPT hands it out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "proto/net.h"
#include "req.h"

struct ns_session;

/* The reply a handler gives (nsipc.c sends it). label 0 or -MOS_E*; cap is
 * moved to the caller if non-zero; a handler that keeps the reply right for
 * later sets deferred (and owns `reply` from then on). */
struct ns_reply {
    int64_t label;
    uint64_t w[4];
    const void *data;
    uint32_t bytes;
    mos_handle_t cap;
    bool deferred;
};

void sock_init(void);

/* Sessions. session_get finds or makes the caller's session (NULL: the
 * table is full of sessions that hold something). */
struct ns_session *session_get(uint64_t badge);
long session_hello(struct ns_session *s, mos_handle_t token);  /* takes the token; -MOS_EBADTYPE */
/* NET_SESSION_NEW / NET_SESSION_END. */
long session_new_for(struct ns_session *creator, uint64_t *badge);
long session_end_by(uint64_t caller, uint64_t badge);

/* The operations, each with a checked request (req.c) of the caller's
 * session. `reply` is the REPLY capability of the call (0: none could be
 * made, the request cannot be deferred). */
void sock_op(struct ns_session *s, const struct ns_req *r, mos_handle_t reply, struct ns_reply *out);

/* Kick bits from ipc_notify (NET_KICK_BIT): those sockets get pumped. */
void sock_kick(uint64_t bits);
/* The main loop's turn: pump sockets with work, answer waits that became
 * ready or timed out, enforce lingering and liveness. */
void sock_run(void);
/* Milliseconds until sock_run has something timed to do (UINT32_MAX: none);
 * 0 if it has work right now. */
uint32_t sock_next_ms(void);
/* The NIC's transmit buffers came back after a shortage: push TCP output. */
void sock_tx_resume(void);

/* Counters for NET_IFINFO. */
void sock_counts(uint32_t *sessions, uint32_t *sockets, uint32_t *closing, uint32_t *waits);
