// SPDX-License-Identifier: MIT
/* ipc_errors - every IPC system call refuses bad input with the exact
 * error and without side effects: bad handles (0, MOS_SELF, random, out of
 * range, stale), wrong types, missing rights, unknown receive flags, messages
 * too large, payloads or capabilities without an IPC buffer. */
#include "ipc_util.h"

/* Try every IPC call with handle h; each must fail with err. The receive
 * forms never block (a refused call must return at once). */
static void every_ipc_call_fails(mos_handle_t h, long err, const char *what)
{
    struct mos_msg m = { .info = 0xAA };
    const uint64_t w[4] = { 1, 2, 3, 4 };
    long r;
    r = mos_ipc_send(h, mos_msginfo(1, 0, 0, 0), 1, 2, 3, 4);
    EXPECTF(r == -err, "%s: ipc_send returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_send(h, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 1, 2, 3, 4);
    EXPECTF(r == -err, "%s: ipc_send NONBLOCK returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_call_m(h, mos_msginfo(1, 0, 0, 0), w, &m);
    EXPECTF(r == -err, "%s: ipc_call returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_recv_m(h, MOS_TIMEOUT_POLL, 0, &m);
    EXPECTF(r == -err, "%s: ipc_recv(poll) returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_recv_m(h, MOS_TIMEOUT_FOREVER, 0, &m);
    EXPECTF(r == -err, "%s: ipc_recv(forever) returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_reply_recv_m(h, mos_msginfo(1, 0, 0, 0), w, &m);
    EXPECTF(r == -err, "%s: ipc_reply_recv returned %ld, expected %ld", what, r, -err);
    r = mos_ipc_notify(h, 1);
    EXPECTF(r == -err, "%s: ipc_notify returned %ld, expected %ld", what, r, -err);
    EXPECTF(m.info == 0xAA, "%s: a refused call stored a message", what);
}

UTEST(ipc_with_bad_handles_is_ebadhandle)
{
    every_ipc_call_fails(0, MOS_EBADHANDLE, "handle 0");
    every_ipc_call_fails(MOS_SELF, MOS_EBADHANDLE, "MOS_SELF");
    every_ipc_call_fails(0x000FFFFEu, MOS_EBADHANDLE, "index past the space");
    uint32_t x = 0x9E3779B9u;
    for (int i = 0; i < 16; i++) {
        x = x * 1664525u + 1013904223u;
        mos_handle_t h = x | 0x00100000u;           /* generation >= 1: never a live slot here */
        every_ipc_call_fails(h, MOS_EBADHANDLE, "random handle");
        EXPECT_ERR(mos_ipc_reply(h, 0, 0, 0, 0, 0), MOS_EBADHANDLE);
    }
    mos_handle_t ep = ipc_new_ep();
    EXPECT_EQ(mos_cap_delete(ep), 0);
    every_ipc_call_fails(ep, MOS_EBADHANDLE, "stale endpoint");
    EXPECT_ERR(mos_ipc_reply(ep, 0, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_reply(MOS_SELF, 0, 0, 0, 0, 0), MOS_EBADHANDLE);
    /* A new endpoint in the same slot: the old handle stays dead. */
    mos_handle_t ep2 = ipc_new_ep();
    if (MOS_HANDLE_INDEX(ep2) == MOS_HANDLE_INDEX(ep))
        EXPECT(ep2 != ep);
    every_ipc_call_fails(ep, MOS_EBADHANDLE, "stale endpoint, slot reused");
}

UTEST(ipc_with_wrong_capability_type_is_ebadtype)
{
    long mem = MUST(mos_mem_alloc(1, 0));
    every_ipc_call_fails((mos_handle_t)mem, MOS_EBADTYPE, "MEMORY handle");
    EXPECT_ERR(mos_ipc_reply((mos_handle_t)mem, 0, 0, 0, 0, 0), MOS_EBADTYPE);
    mos_handle_t ep = ipc_new_ep();
    EXPECT_ERR(mos_ipc_reply(ep, 0, 0, 0, 0, 0), MOS_EBADTYPE);            /* not a REPLY capability */
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);                                             /* a THREAD handle */
    every_ipc_call_fails(r.thr.handle, MOS_EBADTYPE, "THREAD handle");
    EXPECT_EQ(mos_ipc_send(ep, 0, 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
}

UTEST(endpoint_narrowed_to_read_cannot_send)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t ro = ipc_derive(ep, MOS_RIGHT_READ, 0);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_send(ro, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_ipc_send(ro, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_ipc_call_m(ro, mos_msginfo(1, 0, 0, 0), NULL, &m), MOS_EPERM);
    EXPECT_ERR(mos_ipc_notify(ro, 1), MOS_EPERM);
    EXPECT_ERR(mos_ipc_recv_m(ro, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);      /* receiving is allowed */
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);      /* no notification left */
}

UTEST(endpoint_narrowed_to_write_cannot_receive)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t wo = ipc_derive(ep, MOS_RIGHT_WRITE, 0);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_recv_m(wo, MOS_TIMEOUT_POLL, 0, &m), MOS_EPERM);
    EXPECT_ERR(mos_ipc_recv_m(wo, MOS_TIMEOUT_FOREVER, 0, &m), MOS_EPERM);
    EXPECT_ERR(mos_ipc_recv_m(wo, MOS_TIMEOUT_POLL, MOS_MSG_REPLY_SLOT, &m), MOS_EPERM);
    EXPECT_ERR(mos_ipc_reply_recv_m(wo, mos_msginfo(1, 0, 0, 0), NULL, &m), MOS_EPERM);
    EXPECT_ERR(mos_ipc_send(wo, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EAGAIN);  /* sending is */
    EXPECT_EQ(mos_ipc_notify(wo, 2), 0);
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT_EQ(m.w[0], 2);
}

UTEST(sending_capabilities_needs_grant_on_the_endpoint)
{
    mos_handle_t ep = ipc_new_ep(), other = ipc_new_ep();
    mos_handle_t wo = ipc_derive(ep, MOS_RIGHT_WRITE, 0);
    struct mos_msg m;
    EXPECT_ERR(mos_send(wo, 1, NULL, NULL, 0, &other, 1, MOS_MSG_NONBLOCK), MOS_EPERM);
    EXPECT_ERR(mos_send(wo, 1, NULL, NULL, 0, &other, 1, 0), MOS_EPERM);
    EXPECT_ERR(mos_call(wo, 1, NULL, NULL, 0, &other, 1, &m), MOS_EPERM);
    EXPECT_ERR(mos_send(wo, 1, NULL, "data", 4, NULL, 0, MOS_MSG_NONBLOCK), MOS_EAGAIN);  /* bytes are fine */
    mos_handle_t wg = ipc_derive(ep, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0);
    EXPECT_ERR(mos_send(wg, 1, NULL, NULL, 0, &other, 1, MOS_MSG_NONBLOCK), MOS_EAGAIN);
}

UTEST(recv_with_unknown_flags_is_einval)
{
    mos_handle_t ep = ipc_new_ep();
    static const uint32_t bad[] = { 1u, 0x80u, MOS_MSG_NONBLOCK, MOS_MSG_NOTIFY, MOS_MSG_LOST, MOS_MSG_CALL,
                                    MOS_MSG_REPLY_SLOT | 1u, 0x80000000u, 0xFFFFFFFFu };
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_notify(ep, 1), 0);                /* a refused recv must not take it */
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, bad[i], &m);
        EXPECTF(r == -MOS_EINVAL, "flags 0x%x: %ld", bad[i], r);
        r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, bad[i], &m);
        EXPECTF(r == -MOS_EINVAL, "flags 0x%x (forever): %ld", bad[i], r);
    }
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, MOS_MSG_REPLY_SLOT, &m), 0);
    EXPECT_EQ(m.w[0], 1);
}

UTEST(recv_flags_above_bit_31_are_einval)
{
    mos_handle_t ep = ipc_new_ep();
    EXPECT_ERR(mos_syscall6(SYS_ipc_recv, ep, MOS_TIMEOUT_POLL, 1ull << 32, 0, 0, 0), MOS_EINVAL);
    EXPECT_ERR(mos_syscall6(SYS_ipc_recv, ep, MOS_TIMEOUT_POLL, (uint64_t)MOS_MSG_REPLY_SLOT << 32, 0, 0, 0),
               MOS_EINVAL);
}

UTEST(messages_over_the_limits_are_einval)
{
    mos_handle_t ep = ipc_new_ep();
    struct mos_msg m;
    static const uint32_t big[] = { 4097, 5000, 8191 };
    for (unsigned i = 0; i < 3; i++) {
        EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, big[i], 0, 0), 0, 0, 0, 0), MOS_EINVAL);
        EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, big[i], 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EINVAL);
        EXPECT_ERR(mos_ipc_call_m(ep, mos_msginfo(1, big[i], 0, 0), NULL, &m), MOS_EINVAL);
        EXPECT_ERR(mos_ipc_reply(0, mos_msginfo(1, big[i], 0, 0), 0, 0, 0, 0), MOS_EINVAL);
    }
    for (uint32_t n = 5; n <= 7; n++) {
        EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, 0, n, 0), 0, 0, 0, 0), MOS_EINVAL);
        EXPECT_ERR(mos_ipc_call_m(ep, mos_msginfo(1, 0, n, 0), NULL, &m), MOS_EINVAL);
    }
    /* The library refuses too, before the kernel sees it. */
    static uint8_t blob[MOS_MSG_MAX_BYTES + 1];
    EXPECT_ERR(mos_call(ep, 1, NULL, blob, sizeof blob, NULL, 0, &m), MOS_EOVERFLOW);
    /* Nothing was queued or delivered. */
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);
    /* 4096 is allowed (no receiver: EAGAIN, not EINVAL). */
    EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, 4096, 4, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EAGAIN);
    /* A refused reply (plain or with the receive) keeps the call pending. */
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(2000), 0, &m), 0);
    EXPECT_ERR(mos_ipc_reply_recv_m(ep, mos_msginfo(1, 4097, 0, 0), NULL, &m), MOS_EINVAL);
    EXPECT_ERR(mos_ipc_reply_recv_m(ep, mos_msginfo(1, 0, 5, 0), NULL, &m), MOS_EINVAL);
    EXPECT_ERR(mos_ipc_reply(0, mos_msginfo(1, 8191, 0, 0), 0, 0, 0, 0), MOS_EINVAL);
    EXPECT(!c.done);
    EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(9, 0, 0, 0), 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(c.result, 0);
    EXPECT_EQ(mos_msg_label(c.msg.info), 9);
}

struct bare_calls {
    mos_handle_t ep;
    long r_bytes, r_caps, r_call_bytes, r_reply_slot, r_words;
};

static void bare_calls_main(void *arg)
{
    struct bare_calls *b = arg;
    struct mos_msg m;
    b->r_bytes = mos_ipc_send(b->ep, mos_msginfo(1, 8, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0);
    b->r_caps = mos_ipc_send(b->ep, mos_msginfo(1, 0, 1, MOS_MSG_NONBLOCK), 0, 0, 0, 0);
    b->r_call_bytes = mos_ipc_call_m(b->ep, mos_msginfo(1, 1, 0, 0), NULL, &m);
    b->r_reply_slot = mos_ipc_recv_m(b->ep, MOS_TIMEOUT_POLL, MOS_MSG_REPLY_SLOT, &m);
    b->r_words = mos_ipc_send(b->ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0);
}

UTEST(thread_without_ipc_buffer_cannot_send_payload_or_caps)
{
    struct bare_calls bc = { .ep = ipc_new_ep() };
    struct ipc_bare b;
    EXPECT_EQ(ipc_bare_start(&b, 1, bare_calls_main, &bc), 0);
    EXPECT(ipc_bare_join(&b, MS(2000)));
    EXPECT_EQ(bc.r_bytes, -MOS_EINVAL);
    EXPECT_EQ(bc.r_caps, -MOS_EINVAL);
    EXPECT_EQ(bc.r_call_bytes, -MOS_EINVAL);
    EXPECT_EQ(bc.r_reply_slot, -MOS_EINVAL);
    EXPECT_EQ(bc.r_words, -MOS_EAGAIN);            /* register-only messages work */
}
