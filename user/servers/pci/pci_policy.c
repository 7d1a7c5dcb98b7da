// SPDX-License-Identifier: MIT
/* pci_policy.c - what a driver may do with its own device's config space,
 * and which pages of a BAR it may be given. A driver reads any of its 256
 * bytes; it writes only the capabilities (0x40-0xFF: virtio, MSI, power
 * management) and three command bits (memory decode, bus mastering,
 * interrupt disable). It can never move a BAR, change the bus numbers of a
 * bridge or the interrupt line, so what init and the pci service handed out
 * stays true. A BAR is handed out as whole pages, so one whose pages hold
 * another function's registers is refused. Pure. */
#include "pci_scan.h"

#include <mos/errors.h>
#include "pci_hw.h"

#define PCI_CMD_DRIVER_BITS (PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE)
#define PCI_CFG_DRIVER_AREA 0x40u       /* first byte past the standard header */

static bool width_ok(uint64_t off, uint64_t width)
{
    return (width == 1 || width == 2 || width == 4) && off < PCI_CFG_BYTES && off % width == 0;
}

int pci_cfg_read_ok(uint64_t off, uint64_t width)
{
    return width_ok(off, width) ? 0 : -MOS_EINVAL;
}

int pci_cfg_write_filter(uint64_t off, uint64_t width, uint64_t value, uint32_t current, uint32_t *out)
{
    if (!width_ok(off, width))
        return -MOS_EINVAL;
    if (width < 4 && value >> (8 * width))
        return -MOS_EINVAL;
    if (value > 0xFFFFFFFFull)
        return -MOS_EINVAL;
    uint32_t v = (uint32_t)value;
    if (off >= PCI_CFG_DRIVER_AREA) {
        *out = v;
        return 0;
    }
    /* The command register, as a 16-bit write or its low byte (the bits a
     * driver may change are in the low byte except INTX_DISABLE, bit 10). */
    if (off == PCI_COMMAND && width == 2) {
        *out = (current & ~PCI_CMD_DRIVER_BITS & 0xFFFFu) | (v & PCI_CMD_DRIVER_BITS);
        return 0;
    }
    if (off == PCI_COMMAND && width == 1) {
        uint32_t bits = PCI_CMD_DRIVER_BITS & 0xFFu;
        *out = (current & ~bits & 0xFFu) | (v & bits);
        return 0;
    }
    if (off == PCI_COMMAND + 1 && width == 1) {
        uint32_t bits = (PCI_CMD_DRIVER_BITS >> 8) & 0xFFu;
        *out = (current & ~bits & 0xFFu) | (v & bits);
        return 0;
    }
    return -MOS_EPERM;
}

int pci_bar_pages(const struct pci_dev_info *d, uint64_t bar, uint64_t *first_page, uint64_t *npages,
                  uint64_t *offset)
{
    if (bar >= d->nbars)
        return -MOS_EINVAL;
    const struct pci_bar_info *b = &d->bar[bar];
    if (b->flags & (PCI_BAR_IO | PCI_BAR_UPPER | PCI_BAR_UNSIZED | PCI_BAR_BAD) || b->base == 0 || b->size == 0)
        return -MOS_EINVAL;
    if (b->base + (b->size - 1) < b->base)
        return -MOS_EINVAL;
    if (b->flags & PCI_BAR_SHARED_PAGE)
        return -MOS_EPERM;
    uint64_t first = b->base >> 12, last = (b->base + (b->size - 1)) >> 12;
    *first_page = first;
    *npages = last - first + 1;
    *offset = b->base & 0xFFFu;
    return 0;
}

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
    static const char *const names[] = {
        [0x00] = "unclassified", [0x01] = "storage",   [0x02] = "network",      [0x03] = "display",
        [0x04] = "multimedia",   [0x05] = "memory",    [0x06] = "bridge",       [0x07] = "communication",
        [0x08] = "system",       [0x09] = "input",     [0x0A] = "docking",      [0x0B] = "processor",
        [0x0C] = "serial bus",   [0x0D] = "wireless",  [0x0E] = "intelligent",  [0x0F] = "satellite",
        [0x10] = "encryption",   [0x11] = "signal processing",
    };
    if (class_code == PCI_CLASS_BRIDGE) {
        switch (subclass) {
        case 0x00: return "host bridge";
        case 0x01: return "ISA bridge";
        case 0x04: return "PCI bridge";
        default: break;
        }
    }
    if (class_code == PCI_CLASS_NETWORK && subclass == 0x00)
        return "ethernet";
    if (class_code < sizeof names / sizeof names[0] && names[class_code])
        return names[class_code];
    return "other";
}
