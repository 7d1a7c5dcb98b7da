// SPDX-License-Identifier: MIT
/* req.c - request validation for the netstack (see req.h): one table row
 * per operation gives the payload range, the capabilities it may carry and
 * whether it must be a call; a per-operation check then looks at the
 * words. Everything a client sends is untrusted, so the checks are total:
 * a word that is merely large (a 64-bit port) is refused, not truncated. */
#include <mos/errors.h>
#include "req.h"

struct req_shape {
    uint16_t min_bytes, max_bytes;
    uint8_t max_caps;
    bool must_call;
};

static const struct req_shape req_shapes[NET_OP_COUNT] = {
    [NET_HELLO]       = { 0, 0, 1, true },
    [NET_SOCKET]      = { 0, 0, 0, true },
    [NET_BIND]        = { 0, 0, 0, true },
    [NET_LISTEN]      = { 0, 0, 0, true },
    [NET_ACCEPT]      = { 0, 0, 0, true },
    [NET_CONNECT]     = { 0, 0, 0, true },
    [NET_SHUTDOWN]    = { 0, 0, 0, false },
    [NET_CLOSE]       = { 0, 0, 0, false },
    [NET_GETNAME]     = { 0, 0, 0, true },
    [NET_SETOPT]      = { 0, 0, 0, false },
    [NET_WAIT]        = { sizeof(struct net_wait_req), NET_WAIT_MAX * sizeof(struct net_wait_req), 0, true },
    [NET_RESOLVE]     = { 1, NET_NAME_MAX, 0, true },
    [NET_IFINFO]      = { 0, 0, 0, true },
    [NET_PING]        = { 0, 0, 0, true },
    [NET_SESSION_NEW] = { 0, 0, 0, true },
    [NET_SESSION_END] = { 0, 0, 0, false },
};

static bool is_u32(uint64_t v) { return v <= 0xFFFFFFFFull; }
static bool is_port(uint64_t v) { return v <= 0xFFFFu; }

/* A host name or dotted quad: 1..NET_NAME_MAX-1 characters of letters,
 * digits, '-', '.', '_', optionally followed by one NUL that ends it. */
static bool name_ok(const uint8_t *d, uint32_t n)
{
    if (n && d[n - 1] == 0)
        n--;
    if (n == 0 || n >= NET_NAME_MAX)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

struct net_wait_req ns_req_wait_entry(const struct ns_req *r, unsigned i)
{
    struct net_wait_req e;
    __builtin_memcpy(&e, r->data + (uint64_t)i * sizeof e, sizeof e);
    return e;
}

static int words_ok(const struct ns_req *r)
{
    const uint64_t *w = r->w;
    switch (r->op) {
    case NET_SOCKET: {
        if (w[0] != NET_TCP && w[0] != NET_UDP)
            return -MOS_EINVAL;
        if (!is_u32(w[1]) || !is_u32(w[2]))
            return -MOS_EINVAL;
        uint32_t rx = (uint32_t)w[1], tx = (uint32_t)w[2];
        return net_area_pages((uint32_t)w[0], &rx, &tx) ? 0 : -MOS_EINVAL;
    }
    case NET_BIND:
        return is_u32(w[0]) && is_u32(w[1]) && is_port(w[2]) ? 0 : -MOS_EINVAL;
    case NET_LISTEN:
        return is_u32(w[0]) && w[1] <= 0xFFFFu ? 0 : -MOS_EINVAL;
    case NET_ACCEPT:
    case NET_CLOSE:
        return is_u32(w[0]) ? 0 : -MOS_EINVAL;
    case NET_CONNECT:
        return is_u32(w[0]) && is_u32(w[1]) && is_port(w[2]) ? 0 : -MOS_EINVAL;
    case NET_SHUTDOWN:
        return is_u32(w[0]) && w[1] >= NET_SHUT_RD && w[1] <= NET_SHUT_RDWR ? 0 : -MOS_EINVAL;
    case NET_GETNAME:
        return is_u32(w[0]) && w[1] <= 1 ? 0 : -MOS_EINVAL;
    case NET_SETOPT:
        return is_u32(w[0]) && w[1] >= NET_OPT_NODELAY && w[1] <= NET_OPT_BROADCAST && w[2] <= 1
                   ? 0 : -MOS_EINVAL;
    case NET_WAIT:
        if (r->bytes % sizeof(struct net_wait_req))
            return -MOS_EINVAL;
        for (unsigned i = 0; i < r->bytes / sizeof(struct net_wait_req); i++)
            if (ns_req_wait_entry(r, i).events & ~(uint32_t)(NET_EV_IN | NET_EV_OUT | NET_EV_ERR | NET_EV_HUP))
                return -MOS_EINVAL;
        return 0;
    case NET_RESOLVE:
        return name_ok(r->data, r->bytes) ? 0 : -MOS_EINVAL;
    case NET_PING:
        return is_u32(w[0]) && w[1] <= NET_PING_MAX && w[2] >= 1 && w[2] <= 60000 && w[3] <= 0xFFFFu
                   ? 0 : -MOS_EINVAL;
    default:
        return 0;
    }
}

int ns_req_check(const struct ns_req *r)
{
    if (r->op == 0 || r->op >= NET_OP_COUNT)
        return -MOS_ENOSYS;
    const struct req_shape *s = &req_shapes[r->op];
    if (r->bytes < s->min_bytes || r->bytes > s->max_bytes || (r->bytes && !r->data))
        return -MOS_EINVAL;
    if (r->ncaps > s->max_caps)
        return -MOS_EINVAL;
    if (s->must_call && !r->call)
        return -MOS_EINVAL;
    return words_ok(r);
}

void ns_req_name(const struct ns_req *r, char out[NET_NAME_MAX])
{
    uint32_t n = r->bytes;
    if (n && r->data[n - 1] == 0)
        n--;
    if (n >= NET_NAME_MAX)
        n = NET_NAME_MAX - 1;
    __builtin_memcpy(out, r->data, n);
    out[n] = 0;
}

/* ---------------------------------------------------------------- the NIC region */

#include "netring.h"
#include "proto/netdev.h"

bool ns_netdev_layout_ok(const struct netdev_shared *h, uint64_t bytes)
{
    if (h->magic != NETDEV_SHARED_MAGIC || h->version != NETDEV_VERSION)
        return false;
    uint32_t rs = h->ring_size;
    if (rs == 0 || rs > 4096 || (rs & (rs - 1)) != 0)
        return false;
    if (h->region_bytes > bytes || h->region_bytes < 4096)
        return false;
    if (h->buf_size < NETDEV_HEADROOM + NETDEV_FRAME_MAX || h->buf_size > 65536 || h->nbufs < 2 ||
        h->nbufs > 65536)
        return false;
    uint64_t lo[5], hi[5];
    const uint32_t off[4] = { h->rx_free_off, h->rx_done_off, h->tx_ready_off, h->tx_done_off };
    for (int i = 0; i < 4; i++) {
        lo[i] = off[i];
        hi[i] = (uint64_t)off[i] + netring_bytes(rs);
    }
    lo[4] = h->buf_off;
    hi[4] = (uint64_t)h->buf_off + (uint64_t)h->nbufs * h->buf_size;
    for (int i = 0; i < 5; i++) {
        if (lo[i] < sizeof(struct netdev_shared) || hi[i] > h->region_bytes || lo[i] % 8 != 0)
            return false;
        for (int j = 0; j < i; j++)
            if (lo[i] < hi[j] && lo[j] < hi[i])
                return false;
    }
    return true;
}
