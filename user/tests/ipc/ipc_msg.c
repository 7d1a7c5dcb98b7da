// SPDX-License-Identifier: MIT
/* ipc_msg - message delivery: label and four register words between two
 * threads and between two processes, badges, FIFO order of blocked senders
 * and receivers, call/reply and a reply_recv server loop across processes,
 * byte payloads up to 4 KiB. */
#include "ipc_util.h"

static const uint64_t W4[MOS_MSG_WORDS] = { 0x1111111111111111ull, 0x2222222222222222ull,
                                            0xFFFFFFFFFFFFFFFFull, 0x8000000000000001ull };

static void expect_words(const struct mos_msg *m, const uint64_t w[MOS_MSG_WORDS], const char *what)
{
    for (int i = 0; i < MOS_MSG_WORDS; i++)
        EXPECTF(m->w[i] == w[i], "%s: word %d is 0x%llx, sent 0x%llx", what, i, (unsigned long long)m->w[i],
                (unsigned long long)w[i]);
}

UTEST(words_from_blocked_sender_thread_arrive)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer s = { .ep = ep, .op = PEER_SEND, .label = 0xABCDEF01u };
    memcpy(s.w, W4, sizeof W4);
    ipc_peer_start_blocked(&s);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);        /* the sender is queued */
    EXPECT_EQ(mos_msg_label(m.info), 0xABCDEF01u);
    EXPECT_EQ(mos_msg_bytes(m.info), 0);
    EXPECT_EQ(mos_msg_ncaps(m.info), 0);
    EXPECT_EQ(mos_msg_flags(m.info), 0);                               /* no CALL, NOTIFY, LOST */
    EXPECT_EQ(m.badge, 0);
    expect_words(&m, W4, "received");
    EXPECT(ipc_peer_join(&s, MS(2000)));
    EXPECT_EQ(s.result, 0);
}

UTEST(words_reach_blocked_receiver_thread)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(77, 0, 0, 0), W4[0], W4[1], W4[2], W4[3]), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_label(r.msg.info), 77);
    EXPECT_EQ(mos_msg_flags(r.msg.info), 0);
    EXPECT_EQ(mos_msg_bytes(r.msg.info), 0);
    EXPECT_EQ(r.msg.badge, 0);
    expect_words(&r.msg, W4, "received");
}

UTEST(badge_of_the_sending_capability_arrives)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t b = ipc_derive(ep, MOS_RIGHT_WRITE, 0xBADC0DE5ull);
    /* Receiver first: delivered by the send itself. */
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    EXPECT_EQ(mos_ipc_send(b, mos_msginfo(1, 0, 0, 0), 1, 2, 3, 4), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(r.msg.badge, 0xBADC0DE5ull);
    /* Sender first: the badge waits in the queue with it. */
    struct ipc_peer s = { .ep = b, .op = PEER_SEND, .label = 2 };
    ipc_peer_start_blocked(&s);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT_EQ(m.badge, 0xBADC0DE5ull);
    EXPECT_EQ(mos_msg_label(m.info), 2);
    EXPECT(ipc_peer_join(&s, MS(2000)));
    /* The unbadged original still sends badge 0. */
    struct ipc_peer s2 = { .ep = ep, .op = PEER_SEND, .label = 3 };
    ipc_peer_start_blocked(&s2);
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT_EQ(m.badge, 0);
    EXPECT(ipc_peer_join(&s2, MS(2000)));
}

UTEST(blocked_senders_are_received_in_fifo_order)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (struct ipc_peer){ .ep = ep, .op = PEER_SEND, .label = 100u + (uint32_t)i,
                                  .w = { (uint64_t)i, (uint64_t)i * 7, 0, ~(uint64_t)i } };
        ipc_peer_start_blocked(&s[i]);              /* blocked before the next one starts */
    }
    for (int i = 0; i < 4; i++) {
        struct mos_msg m;
        EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), 0);
        EXPECTF(mos_msg_label(m.info) == 100u + (uint32_t)i, "message %d came from sender %u", i,
                mos_msg_label(m.info) - 100u);
        EXPECT_EQ(m.w[0], (uint64_t)mos_msg_label(m.info) - 100u);
        EXPECT_EQ(m.w[3], ~m.w[0]);
    }
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &m), MOS_ETIMEDOUT);
    for (int i = 0; i < 4; i++) {
        EXPECT(ipc_peer_join(&s[i], MS(2000)));
        EXPECT_EQ(s[i].result, 0);
    }
}

UTEST(blocked_receivers_are_served_in_fifo_order)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct ipc_peer){ .ep = ep, .op = PEER_RECV };
        ipc_peer_start_blocked(&r[i]);
    }
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(200u + (uint32_t)i, 0, 0, 0), (uint64_t)i, 0, 0, 0), 0);
    for (int i = 0; i < 4; i++) {
        EXPECT(ipc_peer_join(&r[i], MS(2000)));
        EXPECT_EQ(r[i].result, 0);
        EXPECTF(mos_msg_label(r[i].msg.info) == 200u + (uint32_t)i, "receiver %d got message %u", i,
                mos_msg_label(r[i].msg.info) - 200u);
    }
}

/* ---- between processes ---- */

UTEST_CHILD(child_sends_words)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    long r = mos_ipc_send(ep, mos_msginfo(0xC0DE, 0, 0, 0), arg, ~arg, arg * 3, 0x5555);
    return r == 0 ? 0 : 101;
}

UTEST(words_from_another_process_arrive)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_sends_words", .arg = 0x123456789ull, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(5000), 0, &m), 0);
    EXPECT_EQ(mos_msg_label(m.info), 0xC0DE);
    EXPECT_EQ(mos_msg_flags(m.info), 0);
    EXPECT_EQ(m.badge, 0);
    const uint64_t want[4] = { 0x123456789ull, ~0x123456789ull, 0x123456789ull * 3, 0x5555 };
    expect_words(&m, want, "from the child");
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST_CHILD(child_receives_words)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MS(5000), 0, &m);
    if (r != 0)
        return 101;
    if (mos_msg_label(m.info) != 0xFEED || mos_msg_flags(m.info) != 0 || m.badge != 0x77)
        return 102;
    for (int i = 0; i < 4; i++)
        if (m.w[i] != arg + (uint64_t)i * 0x100000001ull)
            return 103 + i;
    return 0;
}

UTEST(words_reach_another_process)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_receives_words", .arg = 0xFEDCBA98ull, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    mos_handle_t b = ipc_derive(ep, MOS_RIGHT_WRITE, 0x77);
    uint64_t a = run.arg;
    EXPECT_EQ(mos_ipc_send(b, mos_msginfo(0xFEED, 0, 0, 0), a, a + 0x100000001ull, a + 2 * 0x100000001ull,
                           a + 3 * 0x100000001ull), 0);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST_CHILD(child_serves_one_call)
{
    (void)arg;
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(5000), 0, &m) != 0)
        return 101;
    if (!(mos_msg_flags(m.info) & MOS_MSG_CALL))
        return 102;
    long r = mos_ipc_reply(0, mos_msginfo(mos_msg_label(m.info) + 1, 0, 0, 0), m.w[0] + 1, m.w[1] * 2,
                           m.w[2] ^ 0xFF, m.badge);
    return r == 0 ? 0 : 103;
}

UTEST(call_to_another_process_gets_its_reply)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_serves_one_call", .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    mos_handle_t b = ipc_derive(ep, MOS_RIGHT_WRITE, 0x4242);
    const uint64_t w[4] = { 41, 1000, 0x0F, 0 };
    struct mos_msg rep;
    EXPECT_EQ(mos_ipc_call_m(b, mos_msginfo(7, 0, 0, 0), w, &rep), 0);
    EXPECT_EQ(mos_msg_label(rep.info), 8);
    EXPECT_EQ(mos_msg_flags(rep.info), 0);                  /* a reply is not a call */
    EXPECT_EQ(rep.badge, 0);
    const uint64_t want[4] = { 42, 2000, 0xF0, 0x4242 };    /* w[3]: the badge the server saw */
    expect_words(&rep, want, "reply");
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST_CHILD(child_calls_once)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    const uint64_t w[4] = { arg, 2, 3, 4 };
    struct mos_msg rep;
    if (mos_ipc_call_m(ep, mos_msginfo(9, 0, 0, 0), w, &rep) != 0)
        return 101;
    if (mos_msg_label(rep.info) != 10 || mos_msg_flags(rep.info) != 0)
        return 102;
    if (rep.w[0] != arg * 2 || rep.w[1] != 20 || rep.w[2] != 30 || rep.w[3] != 40)
        return 103;
    return 0;
}

UTEST(call_from_another_process_is_answered)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_calls_once", .arg = 0x31337, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(5000), 0, &m), 0);
    EXPECT_EQ(mos_msg_label(m.info), 9);
    EXPECT_EQ(mos_msg_flags(m.info), MOS_MSG_CALL);
    EXPECT_EQ(m.w[0], 0x31337);
    EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(10, 0, 0, 0), m.w[0] * 2, 20, 30, 40), 0);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

/* A server loop: recv once, then reply_recv; arg calls in all. Replies
 * w0 = 2 * request + 1 and w1 = how many calls it has served before. */
UTEST_CHILD(child_reply_recv_server)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(5000), 0, &m) != 0)
        return 101;
    for (uint64_t served = 0;; served++) {
        if (!(mos_msg_flags(m.info) & MOS_MSG_CALL) || mos_msg_label(m.info) != 5)
            return 102;
        const uint64_t w[4] = { m.w[0] * 2 + 1, served, 0, 0 };
        if (served + 1 == arg)
            return mos_ipc_reply(0, mos_msginfo(6, 0, 0, 0), w[0], w[1], w[2], w[3]) == 0 ? 0 : 103;
        if (mos_ipc_reply_recv_m(ep, mos_msginfo(6, 0, 0, 0), w, &m) != 0)
            return 104;
    }
}

UTEST(reply_recv_server_loop_serves_every_call)
{
    enum { N = 200 };
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_reply_recv_server", .arg = N, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    for (uint64_t i = 0; i < N; i++) {
        const uint64_t w[4] = { i * 12345 + 7, 0, 0, 0 };
        struct mos_msg rep;
        long r = mos_ipc_call_m(ep, mos_msginfo(5, 0, 0, 0), w, &rep);
        EXPECTF(r == 0, "call %llu: %s", (unsigned long long)i, mos_strerror(r));
        if (r != 0)
            break;
        EXPECTF(rep.w[0] == w[0] * 2 + 1 && rep.w[1] == i && mos_msg_label(rep.info) == 6,
                "call %llu: reply 0x%llx (served %llu)", (unsigned long long)i, (unsigned long long)rep.w[0],
                (unsigned long long)rep.w[1]);
    }
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

/* ---- payloads ---- */

static uint8_t pattern(uint32_t i, uint64_t seed)
{
    return (uint8_t)((i * 131u + (uint32_t)seed) ^ (i >> 8) ^ (uint32_t)(seed >> 8));
}

/* Serves three calls: checks every payload byte against pattern(w1),
 * expects exactly w0 bytes, replies with every byte XOR 0x5A and w0 = the
 * number of wrong bytes (or a big code when the length is wrong). */
UTEST_CHILD(child_payload_echo)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(5000), 0, &m) != 0)
        return 101;
    for (uint64_t k = 0; k < arg; k++) {
        uint32_t len = mos_msg_bytes(m.info);
        uint64_t bad = len == m.w[0] ? 0 : 1000000;
        for (uint32_t i = 0; i < len; i++) {
            if (buf->data[i] != pattern(i, m.w[1]))
                bad++;
            buf->data[i] ^= 0x5A;
        }
        const uint64_t w[4] = { bad, len, 0, 0 };
        long r = k + 1 == arg ? mos_reply(0, 3, w, buf->data, len, NULL, 0)
                              : mos_reply_recv(ep, 3, w, buf->data, len, NULL, 0, &m);
        if (r != 0)
            return 102;
    }
    return 0;
}

UTEST(payloads_of_1_4095_and_4096_bytes_arrive_intact)
{
    static const uint32_t sizes[] = { 1, 4095, 4096 };
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_payload_echo", .arg = 3, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    static uint8_t out[MOS_MSG_MAX_BYTES];
    for (unsigned k = 0; k < 3; k++) {
        uint32_t len = sizes[k];
        uint64_t seed = 0x1000u * (k + 1) + 17;
        for (uint32_t i = 0; i < len; i++)
            out[i] = pattern(i, seed);
        const uint64_t w[4] = { len, seed, 0, 0 };
        struct mos_msg rep;
        EXPECT_EQ(mos_call(ep, 2, w, out, len, NULL, 0, &rep), 0);
        EXPECTF(rep.w[0] == 0, "%u bytes: the server found %llu wrong bytes", len, (unsigned long long)rep.w[0]);
        EXPECT_EQ(rep.w[1], len);
        EXPECT_EQ(mos_msg_bytes(rep.info), len);
        EXPECT_EQ(mos_msg_label(rep.info), 3);
        const uint8_t *in = mos_msg_data(&rep);
        uint32_t wrong = 0, first = 0;
        for (uint32_t i = 0; i < len; i++)
            if (in[i] != (uint8_t)(pattern(i, seed) ^ 0x5A) && wrong++ == 0)
                first = i;
        EXPECTF(wrong == 0, "%u bytes: %u reply bytes wrong, first at %u", len, wrong, first);
    }
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST(payload_between_threads_arrives_intact)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    uint8_t out[64];
    for (unsigned i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(0xA0 + i);
    EXPECT_EQ(mos_send(ep, 4, NULL, out, sizeof out, NULL, 0, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_bytes(r.msg.info), sizeof out);
    EXPECT_EQ(mos_msg_flags(r.msg.info), 0);
    EXPECT(memcmp(r.data, out, sizeof out) == 0);
}

/* The flags a receiver sees come from the kernel: a sender setting
 * NOTIFY, CALL, LOST or REPLY_SLOT in its info word cannot forge them (the
 * kernel may refuse such a word, or deliver it without them). */
UTEST(sender_cannot_forge_received_flags)
{
    mos_handle_t ep = ipc_new_ep();
    static const uint32_t forged[] = { MOS_MSG_NOTIFY, MOS_MSG_CALL, MOS_MSG_LOST, MOS_MSG_REPLY_SLOT,
                                       MOS_MSG_NOTIFY | MOS_MSG_CALL | MOS_MSG_LOST | 0xE0000000u };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
        ipc_peer_start_blocked(&r);
        long s = mos_ipc_send(ep, mos_msginfo(40, 0, 0, forged[i]), 0x77, 0, 0, 0);
        EXPECTF(s == 0 || s == -MOS_EINVAL, "flags 0x%x: send returned %ld", forged[i], s);
        if (s != 0)
            EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(40, 0, 0, 0), 0x77, 0, 0, 0), 0);
        EXPECT(ipc_peer_join(&r, MS(2000)));
        EXPECT_EQ(r.result, 0);
        EXPECTF(mos_msg_flags(r.msg.info) == 0, "sent flags 0x%x, received 0x%x", forged[i],
                mos_msg_flags(r.msg.info));
        EXPECT_EQ(r.msg.w[0], 0x77);
    }
}
