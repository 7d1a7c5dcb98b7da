/* SPDX-License-Identifier: MIT */
/* mos_ipc.h - IPC from user programs: the message-returning system-call
 * stubs (ipc_stubs.S) and helpers that stage a payload and capabilities in
 * the calling thread's IPC buffer (ipc.c).
 * A received payload stays in this thread's IPC buffer (data[0..bytes)), and
 * received capability handles in its caps[], until the thread's next IPC
 * call overwrites them: copy out what must outlive it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include <mos/ipc.h>

/* The raw forms. Words w[0..3] go in RDX R10 R8 R9 (w may be NULL: zeros).
 * When the result is >= 0 the received message is stored in *out (out may
 * be NULL to drop it); on failure *out is untouched. Return: RAX. */
long mos_ipc_call_m(mos_handle_t ep, mos_msginfo_t info, const uint64_t w[MOS_MSG_WORDS],
                    struct mos_msg *out);
long mos_ipc_recv_m(mos_handle_t ep, uint64_t timeout_ns, uint32_t flags, struct mos_msg *out);
long mos_ipc_reply_recv_m(mos_handle_t ep, mos_msginfo_t info, const uint64_t w[MOS_MSG_WORDS],
                          struct mos_msg *out);

/* This thread's IPC buffer (see mos_start.h for how it is found). */
struct mos_ipc_buffer *mos_ipc_buffer(void);

/* Stage an outgoing message in buf: payload (len bytes; may already be
 * buf->data) and ncaps handles, caps[i] moved instead of copied when bit i of
 * move_mask is set. Sets *info to the info word (label, len, ncaps, flags).
 * Returns 0, -MOS_EOVERFLOW (len > MOS_MSG_MAX_BYTES) or -MOS_EINVAL (ncaps >
 * MOS_MSG_MAX_CAPS, payload NULL with len > 0, caps NULL with ncaps > 0,
 * flags outside MOS_MSG_NONBLOCK). Nothing is written on failure. Pure. */
__attribute__((warn_unused_result))
int mos_ipc_stage(struct mos_ipc_buffer *buf, uint32_t label, const void *payload, size_t len,
                  const mos_handle_t *caps, unsigned ncaps, uint32_t move_mask, uint32_t flags,
                  mos_msginfo_t *info);

/* Call ep (send, then wait for the reply, stored in *reply; reply may be
 * NULL). w may be NULL (zeros), payload NULL when len == 0, caps NULL when
 * ncaps == 0; capabilities are copied. Returns the system call's result, or
 * a staging error from mos_ipc_stage(). */
long mos_call(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS],
              const void *payload, size_t len, const mos_handle_t *caps, unsigned ncaps,
              struct mos_msg *reply);

/* Send without waiting for a reply (flags: 0 or MOS_MSG_NONBLOCK). */
long mos_send(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS],
              const void *payload, size_t len, const mos_handle_t *caps, unsigned ncaps,
              uint32_t flags);

/* Wait for a message on ep (flags: 0 or MOS_MSG_REPLY_SLOT). */
long mos_recv(mos_handle_t ep, uint64_t timeout_ns, uint32_t flags, struct mos_msg *msg);

/* Reply through `reply` (a REPLY handle, or 0 for the thread's own reply right). */
long mos_reply(mos_handle_t reply, uint32_t label, const uint64_t w[MOS_MSG_WORDS],
               const void *payload, size_t len, const mos_handle_t *caps, unsigned ncaps);

/* Reply to the own reply right, then wait on ep for the next message. */
long mos_reply_recv(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS],
                    const void *payload, size_t len, const mos_handle_t *caps, unsigned ncaps,
                    struct mos_msg *next);

/* The payload of the message this thread received last (in its IPC buffer). */
const void *mos_msg_data(const struct mos_msg *m);
/* Received capability i (0 .. mos_msg_ncaps(m->info) - 1), or 0. */
mos_handle_t mos_msg_cap(const struct mos_msg *m, unsigned i);
