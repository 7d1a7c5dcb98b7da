/* SPDX-License-Identifier: MIT */
/* vio_pci.h - the virtio 1.x modern PCI transport over mapped BARs
 * (vio_pci.c): reset, feature negotiation, queue set-up, the ISR and the
 * device configuration. The regions were located by vio_caps_parse and
 * mapped by the caller; every access is a single load or store of the
 * register's own width on uncached device memory. One thread. */
#pragma once

#include <stdint.h>
#include "vio_caps.h"
#include "virtq.h"

struct vio_dev {
    struct vio_caps caps;
    volatile uint8_t *common;       /* the mapped regions */
    volatile uint8_t *isr;
    volatile uint8_t *device;
    volatile uint8_t *notify_bar;   /* start of the BAR holding the notify region */
    uint64_t features;              /* negotiated */
};

/* Reset the device (status 0, then wait until it reads 0). 0, or -MOS_EIO
 * if it never does. */
int vio_reset(struct vio_dev *d);

/* ACKNOWLEDGE, DRIVER, then accept offered & wanted, which must contain
 * required; FEATURES_OK, checked. 0 (features in d->features, everything the
 * device offered in *offered), -MOS_EINVAL (a required feature is missing:
 * status FAILED) or -MOS_EIO (the device refused FEATURES_OK). */
int vio_negotiate(struct vio_dev *d, uint64_t required, uint64_t wanted, uint64_t *offered);

/* Set up queue q with at most want entries over mem/pa (virtq_bytes(want)
 * bytes): init vq, tell the device the addresses, enable it. *notify gets
 * where to write q to notify it. 0, -MOS_ENOENT (no such queue),
 * -MOS_EINVAL (bad size or notify offset). */
int vio_setup_queue(struct vio_dev *d, uint16_t q, uint16_t want, struct virtq *vq, void *mem, uint64_t pa,
                    volatile uint16_t **notify);

void vio_driver_ok(struct vio_dev *d);
uint8_t vio_status(const struct vio_dev *d);
/* Read (and clear) the ISR status: VIRTIO_ISR_*. */
uint8_t vio_isr(const struct vio_dev *d);
/* Copy len bytes of device configuration from off, consistently (retried
 * while config_generation changes), as one access when len is 2 or 4 and
 * off is aligned to it (a le16/le32 field), else byte by byte. 0 or
 * -MOS_ERANGE (outside the region). */
int vio_read_config(const struct vio_dev *d, uint32_t off, void *buf, uint32_t len);
