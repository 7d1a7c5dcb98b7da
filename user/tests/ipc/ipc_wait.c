// SPDX-License-Identifier: MIT
/* ipc_wait - how waits end: receive time-outs (poll, 20 ms), non-blocking
 * sends, notification bits (accumulate, delivered once, wake a blocked
 * receiver), and the cancellation of threads blocked through a capability
 * that is deleted or revoked. */
#include "ipc_util.h"

UTEST(recv_poll_on_empty_endpoint_times_out_at_once)
{
    mos_handle_t ep = ipc_new_ep();
    struct mos_msg m = { .info = 0x1234 };
    for (int i = 0; i < 10; i++) {
        uint64_t t0 = utest_now_ns();
        EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);
        uint64_t dt = utest_now_ns() - t0;
        /* (a realtime run's vCPU may lose the host CPU for milliseconds) */
        EXPECTF(dt < (utest_realtime() ? MS(100) : MS(2)), "a poll took %llu ns", (unsigned long long)dt);
    }
    EXPECT_EQ(m.info, 0x1234);                         /* nothing was received */
}

UTEST(recv_timeout_of_20ms_expires_after_20ms)
{
    mos_handle_t ep = ipc_new_ep();
    struct mos_msg m;
    uint64_t t0 = utest_now_ns();
    EXPECT_ERR(mos_ipc_recv_m(ep, MS(20), 0, &m), MOS_ETIMEDOUT);
    uint64_t dt = utest_now_ns() - t0;
    EXPECTF(dt >= MS(20), "returned after %llu ns", (unsigned long long)dt);
    EXPECTF(dt < MS(1000), "returned only after %llu ns", (unsigned long long)dt);
    /* The timed-out receiver is no longer queued. */
    EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EAGAIN);
}

UTEST(recv_with_timeout_gets_message_sent_in_time)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV, .timeout = MS(3000) };
    uint64_t t0 = utest_now_ns();
    ipc_peer_start_blocked(&r);
    EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(21, 0, 0, 0), 1, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(5000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_label(r.msg.info), 21);
    EXPECT(utest_now_ns() - t0 < MS(3000));
}

UTEST(nonblocking_send_without_receiver_is_eagain)
{
    mos_handle_t ep = ipc_new_ep();
    EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 1, 2, 3, 4), MOS_EAGAIN);
    EXPECT_ERR(mos_send(ep, 1, NULL, "x", 1, NULL, 0, MOS_MSG_NONBLOCK), MOS_EAGAIN);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);     /* nothing was queued */
}

UTEST(nonblocking_call_without_receiver_is_eagain)
{
    mos_handle_t ep = ipc_new_ep();
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), NULL, &m), MOS_EAGAIN);
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);
}

UTEST(nonblocking_send_to_waiting_receiver_is_delivered)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(22, 0, 0, MOS_MSG_NONBLOCK), 9, 8, 7, 6), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_label(r.msg.info), 22);
    EXPECT_EQ(r.msg.w[0], 9);
    EXPECT_EQ(r.msg.w[3], 6);
}

UTEST(notify_bits_accumulate_and_are_delivered_once)
{
    mos_handle_t ep = ipc_new_ep();
    EXPECT_EQ(mos_ipc_notify(ep, 1), 0);
    EXPECT_EQ(mos_ipc_notify(ep, 2), 0);
    EXPECT_EQ(mos_ipc_notify(ep, 4), 0);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT(mos_msg_flags(m.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(m.w[0], 7);
    EXPECT_EQ(mos_msg_label(m.info), 0);
    EXPECT_EQ(mos_msg_bytes(m.info), 0);
    EXPECT_EQ(mos_msg_ncaps(m.info), 0);
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);
    /* Bits sent again after the receive start a new word. */
    EXPECT_EQ(mos_ipc_notify(ep, 0x100), 0);
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT_EQ(m.w[0], 0x100);
}

UTEST(notify_wakes_blocked_receiver)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    mos_handle_t w = ipc_derive(ep, MOS_RIGHT_WRITE, 0);
    EXPECT_EQ(mos_ipc_notify(w, 0x8000000000000040ull), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT(mos_msg_flags(r.msg.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(r.msg.w[0], 0x8000000000000040ull);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);   /* taken by the waiter */
}

UTEST_CHILD(child_notifies)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    return ep && mos_ipc_notify(ep, arg) == 0 ? 0 : 100;
}

UTEST(notify_from_another_process_wakes_receiver)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_notifies", .arg = 0x30, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(5000), 0, &m), 0);
    EXPECT(mos_msg_flags(m.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(m.w[0], 0x30);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST(deleting_capability_cancels_receiver_blocked_through_it)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t d = ipc_derive(ep, MOS_RIGHT_READ, 0);
    struct ipc_peer r = { .ep = d, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    EXPECT_EQ(mos_cap_delete(d), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, -MOS_ECANCELED);
    /* The endpoint itself lives on. */
    EXPECT_ERR(mos_ipc_send(ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EAGAIN);
}

UTEST(revoking_endpoint_cancels_blocked_caller_and_sender)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t d1 = ipc_derive(ep, MOS_RIGHT_WRITE, 0), d2 = ipc_derive(ep, MOS_RIGHT_WRITE, 0);
    struct ipc_peer c = { .ep = d1, .op = PEER_CALL, .label = 1 };
    struct ipc_peer s = { .ep = d2, .op = PEER_SEND, .label = 2 };
    ipc_peer_start_blocked(&c);
    ipc_peer_start_blocked(&s);
    EXPECT_EQ(mos_cap_revoke(ep), 2);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT(ipc_peer_join(&s, MS(2000)));
    EXPECT_EQ(c.result, -MOS_ECANCELED);
    EXPECT_EQ(s.result, -MOS_ECANCELED);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);   /* the queue is empty */
}
