// SPDX-License-Identifier: MIT
/* ipc_reply - deferred replies and how calls end badly: a receive with
 * MOS_MSG_REPLY_SLOT leaves a one-shot REPLY capability in the IPC buffer;
 * a server can hold several and answer in any order; replying to a dead
 * caller, a server that dies or drops the REPLY capability, and replying
 * with nothing pending. */
#include "ipc_util.h"

/* Receive one call with MOS_MSG_REPLY_SLOT; returns the REPLY handle (0 on failure). */
static mos_handle_t recv_deferred(mos_handle_t ep, struct mos_msg *m)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    buf->reply = 0;
    long r = mos_ipc_recv_m(ep, MS(2000), MOS_MSG_REPLY_SLOT, m);
    EXPECTF(r == 0, "recv with REPLY_SLOT: %s", mos_strerror(r));
    if (r != 0)
        return 0;
    EXPECT(mos_msg_flags(m->info) & MOS_MSG_CALL);
    EXPECT(buf->reply != 0);
    return buf->reply;
}

UTEST(recv_with_reply_slot_gives_a_reply_handle)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 30, .w = { 3, 0, 0, 0 } };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_EQ(mos_msg_label(m.info), 30);
    EXPECT_EQ(m.w[0], 3);
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0), 0);
    EXPECT_EQ(info.type, MOS_CAP_REPLY);
    EXPECT_EQ(info.handle, h);
    /* The caller still waits (the right is kept, not used). */
    EXPECT(ipc_wait_state(c.thr.handle, TSTATE_BLOCKED, MS(100)));
    EXPECT_EQ(mos_ipc_reply(h, mos_msginfo(31, 0, 0, 0), 4, 5, 6, 7), 0);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(c.result, 0);
    EXPECT_EQ(mos_msg_label(c.msg.info), 31);
    EXPECT_EQ(c.msg.w[0], 4);
    EXPECT_EQ(c.msg.w[3], 7);
    EXPECT_ERR(mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);   /* used up */
}

UTEST(reply_handle_cannot_be_copied_or_used_elsewhere)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_ERR(mos_cap_transfer(h, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_ipc_send(h, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_ipc_notify(h, 1), MOS_EBADTYPE);
    EXPECT_EQ(mos_ipc_reply(h, 0, 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(c.result, 0);
}

UTEST(two_pending_calls_answered_in_reverse_order)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer a = { .ep = ep, .op = PEER_CALL, .label = 1, .w = { 100, 0, 0, 0 } };
    struct ipc_peer b = { .ep = ep, .op = PEER_CALL, .label = 2, .w = { 200, 0, 0, 0 } };
    ipc_peer_start_blocked(&a);
    ipc_peer_start_blocked(&b);
    struct mos_msg ma, mb;
    mos_handle_t ha = recv_deferred(ep, &ma);
    mos_handle_t hb = recv_deferred(ep, &mb);
    EXPECT_EQ(mos_msg_label(ma.info), 1);
    EXPECT_EQ(mos_msg_label(mb.info), 2);
    EXPECT(ha != hb);
    /* B first: B wakes, A keeps waiting. */
    EXPECT_EQ(mos_ipc_reply(hb, mos_msginfo(20, 0, 0, 0), mb.w[0] + 1, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&b, MS(2000)));
    EXPECT_EQ(b.result, 0);
    EXPECT_EQ(mos_msg_label(b.msg.info), 20);
    EXPECT_EQ(b.msg.w[0], 201);
    EXPECT(!a.done);
    EXPECT(ipc_wait_state(a.thr.handle, TSTATE_BLOCKED, MS(100)));
    EXPECT_EQ(mos_ipc_reply(ha, mos_msginfo(10, 0, 0, 0), ma.w[0] + 1, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&a, MS(2000)));
    EXPECT_EQ(a.result, 0);
    EXPECT_EQ(mos_msg_label(a.msg.info), 10);
    EXPECT_EQ(a.msg.w[0], 101);
}

UTEST(server_holding_reply_serves_other_calls_meanwhile)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer a = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&a);
    struct mos_msg m;
    mos_handle_t ha = recv_deferred(ep, &m);
    for (int i = 0; i < 3; i++) {
        struct ipc_peer o = { .ep = ep, .op = PEER_CALL, .label = 50u + (uint32_t)i };
        ipc_peer_start_blocked(&o);
        EXPECT_EQ(mos_ipc_recv_m(ep, MS(2000), 0, &m), 0);
        EXPECT_EQ(mos_msg_label(m.info), 50u + (uint32_t)i);
        EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(60u + (uint32_t)i, 0, 0, 0), 0, 0, 0, 0), 0);
        EXPECT(ipc_peer_join(&o, MS(2000)));
        EXPECT_EQ(o.result, 0);
        EXPECT_EQ(mos_msg_label(o.msg.info), 60u + (uint32_t)i);
    }
    EXPECT(!a.done);
    EXPECT_EQ(mos_ipc_reply(ha, mos_msginfo(2, 0, 0, 0), 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&a, MS(2000)));
    EXPECT_EQ(a.result, 0);
    EXPECT_EQ(mos_msg_label(a.msg.info), 2);
}

UTEST(reply_handle_is_one_shot)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_EQ(mos_ipc_reply(h, mos_msginfo(1, 0, 0, 0), 1, 0, 0, 0), 0);
    EXPECT_ERR(mos_ipc_reply(h, mos_msginfo(2, 0, 0, 0), 2, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(c.result, 0);
    EXPECT_EQ(mos_msg_label(c.msg.info), 1);
}

UTEST(reply_to_killed_caller_thread_is_edead)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_EQ(mos_thread_destroy(c.thr.handle), 0);
    EXPECT(ipc_wait_state(c.thr.handle, TSTATE_DEAD, MS(2000)));
    EXPECT_ERR(mos_ipc_reply(h, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), MOS_EDEAD);
    /* The failed reply used the handle up all the same. */
    struct mos_cap_info info;
    EXPECT_ERR(mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_reply(h, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT(ipc_peer_join(&c, MS(2000)));
}

/* A thread calls "ep" and stays blocked; the main thread waits for a
 * notification on "go", then the process exits (killing the caller). */
static void child_caller_main(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg m;
    (void)mos_ipc_call_m(ep, mos_msginfo(77, 0, 0, 0), NULL, &m);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

UTEST_CHILD(child_calls_then_dies)
{
    (void)arg;
    mos_handle_t ep = mos_cap_by_name("ep"), go = mos_cap_by_name("go");
    if (!ep || !go)
        return 100;
    struct mos_thread t;
    if (mos_thread_start(&t, child_caller_main, (void *)(uintptr_t)ep, 0, -1) != 0)
        return 101;
    struct mos_msg m;
    if (mos_ipc_recv_m(go, MS(5000), 0, &m) != 0)
        return 102;
    return 0;
}

UTEST(reply_to_caller_whose_process_died_is_edead)
{
    mos_handle_t ep = ipc_new_ep(), go = ipc_new_ep();
    struct ipc_runner run = { .name = "child_calls_then_dies", .ncaps = 2,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" },
                                        { .handle = go, .rights = MOS_RIGHT_READ, .name = "go" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_EQ(mos_msg_label(m.info), 77);
    EXPECT_EQ(mos_ipc_notify(go, 1), 0);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_ERR(mos_ipc_reply(h, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), MOS_EDEAD);
}

/* Receive one call (flags = arg) and exit without replying. */
UTEST_CHILD(child_takes_call_and_exits)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(5000), (uint32_t)arg, &m) != 0)
        return 101;
    return mos_msg_flags(m.info) & MOS_MSG_CALL ? 0 : 102;
}

UTEST(caller_wakes_edead_when_server_process_dies)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_takes_call_and_exits", .arg = 0, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), NULL, &m), MOS_EDEAD);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST(caller_wakes_edead_when_server_dies_holding_reply_cap)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_takes_call_and_exits", .arg = MOS_MSG_REPLY_SLOT, .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    struct mos_msg m;
    EXPECT_ERR(mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), NULL, &m), MOS_EDEAD);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_code, 0);
}

UTEST(deleting_unused_reply_cap_fails_caller_edead)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_EQ(mos_cap_delete(h), 0);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(c.result, -MOS_EDEAD);
    EXPECT_ERR(mos_ipc_reply(h, 0, 0, 0, 0, 0), MOS_EBADHANDLE);
}

UTEST(reply_with_no_pending_call_is_enoent)
{
    EXPECT_ERR(mos_ipc_reply(0, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), MOS_ENOENT);
    mos_handle_t ep = ipc_new_ep();
    /* After an answered call. */
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(2000), 0, &m), 0);
    EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(2, 0, 0, 0), 0, 0, 0, 0), 0);
    EXPECT_ERR(mos_ipc_reply(0, mos_msginfo(3, 0, 0, 0), 0, 0, 0, 0), MOS_ENOENT);
    EXPECT(ipc_peer_join(&c, MS(2000)));
    EXPECT_EQ(mos_msg_label(c.msg.info), 2);
    /* After a plain send (no reply right). */
    struct ipc_peer s = { .ep = ep, .op = PEER_SEND, .label = 1 };
    ipc_peer_start_blocked(&s);
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(2000), 0, &m), 0);
    EXPECT_EQ(mos_msg_flags(m.info), 0);
    EXPECT_ERR(mos_ipc_reply(0, 0, 0, 0, 0, 0), MOS_ENOENT);
    EXPECT(ipc_peer_join(&s, MS(2000)));
    /* After a call whose right went into a REPLY capability. */
    struct ipc_peer d = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&d);
    mos_handle_t h = recv_deferred(ep, &m);
    EXPECT_ERR(mos_ipc_reply(0, 0, 0, 0, 0, 0), MOS_ENOENT);
    EXPECT_EQ(mos_ipc_reply(h, 0, 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&d, MS(2000)));
}

/* A REPLY_SLOT receive whose REPLY capability cannot be handed over (no
 * free slot, or no writable IPC buffer page for the handle) must say so
 * (MOS_MSG_LOST, as for any capability that could not be delivered) and
 * must not leave an old handle in ipc_buffer.reply, which the server would
 * take for this call's. */
UTEST(reply_slot_receive_with_full_cspace_reports_lost_and_no_stale_handle)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start_blocked(&c);
    static mos_handle_t fill[70000];
    unsigned n = 0;
    long h = 0;
    while (n < sizeof fill / sizeof fill[0] && (h = mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0)) > 0)
        fill[n++] = (mos_handle_t)h;
    EXPECT_EQ(h, -MOS_ENOSPC);
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    buf->reply = fill[0];                           /* what an earlier receive might have left */
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(2000), MOS_MSG_REPLY_SLOT, &m), 0);
    EXPECT(mos_msg_flags(m.info) & MOS_MSG_CALL);
    EXPECTF(buf->reply != fill[0], "ipc_buffer.reply still holds the old handle 0x%x", fill[0]);
    EXPECTF(mos_msg_flags(m.info) & MOS_MSG_LOST, "no MOS_MSG_LOST (flags 0x%x)", mos_msg_flags(m.info));
    for (unsigned i = 0; i < n; i++)
        EXPECT_EQ(mos_cap_delete(fill[i]), 0);
    /* Let the caller go, whichever way the kernel kept its reply right. */
    if (mos_ipc_reply(0, 0, 0, 0, 0, 0) != 0)
        (void)mos_thread_destroy(c.thr.handle);
    EXPECT(ipc_peer_join(&c, MS(2000)));
}

static void reply_slot_recv_main(void *arg)
{
    struct ipc_peer *p = arg;
    p->result = mos_ipc_recv_m(p->ep, MS(2000), MOS_MSG_REPLY_SLOT, &p->msg);
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

UTEST(reply_slot_receive_into_unmapped_ipc_buffer_reports_lost)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .result = 1 };
    struct mos_thread t;
    MUST(mos_thread_start(&t, reply_slot_recv_main, &r, 0, -1));
    EXPECT(ipc_wait_state(t.handle, TSTATE_BLOCKED, MS(2000)));
    uint64_t bufva = MOS_THREAD_STACKS + (uint64_t)t.slot * MOS_STACK_REGION;
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, bufva, MOS_IPC_BUFFER_PAGES), MOS_IPC_BUFFER_PAGES);
    struct ipc_peer c = { .ep = ep, .op = PEER_CALL, .label = 1 };
    ipc_peer_start(&c);
    EXPECT_EQ(mos_thread_join(&t, MS(2000)), 0);
    EXPECT_EQ(r.result, 0);
    EXPECT(mos_msg_flags(r.msg.info) & MOS_MSG_CALL);
    EXPECTF(mos_msg_flags(r.msg.info) & MOS_MSG_LOST, "the REPLY handle was not delivered, but no MOS_MSG_LOST "
            "(flags 0x%x)", mos_msg_flags(r.msg.info));
    /* Release the caller: delete whatever REPLY capability was made. */
    struct mos_cap_info info;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)&info, MOS_SELF, MOS_INSPECT_NEXT) == 0;
         i = MOS_HANDLE_INDEX(info.handle) + 1)
        if (info.type == MOS_CAP_REPLY)
            (void)mos_cap_delete(info.handle);
    if (!ipc_wait_state(c.thr.handle, TSTATE_DEAD, MS(500)))
        (void)mos_thread_destroy(c.thr.handle);
    EXPECT(ipc_peer_join(&c, MS(2000)));
}
