// SPDX-License-Identifier: MIT
/* caps: transfer, move and delete. A capability leaves its process only
 * with GRANT (directly, or in an IPC message over an endpoint capability
 * that has GRANT too); a move empties the source; delete removes one
 * capability (and what was mapped through it); a dead child's quota comes
 * back. Revoke is in revoke.c. */
#include "kid.h"

#define VA_A   0x0000400000000000ull
#define VA_B   0x0000410000000000ull
#define VA_RX  0x0000420000000000ull
#define VA_KID 0x0000450000000000ull
#define EP_RIGHTS (MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC)
#define RWG (MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT)
#define SEC 1000000000ull

static long new_target(void)
{
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 32, .name = "target" };
    return mos_proc_create((uint64_t)&pa);
}

UTEST(transfer_to_another_process_needs_grant)
{
    long p = MUST(new_target());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long eng = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long mng = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    /* Without GRANT: not into another process (copy, move or grant) ... */
    EXPECT_ERR(mos_cap_transfer(eng, p, MOS_RIGHT_READ, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(eng, p, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_XFER_MOVE, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(mng, p, MOS_RIGHT_READ, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(mng, p, 0, 1, MOS_RIGHT_READ, 0), MOS_EPERM);
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 0);
    EXPECT_EQ(inspect(eng).type, MOS_CAP_ENDPOINT);       /* the failed move left it */
    /* ... but into the caller's own space it needs nothing. */
    long self_copy = MUST(mos_cap_transfer(eng, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(inspect(self_copy).rights, MOS_RIGHT_READ);
    long self_copy2 = MUST(mos_cap_transfer(mng, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_EQ(inspect(self_copy2).rights, MOS_RIGHT_WRITE);
    /* With GRANT it arrives, narrowed as asked, naming the same object. */
    long there = MUST(mos_cap_transfer(ep, p, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(there, (uint64_t)&info, p, 0), 0);
    EXPECT_EQ(info.handle, there);
    EXPECT_EQ(info.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(info.rights, MOS_RIGHT_READ | MOS_RIGHT_WRITE);
    EXPECT_EQ(info.object_id, inspect(ep).object_id);
    /* GRANT alone is enough to pass a capability with no rights at all. */
    long gonly = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_GRANT, 0, 0, 0));
    long there2 = MUST(mos_cap_transfer(gonly, p, 0, 0, 0, 0));
    EXPECT_EQ(mos_cap_inspect(there2, (uint64_t)&info, p, 0), 0);
    EXPECT_EQ(info.rights, 0);
    EXPECT_ERR(mos_cap_transfer(gonly, p, MOS_RIGHT_READ, 0, 0, 0), MOS_EPERM);
    /* The process capability must allow WRITE. */
    long pr = MUST(mos_cap_transfer(p, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_ERR(mos_cap_transfer(ep, pr, MOS_RIGHT_READ, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m, pr, 0, 1, MOS_RIGHT_READ, 0), MOS_EPERM);
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 2);
    EXPECT_EQ(cspace_enumerate(pr, NULL, 0), 2);            /* READ is enough to look */
    /* A move within the caller's space needs no GRANT either. */
    long eng2 = MUST(mos_cap_transfer(eng, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_XFER_MOVE, 0, 0, 0));
    EXPECT_ERR(mos_cap_delete(eng), MOS_EBADHANDLE);
    EXPECT_EQ(inspect(eng2).rights, MOS_RIGHT_READ | MOS_RIGHT_WRITE);
    EXPECT_EQ(mos_cap_delete(pr), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_revoke(ep), 2);
    EXPECT_EQ(mos_cap_revoke(m), 3);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(transfer_into_a_dead_process_is_refused)
{
    long p = MUST(new_target());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_proc_destroy(p, 3), 0);
    EXPECT_EQ(inspect(p).u.proc.state, MOS_PROC_DEAD);
    EXPECT_ERR(mos_cap_transfer(ep, p, MOS_RIGHT_READ, 0, 0, 0), MOS_EDEAD);
    EXPECT_ERR(mos_cap_transfer(ep, p, EP_RIGHTS | MOS_XFER_MOVE, 0, 0, 0), MOS_EDEAD);
    EXPECT_ERR(mos_mem_grant(m, p, 0, 1, MOS_RIGHT_READ, 0), MOS_EDEAD);
    EXPECT_ERR(mos_mem_map(m, p, VA_A, 0, 1, MOS_PROT_READ), MOS_EDEAD);
    EXPECT_ERR(mos_thread_create(p, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EDEAD);
    /* Nothing left our space. */
    EXPECT_EQ(inspect(ep).handle, ep);
    EXPECT_EQ(mos_cap_revoke(ep), 0);
    EXPECT_EQ(mos_cap_revoke(m), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(move_empties_the_source_and_keeps_the_cap_working)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, RWG, 0x55, 0, 0));
    /* A move keeps the capability exactly as it is. */
    EXPECT_ERR(mos_cap_transfer(d, MOS_SELF, MOS_RIGHT_READ | MOS_XFER_MOVE, 0, 0, 0), MOS_EINVAL);
    EXPECT_ERR(mos_cap_transfer(d, MOS_SELF, RWG | MOS_XFER_MOVE, 0x55, 0, 0), MOS_EINVAL);
    EXPECT_ERR(mos_cap_transfer(d, MOS_SELF, RWG | MOS_XFER_MOVE, 0, 0, 1), MOS_EINVAL);
    EXPECT_ERR(mos_cap_transfer(d, MOS_SELF, (RWG | MOS_RIGHT_REVOKE) | MOS_XFER_MOVE, 0, 0, 0), MOS_EINVAL);
    struct mos_cap_info before = inspect(d);
    EXPECT_EQ(before.handle, d);
    long mv = MUST(mos_cap_transfer(d, MOS_SELF, RWG | MOS_XFER_MOVE, 0, 0, 0));
    EXPECT(mv != d);
    struct mos_cap_info info;
    EXPECT_ERR(mos_cap_inspect(d, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_delete(d), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_notify(d, 1), MOS_EBADHANDLE);
    info = inspect(mv);
    EXPECT_EQ(info.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(info.rights, RWG);
    EXPECT_EQ(info.badge, 0x55);
    EXPECT_EQ(info.object_id, before.object_id);
    /* It works ... */
    EXPECT_EQ(mos_ipc_notify(mv, 4), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(mv, MOS_TIMEOUT_POLL, 0, &msg), 0);
    EXPECT(mos_msg_flags(msg.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(msg.w[0], 4);
    /* ... and kept its place in the derivation tree. */
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    EXPECT_ERR(mos_cap_inspect(mv, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    /* A root moves too, children and all. */
    long child = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long root2 = MUST(mos_cap_transfer(ep, MOS_SELF, EP_RIGHTS | MOS_XFER_MOVE, 0, 0, 0));
    EXPECT_ERR(mos_cap_revoke(ep), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_revoke(root2), 1);
    EXPECT_ERR(mos_cap_delete(child), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_delete(root2), 0);
}

UTEST_CHILD(use_moved_memory)
{
    (void)arg;
    mos_handle_t ctl = mos_cap_by_name("ctl");
    struct mos_msg m;
    if (!ctl)
        return 10;
    if (mos_ipc_recv_m(ctl, 5 * SEC, 0, &m) != 0)
        return 11;
    mos_handle_t h = (mos_handle_t)m.w[0];
    struct mos_cap_info info;
    if (mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0) != 0)
        return 12;
    if (info.type != MOS_CAP_MEMORY || info.object_id != m.w[2] || info.rights != MOS_RIGHTS_ALL)
        return 13;
    if (mos_mem_map(h, MOS_SELF, VA_KID, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE) != 0)
        return 14;
    if (*(volatile uint64_t *)VA_KID != m.w[1])
        return 15;
    return 0;
}

UTEST(moved_cap_works_in_the_destination_process)
{
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long nogrant = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL & ~MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_A = 0x600DF00D;
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    uint64_t id = inspect(m).object_id;
    struct mos_spawn_cap caps[] = { { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" } };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "use_moved_memory", 0, caps, 1), 0);
    /* Moving out of the process needs GRANT too. */
    EXPECT_ERR(mos_cap_transfer(nogrant, k.proc, (MOS_RIGHTS_ALL & ~MOS_RIGHT_GRANT) | MOS_XFER_MOVE, 0, 0, 0),
               MOS_EPERM);
    EXPECT_EQ(mos_cap_delete(nogrant), 0);
    long there = MUST(mos_cap_transfer(m, k.proc, MOS_RIGHTS_ALL | MOS_XFER_MOVE, 0, 0, 0));
    struct mos_cap_info info;
    EXPECT_ERR(mos_cap_inspect(m, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_inspect(there, (uint64_t)&info, k.proc, 0), 0);
    EXPECT_EQ(info.object_id, id);
    EXPECT_EQ(mos_ipc_send(ctl, 0, (uint64_t)there, 0x600DF00D, id, 0), 0);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
}

UTEST(delete_removes_only_that_capability)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long d1 = MUST(mos_cap_transfer(ep, MOS_SELF, EP_RIGHTS, 0, 0, 0));
    long d2 = MUST(mos_cap_transfer(d1, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_EQ(mos_cap_delete(d1), 0);
    EXPECT_ERR(mos_cap_delete(d1), MOS_EBADHANDLE);
    /* Its child and its parent are untouched. */
    EXPECT_EQ(mos_ipc_notify(d2, 2), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 2);
    EXPECT_EQ(mos_ipc_notify(ep, 8), 0);
    EXPECT_EQ(mos_ipc_recv_m(d2, MOS_TIMEOUT_POLL, 0, &msg), 0);
    EXPECT_EQ(msg.w[0], 8);
    /* The orphan moved up: revoking the grandparent still reaches it. */
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    EXPECT_ERR(mos_ipc_notify(d2, 2), MOS_EBADHANDLE);
    /* Deleting a MEMORY capability unmaps what was mapped through it, and
     * only that; the object lives on through its other capabilities. */
    long m = MUST(mos_mem_alloc(1, 0));
    long d = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_EQ(mos_mem_map(d, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_B, 0, 1, MOS_PROT_READ), 0);
    *(volatile uint64_t *)VA_A = 0x77;
    EXPECT_EQ(mos_cap_delete(d), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 0);          /* already gone */
    EXPECT_EQ(*(volatile uint64_t *)VA_B, 0x77);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_B, 1), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_ERR(mos_cap_delete(ep), MOS_EBADHANDLE);
}

struct rx {
    mos_handle_t ep;
    unsigned n;
    long res[3];
    struct mos_msg msg[3];
    mos_handle_t cap[3];
    struct mos_cap_info info[3];
    uint64_t value[3];
};

static void rx_thread(void *arg)
{
    struct rx *r = arg;
    for (unsigned i = 0; i < r->n; i++) {
        r->res[i] = mos_ipc_recv_m(r->ep, 5 * SEC, 0, &r->msg[i]);
        if (r->res[i] != 0 || mos_msg_ncaps(r->msg[i].info) == 0)
            continue;
        r->cap[i] = mos_msg_cap(&r->msg[i], 0);
        (void)mos_cap_inspect(r->cap[i], (uint64_t)&r->info[i], MOS_SELF, 0);
        if (mos_mem_map(r->cap[i], MOS_SELF, VA_RX, 0, 1, MOS_PROT_READ) == 0) {
            r->value[i] = *(volatile uint64_t *)VA_RX;
            (void)mos_mem_unmap(MOS_SELF, VA_RX, 1);
        }
    }
}

UTEST(ipc_cap_transfer_needs_grant_on_the_endpoint)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long eng = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long mng = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_A = 0xCAFED00D;
    static struct rx r;
    r = (struct rx){ .ep = (mos_handle_t)ep, .n = 2, .res = { 1, 1, 1 } };
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, rx_thread, &r, 0, -1), 0);
    EXPECT(thread_wait_blocked(t.handle, 1000));
    mos_handle_t mh = (mos_handle_t)m, mngh = (mos_handle_t)mng;
    /* An endpoint capability without GRANT carries no capabilities: refused whole. */
    EXPECT_ERR(mos_send(eng, 1, NULL, NULL, 0, &mh, 1, 0), MOS_EPERM);
    EXPECT_ERR(mos_send(eng, 1, NULL, NULL, 0, &mh, 1, MOS_MSG_NONBLOCK), MOS_EPERM);
    EXPECT_EQ(r.res[0], 1);                              /* nothing arrived */
    EXPECT(thread_wait_blocked(t.handle, 100));
    /* Without the endpoint's GRANT, register words still go. */
    uint64_t w[4] = { 0x11, 0, 0, 0 };
    EXPECT_EQ(mos_send(ep, 2, w, NULL, 0, &mh, 1, 0), 0);
    /* A capability that itself lacks GRANT does not go (the message does, marked). */
    EXPECT_EQ(mos_send(ep, 3, NULL, NULL, 0, &mngh, 1, 0), 0);
    EXPECT_EQ(mos_thread_join(&t, 2 * SEC), 0);
    EXPECT_EQ(r.res[0], 0);
    EXPECT_EQ(mos_msg_label(r.msg[0].info), 2);
    EXPECT_EQ(mos_msg_ncaps(r.msg[0].info), 1);
    EXPECT_EQ(mos_msg_flags(r.msg[0].info) & MOS_MSG_LOST, 0);
    EXPECT(r.cap[0] != 0 && r.cap[0] != mh);
    EXPECT_EQ(r.info[0].type, MOS_CAP_MEMORY);
    EXPECT_EQ(r.info[0].object_id, inspect(m).object_id);
    EXPECT_EQ(r.info[0].rights, MOS_RIGHTS_ALL);
    EXPECT_EQ(r.value[0], 0xCAFED00D);                  /* the received handle works */
    EXPECT_EQ(r.res[1], 0);
    EXPECT_EQ(mos_msg_label(r.msg[1].info), 3);
    EXPECT_EQ(mos_msg_ncaps(r.msg[1].info), 0);
    EXPECT(mos_msg_flags(r.msg[1].info) & MOS_MSG_LOST);
    /* The received capability was derived from the sent one (copy). */
    EXPECT_EQ(mos_cap_revoke(m), 2);
    EXPECT_ERR(mos_cap_delete(r.cap[0]), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_revoke(ep), 1);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(ipc_cap_move_empties_the_senders_slot)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long d = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL, 0, 0, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    *(volatile uint64_t *)VA_A = 0x0DDBA11;
    static struct rx r;
    r = (struct rx){ .ep = (mos_handle_t)ep, .n = 1, .res = { 1, 1, 1 } };
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, rx_thread, &r, 0, -1), 0);
    EXPECT(thread_wait_blocked(t.handle, 1000));
    mos_handle_t dh = (mos_handle_t)d;
    mos_msginfo_t info;
    EXPECT_EQ(mos_ipc_stage(mos_ipc_buffer(), 4, NULL, 0, &dh, 1, 1u, 0, &info), 0);
    EXPECT_EQ(mos_ipc_send(ep, info, 0, 0, 0, 0), 0);
    EXPECT_EQ(mos_thread_join(&t, 2 * SEC), 0);
    EXPECT_EQ(r.res[0], 0);
    EXPECT_EQ(mos_msg_ncaps(r.msg[0].info), 1);
    EXPECT_EQ(r.info[0].object_id, inspect(m).object_id);
    EXPECT_EQ(r.value[0], 0x0DDBA11);
    /* The sender's handle is gone; the moved capability kept its place under m. */
    struct mos_cap_info i;
    EXPECT_ERR(mos_cap_inspect(d, (uint64_t)&i, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_EQ(mos_cap_revoke(m), 1);
    EXPECT_ERR(mos_cap_delete(r.cap[0]), MOS_EBADHANDLE);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* Creates a process without threads that holds a capability to itself,
 * then drops its own capability to it and exits. */
UTEST_CHILD(leave_a_self_held_process)
{
    (void)arg;
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 16, .name = "self-held" };
    long p = mos_proc_create((uint64_t)&pa);
    if (p < 0)
        return 80;
    if (mos_cap_transfer(p, p, MOS_RIGHT_READ, 0, 0, 0) < 0)
        return 81;
    if (mos_cap_delete(p) != 0)
        return 82;
    return 0;
}

/* DESIGN.md 3 and 7: a process's memory is charged to its creator's quota,
 * and when a process dies everything it owned is freed. A child that dies
 * after leaving behind a thread-less process that only holds itself must
 * still give its quota back to us once we drop its capability; nobody can
 * name the orphan any more, so nobody else can ever free it. */
UTEST(quota_of_a_dead_child_comes_back_despite_a_self_held_orphan)
{
    const volatile struct mos_kinfo *ki = (const volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    uint64_t procs = ki->objects[MOS_CAP_PROCESS];
    struct kid k;
    EXPECT_EQ(kid_start(&k, "leave_a_self_held_process", 0, NULL, 0), 0);
    struct utest_child c = kid_wait(&k, 5000);           /* also deletes our capability */
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
    (void)mos_thread_block(1000000);
    EXPECTF(ki->objects[MOS_CAP_PROCESS] == procs, "%llu process objects live, %llu before the child",
            (unsigned long long)ki->objects[MOS_CAP_PROCESS], (unsigned long long)procs);
    /* The child's 1024-page reservation is back: 3400 of our 4096 pages can be had. */
    long big = mos_mem_alloc(3400, 0);
    EXPECTF(big >= 0, "mem_alloc(3400 pages): %s", mos_strerror(big));
    if (big >= 0)
        EXPECT_EQ(mos_cap_delete(big), 0);
}
