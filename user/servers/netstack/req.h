/* SPDX-License-Identifier: MIT */
/* req.h - the shape of a socket-protocol request (proto/net.h), checked
 * before anything acts on it: the operation exists, payload and
 * capability counts fit it, every word is in its range, and operations
 * answered later (NET_WAIT, NET_RESOLVE, NET_PING) came as calls. Whether a
 * socket id names a socket of the caller is the socket table's business
 * (sock.c). Pure: no system calls, no lwIP; host-tested (test_net_req.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "proto/net.h"

struct ns_req {
    uint32_t op;                /* the label */
    uint64_t badge;             /* the caller's session */
    uint64_t w[4];
    const uint8_t *data;        /* payload (a copy the server owns) */
    uint32_t bytes;
    uint32_t ncaps;             /* capabilities that arrived */
    bool call;                  /* the caller waits for a reply */
};

/* 0 if the request is well formed; -MOS_ENOSYS for an unknown operation;
 * -MOS_EINVAL otherwise. Never looks past data[bytes). */
int ns_req_check(const struct ns_req *r) __attribute__((warn_unused_result));

/* NET_RESOLVE: the name as a C string in out (NET_NAME_MAX bytes). The
 * request must have passed ns_req_check(). */
void ns_req_name(const struct ns_req *r, char out[NET_NAME_MAX]);

/* NET_WAIT: entry i (0 <= i < r->bytes / 8) of a checked request. */
struct net_wait_req ns_req_wait_entry(const struct ns_req *r, unsigned i);

/* The NIC driver's shared region (proto/netdev.h), as the netstack sees it
 * after mapping `bytes` bytes: true if page 0 describes a layout that fits
 * (magic, version, a power-of-two ring size up to 4096, four rings and the
 * buffer area inside the region, apart from each other and from page 0's
 * header, buffers big enough for a frame behind the headroom). The caller
 * copies the header out of shared memory first, so it cannot change while
 * it is being checked. */
struct netdev_shared;
bool ns_netdev_layout_ok(const struct netdev_shared *h, uint64_t bytes);
