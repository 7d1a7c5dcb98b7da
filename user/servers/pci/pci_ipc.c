// SPDX-License-Identifier: MIT
/* pci_ipc.c - the PCI protocol (proto/pci.h) on the service's endpoint.
 * Who calls is told by the badge (see proto/pci.h): 0 is init (the only
 * holder of an unbadged copy), PCI_BADGE_DEVICE | bdf a driver's "pcidev",
 * anything else a client. Each method says which callers it serves; a
 * request from anyone else gets -MOS_EPERM, an unknown label -MOS_ENOSYS.
 * Nothing a caller sends is trusted: words are range-checked, capabilities
 * that arrive are deleted unread, config writes pass pci_cfg_write_filter.
 * Capabilities handed out (the "pcidev" endpoint, BAR memory) are minted
 * here and moved to the caller in the reply; one that could not be
 * delivered is deleted, so the service keeps none of them. */
#include "mos_lib.h"
#include "pci_hw.h"
#include "pci_srv.h"

enum pci_who { WHO_MANAGER = 1, WHO_DEVICE = 2, WHO_CLIENT = 4 };

struct pci_call {
    const struct mos_msg *m;
    unsigned who;
    int dev;                        /* WHO_DEVICE: index in scan.dev, or -1 (gone) */
};

struct pci_out {
    uint64_t w[MOS_MSG_WORDS];
    const void *data;
    size_t len;
    mos_handle_t cap;               /* moved to the caller, or 0 */
};

typedef long (*pci_fn)(struct pci_server *sv, const struct pci_call *c, struct pci_out *o);

/* ---------------------------------------------------------------- methods */

static long pci_list(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    const struct pci_scan *s = &sv->scan;
    uint64_t first = c->m->w[0];
    if (first > s->n)
        return -MOS_ERANGE;
    size_t n = s->n - first, max = MOS_MSG_MAX_BYTES / sizeof(struct pci_dev_info);
    if (n > max)
        n = max;
    o->data = &s->dev[first];
    o->len = n * sizeof(struct pci_dev_info);
    o->w[0] = n;
    o->w[1] = s->n;
    return 0;
}

static long pci_info(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    int i = c->who == WHO_DEVICE ? c->dev : (c->m->w[0] > 0xFFFF ? -1 : pci_by_bdf(&sv->scan, (uint16_t)c->m->w[0]));
    if (i < 0)
        return -MOS_ENOENT;
    o->data = &sv->scan.dev[i];
    o->len = sizeof(struct pci_dev_info);
    return 0;
}

static long pci_claim(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    uint64_t ids = c->m->w[0], index = c->m->w[1];
    if (ids > 0xFFFFFFFFull || index > 255)
        return -MOS_EINVAL;
    int i = pci_find(&sv->scan, (uint16_t)ids, (uint16_t)(ids >> 16), (unsigned)index);
    if (i < 0)
        return -MOS_ENOENT;
    struct pci_dev_info *d = &sv->scan.dev[i];
    long h = mos_cap_transfer(sv->ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, PCI_BADGE_DEVICE | d->bdf, 0, 0);
    if (h < 0)
        return h;
    uint64_t mask = 0, first, count, off;
    for (unsigned b = 0; b < d->nbars; b++) {
        if (pci_bar_pages(d, b, &first, &count, &off) == 0)
            mask |= 1u << b;
    }
    o->cap = (mos_handle_t)h;
    o->w[0] = d->bdf;
    o->w[1] = mask;
    o->w[2] = d->irq_line | (uint64_t)d->irq_pin << 8;
    if (!d->claimed)
        printf("pci: %02x:%02x.%x (%04x:%04x) claimed for a driver\n", PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf),
               PCI_BDF_FN(d->bdf), d->vendor, d->device);
    d->claimed = 1;
    return 0;
}

static long pci_bar(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    uint64_t bdf = c->m->w[0], bar = c->m->w[1];
    int i = bdf > 0xFFFF ? -1 : pci_by_bdf(&sv->scan, (uint16_t)bdf);
    if (i < 0)
        return -MOS_ENOENT;
    const struct pci_dev_info *d = &sv->scan.dev[i];
    uint64_t first, count, off;
    long r = pci_bar_pages(d, bar, &first, &count, &off);
    if (r < 0)
        return r;
    if (!sv->devmem)
        return -MOS_ENOENT;
    /* Object pages: the devmem object starts at devmem_origin. */
    uint64_t phys = first * MOS_PAGE_SIZE;
    if (phys < sv->devmem_origin)
        return -MOS_ERANGE;
    uint64_t page = (phys - sv->devmem_origin) / MOS_PAGE_SIZE;
    if (page < sv->devmem_first || page - sv->devmem_first >= sv->devmem_count ||
        count > sv->devmem_count - (page - sv->devmem_first))
        return -MOS_ERANGE;
    r = mos_cap_transfer(sv->devmem, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, page, count);
    if (r < 0)
        return r;
    o->cap = (mos_handle_t)r;
    o->w[0] = d->bar[bar].base;
    o->w[1] = d->bar[bar].size;
    o->w[2] = d->bar[bar].flags;
    o->w[3] = off;
    return 0;
}

static long pci_cfg_read(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    if (c->dev < 0)
        return -MOS_ENOENT;
    uint64_t off = c->m->w[0], width = c->m->w[1];
    long r = pci_cfg_read_ok(off, width);
    if (r < 0)
        return r;
    o->w[0] = sv->ops.read(sv->ops.ctx, sv->scan.dev[c->dev].bdf, (unsigned)off, (unsigned)width);
    return 0;
}

static long pci_cfg_write(struct pci_server *sv, const struct pci_call *c, struct pci_out *o)
{
    (void)o;
    if (c->dev < 0)
        return -MOS_ENOENT;
    struct pci_dev_info *d = &sv->scan.dev[c->dev];
    uint64_t off = c->m->w[0], width = c->m->w[1];
    long r = pci_cfg_read_ok(off, width);
    if (r < 0)
        return r;
    uint32_t cur = sv->ops.read(sv->ops.ctx, d->bdf, (unsigned)off, (unsigned)width), v;
    r = pci_cfg_write_filter(off, width, c->m->w[2], cur, &v);
    if (r < 0)
        return r;
    sv->ops.write(sv->ops.ctx, d->bdf, (unsigned)off, (unsigned)width, v);
    if (off == PCI_COMMAND || off == PCI_COMMAND + 1)
        d->command = (uint16_t)sv->ops.read(sv->ops.ctx, d->bdf, PCI_COMMAND, 2);
    return 0;
}

static const struct pci_method {
    pci_fn fn;
    unsigned who;                   /* callers allowed: WHO_* */
} methods[] = {
    [PCI_LIST] = { pci_list, WHO_MANAGER | WHO_DEVICE | WHO_CLIENT },
    [PCI_INFO] = { pci_info, WHO_MANAGER | WHO_DEVICE | WHO_CLIENT },
    [PCI_CLAIM] = { pci_claim, WHO_MANAGER },
    [PCI_BAR] = { pci_bar, WHO_MANAGER },
    [PCI_CFG_READ] = { pci_cfg_read, WHO_DEVICE },
    [PCI_CFG_WRITE] = { pci_cfg_write, WHO_DEVICE },
};

/* ---------------------------------------------------------------- loop */

static long pci_handle(struct pci_server *sv, const struct mos_msg *m, struct pci_out *o)
{
    struct pci_call c = { .m = m, .dev = -1 };
    if (m->badge == 0) {
        c.who = WHO_MANAGER;
    } else if ((m->badge & ~PCI_BADGE_BDF_MASK) == PCI_BADGE_DEVICE) {
        c.who = WHO_DEVICE;
        c.dev = pci_by_bdf(&sv->scan, (uint16_t)(m->badge & PCI_BADGE_BDF_MASK));
    } else {
        c.who = WHO_CLIENT;
    }
    uint32_t op = mos_msg_label(m->info);
    if (op >= sizeof methods / sizeof methods[0] || !methods[op].fn)
        return -MOS_ENOSYS;
    if (!(methods[op].who & c.who))
        return -MOS_EPERM;
    return methods[op].fn(sv, &c, o);
}

void pci_serve(struct pci_server *sv)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    struct mos_msg m;
    long r = mos_recv(sv->ep, MOS_TIMEOUT_FOREVER, 0, &m);
    for (;;) {
        if (r < 0) {
            printf("pci: receive failed: %s\n", mos_strerror(r));
            (void)mos_thread_block(100ull * 1000000ull);
            r = mos_recv(sv->ep, MOS_TIMEOUT_FOREVER, 0, &m);
            continue;
        }
        for (unsigned i = 0; i < mos_msg_ncaps(m.info) && i < MOS_MSG_MAX_CAPS; i++) {
            if (buf->caps[i])
                (void)mos_cap_delete(buf->caps[i]);     /* the protocol carries none in */
        }
        if (!(mos_msg_flags(m.info) & MOS_MSG_CALL) || (mos_msg_flags(m.info) & MOS_MSG_NOTIFY)) {
            r = mos_recv(sv->ep, MOS_TIMEOUT_FOREVER, 0, &m);
            continue;                                   /* nobody waits for an answer */
        }
        struct pci_out o = { 0 };
        long res = pci_handle(sv, &m, &o);
        if (res < 0)
            o = (struct pci_out){ 0 };
        mos_msginfo_t info;
        int err = mos_ipc_stage(buf, (uint32_t)(int32_t)res, o.data, o.len, &o.cap, o.cap ? 1 : 0, 1u, 0, &info);
        if (err) {                                      /* cannot happen: sizes are bounded */
            printf("pci: cannot stage a reply: %s\n", mos_strerror(err));
            err = mos_ipc_stage(buf, (uint32_t)(int32_t)-MOS_EIO, NULL, 0, NULL, 0, 0, 0, &info);
        }
        r = mos_ipc_reply_recv_m(sv->ep, info, o.w, &m);
        if (o.cap) {
            /* Moved if the caller got it; otherwise (caller gone) still ours. */
            struct mos_cap_info ci;
            if (mos_cap_inspect(o.cap, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0)
                (void)mos_cap_delete(o.cap);
        }
    }
}
