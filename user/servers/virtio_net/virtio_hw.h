/* SPDX-License-Identifier: MIT */
/* virtio_hw.h - the virtio 1.x facts the driver uses: the modern PCI
 * transport (vendor capabilities and the common configuration layout), the
 * device status bits, feature bits, split virtqueue layout and the
 * virtio-net device configuration and header. All fields little-endian.
 * Facts from the OASIS virtio 1.2 specification (sections 2, 4.1, 5.1). */
#pragma once

#include <stdint.h>

#define VIRTIO_PCI_VENDOR        0x1AF4u
#define VIRTIO_PCI_DEVICE_NET    0x1041u    /* 0x1040 + device type 1 (modern only) */

/* struct virtio_pci_cap, a vendor capability (id 0x09) in config space. */
#define VIRTIO_CAP_CFG_TYPE      3          /* u8 */
#define VIRTIO_CAP_BAR           4          /* u8 */
#define VIRTIO_CAP_ID            5          /* u8 */
#define VIRTIO_CAP_OFFSET        8          /* le32 */
#define VIRTIO_CAP_LENGTH        12         /* le32 */
#define VIRTIO_CAP_LEN_MIN       16
#define VIRTIO_NOTIFY_CAP_MULT   16         /* le32 notify_off_multiplier */
#define VIRTIO_NOTIFY_CAP_LEN    20

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* struct virtio_pci_common_cfg. */
#define VIRTIO_COMMON_DFSELECT   0x00       /* le32 device_feature_select */
#define VIRTIO_COMMON_DF         0x04       /* le32 device_feature */
#define VIRTIO_COMMON_GFSELECT   0x08       /* le32 driver_feature_select */
#define VIRTIO_COMMON_GF         0x0C       /* le32 driver_feature */
#define VIRTIO_COMMON_MSIX       0x10       /* le16 config_msix_vector */
#define VIRTIO_COMMON_NUMQ       0x12       /* le16 num_queues */
#define VIRTIO_COMMON_STATUS     0x14       /* u8 device_status */
#define VIRTIO_COMMON_CFGGEN     0x15       /* u8 config_generation */
#define VIRTIO_COMMON_Q_SELECT   0x16       /* le16 */
#define VIRTIO_COMMON_Q_SIZE     0x18       /* le16 */
#define VIRTIO_COMMON_Q_MSIX     0x1A       /* le16 */
#define VIRTIO_COMMON_Q_ENABLE   0x1C       /* le16 */
#define VIRTIO_COMMON_Q_NOFF     0x1E       /* le16 queue_notify_off */
#define VIRTIO_COMMON_Q_DESCLO   0x20       /* le64 queue_desc, as two le32 */
#define VIRTIO_COMMON_Q_DESCHI   0x24
#define VIRTIO_COMMON_Q_AVAILLO  0x28       /* le64 queue_driver */
#define VIRTIO_COMMON_Q_AVAILHI  0x2C
#define VIRTIO_COMMON_Q_USEDLO   0x30       /* le64 queue_device */
#define VIRTIO_COMMON_Q_USEDHI   0x34
#define VIRTIO_COMMON_CFG_MIN    0x38       /* bytes the driver uses */

#define VIRTIO_MSI_NO_VECTOR     0xFFFFu

/* Device status. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER      0x02u
#define VIRTIO_STATUS_DRIVER_OK   0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED      0x80u

/* ISR status (reading it clears it and lowers INTx). */
#define VIRTIO_ISR_QUEUE         0x1u
#define VIRTIO_ISR_CONFIG        0x2u

/* Feature bits. */
#define VIRTIO_NET_F_CSUM        0
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16
#define VIRTIO_NET_F_CTRL_VQ     17
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX  29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED     34
#define VIRTIO_FEATURE(b)        (1ull << (b))

/* virtio-net device configuration. */
#define VIRTIO_NET_CFG_MAC       0          /* u8[6] */
#define VIRTIO_NET_CFG_STATUS    6          /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_S_LINK_UP     0x1u
#define VIRTIO_NET_S_ANNOUNCE    0x2u

/* Queues of a virtio-net device without multiqueue. */
#define VIRTIO_NET_RXQ           0
#define VIRTIO_NET_TXQ           1

/* struct virtio_net_hdr (VERSION_1: num_buffers always present). */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr is 12 bytes");
#define VIRTIO_NET_HDR_LEN 12u

/* Split virtqueue. */
#define VIRTQ_DESC_F_NEXT        1u
#define VIRTQ_DESC_F_WRITE       2u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY   1u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];            /* size entries, then le16 used_event */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];  /* size entries, then le16 avail_event */
};
