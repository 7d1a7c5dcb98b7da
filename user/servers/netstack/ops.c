// SPDX-License-Identifier: MIT
/* ops.c - the two requests answered by the network rather than the
 * netstack: NET_PING (one ICMP echo through a raw pcb) and NET_RESOLVE
 * (lwIP's DNS client). Each pending one holds the caller's REPLY
 * capability and a deadline, in a small fixed table; the netstack goes on
 * serving everyone else meanwhile. A reply that finds its caller gone is
 * simply dropped (the kernel consumes the capability). */
#include "ns.h"
#include "ops.h"
#include "lwip/raw.h"
#include "lwip/icmp.h"
#include "lwip/ip.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"
#include "lwip/dns.h"
#include "lwip/def.h"

#define PING_ID_BASE  0x4D00u           /* ICMP ids 0x4D00 + slot */
#define DNS_GUARD_NS  (30ull * 1000000000ull)

struct ping {
    bool used;
    mos_handle_t reply;
    uint32_t addr;
    uint16_t seq;
    uint64_t sent_ns, deadline;
};

struct resolve {
    bool used;
    uint32_t gen;
    mos_handle_t reply;
    uint64_t deadline;
};

static struct ping pings[NS_MAX_PINGS];
static struct resolve resolves[NS_MAX_RESOLVES];
static struct raw_pcb *ping_pcb;
static uint32_t resolve_gen;

static void answer(mos_handle_t reply, long label, uint64_t w0, uint64_t w1, uint64_t w2)
{
    uint64_t w[4] = { w0, w1, w2, 0 };
    (void)mos_reply(reply, (uint32_t)label, w, NULL, 0, NULL, 0);
}

/* ---------------------------------------------------------------- ping */

/* Every ICMP packet passes here first (payload at the IP header). Echo
 * replies that answer one of ours are eaten; everything else goes on to
 * lwIP's own ICMP (which answers echo requests). */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)arg;
    (void)pcb;
    struct ip_hdr iph;
    struct icmp_echo_hdr e;
    if (pbuf_copy_partial(p, &iph, sizeof iph, 0) != sizeof iph)
        return 0;
    u16_t hlen = (u16_t)(IPH_HL(&iph) * 4);
    if (hlen < IP_HLEN || pbuf_copy_partial(p, &e, sizeof e, hlen) != sizeof e || e.type != ICMP_ER)
        return 0;
    uint16_t id = lwip_ntohs(e.id), seq = lwip_ntohs(e.seqno);
    if (id < PING_ID_BASE || id >= PING_ID_BASE + NS_MAX_PINGS)
        return 0;
    struct ping *pg = &pings[id - PING_ID_BASE];
    uint32_t from = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr)));
    if (!pg->used || pg->seq != seq || pg->addr != from)
        return 0;
    uint64_t rtt = ns_now_ns() - pg->sent_ns;
    answer(pg->reply, 0, rtt, IPH_TTL(&iph), (uint64_t)(p->tot_len - hlen - sizeof e));
    pg->used = false;
    pbuf_free(p);
    return 1;
}

void ops_ping(const struct ns_req *r, mos_handle_t reply, struct ns_reply *out)
{
    if (!reply) {
        out->label = -MOS_EBUSY;
        return;
    }
    if (!ping_pcb) {
        ping_pcb = raw_new(IP_PROTO_ICMP);
        if (!ping_pcb) {
            out->label = -MOS_ENOMEM;
            return;
        }
        raw_recv(ping_pcb, ping_recv, NULL);
    }
    struct ping *pg = NULL;
    unsigned slot = 0;
    for (; slot < NS_MAX_PINGS; slot++) {
        if (!pings[slot].used) {
            pg = &pings[slot];
            break;
        }
    }
    if (!pg) {
        out->label = -MOS_EBUSY;
        return;
    }
    uint32_t bytes = (uint32_t)r->w[1];
    struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)(sizeof(struct icmp_echo_hdr) + bytes), PBUF_RAM);
    if (!p) {
        out->label = -MOS_ENOMEM;
        return;
    }
    struct icmp_echo_hdr *e = p->payload;
    e->type = ICMP_ECHO;
    e->code = 0;
    e->chksum = 0;
    e->id = lwip_htons((u16_t)(PING_ID_BASE + slot));
    e->seqno = lwip_htons((u16_t)r->w[3]);
    uint8_t *data = (uint8_t *)(e + 1);
    for (uint32_t i = 0; i < bytes; i++)
        data[i] = (uint8_t)('A' + i % 26);
    e->chksum = inet_chksum(e, (u16_t)(sizeof *e + bytes));
    ip_addr_t to;
    ip_addr_set_ip4_u32(&to, lwip_htonl((uint32_t)r->w[0]));
    pg->sent_ns = ns_now_ns();
    err_t err = raw_sendto(ping_pcb, p, &to);
    pbuf_free(p);
    if (err != ERR_OK) {
        out->label = err == ERR_RTE ? -MOS_EHOSTUNREACH : -MOS_ENETDOWN;
        return;
    }
    pg->used = true;
    pg->reply = reply;
    pg->addr = (uint32_t)r->w[0];
    pg->seq = (uint16_t)r->w[3];
    pg->deadline = pg->sent_ns + r->w[2] * 1000000u;
    out->deferred = true;
}

/* ---------------------------------------------------------------- DNS */

static void resolve_found(const char *name, const ip_addr_t *addr, void *arg)
{
    (void)name;
    uint32_t key = (uint32_t)(uintptr_t)arg, slot = key % NS_MAX_RESOLVES;
    struct resolve *rs = &resolves[slot];
    if (!rs->used || rs->gen != key / NS_MAX_RESOLVES)
        return;                         /* answered by the guard already */
    if (addr)
        answer(rs->reply, 0, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))), 0, 0);
    else
        answer(rs->reply, -MOS_ENOENT, 0, 0, 0);
    rs->used = false;
}

void ops_resolve(const struct ns_req *r, mos_handle_t reply, struct ns_reply *out)
{
    char name[NET_NAME_MAX];
    ns_req_name(r, name);
    ip_addr_t a;
    if (ipaddr_aton(name, &a)) {
        out->w[0] = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&a)));
        return;
    }
    unsigned slot = 0;
    while (slot < NS_MAX_RESOLVES && resolves[slot].used)
        slot++;
    if (slot == NS_MAX_RESOLVES || !reply) {
        out->label = -MOS_EBUSY;
        return;
    }
    uint32_t gen = ++resolve_gen & 0x0FFFFFFFu;
    uint32_t key = gen * NS_MAX_RESOLVES + slot;
    err_t e = dns_gethostbyname(name, &a, resolve_found, (void *)(uintptr_t)key);
    if (e == ERR_OK) {
        out->w[0] = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&a)));
        return;
    }
    if (e != ERR_INPROGRESS) {
        /* ERR_VAL: no DNS server known (no DHCP lease yet, or none offered). */
        out->label = e == ERR_VAL ? -MOS_ENETDOWN : -MOS_ENOMEM;
        return;
    }
    resolves[slot] = (struct resolve){ .used = true, .gen = gen, .reply = reply,
                                       .deadline = ns_now_ns() + DNS_GUARD_NS };
    out->deferred = true;
}

/* ---------------------------------------------------------------- time */

void ops_run(uint64_t now)
{
    for (unsigned i = 0; i < NS_MAX_PINGS; i++) {
        if (pings[i].used && now >= pings[i].deadline) {
            answer(pings[i].reply, -MOS_ETIMEDOUT, 0, 0, 0);
            pings[i].used = false;
        }
    }
    for (unsigned i = 0; i < NS_MAX_RESOLVES; i++) {
        if (resolves[i].used && now >= resolves[i].deadline) {
            answer(resolves[i].reply, -MOS_ETIMEDOUT, 0, 0, 0);
            resolves[i].used = false;
        }
    }
}

uint64_t ops_next_ns(void)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < NS_MAX_PINGS; i++)
        if (pings[i].used && pings[i].deadline < next)
            next = pings[i].deadline;
    for (unsigned i = 0; i < NS_MAX_RESOLVES; i++)
        if (resolves[i].used && resolves[i].deadline < next)
            next = resolves[i].deadline;
    return next;
}

uint32_t ops_pending(void)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < NS_MAX_PINGS; i++)
        n += pings[i].used;
    for (unsigned i = 0; i < NS_MAX_RESOLVES; i++)
        n += resolves[i].used;
    return n;
}
