/* SPDX-License-Identifier: MIT */
/* pci_scan.h - finding every PCI function and what it decodes (pci_scan.c),
 * and the rules for what a driver may be given (pci_policy.c). Pure: config
 * space is reached through struct pci_cfg_ops (the ports in the service, a
 * model of a bus in tests/host/test_pci.c), so nothing here makes a system
 * call. Single-threaded: the pci service has one thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "proto/pci.h"

/* Config-space access. width is 1, 2 or 4 and off is aligned to it. A
 * function that is not there reads as all ones. */
struct pci_cfg_ops {
    uint32_t (*read)(void *ctx, uint16_t bdf, unsigned off, unsigned width);
    void (*write)(void *ctx, uint16_t bdf, unsigned off, unsigned width, uint32_t value);
    void *ctx;
};

#define PCI_SCAN_MAX 64u            /* functions kept; more are counted in `dropped` */

struct pci_scan {
    struct pci_dev_info dev[PCI_SCAN_MAX];   /* in the order found (depth first) */
    unsigned n;
    unsigned dropped;               /* functions beyond PCI_SCAN_MAX */
    unsigned buses;                 /* buses scanned */
    unsigned problems;              /* malformed things seen: bridge loops, bad BARs */
    uint32_t bus_seen[256 / 32];
};

/* Scan everything reachable from bus 0 (and buses 1-7 when 00:00.0 is a
 * multi-function host bridge: one host controller per function), following
 * PCI-to-PCI bridges to their secondary buses (each bus at most once, so a
 * bridge pointing back cannot loop). BARs are sized the standard way (write
 * all ones, read back, restore; decode switched off meanwhile) when
 * size_live is true or the function's decode is off; otherwise (a restart,
 * where a driver may be using the device) a BAR keeps its address and gets
 * PCI_BAR_UNSIZED. Then marks BARs sharing a page with another function's
 * BAR (pci_mark_shared_pages). *s is overwritten. */
void pci_scan(struct pci_scan *s, const struct pci_cfg_ops *ops, bool size_live);

/* Set PCI_BAR_SHARED_PAGE on every memory BAR one of whose 4 KiB pages
 * holds (part of) another function's memory BAR, or whose neighbourhood is
 * unknown (an unsized BAR elsewhere overlapping the same page is assumed to
 * be there). Called by pci_scan; exposed for tests. */
void pci_mark_shared_pages(struct pci_scan *s);

/* Index in s->dev of the index-th function with this vendor and device
 * (0 = first), or -1. */
int pci_find(const struct pci_scan *s, uint16_t vendor, uint16_t device, unsigned index);
/* Index in s->dev of the function at bdf, or -1. */
int pci_by_bdf(const struct pci_scan *s, uint16_t bdf);

/* ---- pci_policy.c: what a driver may do ---- */

/* A driver's PCI_CFG_READ: 0 if off/width are acceptable, else -MOS_EINVAL. */
int pci_cfg_read_ok(uint64_t off, uint64_t width);

/* A driver's PCI_CFG_WRITE of `value` at off/width, given the register's
 * current contents `current` (same width): 0 and the value to write in
 * *out, -MOS_EINVAL (bad offset or width), or -MOS_EPERM (a register a
 * driver may not change: IDs, BARs, bus numbers, interrupt line, ...). The
 * command register keeps every bit but MEMORY, MASTER and INTX_DISABLE. */
int pci_cfg_write_filter(uint64_t off, uint64_t width, uint64_t value, uint32_t current, uint32_t *out);

/* The pages of memory BAR `bar` of d that a driver would get: first page
 * number (address >> 12), page count, and the BAR's offset in its first
 * page. 0, -MOS_EINVAL (no such BAR, I/O, upper half, unassigned, unsized,
 * malformed) or -MOS_EPERM (PCI_BAR_SHARED_PAGE). */
int pci_bar_pages(const struct pci_dev_info *d, uint64_t bar, uint64_t *first_page, uint64_t *npages,
                  uint64_t *offset);

/* A short name for a class code ("network", "bridge", ...). */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
