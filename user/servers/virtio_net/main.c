// SPDX-License-Identifier: MIT
/* virtio-net - the driver of QEMU's virtio-net-pci through the modern
 * virtio 1.x PCI interface (vio_caps.c, vio_pci.c), with split virtqueues
 * (virtq.c) and a zero-copy data path to the netstack (vnet.c; protocol
 * proto/netdev.h, rings netring.h).
 *
 * Capabilities (start block; init obtained them from the pci service for
 * "cap=pci:1af4:1041"): "barN" (MEMORY, device, READ|WRITE: the memory
 * BARs), "irq" (the function's INTx line, if routed), "pcidev" (calls to
 * the pci service limited to this function's config space), "ep" (the
 * "netdev" endpoint init keeps across restarts). Nothing else: no I/O
 * ports, no other device memory; DMA memory comes from mem_alloc(DMA32).
 *
 * Start (fresh or restarted alike): map the BARs, reset the device,
 * negotiate VERSION_1 (required), MAC and STATUS (wanted; nothing else is
 * accepted), set up receive queue 0 and transmit queue 1, DRIVER_OK. A new
 * instance therefore always starts from a reset device; a netstack that
 * was attached to the old one sees STATUS w3 = 0 and attaches again.
 *
 * Loop: one thread receives on "ep": NETDEV_* calls, NETDEV_KICK_* bits
 * from the netstack, NOTE_IRQ from the interrupt (read the ISR, which
 * lowers INTx, then acknowledge with irq_bind(irq, 0, 0)), and a 100 ms
 * time-out as a backstop. The driver never blocks on the netstack: it only
 * notifies it and replies to it. */
#include "mos_lib.h"
#include "proto/netdev.h"
#include "proto/pci.h"
#include "../pci/pci_hw.h"
#include "vio_caps.h"
#include "vio_pci.h"
#include "virtio_hw.h"
#include "vnet.h"

#define NOTE_IRQ        (1ull << 8)
#define POLL_NS         (100ull * 1000000ull)
#define POLL_NOIRQ_NS   (10ull * 1000000ull)
#define VA_BARS         0x0000300000000000ull   /* BAR i at VA_BARS + i * VA_BAR_SPAN */
#define VA_BAR_SPAN     0x0000000040000000ull   /* 1 GiB */
#define VA_DMA          0x0000310000000000ull   /* virtqueues and the TX header */
#define VA_REGION       0x0000320000000000ull   /* the region shared with the netstack */
#define QUEUE_SIZE      256u
#define PAGE            4096ull

struct vnd {
    mos_handle_t ep, pcidev, irq, bar[PCI_MAX_BARS];
    struct pci_dev_info pci;
    volatile uint8_t *bar_va[PCI_MAX_BARS];
    struct vio_dev dev;
    struct virtq rxq, txq;
    volatile uint16_t *notify[2];
    mos_handle_t dma;               /* virtqueue rings and the TX header */
    uint8_t *dma_va;
    uint64_t dma_pa;
    mos_handle_t region;            /* root of the shared region; the netstack holds a child */
    uint8_t *region_va;
    uint64_t region_pa, region_pages;
    struct vnet net;
    struct vnet_ops ops;
    bool irq_bound;
    uint64_t irqs;                  /* interrupts taken (NOTE_IRQ with ISR bits set) */
    mos_handle_t client_ep;         /* the attached netstack's endpoint, or 0 */
    uint64_t client_badge;
    bool link_up;
    uint8_t mac[6];
    uint64_t offered;
    bool restarted;
};

static struct vnd vd;

/* ---------------------------------------------------------------- pci service */

static long cfg_read(struct vnd *d, unsigned off, unsigned width, uint32_t *out)
{
    struct mos_msg r;
    uint64_t w[MOS_MSG_WORDS] = { off, width };
    long e = mos_call(d->pcidev, PCI_CFG_READ, w, NULL, 0, NULL, 0, &r);
    if (e == 0)
        e = (int32_t)mos_msg_label(r.info);
    if (e == 0)
        *out = (uint32_t)r.w[0];
    return e;
}

static long cfg_write(struct vnd *d, unsigned off, unsigned width, uint32_t v)
{
    struct mos_msg r;
    uint64_t w[MOS_MSG_WORDS] = { off, width, v };
    long e = mos_call(d->pcidev, PCI_CFG_WRITE, w, NULL, 0, NULL, 0, &r);
    return e ? e : (int32_t)mos_msg_label(r.info);
}

static long pci_info(struct vnd *d)
{
    struct mos_msg r;
    long e = mos_call(d->pcidev, PCI_INFO, NULL, NULL, 0, NULL, 0, &r);
    if (e == 0)
        e = (int32_t)mos_msg_label(r.info);
    if (e == 0 && mos_msg_bytes(r.info) != sizeof d->pci)
        e = -MOS_EIO;
    if (e == 0)
        memcpy(&d->pci, mos_msg_data(&r), sizeof d->pci);
    return e;
}

/* ---------------------------------------------------------------- mapping */

/* Map BAR i through its capability; the BAR must lie inside it. */
static long map_bar(struct vnd *d, unsigned i)
{
    if (d->bar_va[i])
        return 0;
    struct mos_cap_info info;
    long r = mos_cap_inspect(d->bar[i], (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
    if (r < 0)
        return r;
    const struct pci_bar_info *b = &d->pci.bar[i];
    if (info.type != MOS_CAP_MEMORY || !(info.flags & MOS_MEM_DEVICE) || info.count * PAGE > VA_BAR_SPAN ||
        b->base < info.phys || b->base - info.phys + b->size > info.count * PAGE)
        return -MOS_ERANGE;
    uint64_t va = VA_BARS + i * VA_BAR_SPAN;
    r = mos_mem_map(d->bar[i], MOS_SELF, va, 0, info.count, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        return r;
    d->bar_va[i] = (volatile uint8_t *)(uintptr_t)(va + (b->base - info.phys));
    return 0;
}

/* mem_alloc(DMA32) + map: the physical address from cap_inspect. */
static long dma_alloc(uint64_t pages, uint64_t va, mos_handle_t *h, uint8_t **ptr, uint64_t *pa)
{
    long r = mos_mem_alloc(pages, MOS_MEM_DMA32);
    if (r < 0)
        return r;
    *h = (mos_handle_t)r;
    struct mos_cap_info info;
    r = mos_cap_inspect(*h, (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
    if (r == 0 && (!(info.flags & MOS_MEM_DMA32) || info.phys == 0 || info.phys + pages * PAGE > (1ull << 32)))
        r = -MOS_EIO;
    if (r == 0)
        r = mos_mem_map(*h, MOS_SELF, va, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        (void)mos_cap_delete(*h);
        *h = 0;
        return r;
    }
    *ptr = (uint8_t *)(uintptr_t)va;
    *pa = info.phys;
    return 0;
}

/* ---------------------------------------------------------------- device */

static void kick(void *ctx, unsigned q)
{
    struct vnd *d = ctx;
    *d->notify[q] = (uint16_t)q;
}

static void notify_client(void *ctx, uint32_t bits)
{
    struct vnd *d = ctx;
    if (d->client_ep)
        (void)mos_ipc_notify(d->client_ep, bits);
}

static bool read_link(struct vnd *d)
{
    if (!(d->dev.features & VIRTIO_FEATURE(VIRTIO_NET_F_STATUS)))
        return true;                            /* no status field: always up */
    uint16_t st = 0;
    (void)vio_read_config(&d->dev, VIRTIO_NET_CFG_STATUS, &st, 2);
    return (st & VIRTIO_NET_S_LINK_UP) != 0;
}

/* Reset the device and bring it up from nothing: features, queues,
 * DRIVER_OK. Everything the device held is forgotten (the caller reclaims
 * or drops the buffers first). */
static long device_start(struct vnd *d)
{
    long r = vio_reset(&d->dev);
    if (r < 0) {
        printf("virtio-net: the device does not reset\n");
        return r;
    }
    uint64_t want = VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS);
    r = vio_negotiate(&d->dev, VIRTIO_FEATURE(VIRTIO_F_VERSION_1), want, &d->offered);
    if (r < 0) {
        printf("virtio-net: feature negotiation failed (%s; offered 0x%llx, need VERSION_1)\n",
               mos_strerror(r), (unsigned long long)d->offered);
        return r;
    }
    uint64_t qbytes = (virtq_bytes(QUEUE_SIZE) + PAGE - 1) & ~(PAGE - 1);
    r = vio_setup_queue(&d->dev, VIRTIO_NET_RXQ, QUEUE_SIZE, &d->rxq, d->dma_va, d->dma_pa, &d->notify[0]);
    if (r == 0)
        r = vio_setup_queue(&d->dev, VIRTIO_NET_TXQ, QUEUE_SIZE, &d->txq, d->dma_va + qbytes, d->dma_pa + qbytes,
                            &d->notify[1]);
    if (r < 0) {
        printf("virtio-net: queue set-up failed: %s\n", mos_strerror(r));
        return r;
    }
    vio_driver_ok(&d->dev);
    if (vio_status(&d->dev) & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)) {
        printf("virtio-net: the device failed after DRIVER_OK (status 0x%x)\n", vio_status(&d->dev));
        return -MOS_EIO;
    }
    return 0;
}

static void set_link(struct vnd *d, bool up, bool first)
{
    if (!first && up == d->link_up)
        return;
    d->link_up = up;
    printf("virtio-net: link %s\n", up ? "up" : "down");
    vnet_set_link(&d->net, up);
    vnet_flush_events(&d->net);
}

/* The device broke a rule or needs a reset: give the netstack its buffers
 * back, start the device again. Fatal if it will not come back. */
static void device_recover(struct vnd *d, const char *why)
{
    printf("virtio-net: %s: resetting the device\n", why);
    (void)vio_reset(&d->dev);
    vnet_reclaim(&d->net);
    if (device_start(d) < 0) {
        printf("virtio-net: the device did not come back; exiting\n");
        mos_exit(5);
    }
    vnet_flush_events(&d->net);
}

static void on_irq(struct vnd *d)
{
    uint8_t isr = vio_isr(&d->dev);             /* clears it and lowers INTx */
    if (d->irq_bound)
        (void)mos_irq_bind(d->irq, 0, 0);
    if (isr && d->irq_bound)
        d->irqs++;
    if (isr & VIRTIO_ISR_CONFIG) {
        if (vio_status(&d->dev) & VIRTIO_STATUS_NEEDS_RESET)
            device_recover(d, "the device needs a reset");
        set_link(d, read_link(d), false);
    }
}

/* ---------------------------------------------------------------- netdev protocol */

static uint64_t mac_word(const uint8_t mac[6])
{
    uint64_t w = 0;
    for (unsigned i = 0; i < 6; i++)
        w |= (uint64_t)mac[i] << (8 * i);
    return w;
}

/* Stop sharing the region: the netstack's capability (and its mapping)
 * goes, the device forgets the buffers it held. */
static void detach(struct vnd *d, bool tell_old)
{
    if (!d->net.attached)
        return;
    d->net.attached = false;
    (void)mos_cap_revoke(d->region);
    if (d->client_ep) {
        if (tell_old)
            (void)mos_ipc_notify(d->client_ep, NETDEV_EV_RESET);
        (void)mos_cap_delete(d->client_ep);
    }
    d->client_ep = 0;
    d->client_badge = 0;
    if (device_start(d) < 0) {
        printf("virtio-net: the device did not come back; exiting\n");
        mos_exit(5);
    }
}

struct reply {
    uint64_t w[MOS_MSG_WORDS];
    mos_handle_t cap;               /* moved to the caller */
};

static long op_attach(struct vnd *d, const struct mos_msg *m, mos_handle_t in_cap, struct reply *o)
{
    struct mos_cap_info info;
    if (!in_cap || mos_cap_inspect(in_cap, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0 ||
        info.type != MOS_CAP_ENDPOINT || !(info.rights & MOS_RIGHT_WRITE))
        return -MOS_EINVAL;
    if (d->net.attached && m->badge != d->client_badge)
        return -MOS_EBUSY;
    detach(d, true);                            /* the same client again: a fresh region */
    long r = vnet_layout(&d->net, d->region_va, d->region_pa, (uint32_t)(d->region_pages * PAGE));
    if (r < 0)
        return r;
    memcpy(d->net.sh->mac, d->mac, 6);
    d->net.sh->link_up = d->link_up;
    d->net.link_up = d->link_up;
    r = mos_cap_transfer(d->region, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 0, 0);
    if (r < 0) {
        d->net.attached = false;
        return r;
    }
    d->client_ep = in_cap;
    d->client_badge = m->badge;
    o->cap = (mos_handle_t)r;
    o->w[0] = d->region_pages;
    o->w[1] = mac_word(d->mac);
    printf("virtio-net: netstack attached (client 0x%llx, %llu pages, %u buffers)\n",
           (unsigned long long)m->badge, (unsigned long long)d->region_pages, d->net.nbufs);
    return 0;
}

static long op_detach(struct vnd *d, const struct mos_msg *m, struct reply *o)
{
    (void)o;
    if (!d->net.attached || m->badge != d->client_badge)
        return -MOS_EPERM;
    detach(d, false);
    printf("virtio-net: netstack detached (%llu interrupts so far; rx %llu, tx %llu packets)\n",
           (unsigned long long)d->irqs, (unsigned long long)d->net.st.rx_packets,
           (unsigned long long)d->net.st.tx_packets);
    return 0;
}

static long op_status(struct vnd *d, const struct mos_msg *m, struct reply *o)
{
    o->w[0] = d->link_up;
    o->w[1] = mac_word(d->mac);
    o->w[2] = NETDEV_MTU;
    o->w[3] = d->net.attached && m->badge == d->client_badge;
    return 0;
}

static void on_call(struct vnd *d, const struct mos_msg *m)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    unsigned ncaps = mos_msg_ncaps(m->info);
    mos_handle_t in_cap = ncaps ? buf->caps[0] : 0;
    for (unsigned i = 1; i < ncaps && i < MOS_MSG_MAX_CAPS; i++)
        (void)mos_cap_delete(buf->caps[i]);
    struct reply o = { 0 };
    long res;
    switch (mos_msg_label(m->info)) {
    case NETDEV_ATTACH: res = op_attach(d, m, in_cap, &o); break;
    case NETDEV_DETACH: res = op_detach(d, m, &o); break;
    case NETDEV_STATUS: res = op_status(d, m, &o); break;
    default: res = -MOS_ENOSYS; break;
    }
    if (in_cap && !(res == 0 && mos_msg_label(m->info) == NETDEV_ATTACH))
        (void)mos_cap_delete(in_cap);           /* kept only by a successful attach */
    if (!(mos_msg_flags(m->info) & MOS_MSG_CALL))
        return;
    if (res < 0)
        o = (struct reply){ 0 };
    mos_msginfo_t info;
    int err = mos_ipc_stage(buf, (uint32_t)(int32_t)res, NULL, 0, &o.cap, o.cap ? 1 : 0, 1u, 0, &info);
    long sent = err ? err : mos_ipc_reply(0, info, o.w[0], o.w[1], o.w[2], o.w[3]);
    if (o.cap) {
        struct mos_cap_info ci;
        if (sent < 0 || mos_cap_inspect(o.cap, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0) {
            /* The attacher is gone before it got the region: undo. */
            (void)mos_cap_delete(o.cap);
            detach(d, false);
            printf("virtio-net: the attaching client went away\n");
        }
    }
}

/* ---------------------------------------------------------------- start-up */

static int setup(struct vnd *d)
{
    d->ep = mos_cap_by_name("ep");
    d->pcidev = mos_cap_by_name("pcidev");
    d->irq = mos_cap_by_name("irq");
    if (!d->ep || !d->pcidev) {
        printf("virtio-net: missing capability \"ep\" or \"pcidev\"\n");
        return 2;
    }
    long r = pci_info(d);
    if (r < 0) {
        printf("virtio-net: PCI_INFO: %s\n", mos_strerror(r));
        return 2;
    }
    if (d->pci.vendor != VIRTIO_PCI_VENDOR || d->pci.device != VIRTIO_PCI_DEVICE_NET) {
        printf("virtio-net: device %04x:%04x is not a modern virtio-net (1af4:1041)\n", d->pci.vendor, d->pci.device);
        return 2;
    }
    /* The config space, through the pci service, for the capabilities. */
    uint8_t cfg[PCI_CFG_BYTES];
    for (unsigned off = 0; off < PCI_CFG_BYTES; off += 4) {
        uint32_t v;
        r = cfg_read(d, off, 4, &v);
        if (r < 0) {
            printf("virtio-net: PCI_CFG_READ 0x%x: %s\n", off, mos_strerror(r));
            return 2;
        }
        for (unsigned i = 0; i < 4; i++)
            cfg[off + i] = (uint8_t)(v >> (8 * i));
    }
    /* What of each BAR we can reach: its size as far as our capability
     * covers it (a restarted pci service may not know the size). */
    uint64_t bar_size[PCI_MAX_BARS] = { 0 };
    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        char name[8];
        snprintf(name, sizeof name, "bar%u", i);
        d->bar[i] = mos_cap_by_name(name);
        struct pci_bar_info *b = &d->pci.bar[i];
        struct mos_cap_info ci;
        if (!d->bar[i] || (b->flags & PCI_BAR_IO) ||
            mos_cap_inspect(d->bar[i], (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) < 0 || ci.type != MOS_CAP_MEMORY ||
            b->base < ci.phys || b->base - ci.phys >= ci.count * PAGE)
            continue;
        uint64_t reach = ci.count * PAGE - (b->base - ci.phys);
        if (b->size == 0 || b->size > reach)
            b->size = reach;
        bar_size[i] = b->size;
    }
    char why[96];
    r = vio_caps_parse(cfg, bar_size, VIRTIO_NET_CFG_STATUS + 2, &d->dev.caps, why, sizeof why);
    if (r < 0) {
        printf("virtio-net: %s\n", why);
        return 3;
    }
    const struct vio_caps *c = &d->dev.caps;
    const struct vio_region *regs[4] = { &c->common, &c->notify, &c->isr, &c->device };
    for (unsigned i = 0; i < 4; i++) {
        r = map_bar(d, regs[i]->bar);
        if (r < 0) {
            printf("virtio-net: cannot map bar%u: %s\n", regs[i]->bar, mos_strerror(r));
            return 3;
        }
    }
    d->dev.common = d->bar_va[c->common.bar] + c->common.offset;
    d->dev.isr = d->bar_va[c->isr.bar] + c->isr.offset;
    d->dev.device = d->bar_va[c->device.bar] + c->device.offset;
    d->dev.notify_bar = d->bar_va[c->notify.bar];
    /* Memory decode and bus mastering on, INTx not disabled. */
    uint32_t cmd;
    r = cfg_read(d, PCI_COMMAND, 2, &cmd);
    if (r == 0)
        r = cfg_write(d, PCI_COMMAND, 2, (cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER) & ~PCI_CMD_INTX_DISABLE);
    if (r < 0) {
        printf("virtio-net: cannot enable the device (command register): %s\n", mos_strerror(r));
        return 3;
    }
    /* DMA memory: both queues and the TX header; the shared region. */
    uint64_t qbytes = (virtq_bytes(QUEUE_SIZE) + PAGE - 1) & ~(PAGE - 1);
    uint64_t dma_pages = (2 * qbytes + PAGE) / PAGE;
    r = dma_alloc(dma_pages, VA_DMA, &d->dma, &d->dma_va, &d->dma_pa);
    if (r == 0) {
        d->region_pages = vnet_region_bytes() / PAGE;
        r = dma_alloc(d->region_pages, VA_REGION, &d->region, &d->region_va, &d->region_pa);
    }
    if (r < 0) {
        printf("virtio-net: cannot allocate DMA memory: %s\n", mos_strerror(r));
        return 4;
    }
    /* The header sent before every frame: zeroes (no offloads), device-readable. */
    d->ops = (struct vnet_ops){ .kick = kick, .notify = notify_client, .ctx = d };
    d->net.ops = &d->ops;
    d->net.rxq = &d->rxq;
    d->net.txq = &d->txq;
    d->net.hdr_pa = d->dma_pa + 2 * qbytes;
    memset(d->dma_va + 2 * qbytes, 0, PAGE);
    if (device_start(d) < 0)
        return 4;
    if (d->dev.features & VIRTIO_FEATURE(VIRTIO_NET_F_MAC)) {
        (void)vio_read_config(&d->dev, VIRTIO_NET_CFG_MAC, d->mac, 6);
    } else {                                    /* none offered: a local one from the time */
        uint64_t t = __builtin_ia32_rdtsc();
        d->mac[0] = 0x02;
        for (unsigned i = 1; i < 6; i++)
            d->mac[i] = (uint8_t)(t >> (8 * i));
    }
    memcpy(d->net.mac, d->mac, 6);
    if (d->irq) {
        r = mos_irq_bind(d->irq, d->ep, NOTE_IRQ);
        d->irq_bound = r == 0;
        if (r < 0)
            printf("virtio-net: irq_bind: %s: polling every 10 ms\n", mos_strerror(r));
    }
    struct mos_cap_info ii;
    char irqtext[24] = "no interrupt (polled)";
    if (d->irq_bound && mos_cap_inspect(d->irq, (uint64_t)(uintptr_t)&ii, MOS_SELF, 0) == 0)
        snprintf(irqtext, sizeof irqtext, "irq %llu", (unsigned long long)ii.base);
    printf("virtio-net: %02x:%02x.%x, features 0x%llx (offered 0x%llx), queues rx %u tx %u, %s%s\n",
           PCI_BDF_BUS(d->pci.bdf), PCI_BDF_DEV(d->pci.bdf), PCI_BDF_FN(d->pci.bdf),
           (unsigned long long)d->dev.features, (unsigned long long)d->offered, d->rxq.size, d->txq.size,
           irqtext, d->restarted ? " (restarted)" : "");
    printf("virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x\n", d->mac[0], d->mac[1], d->mac[2], d->mac[3],
           d->mac[4], d->mac[5]);
    set_link(d, read_link(d), true);
    return 0;
}

int main(int argc, char **argv)
{
    struct vnd *d = &vd;
    d->restarted = mos_restarts(argc, argv) > 0;
    int e = setup(d);
    if (e)
        return e;
    for (;;) {
        struct mos_msg m;
        long r = mos_recv(d->ep, d->irq_bound ? POLL_NS : POLL_NOIRQ_NS, 0, &m);
        if (r == 0 && (mos_msg_flags(m.info) & MOS_MSG_NOTIFY)) {
            if (m.w[0] & NOTE_IRQ)
                on_irq(d);
        } else if (r == 0) {
            on_call(d, &m);
        } else if (r == -MOS_ETIMEDOUT) {
            if (!d->irq_bound)
                on_irq(d);                      /* poll the ISR (config changes) */
        } else {
            printf("virtio-net: receive failed: %s\n", mos_strerror(r));
            (void)mos_thread_block(POLL_NS);
        }
        if (vnet_poll(&d->net) < 0)
            device_recover(d, "the device broke the virtqueue rules");
    }
}
