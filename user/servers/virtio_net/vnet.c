// SPDX-License-Identifier: MIT
/* vnet.c - the data path (vnet.h). Ownership of a buffer follows the
 * descriptor that names it: popped from rx_free or tx_ready, it is the
 * driver's (and, once in a chain, the device's) until pushed to rx_done or
 * tx_done. Every address given to the device lies inside the region (or is
 * the private header): a descriptor is checked by vnet_desc_ok before the
 * address is made. Rings the driver produces (rx_done, tx_done) are never
 * waited on: if one is full (only a netstack that posts a buffer twice can
 * make that happen) the entry is dropped and counted. Waiting flags: the
 * driver announces itself on rx_free / tx_ready only when it has room to
 * take more, and notifies the netstack only when it asked (netring.h). */
#include "vnet.h"

#include <mos/errors.h>
#include "lib/string.h"

#define VNET_PAGE      4096u
#define VNET_MIN_FRAME 14u          /* an Ethernet header */
#define VNET_PASSES    4u           /* bound on re-checks after a waiting flag lost a race */

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint32_t ring_stride(void)
{
    return align_up((uint32_t)netring_bytes(VNET_RING_SIZE), NETRING_CACHELINE);
}

static uint32_t buf_area_off(void)
{
    return align_up(VNET_PAGE + 4 * ring_stride(), VNET_PAGE);
}

uint32_t vnet_region_bytes(void)
{
    return buf_area_off() + VNET_NBUFS * VNET_BUF_SIZE;
}

int vnet_layout(struct vnet *v, void *base, uint64_t pa, uint32_t bytes)
{
    if (!base || bytes < vnet_region_bytes() || (pa & (VNET_PAGE - 1)))
        return -MOS_EINVAL;
    _Static_assert(sizeof(struct netdev_shared) <= VNET_PAGE, "shared page");
    memset(base, 0, vnet_region_bytes());
    v->base = base;
    v->pa = pa;
    v->bytes = vnet_region_bytes();
    v->ring_size = VNET_RING_SIZE;
    v->buf_off = buf_area_off();
    v->buf_size = VNET_BUF_SIZE;
    v->nbufs = VNET_NBUFS;
    uint32_t r0 = VNET_PAGE, rs = ring_stride();
    v->rx_free = (struct netring *)(v->base + r0);
    v->rx_done = (struct netring *)(v->base + r0 + rs);
    v->tx_ready = (struct netring *)(v->base + r0 + 2 * rs);
    v->tx_done = (struct netring *)(v->base + r0 + 3 * rs);
    if (!netring_init(v->rx_free, v->ring_size) || !netring_init(v->rx_done, v->ring_size) ||
        !netring_init(v->tx_ready, v->ring_size) || !netring_init(v->tx_done, v->ring_size))
        return -MOS_EINVAL;
    struct netdev_shared *sh = (struct netdev_shared *)v->base;
    sh->magic = NETDEV_SHARED_MAGIC;
    sh->version = NETDEV_VERSION;
    sh->ring_size = v->ring_size;
    sh->rx_free_off = r0;
    sh->rx_done_off = r0 + rs;
    sh->tx_ready_off = r0 + 2 * rs;
    sh->tx_done_off = r0 + 3 * rs;
    sh->buf_off = v->buf_off;
    sh->buf_size = v->buf_size;
    sh->nbufs = v->nbufs;
    sh->region_bytes = v->bytes;
    memcpy(sh->mac, v->mac, sizeof sh->mac);
    sh->link_up = v->link_up;
    v->sh = sh;
    memset(&v->st, 0, sizeof v->st);
    v->ev = 0;
    v->touched = 0;
    v->attached = true;
    return 0;
}

bool vnet_desc_ok(const struct vnet *v, const struct netring_desc *d, uint32_t min_len, uint32_t max_len)
{
    if (d->offset < v->buf_off)
        return false;
    uint64_t rel = (uint64_t)d->offset - v->buf_off;
    if (rel >= (uint64_t)v->nbufs * v->buf_size)
        return false;
    uint32_t in = (uint32_t)(rel % v->buf_size);
    if (in < NETDEV_HEADROOM)
        return false;
    return d->len >= min_len && d->len <= max_len && d->len <= v->buf_size - in;
}

/* Hand a descriptor back on a ring the driver produces. */
static void give_back(struct vnet *v, struct netring *r, const struct netring_desc *d, uint64_t *dropped)
{
    if (netring_push(r, v->ring_size, d))
        v->touched |= r == v->rx_done ? VNET_T_RX_DONE : VNET_T_TX_DONE;
    else
        (*dropped)++;
}

static void give_back_error(struct vnet *v, struct netring *r, const struct netring_desc *d, uint64_t *errors,
                            uint64_t *dropped)
{
    struct netring_desc e = { .offset = d->offset, .len = 0, .id = d->id, .flags = NETDEV_DESC_ERROR };
    (*errors)++;
    give_back(v, r, &e, dropped);
}

/* Received frames: used RX chains to rx_done. */
static int take_rx(struct vnet *v)
{
    uint16_t head;
    uint32_t len;
    int r;
    while ((r = virtq_get(v->rxq, &head, &len)) != 0) {
        if (r == -MOS_EIO)
            return r;
        const struct netring_desc *m = &v->rx_meta[head];
        if (r == -MOS_ERANGE || len < VIRTIO_NET_HDR_LEN + VNET_MIN_FRAME) {
            give_back_error(v, v->rx_done, m, &v->st.rx_errors, &v->st.rx_dropped);
            continue;
        }
        struct netring_desc d = { .offset = m->offset, .len = len - VIRTIO_NET_HDR_LEN, .id = m->id };
        v->st.rx_packets++;
        v->st.rx_bytes += d.len;
        give_back(v, v->rx_done, &d, &v->st.rx_dropped);
    }
    return 0;
}

/* Sent frames: used TX chains to tx_done. */
static int take_tx(struct vnet *v)
{
    uint16_t head;
    uint32_t len;
    int r;
    while ((r = virtq_get(v->txq, &head, &len)) != 0) {
        if (r == -MOS_EIO)
            return r;
        /* The device writes nothing into a TX chain: any len is fine ("used"
         * length of a device-readable chain is 0 in practice, -ERANGE if not). */
        const struct netring_desc *m = &v->tx_meta[head];
        v->st.tx_packets++;
        v->st.tx_bytes += m->len;
        give_back(v, v->tx_done, m, &v->st.tx_dropped);
    }
    return 0;
}

/* rx_free -> device, while the receive queue has room. */
static void post_rx(struct vnet *v)
{
    struct netring_desc d;
    while (v->rxq->nfree > 0 && netring_pop(v->rx_free, v->ring_size, &d)) {
        v->touched |= VNET_T_RX_FREE;
        if (!vnet_desc_ok(v, &d, NETDEV_FRAME_MAX, v->buf_size)) {
            give_back_error(v, v->rx_done, &d, &v->st.rx_errors, &v->st.rx_dropped);
            continue;
        }
        /* Header in the headroom, frame at d.offset: one device-writable buffer. */
        struct virtq_buf b = { .addr = v->pa + d.offset - VIRTIO_NET_HDR_LEN,
                               .len = d.len + VIRTIO_NET_HDR_LEN, .device_writes = true };
        int head = virtq_add(v->rxq, &b, 1);
        if (head < 0) {                         /* cannot happen: room was checked */
            give_back_error(v, v->rx_done, &d, &v->st.rx_errors, &v->st.rx_dropped);
            continue;
        }
        v->rx_meta[head] = d;
    }
}

/* tx_ready -> device, while the transmit queue has room for a chain. */
static void post_tx(struct vnet *v)
{
    struct netring_desc d;
    while (v->txq->nfree >= 2 && netring_pop(v->tx_ready, v->ring_size, &d)) {
        v->touched |= VNET_T_TX_READY;
        if (!vnet_desc_ok(v, &d, VNET_MIN_FRAME, NETDEV_FRAME_MAX)) {
            give_back_error(v, v->tx_done, &d, &v->st.tx_errors, &v->st.tx_dropped);
            continue;
        }
        struct virtq_buf b[2] = {
            { .addr = v->hdr_pa, .len = VIRTIO_NET_HDR_LEN },
            { .addr = v->pa + d.offset, .len = d.len },
        };
        int head = virtq_add(v->txq, b, 2);
        if (head < 0) {
            give_back_error(v, v->tx_done, &d, &v->st.tx_errors, &v->st.tx_dropped);
            continue;
        }
        v->tx_meta[head] = d;
    }
}

static void publish_counters(struct vnet *v)
{
    struct netdev_shared *sh = v->sh;
    sh->rx_packets = v->st.rx_packets;
    sh->rx_bytes = v->st.rx_bytes;
    sh->rx_dropped = v->st.rx_dropped;
    sh->rx_errors = v->st.rx_errors;
    sh->tx_packets = v->st.tx_packets;
    sh->tx_bytes = v->st.tx_bytes;
    sh->tx_dropped = v->st.tx_dropped;
    sh->tx_errors = v->st.tx_errors;
}

void vnet_flush_events(struct vnet *v)
{
    if (!v->attached) {
        v->ev = 0;
        v->touched = 0;
        return;
    }
    uint32_t bits = v->ev & (NETDEV_EV_LINK | NETDEV_EV_RESET);
    /* Ring traffic: after pushing (popping), tell a netstack that said it
     * waits on that ring (netring.h). Each check clears the flag it finds. */
    bool wake = false;
    if (v->touched & VNET_T_RX_DONE)
        wake |= netring_producer_must_notify(v->rx_done);
    if (v->touched & VNET_T_TX_DONE)
        wake |= netring_producer_must_notify(v->tx_done);
    if (v->touched & VNET_T_RX_FREE)
        wake |= netring_consumer_must_notify(v->rx_free);
    if (v->touched & VNET_T_TX_READY)
        wake |= netring_consumer_must_notify(v->tx_ready);
    if (wake)
        bits |= NETDEV_EV_RX;
    v->ev = 0;
    v->touched = 0;
    if (bits)
        v->ops->notify(v->ops->ctx, bits);
}

int vnet_poll(struct vnet *v)
{
    if (!v->attached)
        return 0;
    for (unsigned pass = 0; pass < VNET_PASSES; pass++) {
        int r = take_rx(v);
        if (r == 0)
            r = take_tx(v);
        if (r < 0) {
            publish_counters(v);
            return r;
        }
        post_rx(v);
        post_tx(v);
        if (virtq_publish(v->rxq))
            v->ops->kick(v->ops->ctx, VIRTIO_NET_RXQ);
        if (virtq_publish(v->txq))
            v->ops->kick(v->ops->ctx, VIRTIO_NET_TXQ);
        /* Announce that we wait on what we can take more of; look again if
         * something arrived meanwhile. */
        bool again = false;
        if (v->rxq->nfree > 0 && netring_count(v->rx_free, v->ring_size) == 0)
            again |= !netring_consumer_sleep(v->rx_free, v->ring_size);
        if (v->txq->nfree >= 2 && netring_count(v->tx_ready, v->ring_size) == 0)
            again |= !netring_consumer_sleep(v->tx_ready, v->ring_size);
        if (!again)
            break;
    }
    publish_counters(v);
    vnet_flush_events(v);
    return 0;
}

void vnet_reclaim(struct vnet *v)
{
    if (!v->attached)
        return;
    for (uint16_t h = 0; h < v->rxq->size; h++) {
        if (virtq_in_flight(v->rxq, h))
            give_back_error(v, v->rx_done, &v->rx_meta[h], &v->st.rx_errors, &v->st.rx_dropped);
    }
    for (uint16_t h = 0; h < v->txq->size; h++) {
        if (virtq_in_flight(v->txq, h))
            give_back_error(v, v->tx_done, &v->tx_meta[h], &v->st.tx_errors, &v->st.tx_dropped);
    }
    publish_counters(v);
}

void vnet_set_link(struct vnet *v, bool up)
{
    v->link_up = up;
    if (!v->attached)
        return;
    v->sh->link_up = up;
    v->ev |= NETDEV_EV_LINK;
}
