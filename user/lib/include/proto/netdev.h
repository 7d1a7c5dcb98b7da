/* SPDX-License-Identifier: MIT */
/* proto/netdev.h - the network driver protocol: how the netstack attaches
 * to a NIC driver (virtio-net) and the layout of the memory they share.
 *
 * Control: calls on the driver's endpoint (service "netdev"). Data: four
 * netring queues (netring.h) and a pool of fixed-size buffers in one region
 * of DMA memory the DRIVER allocates (MOS_MEM_DMA32, so the device can reach
 * every buffer) and hands to the netstack in the NETDEV_ATTACH reply:
 *
 *   rx_free  netstack -> driver  empty buffers to receive into (kept posted)
 *   rx_done  driver -> netstack  received frames (desc.len = frame bytes)
 *   tx_ready netstack -> driver  frames to send
 *   tx_done  driver -> netstack  sent buffers, returned for reuse
 *
 * A buffer is owned by exactly one side at a time: the one that popped it
 * last (initially the netstack owns them all). Frames start at
 * desc.offset, which lies NETDEV_HEADROOM bytes or more into its buffer so
 * the driver can put the virtio-net header in front without a copy.
 * Everything read from shared memory is checked by its reader (offset and
 * len inside the buffer area, within one buffer).
 *
 * Wake-ups (netring.h's waiting flags): the driver notifies the endpoint
 * the netstack passed in NETDEV_ATTACH with NETDEV_EV_* bits; the netstack
 * notifies the driver's endpoint (its "netdev" capability) with
 * NETDEV_KICK_* bits.
 *
 * A driver restart invalidates the region: the netstack sees -MOS_EDEAD on
 * a call (or NETDEV_EV_RESET), drops the old region and attaches again. */
#pragma once

#include <stdint.h>

#define NETDEV_SHARED_MAGIC 0x5645444E54454E4Dull   /* "MNETNDEV" */
#define NETDEV_VERSION      1u
#define NETDEV_HEADROOM     64u     /* bytes before a frame the driver may use */
#define NETDEV_MTU          1500u
#define NETDEV_FRAME_MAX    1514u   /* Ethernet header + MTU, no FCS */

/* Control operations (the message label). */
enum netdev_op {
    NETDEV_ATTACH = 1,  /* in: cap[0] = ENDPOINT to notify (badge chosen by the netstack)
                         * out: cap[0] = MEMORY (R|W) of the shared region;
                         *      w0 = region pages, w1 = MAC in the low 48 bits
                         *      (byte 0 of the address in bits 0-7).
                         * -MOS_EBUSY: another client (badge) is attached; the
                         * attached client may attach again (a fresh region) */
    NETDEV_DETACH = 2,  /* stop using the region; the driver resets its rings */
    NETDEV_STATUS = 3,  /* out: w0 = link up (1/0), w1 = MAC, w2 = MTU,
                         *      w3 = 1 if the caller is the attached client (0 after
                         *      a driver restart: attach again) */
};

/* netring_desc.flags on rx_done / tx_done. */
#define NETDEV_DESC_ERROR 0x1u  /* refused (offset/len not inside one buffer past the
                                 * headroom, or too short) or failed; len = 0. The
                                 * buffer is the netstack's again */

/* Notification bits, driver -> netstack. */
#define NETDEV_EV_RX     0x1u   /* rx_done or tx_done gained entries (or rx_free /
                                 * tx_ready gained room after the netstack set
                                 * producer_waiting) */
#define NETDEV_EV_LINK   0x2u   /* link state changed (see shared->link_up) */
#define NETDEV_EV_RESET  0x4u   /* the driver dropped the region: attach again */
/* Notification bits, netstack -> driver. */
#define NETDEV_KICK_TX   0x1u   /* tx_ready gained entries */
#define NETDEV_KICK_RX   0x2u   /* rx_free gained entries */

/* Page 0 of the region. Offsets are from the start of the region. */
struct netdev_shared {
    uint64_t magic;             /* NETDEV_SHARED_MAGIC */
    uint32_t version;           /* NETDEV_VERSION */
    uint32_t ring_size;         /* entries per ring, a power of two */
    uint32_t rx_free_off, rx_done_off, tx_ready_off, tx_done_off;  /* struct netring each */
    uint32_t buf_off;           /* buffer area: nbufs * buf_size bytes */
    uint32_t buf_size;          /* bytes per buffer (2048) */
    uint32_t nbufs;
    uint32_t region_bytes;
    uint8_t mac[6];
    uint8_t _pad[2];
    volatile uint32_t link_up;  /* written by the driver */
    uint32_t _pad2;
    /* Counters, written by the driver only. */
    volatile uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    volatile uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};
