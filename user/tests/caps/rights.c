// SPDX-License-Identifier: MIT
/* caps: derivation only narrows. Rights of a derived capability are exactly
 * the requested subset (anything more is -MOS_EPERM, anything outside
 * MOS_RIGHTS_ALL -MOS_EINVAL); badges are minted once and travel with every
 * message; MEMORY ranges only shrink, and a narrowed range is all that can
 * be mapped. */
#include "kid.h"

#define VA_A 0x0000400000000000ull
#define VA_B 0x0000410000000000ull
#define VA_C 0x0000420000000000ull
#define EP_RIGHTS (MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC)

UTEST(derived_rights_are_exactly_the_requested_subset)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(inspect(m).rights, MOS_RIGHTS_ALL);
    for (uint32_t parent = 0; parent <= MOS_RIGHTS_ALL; parent++) {
        long p = MUST(mos_cap_transfer(m, MOS_SELF, parent, 0, 0, 0));
        EXPECT_EQ(inspect(p).rights, parent);
        for (uint32_t child = 0; child <= MOS_RIGHTS_ALL; child++) {
            long c = mos_cap_transfer(p, MOS_SELF, child, 0, 0, 0);
            if ((child & ~parent) == 0) {
                EXPECTF(c >= 0, "0x%x from 0x%x: %ld", child, parent, c);
                struct mos_cap_info info = inspect(c);
                EXPECTF(info.rights == child, "0x%x from 0x%x: got 0x%x", child, parent, info.rights);
                EXPECT_EQ(info.type, MOS_CAP_MEMORY);
                EXPECT_EQ(info.count, 1);
                EXPECT_EQ(mos_cap_delete(c), 0);
            } else {
                EXPECTF(c == -MOS_EPERM, "0x%x from 0x%x: %ld, expected EPERM", child, parent, c);
            }
        }
        EXPECT_EQ(mos_cap_delete(p), 0);
    }
    /* An endpoint has no EXEC to give. */
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_EQ(inspect(ep).rights, EP_RIGHTS);
    for (uint32_t child = 0; child <= MOS_RIGHTS_ALL; child++) {
        long c = mos_cap_transfer(ep, MOS_SELF, child, 0, 0, 0);
        if (child & MOS_RIGHT_EXEC) {
            EXPECT_ERR(c, MOS_EPERM);
        } else {
            EXPECT_EQ(inspect(c).rights, child);
            EXPECT_EQ(mos_cap_delete(c), 0);
        }
    }
    EXPECT_EQ(mos_cap_revoke(m), 0);
    EXPECT_EQ(mos_cap_revoke(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(rights_beyond_all_or_unknown_flags_are_invalid)
{
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    uint32_t n = cspace_enumerate(MOS_SELF, NULL, 0);
    for (unsigned bit = 5; bit < 32; bit++) {
        uint64_t r = 1ull << bit;
        EXPECTF(mos_cap_transfer(m, MOS_SELF, r, 0, 0, 0) == -MOS_EINVAL, "rights bit %u", bit);
        EXPECTF(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL | r, 0, 0, 0) == -MOS_EINVAL, "rights bit %u", bit);
        EXPECTF(mos_cap_transfer(ep, p, MOS_RIGHT_READ | r, 0, 0, 0) == -MOS_EINVAL, "rights bit %u", bit);
        EXPECTF(mos_mem_grant(m, p, 0, 1, MOS_RIGHT_READ | r, 0) == -MOS_EINVAL, "grant rights bit %u", bit);
    }
    for (unsigned bit = 33; bit < 64; bit++) {
        uint64_t f = 1ull << bit;
        EXPECTF(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | f, 0, 0, 0) == -MOS_EINVAL, "flag bit %u", bit);
        EXPECTF(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL | MOS_XFER_MOVE | f, 0, 0, 0) == -MOS_EINVAL,
                "move + flag bit %u", bit);
    }
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, 0x20 | MOS_XFER_MOVE, 0, 0, 0), MOS_EINVAL);
    /* Nothing was created, nothing moved. */
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n);
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 0);
    EXPECT_EQ(inspect(m).rights, MOS_RIGHTS_ALL);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(memory_rights_bound_mapping_protections)
{
    long m = MUST(mos_mem_alloc(1, 0));
    static const uint32_t prots[] = {
        MOS_PROT_READ, MOS_PROT_READ | MOS_PROT_WRITE, MOS_PROT_READ | MOS_PROT_EXEC,
        MOS_PROT_WRITE, MOS_PROT_EXEC,
    };
    for (uint32_t r = 0; r <= MOS_RIGHTS_ALL; r++) {
        long c = MUST(mos_cap_transfer(m, MOS_SELF, r, 0, 0, 0));
        for (unsigned i = 0; i < sizeof prots / sizeof prots[0]; i++) {
            /* Every mapping is readable, so READ is always needed. */
            uint32_t need = MOS_RIGHT_READ | (prots[i] & MOS_PROT_WRITE ? MOS_RIGHT_WRITE : 0) |
                            (prots[i] & MOS_PROT_EXEC ? MOS_RIGHT_EXEC : 0);
            long res = mos_mem_map(c, MOS_SELF, VA_A, 0, 1, prots[i]);
            if ((need & ~r) == 0) {
                EXPECTF(res == 0, "rights 0x%x prot %u: %ld", r, prots[i], res);
                EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
            } else {
                EXPECTF(res == -MOS_EPERM, "rights 0x%x prot %u: %ld, expected EPERM", r, prots[i], res);
            }
        }
        EXPECT_EQ(mos_cap_delete(c), 0);
    }
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

/* ---------------------------------------------------------------- badges */

#define BADGE_X 0xB0B0CAFE12345678ull
#define BADGE_Y 0x0000000000000042ull
#define NMSG 8

struct badge_run {
    mos_handle_t via[NMSG];         /* capability message i is sent through */
    mos_handle_t receiver;          /* the main thread (0: unknown) */
    long result[NMSG];
    struct mos_msg reply;
};

static void badge_sender(void *arg)
{
    struct badge_run *b = arg;
    for (unsigned i = 0; i < NMSG; i++) {
        if (i % 2 == 0)                             /* the receiver waits first */
            (void)thread_wait_blocked(b->receiver, 1000);
        uint64_t w[4] = { i, ~(uint64_t)i, 0, 0 };
        if (i == NMSG - 1)
            b->result[i] = mos_ipc_call_m(b->via[i], mos_msginfo(100 + i, 0, 0, 0), w, &b->reply);
        else
            b->result[i] = mos_ipc_send(b->via[i], mos_msginfo(100 + i, 0, 0, 0), w[0], w[1], 0, 0);
    }
}

UTEST(minted_badge_arrives_with_every_message)
{
    mos_handle_t me = first_of_type(MOS_CAP_THREAD);
    EXPECT(me != 0);
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long plain = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    long b = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, BADGE_X, 0, 0));
    long kept = MUST(mos_cap_transfer(b, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    long late = MUST(mos_cap_transfer(plain, MOS_SELF, MOS_RIGHT_WRITE, BADGE_Y, 0, 0));  /* minted from a child */
    EXPECT_EQ(inspect(ep).badge, 0);
    EXPECT_EQ(inspect(plain).badge, 0);
    EXPECT_EQ(inspect(b).badge, BADGE_X);
    EXPECT_EQ(inspect(kept).badge, BADGE_X);
    EXPECT_EQ(inspect(late).badge, BADGE_Y);

    static struct badge_run run;
    const mos_handle_t via[NMSG] = { b, b, ep, kept, plain, late, b, b };
    const uint64_t expect[NMSG] = { BADGE_X, BADGE_X, 0, BADGE_X, 0, BADGE_Y, BADGE_X, BADGE_X };
    for (unsigned i = 0; i < NMSG; i++)
        run.via[i] = via[i];
    run.receiver = me;
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, badge_sender, &run, 0, -1), 0);
    for (unsigned i = 0; i < NMSG; i++) {
        if (i % 2 == 1)                             /* the sender waits first */
            EXPECT(thread_wait_blocked(t.handle, 1000));
        struct mos_msg m;
        EXPECT_EQ(mos_ipc_recv_m(ep, 2000000000ull, 0, &m), 0);
        EXPECTF(m.badge == expect[i], "message %u: badge 0x%llx, expected 0x%llx", i,
                (unsigned long long)m.badge, (unsigned long long)expect[i]);
        EXPECT_EQ(mos_msg_label(m.info), 100 + i);
        EXPECT_EQ(m.w[0], i);
        EXPECT_EQ(m.w[1], ~(uint64_t)i);
        if (i == NMSG - 1) {
            EXPECT(mos_msg_flags(m.info) & MOS_MSG_CALL);
            EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(0x77, 0, 0, 0), 5, 0, 0, 0), 0);
        }
    }
    EXPECT_EQ(mos_thread_join(&t, 2000000000ull), 0);
    for (unsigned i = 0; i < NMSG; i++)
        EXPECTF(run.result[i] == 0, "send %u: %ld", i, run.result[i]);
    EXPECT_EQ(mos_msg_label(run.reply.info), 0x77);
    EXPECT_EQ(run.reply.w[0], 5);
    EXPECT_EQ(mos_cap_revoke(ep), 4);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(badged_cap_cannot_be_rebadged)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long b = MUST(mos_cap_transfer(ep, MOS_SELF, EP_RIGHTS, BADGE_X, 0, 0));
    EXPECT_ERR(mos_cap_transfer(b, MOS_SELF, MOS_RIGHT_WRITE, BADGE_Y, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(b, MOS_SELF, MOS_RIGHT_WRITE, BADGE_X + 1, 0, 0), MOS_EPERM);
    EXPECT_ERR(mos_cap_transfer(b, MOS_SELF, MOS_RIGHT_WRITE, ~0ull, 0, 0), MOS_EPERM);
    /* Badge 0 keeps it, through any number of generations. */
    long k1 = MUST(mos_cap_transfer(b, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 0, 0));
    long k2 = MUST(mos_cap_transfer(k1, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_EQ(inspect(k1).badge, BADGE_X);
    EXPECT_EQ(inspect(k2).badge, BADGE_X);
    EXPECT_ERR(mos_cap_transfer(k2, MOS_SELF, MOS_RIGHT_WRITE, BADGE_Y, 0, 0), MOS_EPERM);
    /* Naming the badge it already has is no change (cap.h's rule). */
    long k3 = MUST(mos_cap_transfer(k2, MOS_SELF, MOS_RIGHT_WRITE, BADGE_X, 0, 0));
    EXPECT_EQ(inspect(k3).badge, BADGE_X);
    /* A move never re-badges either. */
    EXPECT_ERR(mos_cap_transfer(k2, MOS_SELF, MOS_RIGHT_WRITE | MOS_XFER_MOVE, BADGE_Y, 0, 0), MOS_EINVAL);
    /* Into another process the badge goes along (a copy with badge 0). */
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long there = MUST(mos_cap_transfer(k1, p, MOS_RIGHT_WRITE, 0, 0, 0));
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(there, (uint64_t)&info, p, 0), 0);
    EXPECT_EQ(info.badge, BADGE_X);
    EXPECT_ERR(mos_cap_transfer(k1, p, MOS_RIGHT_WRITE, BADGE_Y, 0, 0), MOS_EPERM);
    /* The unbadged parent can still mint other badges. */
    long other = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, BADGE_Y, 0, 0));
    EXPECT_EQ(inspect(other).badge, BADGE_Y);
    EXPECT_EQ(inspect(ep).badge, 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_revoke(ep), 5);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* ---------------------------------------------------------------- ranges */

UTEST(narrowed_memory_cap_maps_only_inside_its_range)
{
    long m = MUST(mos_mem_alloc(8, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 8, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *a = (volatile uint64_t *)VA_A;
    for (unsigned i = 0; i < 8; i++)
        a[i * 512] = 0x1000 + i;
    /* Pages 2..4 of the object (base is an offset into the object). */
    long sub = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 2, 3));
    struct mos_cap_info info = inspect(sub);
    EXPECT_EQ(info.base, 2);
    EXPECT_EQ(info.count, 3);
    EXPECT_EQ(info.object_id, inspect(m).object_id);
    /* Pages are numbered from the start of the capability's range. */
    EXPECT_EQ(mos_mem_map(sub, MOS_SELF, VA_B, 0, 3, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *b = (volatile uint64_t *)VA_B;
    for (unsigned i = 0; i < 3; i++)
        EXPECTF(b[i * 512] == 0x1000 + 2 + i, "page %u of the range holds 0x%llx", i,
                (unsigned long long)b[i * 512]);
    b[512] = 0xABCD;
    EXPECT_EQ(a[3 * 512], 0xABCD);
    /* Nothing outside [2, 5) can be reached through it. */
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA_C, 0, 4, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA_C, 3, 1, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA_C, 2, 2, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA_C, ~0ull, 1, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA_C, ~0ull - 1, 2, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_EQ(mos_mem_map(sub, MOS_SELF, VA_C, 2, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(((volatile uint64_t *)VA_C)[0], 0x1000 + 4);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_C, 1), 1);
    /* A narrower range must lie inside it (in object pages). */
    EXPECT_ERR(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 1, 1), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 5, 1), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 4, 2), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 1, 4), MOS_ERANGE);
    long one = MUST(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 4, 1));
    EXPECT_EQ(inspect(one).base, 4);
    EXPECT_EQ(inspect(one).count, 1);
    EXPECT_ERR(mos_mem_map(one, MOS_SELF, VA_C, 1, 1, MOS_PROT_READ), MOS_ERANGE);
    /* count 0 = the parent's whole range. */
    long same = MUST(mos_cap_transfer(sub, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(inspect(same).base, 2);
    EXPECT_EQ(inspect(same).count, 3);
    /* A grant is bounded the same way (first page relative to the range). */
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    EXPECT_ERR(mos_mem_grant(sub, p, 0, 4, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(sub, p, 3, 1, MOS_RIGHT_READ, 0), MOS_ERANGE);
    long g = MUST(mos_mem_grant(sub, p, 1, 2, MOS_RIGHT_READ, 0));
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&info, p, 0), 0);
    EXPECT_EQ(info.base, 3);
    EXPECT_EQ(info.count, 2);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_B, 3), 3);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 8), 8);
    EXPECT_EQ(mos_cap_revoke(m), 3);          /* sub, one, same (g went with p) */
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(range_overflow_and_wrap_are_refused)
{
    long m = MUST(mos_mem_alloc(4, 0));
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    uint32_t n = cspace_enumerate(MOS_SELF, NULL, 0);
    const uint64_t M = ~0ull;
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, M, 1), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, M, 2), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 2, M), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 1, M), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, M - 1, 3), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 5), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 4, 1), MOS_ERANGE);
    EXPECT_ERR(mos_cap_transfer(m, p, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 3, M), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, M, 2, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, 1, M, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, 2, M - 1, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, 4, 1, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, 0, 5, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, p, 0, 0, MOS_RIGHT_READ, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA_A, M, 2, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA_A, 3, 2, MOS_PROT_READ), MOS_ERANGE);
    /* Types without a range take none. */
    EXPECT_ERR(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 1, 0), MOS_EINVAL);
    EXPECT_ERR(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 1), MOS_EINVAL);
    EXPECT_ERR(mos_cap_transfer(p, MOS_SELF, MOS_RIGHT_READ, 0, 0, 1), MOS_EINVAL);
    /* The exact edges are fine. */
    long last = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 3, 1));
    long all = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 4));
    EXPECT_EQ(inspect(last).base, 3);
    EXPECT_EQ(inspect(all).count, 4);
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n + 2);
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_revoke(m), 2);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
