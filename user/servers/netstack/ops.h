/* SPDX-License-Identifier: MIT */
/* ops.h - NET_PING and NET_RESOLVE: answered later (deferred replies),
 * when the network answers or their time runs out (ops.c). */
#pragma once

#include <stdint.h>
#include "req.h"
#include "sock.h"

void ops_ping(const struct ns_req *r, mos_handle_t reply, struct ns_reply *out);
void ops_resolve(const struct ns_req *r, mos_handle_t reply, struct ns_reply *out);
void ops_run(uint64_t now_ns);
uint64_t ops_next_ns(void);             /* UINT64_MAX: nothing pending */
uint32_t ops_pending(void);
