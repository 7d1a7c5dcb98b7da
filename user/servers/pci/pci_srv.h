/* SPDX-License-Identifier: MIT */
/* pci_srv.h - the pci service's state, shared by main.c (start-up, the
 * configuration ports, the log) and pci_ipc.c (the protocol). One thread;
 * no locks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <mos/types.h>
#include "pci_scan.h"

struct pci_server {
    struct pci_scan scan;           /* what was found at start-up */
    struct pci_cfg_ops ops;         /* the ports */
    mos_handle_t ep;                /* "ep": requests (init keeps it across restarts) */
    mos_handle_t devmem;            /* "devmem": device memory, BARs are cut from it */
    uint64_t devmem_origin;         /* physical address of the devmem object's page 0 */
    uint64_t devmem_first;          /* the capability's range, in object pages */
    uint64_t devmem_count;
};

extern struct pci_server pci_sv;

/* Serve requests on pci_sv.ep forever (pci_ipc.c). */
__attribute__((noreturn)) void pci_serve(struct pci_server *sv);
