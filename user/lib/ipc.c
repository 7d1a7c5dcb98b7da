// SPDX-License-Identifier: MIT
/* ipc.c - IPC helpers over the calling thread's IPC buffer: stage the
 * payload and capabilities of an outgoing message there, build the info
 * word, and make the call through the raw stubs (ipc_stubs.S, generated
 * stubs). A thread finds its buffer through mos_thread_data() (the top of
 * its stack region, see mos_start.h), so the helpers need no locks: each
 * thread only touches its own buffer. */
#include "mos_ipc.h"

#include <mos/errors.h>
#include "lib/string.h"
#include "mos_start.h"
#include "user_syscalls.h"

/* ipc_stubs.S stores the message at these offsets. */
_Static_assert(offsetof(struct mos_msg, info) == 0, "ipc_stubs.S: mos_msg.info");
_Static_assert(offsetof(struct mos_msg, badge) == 8, "ipc_stubs.S: mos_msg.badge");
_Static_assert(offsetof(struct mos_msg, w) == 16, "ipc_stubs.S: mos_msg.w");

struct mos_ipc_buffer *mos_ipc_buffer(void)
{
    return (struct mos_ipc_buffer *)(uintptr_t)mos_thread_data()->ipc_buffer;
}

int mos_ipc_stage(struct mos_ipc_buffer *buf, uint32_t label, const void *payload, size_t len,
                  const mos_handle_t *caps, unsigned ncaps, uint32_t move_mask, uint32_t flags,
                  mos_msginfo_t *info)
{
    if (len > MOS_MSG_MAX_BYTES)
        return -MOS_EOVERFLOW;
    if (ncaps > MOS_MSG_MAX_CAPS || (len && !payload) || (ncaps && !caps) || (flags & ~MOS_MSG_NONBLOCK))
        return -MOS_EINVAL;
    if (len && payload != buf->data)
        memmove(buf->data, payload, len);
    for (unsigned i = 0; i < ncaps; i++)
        buf->caps[i] = caps[i];
    buf->cap_flags = move_mask & ((1u << ncaps) - 1);
    *info = mos_msginfo(label, (uint32_t)len, ncaps, flags);
    return 0;
}

/* Stage into this thread's buffer; a thread without one can still send
 * register-only messages. */
static int ipc_stage_own(uint32_t label, const void *payload, size_t len, const mos_handle_t *caps,
                         unsigned ncaps, uint32_t flags, mos_msginfo_t *info)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    if (!buf) {
        if (len || ncaps)
            return -MOS_EFAULT;
        if (flags & ~MOS_MSG_NONBLOCK)
            return -MOS_EINVAL;
        *info = mos_msginfo(label, 0, 0, flags);
        return 0;
    }
    return mos_ipc_stage(buf, label, payload, len, caps, ncaps, 0, flags, info);
}

static const uint64_t ipc_zero_words[MOS_MSG_WORDS];

long mos_call(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS], const void *payload,
              size_t len, const mos_handle_t *caps, unsigned ncaps, struct mos_msg *reply)
{
    mos_msginfo_t info;
    int err = ipc_stage_own(label, payload, len, caps, ncaps, 0, &info);
    if (err)
        return err;
    return mos_ipc_call_m(ep, info, w, reply);
}

long mos_send(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS], const void *payload,
              size_t len, const mos_handle_t *caps, unsigned ncaps, uint32_t flags)
{
    mos_msginfo_t info;
    int err = ipc_stage_own(label, payload, len, caps, ncaps, flags, &info);
    if (err)
        return err;
    if (!w)
        w = ipc_zero_words;
    return mos_ipc_send(ep, info, w[0], w[1], w[2], w[3]);
}

long mos_recv(mos_handle_t ep, uint64_t timeout_ns, uint32_t flags, struct mos_msg *msg)
{
    return mos_ipc_recv_m(ep, timeout_ns, flags, msg);
}

long mos_reply(mos_handle_t reply, uint32_t label, const uint64_t w[MOS_MSG_WORDS], const void *payload,
               size_t len, const mos_handle_t *caps, unsigned ncaps)
{
    mos_msginfo_t info;
    int err = ipc_stage_own(label, payload, len, caps, ncaps, 0, &info);
    if (err)
        return err;
    if (!w)
        w = ipc_zero_words;
    return mos_ipc_reply(reply, info, w[0], w[1], w[2], w[3]);
}

long mos_reply_recv(mos_handle_t ep, uint32_t label, const uint64_t w[MOS_MSG_WORDS], const void *payload,
                    size_t len, const mos_handle_t *caps, unsigned ncaps, struct mos_msg *next)
{
    mos_msginfo_t info;
    int err = ipc_stage_own(label, payload, len, caps, ncaps, 0, &info);
    if (err)
        return err;
    return mos_ipc_reply_recv_m(ep, info, w, next);
}

const void *mos_msg_data(const struct mos_msg *m)
{
    (void)m;
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    return buf ? buf->data : NULL;
}

mos_handle_t mos_msg_cap(const struct mos_msg *m, unsigned i)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    if (!buf || i >= mos_msg_ncaps(m->info) || i >= MOS_MSG_MAX_CAPS)
        return 0;
    return buf->caps[i];
}
