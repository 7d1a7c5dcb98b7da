/* SPDX-License-Identifier: MIT */
/* vio_caps.h - finding the virtio 1.x structures of a modern virtio PCI
 * function from its config-space snapshot (vio_caps.c): the common
 * configuration, notification, ISR and device-specific regions, each a
 * (BAR, offset, length) inside a memory BAR the driver holds. Pure; host-
 * tested by tests/host/test_pci_caps.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vio_region {
    bool present;
    uint8_t bar;
    uint32_t offset, length;        /* inside the BAR */
};

struct vio_caps {
    struct vio_region common, notify, isr, device;
    uint32_t notify_mult;           /* notify_off_multiplier */
    unsigned skipped;               /* vendor capabilities ignored as malformed */
};

/* Parse the virtio vendor capabilities of cfg (256 bytes). bar_size[i] is
 * the size of BAR i if the driver can map it, else 0. For each structure
 * the first well-formed capability wins (the specification's rule); one is
 * ignored (and counted in skipped) when its cap_len runs past the snapshot
 * or is too short for its type, it names a BAR that is not mappable,
 * its region wraps or runs past the BAR, it is misaligned (common and
 * device structures on 4 bytes, notify on 2), or is too small to hold the
 * structure (common 0x38 bytes, notify 2, ISR 1, device min_device).
 * Returns 0, or -MOS_EINVAL with a reason in why (which may be NULL) when
 * the capability list is malformed or common/notify/ISR/device is missing. */
int vio_caps_parse(const uint8_t cfg[256], const uint64_t bar_size[6], uint32_t min_device,
                   struct vio_caps *out, char *why, size_t why_len);

/* Offset in notify's BAR where queue notifications go for a queue whose
 * queue_notify_off is noff; -1 if that lies outside the notify region (a
 * le16 is written there). */
int64_t vio_notify_offset(const struct vio_caps *c, uint16_t noff);
