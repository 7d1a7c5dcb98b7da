/* SPDX-License-Identifier: MIT */
/* nsipc.h - one request from a client: unpack, check (req.c), hand to the
 * module that owns it, reply (nsipc.c). */
#pragma once

#include "mos_lib.h"

/* m: a received message that is not a notification; it came with
 * MOS_MSG_REPLY_SLOT, so a call's REPLY capability is in the IPC buffer. */
void nsipc_handle(const struct mos_msg *m);
extern uint64_t nsipc_bad_requests;
