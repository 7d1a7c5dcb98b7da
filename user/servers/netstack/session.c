// SPDX-License-Identifier: MIT
/* session.c - the netstack's clients. A session is named by the badge its
 * requests arrive with and is made on a client's first request. It ends:
 *  - on NET_SESSION_END from itself, its creator, or badge 0 (init);
 *  - when its liveness token (a THREAD or PROCESS capability the client
 *    gave with NET_HELLO) shows the thread or process dead (looked at every
 *    NS_LIVENESS_MS, and at once when a deferred reply to it fails);
 *  - and a NET_HELLO starts it afresh (a restarted client says hello with
 *    its old badge: its old sockets are closed).
 * Ending closes its sockets (sock_close) and cancels its waits.
 *
 * Waits: a NET_WAIT that is not ready at once keeps its REPLY capability
 * here; it is answered when one of its sockets is ready (evaluated after a
 * turn in which a socket of the session changed: `dirty`), when its time
 * runs out, or when the session ends (-MOS_ECANCELED). A client therefore
 * never sleeps on its own endpoint, and a netstack that dies wakes it. */
#include "ns.h"
#include "sock_internal.h"

struct ns_session {
    bool used;
    bool dirty;                 /* a socket changed since waits were looked at */
    bool suspect;               /* a deferred reply failed: check liveness now */
    uint64_t badge;
    uint64_t creator;           /* badge that made it (NET_SESSION_NEW), or NO_CREATOR */
    mos_handle_t token;         /* THREAD or PROCESS capability, 0 if none */
    uint32_t token_type;
    uint32_t nsock, nwaits;
};

struct ns_wait {
    bool used;
    struct ns_session *sess;
    mos_handle_t reply;
    uint64_t deadline;          /* ns, UINT64_MAX: none */
    uint32_t n;
    struct net_wait_req req[NET_WAIT_MAX];
};

#define NO_CREATOR      UINT64_MAX
#define SESSION_BADGE   (1ull << 61)    /* badges NET_SESSION_NEW makes */
#define THREAD_DEAD     4u              /* mos_cap_info.u.thread.state */

static struct ns_session sessions[NS_MAX_SESSIONS];
static struct ns_wait waits[NS_MAX_WAITS];
static uint32_t n_sessions, n_waits;
static bool any_dirty;
static uint64_t next_liveness_ns;
static uint32_t session_counter;

void session_mark_dirty(struct ns_session *ss)
{
    ss->dirty = true;
    any_dirty = true;
}

uint32_t session_nsock(const struct ns_session *ss) { return ss->nsock; }
void session_sock_added(struct ns_session *ss) { ss->nsock++; }
void session_sock_removed(struct ns_session *ss) { ss->nsock--; }

static struct ns_session *session_find(uint64_t badge)
{
    for (unsigned i = 0; i < NS_MAX_SESSIONS; i++)
        if (sessions[i].used && sessions[i].badge == badge)
            return &sessions[i];
    return NULL;
}

struct ns_session *session_get(uint64_t badge)
{
    struct ns_session *s = session_find(badge);
    if (s)
        return s;
    struct ns_session *idle = NULL;
    for (unsigned i = 0; i < NS_MAX_SESSIONS; i++) {
        if (!sessions[i].used) {
            s = &sessions[i];
            break;
        }
        if (!idle && !sessions[i].nsock && !sessions[i].nwaits && !sessions[i].token)
            idle = &sessions[i];
    }
    if (!s && idle) {
        s = idle;               /* a session that holds nothing: forget it */
        n_sessions--;
    }
    if (!s)
        return NULL;
    *s = (struct ns_session){ .used = true, .badge = badge, .creator = NO_CREATOR };
    n_sessions++;
    return s;
}

static void wait_answer(struct ns_wait *w, long label, uint64_t ev, uint64_t index)
{
    uint64_t rw[4] = { ev, index, 0, 0 };
    long r = mos_reply(w->reply, (uint32_t)label, rw, NULL, 0, NULL, 0);
    if (r == -MOS_EDEAD)
        w->sess->suspect = true;        /* the caller is gone: is its process? */
    w->sess->nwaits--;
    w->used = false;
    n_waits--;
}

static void session_cancel_waits(struct ns_session *ss)
{
    for (unsigned i = 0; i < NS_MAX_WAITS; i++)
        if (waits[i].used && waits[i].sess == ss)
            wait_answer(&waits[i], -MOS_ECANCELED, 0, 0);
}

static void session_end(struct ns_session *ss)
{
    sock_close_session(ss);
    session_cancel_waits(ss);
    if (ss->token)
        (void)mos_cap_delete(ss->token);
    /* Sessions it made stay: they are other processes' now. */
    *ss = (struct ns_session){ 0 };
    n_sessions--;
}

long session_hello(struct ns_session *ss, mos_handle_t token)
{
    uint32_t type = 0;
    if (token) {
        struct mos_cap_info ci;
        if (mos_cap_inspect(token, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) < 0 ||
            (ci.type != MOS_CAP_THREAD && ci.type != MOS_CAP_PROCESS)) {
            (void)mos_cap_delete(token);
            return -MOS_EBADTYPE;
        }
        type = ci.type;
    }
    sock_close_session(ss);
    session_cancel_waits(ss);
    if (ss->token)
        (void)mos_cap_delete(ss->token);
    ss->token = token;
    ss->token_type = type;
    return 0;
}

long session_new_for(struct ns_session *creator, uint64_t *badge)
{
    uint64_t b = SESSION_BADGE | (uint64_t)ns_epoch << 32 | ++session_counter;
    long cap = mos_cap_transfer(ns_ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, b, 0, 0);
    if (cap < 0)
        return cap;
    struct ns_session *s = session_get(b);
    if (!s) {
        (void)mos_cap_delete((mos_handle_t)cap);
        return -MOS_ENOSPC;
    }
    s->creator = creator ? creator->badge : NO_CREATOR;
    *badge = b;
    return cap;
}

long session_end_by(uint64_t caller, uint64_t badge)
{
    struct ns_session *s = session_find(badge);
    if (!s)
        return -MOS_ENOENT;
    if (caller != 0 && caller != badge && s->creator != caller)
        return -MOS_EPERM;
    session_end(s);
    return 0;
}

/* First entry of w whose socket is ready: its events, and its index. */
static uint32_t wait_ready(const struct ns_session *ss, const struct net_wait_req *req, uint32_t n,
                           uint32_t *index)
{
    for (uint32_t i = 0; i < n; i++) {
        struct ns_sock *s = sock_lookup(ss, req[i].id);
        uint32_t ev = s ? sock_events(s, req[i].events) : NET_EV_ERR;
        ev &= req[i].events | NET_EV_ERR | NET_EV_HUP;
        if (ev) {
            *index = i;
            return ev;
        }
    }
    return 0;
}

void session_wait(struct ns_session *ss, const struct ns_req *r, mos_handle_t reply, struct ns_reply *out)
{
    struct net_wait_req req[NET_WAIT_MAX];
    uint32_t n = r->bytes / (uint32_t)sizeof req[0], index = 0;
    for (uint32_t i = 0; i < n; i++)
        req[i] = ns_req_wait_entry(r, i);
    uint32_t ev = wait_ready(ss, req, n, &index);
    if (ev) {
        out->w[0] = ev;
        out->w[1] = index;
        return;
    }
    if (r->w[0] == 0) {
        out->label = -MOS_ETIMEDOUT;
        return;
    }
    if (!reply || ss->nwaits >= NS_WAITS_PER_SESSION) {
        out->label = -MOS_EBUSY;        /* cannot be kept: the client polls instead */
        return;
    }
    struct ns_wait *w = NULL;
    for (unsigned i = 0; i < NS_MAX_WAITS && !w; i++)
        if (!waits[i].used)
            w = &waits[i];
    if (!w) {
        out->label = -MOS_EBUSY;
        return;
    }
    uint64_t now = ns_now_ns(), ms = r->w[0];
    w->used = true;
    w->sess = ss;
    w->reply = reply;
    w->n = n;
    w->deadline = ms >= UINT64_MAX / 1000000u ? UINT64_MAX : now + ms * 1000000u;
    __builtin_memcpy(w->req, req, n * sizeof req[0]);
    ss->nwaits++;
    n_waits++;
    out->deferred = true;
}

static bool token_dead(const struct ns_session *ss)
{
    struct mos_cap_info ci;
    if (mos_cap_inspect(ss->token, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) < 0)
        return true;
    if (ci.type == MOS_CAP_PROCESS)
        return ci.u.proc.state == MOS_PROC_DEAD;
    return ci.u.thread.state == THREAD_DEAD;
}

void session_run(uint64_t now)
{
    if (any_dirty || n_waits) {
        any_dirty = false;
        for (unsigned i = 0; i < NS_MAX_WAITS; i++) {
            struct ns_wait *w = &waits[i];
            if (!w->used)
                continue;
            uint32_t index = 0, ev = w->sess->dirty ? wait_ready(w->sess, w->req, w->n, &index) : 0;
            if (ev)
                wait_answer(w, 0, ev, index);
            else if (now >= w->deadline)
                wait_answer(w, -MOS_ETIMEDOUT, 0, 0);
        }
        for (unsigned i = 0; i < NS_MAX_SESSIONS; i++)
            sessions[i].dirty = false;
    }
    bool due = now >= next_liveness_ns;
    for (unsigned i = 0; i < NS_MAX_SESSIONS; i++) {
        struct ns_session *s = &sessions[i];
        if (!s->used || !(due || s->suspect))
            continue;
        s->suspect = false;
        if (s->token && token_dead(s)) {
            printf("netstack: a client is gone (session %llx): closing its %u socket(s)\n",
                   (unsigned long long)s->badge, s->nsock);
            session_end(s);
        }
    }
    if (due)
        next_liveness_ns = now + (uint64_t)NS_LIVENESS_MS * 1000000u;
}

uint64_t session_next_ns(uint64_t now)
{
    (void)now;
    uint64_t next = n_sessions ? next_liveness_ns : UINT64_MAX;
    if (any_dirty)
        return 0;
    for (unsigned i = 0; i < NS_MAX_WAITS; i++)
        if (waits[i].used && waits[i].deadline < next)
            next = waits[i].deadline;
    return next;
}

void session_counts(uint32_t *nsessions, uint32_t *nwaits)
{
    *nsessions = n_sessions;
    *nwaits = n_waits;
}
