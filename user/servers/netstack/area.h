/* SPDX-License-Identifier: MIT */
/* area.h - a socket's shared area (proto/net.h: struct net_shm, then the rx
 * and tx rings): memory the netstack allocates, maps at a fixed place per
 * socket slot and hands to the client as a derived READ|WRITE capability.
 * The netstack keeps the root capability, so a client can never unmap the
 * netstack's view (it holds no REVOKE over it), and revoking the root takes
 * the client's view away at close. Every page is charged to the netstack,
 * which bounds the total with NS_SHM_BUDGET_PAGES. */
#pragma once

#include <stdint.h>
#include "proto/net.h"
#include "mos_lib.h"

struct ns_area {
    mos_handle_t mem;           /* root MEMORY capability, 0 if none */
    uint32_t window;            /* where it is mapped: NS_AREA_BASE + window * NS_AREA_STRIDE */
    uint32_t pages;
    struct net_shm *shm;        /* page 0 */
    uint8_t *rx, *tx;           /* the rings */
    uint32_t rx_size, tx_size;  /* bytes, powers of two */
};

/* Allocate and map an area, sizes already checked (net_area_pages), and
 * write its header. Returns 0, -MOS_ENOMEM (budget, quota), -MOS_ENOSPC (no
 * window) or a system-call error; on failure nothing is left. */
int area_create(struct ns_area *a, uint32_t type, uint32_t id, uint32_t rx_size, uint32_t tx_size)
    __attribute__((warn_unused_result));
/* A new capability to the area for the client (READ|WRITE|GRANT: GRANT is
 * what lets it travel in the reply), to be moved in the reply. */
long area_client_cap(const struct ns_area *a);
/* Take every client's view away (revoke everything derived from the root). */
void area_revoke(const struct ns_area *a);
/* Free it: the client's views, the netstack's mapping, the memory. */
void area_destroy(struct ns_area *a);
/* Pages of all live areas. */
uint32_t area_pages_in_use(void);
