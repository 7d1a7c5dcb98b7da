/* SPDX-License-Identifier: MIT */
/* ipc.h - the message format. A message is a label, four data words carried
 * in registers, an optional byte payload (up to 4 KiB) copied between the
 * two threads' registered IPC buffers, and up to four capabilities. */
#pragma once

#include <mos/types.h>

#define MOS_MSG_WORDS     4
#define MOS_MSG_MAX_BYTES 4096u
#define MOS_MSG_MAX_CAPS  4u

/* The info word: label in the high 32 bits; payload length, capability
 * count and flags in the low 32.
 *   bits  0..12  payload bytes (0..4096)
 *   bits 16..18  capabilities (0..4), handles in ipc_buffer.caps[]
 *   bits 24..31  flags (MOS_MSG_*) */
typedef uint64_t mos_msginfo_t;

#define MOS_MSG_NONBLOCK   (1u << 24)   /* send: fail with -MOS_EAGAIN instead of waiting */
#define MOS_MSG_NOTIFY     (1u << 25)   /* received: a notification; w0 = the bits */
#define MOS_MSG_REPLY_SLOT (1u << 26)   /* recv/reply_recv: keep the reply right as a REPLY
                                         * capability; its handle is in ipc_buffer.reply */
#define MOS_MSG_LOST       (1u << 27)   /* received: some payload bytes or capabilities could
                                         * not be delivered (no or unmapped IPC buffer, full
                                         * capability space, stale handle) */
#define MOS_MSG_CALL       (1u << 28)   /* received: the sender waits for a reply */

static inline mos_msginfo_t mos_msginfo(uint32_t label, uint32_t bytes, uint32_t ncaps, uint32_t flags)
{
    return ((uint64_t)label << 32) | (bytes & 0x1FFFu) | ((uint64_t)(ncaps & 7u) << 16) | (flags & 0xFF000000u);
}
static inline uint32_t mos_msg_label(mos_msginfo_t i) { return (uint32_t)(i >> 32); }
static inline uint32_t mos_msg_bytes(mos_msginfo_t i) { return (uint32_t)(i & 0x1FFFu); }
static inline uint32_t mos_msg_ncaps(mos_msginfo_t i) { return (uint32_t)((i >> 16) & 7u); }
static inline uint32_t mos_msg_flags(mos_msginfo_t i) { return (uint32_t)(i & 0xFF000000u); }

/* A received message, as the user library hands it over. */
struct mos_msg {
    mos_msginfo_t info;
    uint64_t badge;
    uint64_t w[MOS_MSG_WORDS];
};

/* The per-thread IPC buffer (registered with thread_create): page-aligned,
 * two pages, readable and writable by its thread. */
struct mos_ipc_buffer {
    uint8_t data[MOS_MSG_MAX_BYTES];        /* payload out and in */
    mos_handle_t caps[MOS_MSG_MAX_CAPS];    /* send: handles to pass; receive: new handles */
    mos_handle_t reply;                     /* receive with MOS_MSG_REPLY_SLOT: the REPLY handle */
    uint32_t cap_flags;                     /* send: bit i set = move caps[i] instead of copying */
    uint64_t user[6];                       /* free for the library */
};
_Static_assert(sizeof(struct mos_ipc_buffer) == 4096 + 16 + 8 + 48, "ABI: mos_ipc_buffer");
#define MOS_IPC_BUFFER_PAGES 2
