// SPDX-License-Identifier: MIT
/* net_client.c - BSD-like sockets over the netstack (net_client.h,
 * proto/net.h, docs/network.md "Client library").
 *
 * A socket here is a slot of a per-process table: the netstack's socket id,
 * the socket's shared area (mapped at NC_AREA_BASE + slot * 1 MiB, checked
 * before use), and this side's ring indices (rx_tail, tx_head). Sending and
 * receiving copy through the rings without a system call; the netstack is
 * kicked (ipc_notify) only when it asked for it (ns_wait), and a blocking
 * call waits in NET_WAIT, a call the netstack answers when the socket is
 * ready, so a dead netstack ends every wait with an error. What the
 * netstack writes is checked too (indices within the ring, records within
 * their bounds): a broken area gives -MOS_EPROTO, never a wild copy.
 * No locks: see net_client.h for what threads may share. */
#include "net_client.h"
#include <mos/errors.h>
#include <mos/caps.h>
#include <mos/kinfo.h>
#include <mos/proc.h>
#include "lib/string.h"
#include "mos_ipc.h"
#include "mos_start.h"
#include "user_syscalls.h"
#include "vfs_client.h"
#include "mos_malloc.h"

#define NC_AREA_BASE   0x0000330000000000ull
#define NC_AREA_STRIDE 0x0000000000100000ull
#define NC_SENTINEL_STACK 0x0000338000000000ull  /* one page */

struct nc_sock {
    bool used;
    bool nonblock;
    uint32_t id, type, pages;
    mos_handle_t mem;
    struct net_shm *shm;
    uint8_t *rx, *tx;
    uint32_t rx_size, tx_size;
    uint32_t rx_tail, tx_head;  /* ours */
    uint32_t rcv_ms, snd_ms;    /* 0: no time-out */
};

static struct nc_sock nc_socks[NET_CLIENT_MAX_SOCKETS];
static mos_handle_t nc_cap;
static bool nc_hello_done;

/* ---------------------------------------------------------------- basics */

static uint64_t nc_now_ms(void)
{
    const struct mos_kinfo *ki = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc() - ki->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * ki->tsc_mult) >> 32) / 1000000u;
}

static struct nc_sock *nc_get(int s)
{
    if (s < 0 || s >= NET_CLIENT_MAX_SOCKETS || !nc_socks[s].used)
        return NULL;
    return &nc_socks[s];
}

/* A call to the netstack: the system call's error, or the reply's label. */
static long nc_call(uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, const void *data,
                    size_t len, const mos_handle_t *caps, unsigned ncaps, uint32_t move, struct mos_msg *out)
{
    if (!nc_cap)
        return -MOS_ENOENT;
    uint64_t w[4] = { w0, w1, w2, w3 };
    mos_msginfo_t info;
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    if (!buf)
        return -MOS_EFAULT;
    long r = mos_ipc_stage(buf, op, data, len, caps, ncaps, move, 0, &info);
    if (r)
        return r;
    struct mos_msg m;
    r = mos_ipc_call_m(nc_cap, info, w, &m);
    if (r == -MOS_EDEAD || r == -MOS_ECANCELED) {
        nc_hello_done = false;          /* a new netstack: say hello again */
        return -MOS_EDEAD;
    }
    if (r < 0)
        return r;
    if (out)
        *out = m;
    return (int32_t)mos_msg_label(m.info);
}

/* The sentinel: a thread that only ever blocks, on a one-page stack, with
 * no IPC buffer. It lives exactly as long as the process (a process ends
 * all its threads), so its THREAD capability is a liveness token the
 * netstack can look at, for any client, whoever started it. */
__attribute__((noreturn)) static void nc_sentinel(void)
{
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

static mos_handle_t nc_sentinel_thread(void)
{
    static mos_handle_t thread;
    if (thread)
        return thread;
    long mem = mos_mem_alloc(1, 0);
    if (mem < 0)
        return 0;
    long r = mos_mem_map((mos_handle_t)mem, MOS_SELF, NC_SENTINEL_STACK, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r == 0)
        r = mos_thread_create(MOS_SELF, (uint64_t)(uintptr_t)nc_sentinel, NC_SENTINEL_STACK + 4096 - 8, 0,
                              MOS_THREAD_PRIO(1), 0);
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)mem);    /* unmaps it too */
        return 0;
    }
    thread = (mos_handle_t)r;
    return thread;
}

/* A capability that tells the netstack when this process is gone: a copy
 * (GRANT only: the netstack can just look at it) of our PROCESS capability,
 * our main THREAD capability, or the sentinel's; 0 if none can be had. */
static mos_handle_t nc_liveness_token(void)
{
    const struct mos_start *sb = mos_start_block();
    mos_handle_t cand[2] = { sb ? sb->self_proc : 0, sb ? sb->self_thread : 0 };
    for (int i = 0; i < 2; i++) {
        if (!cand[i])
            continue;
        long h = mos_cap_transfer(cand[i], MOS_SELF, MOS_RIGHT_GRANT, 0, 0, 0);
        if (h > 0)
            return (mos_handle_t)h;
    }
    mos_handle_t t = nc_sentinel_thread();
    long h = t ? mos_cap_transfer(t, MOS_SELF, MOS_RIGHT_GRANT, 0, 0, 0) : -MOS_ENOENT;
    return h > 0 ? (mos_handle_t)h : 0;
}

static long nc_hello(void)
{
    if (nc_hello_done)
        return 0;
    mos_handle_t tok = nc_liveness_token();
    long r = nc_call(NET_HELLO, 0, 0, 0, 0, NULL, 0, &tok, tok ? 1 : 0, 1u, NULL);
    if (tok)
        (void)mos_cap_delete(tok);      /* stale if it was moved */
    if (r == -MOS_EBADTYPE)             /* the token was refused: go without */
        r = nc_call(NET_HELLO, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL);
    if (r == 0)
        nc_hello_done = true;
    return r;
}

long net_init_with(mos_handle_t cap)
{
    nc_cap = cap;
    nc_hello_done = false;
    return nc_hello();
}

long net_init(void)
{
    if (nc_cap)
        return nc_hello();
    mos_handle_t cap = mos_cap_by_name("net");
    if (!cap)
        return -MOS_ENOENT;
    return net_init_with(cap);
}

mos_handle_t net_handle(void)
{
    return nc_cap;
}

/* Kick the netstack if it asked for it (after we moved an index). */
static void nc_kick(struct nc_sock *k)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&k->shm->ns_wait, __ATOMIC_SEQ_CST) &&
        __atomic_exchange_n(&k->shm->ns_wait, 0, __ATOMIC_SEQ_CST))
        (void)mos_ipc_notify(nc_cap, NET_KICK_BIT(k->id));
}

/* ---------------------------------------------------------------- areas */

static void nc_free(struct nc_sock *k)
{
    if (k->mem)
        (void)mos_cap_delete(k->mem);   /* the mapping goes with it */
    *k = (struct nc_sock){ 0 };
}

/* Take the area of a NET_SOCKET / NET_ACCEPT reply into slot k. */
static long nc_attach(struct nc_sock *k, unsigned slot, mos_handle_t mem, uint32_t id, uint64_t pages)
{
    struct mos_cap_info ci;
    long r = mos_cap_inspect(mem, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0);
    if (r == 0 && (ci.type != MOS_CAP_MEMORY || ci.count != pages || pages < 3 ||
                   pages > 1 + 2 * NET_RING_MAX / 4096))
        r = -MOS_EPROTO;
    uint64_t va = NC_AREA_BASE + slot * NC_AREA_STRIDE;
    if (r == 0)
        r = mos_mem_map(mem, MOS_SELF, va, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        (void)mos_cap_delete(mem);
        return r;
    }
    struct net_shm *m = (struct net_shm *)(uintptr_t)va;
    uint32_t rx = m->rx_size, tx = m->tx_size;
    if (m->magic != NET_SHM_MAGIC || m->version != NET_PROTO_VERSION || m->id != id ||
        m->rx_off != 4096 || m->tx_off != 4096 + rx || rx < NET_RING_MIN || tx < NET_RING_MIN ||
        (rx & (rx - 1)) || (tx & (tx - 1)) || 1 + rx / 4096 + tx / 4096 != pages) {
        (void)mos_cap_delete(mem);
        return -MOS_EPROTO;
    }
    *k = (struct nc_sock){
        .used = true, .id = id, .type = m->type == NET_UDP ? NET_UDP : NET_TCP,
        .pages = (uint32_t)pages, .mem = mem, .shm = m,
        .rx = (uint8_t *)m + 4096, .tx = (uint8_t *)m + 4096 + rx, .rx_size = rx, .tx_size = tx,
        .rx_tail = m->rx_tail, .tx_head = m->tx_head,
    };
    return 0;
}

static int nc_slot(void)
{
    for (int i = 0; i < NET_CLIENT_MAX_SOCKETS; i++)
        if (!nc_socks[i].used)
            return i;
    return -1;
}

long net_socket_ex(uint32_t type, uint32_t rx_bytes, uint32_t tx_bytes)
{
    if (type != NET_TCP && type != NET_UDP)
        return -MOS_EINVAL;
    long r = net_init();
    if (r < 0)
        return r;
    int slot = nc_slot();
    if (slot < 0)
        return -MOS_ENOSPC;
    struct mos_msg m;
    r = nc_call(NET_SOCKET, type, rx_bytes, tx_bytes, 0, NULL, 0, NULL, 0, 0, &m);
    if (r < 0)
        return r;
    mos_handle_t mem = mos_msg_cap(&m, 0);
    if (!mem)
        return -MOS_EPROTO;
    uint32_t id = (uint32_t)m.w[0];
    r = nc_attach(&nc_socks[slot], (unsigned)slot, mem, id, m.w[1]);
    if (r < 0) {
        (void)nc_call(NET_CLOSE, id, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL);
        return r;
    }
    return slot;
}

long net_socket(uint32_t type)
{
    return net_socket_ex(type, 0, 0);
}

long net_close(int s)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    long r = nc_call(NET_CLOSE, k->id, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL);
    nc_free(k);
    return r == -MOS_EDEAD || r == -MOS_EBADHANDLE ? 0 : r;
}

/* ---------------------------------------------------------------- readiness */

/* What holds for k now, from the area alone (a superset of what the
 * netstack answers NET_WAIT with, so a wait never spins). */
static uint32_t nc_events(struct nc_sock *k, uint32_t want)
{
    struct net_shm *m = k->shm;
    uint32_t flags = __atomic_load_n(&m->flags, __ATOMIC_ACQUIRE);
    uint32_t state = m->state, ev = 0;
    if (m->error)
        ev |= NET_EV_ERR;
    if ((flags & (NET_SF_RX_EOF | NET_SF_TX_SHUT)) == (NET_SF_RX_EOF | NET_SF_TX_SHUT))
        ev |= NET_EV_HUP;
    if (want & NET_EV_IN) {
        uint32_t used = net_ring_used(__atomic_load_n(&m->rx_head, __ATOMIC_ACQUIRE), k->rx_tail);
        if (state == NET_ST_LISTEN ? m->accept_ready > 0 : used > 0 || (flags & NET_SF_RX_EOF))
            ev |= NET_EV_IN;
        if (used > k->rx_size)
            ev |= NET_EV_ERR;
    }
    if (want & NET_EV_OUT) {
        uint32_t used = net_ring_used(k->tx_head, __atomic_load_n(&m->tx_tail, __ATOMIC_ACQUIRE));
        bool can = k->type == NET_UDP || state == NET_ST_CONNECTED;
        if (used > k->tx_size)
            ev |= NET_EV_ERR;
        else if ((can && !(flags & NET_SF_TX_SHUT) && used < k->tx_size) ||
                 (k->type == NET_TCP && state == NET_ST_CLOSED))
            ev |= NET_EV_OUT;
    }
    return ev;
}

/* Wait in the netstack until one of reqs is ready or timeout_ms passes
 * (UINT64_MAX: forever). 0, -MOS_ETIMEDOUT, or an error. */
/* NET_WAIT. On an answer, *gone is set when the netstack reports ERR or HUP
 * for an entry (*which) that the area itself does not show: a socket the
 * netstack does not know, e.g. one of an earlier netstack when this wait
 * was still queued on the endpoint across a restart. Trusting only the
 * area would then ask again for ever. */
static long nc_wait(const struct net_wait_req *reqs, unsigned n, uint64_t timeout_ms, bool *gone,
                    unsigned *which)
{
    struct mos_msg m;
    *gone = false;
    long r = nc_call(NET_WAIT, timeout_ms, 0, 0, 0, reqs, n * sizeof reqs[0], NULL, 0, 0, &m);
    if (r == -MOS_EBUSY) {              /* the netstack could not keep the wait: poll */
        (void)mos_thread_block(2ull * 1000000u);
        return 0;
    }
    if (r == 0 && (m.w[0] & (NET_EV_ERR | NET_EV_HUP)) && m.w[1] < n) {
        *gone = true;
        *which = (unsigned)m.w[1];
    }
    return r;
}

/* Block until k has one of `want`, honouring ms (0: no time-out). */
static long nc_wait_one(struct nc_sock *k, uint32_t want, uint32_t ms)
{
    uint64_t deadline = ms ? nc_now_ms() + ms : UINT64_MAX;
    for (;;) {
        if (nc_events(k, want | NET_EV_ERR | NET_EV_HUP))
            return 0;
        uint64_t now = nc_now_ms();
        if (now >= deadline)
            return -MOS_ETIMEDOUT;
        struct net_wait_req q = { .id = k->id, .events = want };
        bool gone;
        unsigned which;
        long r = nc_wait(&q, 1, deadline == UINT64_MAX ? UINT64_MAX : deadline - now, &gone, &which);
        if (r < 0 && r != -MOS_ETIMEDOUT)
            return r;
        if (gone && !nc_events(k, want | NET_EV_ERR | NET_EV_HUP))
            return -MOS_ECONNRESET;     /* the netstack no longer has it */
    }
}

long net_poll(struct net_pollfd *fds, unsigned n, long timeout_ms)
{
    if (n > NET_WAIT_MAX || (n && !fds))
        return -MOS_EINVAL;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : nc_now_ms() + (uint64_t)timeout_ms;
    struct net_wait_req reqs[NET_WAIT_MAX];
    unsigned of[NET_WAIT_MAX];
    for (;;) {
        long ready = 0;
        unsigned nq = 0;
        for (unsigned i = 0; i < n; i++) {
            struct nc_sock *k = nc_get(fds[i].sock);
            fds[i].revents = k ? nc_events(k, fds[i].events) & (fds[i].events | NET_EV_ERR | NET_EV_HUP)
                               : NET_EV_ERR;
            if (fds[i].revents) {
                ready++;
            } else {
                of[nq] = i;
                reqs[nq++] = (struct net_wait_req){ .id = k->id, .events = fds[i].events };
            }
        }
        uint64_t now = nc_now_ms();
        if (ready || nq == 0 || now >= deadline)
            return ready;
        bool gone;
        unsigned which;
        long r = nc_wait(reqs, nq, deadline == UINT64_MAX ? UINT64_MAX : deadline - now, &gone, &which);
        if (r < 0 && r != -MOS_ETIMEDOUT)
            return r;
        struct nc_sock *g = gone ? nc_get(fds[of[which]].sock) : NULL;
        if (g && !nc_events(g, fds[of[which]].events | NET_EV_ERR | NET_EV_HUP)) {
            fds[of[which]].revents = NET_EV_ERR;    /* the netstack no longer has that socket */
            return 1;
        }
    }
}

/* ---------------------------------------------------------------- control */

long net_bind(int s, uint32_t addr, uint16_t port)
{
    struct nc_sock *k = nc_get(s);
    return k ? nc_call(NET_BIND, k->id, addr, port, 0, NULL, 0, NULL, 0, 0, NULL) : -MOS_EBADHANDLE;
}

long net_listen(int s, unsigned backlog)
{
    struct nc_sock *k = nc_get(s);
    return k ? nc_call(NET_LISTEN, k->id, backlog, 0, 0, NULL, 0, NULL, 0, 0, NULL) : -MOS_EBADHANDLE;
}

long net_accept(int s, uint32_t *addr, uint16_t *port)
{
    struct nc_sock *l = nc_get(s);
    if (!l)
        return -MOS_EBADHANDLE;
    for (;;) {
        int slot = nc_slot();
        if (slot < 0)
            return -MOS_ENOSPC;
        struct mos_msg m;
        long r = nc_call(NET_ACCEPT, l->id, 0, 0, 0, NULL, 0, NULL, 0, 0, &m);
        if (r == 0) {
            mos_handle_t mem = mos_msg_cap(&m, 0);
            if (!mem)
                return -MOS_EPROTO;
            r = nc_attach(&nc_socks[slot], (unsigned)slot, mem, (uint32_t)m.w[0], m.w[1]);
            if (r < 0) {
                (void)nc_call(NET_CLOSE, m.w[0], 0, 0, 0, NULL, 0, NULL, 0, 0, NULL);
                return r;
            }
            if (addr)
                *addr = (uint32_t)m.w[2];
            if (port)
                *port = (uint16_t)m.w[3];
            return slot;
        }
        if (r != -MOS_EAGAIN || l->nonblock)
            return r;
        r = nc_wait_one(l, NET_EV_IN, l->rcv_ms);
        if (r < 0)
            return r;
    }
}

long net_connect(int s, uint32_t addr, uint16_t port)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    long r = nc_call(NET_CONNECT, k->id, addr, port, 0, NULL, 0, NULL, 0, 0, NULL);
    if (r < 0 || k->type == NET_UDP)
        return r;
    if (k->nonblock)
        return -MOS_EINPROGRESS;
    for (;;) {
        uint32_t st = k->shm->state;
        if (st == NET_ST_CONNECTED)
            return 0;
        if (st != NET_ST_CONNECTING)
            return k->shm->error ? k->shm->error : -MOS_ECONNREFUSED;
        r = nc_wait_one(k, NET_EV_OUT, k->snd_ms);
        if (r < 0)
            return r;
    }
}

long net_shutdown(int s, unsigned how)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    if (how & NET_SHUT_RD)
        k->rx_tail = k->shm->rx_head;   /* drop what is unread */
    return nc_call(NET_SHUTDOWN, k->id, how, 0, 0, NULL, 0, NULL, 0, 0, NULL);
}

long net_set_nonblock(int s, bool on)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    k->nonblock = on;
    return 0;
}

long net_set_timeout(int s, uint32_t recv_ms, uint32_t send_ms)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    k->rcv_ms = recv_ms;
    k->snd_ms = send_ms;
    return 0;
}

long net_setsockopt(int s, uint32_t opt, uint64_t value)
{
    struct nc_sock *k = nc_get(s);
    return k ? nc_call(NET_SETOPT, k->id, opt, value, 0, NULL, 0, NULL, 0, 0, NULL) : -MOS_EBADHANDLE;
}

static long nc_getname(int s, uint64_t peer, uint32_t *addr, uint16_t *port)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    struct mos_msg m;
    long r = nc_call(NET_GETNAME, k->id, peer, 0, 0, NULL, 0, NULL, 0, 0, &m);
    if (r == 0) {
        if (addr)
            *addr = (uint32_t)m.w[0];
        if (port)
            *port = (uint16_t)m.w[1];
    }
    return r;
}

long net_getsockname(int s, uint32_t *addr, uint16_t *port) { return nc_getname(s, 0, addr, port); }
long net_getpeername(int s, uint32_t *addr, uint16_t *port) { return nc_getname(s, 1, addr, port); }

long net_sock_error(int s)
{
    struct nc_sock *k = nc_get(s);
    return k ? k->shm->error : -MOS_EBADHANDLE;
}

/* ---------------------------------------------------------------- data */

/* TCP: copy into the tx ring, waiting for room unless non-blocking. */
static long nc_send_stream(struct nc_sock *k, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct net_shm *m = k->shm;
        uint32_t st = m->state;
        long err = 0;
        if (m->error)
            err = m->error;
        else if (__atomic_load_n(&m->flags, __ATOMIC_ACQUIRE) & NET_SF_TX_SHUT)
            err = -MOS_EPIPE;
        else if (st != NET_ST_CONNECTED && st != NET_ST_CONNECTING)
            err = -MOS_ENOTCONN;
        if (err)
            return done ? (long)done : err;
        uint32_t used = net_ring_used(k->tx_head, __atomic_load_n(&m->tx_tail, __ATOMIC_ACQUIRE));
        if (used > k->tx_size)
            return done ? (long)done : -MOS_EPROTO;
        uint32_t room = k->tx_size - used;
        if (st == NET_ST_CONNECTED && room) {
            uint32_t n = len - done < room ? (uint32_t)(len - done) : room;
            net_ring_write(k->tx, k->tx_size, k->tx_head, buf + done, n);
            k->tx_head += n;
            __atomic_store_n(&m->tx_head, k->tx_head, __ATOMIC_RELEASE);
            nc_kick(k);
            done += n;
            continue;
        }
        if (k->nonblock)
            return done ? (long)done : -MOS_EAGAIN;
        long r = nc_wait_one(k, NET_EV_OUT, k->snd_ms);
        if (r < 0)
            return done ? (long)done : r;
    }
    return (long)done;
}

static long nc_recv_stream(struct nc_sock *k, uint8_t *buf, size_t len)
{
    for (;;) {
        struct net_shm *m = k->shm;
        uint32_t flags = __atomic_load_n(&m->flags, __ATOMIC_ACQUIRE);
        uint32_t used = net_ring_used(__atomic_load_n(&m->rx_head, __ATOMIC_ACQUIRE), k->rx_tail);
        if (used > k->rx_size)
            return -MOS_EPROTO;
        if (used) {
            uint32_t n = len < used ? (uint32_t)len : used;
            net_ring_read(k->rx, k->rx_size, k->rx_tail, buf, n);
            k->rx_tail += n;
            __atomic_store_n(&m->rx_tail, k->rx_tail, __ATOMIC_RELEASE);
            nc_kick(k);
            return n;
        }
        if (flags & NET_SF_RX_EOF)
            return m->error && m->error != -MOS_ENOTCONN ? m->error : 0;
        uint32_t st = m->state;
        if (st != NET_ST_CONNECTED && st != NET_ST_CONNECTING)
            return m->error ? m->error : -MOS_ENOTCONN;
        if (k->nonblock)
            return -MOS_EAGAIN;
        long r = nc_wait_one(k, NET_EV_IN, k->rcv_ms);
        if (r < 0)
            return r;
    }
}

static long nc_send_dgram(struct nc_sock *k, const uint8_t *buf, size_t len, uint32_t addr, uint16_t port)
{
    if (len > NET_UDP_MAX || NET_DGRAM_SPAN(len) > k->tx_size)
        return -MOS_EOVERFLOW;
    uint32_t span = NET_DGRAM_SPAN(len);
    for (;;) {
        struct net_shm *m = k->shm;
        if (m->error)
            return m->error;
        if (__atomic_load_n(&m->flags, __ATOMIC_ACQUIRE) & NET_SF_TX_SHUT)
            return -MOS_EPIPE;
        uint32_t used = net_ring_used(k->tx_head, __atomic_load_n(&m->tx_tail, __ATOMIC_ACQUIRE));
        if (used > k->tx_size)
            return -MOS_EPROTO;
        if (k->tx_size - used >= span) {
            struct net_dgram h = { .len = (uint32_t)len, .addr = addr, .port = port };
            net_ring_write(k->tx, k->tx_size, k->tx_head, &h, sizeof h);
            net_ring_write(k->tx, k->tx_size, k->tx_head + (uint32_t)sizeof h, buf, (uint32_t)len);
            k->tx_head += span;
            __atomic_store_n(&m->tx_head, k->tx_head, __ATOMIC_RELEASE);
            nc_kick(k);
            return (long)len;
        }
        if (k->nonblock)
            return -MOS_EAGAIN;
        long r = nc_wait_one(k, NET_EV_OUT, k->snd_ms);
        if (r < 0)
            return r;
    }
}

static long nc_recv_dgram(struct nc_sock *k, uint8_t *buf, size_t len, uint32_t *addr, uint16_t *port)
{
    for (;;) {
        struct net_shm *m = k->shm;
        uint32_t used = net_ring_used(__atomic_load_n(&m->rx_head, __ATOMIC_ACQUIRE), k->rx_tail);
        if (used > k->rx_size)
            return -MOS_EPROTO;
        if (used) {
            struct net_dgram h;
            if (used < sizeof h)
                return -MOS_EPROTO;
            net_ring_read(k->rx, k->rx_size, k->rx_tail, &h, sizeof h);
            if (h.len > NET_UDP_MAX || NET_DGRAM_SPAN(h.len) > used)
                return -MOS_EPROTO;
            uint32_t n = len < h.len ? (uint32_t)len : h.len;
            net_ring_read(k->rx, k->rx_size, k->rx_tail + (uint32_t)sizeof h, buf, n);
            k->rx_tail += NET_DGRAM_SPAN(h.len);
            __atomic_store_n(&m->rx_tail, k->rx_tail, __ATOMIC_RELEASE);
            nc_kick(k);
            if (addr)
                *addr = h.addr;
            if (port)
                *port = h.port;
            return n;
        }
        if (m->error)
            return m->error;
        if (__atomic_load_n(&m->flags, __ATOMIC_ACQUIRE) & NET_SF_RX_EOF)
            return 0;
        if (k->nonblock)
            return -MOS_EAGAIN;
        long r = nc_wait_one(k, NET_EV_IN, k->rcv_ms);
        if (r < 0)
            return r;
    }
}

long net_send(int s, const void *buf, size_t len)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    if (len && !buf)
        return -MOS_EINVAL;
    if (k->type == NET_UDP)
        return nc_send_dgram(k, buf, len, 0, 0);
    return nc_send_stream(k, buf, len);
}

long net_recv(int s, void *buf, size_t len)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    if (len && !buf)
        return -MOS_EINVAL;
    if (k->type == NET_UDP)
        return nc_recv_dgram(k, buf, len, NULL, NULL);
    return nc_recv_stream(k, buf, len);
}

long net_sendto(int s, const void *buf, size_t len, uint32_t addr, uint16_t port)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    if (k->type != NET_UDP)
        return -MOS_EINVAL;
    if ((len && !buf) || (addr == 0 && port != 0) || (addr != 0 && port == 0))
        return -MOS_EINVAL;
    return nc_send_dgram(k, buf, len, addr, port);
}

long net_recvfrom(int s, void *buf, size_t len, uint32_t *addr, uint16_t *port)
{
    struct nc_sock *k = nc_get(s);
    if (!k)
        return -MOS_EBADHANDLE;
    if (len && !buf)
        return -MOS_EINVAL;
    if (k->type != NET_UDP)
        return nc_recv_stream(k, buf, len);
    return nc_recv_dgram(k, buf, len, addr, port);
}

/* ---------------------------------------------------------------- services */

/* The hosts file, read through the VFS if this process has one: 0 and
 * *addr when it names `name`. Any failure (no "vfs", no file) is only
 * "not found here": DNS is asked next. */
static long nc_hosts_lookup(const char *name, uint32_t *addr)
{
    if (vfs_init() != 0)
        return -MOS_ENOENT;
    long h = vfs_open(NET_HOSTS_PATH, VFS_O_READ);
    if (h < 0)
        return -MOS_ENOENT;
    char *buf = malloc(NET_HOSTS_MAX);
    long r = -MOS_ENOENT;
    if (buf) {
        size_t got = 0;
        while (got < NET_HOSTS_MAX) {
            long k = vfs_read(h, got, buf + got, NET_HOSTS_MAX - got);
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        r = net_hosts_lookup(buf, got, name, addr);
        free(buf);
    }
    (void)vfs_close(h);
    return r;
}

long net_resolve(const char *name, uint32_t *addr)
{
    if (!name || !addr)
        return -MOS_EINVAL;
    if (net_aton(name, addr) == 0)
        return 0;
    size_t n = strnlen(name, NET_NAME_MAX);
    if (n == 0 || n >= NET_NAME_MAX)
        return -MOS_EINVAL;
    if (nc_hosts_lookup(name, addr) == 0)
        return 0;
    long r = net_init();
    if (r < 0)
        return r;
    struct mos_msg m;
    r = nc_call(NET_RESOLVE, 0, 0, 0, 0, name, n, NULL, 0, 0, &m);
    if (r == 0)
        *addr = (uint32_t)m.w[0];
    return r;
}

long net_ifinfo(struct net_ifinfo *info)
{
    if (!info)
        return -MOS_EINVAL;
    long r = net_init();
    if (r < 0)
        return r;
    struct mos_msg m;
    r = nc_call(NET_IFINFO, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, &m);
    if (r < 0)
        return r;
    if (mos_msg_bytes(m.info) != sizeof *info)
        return -MOS_EPROTO;
    memcpy(info, mos_msg_data(&m), sizeof *info);
    return 0;
}

long net_ping(uint32_t addr, uint32_t bytes, uint32_t timeout_ms, uint16_t seq, struct net_ping_result *out)
{
    long r = net_init();
    if (r < 0)
        return r;
    struct mos_msg m;
    r = nc_call(NET_PING, addr, bytes, timeout_ms, seq, NULL, 0, NULL, 0, 0, &m);
    if (r == 0 && out) {
        out->rtt_ns = m.w[0];
        out->ttl = (uint32_t)m.w[1];
        out->bytes = (uint32_t)m.w[2];
    }
    return r;
}

long net_session_new(mos_handle_t *session_cap, uint64_t *badge)
{
    if (!session_cap)
        return -MOS_EINVAL;
    long r = net_init();
    if (r < 0)
        return r;
    struct mos_msg m;
    r = nc_call(NET_SESSION_NEW, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, &m);
    if (r < 0)
        return r;
    *session_cap = mos_msg_cap(&m, 0);
    if (!*session_cap)
        return -MOS_EPROTO;
    if (badge)
        *badge = m.w[0];
    return 0;
}

long net_session_end(uint64_t badge)
{
    return nc_call(NET_SESSION_END, badge, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL);
}

/* ---------------------------------------------------------------- addresses */

char *net_ntoa(uint32_t addr, char buf[16])
{
    char *p = buf;
    for (int i = 3; i >= 0; i--) {
        unsigned v = (addr >> (8 * i)) & 0xFF;
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        if (i)
            *p++ = '.';
    }
    *p = 0;
    return buf;
}

long net_aton(const char *s, uint32_t *addr)
{
    if (!s || !addr)
        return -MOS_EINVAL;
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return -MOS_EINVAL;
        }
        if (!digits)
            return -MOS_EINVAL;
        a = a << 8 | v;
        if (part < 3 && *s++ != '.')
            return -MOS_EINVAL;
    }
    if (*s)
        return -MOS_EINVAL;
    *addr = a;
    return 0;
}
