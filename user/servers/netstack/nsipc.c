// SPDX-License-Identifier: MIT
/* nsipc.c - the socket protocol's front door: copy the request out of the
 * IPC buffer (the reply will overwrite it), check its shape (req.c), find
 * the caller's session by badge, dispatch, and reply through the call's
 * REPLY capability unless the handler kept it (deferred). Capabilities
 * that arrive are deleted unless a handler took them (only NET_HELLO's
 * liveness token is ever kept), so a client cannot fill the netstack's
 * capability space. A reply that carries a capability moves it. */
#include "ns.h"
#include "nsipc.h"
#include "req.h"
#include "sock.h"
#include "ops.h"
#include "nic.h"
#include "area.h"
#include "lwip/stats.h"
#include "lwip/memp.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/priv/tcp_priv.h"

uint64_t nsipc_bad_requests;
static uint8_t req_data[MOS_MSG_MAX_BYTES];
static struct net_ifinfo info_buf;

static uint32_t count_tcp(struct tcp_pcb *list)
{
    uint32_t n = 0;
    for (struct tcp_pcb *p = list; p; p = p->next)
        n++;
    return n;
}

static void op_ifinfo(struct ns_reply *out)
{
    struct net_ifinfo *o = &info_buf;
    *o = (struct net_ifinfo){ 0 };
    nic_info(o);
    o->epoch = ns_epoch;
    o->ip_rx = lwip_stats.ip.recv;
    o->ip_drop = lwip_stats.ip.drop;
    o->tcp_rx = lwip_stats.tcp.recv;
    o->tcp_drop = lwip_stats.tcp.drop;
    o->udp_rx = lwip_stats.udp.recv;
    o->udp_drop = lwip_stats.udp.drop;
    o->icmp_rx = lwip_stats.icmp.recv;
    o->icmp_drop = lwip_stats.icmp.drop;
    o->ip_tx = lwip_stats.ip.xmit;
    o->tcp_tx = lwip_stats.tcp.xmit;
    o->udp_tx = lwip_stats.udp.xmit;
    o->icmp_tx = lwip_stats.icmp.xmit;
    o->ipc_bad_requests = nsipc_bad_requests;
    uint32_t waits;
    sock_counts(&o->sessions, &o->sockets, &o->closing, &waits);
    o->waits = waits + ops_pending();
    o->shm_pages = area_pages_in_use();
    o->lwip_mem_used = lwip_stats.mem.used;
    o->pbufs = lwip_stats.memp[MEMP_PBUF_POOL]->used + lwip_stats.memp[MEMP_PBUF]->used;
    o->tcp_pcbs = count_tcp(tcp_active_pcbs) + count_tcp(tcp_bound_pcbs);
    for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
        o->tcp_pcbs++;
    o->tcp_tw_pcbs = count_tcp(tcp_tw_pcbs);
    uint32_t nu = 0;
    for (struct udp_pcb *u = udp_pcbs; u; u = u->next)
        nu++;
    o->udp_pcbs = nu;
    o->tcp_segs = lwip_stats.memp[MEMP_TCP_SEG]->used;
    out->data = o;
    out->bytes = sizeof *o;
}

static void dispatch(struct ns_session *ss, const struct ns_req *r, mos_handle_t reply,
                     mos_handle_t cap0, struct ns_reply *out)
{
    switch (r->op) {
    case NET_HELLO:
        out->label = session_hello(ss, cap0);
        out->w[0] = ns_epoch;
        out->w[1] = NET_MAX_SOCKETS_PER_SESSION;
        out->w[2] = NET_PROTO_VERSION;
        break;
    case NET_IFINFO:
        op_ifinfo(out);
        break;
    case NET_PING:
        ops_ping(r, reply, out);
        break;
    case NET_RESOLVE:
        ops_resolve(r, reply, out);
        break;
    case NET_SESSION_NEW: {
        uint64_t badge = 0;
        long cap = session_new_for(ss, &badge);
        if (cap < 0) {
            out->label = cap;
        } else {
            out->cap = (mos_handle_t)cap;
            out->w[0] = badge;
        }
        break;
    }
    case NET_SESSION_END:
        out->label = session_end_by(r->badge, r->w[0]);
        break;
    default:
        sock_op(ss, r, reply, out);
        break;
    }
}

void nsipc_handle(const struct mos_msg *m)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    uint32_t flags = mos_msg_flags(m->info);
    uint32_t ncaps = mos_msg_ncaps(m->info);
    mos_handle_t caps[MOS_MSG_MAX_CAPS] = { 0 };
    for (uint32_t i = 0; i < ncaps && i < MOS_MSG_MAX_CAPS; i++)
        caps[i] = buf->caps[i];
    struct ns_req r = {
        .op = mos_msg_label(m->info),
        .badge = m->badge,
        .w = { m->w[0], m->w[1], m->w[2], m->w[3] },
        .data = req_data,
        .bytes = mos_msg_bytes(m->info),
        .ncaps = ncaps,
        .call = (flags & MOS_MSG_CALL) != 0,
    };
    if (r.bytes > sizeof req_data)
        r.bytes = sizeof req_data;
    memcpy(req_data, buf->data, r.bytes);
    /* REPLY_SLOT: the REPLY capability, or 0 (then the implicit right holds
     * it until the next receive: answer now, never defer). */
    mos_handle_t reply = r.call ? buf->reply : 0;

    struct ns_reply out = { 0 };
    mos_handle_t keep = 0;
    int err = ns_req_check(&r);
    struct ns_session *ss = NULL;
    /* NET_SESSION_END acts on another badge's session: the sender (init,
     * ending a dead service's session) must not get one of its own. */
    if (!err && r.op != NET_SESSION_END && !(ss = session_get(r.badge)))
        err = -MOS_ENOSPC;
    if (err) {
        nsipc_bad_requests += err != -MOS_ENOSPC;
        out.label = err;
    } else {
        if (r.op == NET_HELLO && ncaps == 1)
            keep = caps[0];
        dispatch(ss, &r, reply, keep, &out);
    }
    for (uint32_t i = 0; i < ncaps && i < MOS_MSG_MAX_CAPS; i++)
        if (caps[i] && caps[i] != keep)
            (void)mos_cap_delete(caps[i]);
    if (out.deferred)
        return;
    if (!r.call) {
        if (out.cap)
            (void)mos_cap_delete(out.cap);
        if (reply)
            (void)mos_cap_delete(reply);
        return;
    }
    mos_msginfo_t info;
    mos_handle_t give[1] = { out.cap };
    if (mos_ipc_stage(buf, (uint32_t)out.label, out.data, out.bytes, give, out.cap ? 1 : 0, 1u, 0, &info) == 0)
        (void)mos_ipc_reply(reply, info, out.w[0], out.w[1], out.w[2], out.w[3]);
    if (out.cap)
        (void)mos_cap_delete(out.cap);      /* moved (stale now), or the caller was gone */
}
