/* SPDX-License-Identifier: MIT */
/* proto/net.h - the socket protocol of the network stack (user/servers/
 * netstack, service "net"); docs/network.md, section "Socket protocol".
 *
 * Control: ipc_calls on the "net" capability; the label is the operation,
 * the reply's label 0 or -MOS_E*. Every control call is answered at once,
 * except NET_WAIT, NET_RESOLVE and NET_PING, which the netstack answers
 * later (deferred replies) without ever blocking on the caller. A session
 * is named by the badge of the capability the client calls through.
 *
 * Data: each socket has one shared area the NETSTACK allocates and hands to
 * the client (a MEMORY capability, READ|WRITE|GRANT, in the reply to NET_SOCKET or
 * NET_ACCEPT): page 0 is struct net_shm, followed by two byte rings, rx
 * (netstack -> client) and tx (client -> netstack). Each ring index has one
 * writer. The netstack never trusts what the client writes there: a
 * corrupt index fails the socket with -MOS_EPROTO, never the netstack.
 *
 * Wake-ups: the client kicks the netstack (ipc_notify on its "net"
 * capability with NET_KICK_BIT(id)) only when `ns_wait` was set, and it
 * waits through NET_WAIT, which the netstack answers when a socket becomes
 * ready (so a netstack that dies wakes every waiting client with an error).
 *
 * Addresses are IPv4 in host order (a.b.c.d = a<<24 | b<<16 | c<<8 | d),
 * ports in host order. */
#pragma once

#include <stdint.h>

#define NET_PROTO_VERSION 1u

/* Socket types. */
#define NET_TCP 1u
#define NET_UDP 2u

#define NET_IPV4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NET_ADDR_ANY       0u
#define NET_ADDR_LOOPBACK  NET_IPV4(127, 0, 0, 1)

enum net_op {
    NET_HELLO = 1,      /* start (or restart) this session: every socket the badge had is
                         * closed first (a restarted client says hello again).
                         * cap 0 (optional): a THREAD or PROCESS capability of the client
                         * (any rights; GRANT to send it): the session ends when that
                         * thread or process is dead (polled about once a second).
                         * reply w0 = netstack epoch (changes with each netstack start),
                         *       w1 = NET_MAX_SOCKETS_PER_SESSION, w2 = NET_PROTO_VERSION */
    NET_SOCKET,         /* w0 = NET_TCP | NET_UDP, w1 = rx ring bytes, w2 = tx ring bytes
                         * (0 = default; else a power of two, NET_RING_MIN..NET_RING_MAX).
                         * reply: cap 0 = MEMORY (READ|WRITE|GRANT) the socket's area,
                         *        w0 = socket id, w1 = area pages */
    NET_BIND,           /* w0 = id, w1 = address (NET_ADDR_ANY or a local one), w2 = port
                         * (0 = any free port) */
    NET_LISTEN,         /* w0 = id (TCP), w1 = backlog (1..NET_BACKLOG_MAX) */
    NET_ACCEPT,         /* w0 = id of a listening socket. reply: as NET_SOCKET plus
                         * w2 = peer address, w3 = peer port; -MOS_EAGAIN: none waiting
                         * (net_shm.accept_ready says how many are) */
    NET_CONNECT,        /* w0 = id, w1 = address, w2 = port. TCP: starts the handshake and
                         * returns 0; net_shm.state becomes NET_ST_CONNECTED or error is
                         * set. UDP: sets the default peer (address 0: clears it) */
    NET_SHUTDOWN,       /* w0 = id, w1 = NET_SHUT_RD | NET_SHUT_WR. WR: a FIN follows the
                         * bytes already in the tx ring */
    NET_CLOSE,          /* w0 = id. The client's view of the area is revoked at once; the
                         * bytes already in the tx ring are still sent (TCP), then FIN */
    NET_GETNAME,        /* w0 = id, w1 = 0 local / 1 peer. reply w0 = address, w1 = port;
                         * -MOS_ENOTCONN: no peer */
    NET_SETOPT,         /* w0 = id, w1 = NET_OPT_*, w2 = value */
    NET_WAIT,           /* payload: struct net_wait_req[n] (1..NET_WAIT_MAX), w0 = time-out
                         * in ms (UINT64_MAX: none). Answered as soon as one of the sockets
                         * has one of its events (NET_EV_*): reply w0 = events of the
                         * first ready entry's socket, w1 = its index; -MOS_ETIMEDOUT */
    NET_RESOLVE,        /* payload: a host name (1..NET_NAME_MAX-1 bytes, NUL-terminated
                         * or not), or a dotted quad. Deferred. reply w0 = address;
                         * -MOS_ENOENT (no such name), -MOS_ETIMEDOUT, -MOS_ENETDOWN (no DNS
                         * server known) */
    NET_IFINFO,         /* reply: payload struct net_ifinfo */
    NET_PING,           /* w0 = address, w1 = payload bytes (0..NET_PING_MAX), w2 = time-out
                         * ms (1..60000), w3 = sequence number (low 16 bits). Sends one ICMP
                         * echo request; deferred. reply w0 = round trip in ns, w1 = TTL,
                         * w2 = bytes of the answer's payload; -MOS_ETIMEDOUT */
    NET_SESSION_NEW,    /* a session for another process (e.g. a child): reply cap 0 = an
                         * endpoint capability (WRITE|GRANT) with a new badge, w0 = badge */
    NET_SESSION_END,    /* w0 = badge: close every socket of that session. Allowed to the
                         * session itself, the session that made it (NET_SESSION_NEW), and
                         * badge 0 (init). May be an ipc_send (no reply). */
    NET_OP_COUNT
};

/* Limits. */
#define NET_RING_MIN                 4096u
#define NET_RING_MAX                 (256u * 1024u)
#define NET_TCP_RING_DEFAULT         (64u * 1024u)
#define NET_UDP_RING_DEFAULT         (16u * 1024u)
#define NET_MAX_SOCKETS_PER_SESSION  64u
#define NET_BACKLOG_MAX              16u
#define NET_WAIT_MAX                 64u
#define NET_NAME_MAX                 256u
#define NET_PING_MAX                 1472u
#define NET_UDP_MAX                  8192u  /* largest datagram, each way */

/* Socket id: (epoch << 20) | (generation << 12) | slot; opaque to clients. */
#define NET_ID_SLOT(id)     ((uint32_t)(id) & 0xFFFu)
/* Kick bits (client -> netstack ipc_notify); bits 0-7 belong to the NIC
 * driver (NETDEV_EV_*), so a kick names a socket only modulo 56: a hint. */
#define NET_KICK_FIRST      8u
#define NET_KICK_BIT(id)    (1ull << (NET_KICK_FIRST + NET_ID_SLOT(id) % 56u))

#define NET_SHUT_RD   1u
#define NET_SHUT_WR   2u
#define NET_SHUT_RDWR 3u

/* NET_SETOPT options (value in w2). */
#define NET_OPT_NODELAY    1u   /* TCP: 1 = send small segments at once (no Nagle) */
#define NET_OPT_KEEPALIVE  2u   /* TCP: 1 = keep-alive probes */
#define NET_OPT_REUSEADDR  3u   /* 1 = bind may reuse an address in TIME_WAIT */
#define NET_OPT_BROADCAST  4u   /* UDP: 1 = may send to 255.255.255.255 */

/* Readiness (NET_WAIT events; the client library's net_poll uses the same bits). */
#define NET_EV_IN   0x1u        /* rx has bytes or a datagram, EOF, or accept_ready > 0 */
#define NET_EV_OUT  0x2u        /* tx has room (>= a quarter of the ring), or a connect ended */
#define NET_EV_ERR  0x4u        /* error is set (always reported) */
#define NET_EV_HUP  0x8u        /* NET_SF_RX_EOF and NET_SF_TX_SHUT: nothing more either way */

struct net_wait_req {
    uint32_t id;                /* socket id */
    uint32_t events;            /* NET_EV_* wanted (ERR and HUP are always on) */
};
_Static_assert(sizeof(struct net_wait_req) == 8, "proto: net_wait_req");

/* Socket states (net_shm.state), written by the netstack. */
enum net_state {
    NET_ST_NEW = 0,
    NET_ST_BOUND,
    NET_ST_LISTEN,
    NET_ST_CONNECTING,
    NET_ST_CONNECTED,
    NET_ST_CLOSED,              /* the connection ended (see error and flags) */
};

/* net_shm.flags, written by the netstack. */
#define NET_SF_RX_EOF   0x1u    /* nothing will be appended to rx any more (FIN, reset) */
#define NET_SF_TX_SHUT  0x2u    /* tx is shut: the netstack takes no more bytes */

#define NET_SHM_MAGIC 0x4D48534E54454E4Dull     /* "MNETSHM" */

/* Page 0 of a socket's area. The netstack writes everything except
 * rx_tail, tx_head and the waiting flag's clearing (see below); indices are
 * free-running byte counts (the ring position is index & (size - 1)). */
struct net_shm {
    uint64_t magic;             /* NET_SHM_MAGIC */
    uint32_t version;           /* NET_PROTO_VERSION */
    uint32_t type;              /* NET_TCP or NET_UDP */
    uint32_t id;                /* the socket id */
    uint32_t rx_off, rx_size;   /* rx ring: offset in the area, bytes (power of two) */
    uint32_t tx_off, tx_size;   /* tx ring */
    uint32_t _pad0[7];
    /* Each index on a cache line of its own (one writer each). */
    volatile uint32_t rx_head;  /* netstack: bytes put into rx */
    uint8_t _pad1[60];
    volatile uint32_t rx_tail;  /* client: bytes taken from rx */
    uint8_t _pad2[60];
    volatile uint32_t tx_head;  /* client: bytes put into tx */
    uint8_t _pad3[60];
    volatile uint32_t tx_tail;  /* netstack: bytes taken from tx */
    uint8_t _pad4[60];
    volatile uint32_t state;    /* enum net_state */
    volatile int32_t error;     /* 0 or -MOS_E* (ECONNREFUSED, ECONNRESET, ETIMEDOUT...) */
    volatile uint32_t flags;    /* NET_SF_* */
    volatile uint32_t accept_ready;  /* listening: connections waiting for NET_ACCEPT */
    volatile uint32_t ns_wait;  /* set by the netstack when it wants a kick for this
                                 * socket (rx was full, or tx was empty); the client,
                                 * after changing rx_tail or tx_head, clears it with an
                                 * atomic exchange and kicks if it was set */
    uint32_t _pad5[3];
    /* Statistics, netstack-written. */
    volatile uint64_t rx_bytes, tx_bytes;   /* through the rings */
    volatile uint64_t rx_dropped;           /* UDP: datagrams dropped, rx was full */
    uint64_t _reserved;
};
_Static_assert(sizeof(struct net_shm) == 384, "proto: net_shm");

/* UDP: each datagram in a ring is this header, then `len` bytes, then
 * padding to a multiple of 8 (records may wrap around the ring's end).
 * tx: addr/port 0 = the connected peer. */
struct net_dgram {
    uint32_t len;               /* payload bytes, <= NET_UDP_MAX */
    uint32_t addr;              /* rx: sender; tx: destination */
    uint16_t port;
    uint16_t _pad;
    uint32_t _pad2;
};
_Static_assert(sizeof(struct net_dgram) == 16, "proto: net_dgram");
#define NET_DGRAM_SPAN(len) ((uint32_t)sizeof(struct net_dgram) + (((uint32_t)(len) + 7u) & ~7u))

/* net_ifinfo.flags */
#define NET_IF_PRESENT  0x1u    /* a NIC driver is attached */
#define NET_IF_LINK     0x2u    /* its link is up */
#define NET_IF_UP       0x4u    /* the interface has an address */
#define NET_IF_DHCP     0x8u    /* the address came from DHCP */

/* NET_IFINFO reply (payload). Counters since this netstack started. */
struct net_ifinfo {
    uint32_t flags;             /* NET_IF_* */
    uint32_t addr, netmask, gateway, dns;
    uint16_t mtu;
    uint8_t mac[6];
    uint32_t epoch;             /* as NET_HELLO */
    uint32_t attaches;          /* successful NETDEV_ATTACHes (driver restarts + 1) */
    uint32_t _pad0;
    /* Frames, netstack side (what it took from / gave to the driver). */
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_bad_desc;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_bad_desc;
    /* The driver's own counters (its shared page). */
    uint64_t drv_rx_packets, drv_rx_dropped, drv_rx_errors;
    uint64_t drv_tx_packets, drv_tx_dropped, drv_tx_errors;
    /* Protocol counters (lwIP): received and dropped per layer. */
    uint64_t ip_rx, ip_drop, tcp_rx, tcp_drop, udp_rx, udp_drop, icmp_rx, icmp_drop;
    uint64_t ipc_bad_requests;  /* malformed control requests refused */
    /* Resources in use now (a leak test compares them before and after). */
    uint32_t sessions, sockets; /* sockets: ids handed out and not yet closed */
    uint32_t closing;           /* closed sockets still draining tx into TCP */
    uint32_t shm_pages;         /* pages of socket areas allocated */
    uint32_t waits;             /* deferred replies held (NET_WAIT, NET_RESOLVE, NET_PING) */
    uint32_t lwip_mem_used;     /* lwIP heap bytes */
    uint32_t pbufs;             /* pbufs allocated from the pools */
    uint32_t tcp_pcbs;          /* TCP control blocks in use except TIME_WAIT ones */
    uint32_t tcp_tw_pcbs;       /* TCP control blocks in TIME_WAIT */
    uint32_t udp_pcbs;
    uint32_t tcp_segs;          /* queued TCP segments */
    uint32_t nic_tx_free;       /* the NIC's transmit buffers the netstack holds free */
    /* Protocol counters (lwIP): sent per layer. */
    uint64_t ip_tx, tcp_tx, udp_tx, icmp_tx;
};
_Static_assert(sizeof(struct net_ifinfo) == 304, "proto: net_ifinfo");

/* ---- byte rings: the arithmetic both sides share (pure, no system calls).
 * A ring of `size` bytes (a power of two) holds the bytes between the
 * free-running indices tail and head; position i lives at i & (size - 1).
 * The reader of an index the peer writes checks head - tail <= size before
 * trusting it (net_ring_used() > size means the peer broke the rules). */
static inline uint32_t net_ring_used(uint32_t head, uint32_t tail)
{
    return head - tail;
}

/* Copy n (<= size) bytes into the ring at position pos, wrapping. */
static inline void net_ring_write(uint8_t *ring, uint32_t size, uint32_t pos, const void *src,
                                  uint32_t n)
{
    uint32_t at = pos & (size - 1), first = size - at < n ? size - at : n;
    __builtin_memcpy(ring + at, src, first);
    if (n > first)
        __builtin_memcpy(ring, (const uint8_t *)src + first, n - first);
}

/* Copy n (<= size) bytes out of the ring from position pos, wrapping. */
static inline void net_ring_read(const uint8_t *ring, uint32_t size, uint32_t pos, void *dst,
                                 uint32_t n)
{
    uint32_t at = pos & (size - 1), first = size - at < n ? size - at : n;
    __builtin_memcpy(dst, ring + at, first);
    if (n > first)
        __builtin_memcpy((uint8_t *)dst + first, ring, n - first);
}

/* Bytes from pos to the ring's end or n, whichever is less: the longest
 * run that can be handed out without a copy. */
static inline uint32_t net_ring_run(uint32_t size, uint32_t pos, uint32_t n)
{
    uint32_t at = pos & (size - 1);
    return size - at < n ? size - at : n;
}

/* Ring and area sizes for a request: rx/tx 0 means the type's default; a
 * valid size is a power of two in NET_RING_MIN..NET_RING_MAX. Returns the
 * area's pages (header page + both rings), or 0 if a size is invalid.
 * *rx and *tx are replaced by the sizes in force. */
static inline uint32_t net_area_pages(uint32_t type, uint32_t *rx, uint32_t *tx)
{
    uint32_t def = type == NET_UDP ? NET_UDP_RING_DEFAULT : NET_TCP_RING_DEFAULT;
    uint32_t *sz[2] = { rx, tx };
    for (int i = 0; i < 2; i++) {
        uint32_t v = *sz[i] ? *sz[i] : def;
        if (v < NET_RING_MIN || v > NET_RING_MAX || (v & (v - 1)) != 0)
            return 0;
        *sz[i] = v;
    }
    return 1u + *rx / 4096u + *tx / 4096u;
}
