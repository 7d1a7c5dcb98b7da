// SPDX-License-Identifier: MIT
/* caps: handles are unforgeable. Random, stale, zero and MOS_SELF handles
 * are refused with -MOS_EBADHANDLE wherever a capability is needed; a
 * lookup reports a bad handle before a wrong type before a missing right;
 * a reused slot gets a new generation, so old handles stay dead. */
#include "kid.h"

#define VA_SCRATCH 0x0000400000000000ull
#define MAX_LIVE   512u

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static bool is_live(const mos_handle_t *live, uint32_t n, mos_handle_t h)
{
    for (uint32_t i = 0; i < n; i++)
        if (live[i] == h)
            return true;
    return false;
}

/* Every call that needs a capability refuses h as a bad handle. */
static void expect_bad_everywhere(mos_handle_t h)
{
    struct mos_cap_info info;
    uint64_t nb = mos_msginfo(0, 0, 0, MOS_MSG_NONBLOCK);
    EXPECTF(mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0) == -MOS_EBADHANDLE, "inspect 0x%x", h);
    EXPECTF(mos_cap_delete(h) == -MOS_EBADHANDLE, "delete 0x%x", h);
    EXPECTF(mos_cap_revoke(h) == -MOS_EBADHANDLE, "revoke 0x%x", h);
    EXPECTF(mos_cap_transfer(h, MOS_SELF, 0, 0, 0, 0) == -MOS_EBADHANDLE, "transfer 0x%x", h);
    EXPECTF(mos_mem_map(h, MOS_SELF, VA_SCRATCH, 0, 1, MOS_PROT_READ) == -MOS_EBADHANDLE, "mem_map 0x%x", h);
    EXPECTF(mos_ipc_send(h, nb, 0, 0, 0, 0) == -MOS_EBADHANDLE, "ipc_send 0x%x", h);
    EXPECTF(mos_ipc_recv_m(h, MOS_TIMEOUT_POLL, 0, NULL) == -MOS_EBADHANDLE, "ipc_recv 0x%x", h);
    EXPECTF(mos_ipc_notify(h, 1) == -MOS_EBADHANDLE, "ipc_notify 0x%x", h);
    EXPECTF(mos_thread_wake(h) == -MOS_EBADHANDLE, "thread_wake 0x%x", h);
    EXPECTF(mos_proc_destroy(h, 0) == -MOS_EBADHANDLE, "proc_destroy 0x%x", h);
    EXPECTF(mos_mem_unmap(h, VA_SCRATCH, 1) == -MOS_EBADHANDLE, "mem_unmap 0x%x", h);
}

UTEST(random_handles_are_refused_as_bad)
{
    static mos_handle_t before[MAX_LIVE], after[MAX_LIVE];
    uint32_t n = cspace_enumerate(MOS_SELF, before, MAX_LIVE);
    EXPECT(n > 0 && n < MAX_LIVE);
    unsigned tried = 0;
    for (unsigned i = 0; i < 400; i++) {
        mos_handle_t h = rng32();
        if (i % 4 == 1)
            h &= 0xFFFFF;                           /* generation 0 */
        if (i % 4 == 2)
            h &= 0xFFF000FFu;                       /* a small index, any generation */
        if (h == MOS_SELF || is_live(before, n, h))
            continue;
        expect_bad_everywhere(h);
        tried++;
    }
    EXPECT(tried > 350);
    /* Near misses: every live handle with another generation. */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t g = 1; g < 4; g++) {
            mos_handle_t h = before[i] ^ (g << MOS_HANDLE_INDEX_BITS);
            if (!is_live(before, n, h))
                expect_bad_everywhere(h);
        }
    /* Nothing was changed by all of this. */
    uint32_t n2 = cspace_enumerate(MOS_SELF, after, MAX_LIVE);
    EXPECT_EQ(n2, n);
    for (uint32_t i = 0; i < n && i < n2; i++)
        EXPECT_EQ(after[i], before[i]);
}

UTEST(stale_handles_are_refused_as_bad)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "stale" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    expect_bad_everywhere((mos_handle_t)ep);
    expect_bad_everywhere((mos_handle_t)m);
    expect_bad_everywhere((mos_handle_t)p);
    /* d outlived its parent: it is still good; deleting it makes it stale. */
    EXPECT_EQ(inspect(d).type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(mos_cap_delete(d), 0);
    expect_bad_everywhere((mos_handle_t)d);
    /* A stale PROCESS handle names no process to act on. */
    long m2 = MUST(mos_mem_alloc(1, 0));
    long ep2 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_cap_info info;
    EXPECT_ERR(mos_mem_map(m2, p, VA_SCRATCH, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(m2, p, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_transfer(ep2, p, MOS_RIGHT_READ, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_inspect(1, (uint64_t)&info, p, MOS_INSPECT_NEXT), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_create(p, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADHANDLE);
    /* A stale handle with a live process's slot index: still refused. */
    EXPECT_EQ(mos_cap_delete(m2), 0);
    EXPECT_EQ(mos_cap_delete(ep2), 0);
}

UTEST(handle_zero_is_never_valid)
{
    struct mos_cap_info info;
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    expect_bad_everywhere(0);
    EXPECT_ERR(mos_cap_transfer(ep, 0, MOS_RIGHT_READ, 0, 0, 0), MOS_EBADHANDLE);   /* as a process */
    EXPECT_ERR(mos_mem_map(m, 0, VA_SCRATCH, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(0, 0, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(m, 0, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_inspect(ep, (uint64_t)&info, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_create(0, 0x400000, 0x7FFFFFF00000ull, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_destroy(0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_call_m(0, 0, NULL, NULL), MOS_EBADHANDLE);
    EXPECT_ERR(mos_irq_bind(0, 0, 1), MOS_EBADHANDLE);
    /* Index 0 with any generation is never a handle either. */
    expect_bad_everywhere(0x00100000u);
    expect_bad_everywhere(0xFFF00000u);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(self_handle_refused_where_not_allowed)
{
    struct mos_cap_info info;
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    uint64_t nb = mos_msginfo(0, 0, 0, MOS_MSG_NONBLOCK);
    /* MOS_SELF names the caller only as a process or thread, never as a capability. */
    EXPECT_ERR(mos_cap_inspect(MOS_SELF, (uint64_t)&info, MOS_SELF, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_delete(MOS_SELF), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_revoke(MOS_SELF), MOS_EBADHANDLE);
    EXPECT_ERR(mos_cap_transfer(MOS_SELF, MOS_SELF, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_map(MOS_SELF, MOS_SELF, VA_SCRATCH, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(MOS_SELF, MOS_SELF, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_send(MOS_SELF, nb, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_recv_m(MOS_SELF, MOS_TIMEOUT_POLL, 0, NULL), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_call_m(MOS_SELF, nb, NULL, NULL), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_notify(MOS_SELF, 1), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_reply(MOS_SELF, 0, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_wake(MOS_SELF), MOS_EBADHANDLE);
    EXPECT_ERR(mos_irq_bind(MOS_SELF, 0, 1), MOS_EBADHANDLE);
    EXPECT_ERR(mos_irq_bind(MOS_SELF, ep, 1), MOS_EBADHANDLE);
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .exit_ep = MOS_SELF, .name = "x" };
    EXPECT_ERR(mos_proc_create((uint64_t)&pa), MOS_EBADHANDLE);
    /* Where it is allowed it means the caller. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_SCRATCH, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SCRATCH, 1), 1);
    long d = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(mos_cap_inspect(d, (uint64_t)&info, MOS_SELF, 0), 0);
    EXPECT_EQ(info.handle, d);
    EXPECT_EQ(mos_cap_delete(d), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* mem_grant's target is "P" in syscalls.def (a PROCESS handle; MOS_SELF is
 * not in types.h's list of calls that accept it). */
UTEST(mem_grant_refuses_self_as_target)
{
    long m = MUST(mos_mem_alloc(1, 0));
    uint32_t n = cspace_enumerate(MOS_SELF, NULL, 0);
    EXPECT_ERR(mos_mem_grant(m, MOS_SELF, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(m, MOS_SELF, 0, 1, MOS_RIGHT_READ, VA_SCRATCH), MOS_EBADHANDLE);
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_SCRATCH, 1), 0);
    EXPECT_EQ(mos_cap_revoke(m), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(lookup_reports_bad_handle_before_type_before_rights)
{
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ep_none = MUST(mos_cap_transfer(ep, MOS_SELF, 0, 0, 0, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    long m_none = MUST(mos_cap_transfer(m, MOS_SELF, 0, 0, 0, 0));
    uint64_t nb = mos_msginfo(0, 0, 0, MOS_MSG_NONBLOCK);

    /* Wrong type and missing right: the type is reported. */
    EXPECT_ERR(mos_ipc_send(m_none, nb, 0, 0, 0, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_ipc_recv_m(m_none, MOS_TIMEOUT_POLL, 0, NULL), MOS_EBADTYPE);
    EXPECT_ERR(mos_ipc_notify(m_none, 1), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_grant(ep_none, p, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_thread_wake(ep_none), MOS_EBADTYPE);
    EXPECT_ERR(mos_cap_transfer(ep, m_none, 0, 0, 0, 0), MOS_EBADTYPE);     /* m_none as the process */
    EXPECT_ERR(mos_mem_map(m, ep_none, VA_SCRATCH, 0, 1, MOS_PROT_READ), MOS_EBADTYPE);
    /* Right type, missing right: the right is reported. */
    EXPECT_ERR(mos_ipc_send(ep_none, nb, 0, 0, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_ipc_recv_m(ep_none, MOS_TIMEOUT_POLL, 0, NULL), MOS_EPERM);
    EXPECT_ERR(mos_ipc_notify(ep_none, 1), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m_none, p, 0, 1, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_cap_revoke(ep_none), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(ep_none, p, 0, 0, 0, 0), MOS_EPERM);        /* no GRANT */

    /* A stale handle whose slot now holds a capability of another type
     * without rights: the handle is reported, not the type. Next-fit
     * allocation refills the slot just emptied. */
    long old_ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_EQ(mos_cap_delete(old_ep), 0);
    long now_mem = MUST(mos_cap_transfer(m, MOS_SELF, 0, 0, 0, 0));
    EXPECT_EQ(MOS_HANDLE_INDEX((uint32_t)now_mem), MOS_HANDLE_INDEX((uint32_t)old_ep));
    EXPECT_ERR(mos_ipc_send(old_ep, nb, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_send(now_mem, nb, 0, 0, 0, 0), MOS_EBADTYPE);
    /* ... and of the right type without the right: the handle is reported, not the right. */
    long old_ep2 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_EQ(mos_cap_delete(old_ep2), 0);
    long now_ep = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(MOS_HANDLE_INDEX((uint32_t)now_ep), MOS_HANDLE_INDEX((uint32_t)old_ep2));
    EXPECT_ERR(mos_ipc_send(old_ep2, nb, 0, 0, 0, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_ipc_send(now_ep, nb, 0, 0, 0, 0), MOS_EPERM);

    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_revoke(ep), 2);
    EXPECT_EQ(mos_cap_revoke(m), 2);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(reused_slot_gets_a_new_generation)
{
    mos_handle_t old[24];
    old[0] = (mos_handle_t)MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (int i = 1; i < 24; i++) {
        EXPECT_EQ(mos_cap_delete(old[i - 1]), 0);
        long h = i % 2 ? mos_mem_alloc(1, 0) : mos_cap_create(MOS_CAP_ENDPOINT, 0);
        old[i] = (mos_handle_t)MUST(h);
        /* Same slot, next generation. */
        EXPECT_EQ(MOS_HANDLE_INDEX(old[i]), MOS_HANDLE_INDEX(old[0]));
        EXPECT_EQ(MOS_HANDLE_GEN(old[i]), (MOS_HANDLE_GEN(old[i - 1]) + 1) & 0xFFF);
        /* Every earlier handle to the slot is dead; the new one works. */
        for (int j = 0; j < i; j++)
            EXPECT_ERR(mos_cap_delete(old[j]), MOS_EBADHANDLE);
        struct mos_cap_info info = inspect(old[i]);
        EXPECT_EQ(info.handle, old[i]);
        EXPECT_EQ(info.type, i % 2 ? MOS_CAP_MEMORY : MOS_CAP_ENDPOINT);
        /* By index, the slot reports its current handle. */
        struct mos_cap_info byidx;
        EXPECT_EQ(mos_cap_inspect(MOS_HANDLE_INDEX(old[i]), (uint64_t)&byidx, MOS_SELF, MOS_INSPECT_NEXT), 0);
        EXPECT_EQ(byidx.handle, old[i]);
    }
    expect_bad_everywhere(old[0]);
    expect_bad_everywhere(old[22]);
    EXPECT_EQ(mos_cap_delete(old[23]), 0);
    expect_bad_everywhere(old[23]);
}

UTEST(moved_from_handle_is_stale)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long mv = MUST(mos_cap_transfer(ep, MOS_SELF, (MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC) | MOS_XFER_MOVE, 0, 0, 0));
    EXPECT(mv != ep);
    expect_bad_everywhere((mos_handle_t)ep);
    EXPECT_EQ(inspect(mv).type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(mos_cap_delete(mv), 0);
}
