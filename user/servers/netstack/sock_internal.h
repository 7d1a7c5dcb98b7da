/* SPDX-License-Identifier: MIT */
/* sock_internal.h - what sock.c (sockets) and session.c (sessions, waits,
 * liveness) share. Not for the rest of the netstack. */
#pragma once

#include "sock.h"
#include "area.h"

struct tcp_pcb;
struct udp_pcb;
struct pbuf;

enum sock_phase { SK_FREE, SK_OPEN, SK_EMBRYO, SK_CLOSING };

struct ns_sock {
    uint8_t phase;              /* enum sock_phase */
    uint8_t gen;                /* bumped at each allocation of the slot */
    uint16_t slot;
    uint32_t id;                /* epoch << 20 | gen << 12 | slot */
    uint32_t type;              /* NET_TCP / NET_UDP */
    struct ns_session *sess;    /* owner; NULL once CLOSING */
    struct ns_area area;
    uint32_t rx_req, tx_req;    /* ring sizes (accepted sockets inherit them) */
    struct tcp_pcb *tcp;        /* NULL when lwIP has none (or UDP) */
    struct udp_pcb *udp;
    bool listening;
    bool udp_connected;
    /* Published to the area (sock_publish). */
    uint32_t state;             /* enum net_state */
    int32_t error;
    uint32_t flags;             /* NET_SF_* */
    /* Ring indices this side owns. */
    uint32_t rx_head, tx_tail;
    struct pbuf *rx_pend;       /* TCP: received, not yet in the ring (ring full) */
    bool rx_fin;                /* FIN (or the end of the pcb): EOF once rx_pend is out */
    bool shut_rd, shut_wr_req;
    bool proto_error;           /* the client broke the ring rules: fail in sock_run */
    bool mem_retry;             /* lwIP was out of memory: pump again soon */
    uint64_t tx_dropped;        /* UDP datagrams that could not be sent */
    uint64_t linger_deadline;   /* CLOSING: abort after this (ns) */
    /* Listening: the accepted connections not yet taken (EMBRYOs). */
    struct ns_sock *q_head, *q_tail, *q_next, *listener;
    uint16_t backlog, nembryo;
};

extern struct ns_sock ns_socks[NS_MAX_SOCKETS];

void sock_mark_work(struct ns_sock *s);
void sock_publish(struct ns_sock *s);
/* The caller's open socket with that id, or NULL. */
struct ns_sock *sock_lookup(const struct ns_session *sess, uint64_t id);
/* NET_EV_* that hold now for `want` (ERR and HUP always reported). */
uint32_t sock_events(const struct ns_sock *s, uint32_t want);
void sock_close(struct ns_sock *s);
void sock_close_session(struct ns_session *ss);

/* session.c */
void session_mark_dirty(struct ns_session *ss);
uint32_t session_nsock(const struct ns_session *ss);
void session_sock_added(struct ns_session *ss);
void session_sock_removed(struct ns_session *ss);
void session_wait(struct ns_session *ss, const struct ns_req *r, mos_handle_t reply, struct ns_reply *out);
void session_run(uint64_t now_ns);
uint64_t session_next_ns(uint64_t now_ns);      /* UINT64_MAX: nothing timed */
void session_counts(uint32_t *sessions, uint32_t *waits);
