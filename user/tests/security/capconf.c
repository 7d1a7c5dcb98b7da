// SPDX-License-Identifier: MIT
/* security/capconf - capability confusion not covered by the caps group:
 * the exact wrap-around of a slot's 12-bit generation (an old handle stays
 * dead through 4,095 refills of its slot, by delete and by revoke, and
 * names the slot again only at the 4,096th, as docs/syscalls.md section 2
 * says), and rights that never widen, whatever path a capability takes:
 * copy, move, grant, a message, mapping. */
#include "kid.h"

#define VA 0x00004A0000000000ull

/* Fill the caller's space until exactly one slot is free; the filler
 * handles go to fill[] (copies of one endpoint). Returns how many. */
static uint32_t leave_one_free_slot(mos_handle_t ep, mos_handle_t *fill, uint32_t max)
{
    uint32_t n = 0;
    for (;;) {
        long h = mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0);
        if (h == -MOS_ENOSPC || n >= max)
            break;
        if (h < 0) {
            EXPECTF(0, "filling: %s", mos_strerror(h));
            break;
        }
        fill[n++] = (mos_handle_t)h;
    }
    /* Full now: free one. */
    if (n > 0)
        EXPECT_EQ(mos_cap_delete(fill[--n]), 0);
    return n;
}

UTEST(slot_generation_protects_an_old_handle_for_exactly_4095_refills)
{
    static mos_handle_t fill[70000];
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));         /* parent of the fillers */
    long ep2 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));        /* parent of the revoked refills */
    uint32_t nfill = leave_one_free_slot((mos_handle_t)ep, fill, sizeof fill / sizeof fill[0]);
    long h0 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_EQ(mos_cap_create(MOS_CAP_ENDPOINT, 0), -MOS_ENOSPC);        /* it was the only one */
    uint32_t slot = MOS_HANDLE_INDEX((mos_handle_t)h0), gen0 = MOS_HANDLE_GEN((mos_handle_t)h0);
    EXPECT_EQ(mos_cap_delete(h0), 0);
    unsigned bad = 0;
    struct mos_cap_info info;
    for (uint32_t k = 1; k <= 4096 && bad < 3; k++) {
        /* Refill the slot: a new endpoint, or a child of ep that a revoke
         * will empty again. */
        bool by_revoke = k & 1;
        long h = by_revoke ? mos_cap_transfer(ep2, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0)
                           : mos_cap_create(MOS_CAP_ENDPOINT, 0);
        if (h < 0 || MOS_HANDLE_INDEX((mos_handle_t)h) != slot ||
            MOS_HANDLE_GEN((mos_handle_t)h) != ((gen0 + k) & 0xFFF)) {
            EXPECTF(0, "refill %u: handle 0x%lx, expected slot %u generation %u", k, h, slot, (gen0 + k) & 0xFFF);
            bad++;
            break;
        }
        long seen = mos_cap_inspect((mos_handle_t)h0, (uint64_t)&info, MOS_SELF, 0);
        if (k < 4096 && seen != -MOS_EBADHANDLE) {
            EXPECTF(0, "refill %u: the old handle 0x%lx works again (%ld)", k, h0, seen);
            bad++;
        }
        if (k == 4096) {
            /* The documented limit: 12 bits of generation. */
            EXPECTF(h == h0, "after 4096 refills: handle 0x%lx, the old one was 0x%lx", h, h0);
            EXPECTF(seen == 0 && info.handle == (mos_handle_t)h, "after 4096 refills the old handle: %ld", seen);
        }
        long e = by_revoke ? (mos_cap_revoke(ep2) == 1 ? 0 : -1) : mos_cap_delete(h);
        if (e != 0) {
            EXPECTF(0, "refill %u: emptying the slot failed", k);
            bad++;
        }
    }
    for (uint32_t i = 0; i < nfill; i++)
        EXPECT_EQ(mos_cap_delete(fill[i]), 0);
    EXPECT_EQ(mos_cap_delete(ep2), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* ---- rights never widen ---- */

#define LABEL_STOP 99

/* Answers each call with the rights of the capability it carried (0xFFFF
 * when none arrived) and whether MOS_MSG_LOST was set; deletes what came. */
static void rights_echo(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r == 0 && mos_msg_label(m.info) != LABEL_STOP) {
        uint64_t w[4] = { 0xFFFF, (mos_msg_flags(m.info) & MOS_MSG_LOST) != 0, 0, 0 };
        if (mos_msg_ncaps(m.info) == 1) {
            w[0] = inspect(buf->caps[0]).rights;
            (void)mos_cap_delete(buf->caps[0]);
        }
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    }
    if (r == 0)
        (void)mos_ipc_reply(0, mos_msginfo(LABEL_STOP, 0, 0, 0), 0, 0, 0, 0);
}

UTEST(rights_never_widen_on_any_path)
{
    long mem = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 64 };
    long proc = MUST(mos_proc_create((uint64_t)&pa));
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    struct mos_thread echo;
    if (MUST(mos_thread_start(&echo, rights_echo, (void *)(uintptr_t)ep, 0, -1)) < 0)
        return;
    unsigned bad = 0;
    for (uint32_t r = 0; r <= MOS_RIGHTS_ALL && bad < 5; r++) {
        long c = mos_cap_transfer(mem, MOS_SELF, r, 0, 0, 0);
        if (c < 0) {
            EXPECTF(0, "rights 0x%x: %s", r, mos_strerror(c));
            bad++;
            continue;
        }
        EXPECT_EQ(inspect((mos_handle_t)c).rights, r);
        for (uint32_t bit = 1; bit <= MOS_RIGHT_REVOKE; bit <<= 1) {
            if (r & bit)
                continue;
            uint32_t wider = r | bit;
            if (mos_cap_transfer(c, MOS_SELF, wider, 0, 0, 0) != -MOS_EPERM ||
                mos_cap_transfer(c, MOS_SELF, wider | MOS_XFER_MOVE, 0, 0, 0) != -MOS_EINVAL) {
                EXPECTF(0, "0x%x widened to 0x%x by a copy or a move", r, wider);
                bad++;
            }
            /* Another process: GRANT is needed at all, and narrowing only. */
            long g = mos_mem_grant(c, proc, 0, 1, wider, 0);
            long t = mos_cap_transfer(c, proc, wider, 0, 0, 0);
            if (g != -MOS_EPERM || t != -MOS_EPERM) {
                EXPECTF(0, "0x%x widened to 0x%x into another process (grant %ld, transfer %ld)", r, wider, g, t);
                bad++;
            }
        }
        /* Mapping needs the matching rights. */
        uint64_t prots[] = { MOS_PROT_READ, MOS_PROT_READ | MOS_PROT_WRITE, MOS_PROT_READ | MOS_PROT_EXEC };
        uint32_t needs[] = { MOS_RIGHT_READ, MOS_RIGHT_READ | MOS_RIGHT_WRITE, MOS_RIGHT_READ | MOS_RIGHT_EXEC };
        for (int k = 0; k < 3; k++) {
            long m = mos_mem_map(c, MOS_SELF, VA, 0, 1, prots[k]);
            bool allowed = (r & needs[k]) == needs[k];
            if ((m == 0) != allowed || (!allowed && m != -MOS_EPERM)) {
                EXPECTF(0, "rights 0x%x, prot 0x%llx: mem_map %ld", r, (unsigned long long)prots[k], m);
                bad++;
            }
            if (m == 0)
                EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 1);
        }
        /* Through a message: exactly the same rights arrive, and only
         * with GRANT (otherwise it is lost). */
        buf->caps[0] = (mos_handle_t)c;
        buf->cap_flags = 0;
        struct mos_msg reply;
        long e = mos_ipc_call_m(ep, mos_msginfo(1, 0, 1, 0), NULL, &reply);
        uint64_t want = (r & MOS_RIGHT_GRANT) ? r : 0xFFFF;
        if (e != 0 || reply.w[0] != want || reply.w[1] != !(r & MOS_RIGHT_GRANT)) {
            EXPECTF(0, "rights 0x%x through a message: %ld, arrived 0x%llx, lost %llu", r, e,
                    (unsigned long long)reply.w[0], (unsigned long long)reply.w[1]);
            bad++;
        }
        EXPECT_EQ(inspect((mos_handle_t)c).rights, r);
        EXPECT_EQ(mos_cap_delete(c), 0);
    }
    struct mos_msg reply;
    EXPECT_EQ(mos_ipc_call_m(ep, mos_msginfo(LABEL_STOP, 0, 0, 0), NULL, &reply), 0);
    EXPECT_EQ(mos_thread_join(&echo, 2000000000ull), 0);
    EXPECT_EQ(mos_proc_destroy(proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(proc), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
}
