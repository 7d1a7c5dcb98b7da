// SPDX-License-Identifier: MIT
/* sock.c - the netstack's sockets: the socket table, the lwIP raw-API
 * callbacks, and the pumps that move bytes between a socket's rings and
 * its pcb. Sessions and waits are in session.c; sock_internal.h is what
 * the two share. Invariants (single thread, no locks):
 *  - a slot is FREE, OPEN (its id is the client's), EMBRYO (accepted by
 *    lwIP, queued on its listener) or CLOSING (the client's view revoked;
 *    draining its tx bytes into TCP);
 *  - s->tcp / s->udp is NULL or a live pcb whose callback argument is s;
 *    a pcb is detached (arg and callbacks cleared) before it is handed back
 *    to lwIP (tcp_close, tcp_abort, udp_remove), so lwIP never calls back
 *    into a freed slot;
 *  - rx_head and tx_tail here are the truth; the copies in the area are for
 *    the client. What the client writes (rx_tail, tx_head) is checked on
 *    every read: more than the ring holds fails that socket (-MOS_EPROTO);
 *  - nothing is freed inside an lwIP callback: callbacks queue data and
 *    mark the socket for sock_run(). */
#include "ns.h"
#include "area.h"
#include "sock_internal.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/pbuf.h"
#include "lwip/def.h"

struct ns_sock ns_socks[NS_MAX_SOCKETS];
static uint64_t work_bits[NS_MAX_SOCKETS / 64];
static unsigned alloc_cursor;
static uint32_t n_open, n_embryo, n_closing, n_retry;
static uint64_t retry_at_ns;

#define RETRY_NS      (10ull * 1000000ull)
#define TCP_POLL_HALF_SECONDS 2

/* ---------------------------------------------------------------- helpers */

void sock_mark_work(struct ns_sock *s)
{
    work_bits[s->slot / 64] |= 1ull << (s->slot % 64);
}

/* Write the authoritative state into the area and wake the session's waits. */
void sock_publish(struct ns_sock *s)
{
    struct net_shm *m = s->area.shm;
    if (m) {
        m->state = s->state;
        m->error = s->error;
        m->flags = s->flags;
        m->accept_ready = s->nembryo;
    }
    if (s->sess)
        session_mark_dirty(s->sess);
}

/* rx bytes the client has not taken yet; false if its rx_tail is corrupt. */
static bool rx_used(const struct ns_sock *s, uint32_t *used)
{
    uint32_t tail = __atomic_load_n(&s->area.shm->rx_tail, __ATOMIC_ACQUIRE);
    *used = net_ring_used(s->rx_head, tail);
    return *used <= s->area.rx_size;
}

/* tx bytes the client has put in and we have not taken; false if corrupt. */
static bool tx_avail(const struct ns_sock *s, uint32_t *avail)
{
    uint32_t head = __atomic_load_n(&s->area.shm->tx_head, __ATOMIC_ACQUIRE);
    *avail = net_ring_used(head, s->tx_tail);
    return *avail <= s->area.tx_size;
}

static void tcp_detach(struct tcp_pcb *pcb, bool listening)
{
    tcp_arg(pcb, NULL);
    if (listening) {
        tcp_accept(pcb, NULL);
        return;
    }
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

/* Give the pcb back to lwIP: close it, or abort it if it cannot be closed. */
static void pcb_drop(struct ns_sock *s, bool abort)
{
    if (s->tcp) {
        struct tcp_pcb *pcb = s->tcp;
        s->tcp = NULL;
        tcp_detach(pcb, s->listening);
        if (abort && !s->listening)
            tcp_abort(pcb);
        else if (tcp_close(pcb) != ERR_OK)
            tcp_abort(pcb);
    }
    if (s->udp) {
        udp_recv(s->udp, NULL, NULL);
        udp_remove(s->udp);
        s->udp = NULL;
    }
}

static void rx_pend_drop(struct ns_sock *s)
{
    if (!s->rx_pend)
        return;
    if (s->tcp)
        tcp_recved(s->tcp, s->rx_pend->tot_len);
    pbuf_free(s->rx_pend);
    s->rx_pend = NULL;
}

/* The socket ends with an error the client will see; the pcb goes. */
static void sock_fail(struct ns_sock *s, int32_t err)
{
    if (!s->error)
        s->error = err;
    s->state = NET_ST_CLOSED;
    s->flags |= NET_SF_RX_EOF | NET_SF_TX_SHUT;
    rx_pend_drop(s);
    pcb_drop(s, true);
    sock_publish(s);
}

static void sock_release(struct ns_sock *s)
{
    if (s->phase == SK_CLOSING)
        n_closing--;
    else if (s->phase == SK_OPEN)
        n_open--;
    else if (s->phase == SK_EMBRYO)
        n_embryo--;
    if (s->mem_retry)
        n_retry--;
    if (s->rx_pend)
        pbuf_free(s->rx_pend);
    pcb_drop(s, true);
    area_destroy(&s->area);
    work_bits[s->slot / 64] &= ~(1ull << (s->slot % 64));
    uint8_t gen = s->gen;
    uint16_t slot = s->slot;
    *s = (struct ns_sock){ .gen = gen, .slot = slot, .phase = SK_FREE };
}

/* A free slot with a fresh id and its area; NULL and *err on failure. */
static struct ns_sock *sock_new(struct ns_session *sess, uint32_t type, uint32_t rx, uint32_t tx, long *err)
{
    for (unsigned k = 0; k < NS_MAX_SOCKETS; k++) {
        unsigned i = (alloc_cursor + k) % NS_MAX_SOCKETS;
        struct ns_sock *s = &ns_socks[i];
        if (s->phase != SK_FREE)
            continue;
        uint8_t gen = (uint8_t)(s->gen + 1);
        uint32_t id = ns_epoch << 20 | (uint32_t)gen << 12 | i;
        int r = area_create(&s->area, type, id, rx, tx);
        if (r) {
            *err = r;
            return NULL;
        }
        alloc_cursor = i + 1;
        s->gen = gen;
        s->slot = (uint16_t)i;
        s->id = id;
        s->type = type;
        s->sess = sess;
        s->rx_req = rx;
        s->tx_req = tx;
        s->state = NET_ST_NEW;
        return s;
    }
    *err = -MOS_ENOSPC;
    return NULL;
}

struct ns_sock *sock_lookup(const struct ns_session *sess, uint64_t id)
{
    if (id > 0xFFFFFFFFull)
        return NULL;
    struct ns_sock *s = &ns_socks[NET_ID_SLOT(id) % NS_MAX_SOCKETS];
    if (NET_ID_SLOT(id) >= NS_MAX_SOCKETS || s->phase != SK_OPEN || s->id != id || s->sess != sess)
        return NULL;
    return s;
}

static uint32_t addr_of(const ip_addr_t *a)
{
    return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a)));
}

static void addr_set(ip_addr_t *a, uint32_t host_order)
{
    ip_addr_set_ip4_u32(a, lwip_htonl(host_order));
}

/* ---------------------------------------------------------------- TCP rx */

/* Move queued received bytes into the rx ring and open the window by as
 * much. Safe inside lwIP's recv callback (it frees only pbufs). */
static void tcp_pump_rx(struct ns_sock *s)
{
    if (s->rx_pend) {
        uint32_t used;
        if (!rx_used(s, &used)) {
            s->proto_error = true;
            sock_mark_work(s);
            return;
        }
        uint32_t space = s->area.rx_size - used, moved = 0;
        while (s->rx_pend && space) {
            struct pbuf *p = s->rx_pend;
            uint32_t n = p->tot_len < space ? p->tot_len : space;
            if (n > 0xFFFFu)
                n = 0xFFFFu;
            uint32_t run = net_ring_run(s->area.rx_size, s->rx_head, n);
            uint32_t at = s->rx_head & (s->area.rx_size - 1);
            pbuf_copy_partial(p, s->area.rx + at, (u16_t)run, 0);
            if (n > run)
                pbuf_copy_partial(p, s->area.rx, (u16_t)(n - run), (u16_t)run);
            s->rx_pend = pbuf_free_header(p, (u16_t)n);
            s->rx_head += n;
            space -= n;
            moved += n;
        }
        if (moved) {
            __atomic_store_n(&s->area.shm->rx_head, s->rx_head, __ATOMIC_RELEASE);
            s->area.shm->rx_bytes += moved;
            for (uint32_t left = moved; left && s->tcp;) {
                uint32_t k = left > 0xFFFFu ? 0xFFFFu : left;
                tcp_recved(s->tcp, (u16_t)k);
                left -= k;
            }
            if (s->sess)
                session_mark_dirty(s->sess);
        }
    }
    if (!s->rx_pend && s->rx_fin && !(s->flags & NET_SF_RX_EOF)) {
        s->flags |= NET_SF_RX_EOF;
        sock_publish(s);
    }
}

static err_t tcp_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct ns_sock *s = arg;
    if (!s || err != ERR_OK) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {
        s->rx_fin = true;
        tcp_pump_rx(s);
        sock_mark_work(s);
        return ERR_OK;
    }
    if (s->shut_rd || s->phase == SK_CLOSING) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    if (s->rx_pend)
        pbuf_cat(s->rx_pend, p);
    else
        s->rx_pend = p;
    tcp_pump_rx(s);
    if (s->rx_pend)
        sock_mark_work(s);      /* the ring is full: ask for a kick */
    return ERR_OK;
}

static err_t tcp_on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    struct ns_sock *s = arg;
    if (s)
        sock_mark_work(s);
    return ERR_OK;
}

static err_t tcp_on_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    struct ns_sock *s = arg;
    if (s)
        sock_mark_work(s);
    return ERR_OK;
}

/* lwIP freed the pcb (reset, time-out, or killed for memory). */
static void tcp_on_err(void *arg, err_t err)
{
    struct ns_sock *s = arg;
    if (!s)
        return;
    s->tcp = NULL;
    bool connecting = s->state == NET_ST_CONNECTING;
    int32_t e;
    if (err == ERR_RST)
        e = connecting ? -MOS_ECONNREFUSED : -MOS_ECONNRESET;
    else if (err == ERR_ABRT || err == ERR_TIMEOUT)
        e = connecting ? -MOS_ETIMEDOUT : -MOS_ECONNRESET;
    else if (err == ERR_CLSD)
        e = -MOS_ENOTCONN;
    else
        e = -MOS_ECONNRESET;
    if (!s->error)
        s->error = e;
    s->state = NET_ST_CLOSED;
    s->rx_fin = true;
    s->flags |= NET_SF_TX_SHUT;
    sock_mark_work(s);
    sock_publish(s);
}

static err_t tcp_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)pcb;
    struct ns_sock *s = arg;
    if (!s)
        return ERR_OK;
    if (err == ERR_OK)
        s->state = NET_ST_CONNECTED;
    sock_mark_work(s);
    sock_publish(s);
    return ERR_OK;
}

static void tcp_attach(struct ns_sock *s, struct tcp_pcb *pcb)
{
    s->tcp = pcb;
    tcp_arg(pcb, s);
    tcp_recv(pcb, tcp_on_recv);
    tcp_sent(pcb, tcp_on_sent);
    tcp_err(pcb, tcp_on_err);
    tcp_poll(pcb, tcp_on_poll, TCP_POLL_HALF_SECONDS);
}

/* A connection completed its handshake on a listening socket: it waits in
 * the listener's queue, with its own area, until NET_ACCEPT. */
static err_t tcp_on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct ns_sock *l = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    if (!l || l->phase != SK_OPEN || l->nembryo >= l->backlog)
        return ERR_MEM;         /* lwIP aborts the connection */
    long e;
    struct ns_sock *s = sock_new(l->sess, NET_TCP, l->rx_req, l->tx_req, &e);
    if (!s)
        return ERR_MEM;
    s->phase = SK_EMBRYO;
    n_embryo++;
    s->state = NET_ST_CONNECTED;
    s->listener = l;
    tcp_attach(s, pcb);
    if (l->q_tail)
        l->q_tail->q_next = s;
    else
        l->q_head = s;
    l->q_tail = s;
    l->nembryo++;
    sock_publish(s);
    sock_publish(l);
    return ERR_OK;
}

/* ---------------------------------------------------------------- TCP tx */

static bool tcp_can_send(const struct ns_sock *s)
{
    return s->tcp && !s->listening && !(s->flags & NET_SF_TX_SHUT) &&
           (s->tcp->state == ESTABLISHED || s->tcp->state == CLOSE_WAIT);
}

static void retry_later(struct ns_sock *s)
{
    if (!s->mem_retry) {
        s->mem_retry = true;
        if (n_retry++ == 0)
            retry_at_ns = ns_now_ns() + RETRY_NS;
    }
}

/* Hand tx bytes to TCP as far as its send buffer allows. Returns false if
 * the client's tx_head was corrupt (the caller fails the socket). */
static bool tcp_pump_tx(struct ns_sock *s)
{
    if (!tcp_can_send(s))
        return true;
    uint32_t avail;
    if (!tx_avail(s, &avail))
        return false;
    uint32_t wrote = 0;
    while (avail) {
        uint32_t room = tcp_sndbuf(s->tcp);
        if (room == 0 || tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 1)
            break;                      /* wait for acknowledgements (tcp_on_sent) */
        uint32_t n = avail < room ? avail : room;
        n = net_ring_run(s->area.tx_size, s->tx_tail, n);
        uint8_t flags = TCP_WRITE_FLAG_COPY | (n < avail ? TCP_WRITE_FLAG_MORE : 0);
        err_t e = tcp_write(s->tcp, s->area.tx + (s->tx_tail & (s->area.tx_size - 1)), (u16_t)n, flags);
        if (e == ERR_MEM) {
            retry_later(s);
            break;
        }
        if (e != ERR_OK) {
            sock_fail(s, -MOS_ECONNRESET);
            return true;
        }
        s->tx_tail += n;
        avail -= n;
        wrote += n;
    }
    if (wrote) {
        __atomic_store_n(&s->area.shm->tx_tail, s->tx_tail, __ATOMIC_RELEASE);
        s->area.shm->tx_bytes += wrote;
        tcp_output(s->tcp);
        if (s->sess)
            session_mark_dirty(s->sess);
    }
    if (avail == 0 && s->shut_wr_req && !(s->flags & NET_SF_TX_SHUT)) {
        tcp_shutdown(s->tcp, 0, 1);
        s->flags |= NET_SF_TX_SHUT;
        sock_publish(s);
    }
    return true;
}

/* A closing socket whose tx bytes are all with TCP: close it for good. */
static void tcp_finish_close(struct ns_sock *s)
{
    if (s->tcp) {
        struct tcp_pcb *pcb = s->tcp;
        tcp_detach(pcb, false);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_attach(s, pcb);         /* out of memory for the FIN: try again */
            retry_later(s);
            return;
        }
        s->tcp = NULL;
    }
    sock_release(s);
}

/* ---------------------------------------------------------------- UDP */

static void udp_on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)pcb;
    struct ns_sock *s = arg;
    if (!s || s->phase != SK_OPEN || s->shut_rd) {
        pbuf_free(p);
        return;
    }
    uint32_t used;
    if (!rx_used(s, &used)) {
        s->proto_error = true;
        sock_mark_work(s);
        pbuf_free(p);
        return;
    }
    uint32_t len = p->tot_len, span = NET_DGRAM_SPAN(len);
    if (len > NET_UDP_MAX || span > s->area.rx_size - used) {
        s->area.shm->rx_dropped++;
        pbuf_free(p);
        return;
    }
    struct net_dgram h = { .len = len, .addr = addr_of(addr), .port = port };
    uint32_t size = s->area.rx_size, pos = s->rx_head + (uint32_t)sizeof h;
    net_ring_write(s->area.rx, size, s->rx_head, &h, sizeof h);
    uint32_t run = net_ring_run(size, pos, len);
    pbuf_copy_partial(p, s->area.rx + (pos & (size - 1)), (u16_t)run, 0);
    if (len > run)
        pbuf_copy_partial(p, s->area.rx, (u16_t)(len - run), (u16_t)run);
    pbuf_free(p);
    s->rx_head += span;
    __atomic_store_n(&s->area.shm->rx_head, s->rx_head, __ATOMIC_RELEASE);
    s->area.shm->rx_bytes += len;
    if (s->sess)
        session_mark_dirty(s->sess);
}

/* Send the datagrams in the tx ring. false: a corrupt record or index. */
static bool udp_pump_tx(struct ns_sock *s)
{
    if (!s->udp || (s->flags & NET_SF_TX_SHUT))
        return true;
    uint32_t avail, size = s->area.tx_size, sent = 0;
    if (!tx_avail(s, &avail))
        return false;
    while (avail) {
        struct net_dgram h;
        if (avail < sizeof h)
            return false;
        net_ring_read(s->area.tx, size, s->tx_tail, &h, sizeof h);
        uint32_t span = NET_DGRAM_SPAN(h.len);
        if (h.len > NET_UDP_MAX || span > avail)
            return false;
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)h.len, PBUF_RAM);
        if (!p) {
            retry_later(s);
            break;
        }
        net_ring_read(s->area.tx, size, s->tx_tail + (uint32_t)sizeof h, p->payload, h.len);
        err_t e;
        if (h.addr || h.port) {
            ip_addr_t to;
            addr_set(&to, h.addr);
            e = udp_sendto(s->udp, p, &to, h.port);
        } else if (s->udp_connected) {
            e = udp_send(s->udp, p);
        } else {
            e = ERR_CONN;
        }
        pbuf_free(p);
        if (e != ERR_OK)
            s->tx_dropped++;
        else
            s->area.shm->tx_bytes += h.len;
        s->tx_tail += span;
        avail -= span;
        sent++;
    }
    if (sent) {
        __atomic_store_n(&s->area.shm->tx_tail, s->tx_tail, __ATOMIC_RELEASE);
        if (s->sess)
            session_mark_dirty(s->sess);
    }
    return true;
}

/* ---------------------------------------------------------------- pump */

/* After a pump: if the socket can only go on when the client acts (rx full
 * with bytes waiting, or tx empty), ask for a kick; look once more in case
 * the client acted meanwhile (then pump again next turn). */
static void sock_want_kick(struct ns_sock *s)
{
    if (s->phase != SK_OPEN)
        return;
    bool rx_blocked = s->rx_pend != NULL;
    bool tx_idle = false;
    uint32_t n;
    if ((s->type == NET_UDP && s->udp) || tcp_can_send(s))
        tx_idle = tx_avail(s, &n) && n == 0;
    if (!rx_blocked && !tx_idle)
        return;
    __atomic_store_n(&s->area.shm->ns_wait, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((rx_blocked && rx_used(s, &n) && n < s->area.rx_size) || (tx_idle && (!tx_avail(s, &n) || n != 0)))
        sock_mark_work(s);
}

static void sock_pump(struct ns_sock *s)
{
    if (s->phase == SK_FREE)
        return;
    if (s->proto_error && s->phase == SK_OPEN) {
        s->proto_error = false;
        sock_fail(s, -MOS_EPROTO);
    }
    if (s->type == NET_TCP) {
        if (s->phase == SK_OPEN || s->phase == SK_EMBRYO)
            tcp_pump_rx(s);
        if (!tcp_pump_tx(s)) {
            if (s->phase == SK_CLOSING) {
                pcb_drop(s, true);
                sock_release(s);
                return;
            }
            sock_fail(s, -MOS_EPROTO);
        }
        if (s->phase == SK_CLOSING) {
            uint32_t avail;
            if (!tcp_can_send(s) || (tx_avail(s, &avail) && avail == 0))
                tcp_finish_close(s);
            return;
        }
    } else if (!udp_pump_tx(s)) {
        sock_fail(s, -MOS_EPROTO);
    }
    sock_want_kick(s);
}

/* ---------------------------------------------------------------- operations */

static void reply_err(struct ns_reply *out, long err)
{
    out->label = err;
}

static long err_of(err_t e)
{
    switch (e) {
    case ERR_OK:      return 0;
    case ERR_MEM:     return -MOS_ENOMEM;
    case ERR_BUF:     return -MOS_ENOMEM;
    case ERR_RTE:     return -MOS_EHOSTUNREACH;
    case ERR_USE:     return -MOS_EADDRINUSE;
    case ERR_ISCONN:  return -MOS_EISCONN;
    case ERR_ALREADY: return -MOS_EINPROGRESS;
    case ERR_CONN:    return -MOS_ENOTCONN;
    case ERR_IF:      return -MOS_ENETDOWN;
    case ERR_RST:     return -MOS_ECONNRESET;
    case ERR_CLSD:    return -MOS_ENOTCONN;
    case ERR_TIMEOUT: return -MOS_ETIMEDOUT;
    default:          return -MOS_EINVAL;
    }
}

static void op_socket(struct ns_session *ss, const struct ns_req *r, struct ns_reply *out)
{
    uint32_t type = (uint32_t)r->w[0], rx = (uint32_t)r->w[1], tx = (uint32_t)r->w[2];
    uint32_t pages = net_area_pages(type, &rx, &tx);     /* checked by req.c */
    if (session_nsock(ss) >= NET_MAX_SOCKETS_PER_SESSION)
        return reply_err(out, -MOS_ENOSPC);
    long err;
    struct ns_sock *s = sock_new(ss, type, rx, tx, &err);
    if (!s)
        return reply_err(out, err);
    if (type == NET_TCP) {
        struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
        if (pcb)
            tcp_attach(s, pcb);
    } else {
        s->udp = udp_new_ip_type(IPADDR_TYPE_V4);
        if (s->udp)
            udp_recv(s->udp, udp_on_recv, s);
    }
    long cap = (s->tcp || s->udp) ? area_client_cap(&s->area) : -MOS_ENOMEM;
    if (cap < 0) {
        sock_release(s);
        return reply_err(out, cap);
    }
    s->phase = SK_OPEN;
    n_open++;
    session_sock_added(ss);
    sock_publish(s);
    out->cap = (mos_handle_t)cap;
    out->w[0] = s->id;
    out->w[1] = pages;
}

static long op_bind(struct ns_sock *s, uint32_t addr, uint16_t port)
{
    if (s->state != NET_ST_NEW)
        return -MOS_EINVAL;
    ip_addr_t a;
    addr_set(&a, addr);
    err_t e;
    if (s->tcp)
        e = tcp_bind(s->tcp, &a, port);
    else if (s->udp)
        e = udp_bind(s->udp, &a, port);
    else
        return -MOS_ENOTCONN;
    if (e != ERR_OK)
        return err_of(e);
    s->state = NET_ST_BOUND;
    sock_publish(s);
    return 0;
}

static long op_listen(struct ns_sock *s, uint64_t backlog)
{
    if (s->type != NET_TCP || !s->tcp || (s->state != NET_ST_NEW && s->state != NET_ST_BOUND))
        return s->listening ? 0 : -MOS_EINVAL;
    if (s->state == NET_ST_NEW) {
        long r = op_bind(s, NET_ADDR_ANY, 0);
        if (r)
            return r;
    }
    unsigned b = backlog == 0 ? 1 : backlog > NET_BACKLOG_MAX ? NET_BACKLOG_MAX : (unsigned)backlog;
    err_t e = ERR_OK;
    struct tcp_pcb *l = tcp_listen_with_backlog_and_err(s->tcp, (u8_t)b, &e);
    if (!l)
        return err_of(e);
    /* The old pcb is freed by lwIP; the listening one takes its place. */
    s->tcp = l;
    s->listening = true;
    s->backlog = (uint16_t)b;
    tcp_arg(l, s);
    tcp_accept(l, tcp_on_accept);
    s->state = NET_ST_LISTEN;
    sock_publish(s);
    return 0;
}

static void op_accept(struct ns_session *ss, struct ns_sock *l, struct ns_reply *out)
{
    if (!l->listening)
        return reply_err(out, -MOS_EINVAL);
    struct ns_sock *s = l->q_head;
    if (!s)
        return reply_err(out, -MOS_EAGAIN);
    if (session_nsock(ss) >= NET_MAX_SOCKETS_PER_SESSION)
        return reply_err(out, -MOS_ENOSPC);
    long cap = area_client_cap(&s->area);
    if (cap < 0)
        return reply_err(out, cap);
    l->q_head = s->q_next;
    if (!l->q_head)
        l->q_tail = NULL;
    l->nembryo--;
    s->q_next = NULL;
    s->listener = NULL;
    s->phase = SK_OPEN;
    n_embryo--;
    n_open++;
    session_sock_added(ss);
    sock_publish(l);
    sock_publish(s);
    sock_mark_work(s);
    out->cap = (mos_handle_t)cap;
    out->w[0] = s->id;
    out->w[1] = s->area.pages;
    if (s->tcp) {
        out->w[2] = addr_of(&s->tcp->remote_ip);
        out->w[3] = s->tcp->remote_port;
    }
}

static long op_connect(struct ns_sock *s, uint32_t addr, uint16_t port)
{
    ip_addr_t a;
    addr_set(&a, addr);
    if (s->type == NET_UDP) {
        if (!s->udp)
            return -MOS_ENOTCONN;
        if (addr == 0 && port == 0) {
            udp_disconnect(s->udp);
            s->udp_connected = false;
            s->state = NET_ST_BOUND;
        } else {
            if (port == 0)
                return -MOS_EINVAL;
            err_t e = udp_connect(s->udp, &a, port);
            if (e != ERR_OK)
                return err_of(e);
            s->udp_connected = true;
            s->state = NET_ST_CONNECTED;
        }
        sock_publish(s);
        return 0;
    }
    if (s->state == NET_ST_CONNECTING)
        return -MOS_EINPROGRESS;
    if (s->state == NET_ST_CONNECTED || s->state == NET_ST_LISTEN)
        return -MOS_EISCONN;
    if (!s->tcp || s->state == NET_ST_CLOSED)
        return s->error ? s->error : -MOS_ENOTCONN;
    if (port == 0 || addr == 0)
        return -MOS_EINVAL;
    err_t e = tcp_connect(s->tcp, &a, port, tcp_on_connected);
    if (e != ERR_OK)
        return err_of(e);
    s->state = NET_ST_CONNECTING;
    sock_publish(s);
    return 0;
}

static long op_shutdown(struct ns_sock *s, uint64_t how)
{
    if (how & NET_SHUT_RD) {
        s->shut_rd = true;
        rx_pend_drop(s);
        s->flags |= NET_SF_RX_EOF;
    }
    if (how & NET_SHUT_WR) {
        if (s->type == NET_UDP || !tcp_can_send(s))
            s->flags |= NET_SF_TX_SHUT;
        else
            s->shut_wr_req = true;
        sock_mark_work(s);
    }
    sock_publish(s);
    return 0;
}

static long op_getname(struct ns_sock *s, uint64_t peer, struct ns_reply *out)
{
    const ip_addr_t *ip;
    u16_t port;
    if (s->tcp) {
        if (s->listening) {
            if (peer)
                return -MOS_ENOTCONN;
            struct tcp_pcb_listen *l = (struct tcp_pcb_listen *)(void *)s->tcp;
            ip = &l->local_ip;
            port = l->local_port;
        } else if (peer) {
            if (s->state != NET_ST_CONNECTED)
                return -MOS_ENOTCONN;
            ip = &s->tcp->remote_ip;
            port = s->tcp->remote_port;
        } else {
            ip = &s->tcp->local_ip;
            port = s->tcp->local_port;
        }
    } else if (s->udp) {
        if (peer && !s->udp_connected)
            return -MOS_ENOTCONN;
        ip = peer ? &s->udp->remote_ip : &s->udp->local_ip;
        port = peer ? s->udp->remote_port : s->udp->local_port;
    } else {
        return -MOS_ENOTCONN;
    }
    out->w[0] = addr_of(ip);
    out->w[1] = port;
    return 0;
}

static long op_setopt(struct ns_sock *s, uint64_t opt, uint64_t val)
{
    struct ip_pcb_common { IP_PCB; };
    void *pcb = s->tcp ? (void *)s->tcp : (void *)s->udp;
    if (!pcb)
        return -MOS_ENOTCONN;
    u8_t *so = &((struct ip_pcb_common *)pcb)->so_options;
    switch (opt) {
    case NET_OPT_NODELAY:
        if (!s->tcp || s->listening)
            return -MOS_EINVAL;
        if (val)
            tcp_nagle_disable(s->tcp);
        else
            tcp_nagle_enable(s->tcp);
        return 0;
    case NET_OPT_KEEPALIVE:
        if (!s->tcp)
            return -MOS_EINVAL;
        *so = (u8_t)(val ? *so | SOF_KEEPALIVE : *so & ~SOF_KEEPALIVE);
        return 0;
    case NET_OPT_REUSEADDR:
        *so = (u8_t)(val ? *so | SOF_REUSEADDR : *so & ~SOF_REUSEADDR);
        return 0;
    case NET_OPT_BROADCAST:
        if (!s->udp)
            return -MOS_EINVAL;
        *so = (u8_t)(val ? *so | SOF_BROADCAST : *so & ~SOF_BROADCAST);
        return 0;
    }
    return -MOS_EINVAL;
}

/* Close a socket the client had: its view goes at once; TCP bytes already
 * in the tx ring still go out (CLOSING) unless the connection is gone. */
void sock_close(struct ns_sock *s)
{
    area_revoke(&s->area);
    if (s->sess && s->phase == SK_OPEN)
        session_sock_removed(s->sess);
    struct ns_session *sess = s->sess;
    s->sess = NULL;
    if (sess)
        session_mark_dirty(sess);
    if (s->listening) {
        while (s->q_head) {
            struct ns_sock *e = s->q_head;
            s->q_head = e->q_next;
            sock_release(e);
        }
        s->q_tail = NULL;
        sock_release(s);
        return;
    }
    if (s->type == NET_UDP) {
        (void)udp_pump_tx(s);
        sock_release(s);
        return;
    }
    if (!tcp_can_send(s)) {
        /* Never connected, connecting, shut for writing, or over: lwIP
         * finishes whatever closing sequence is left. */
        pcb_drop(s, false);
        sock_release(s);
        return;
    }
    rx_pend_drop(s);
    s->shut_rd = true;
    n_open--;
    n_closing++;
    s->phase = SK_CLOSING;
    s->linger_deadline = ns_now_ns() + (uint64_t)NS_LINGER_MS * 1000000ull;
    sock_mark_work(s);
}

void sock_op(struct ns_session *ss, const struct ns_req *r, mos_handle_t reply, struct ns_reply *out)
{
    if (r->op == NET_SOCKET)
        return op_socket(ss, r, out);
    if (r->op == NET_WAIT)
        return session_wait(ss, r, reply, out);
    struct ns_sock *s = sock_lookup(ss, r->w[0]);
    if (!s)
        return reply_err(out, -MOS_EBADHANDLE);
    switch (r->op) {
    case NET_BIND:     out->label = op_bind(s, (uint32_t)r->w[1], (uint16_t)r->w[2]); break;
    case NET_LISTEN:   out->label = op_listen(s, r->w[1]); break;
    case NET_ACCEPT:   op_accept(ss, s, out); break;
    case NET_CONNECT:  out->label = op_connect(s, (uint32_t)r->w[1], (uint16_t)r->w[2]); break;
    case NET_SHUTDOWN: out->label = op_shutdown(s, r->w[1]); break;
    case NET_CLOSE:    sock_close(s); break;
    case NET_GETNAME:  out->label = op_getname(s, r->w[1], out); break;
    case NET_SETOPT:   out->label = op_setopt(s, r->w[1], r->w[2]); break;
    default:           out->label = -MOS_ENOSYS; break;
    }
}

/* ---------------------------------------------------------------- readiness */

uint32_t sock_events(const struct ns_sock *s, uint32_t want)
{
    uint32_t ev = 0, n;
    if (s->error)
        ev |= NET_EV_ERR;
    if ((s->flags & (NET_SF_RX_EOF | NET_SF_TX_SHUT)) == (NET_SF_RX_EOF | NET_SF_TX_SHUT))
        ev |= NET_EV_HUP;
    if (want & NET_EV_IN) {
        if (s->listening ? s->nembryo > 0
                         : (s->flags & NET_SF_RX_EOF) || !rx_used(s, &n) || n > 0)
            ev |= NET_EV_IN;
    }
    if (want & NET_EV_OUT) {
        bool can = s->type == NET_UDP ? s->udp != NULL : s->state == NET_ST_CONNECTED;
        if (!tx_avail(s, &n))
            ev |= NET_EV_ERR;
        else if (can && !(s->flags & NET_SF_TX_SHUT) && s->area.tx_size - n >= s->area.tx_size / 4)
            ev |= NET_EV_OUT;
        else if (s->type == NET_TCP && s->state == NET_ST_CLOSED)
            ev |= NET_EV_OUT;           /* a connect that ended: the client looks at error */
    }
    return ev;
}

/* ---------------------------------------------------------------- the loop's turn */

void sock_kick(uint64_t bits)
{
    for (unsigned b = NET_KICK_FIRST; b < 64; b++) {
        if (!(bits & (1ull << b)))
            continue;
        for (unsigned slot = b - NET_KICK_FIRST; slot < NS_MAX_SOCKETS; slot += 56)
            if (ns_socks[slot].phase == SK_OPEN)
                sock_mark_work(&ns_socks[slot]);
    }
}

void sock_run(void)
{
    uint64_t now = ns_now_ns();
    if (n_retry && now >= retry_at_ns) {
        for (unsigned i = 0; i < NS_MAX_SOCKETS; i++) {
            if (ns_socks[i].mem_retry) {
                ns_socks[i].mem_retry = false;
                sock_mark_work(&ns_socks[i]);
            }
        }
        n_retry = 0;
    }
    /* Pump what has work; a pump may mark more (then the loop comes back at once). */
    uint64_t todo[NS_MAX_SOCKETS / 64];
    for (unsigned w = 0; w < NS_MAX_SOCKETS / 64; w++) {
        todo[w] = work_bits[w];
        work_bits[w] = 0;
    }
    for (unsigned w = 0; w < NS_MAX_SOCKETS / 64; w++) {
        while (todo[w]) {
            unsigned b = (unsigned)__builtin_ctzll(todo[w]);
            todo[w] &= todo[w] - 1;
            sock_pump(&ns_socks[w * 64 + b]);
        }
    }
    if (n_closing) {
        for (unsigned i = 0; i < NS_MAX_SOCKETS; i++) {
            struct ns_sock *s = &ns_socks[i];
            if (s->phase == SK_CLOSING && now >= s->linger_deadline) {
                pcb_drop(s, true);
                sock_release(s);
            }
        }
    }
    session_run(now);
}

uint32_t sock_next_ms(void)
{
    for (unsigned w = 0; w < NS_MAX_SOCKETS / 64; w++)
        if (work_bits[w])
            return 0;
    uint64_t now = ns_now_ns(), next = session_next_ns(now);
    if (n_retry && retry_at_ns < next)
        next = retry_at_ns;
    if (n_closing) {
        for (unsigned i = 0; i < NS_MAX_SOCKETS; i++)
            if (ns_socks[i].phase == SK_CLOSING && ns_socks[i].linger_deadline < next)
                next = ns_socks[i].linger_deadline;
    }
    if (next == UINT64_MAX)
        return UINT32_MAX;
    if (next <= now)
        return 0;
    uint64_t ms = (next - now + 999999u) / 1000000u;
    return ms > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)ms;
}

void sock_tx_resume(void)
{
    for (unsigned i = 0; i < NS_MAX_SOCKETS; i++)
        if (ns_socks[i].tcp && !ns_socks[i].listening)
            tcp_output(ns_socks[i].tcp);
}

void sock_close_session(struct ns_session *ss)
{
    for (unsigned i = 0; i < NS_MAX_SOCKETS; i++)
        if (ns_socks[i].phase == SK_OPEN && ns_socks[i].sess == ss)
            sock_close(&ns_socks[i]);
}

void sock_counts(uint32_t *sessions, uint32_t *sockets, uint32_t *closing, uint32_t *waits)
{
    session_counts(sessions, waits);
    *sockets = n_open + n_embryo;
    *closing = n_closing;
}

void sock_init(void)
{
    for (unsigned i = 0; i < NS_MAX_SOCKETS; i++)
        ns_socks[i] = (struct ns_sock){ .slot = (uint16_t)i, .phase = SK_FREE };
}
