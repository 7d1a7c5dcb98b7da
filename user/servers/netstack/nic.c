// SPDX-License-Identifier: MIT
/* nic.c - attaching to the NIC driver and moving frames (see nic.h).
 *
 * Attach: NETDEV_ATTACH (sent with MOS_MSG_NONBLOCK, so a driver that is not
 * receiving, or not there, costs a retry and never a hang) carries a copy of
 * our endpoint for the driver's notifications; the reply carries the shared
 * region, which is checked (capability type, rights, size; the header's
 * layout, req.c) before anything in it is used. Then the netstack posts half
 * the buffers to rx_free and keeps the rest for transmitting.
 *
 * Ownership: each buffer belongs to the netstack (free for tx, or a spare rx
 * buffer the full rx_free ring could not take) or to the driver (posted for
 * rx, or queued for tx); owner[] records which. A descriptor the driver
 * returns is accepted only for a buffer the driver owns in that role, and
 * only if its frame lies inside that buffer behind the headroom; anything
 * else is counted (rx_bad_desc / tx_bad_desc) and dropped.
 *
 * Re-attach: a -MOS_EDEAD from the driver, NETDEV_EV_RESET, a corrupt ring,
 * or a transmit ring the driver stopped draining (the driver restarted and
 * forgot us) drops the region and attaches again. The lwIP interface stays,
 * with its address, so TCP connections survive when the link does. */
#include "ns.h"
#include "nic.h"
#include "req.h"
#include "sock.h"
#include "netring.h"
#include "proto/netdev.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"
#include "lwip/def.h"
#include "netif/ethernet.h"

enum { OWN_NS_TX, OWN_NS_RX, OWN_DRV_RX, OWN_DRV_TX };
enum { NIC_ABSENT, NIC_DOWN, NIC_UP };

#define RX_BATCH          256u
#define STALL_NS          (1000ull * 1000000ull)    /* tx_ready not drained this long: ask */
#define STATUS_NS         (2000ull * 1000000ull)    /* NETDEV_STATUS this often */
#define RETRY_MIN_MS      20u
#define RETRY_MAX_MS      2000u
#define NIC_BADGE         0x4E4943ull               /* "NIC": our endpoint copy for the driver */

static struct {
    uint64_t netdev;
    int st;
    mos_handle_t region;
    uint8_t *base;
    struct netdev_shared *sh;
    uint32_t ring_size, buf_off, buf_size, nbufs;
    struct netring *rx_free, *rx_done, *tx_ready, *tx_done;
    uint8_t *owner;             /* [nbufs], malloc'ed, kept across attaches */
    uint32_t owner_cap;
    uint32_t *tx_free, n_tx_free, n_tx_total;
    uint32_t *rx_spare, n_rx_spare;
    bool kick_tx, kick_rx, tx_starved, busy;
    uint64_t retry_at, stall_since, status_at;
    uint32_t retry_ms;
    uint32_t stall_tail;
    bool said_absent;
    unsigned busy_tries;        /* NETDEV_ATTACH found no driver receiving, in a row */
    uint8_t mac[6];
    bool link;
    /* lwIP */
    struct netif netif;
    bool netif_added;
    uint32_t attaches;
    /* counters (struct net_ifinfo) */
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_bad_desc;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_bad_desc;
} nic;

static void nic_log_addr(struct netif *n)
{
    char a[16], m[16], g[16], d[16];
    const ip_addr_t *dns = dns_getserver(0);
    printf("netstack: %c%c%u %s/%s gw %s dns %s%s\n", n->name[0], n->name[1], n->num,
           ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a), ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof m),
           ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g), ip4addr_ntoa_r(ip_2_ip4(dns), d, sizeof d),
           dhcp_supplied_address(n) ? " (DHCP)" : "");
}

/* lwIP calls this while it is still setting the address: log on the
 * next turn of the loop, when mask, gateway and DNS are in place too. */
static bool nic_addr_changed;
static void nic_status_cb(struct netif *n)
{
    (void)n;
    nic_addr_changed = true;
}

/* ---------------------------------------------------------------- buffers */

static void rx_post(uint32_t id)
{
    struct netring_desc d = {
        .offset = nic.buf_off + id * nic.buf_size + NETDEV_HEADROOM,
        .len = nic.buf_size - NETDEV_HEADROOM,
        .id = id,
    };
    if (netring_push(nic.rx_free, nic.ring_size, &d)) {
        nic.owner[id] = OWN_DRV_RX;
        nic.kick_rx = true;
    } else {
        nic.owner[id] = OWN_NS_RX;
        nic.rx_spare[nic.n_rx_spare++] = id;
    }
}

static void rx_repost_spares(void)
{
    while (nic.n_rx_spare) {
        uint32_t id = nic.rx_spare[nic.n_rx_spare - 1];
        struct netring_desc d = {
            .offset = nic.buf_off + id * nic.buf_size + NETDEV_HEADROOM,
            .len = nic.buf_size - NETDEV_HEADROOM,
            .id = id,
        };
        if (!netring_push(nic.rx_free, nic.ring_size, &d))
            return;
        nic.n_rx_spare--;
        nic.owner[id] = OWN_DRV_RX;
        nic.kick_rx = true;
    }
}

/* ---------------------------------------------------------------- attach */

static void nic_drop_region(void)
{
    if (nic.region)
        (void)mos_cap_delete(nic.region);      /* unmaps it */
    nic.region = 0;
    nic.base = NULL;
    nic.sh = NULL;
    nic.st = NIC_DOWN;
    nic.n_tx_free = nic.n_tx_total = nic.n_rx_spare = 0;
    if (nic.netif_added)
        netif_set_link_down(&nic.netif);
    nic.link = false;
}

static void nic_schedule_retry(bool slow)
{
    nic.retry_ms = slow ? RETRY_MAX_MS : nic.retry_ms ? nic.retry_ms * 2 : RETRY_MIN_MS;
    if (nic.retry_ms > RETRY_MAX_MS)
        nic.retry_ms = RETRY_MAX_MS;
    nic.retry_at = ns_now_ns() + (uint64_t)nic.retry_ms * 1000000u;
}

static err_t nic_linkoutput(struct netif *n, struct pbuf *p);

static err_t nic_netif_init(struct netif *n)
{
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->output = etharp_output;
    n->linkoutput = nic_linkoutput;
    n->mtu = NETDEV_MTU;
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, nic.mac, ETH_HWADDR_LEN);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

static void nic_link_update(void)
{
    bool up = nic.st == NIC_UP && nic.sh->link_up != 0;
    if (up == nic.link)
        return;
    nic.link = up;
    if (up) {
        netif_set_link_up(&nic.netif);
        printf("netstack: en0 link up\n");
    } else {
        netif_set_link_down(&nic.netif);
        printf("netstack: en0 link down\n");
    }
}

/* Check and map the region of an ATTACH reply; 0 or an error. */
static long nic_take_region(mos_handle_t region, uint64_t pages)
{
    struct mos_cap_info ci;
    long r = mos_cap_inspect(region, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0);
    if (r < 0)
        return r;
    if (ci.type != MOS_CAP_MEMORY)
        return -MOS_EBADTYPE;
    if ((ci.rights & (MOS_RIGHT_READ | MOS_RIGHT_WRITE)) != (MOS_RIGHT_READ | MOS_RIGHT_WRITE))
        return -MOS_EPERM;
    if (ci.count == 0 || ci.count > NS_NIC_MAX_PAGES || pages != ci.count)
        return -MOS_ERANGE;
    r = mos_mem_map(region, MOS_SELF, NS_NIC_VA, 0, ci.count, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        return r;
    struct netdev_shared h;
    memcpy(&h, (const void *)(uintptr_t)NS_NIC_VA, sizeof h);  /* one look: it cannot change under us */
    if (!ns_netdev_layout_ok(&h, (uint64_t)ci.count * MOS_PAGE_SIZE))
        return -MOS_EPROTO;
    if (h.nbufs > nic.owner_cap) {
        free(nic.owner);
        free(nic.tx_free);
        free(nic.rx_spare);
        nic.owner = malloc(h.nbufs);
        nic.tx_free = malloc(h.nbufs * sizeof(uint32_t));
        nic.rx_spare = malloc(h.nbufs * sizeof(uint32_t));
        nic.owner_cap = nic.owner && nic.tx_free && nic.rx_spare ? h.nbufs : 0;
        if (!nic.owner_cap)
            return -MOS_ENOMEM;
    }
    nic.base = (uint8_t *)(uintptr_t)NS_NIC_VA;
    nic.sh = (struct netdev_shared *)(uintptr_t)NS_NIC_VA;
    nic.ring_size = h.ring_size;
    nic.buf_off = h.buf_off;
    nic.buf_size = h.buf_size;
    nic.nbufs = h.nbufs;
    nic.rx_free = (struct netring *)(uintptr_t)(NS_NIC_VA + h.rx_free_off);
    nic.rx_done = (struct netring *)(uintptr_t)(NS_NIC_VA + h.rx_done_off);
    nic.tx_ready = (struct netring *)(uintptr_t)(NS_NIC_VA + h.tx_ready_off);
    nic.tx_done = (struct netring *)(uintptr_t)(NS_NIC_VA + h.tx_done_off);
    return 0;
}

static void nic_try_attach(void)
{
    long ep = mos_cap_transfer(ns_ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, NIC_BADGE, 0, 0);
    if (ep < 0) {
        nic_schedule_retry(true);
        return;
    }
    mos_handle_t caps[1] = { (mos_handle_t)ep };
    mos_msginfo_t info;
    struct mos_msg m;
    long r = mos_ipc_stage(mos_ipc_buffer(), NETDEV_ATTACH, NULL, 0, caps, 1, 1u, MOS_MSG_NONBLOCK, &info);
    if (r == 0)
        r = mos_ipc_call_m((mos_handle_t)nic.netdev, info, NULL, &m);
    (void)mos_cap_delete((mos_handle_t)ep);    /* still ours if the call failed */
    if (r == 0)
        r = (int32_t)mos_msg_label(m.info);
    mos_handle_t region = r == 0 && mos_msg_ncaps(m.info) == 1 ? mos_msg_cap(&m, 0) : 0;
    if (r == 0 && !region)
        r = -MOS_EPROTO;
    if (r == -MOS_EAGAIN && ++nic.busy_tries == 8 && !nic.said_absent) {
        printf("netstack: no NIC driver is answering (yet); 127.0.0.1 works meanwhile\n");
        nic.said_absent = true;
    }
    if (r < 0) {
        if (r != -MOS_EAGAIN && !nic.said_absent) {
            printf("netstack: no network device yet (NETDEV_ATTACH: %s); 127.0.0.1 works meanwhile\n",
                   mos_strerror(r));
            nic.said_absent = true;
        }
        nic_schedule_retry(r != -MOS_EAGAIN && r != -MOS_EDEAD);
        return;
    }
    r = nic_take_region(region, m.w[0]);
    if (r < 0) {
        printf("netstack: the driver's shared region is unusable (%s): detaching\n", mos_strerror(r));
        (void)mos_cap_delete(region);
        (void)mos_send((mos_handle_t)nic.netdev, NETDEV_DETACH, NULL, NULL, 0, NULL, 0, MOS_MSG_NONBLOCK);
        nic_schedule_retry(true);
        return;
    }
    /* Attached: from here on nothing fails. */
    nic.region = region;
    nic.st = NIC_UP;
    nic.retry_ms = 0;
    nic.busy_tries = 0;
    nic.said_absent = false;
    nic.attaches++;
    nic.stall_since = ns_now_ns();
    nic.status_at = nic.stall_since + STATUS_NS;
    nic.stall_tail = __atomic_load_n(&nic.tx_ready->tail, __ATOMIC_ACQUIRE);
    for (int i = 0; i < 6; i++)
        nic.mac[i] = (uint8_t)(m.w[1] >> (8 * i));
    uint32_t rx = nic.nbufs / 2 < nic.ring_size ? nic.nbufs / 2 : nic.ring_size;
    nic.n_tx_free = nic.n_rx_spare = 0;
    for (uint32_t id = 0; id < nic.nbufs; id++) {
        if (id < rx) {
            rx_post(id);
        } else {
            nic.owner[id] = OWN_NS_TX;
            nic.tx_free[nic.n_tx_free++] = id;
        }
    }
    nic.n_tx_total = nic.n_tx_free;
    printf("netstack: attached to the NIC (MAC %02x:%02x:%02x:%02x:%02x:%02x, %u buffers of %u bytes, "
           "rings of %u)%s\n", nic.mac[0], nic.mac[1], nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
           nic.nbufs, nic.buf_size, nic.ring_size, nic.attaches > 1 ? " again" : "");
    if (!nic.netif_added) {
        netif_add(&nic.netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, nic_netif_init,
                  ethernet_input);
        nic.netif.num = 0;              /* "en0" (lwIP numbers interfaces across names) */
        netif_set_hostname(&nic.netif, "minimalos");
        netif_set_status_callback(&nic.netif, nic_status_cb);
        netif_set_default(&nic.netif);
        netif_set_up(&nic.netif);
        nic.netif_added = true;
        dhcp_start(&nic.netif);
    } else {
        memcpy(nic.netif.hwaddr, nic.mac, ETH_HWADDR_LEN);
    }
    nic_link_update();
    sock_tx_resume();
}

/* ---------------------------------------------------------------- frames */

static err_t nic_linkoutput(struct netif *n, struct pbuf *p)
{
    (void)n;
    if (nic.st != NIC_UP) {
        nic.tx_dropped++;
        return ERR_IF;
    }
    if (p->tot_len > NETDEV_FRAME_MAX || p->tot_len > nic.buf_size - NETDEV_HEADROOM) {
        nic.tx_dropped++;
        return ERR_VAL;
    }
    if (!nic.n_tx_free) {
        nic.tx_starved = true;
        nic.tx_dropped++;
        return ERR_MEM;
    }
    uint32_t id = nic.tx_free[nic.n_tx_free - 1];
    uint32_t off = nic.buf_off + id * nic.buf_size + NETDEV_HEADROOM;
    pbuf_copy_partial(p, nic.base + off, p->tot_len, 0);
    struct netring_desc d = { .offset = off, .len = p->tot_len, .id = id };
    if (!netring_push(nic.tx_ready, nic.ring_size, &d)) {
        nic.tx_starved = true;
        nic.tx_dropped++;
        return ERR_MEM;
    }
    nic.n_tx_free--;
    nic.owner[id] = OWN_DRV_TX;
    nic.kick_tx = true;
    nic.tx_packets++;
    nic.tx_bytes += p->tot_len;
    return ERR_OK;
}

static void nic_rx_one(const struct netring_desc *d)
{
    if (d->id >= nic.nbufs || nic.owner[d->id] != OWN_DRV_RX) {
        nic.rx_bad_desc++;      /* not a buffer the driver holds for receiving */
        return;
    }
    uint64_t start = (uint64_t)nic.buf_off + (uint64_t)d->id * nic.buf_size;
    if (d->flags & NETDEV_DESC_ERROR) {
        nic.rx_dropped++;       /* the device failed it: the buffer is ours again */
    } else if (d->offset < start + NETDEV_HEADROOM || d->len < SIZEOF_ETH_HDR || d->len > NETDEV_FRAME_MAX ||
        (uint64_t)d->offset + d->len > start + nic.buf_size) {
        nic.rx_bad_desc++;
    } else {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)d->len, PBUF_POOL);
        if (!p) {
            nic.rx_dropped++;
        } else {
            pbuf_take(p, nic.base + d->offset, (u16_t)d->len);
            nic.rx_packets++;
            nic.rx_bytes += d->len;
            if (nic.netif.input(p, &nic.netif) != ERR_OK)
                pbuf_free(p);
        }
    }
    rx_post(d->id);
}

static bool nic_reap_tx(void)
{
    struct netring_desc d;
    bool got = false;
    while (netring_pop(nic.tx_done, nic.ring_size, &d)) {
        if (d.id >= nic.nbufs || nic.owner[d.id] != OWN_DRV_TX) {
            nic.tx_bad_desc++;
            continue;
        }
        if (d.flags & NETDEV_DESC_ERROR)
            nic.tx_dropped++;   /* refused or failed: the buffer comes back all the same */
        nic.owner[d.id] = OWN_NS_TX;
        nic.tx_free[nic.n_tx_free++] = d.id;
        got = true;
    }
    return got;
}

/* Is the region still ours? A driver that drops an attachment revokes the
 * region, which deletes our capability (and unmaps it). */
static bool nic_region_alive(void)
{
    struct mos_cap_info ci;
    return nic.region && mos_cap_inspect(nic.region, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0 &&
           ci.type == MOS_CAP_MEMORY;
}

/* NETDEV_STATUS (never waits for a busy driver): 1 attached, 0 not, -1 unknown. */
static int nic_status_attached(void)
{
    struct mos_msg m;
    long r = mos_ipc_call_m((mos_handle_t)nic.netdev,
                            mos_msginfo(NETDEV_STATUS, 0, 0, MOS_MSG_NONBLOCK), NULL, &m);
    if (r == -MOS_EDEAD)
        return 0;               /* the driver died in our call: a new one knows nothing */
    if (r < 0 || (int32_t)mos_msg_label(m.info) < 0)
        return -1;
    return m.w[3] != 0;
}

static void nic_reattach(const char *why)
{
    printf("netstack: %s: attaching to the NIC again\n", why);
    nic_drop_region();
    nic.retry_at = 0;
}

bool nic_poll(void)
{
    nic.busy = false;
    if (nic.st == NIC_ABSENT)
        return false;
    if (nic.st == NIC_DOWN) {
        if (ns_now_ns() >= nic.retry_at)
            nic_try_attach();
        if (nic.st != NIC_UP)
            return false;
    }
    if (netring_count(nic.rx_done, nic.ring_size) > nic.ring_size ||
        netring_count(nic.tx_done, nic.ring_size) > nic.ring_size) {
        nic.rx_bad_desc++;
        nic_reattach("the driver corrupted a ring");
        return true;
    }
    struct netring_desc d;
    unsigned n = 0;
    while (n < RX_BATCH && netring_pop(nic.rx_done, nic.ring_size, &d)) {
        nic_rx_one(&d);
        n++;
    }
    if (n == RX_BATCH)
        nic.busy = true;
    rx_repost_spares();
    if (nic_reap_tx() && nic.tx_starved) {
        nic.tx_starved = false;
        sock_tx_resume();
    }
    nic_link_update();
    if (nic_addr_changed) {
        nic_addr_changed = false;
        if (!ip4_addr_isany_val(*netif_ip4_addr(&nic.netif)))
            nic_log_addr(&nic.netif);
    }
    /* A driver that restarted drains nothing: notice a tx ring that stays full. */
    uint32_t pending = netring_count(nic.tx_ready, nic.ring_size);
    uint32_t tail = __atomic_load_n(&nic.tx_ready->tail, __ATOMIC_ACQUIRE);
    uint64_t now = ns_now_ns();
    if (pending == 0 || tail != nic.stall_tail) {
        nic.stall_tail = tail;
        nic.stall_since = now;
    } else if (now - nic.stall_since > STALL_NS) {
        nic.status_at = 0;      /* ask the driver now */
        nic.stall_since = now;
    }
    /* Does the driver still know us? (A restarted driver starts afresh.) */
    if (now >= nic.status_at) {
        nic.status_at = now + STATUS_NS;
        if (nic_status_attached() == 0 || !nic_region_alive()) {
            nic_reattach("the driver does not know us any more");
            return true;
        }
    }
    return nic.busy;
}

void nic_event(uint64_t bits)
{
    /* EV_RESET also reaches us for an attachment we already replaced (the
     * driver tells the old one): only a region that is gone means it. */
    if (nic.st == NIC_UP && (bits & NETDEV_EV_RESET) && !nic_region_alive())
        nic_reattach("the driver reset");
    if (nic.st == NIC_DOWN && bits)
        nic.retry_at = 0;       /* the driver is there: try at once */
}

void nic_flush(void)
{
    if (nic.st != NIC_UP)
        return;
    uint64_t bits = 0;
    if (nic.kick_tx && netring_producer_must_notify(nic.tx_ready))
        bits |= NETDEV_KICK_TX;
    if (nic.kick_rx && netring_producer_must_notify(nic.rx_free))
        bits |= NETDEV_KICK_RX;
    nic.kick_tx = nic.kick_rx = false;
    if (bits && mos_ipc_notify((mos_handle_t)nic.netdev, bits) == -MOS_EDEAD)
        nic_reattach("the driver is gone");
}

bool nic_prepare_sleep(void)
{
    if (nic.st != NIC_UP)
        return true;
    if (!netring_consumer_sleep(nic.rx_done, nic.ring_size))
        return false;
    if ((nic.tx_starved || nic.n_tx_free < nic.n_tx_total / 4) &&
        !netring_consumer_sleep(nic.tx_done, nic.ring_size))
        return false;
    return true;
}

uint32_t nic_next_ms(void)
{
    uint64_t now = ns_now_ns(), at;
    if (nic.st == NIC_DOWN)
        at = nic.retry_at;
    else if (nic.st == NIC_UP && netring_count(nic.tx_ready, nic.ring_size) &&
             nic.stall_since + STALL_NS + 1 < nic.status_at)
        at = nic.stall_since + STALL_NS + 1;
    else if (nic.st == NIC_UP)
        at = nic.status_at;
    else
        return UINT32_MAX;
    if (at <= now)
        return 0;
    return (uint32_t)((at - now + 999999u) / 1000000u);
}

void nic_info(struct net_ifinfo *o)
{
    o->flags = (nic.st == NIC_UP ? NET_IF_PRESENT : 0) | (nic.link ? NET_IF_LINK : 0);
    if (nic.netif_added) {
        o->addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&nic.netif)));
        o->netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&nic.netif)));
        o->gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&nic.netif)));
        if (o->addr)
            o->flags |= NET_IF_UP;
        if (dhcp_supplied_address(&nic.netif))
            o->flags |= NET_IF_DHCP;
    }
    o->dns = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(dns_getserver(0))));
    o->mtu = NETDEV_MTU;
    memcpy(o->mac, nic.mac, 6);
    o->attaches = nic.attaches;
    o->nic_tx_free = nic.n_tx_free;
    o->rx_packets = nic.rx_packets;
    o->rx_bytes = nic.rx_bytes;
    o->rx_dropped = nic.rx_dropped;
    o->rx_bad_desc = nic.rx_bad_desc;
    o->tx_packets = nic.tx_packets;
    o->tx_bytes = nic.tx_bytes;
    o->tx_dropped = nic.tx_dropped;
    o->tx_bad_desc = nic.tx_bad_desc;
    if (nic.st == NIC_UP) {
        o->drv_rx_packets = nic.sh->rx_packets;
        o->drv_rx_dropped = nic.sh->rx_dropped;
        o->drv_rx_errors = nic.sh->rx_errors;
        o->drv_tx_packets = nic.sh->tx_packets;
        o->drv_tx_dropped = nic.sh->tx_dropped;
        o->drv_tx_errors = nic.sh->tx_errors;
    }
}

void nic_init(uint64_t netdev)
{
    nic.netdev = netdev;
    nic.st = netdev ? NIC_DOWN : NIC_ABSENT;
    if (!netdev)
        printf("netstack: no NIC driver capability (\"netdev\"): 127.0.0.1 only\n");
}
