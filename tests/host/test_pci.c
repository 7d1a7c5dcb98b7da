// SPDX-License-Identifier: MIT
/* test_pci.c - the pci service's pure logic (user/servers/pci/pci_scan.c,
 * pci_policy.c) against a model of PCI configuration space: enumeration
 * (functions, multi-function devices, bridges, bridge loops, several host
 * controllers, a full table), BAR sizing (I/O, 32- and 64-bit memory,
 * sizes above 4 GiB, unimplemented and malformed BARs; registers and the
 * command register restored; no BAR written while its decode is on),
 * restart mode (nothing written to BARs of a device in use), pages shared
 * between devices, and the rules for a driver's config writes and BAR
 * pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "pci_hw.h"
#include "pci_scan.h"

/* ---------------------------------------------------------------- the model */

enum { B_NONE, B_IO, B_MEM32, B_MEM64, B_UPPER, B_MEM_RESERVED };

struct mbar {
    int kind;
    bool pref;
    uint64_t size;                  /* power of two */
    uint64_t addr;                  /* as programmed (all bits the device keeps) */
};

struct mfn {
    bool used;
    uint16_t bdf, vendor, device, command, status;
    uint8_t hdr, class_code, subclass, secondary, line, pin;
    struct mbar bar[6];
    unsigned unsafe_bar_writes;     /* BAR written while the command register decoded */
    unsigned bar_writes;
};

#define MODEL_MAX 128
static struct mfn model[MODEL_MAX];
static unsigned nmodel;

static struct mfn *fn_at(uint16_t bdf)
{
    for (unsigned i = 0; i < nmodel; i++)
        if (model[i].used && model[i].bdf == bdf)
            return &model[i];
    return NULL;
}

static struct mfn *add_fn(unsigned bus, unsigned dev, unsigned fn, uint16_t vendor, uint16_t device, uint8_t hdr,
                          uint8_t cls, uint8_t sub)
{
    assert_true(nmodel < MODEL_MAX);
    struct mfn *f = &model[nmodel++];
    memset(f, 0, sizeof *f);
    f->used = true;
    f->bdf = PCI_BDF(bus, dev, fn);
    f->vendor = vendor;
    f->device = device;
    f->hdr = hdr;
    f->class_code = cls;
    f->subclass = sub;
    f->command = PCI_CMD_MEMORY | PCI_CMD_IO;
    return f;
}

static void set_bar(struct mfn *f, unsigned i, int kind, uint64_t size, uint64_t addr, bool pref)
{
    f->bar[i] = (struct mbar){ .kind = kind, .size = size, .addr = addr, .pref = pref };
    if (kind == B_MEM64)
        f->bar[i + 1] = (struct mbar){ .kind = B_UPPER };
}

/* The register value of BAR i: address bits the device implements + type. */
static uint32_t bar_reg(const struct mfn *f, unsigned i)
{
    const struct mbar *b = &f->bar[i];
    switch (b->kind) {
    case B_IO: return (uint32_t)(b->addr & ~(b->size - 1) & 0xFFFFu) | 1u;
    case B_MEM32: return (uint32_t)(b->addr & ~(b->size - 1)) | (b->pref ? 8u : 0u);
    case B_MEM_RESERVED: return 6u;
    case B_MEM64: return (uint32_t)(b->addr & ~(b->size - 1)) | 4u | (b->pref ? 8u : 0u);
    case B_UPPER: {
        const struct mbar *lo = &f->bar[i - 1];
        return (uint32_t)((lo->addr & ~(lo->size - 1)) >> 32);
    }
    default: return 0;
    }
}

static uint32_t cfg32(const struct mfn *f, unsigned off)
{
    switch (off) {
    case 0x00: return f->vendor | (uint32_t)f->device << 16;
    case 0x04: return f->command | (uint32_t)f->status << 16;
    case 0x08: return 0x01u | (uint32_t)f->subclass << 16 | (uint32_t)f->class_code << 24;
    case 0x0C: return (uint32_t)f->hdr << 16;
    case 0x3C: return f->line | (uint32_t)f->pin << 8;
    default: break;
    }
    unsigned type = f->hdr & 0x7F;
    if (off >= 0x10 && off < 0x28 && (type == 0 || off < 0x18))
        return bar_reg(f, (off - 0x10) / 4);
    if (type == 1 && off == 0x18)
        return (uint32_t)f->secondary << 8;
    return 0;
}

static uint32_t m_read(void *ctx, uint16_t bdf, unsigned off, unsigned width)
{
    (void)ctx;
    assert_true(width == 1 || width == 2 || width == 4);
    assert_int_equal(off % width, 0);
    assert_true(off < 256);
    const struct mfn *f = fn_at(bdf);
    uint32_t v = f ? cfg32(f, off & ~3u) : 0xFFFFFFFFu;
    v >>= 8 * (off & 3);
    return width == 4 ? v : v & ((1u << (8 * width)) - 1);
}

static void m_write(void *ctx, uint16_t bdf, unsigned off, unsigned width, uint32_t v)
{
    (void)ctx;
    struct mfn *f = fn_at(bdf);
    if (!f)
        return;
    if (off == PCI_COMMAND && width == 2) {
        f->command = (uint16_t)v;
        return;
    }
    unsigned type = f->hdr & 0x7F;
    if (off >= 0x10 && off < 0x28 && (type == 0 || off < 0x18)) {
        assert_int_equal(width, 4);
        unsigned i = (off - 0x10) / 4;
        struct mbar *b = &f->bar[i];
        f->bar_writes++;
        bool decoding = (b->kind == B_IO && (f->command & PCI_CMD_IO)) ||
                        (b->kind != B_IO && b->kind != B_NONE && (f->command & PCI_CMD_MEMORY));
        if (decoding)
            f->unsafe_bar_writes++;
        switch (b->kind) {
        case B_IO: b->addr = v & 0xFFFCu; break;
        case B_MEM32: b->addr = v & 0xFFFFFFF0u; break;
        case B_MEM64: b->addr = (b->addr & ~0xFFFFFFFFull) | (v & 0xFFFFFFF0u); break;
        case B_UPPER: f->bar[i - 1].addr = (f->bar[i - 1].addr & 0xFFFFFFFFull) | (uint64_t)v << 32; break;
        default: break;
        }
    }
}

static const struct pci_cfg_ops model_ops = { .read = m_read, .write = m_write };
static struct pci_scan scan;

static int reset_model(void **state)
{
    (void)state;
    memset(model, 0, sizeof model);
    nmodel = 0;
    return 0;
}

static const struct pci_dev_info *dev_at(uint16_t bdf)
{
    int i = pci_by_bdf(&scan, bdf);
    assert_true(i >= 0);
    return &scan.dev[i];
}

/* QEMU pc-like: host bridge, ISA bridge with functions 1 and 3, VGA, virtio-net. */
static void qemu_pc(void)
{
    add_fn(0, 0, 0, 0x8086, 0x1237, 0, 0x06, 0x00);
    add_fn(0, 1, 0, 0x8086, 0x7000, PCI_HEADER_MULTIFN, 0x06, 0x01);
    struct mfn *ide = add_fn(0, 1, 1, 0x8086, 0x7010, 0, 0x01, 0x01);
    set_bar(ide, 4, B_IO, 16, 0xC000, false);
    struct mfn *acpi = add_fn(0, 1, 3, 0x8086, 0x7113, 0, 0x06, 0x80);
    acpi->pin = 1, acpi->line = 9;
    struct mfn *vga = add_fn(0, 2, 0, 0x1234, 0x1111, 0, 0x03, 0x00);
    set_bar(vga, 0, B_MEM32, 16u << 20, 0xFD000000, true);
    set_bar(vga, 2, B_MEM32, 4096, 0xFEBD0000, false);
    struct mfn *nic = add_fn(0, 3, 0, 0x1AF4, 0x1041, 0, 0x02, 0x00);
    set_bar(nic, 1, B_MEM32, 4096, 0xFEBD1000, false);
    set_bar(nic, 4, B_MEM64, 16384, 0xFE000000, true);
    nic->pin = 1, nic->line = 11;
}

/* ---------------------------------------------------------------- scanning */

static void scan_finds_functions_and_sizes_bars(void **state)
{
    (void)state;
    qemu_pc();
    pci_scan(&scan, &model_ops, true);
    assert_int_equal(scan.n, 6);
    assert_int_equal(scan.buses, 1);
    assert_int_equal(scan.problems, 0);
    assert_int_equal(scan.dev[0].bdf, PCI_BDF(0, 0, 0));
    assert_int_equal(scan.dev[2].bdf, PCI_BDF(0, 1, 1));
    assert_int_equal(scan.dev[3].bdf, PCI_BDF(0, 1, 3));
    const struct pci_dev_info *ide = dev_at(PCI_BDF(0, 1, 1));
    assert_int_equal(ide->bar[4].flags, PCI_BAR_IO);
    assert_int_equal(ide->bar[4].base, 0xC000);
    assert_int_equal(ide->bar[4].size, 16);
    const struct pci_dev_info *nic = dev_at(PCI_BDF(0, 3, 0));
    assert_int_equal(nic->vendor, 0x1AF4);
    assert_int_equal(nic->device, 0x1041);
    assert_int_equal(nic->class_code, 0x02);
    assert_int_equal(nic->irq_line, 11);
    assert_int_equal(nic->irq_pin, 1);
    assert_int_equal(nic->bar[0].base, 0);
    assert_int_equal(nic->bar[0].size, 0);
    assert_int_equal(nic->bar[1].base, 0xFEBD1000);
    assert_int_equal(nic->bar[1].size, 4096);
    assert_int_equal(nic->bar[1].flags, 0);
    assert_int_equal(nic->bar[4].base, 0xFE000000);
    assert_int_equal(nic->bar[4].size, 16384);
    assert_int_equal(nic->bar[4].flags, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
    assert_int_equal(nic->bar[5].flags, PCI_BAR_UPPER);
    const struct pci_dev_info *vga = dev_at(PCI_BDF(0, 2, 0));
    assert_int_equal(vga->bar[0].size, 16u << 20);
    /* Everything restored; no BAR was written while it decoded. */
    for (unsigned i = 0; i < nmodel; i++) {
        assert_int_equal(model[i].unsafe_bar_writes, 0);
        assert_int_equal(model[i].command, PCI_CMD_MEMORY | PCI_CMD_IO);
    }
    assert_int_equal(fn_at(PCI_BDF(0, 3, 0))->bar[4].addr, 0xFE000000);
    assert_int_equal(fn_at(PCI_BDF(0, 3, 0))->bar[1].addr, 0xFEBD1000);
    assert_true(fn_at(PCI_BDF(0, 3, 0))->bar_writes > 0);
    assert_int_equal(pci_find(&scan, 0x1AF4, 0x1041, 0), pci_by_bdf(&scan, PCI_BDF(0, 3, 0)));
    assert_int_equal(pci_find(&scan, 0x1AF4, 0x1041, 1), -1);
    assert_int_equal(pci_find(&scan, 0x1AF4, 0x1000, 0), -1);
    assert_int_equal(pci_by_bdf(&scan, PCI_BDF(0, 1, 2)), -1);
}

static void bars_above_4g_and_larger_than_4g(void **state)
{
    (void)state;
    struct mfn *f = add_fn(0, 4, 0, 0x1B36, 0x0001, 0, 0x05, 0x00);
    set_bar(f, 0, B_MEM64, 1ull << 30, 0x800000000ull, true);       /* 1 GiB at 32 GiB */
    set_bar(f, 2, B_MEM64, 8ull << 30, 0x1000000000ull, false);     /* 8 GiB: size bits only above 4 GiB */
    set_bar(f, 4, B_MEM32, 128, 0xFEBD2080, false);                  /* sub-page */
    pci_scan(&scan, &model_ops, true);
    const struct pci_dev_info *d = dev_at(PCI_BDF(0, 4, 0));
    assert_int_equal(d->bar[0].base, 0x800000000ull);
    assert_int_equal(d->bar[0].size, 1ull << 30);
    assert_int_equal(d->bar[2].base, 0x1000000000ull);
    assert_int_equal(d->bar[2].size, 8ull << 30);
    assert_int_equal(d->bar[4].base, 0xFEBD2080);
    assert_int_equal(d->bar[4].size, 128);
    assert_int_equal(f->bar[0].addr, 0x800000000ull);
    assert_int_equal(f->bar[2].addr, 0x1000000000ull);
    uint64_t first, n, off;
    assert_int_equal(pci_bar_pages(d, 2, &first, &n, &off), 0);
    assert_int_equal(first, 0x1000000);
    assert_int_equal(n, 2u << 20);
    assert_int_equal(pci_bar_pages(d, 4, &first, &n, &off), 0);
    assert_int_equal(first, 0xFEBD2);
    assert_int_equal(n, 1);
    assert_int_equal(off, 0x80);
    assert_int_equal(pci_bar_pages(d, 3, &first, &n, &off), -MOS_EINVAL);     /* upper half */
}

static void malformed_and_unimplemented_bars(void **state)
{
    (void)state;
    struct mfn *f = add_fn(0, 5, 0, 0x1111, 0x2222, 0, 0x08, 0x80);
    set_bar(f, 0, B_MEM_RESERVED, 0, 0, false);
    f->bar[5] = (struct mbar){ .kind = B_MEM64, .size = 4096, .addr = 0xFEB00000 };  /* no room for its upper half */
    pci_scan(&scan, &model_ops, true);
    const struct pci_dev_info *d = dev_at(PCI_BDF(0, 5, 0));
    assert_true(d->bar[0].flags & PCI_BAR_BAD);
    assert_true(d->bar[5].flags & PCI_BAR_BAD);
    assert_int_equal(d->bar[1].base, 0);                            /* unimplemented: reads 0 */
    assert_int_equal(d->bar[1].size, 0);
    assert_true(scan.problems >= 2);
    uint64_t a, b, c;
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(pci_bar_pages(d, i, &a, &b, &c), -MOS_EINVAL);
    assert_int_equal(pci_bar_pages(d, 6, &a, &b, &c), -MOS_EINVAL);
}

static void bridges_are_followed_once(void **state)
{
    (void)state;
    add_fn(0, 0, 0, 0x8086, 0x29C0, 0, 0x06, 0x00);
    struct mfn *br = add_fn(0, 0x1E, 0, 0x8086, 0x244E, PCI_HEADER_BRIDGE, 0x06, 0x04);
    br->secondary = 2;
    set_bar(br, 0, B_MEM32, 4096, 0xFEA00000, false);
    add_fn(2, 0, 0, 0x1AF4, 0x1041, 0, 0x02, 0x00);
    struct mfn *br2 = add_fn(2, 1, 0, 0x8086, 0x244E, PCI_HEADER_BRIDGE, 0x06, 0x04);
    br2->secondary = 3;
    add_fn(3, 7, 0, 0x10EC, 0x8139, 0, 0x02, 0x00);
    struct mfn *back = add_fn(3, 8, 0, 0x8086, 0x244E, PCI_HEADER_BRIDGE, 0x06, 0x04);
    back->secondary = 0;                        /* unconfigured: not followed */
    struct mfn *loop = add_fn(3, 9, 0, 0x8086, 0x244E, PCI_HEADER_BRIDGE, 0x06, 0x04);
    loop->secondary = 2;                        /* points back up: a loop */
    struct mfn *dup = add_fn(0, 0x1F, 0, 0x8086, 0x244E, PCI_HEADER_BRIDGE, 0x06, 0x04);
    dup->secondary = 3;                         /* a second bridge claiming bus 3 */
    pci_scan(&scan, &model_ops, true);
    assert_int_equal(scan.buses, 3);
    assert_int_equal(scan.n, 8);                /* every function once */
    assert_true(pci_by_bdf(&scan, PCI_BDF(3, 7, 0)) >= 0);
    assert_int_equal(dev_at(PCI_BDF(0, 0x1E, 0))->nbars, 2);
    assert_int_equal(dev_at(PCI_BDF(0, 0x1E, 0))->secondary_bus, 2);
    assert_int_equal(dev_at(PCI_BDF(0, 0x1E, 0))->bar[0].size, 4096);
    assert_true(scan.problems >= 1);            /* the loop was noticed */
    int first = pci_find(&scan, 0x8086, 0x244E, 0);
    assert_int_equal(scan.dev[first].bdf, PCI_BDF(0, 0x1E, 0));
    assert_int_equal(scan.dev[pci_find(&scan, 0x8086, 0x244E, 3)].bdf, PCI_BDF(3, 9, 0));
    assert_int_equal(scan.dev[pci_find(&scan, 0x8086, 0x244E, 4)].bdf, PCI_BDF(0, 0x1F, 0));
}

static void functions_need_the_multifunction_bit(void **state)
{
    (void)state;
    add_fn(0, 6, 0, 0x1000, 0x0001, 0, 0x01, 0x00);            /* single function ... */
    add_fn(0, 6, 1, 0x1000, 0x0002, 0, 0x01, 0x00);            /* ... so this one is never looked at */
    add_fn(0, 7, 0, 0x1000, 0x0003, PCI_HEADER_MULTIFN, 0x01, 0x00);
    add_fn(0, 7, 5, 0x1000, 0x0004, 0, 0x01, 0x00);            /* a gap at 1..4 is fine */
    pci_scan(&scan, &model_ops, true);
    assert_int_equal(scan.n, 3);
    assert_int_equal(pci_by_bdf(&scan, PCI_BDF(0, 6, 1)), -1);
    assert_true(pci_by_bdf(&scan, PCI_BDF(0, 7, 5)) >= 0);
    assert_int_equal(dev_at(PCI_BDF(0, 7, 0))->header_type, 0);    /* the bit is removed */
}

static void several_host_controllers(void **state)
{
    (void)state;
    add_fn(0, 0, 0, 0x8086, 0x0001, PCI_HEADER_MULTIFN, 0x06, 0x00);
    add_fn(0, 0, 1, 0x8086, 0x0001, 0, 0x06, 0x00);            /* host controller for bus 1 */
    add_fn(0, 0, 2, 0x8086, 0x0002, 0, 0x08, 0x00);            /* not a host bridge: no bus 2 */
    add_fn(1, 3, 0, 0x1AF4, 0x1041, 0, 0x02, 0x00);
    add_fn(2, 3, 0, 0x1AF4, 0x1042, 0, 0x01, 0x00);
    pci_scan(&scan, &model_ops, true);
    assert_true(pci_by_bdf(&scan, PCI_BDF(1, 3, 0)) >= 0);
    assert_int_equal(pci_by_bdf(&scan, PCI_BDF(2, 3, 0)), -1);
    assert_int_equal(scan.buses, 2);
}

static void a_full_table_counts_the_rest(void **state)
{
    (void)state;
    for (unsigned bus = 0; bus < 3; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            struct mfn *f = add_fn(bus, dev, 0, 0x1000, (uint16_t)(bus * 32 + dev), 0, 0x02, 0x00);
            if (bus == 0 && dev == 31) {
                f->hdr = PCI_HEADER_BRIDGE;
                f->secondary = 1;
            }
            if (bus == 1 && dev == 31) {
                f->hdr = PCI_HEADER_BRIDGE;
                f->secondary = 2;
            }
        }
    }
    pci_scan(&scan, &model_ops, true);
    assert_int_equal(scan.n, PCI_SCAN_MAX);
    assert_int_equal(scan.n + scan.dropped, 96);
}

static void restart_leaves_devices_in_use_alone(void **state)
{
    (void)state;
    qemu_pc();
    struct mfn *idle = add_fn(0, 9, 0, 0x8086, 0x100E, 0, 0x02, 0x00);
    set_bar(idle, 0, B_MEM32, 128 << 10, 0xC0000000, false);
    idle->command = 0;                          /* decode off: nobody uses it */
    pci_scan(&scan, &model_ops, false);
    for (unsigned i = 0; i < nmodel; i++) {
        if (&model[i] != idle)
            assert_int_equal(model[i].bar_writes, 0);
        assert_int_equal(model[i].unsafe_bar_writes, 0);
    }
    const struct pci_dev_info *nic = dev_at(PCI_BDF(0, 3, 0));
    assert_int_equal(nic->bar[4].base, 0xFE000000);
    assert_int_equal(nic->bar[4].size, 0);
    assert_true(nic->bar[4].flags & PCI_BAR_UNSIZED);
    assert_true(nic->bar[1].flags & PCI_BAR_UNSIZED);
    assert_int_equal(nic->bar[0].flags, 0);     /* register 0: not assigned, not "unsized" */
    uint64_t a, b, c;
    assert_int_equal(pci_bar_pages(nic, 4, &a, &b, &c), -MOS_EINVAL);
    const struct pci_dev_info *d = dev_at(PCI_BDF(0, 9, 0));
    assert_int_equal(d->bar[0].size, 128 << 10);
    assert_int_equal(idle->command, 0);
    /* Unsized neighbours are bounded by their alignment: the VGA's 4 KiB BAR
     * at 0xFEBD0000 could be 64 KiB, so the NIC's page at 0xFEBD1000 might be
     * shared; nothing unsized can reach the 128 KiB BAR at 0xC0000000. */
    assert_false(d->bar[0].flags & PCI_BAR_SHARED_PAGE);
    assert_true(nic->bar[1].flags & PCI_BAR_SHARED_PAGE);
}

static void shared_pages_are_never_handed_out(void **state)
{
    (void)state;
    struct mfn *a = add_fn(0, 3, 0, 0x1000, 0x0001, 0, 0x02, 0x00);
    struct mfn *b = add_fn(0, 4, 0, 0x1000, 0x0002, 0, 0x02, 0x00);
    struct mfn *c = add_fn(0, 5, 0, 0x1000, 0x0003, 0, 0x02, 0x00);
    set_bar(a, 0, B_MEM32, 256, 0xFEBF1000, false);
    set_bar(b, 0, B_MEM32, 256, 0xFEBF1100, false);     /* same page as a's */
    set_bar(a, 1, B_MEM32, 4096, 0xFEBF2000, false);    /* next page: alone */
    set_bar(c, 0, B_MEM32, 8192, 0xFEBF4000, false);
    set_bar(c, 2, B_MEM32, 16, 0xFEBF5FF0, false);      /* c's own pages may overlap each other */
    set_bar(c, 3, B_IO, 256, 0x1000, false);            /* I/O space is no memory page */
    pci_scan(&scan, &model_ops, true);
    const struct pci_dev_info *da = dev_at(PCI_BDF(0, 3, 0)), *db = dev_at(PCI_BDF(0, 4, 0)),
                              *dc = dev_at(PCI_BDF(0, 5, 0));
    uint64_t first, n, off;
    assert_true(da->bar[0].flags & PCI_BAR_SHARED_PAGE);
    assert_true(db->bar[0].flags & PCI_BAR_SHARED_PAGE);
    assert_int_equal(pci_bar_pages(da, 0, &first, &n, &off), -MOS_EPERM);
    assert_int_equal(pci_bar_pages(db, 0, &first, &n, &off), -MOS_EPERM);
    assert_int_equal(pci_bar_pages(da, 1, &first, &n, &off), 0);
    assert_int_equal(first, 0xFEBF2);
    assert_int_equal(n, 1);
    assert_int_equal(pci_bar_pages(dc, 0, &first, &n, &off), 0);
    assert_int_equal(n, 2);
    assert_int_equal(pci_bar_pages(dc, 2, &first, &n, &off), 0);
    assert_int_equal(off, 0xFF0);
    assert_int_equal(pci_bar_pages(dc, 3, &first, &n, &off), -MOS_EINVAL);
}

/* ---------------------------------------------------------------- policy */

static void driver_config_writes(void **state)
{
    (void)state;
    uint32_t out;
    /* Command: only MEMORY, MASTER, INTX_DISABLE change. */
    assert_int_equal(pci_cfg_write_filter(PCI_COMMAND, 2, 0xFFFF, 0x0001, &out), 0);
    assert_int_equal(out, 0x0001 | PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
    assert_int_equal(pci_cfg_write_filter(PCI_COMMAND, 2, 0x0000, 0x0147, &out), 0);
    assert_int_equal(out, 0x0141);              /* IO, SERR, parity kept; the three cleared */
    assert_int_equal(pci_cfg_write_filter(PCI_COMMAND, 1, 0xFF, 0x01, &out), 0);
    assert_int_equal(out, 0x07);
    assert_int_equal(pci_cfg_write_filter(PCI_COMMAND + 1, 1, 0xFF, 0x01, &out), 0);
    assert_int_equal(out, 0x05);                /* bit 10 = bit 2 of the high byte */
    /* The capabilities area is the driver's. */
    assert_int_equal(pci_cfg_write_filter(0x40, 4, 0xDEADBEEF, 0, &out), 0);
    assert_int_equal(out, 0xDEADBEEF);
    assert_int_equal(pci_cfg_write_filter(0xFF, 1, 0x12, 0, &out), 0);
    assert_int_equal(pci_cfg_write_filter(0xFE, 2, 0x1234, 0, &out), 0);
    /* Nothing that would move the device or lie about it. */
    static const unsigned forbidden[] = { 0x00, 0x02, 0x06, 0x08, 0x0C, 0x0E, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24,
                                          0x2C, 0x30, 0x34, 0x3C, 0x3E };
    for (unsigned i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        assert_int_equal(pci_cfg_write_filter(forbidden[i], 2, 0, 0, &out), -MOS_EPERM);
    assert_int_equal(pci_cfg_write_filter(0x10, 4, 0xFFFFFFFF, 0, &out), -MOS_EPERM);
    assert_int_equal(pci_cfg_write_filter(PCI_COMMAND, 4, 0x6, 0, &out), -MOS_EPERM);     /* with status */
    assert_int_equal(pci_cfg_write_filter(PCI_INTERRUPT_LINE, 1, 5, 11, &out), -MOS_EPERM);
    /* Malformed. */
    assert_int_equal(pci_cfg_write_filter(0x41, 2, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x42, 4, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x40, 3, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x40, 0, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x100, 1, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(1ull << 40, 4, 0, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x40, 1, 0x100, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x40, 2, 0x10000, 0, &out), -MOS_EINVAL);
    assert_int_equal(pci_cfg_write_filter(0x40, 4, 1ull << 32, 0, &out), -MOS_EINVAL);
    /* Reads: anywhere in the 256 bytes, aligned. */
    assert_int_equal(pci_cfg_read_ok(0, 4), 0);
    assert_int_equal(pci_cfg_read_ok(0xFC, 4), 0);
    assert_int_equal(pci_cfg_read_ok(0xFF, 1), 0);
    assert_int_equal(pci_cfg_read_ok(0x100, 1), -MOS_EINVAL);
    assert_int_equal(pci_cfg_read_ok(0x3, 2), -MOS_EINVAL);
    assert_int_equal(pci_cfg_read_ok(0x4, 8), -MOS_EINVAL);
}

static void class_names(void **state)
{
    (void)state;
    assert_string_equal(pci_class_name(0x02, 0x00), "ethernet");
    assert_string_equal(pci_class_name(0x02, 0x80), "network");
    assert_string_equal(pci_class_name(0x06, 0x00), "host bridge");
    assert_string_equal(pci_class_name(0x06, 0x04), "PCI bridge");
    assert_string_equal(pci_class_name(0x06, 0x80), "bridge");
    assert_string_equal(pci_class_name(0xFF, 0x00), "other");
    assert_string_equal(pci_class_name(0x12, 0x00), "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(scan_finds_functions_and_sizes_bars, reset_model),
        cmocka_unit_test_setup(bars_above_4g_and_larger_than_4g, reset_model),
        cmocka_unit_test_setup(malformed_and_unimplemented_bars, reset_model),
        cmocka_unit_test_setup(bridges_are_followed_once, reset_model),
        cmocka_unit_test_setup(functions_need_the_multifunction_bit, reset_model),
        cmocka_unit_test_setup(several_host_controllers, reset_model),
        cmocka_unit_test_setup(a_full_table_counts_the_rest, reset_model),
        cmocka_unit_test_setup(restart_leaves_devices_in_use_alone, reset_model),
        cmocka_unit_test_setup(shared_pages_are_never_handed_out, reset_model),
        cmocka_unit_test(driver_config_writes),
        cmocka_unit_test(class_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
