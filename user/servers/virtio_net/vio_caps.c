// SPDX-License-Identifier: MIT
/* vio_caps.c - the virtio PCI capabilities (vio_caps.h, virtio 1.2 section
 * 4.1.4). The capability list itself is walked by pcicap_walk, which
 * rejects loops and pointers into the header; here each vendor capability
 * (struct virtio_pci_cap: cap_len, cfg_type, bar, offset, length, and for
 * notify the multiplier) is checked against the snapshot and the BARs
 * before it is believed. Pure. */
#include "vio_caps.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "../pci/pci_hw.h"
#include "../pci/pcicap.h"
#include "virtio_hw.h"
#ifdef HOST_TEST
#include <stdio.h>
#else
#include "mos_stdio.h"
#endif

#define VIO_WHY(...) do { if (why) snprintf(why, why_len, __VA_ARGS__); } while (0)

/* One capability at off, already known to be a vendor one: fill r if good. */
static bool vio_cap_one(const uint8_t *cfg, unsigned off, const uint64_t bar_size[6], uint32_t min_device,
                        struct vio_caps *c)
{
    unsigned cap_len = cfg[off + 2], type = cfg[off + VIRTIO_CAP_CFG_TYPE], bar = cfg[off + VIRTIO_CAP_BAR];
    struct vio_region *r;
    uint32_t align, min_len;
    unsigned need_len = VIRTIO_CAP_LEN_MIN;
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG: r = &c->common; align = 4; min_len = VIRTIO_COMMON_CFG_MIN; break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        r = &c->notify; align = 2; min_len = 2; need_len = VIRTIO_NOTIFY_CAP_LEN;
        break;
    case VIRTIO_PCI_CAP_ISR_CFG: r = &c->isr; align = 1; min_len = 1; break;
    case VIRTIO_PCI_CAP_DEVICE_CFG: r = &c->device; align = 4; min_len = min_device ? min_device : 1; break;
    default:
        return true;                            /* PCI_CFG, shared memory, vendor: not used */
    }
    if (r->present)
        return true;                            /* the first good one wins */
    if (cap_len < need_len || off + cap_len > 256)
        return false;                           /* truncated */
    if (bar > 5 || bar_size[bar] == 0)
        return false;
    uint32_t offset = pcicap_rd32(cfg, off + VIRTIO_CAP_OFFSET), length = pcicap_rd32(cfg, off + VIRTIO_CAP_LENGTH);
    if (offset % align || length < min_len || (uint64_t)offset + length > bar_size[bar])
        return false;
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        uint32_t mult = pcicap_rd32(cfg, off + VIRTIO_NOTIFY_CAP_MULT);
        if (mult & (mult - 1) || mult == 1)
            return false;                       /* 0 or an even power of two */
        c->notify_mult = mult;
    }
    *r = (struct vio_region){ .present = true, .bar = (uint8_t)bar, .offset = offset, .length = length };
    return true;
}

int vio_caps_parse(const uint8_t cfg[256], const uint64_t bar_size[6], uint32_t min_device,
                   struct vio_caps *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    struct pcicap caps[PCICAP_MAX];
    int n = pcicap_walk(cfg, caps, PCICAP_MAX);
    if (n < 0) {
        VIO_WHY("malformed capability list (%s)", n == -MOS_EINVAL ? "loop or bad pointer" : "too long");
        return -MOS_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        if (caps[i].id == PCI_CAP_ID_VENDOR && !vio_cap_one(cfg, caps[i].offset, bar_size, min_device, out))
            out->skipped++;
    }
    const char *missing = !out->common.present ? "common configuration"
                        : !out->notify.present ? "notification"
                        : !out->isr.present    ? "ISR status"
                        : !out->device.present ? "device configuration" : NULL;
    if (missing) {
        VIO_WHY("no usable virtio %s capability (%u malformed skipped)", missing, out->skipped);
        return -MOS_EINVAL;
    }
    return 0;
}

int64_t vio_notify_offset(const struct vio_caps *c, uint16_t noff)
{
    uint64_t rel = (uint64_t)noff * c->notify_mult;
    if (rel > c->notify.length || c->notify.length - rel < 2)
        return -1;
    return (int64_t)(c->notify.offset + rel);
}
