// SPDX-License-Identifier: MIT
/* pci - the PCI service: the only holder of the configuration ports
 * 0xCF8-0xCFF (mechanism #1, on -machine pc and q35 alike) and of the
 * device-memory root init passes on. At start it enumerates every bus,
 * device and function (pci_scan.c), sizes the BARs and logs what it found;
 * then it serves proto/pci.h (pci_ipc.c): init claims a device for a
 * driver and gets the driver's capabilities (its memory BARs, cut from
 * devmem, and a badged endpoint for config access limited to that device).
 *
 * Capabilities (start block, from /etc/init.conf): "ioports" (0xCF8, 8
 * ports), "devmem" (MEMORY, device, READ|WRITE|GRANT), "ep" (its endpoint,
 * kept by init across restarts). A restart (MOS_START_RESTART) must not
 * disturb drivers already using their devices, so BARs of functions whose
 * decode is on are not re-sized then (PCI_BAR_UNSIZED); the capabilities
 * init already holds stay valid because they descend from init's devmem. */
#include "mos_lib.h"
#include "pci_hw.h"
#include "pci_srv.h"
#include "pcicap.h"

struct pci_server pci_sv;

/* ---------------------------------------------------------------- ports */

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void cfg_select(uint16_t bdf, unsigned off)
{
    outl(PCI_CONFIG_ADDRESS, PCI_ADDR_ENABLE | (uint32_t)bdf << 8 | (off & 0xFCu));
}

static uint32_t port_read(void *ctx, uint16_t bdf, unsigned off, unsigned width)
{
    (void)ctx;
    cfg_select(bdf, off);
    uint16_t data = (uint16_t)(PCI_CONFIG_DATA + (off & 3u));
    switch (width) {
    case 1: return inb(data);
    case 2: return inw(data);
    default: return inl(PCI_CONFIG_DATA);
    }
}

static void port_write(void *ctx, uint16_t bdf, unsigned off, unsigned width, uint32_t v)
{
    (void)ctx;
    cfg_select(bdf, off);
    uint16_t data = (uint16_t)(PCI_CONFIG_DATA + (off & 3u));
    switch (width) {
    case 1: outb(data, (uint8_t)v); break;
    case 2: outw(data, (uint16_t)v); break;
    default: outl(PCI_CONFIG_DATA, v); break;
    }
}

/* ---------------------------------------------------------------- log */

static const char *size_text(uint64_t bytes, char *buf, size_t n)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, "%llu %s", (unsigned long long)bytes, units[u]);
    return buf;
}

static const char *cap_name(uint8_t id)
{
    switch (id) {
    case 0x01: return "pm";
    case PCI_CAP_ID_MSI: return "msi";
    case PCI_CAP_ID_VENDOR: return "vendor";
    case PCI_CAP_ID_PCIE: return "pcie";
    case PCI_CAP_ID_MSIX: return "msi-x";
    default: return "other";
    }
}

static void log_caps(const struct pci_server *sv, const struct pci_dev_info *d)
{
    uint8_t cfg[PCI_CFG_BYTES];
    for (unsigned off = 0; off < PCI_CFG_BYTES; off += 4) {
        uint32_t v = sv->ops.read(sv->ops.ctx, d->bdf, off, 4);
        cfg[off] = (uint8_t)v;
        cfg[off + 1] = (uint8_t)(v >> 8);
        cfg[off + 2] = (uint8_t)(v >> 16);
        cfg[off + 3] = (uint8_t)(v >> 24);
    }
    struct pcicap caps[PCICAP_MAX];
    int n = pcicap_walk(cfg, caps, PCICAP_MAX);
    if (n == 0)
        return;
    char line[200];
    size_t len = (size_t)snprintf(line, sizeof line, "pci:   capabilities");
    for (int i = 0; i < (n < 0 ? 0 : n) && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " %s@0x%02x", cap_name(caps[i].id),
                                caps[i].offset);
    if (n < 0 && len < sizeof line)
        snprintf(line + len, sizeof line - len, " (malformed list: %s)", mos_strerror(n));
    printf("%s\n", line);
}

static void log_device(const struct pci_server *sv, const struct pci_dev_info *d)
{
    static const char pins[] = "-ABCD";
    char irq[40] = "";
    if (d->irq_pin)
        snprintf(irq, sizeof irq, ", irq %u (INT%c)", d->irq_line, pins[d->irq_pin]);
    printf("pci: %02x:%02x.%x %04x:%04x %s (%02x.%02x.%02x) rev %02x%s\n", PCI_BDF_BUS(d->bdf),
           PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), d->vendor, d->device,
           pci_class_name(d->class_code, d->subclass), d->class_code, d->subclass, d->prog_if, d->revision,
           irq);
    if (d->header_type == PCI_HEADER_BRIDGE)
        printf("pci:   bridge to bus %u\n", d->secondary_bus);
    for (unsigned i = 0; i < d->nbars; i++) {
        const struct pci_bar_info *b = &d->bar[i];
        if (b->flags & PCI_BAR_UPPER)
            continue;
        if (b->flags & PCI_BAR_BAD) {
            printf("pci:   bar%u malformed (register 0x%llx)\n", i, (unsigned long long)b->base);
            continue;
        }
        if (b->base == 0)
            continue;
        char sz[24];
        const char *kind = (b->flags & PCI_BAR_IO) ? "io" : (b->flags & PCI_BAR_MEM64) ? "mem64" : "mem32";
        /* Device memory init can give out: the devmem capability's range. */
        uint64_t lo = sv->devmem_origin + sv->devmem_first * MOS_PAGE_SIZE;
        bool beyond = !(b->flags & PCI_BAR_IO) && sv->devmem &&
                      (b->base < lo || (b->base - lo) / MOS_PAGE_SIZE >= sv->devmem_count);
        printf("pci:   bar%u %s%s 0x%llx size %s%s\n", i, kind, (b->flags & PCI_BAR_PREFETCH) ? " prefetchable" : "",
               (unsigned long long)b->base,
               (b->flags & PCI_BAR_UNSIZED) ? "unknown" : size_text(b->size, sz, sizeof sz),
               (b->flags & PCI_BAR_UNSIZED) ? " (decode on at a restart: not probed)"
               : (b->flags & PCI_BAR_SHARED_PAGE) ? " (shares a page: never handed out)"
               : beyond ? " (outside the device memory init holds: cannot be handed out)" : "");
    }
    log_caps(sv, d);
}

/* ---------------------------------------------------------------- start-up */

int main(int argc, char **argv)
{
    struct pci_server *sv = &pci_sv;
    bool restart = mos_restarts(argc, argv) > 0;
    mos_handle_t ports = mos_cap_by_name("ioports");
    sv->devmem = mos_cap_by_name("devmem");
    sv->ep = mos_cap_by_name("ep");
    if (!ports || !sv->ep) {
        printf("pci: missing capability \"ioports\" or \"ep\"\n");
        return 2;
    }
    /* Touch the ports only if we really hold them (else #GP kills us). */
    struct mos_cap_info info;
    if (mos_cap_inspect(ports, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0 || info.type != MOS_CAP_IOPORT ||
        info.base > PCI_CONFIG_ADDRESS || info.base + info.count < PCI_CONFIG_ADDRESS + PCI_CONFIG_PORTS) {
        printf("pci: \"ioports\" does not cover 0xcf8-0xcff\n");
        return 2;
    }
    if (sv->devmem && mos_cap_inspect(sv->devmem, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) == 0 &&
        info.type == MOS_CAP_MEMORY && (info.flags & MOS_MEM_DEVICE) && (info.rights & MOS_RIGHT_GRANT)) {
        sv->devmem_origin = info.phys - info.base * MOS_PAGE_SIZE;
        sv->devmem_first = info.base;
        sv->devmem_count = info.count;
    } else {
        printf("pci: no usable \"devmem\" (device memory with GRANT): no BAR can be handed out\n");
        sv->devmem = 0;
    }
    sv->ops = (struct pci_cfg_ops){ .read = port_read, .write = port_write };
    /* Is there a configuration mechanism #1 at all? The address register
     * reads back what was written. */
    outl(PCI_CONFIG_ADDRESS, PCI_ADDR_ENABLE);
    if (inl(PCI_CONFIG_ADDRESS) != PCI_ADDR_ENABLE) {
        printf("pci: no PCI configuration mechanism #1 at 0xcf8: no devices\n");
    } else {
        pci_scan(&sv->scan, &sv->ops, !restart);
    }
    const struct pci_scan *s = &sv->scan;
    bool nic = false;
    for (unsigned i = 0; i < s->n; i++) {
        log_device(sv, &s->dev[i]);
        nic |= s->dev[i].class_code == PCI_CLASS_NETWORK;
    }
    printf("pci: %u function%s on %u bus%s%s%s%s\n", s->n, s->n == 1 ? "" : "s", s->buses,
           s->buses == 1 ? "" : "es", restart ? " (restarted: BARs in use were not re-sized)" : "",
           s->problems ? ", malformed entries seen" : "", nic ? "" : "; no network controller");
    if (s->dropped)
        printf("pci: %u more function%s not kept (table full)\n", s->dropped, s->dropped == 1 ? "" : "s");
    pci_serve(sv);
}
