/* SPDX-License-Identifier: MIT */
/* proto/pci.h - the PCI service protocol (user/servers/pci, docs/network.md
 * "PCI service"). The pci service alone holds the configuration ports
 * 0xCF8-0xCFF and the device-memory root; it hands each driver exactly its
 * device and nothing else.
 *
 * Requests are ipc_calls on the "pci" endpoint; the reply's label is 0 or
 * -MOS_E*. Who may do what is decided by the badge of the capability used:
 *   badge 0                  the manager (init holds the only unbadged copy):
 *                            PCI_CLAIM and PCI_BAR hand out device capabilities
 *   PCI_BADGE_DEVICE | bdf   a driver, through the "pcidev" capability minted
 *                            by PCI_CLAIM: config-space access to that one
 *                            device (PCI_CFG_READ/WRITE), PCI_INFO about it
 *   any other badge          a client (lspci): PCI_LIST, PCI_INFO
 * A bdf is bus << 8 | device << 3 | function. */
#pragma once

#include <stdint.h>

#define PCI_BADGE_DEVICE    (1ull << 48)    /* | bdf: the "pcidev" capability of one device */
#define PCI_BADGE_BDF_MASK  0xFFFFull

#define PCI_MAX_BARS        6u
#define PCI_CFG_BYTES       256u            /* configuration mechanism #1 reaches 256 bytes */

enum pci_op {
    PCI_LIST = 1,       /* w0 = first index. reply: payload struct pci_dev_info[n],
                         * w0 = n, w1 = devices in all */
    PCI_INFO = 2,       /* device badge: its own device; others: w0 = bdf.
                         * reply: payload one struct pci_dev_info */
    PCI_CLAIM = 3,      /* manager. w0 = vendor | device << 16, w1 = index among the
                         * matching devices (0 = first). reply: cap[0] = ENDPOINT
                         * (WRITE|GRANT, badge PCI_BADGE_DEVICE | bdf) for the driver,
                         * w0 = bdf, w1 = mask of the BARs PCI_BAR will hand out,
                         * w2 = interrupt line | pin << 8 (pin 0: none; line 0xFF:
                         * not routed). -MOS_ENOENT: no such device */
    PCI_BAR = 4,        /* manager. w0 = bdf, w1 = BAR index. reply: cap[0] = MEMORY
                         * (READ|WRITE|GRANT, device memory) covering the BAR's pages,
                         * w0 = BAR address, w1 = BAR size (bytes), w2 = PCI_BAR_* flags,
                         * w3 = offset of the BAR in the capability's first page.
                         * -MOS_EPERM: the BAR shares a page with another device's */
    PCI_CFG_READ = 5,   /* device badge. w0 = offset, w1 = width (1, 2, 4; offset
                         * aligned to it, below 256). reply: w0 = value */
    PCI_CFG_WRITE = 6,  /* device badge. w0 = offset, w1 = width, w2 = value. Only the
                         * command register's MEMORY, BUS MASTER and INTX DISABLE bits
                         * (other bits keep their value) and offsets 0x40..0xFF (the
                         * capabilities); everything else is -MOS_EPERM */
};

/* struct pci_bar_info.flags */
#define PCI_BAR_IO          0x01u   /* I/O space (never handed out: drivers get no ports) */
#define PCI_BAR_MEM64       0x02u   /* 64-bit memory BAR (the next BAR is its upper half) */
#define PCI_BAR_PREFETCH    0x04u
#define PCI_BAR_UPPER       0x08u   /* the upper half of the previous 64-bit BAR */
#define PCI_BAR_UNSIZED     0x10u   /* size unknown: not probed (decode was on at a restart) */
#define PCI_BAR_SHARED_PAGE 0x20u   /* shares a page with another device's BAR: not handed out */
#define PCI_BAR_BAD         0x40u   /* malformed (64-bit in the last slot, reserved type) */

struct pci_bar_info {
    uint64_t base;              /* address (0: not assigned) */
    uint64_t size;              /* bytes (0: not implemented, or PCI_BAR_UNSIZED) */
    uint32_t flags;             /* PCI_BAR_* */
    uint32_t _pad;
};
_Static_assert(sizeof(struct pci_bar_info) == 24, "proto: pci_bar_info");

struct pci_dev_info {
    uint16_t bdf;
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys_device;
    uint16_t command, status;
    uint8_t header_type;        /* bits 0-6 (the multi-function bit removed) */
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t irq_line, irq_pin;  /* pin 0: none, 1..4 = INTA..INTD */
    uint8_t nbars;              /* 6 (type 0), 2 (bridge), 0 */
    uint8_t secondary_bus;      /* bridges */
    uint8_t claimed;            /* 1 once the manager claimed it */
    uint8_t _pad[4];
    struct pci_bar_info bar[PCI_MAX_BARS];
};
_Static_assert(sizeof(struct pci_dev_info) == 176, "proto: pci_dev_info");
