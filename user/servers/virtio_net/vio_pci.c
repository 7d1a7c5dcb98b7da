// SPDX-License-Identifier: MIT
/* vio_pci.c - the modern virtio PCI transport (vio_pci.h; virtio 1.2
 * section 3.1 for the initialisation order, 4.1.4.3 for the common
 * configuration). 64-bit fields are written as two 32-bit halves, low
 * first, which the specification allows. */
#include "vio_pci.h"

#include <mos/errors.h>
#include "virtio_hw.h"

#define VIO_RESET_SPINS 1000000u

static uint8_t rd8(volatile uint8_t *b, unsigned off) { return *(volatile uint8_t *)(b + off); }
static uint16_t rd16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static uint32_t rd32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }
static void wr8(volatile uint8_t *b, unsigned off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static void wr16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static void wr32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }

static void wr64(volatile uint8_t *b, unsigned lo, unsigned hi, uint64_t v)
{
    wr32(b, lo, (uint32_t)v);
    wr32(b, hi, (uint32_t)(v >> 32));
}

uint8_t vio_status(const struct vio_dev *d)
{
    return rd8(d->common, VIRTIO_COMMON_STATUS);
}

static void set_status(struct vio_dev *d, uint8_t bits)
{
    wr8(d->common, VIRTIO_COMMON_STATUS, (uint8_t)(vio_status(d) | bits));
}

int vio_reset(struct vio_dev *d)
{
    wr8(d->common, VIRTIO_COMMON_STATUS, 0);
    for (unsigned i = 0; i < VIO_RESET_SPINS; i++) {
        if (vio_status(d) == 0)
            return 0;
        __asm__ volatile("pause");
    }
    return -MOS_EIO;
}

int vio_negotiate(struct vio_dev *d, uint64_t required, uint64_t wanted, uint64_t *offered)
{
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(d, VIRTIO_STATUS_DRIVER);
    wr32(d->common, VIRTIO_COMMON_DFSELECT, 0);
    uint64_t f = rd32(d->common, VIRTIO_COMMON_DF);
    wr32(d->common, VIRTIO_COMMON_DFSELECT, 1);
    f |= (uint64_t)rd32(d->common, VIRTIO_COMMON_DF) << 32;
    *offered = f;
    if ((f & required) != required) {
        set_status(d, VIRTIO_STATUS_FAILED);
        return -MOS_EINVAL;
    }
    uint64_t use = f & (wanted | required);
    wr32(d->common, VIRTIO_COMMON_GFSELECT, 0);
    wr32(d->common, VIRTIO_COMMON_GF, (uint32_t)use);
    wr32(d->common, VIRTIO_COMMON_GFSELECT, 1);
    wr32(d->common, VIRTIO_COMMON_GF, (uint32_t)(use >> 32));
    set_status(d, VIRTIO_STATUS_FEATURES_OK);
    if (!(vio_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
        set_status(d, VIRTIO_STATUS_FAILED);
        return -MOS_EIO;
    }
    d->features = use;
    return 0;
}

int vio_setup_queue(struct vio_dev *d, uint16_t q, uint16_t want, struct virtq *vq, void *mem, uint64_t pa,
                    volatile uint16_t **notify)
{
    if (q >= rd16(d->common, VIRTIO_COMMON_NUMQ))
        return -MOS_ENOENT;
    wr16(d->common, VIRTIO_COMMON_Q_SELECT, q);
    uint16_t max = rd16(d->common, VIRTIO_COMMON_Q_SIZE);
    if (max == 0)
        return -MOS_ENOENT;
    uint16_t size = want < max ? want : max;
    while (size & (size - 1))
        size &= (uint16_t)(size - 1);          /* down to a power of two */
    int r = virtq_init(vq, size, mem, pa);
    if (r < 0)
        return r;
    int64_t noff = vio_notify_offset(&d->caps, rd16(d->common, VIRTIO_COMMON_Q_NOFF));
    if (noff < 0)
        return -MOS_EINVAL;
    wr16(d->common, VIRTIO_COMMON_Q_SIZE, size);
    wr16(d->common, VIRTIO_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
    wr64(d->common, VIRTIO_COMMON_Q_DESCLO, VIRTIO_COMMON_Q_DESCHI, vq->desc_pa);
    wr64(d->common, VIRTIO_COMMON_Q_AVAILLO, VIRTIO_COMMON_Q_AVAILHI, vq->avail_pa);
    wr64(d->common, VIRTIO_COMMON_Q_USEDLO, VIRTIO_COMMON_Q_USEDHI, vq->used_pa);
    wr16(d->common, VIRTIO_COMMON_Q_ENABLE, 1);
    *notify = (volatile uint16_t *)(d->notify_bar + noff);
    return 0;
}

void vio_driver_ok(struct vio_dev *d)
{
    wr16(d->common, VIRTIO_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
    set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

uint8_t vio_isr(const struct vio_dev *d)
{
    return rd8(d->isr, 0);
}

int vio_read_config(const struct vio_dev *d, uint32_t off, void *buf, uint32_t len)
{
    if (off > d->caps.device.length || len > d->caps.device.length - off)
        return -MOS_ERANGE;
    uint8_t *out = buf;
    for (unsigned tries = 0; tries < 100; tries++) {
        uint8_t gen = rd8(d->common, VIRTIO_COMMON_CFGGEN);
        /* Each field by its natural width (4.1.3.1): le16/le32 whole. */
        if (len == 2 && off % 2 == 0) {
            uint16_t v = rd16(d->device, off);
            out[0] = (uint8_t)v;
            out[1] = (uint8_t)(v >> 8);
        } else if (len == 4 && off % 4 == 0) {
            uint32_t v = rd32(d->device, off);
            for (unsigned i = 0; i < 4; i++)
                out[i] = (uint8_t)(v >> (8 * i));
        } else {
            for (uint32_t i = 0; i < len; i++)
                out[i] = rd8(d->device, off + i);
        }
        if (rd8(d->common, VIRTIO_COMMON_CFGGEN) == gen)
            return 0;
    }
    return 0;                                   /* still changing: use the last read */
}
