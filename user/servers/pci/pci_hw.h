/* SPDX-License-Identifier: MIT */
/* pci_hw.h - PCI configuration space: configuration mechanism #1 (ports
 * 0xCF8 address, 0xCFC-0xCFF data) and the registers of the type 0
 * (device) and type 1 (PCI-to-PCI bridge) headers that the pci service
 * and its tests use. Facts from the PCI Local Bus specification 3.0. */
#pragma once

#define PCI_CONFIG_ADDRESS  0xCF8u
#define PCI_CONFIG_DATA     0xCFCu
#define PCI_CONFIG_PORTS    8u              /* 0xCF8..0xCFF */
#define PCI_ADDR_ENABLE     0x80000000u     /* | bus << 16 | dev << 11 | fn << 8 | (off & 0xFC) */

#define PCI_BDF(b, d, f)    ((uint16_t)(((b) << 8) | ((d) << 3) | (f)))
#define PCI_BDF_BUS(x)      ((unsigned)((x) >> 8) & 0xFFu)
#define PCI_BDF_DEV(x)      ((unsigned)((x) >> 3) & 0x1Fu)
#define PCI_BDF_FN(x)       ((unsigned)(x) & 0x7u)

/* Common header. */
#define PCI_VENDOR_ID       0x00    /* 16; 0xFFFF: no function there */
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04    /* 16 */
#define PCI_STATUS          0x06    /* 16, bits 11-15 write-1-to-clear */
#define PCI_REVISION        0x08
#define PCI_PROG_IF         0x09
#define PCI_SUBCLASS        0x0A
#define PCI_CLASS           0x0B
#define PCI_HEADER_TYPE     0x0E    /* bits 0-6 layout, bit 7 multi-function */
#define PCI_BAR0            0x10    /* BAR i at 0x10 + 4 * i */
#define PCI_CAP_PTR         0x34    /* type 0 and 1 */
#define PCI_INTERRUPT_LINE  0x3C
#define PCI_INTERRUPT_PIN   0x3D    /* 0 none, 1..4 INTA..INTD */

/* Type 0. */
#define PCI_SUBSYS_VENDOR   0x2C
#define PCI_SUBSYS_ID       0x2E
/* Type 1 (bridge). */
#define PCI_PRIMARY_BUS     0x18
#define PCI_SECONDARY_BUS   0x19
#define PCI_SUBORDINATE_BUS 0x1A

#define PCI_HEADER_DEVICE   0x00
#define PCI_HEADER_BRIDGE   0x01
#define PCI_HEADER_CARDBUS  0x02
#define PCI_HEADER_MULTIFN  0x80

#define PCI_CMD_IO          0x0001u
#define PCI_CMD_MEMORY      0x0002u
#define PCI_CMD_MASTER      0x0004u
#define PCI_CMD_INTX_DISABLE 0x0400u

#define PCI_STATUS_CAP_LIST 0x0010u

/* BAR register bits. */
#define PCI_BAR_SPACE_IO    0x1u
#define PCI_BAR_IO_MASK     0xFFFFFFFCu
#define PCI_BAR_MEM_TYPE(v) (((v) >> 1) & 3u)   /* 0 32-bit, 1 below 1 MiB (old), 2 64-bit */
#define PCI_BAR_MEM_PREF    0x8u
#define PCI_BAR_MEM_MASK    0xFFFFFFF0u

/* Classes (for log lines). */
#define PCI_CLASS_NETWORK   0x02
#define PCI_CLASS_BRIDGE    0x06
#define PCI_SUBCLASS_HOST   0x00
#define PCI_SUBCLASS_P2P    0x04

/* Capability IDs. */
#define PCI_CAP_ID_MSI      0x05
#define PCI_CAP_ID_VENDOR   0x09
#define PCI_CAP_ID_PCIE     0x10
#define PCI_CAP_ID_MSIX     0x11
