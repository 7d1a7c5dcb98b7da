// SPDX-License-Identifier: MIT
/* ipc_caps - capabilities carried by messages: up to four arrive usable in
 * another process with the rights they were sent with; a capability without
 * GRANT, a stale handle, a receiver without an IPC buffer or with a full
 * capability space make MOS_MSG_LOST; a moved capability leaves the sender. */
#include "ipc_util.h"

#define CHILD_VA0 0x0000400000000000ull
#define CHILD_VA1 0x0000400000010000ull
#define MY_VA     0x0000410000000000ull

/* Receives a call with four capabilities: MEMORY read-write, MEMORY
 * read-only, two ENDPOINTs (write). Uses each, then replies. */
UTEST_CHILD(child_uses_four_caps)
{
    (void)arg;
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(5000), 0, &m) != 0)
        return 101;
    if (mos_msg_ncaps(m.info) != 4)
        return 102;
    if (mos_msg_flags(m.info) & MOS_MSG_LOST)
        return 103;
    mos_handle_t c[4];
    for (unsigned i = 0; i < 4; i++) {
        c[i] = mos_msg_cap(&m, i);
        if (!c[i])
            return 104;
    }
    struct mos_cap_info info;
    static const uint32_t types[4] = { MOS_CAP_MEMORY, MOS_CAP_MEMORY, MOS_CAP_ENDPOINT, MOS_CAP_ENDPOINT };
    for (unsigned i = 0; i < 4; i++) {
        if (mos_cap_inspect(c[i], (uint64_t)&info, MOS_SELF, 0) != 0)
            return 105;
        if (info.type != types[i])
            return 106;
        if (info.rights != m.w[i])                  /* the rights the sender holds */
            return 107;
        if (info.badge != (i == 3 ? 0x99u : 0u))
            return 115;
    }
    if (mos_mem_map(c[0], MOS_SELF, CHILD_VA0, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE) != 0)
        return 108;
    volatile uint64_t *p0 = (volatile uint64_t *)CHILD_VA0;
    if (p0[0] != 0x1111)
        return 109;
    p0[1] = 0x2222;
    if (mos_mem_map(c[1], MOS_SELF, CHILD_VA1, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE) != -MOS_EPERM)
        return 110;                                 /* no more rights than were sent */
    if (mos_mem_map(c[1], MOS_SELF, CHILD_VA1, 0, 1, MOS_PROT_READ) != 0)
        return 111;
    if (*(volatile uint64_t *)CHILD_VA1 != 0x3333)
        return 112;
    if (mos_ipc_notify(c[2], 0x10) != 0 || mos_ipc_notify(c[3], 0x20) != 0)
        return 113;
    return mos_ipc_reply(0, mos_msginfo(1, 0, 0, 0), 0x600D, 0, 0, 0) == 0 ? 0 : 114;
}

UTEST(four_capabilities_arrive_usable_in_another_process)
{
    mos_handle_t ep = ipc_new_ep();
    struct ipc_runner run = { .name = "child_uses_four_caps", .ncaps = 1,
                              .caps = { { .handle = ep, .rights = MOS_RIGHT_READ, .name = "ep" } } };
    ipc_runner_start(&run);
    long m0 = MUST(mos_mem_alloc(1, 0)), m1 = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m0, MOS_SELF, MY_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    EXPECT_EQ(mos_mem_map(m1, MOS_SELF, MY_VA + 0x1000, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *p0 = (volatile uint64_t *)MY_VA, *p1 = (volatile uint64_t *)(MY_VA + 0x1000);
    p0[0] = 0x1111;
    p1[0] = 0x3333;
    mos_handle_t ro = ipc_derive((mos_handle_t)m1, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0);
    mos_handle_t e2 = ipc_new_ep(), e3 = ipc_new_ep();
    mos_handle_t e2w = ipc_derive(e2, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0);
    mos_handle_t e3w = ipc_derive(e3, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0x99);
    const mos_handle_t caps[4] = { (mos_handle_t)m0, ro, e2w, e3w };
    const uint64_t rights[4] = { MOS_RIGHTS_ALL, MOS_RIGHT_READ | MOS_RIGHT_GRANT,
                                 MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT };
    struct mos_msg rep;
    EXPECT_EQ(mos_call(ep, 1, rights, NULL, 0, caps, 4, &rep), 0);
    EXPECT_EQ(rep.w[0], 0x600D);
    struct utest_child c = ipc_runner_wait(&run);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(p0[1], 0x2222);                       /* the child wrote through its copy */
    struct mos_msg n;
    EXPECT_EQ(mos_ipc_recv_m(e2, MOS_TIMEOUT_POLL, 0, &n), 0);
    EXPECT_EQ(mos_msg_flags(n.info), MOS_MSG_NOTIFY);
    EXPECT_EQ(n.w[0], 0x10);
    EXPECT_EQ(mos_ipc_recv_m(e3, MOS_TIMEOUT_POLL, 0, &n), 0);
    EXPECT_EQ(n.w[0], 0x20);
    /* Copies: the sender keeps every handle. */
    struct mos_cap_info info;
    for (unsigned i = 0; i < 4; i++)
        EXPECT_EQ(mos_cap_inspect(caps[i], (uint64_t)&info, MOS_SELF, 0), 0);
}

UTEST(capability_without_grant_is_lost_the_others_arrive)
{
    mos_handle_t ep = ipc_new_ep();
    long m = MUST(mos_mem_alloc(1, 0));
    mos_handle_t nogrant = ipc_derive((mos_handle_t)m, MOS_RIGHT_READ, 0);
    mos_handle_t e2 = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    const mos_handle_t caps[2] = { nogrant, e2 };
    const uint64_t w[4] = { 1, 2, 3, 4 };
    EXPECT_EQ(mos_send(ep, 11, w, "hi", 2, caps, 2, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_label(r.msg.info), 11);
    EXPECT(mos_msg_flags(r.msg.info) & MOS_MSG_LOST);
    EXPECT_EQ(mos_msg_ncaps(r.msg.info), 1);
    EXPECT_EQ(mos_msg_bytes(r.msg.info), 2);
    EXPECT(memcmp(r.data, "hi", 2) == 0);
    EXPECT_EQ(r.msg.w[3], 4);
    struct mos_cap_info a, b;
    EXPECT_EQ(mos_cap_inspect(r.caps[0], (uint64_t)&a, MOS_SELF, 0), 0);      /* the endpoint */
    EXPECT_EQ(mos_cap_inspect(e2, (uint64_t)&b, MOS_SELF, 0), 0);
    EXPECT_EQ(a.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(a.object_id, b.object_id);
}

UTEST(stale_handle_in_message_is_lost)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t gone = ipc_new_ep(), good = ipc_new_ep();
    EXPECT_EQ(mos_cap_delete(gone), 0);
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    const mos_handle_t caps[2] = { gone, good };
    EXPECT_EQ(mos_send(ep, 12, NULL, NULL, 0, caps, 2, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT(mos_msg_flags(r.msg.info) & MOS_MSG_LOST);
    EXPECT_EQ(mos_msg_ncaps(r.msg.info), 1);
    struct mos_cap_info a, b;
    EXPECT_EQ(mos_cap_inspect(r.caps[0], (uint64_t)&a, MOS_SELF, 0), 0);
    EXPECT_EQ(mos_cap_inspect(good, (uint64_t)&b, MOS_SELF, 0), 0);
    EXPECT_EQ(a.object_id, b.object_id);
}

UTEST(moved_capability_leaves_the_sender)
{
    mos_handle_t ep = ipc_new_ep();
    mos_handle_t e2 = ipc_new_ep();
    struct mos_cap_info before, after;
    EXPECT_EQ(mos_cap_inspect(e2, (uint64_t)&before, MOS_SELF, 0), 0);
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    mos_msginfo_t info;
    EXPECT_EQ(mos_ipc_stage(mos_ipc_buffer(), 13, NULL, 0, &e2, 1, 1u, 0, &info), 0);
    EXPECT_EQ(mos_ipc_send(ep, info, 0, 0, 0, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_ncaps(r.msg.info), 1);
    EXPECT_EQ(mos_msg_flags(r.msg.info), 0);
    EXPECT_ERR(mos_cap_inspect(e2, (uint64_t)&after, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_inspect(r.caps[0], (uint64_t)&after, MOS_SELF, 0), 0);
    EXPECT_EQ(after.object_id, before.object_id);
    EXPECT_EQ(after.rights, before.rights);
}

/* ---- receivers that cannot take everything ---- */

struct bare_recv {
    mos_handle_t ep;
    long result;
    struct mos_msg msg;
};

static void bare_recv_main(void *arg)
{
    struct bare_recv *b = arg;
    b->result = mos_ipc_recv_m(b->ep, MS(5000), 0, &b->msg);
}

UTEST(receiver_without_ipc_buffer_gets_words_and_lost_flag)
{
    mos_handle_t ep = ipc_new_ep(), e2 = ipc_new_ep();
    struct bare_recv br = { .ep = ep, .result = 1 };
    struct ipc_bare b;
    EXPECT_EQ(ipc_bare_start(&b, 0, bare_recv_main, &br), 0);
    EXPECT(ipc_wait_state(b.thread, TSTATE_BLOCKED, MS(2000)));
    const uint64_t w[4] = { 5, 6, 7, 8 };
    EXPECT_EQ(mos_send(ep, 14, w, "payload", 7, &e2, 1, 0), 0);
    EXPECT(ipc_bare_join(&b, MS(2000)));
    EXPECT_EQ(br.result, 0);
    EXPECT_EQ(mos_msg_label(br.msg.info), 14);
    EXPECT_EQ(mos_msg_flags(br.msg.info), MOS_MSG_LOST);
    EXPECT_EQ(mos_msg_bytes(br.msg.info), 0);
    EXPECT_EQ(mos_msg_ncaps(br.msg.info), 0);
    EXPECT_EQ(br.msg.w[0], 5);
    EXPECT_EQ(br.msg.w[3], 8);
}

UTEST(receiver_with_unmapped_ipc_buffer_gets_lost_flag)
{
    mos_handle_t ep = ipc_new_ep(), e2 = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV, .nocopy = true };
    ipc_peer_start_blocked(&r);
    uint64_t buf = MOS_THREAD_STACKS + (uint64_t)r.thr.slot * MOS_STACK_REGION;
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, buf, MOS_IPC_BUFFER_PAGES), MOS_IPC_BUFFER_PAGES);
    EXPECT_EQ(mos_send(ep, 15, NULL, "abc", 3, &e2, 1, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_label(r.msg.info), 15);
    EXPECT_EQ(mos_msg_flags(r.msg.info), MOS_MSG_LOST);
    EXPECT_EQ(mos_msg_bytes(r.msg.info), 0);
    EXPECT_EQ(mos_msg_ncaps(r.msg.info), 0);
}

UTEST(receiver_with_full_capability_space_gets_lost_flag)
{
    mos_handle_t ep = ipc_new_ep(), e2 = ipc_new_ep();
    struct ipc_peer r = { .ep = ep, .op = PEER_RECV };
    ipc_peer_start_blocked(&r);
    static mos_handle_t fill[70000];
    unsigned n = 0;
    long h = 0;
    while (n < sizeof fill / sizeof fill[0] && (h = mos_cap_transfer(e2, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0)) > 0)
        fill[n++] = (mos_handle_t)h;
    EXPECT_EQ(h, -MOS_ENOSPC);
    EXPECT_EQ(mos_send(ep, 16, NULL, "xyz", 3, &e2, 1, 0), 0);
    EXPECT(ipc_peer_join(&r, MS(2000)));
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(mos_msg_flags(r.msg.info), MOS_MSG_LOST);
    EXPECT_EQ(mos_msg_ncaps(r.msg.info), 0);
    EXPECT_EQ(mos_msg_bytes(r.msg.info), 3);             /* the payload still arrives */
    EXPECT(memcmp(r.data, "xyz", 3) == 0);
    for (unsigned i = 0; i < n; i++)
        EXPECT_EQ(mos_cap_delete(fill[i]), 0);
}
