// SPDX-License-Identifier: MIT
/* pci_scan.c - enumerate PCI functions through a config-space accessor and
 * size their BARs. Depth first from bus 0: every device 0-31, function 0,
 * and functions 1-7 only when function 0 says multi-function; a PCI-to-PCI
 * bridge's secondary bus is scanned where the bridge is found. Invariant:
 * a bus is scanned at most once (bus_seen), so bridges that point back, or
 * two bridges claiming one bus, cannot loop or duplicate. BAR sizing is the
 * standard write-ones/read-back/restore with the function's decode off in
 * between (so it never decodes a half-written address), and the size is
 * the lowest writable address bit. Pure; single-threaded. */
#include "pci_scan.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "pci_hw.h"

static uint32_t cfg_rd(const struct pci_cfg_ops *o, uint16_t bdf, unsigned off, unsigned w)
{
    return o->read(o->ctx, bdf, off, w);
}

static void cfg_wr(const struct pci_cfg_ops *o, uint16_t bdf, unsigned off, unsigned w, uint32_t v)
{
    o->write(o->ctx, bdf, off, w, v);
}

static bool bus_test_and_set(struct pci_scan *s, unsigned bus)
{
    uint32_t bit = 1u << (bus % 32);
    bool was = (s->bus_seen[bus / 32] & bit) != 0;
    s->bus_seen[bus / 32] |= bit;
    return was;
}

/* The lowest set bit of a mask of writable address bits: the BAR's size. */
static uint64_t lowest_bit(uint64_t mask)
{
    return mask & (~mask + 1);
}

/* Read (and, if probe, size) the BARs of d. */
static void read_bars(struct pci_scan *s, struct pci_dev_info *d, const struct pci_cfg_ops *o, bool probe)
{
    uint16_t bdf = d->bdf;
    uint16_t cmd = (uint16_t)cfg_rd(o, bdf, PCI_COMMAND, 2);
    bool off = probe && (cmd & (PCI_CMD_IO | PCI_CMD_MEMORY));
    if (off)
        cfg_wr(o, bdf, PCI_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    for (unsigned i = 0; i < d->nbars; i++) {
        struct pci_bar_info *b = &d->bar[i];
        unsigned reg = PCI_BAR0 + 4 * i;
        uint32_t orig = cfg_rd(o, bdf, reg, 4);
        if (orig & PCI_BAR_SPACE_IO) {
            b->flags = PCI_BAR_IO;
            b->base = orig & PCI_BAR_IO_MASK;
            if (probe) {
                cfg_wr(o, bdf, reg, 4, 0xFFFFFFFFu);
                uint32_t v = cfg_rd(o, bdf, reg, 4);
                cfg_wr(o, bdf, reg, 4, orig);
                /* Only the low 16 bits need be implemented for I/O. */
                b->size = lowest_bit(v & PCI_BAR_IO_MASK & 0xFFFFu);
                if (b->size == 0)
                    b->size = lowest_bit(v & PCI_BAR_IO_MASK);
            } else if (b->base) {
                b->flags |= PCI_BAR_UNSIZED;
            }
            if (b->size == 0 && !(b->flags & PCI_BAR_UNSIZED))
                b->base = 0;                    /* not implemented */
            continue;
        }
        unsigned type = PCI_BAR_MEM_TYPE(orig);
        if (orig & PCI_BAR_MEM_PREF)
            b->flags |= PCI_BAR_PREFETCH;
        if (type == 2) {
            b->flags |= PCI_BAR_MEM64;
            if (i + 1 >= d->nbars) {            /* no room for the upper half */
                b->flags |= PCI_BAR_BAD;
                s->problems++;
                continue;
            }
            unsigned reg_hi = reg + 4;
            uint32_t orig_hi = cfg_rd(o, bdf, reg_hi, 4);
            b->base = ((uint64_t)orig_hi << 32) | (orig & PCI_BAR_MEM_MASK);
            if (probe) {
                cfg_wr(o, bdf, reg, 4, 0xFFFFFFFFu);
                cfg_wr(o, bdf, reg_hi, 4, 0xFFFFFFFFu);
                uint64_t v = cfg_rd(o, bdf, reg, 4) | (uint64_t)cfg_rd(o, bdf, reg_hi, 4) << 32;
                cfg_wr(o, bdf, reg, 4, orig);
                cfg_wr(o, bdf, reg_hi, 4, orig_hi);
                b->size = lowest_bit(v & ~(uint64_t)0xF);
            } else if (b->base) {
                b->flags |= PCI_BAR_UNSIZED;
            }
            d->bar[i + 1].flags = PCI_BAR_UPPER;
            i++;
        } else {
            if (type != 0 && type != 1) {       /* 3 is reserved */
                b->flags |= PCI_BAR_BAD;
                s->problems++;
                continue;
            }
            b->base = orig & PCI_BAR_MEM_MASK;
            if (probe) {
                cfg_wr(o, bdf, reg, 4, 0xFFFFFFFFu);
                uint32_t v = cfg_rd(o, bdf, reg, 4);
                cfg_wr(o, bdf, reg, 4, orig);
                b->size = lowest_bit(v & PCI_BAR_MEM_MASK);
            } else if (b->base) {
                b->flags |= PCI_BAR_UNSIZED;
            }
        }
        if (b->size == 0 && !(b->flags & PCI_BAR_UNSIZED)) {
            b->base = 0;                        /* not implemented */
            b->flags &= PCI_BAR_BAD;
        } else if (b->size && b->base + (b->size - 1) < b->base) {
            b->flags |= PCI_BAR_BAD;            /* wraps around the address space */
            s->problems++;
        }
    }
    if (off)
        cfg_wr(o, bdf, PCI_COMMAND, 2, cmd);
}

static void scan_bus(struct pci_scan *s, const struct pci_cfg_ops *o, unsigned bus, bool size_live);

static void scan_function(struct pci_scan *s, const struct pci_cfg_ops *o, unsigned bus, unsigned dev,
                          unsigned fn, bool size_live)
{
    uint16_t bdf = PCI_BDF(bus, dev, fn);
    if (s->n >= PCI_SCAN_MAX) {
        s->dropped++;
        return;
    }
    struct pci_dev_info *d = &s->dev[s->n++];
    memset(d, 0, sizeof *d);
    d->bdf = bdf;
    d->vendor = (uint16_t)cfg_rd(o, bdf, PCI_VENDOR_ID, 2);
    d->device = (uint16_t)cfg_rd(o, bdf, PCI_DEVICE_ID, 2);
    d->command = (uint16_t)cfg_rd(o, bdf, PCI_COMMAND, 2);
    d->status = (uint16_t)cfg_rd(o, bdf, PCI_STATUS, 2);
    d->revision = (uint8_t)cfg_rd(o, bdf, PCI_REVISION, 1);
    d->prog_if = (uint8_t)cfg_rd(o, bdf, PCI_PROG_IF, 1);
    d->subclass = (uint8_t)cfg_rd(o, bdf, PCI_SUBCLASS, 1);
    d->class_code = (uint8_t)cfg_rd(o, bdf, PCI_CLASS, 1);
    d->header_type = (uint8_t)(cfg_rd(o, bdf, PCI_HEADER_TYPE, 1) & 0x7F);
    d->irq_line = (uint8_t)cfg_rd(o, bdf, PCI_INTERRUPT_LINE, 1);
    d->irq_pin = (uint8_t)cfg_rd(o, bdf, PCI_INTERRUPT_PIN, 1);
    if (d->irq_pin > 4) {
        d->irq_pin = 0;                         /* malformed: treat as none */
        s->problems++;
    }
    switch (d->header_type) {
    case PCI_HEADER_DEVICE:
        d->nbars = PCI_MAX_BARS;
        d->subsys_vendor = (uint16_t)cfg_rd(o, bdf, PCI_SUBSYS_VENDOR, 2);
        d->subsys_device = (uint16_t)cfg_rd(o, bdf, PCI_SUBSYS_ID, 2);
        break;
    case PCI_HEADER_BRIDGE:
        d->nbars = 2;
        d->secondary_bus = (uint8_t)cfg_rd(o, bdf, PCI_SECONDARY_BUS, 1);
        break;
    default:                                    /* CardBus and unknown layouts: IDs only */
        d->nbars = 0;
        break;
    }
    bool decode_off = !(d->command & (PCI_CMD_IO | PCI_CMD_MEMORY));
    read_bars(s, d, o, size_live || decode_off);
    d->command = (uint16_t)cfg_rd(o, bdf, PCI_COMMAND, 2);
    if (d->header_type == PCI_HEADER_BRIDGE && d->secondary_bus != 0) {
        if (d->secondary_bus <= bus)
            s->problems++;                      /* points back: scanned only if never seen */
        scan_bus(s, o, d->secondary_bus, size_live);
    }
}

static void scan_bus(struct pci_scan *s, const struct pci_cfg_ops *o, unsigned bus, bool size_live)
{
    if (bus_test_and_set(s, bus))
        return;
    s->buses++;
    for (unsigned dev = 0; dev < 32; dev++) {
        uint16_t bdf = PCI_BDF(bus, dev, 0);
        if ((cfg_rd(o, bdf, PCI_VENDOR_ID, 2) & 0xFFFF) == 0xFFFF)
            continue;
        bool multi = (cfg_rd(o, bdf, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTIFN) != 0;
        scan_function(s, o, bus, dev, 0, size_live);
        for (unsigned fn = 1; multi && fn < 8; fn++) {
            if ((cfg_rd(o, PCI_BDF(bus, dev, fn), PCI_VENDOR_ID, 2) & 0xFFFF) != 0xFFFF)
                scan_function(s, o, bus, dev, fn, size_live);
        }
    }
}

void pci_scan(struct pci_scan *s, const struct pci_cfg_ops *o, bool size_live)
{
    memset(s, 0, sizeof *s);
    scan_bus(s, o, 0, size_live);
    /* Several host controllers: function f of 00:00 owns bus f. */
    if ((cfg_rd(o, 0, PCI_VENDOR_ID, 2) & 0xFFFF) != 0xFFFF &&
        (cfg_rd(o, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTIFN)) {
        for (unsigned fn = 1; fn < 8; fn++) {
            uint16_t bdf = PCI_BDF(0, 0, fn);
            if ((cfg_rd(o, bdf, PCI_VENDOR_ID, 2) & 0xFFFF) == 0xFFFF)
                continue;
            if (cfg_rd(o, bdf, PCI_CLASS, 1) == PCI_CLASS_BRIDGE &&
                cfg_rd(o, bdf, PCI_SUBCLASS, 1) == PCI_SUBCLASS_HOST)
                scan_bus(s, o, fn, size_live);
        }
    }
    pci_mark_shared_pages(s);
}

/* [first, last] pages a memory BAR may decode; false if it decodes none.
 * An unsized BAR is bounded by its alignment: a BAR is aligned to its size,
 * so it ends before base + (lowest set bit of base). */
static bool bar_page_range(const struct pci_bar_info *b, uint64_t *first, uint64_t *last)
{
    if (b->flags & (PCI_BAR_IO | PCI_BAR_UPPER | PCI_BAR_BAD) || b->base == 0)
        return false;
    uint64_t size = (b->flags & PCI_BAR_UNSIZED) ? lowest_bit(b->base) : b->size;
    if (size == 0 || b->base + (size - 1) < b->base)
        return false;
    *first = b->base >> 12;
    *last = (b->base + (size - 1)) >> 12;
    return true;
}

void pci_mark_shared_pages(struct pci_scan *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        struct pci_dev_info *d = &s->dev[i];
        for (unsigned a = 0; a < d->nbars; a++) {
            uint64_t f1, l1;
            if (!bar_page_range(&d->bar[a], &f1, &l1))
                continue;
            for (unsigned j = 0; j < s->n; j++) {
                if (j == i)
                    continue;
                const struct pci_dev_info *e = &s->dev[j];
                for (unsigned b = 0; b < e->nbars; b++) {
                    uint64_t f2, l2;
                    if (bar_page_range(&e->bar[b], &f2, &l2) && f2 <= l1 && f1 <= l2)
                        d->bar[a].flags |= PCI_BAR_SHARED_PAGE;
                }
            }
        }
    }
}

int pci_find(const struct pci_scan *s, uint16_t vendor, uint16_t device, unsigned index)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->dev[i].vendor == vendor && s->dev[i].device == device && index-- == 0)
            return (int)i;
    }
    return -1;
}

int pci_by_bdf(const struct pci_scan *s, uint16_t bdf)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->dev[i].bdf == bdf)
            return (int)i;
    }
    return -1;
}
