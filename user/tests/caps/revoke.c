// SPDX-License-Identifier: MIT
/* caps: revoke. It deletes every descendant of a capability, in every
 * process, returns how many, needs REVOKE, and undoes their effects at once:
 * pages mapped through them vanish (a child reading one faults), threads
 * blocked through them wake with -MOS_ECANCELED. */
#include "kid.h"

#define VA_A   0x0000400000000000ull
#define VA_KID 0x0000450000000000ull
#define EP_RIGHTS (MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC)
#define RWG (MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT)
#define SEC 1000000000ull

UTEST(revoke_needs_the_revoke_right)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT(inspect(ep).rights & MOS_RIGHT_REVOKE);
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, RWG, 0, 0, 0));
    long dd = MUST(mos_cap_transfer(d, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_ERR(mos_cap_revoke(d), MOS_EPERM);
    EXPECT_EQ(inspect(dd).type, MOS_CAP_ENDPOINT);             /* untouched */
    long r = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_REVOKE, 0, 0, 0));
    long r1 = MUST(mos_cap_transfer(r, MOS_SELF, 0, 0, 0, 0));
    long r2 = MUST(mos_cap_transfer(r1, MOS_SELF, 0, 0, 0, 0));
    EXPECT_EQ(mos_cap_revoke(r), 2);
    EXPECT_ERR(mos_cap_delete(r1), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_delete(r2), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_revoke(r), 0);                           /* nothing left below it */
    long m = MUST(mos_mem_alloc(1, 0));
    long mnr = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL & ~MOS_RIGHT_REVOKE, 0, 0, 0));
    EXPECT_ERR(mos_cap_revoke(mnr), MOS_EPERM);
    EXPECT_EQ(mos_cap_revoke(ep), 3);                          /* d, dd, r */
    EXPECT_EQ(mos_cap_revoke(m), 1);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

/* The middle of a chain: gets A (from the parent), derives B from it and
 * sends B back (it arrives as C), then checks both are dead once told. */
UTEST_CHILD(chain_middle)
{
    (void)arg;
    mos_handle_t down = mos_cap_by_name("down"), up = mos_cap_by_name("up");
    struct mos_msg m;
    if (!down || !up)
        return 20;
    if (mos_ipc_recv_m(down, 5 * SEC, 0, &m) != 0)
        return 21;
    mos_handle_t a = (mos_handle_t)m.w[0];
    long b = mos_cap_transfer(a, MOS_SELF, RWG, 0, 0, 0);
    if (b < 0)
        return 22;
    uint64_t w[4] = { a, (uint64_t)b, 0, 0 };
    mos_handle_t caps[1] = { (mos_handle_t)b };
    if (mos_send(up, 1, w, NULL, 0, caps, 1, 0) != 0)
        return 23;
    if (mos_ipc_recv_m(down, 5 * SEC, 0, &m) != 0 || mos_msg_label(m.info) != 2)
        return 24;
    struct mos_cap_info info;
    if (mos_cap_inspect(a, (uint64_t)&info, MOS_SELF, 0) != -MOS_EBADHANDLE)
        return 25;
    if (mos_cap_inspect((mos_handle_t)b, (uint64_t)&info, MOS_SELF, 0) != -MOS_EBADHANDLE)
        return 26;
    return 0;
}

UTEST(revoke_is_transitive_across_processes)
{
    long top = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long root = MUST(mos_cap_transfer(top, MOS_SELF, EP_RIGHTS, 0, 0, 0));
    long sibling = MUST(mos_cap_transfer(top, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long down = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long up = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = {
        { .handle = down, .rights = MOS_RIGHT_READ, .name = "down" },
        { .handle = up, .rights = MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, .name = "up" },
    };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "chain_middle", 0, caps, 2), 0);
    /* root (here) -> A (child) -> B (child) -> C (here). */
    long a = MUST(mos_cap_transfer(root, k.proc, RWG | MOS_RIGHT_REVOKE, 0, 0, 0));
    EXPECT_EQ(mos_ipc_send(down, 0, (uint64_t)a, 0, 0, 0), 0);
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(up, 5 * SEC, 0, &m), 0);
    EXPECT_EQ(mos_msg_ncaps(m.info), 1);
    mos_handle_t b = (mos_handle_t)m.w[1], c = mos_msg_cap(&m, 0);
    uint64_t id = inspect(root).object_id;
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(a, (uint64_t)&info, k.proc, 0), 0);
    EXPECT_EQ(info.object_id, id);
    EXPECT_EQ(mos_cap_inspect(b, (uint64_t)&info, k.proc, 0), 0);
    EXPECT_EQ(info.object_id, id);
    EXPECT_EQ(info.rights, RWG);
    info = inspect(c);
    EXPECT_EQ(info.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(info.object_id, id);

    EXPECT_EQ(mos_cap_revoke(root), 3);
    EXPECT_ERR(mos_cap_inspect(a, (uint64_t)&info, k.proc, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_inspect(b, (uint64_t)&info, k.proc, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_inspect(c, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    /* Only descendants: root itself, its parent and its sibling stay. */
    EXPECT_EQ(inspect(root).handle, root);
    EXPECT_EQ(inspect(top).handle, top);
    EXPECT_EQ(inspect(sibling).handle, sibling);
    EXPECT_EQ(mos_cap_revoke(root), 0);
    EXPECT_EQ(mos_ipc_send(down, mos_msginfo(2, 0, 0, 0), 0, 0, 0, 0), 0);
    struct utest_child ch = kid_wait(&k, 5000);
    EXPECT(ch.finished);
    EXPECT_EQ(ch.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(ch.exit_code, 0);
    EXPECT_EQ(mos_cap_revoke(top), 2);
    EXPECT_EQ(mos_cap_delete(top), 0);
    EXPECT_EQ(mos_cap_delete(down), 0);
    EXPECT_EQ(mos_cap_delete(up), 0);
}

/* Reads the granted page (at the address it is told) until it disappears. */
UTEST_CHILD(read_granted_page_forever)
{
    (void)arg;
    mos_handle_t ctl = mos_cap_by_name("ctl"), ack = mos_cap_by_name("ack");
    struct mos_msg m;
    if (!ctl || !ack)
        return 30;
    if (mos_ipc_recv_m(ctl, 5 * SEC, 0, &m) != 0)
        return 31;
    volatile uint64_t *p = (volatile uint64_t *)m.w[0];
    uint64_t first = *p;
    if (mos_ipc_send(ack, 0, first, 0, 0, 0) != 0)
        return 32;
    for (;;)
        if (*p != first)
            return 33;
}

UTEST(revoke_unmaps_a_granted_page_in_a_running_child)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_A = 0xFEEDFACE;
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ack = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = {
        { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" },
        { .handle = ack, .rights = MOS_RIGHT_WRITE, .name = "ack" },
    };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "read_granted_page_forever", 0, caps, 2), 0);
    long g = MUST(mos_mem_grant(m, k.proc, 0, 1, MOS_RIGHT_READ, VA_KID));
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&info, k.proc, 0), 0);
    EXPECT_EQ(info.type, MOS_CAP_MEMORY);
    EXPECT_EQ(info.rights, MOS_RIGHT_READ);
    EXPECT_EQ(mos_ipc_send(ctl, 0, VA_KID, 0, 0, 0), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ack, 5 * SEC, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 0xFEEDFACE);                     /* it sees the page */
    (void)mos_thread_block(2000000);                     /* let it spin a little */
    EXPECT_EQ(mos_cap_revoke(m), 1);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_PAGE_FAULT);
    EXPECT_EQ(c.fault_addr, VA_KID);
    /* The parent's own mapping (through the root) stays. */
    EXPECT_EQ(*(volatile uint64_t *)VA_A, 0xFEEDFACE);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
    EXPECT_EQ(mos_cap_delete(ack), 0);
}

struct blocked {
    mos_handle_t ep;
    int op;                         /* 0 recv, 1 send, 2 call */
    long result;
    struct mos_msg msg;
};

static void block_on_ep(void *arg)
{
    struct blocked *b = arg;
    if (b->op == 0)
        b->result = mos_ipc_recv_m(b->ep, 10 * SEC, 0, &b->msg);
    else if (b->op == 1)
        b->result = mos_ipc_send(b->ep, mos_msginfo(5, 0, 0, 0), 1, 2, 3, 4);
    else
        b->result = mos_ipc_call_m(b->ep, mos_msginfo(6, 0, 0, 0), NULL, &b->msg);
}

UTEST(revoke_wakes_a_receiver_blocked_through_a_derived_cap)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    static struct blocked through_d, through_root;
    through_d = (struct blocked){ .ep = (mos_handle_t)d, .op = 0, .result = 1 };
    through_root = (struct blocked){ .ep = (mos_handle_t)ep, .op = 0, .result = 1 };
    struct mos_thread t1, t2;
    EXPECT_EQ(mos_thread_start(&t1, block_on_ep, &through_d, 0, -1), 0);
    EXPECT(thread_wait_blocked(t1.handle, 1000));
    EXPECT_EQ(mos_thread_start(&t2, block_on_ep, &through_root, 0, -1), 0);
    EXPECT(thread_wait_blocked(t2.handle, 1000));
    uint64_t t0 = utest_now_ns();
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    EXPECT_EQ(mos_thread_join(&t1, 1 * SEC), 0);
    EXPECT(utest_now_ns() - t0 < SEC / 2);
    EXPECT_EQ(through_d.result, -MOS_ECANCELED);
    /* The receiver waiting through the root is not disturbed, and gets the next message. */
    (void)mos_thread_block(1000000);
    EXPECT_EQ(through_root.result, 1);
    EXPECT(thread_wait_blocked(t2.handle, 100));
    EXPECT_EQ(mos_ipc_send(ep, mos_msginfo(9, 0, 0, 0), 0, 0, 0, 0), 0);
    EXPECT_EQ(mos_thread_join(&t2, 1 * SEC), 0);
    EXPECT_EQ(through_root.result, 0);
    EXPECT_EQ(mos_msg_label(through_root.msg.info), 9);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(revoke_wakes_senders_blocked_through_a_derived_cap)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    static struct blocked sender, caller;
    sender = (struct blocked){ .ep = (mos_handle_t)d, .op = 1, .result = 1 };
    caller = (struct blocked){ .ep = (mos_handle_t)d, .op = 2, .result = 1 };
    struct mos_thread t1, t2;
    EXPECT_EQ(mos_thread_start(&t1, block_on_ep, &sender, 0, -1), 0);
    EXPECT_EQ(mos_thread_start(&t2, block_on_ep, &caller, 0, -1), 0);
    EXPECT(thread_wait_blocked(t1.handle, 1000));
    EXPECT(thread_wait_blocked(t2.handle, 1000));
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    EXPECT_EQ(mos_thread_join(&t1, 1 * SEC), 0);
    EXPECT_EQ(mos_thread_join(&t2, 1 * SEC), 0);
    EXPECT_EQ(sender.result, -MOS_ECANCELED);
    EXPECT_EQ(caller.result, -MOS_ECANCELED);
    /* Nothing of theirs is left queued. */
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, NULL), MOS_ETIMEDOUT);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* DESIGN.md 5: "A caller blocked in call whose server dies or whose
 * endpoint is revoked wakes with an error." Here the call was delivered
 * (the server holds the reply right) through a derived capability that is
 * then revoked. */
UTEST(revoke_wakes_a_caller_waiting_for_its_reply)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    static struct blocked caller;
    caller = (struct blocked){ .ep = (mos_handle_t)d, .op = 2, .result = 1 };
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, block_on_ep, &caller, 0, -1), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ep, 2 * SEC, 0, &msg), 0);
    EXPECT(mos_msg_flags(msg.info) & MOS_MSG_CALL);
    EXPECT_EQ(mos_msg_label(msg.info), 6);
    EXPECT(thread_wait_blocked(t.handle, 1000));            /* waiting for the reply */
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    long joined = mos_thread_join(&t, SEC / 2);
    EXPECTF(joined == 0, "the caller is still waiting for its reply after the revoke");
    if (joined != 0) {                                      /* release it, so the case can end */
        (void)mos_ipc_reply(0, 0, 0, 0, 0, 0);
        EXPECT_EQ(mos_thread_join(&t, SEC), 0);
    }
    EXPECT_EQ(caller.result, -MOS_ECANCELED);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
