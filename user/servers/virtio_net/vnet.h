/* SPDX-License-Identifier: MIT */
/* vnet.h - the virtio-net data path (vnet.c): between the netdev region
 * shared with the netstack (proto/netdev.h, netring.h) and the device's
 * receive and transmit virtqueues. Zero-copy: the device receives straight
 * into buffers the netstack posted on rx_free (the 12-byte virtio-net
 * header goes into the buffer's headroom) and sends straight from buffers
 * on tx_ready (behind one shared, zeroed header). The netstack is not
 * trusted: the region's layout is kept here privately, and every
 * descriptor popped is checked to name bytes inside one buffer before the
 * device sees an address made from it; a bad one is handed back at once
 * with NETDEV_DESC_ERROR. Pure (the device and the netstack are reached
 * through vnet_ops); host-tested by tests/host/test_virtq.c. One thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "netring.h"
#include "proto/netdev.h"
#include "virtq.h"

#define VNET_RING_SIZE 256u         /* entries per netring */
#define VNET_NBUFS     256u         /* buffers: never more than a ring holds, so a
                                     * well-behaved side never finds a ring full */
#define VNET_BUF_SIZE  2048u

struct vnet_ops {
    void (*kick)(void *ctx, unsigned queue);        /* notify the device of a queue */
    void (*notify)(void *ctx, uint32_t bits);       /* NETDEV_EV_* to the attached netstack */
    void *ctx;
};

struct vnet_stats {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};

struct vnet {
    const struct vnet_ops *ops;
    struct virtq *rxq, *txq;
    uint64_t hdr_pa;                /* a zeroed virtio_net_hdr, device-readable */
    bool attached;
    bool link_up;
    uint8_t mac[6];
    /* The region, as laid out by vnet_layout (never re-read from it). */
    uint8_t *base;
    uint64_t pa;
    uint32_t bytes, ring_size, buf_off, buf_size, nbufs;
    struct netdev_shared *sh;
    struct netring *rx_free, *rx_done, *tx_ready, *tx_done;
    /* What each chain in flight carries, by head id. */
    struct netring_desc rx_meta[VIRTQ_MAX_SIZE], tx_meta[VIRTQ_MAX_SIZE];
    struct vnet_stats st;
    uint32_t ev;                    /* NETDEV_EV_* still to send */
    uint32_t touched;               /* VNET_T_*: rings pushed to / popped from since the last flush */
};

#define VNET_T_RX_DONE  0x1u
#define VNET_T_TX_DONE  0x2u
#define VNET_T_RX_FREE  0x4u
#define VNET_T_TX_READY 0x8u

/* Bytes of the region vnet_layout makes (a multiple of 4096). */
uint32_t vnet_region_bytes(void);

/* Lay out a fresh region at base (bytes >= vnet_region_bytes(), physical
 * address pa, 4 KiB aligned): zero it, write the shared page (magic,
 * version, offsets, MAC, link), initialise the four rings. v->ops, rxq,
 * txq and hdr_pa must be set. Afterwards v is attached. 0 or -MOS_EINVAL. */
int vnet_layout(struct vnet *v, void *base, uint64_t pa, uint32_t bytes);

/* Is d a buffer of the region with len in [min_len, max_len], starting at
 * least NETDEV_HEADROOM bytes into one buffer and ending inside it? */
bool vnet_desc_ok(const struct vnet *v, const struct netring_desc *d, uint32_t min_len, uint32_t max_len);

/* Do everything there is to do: take what the device used (received frames
 * to rx_done, sent buffers to tx_done), post rx_free buffers to the device,
 * send tx_ready frames, notify the device and (per netring.h's waiting
 * flags) the netstack, and announce that the driver waits on the rings it
 * consumes. Returns 0, or -MOS_EIO when the device broke a rule: the caller
 * must then vnet_reclaim(), reset the device and its queues, and go on. */
int vnet_poll(struct vnet *v);

/* After the device stopped (before its queues are reset): hand every buffer
 * it still had back to the netstack with NETDEV_DESC_ERROR. */
void vnet_reclaim(struct vnet *v);

/* The link changed (or is first known): shared->link_up, NETDEV_EV_LINK. */
void vnet_set_link(struct vnet *v, bool up);

/* Send the pending NETDEV_EV_* bits (vnet_poll does this itself). */
void vnet_flush_events(struct vnet *v);
