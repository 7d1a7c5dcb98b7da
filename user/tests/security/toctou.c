// SPDX-License-Identifier: MIT
/* security/toctou - the kernel reads a user structure once and checks its
 * own copy. Only two calls read structures from user memory: proc_create
 * (struct mos_proc_args, copy_from_user into a local) and a message with
 * capabilities (caps[] and cap_flags of the sender's IPC buffer, copied
 * once in transfer_caps). Everything else arrives in registers (mem_grant,
 * cap_transfer, thread_create: no window), or is data the kernel never
 * interprets (debug_write text, payloads). Here a second thread on another
 * CPU rewrites the structure between a valid and an invalid value while
 * the call runs; every outcome must match one whole snapshot: a created
 * process always has the valid quota, a received capability is always the
 * one with GRANT. Under plain QEMU (the realtime scenario) the threads run
 * truly in parallel; under -icount they interleave only at PAUSE and slice
 * boundaries, never inside a system call, so there this checks outcomes
 * only: a planted second read of mos_proc_args went unnoticed under -icount
 * (and under plain QEMU on a loaded host). The scramble group proves the
 * single read deterministically on the sectest kernel. */
#include "utest.h"
#include <mos/kinfo.h>

#define MS 1000000ull
#define GOOD_QUOTA 48u
#define BAD_QUOTA  (1ull << 40)             /* above the 2^28-page limit */

static unsigned ncpus(void)
{
    unsigned n = ((const volatile struct mos_kinfo *)MOS_KINFO_ADDR)->ncpus;
    return n ? n : 1;
}

static int other_cpu(void)
{
    return ncpus() > 1 ? 1 : 0;
}

static void relax(void)
{
    if (ncpus() == 1)
        (void)mos_thread_yield();
    else
        __asm__ volatile("pause" ::: "memory");
}

/* ---- proc_create ---- */

static struct {
    struct mos_proc_args args;
    volatile bool stop;
    volatile uint64_t flips;
} pc;

static void flip_proc_args(void *arg)
{
    (void)arg;
    volatile struct mos_proc_args *a = &pc.args;
    for (uint64_t i = 0; !pc.stop; i++) {
        a->quota_pages = (i & 1) ? BAD_QUOTA : GOOD_QUOTA;
        a->cspace_slots = (i & 2) ? 0 : 16;                 /* 0 is refused */
        a->name[0] = (char)('a' + (i & 7));
        pc.flips = i;
        relax();
    }
}

struct caller_ctx {
    unsigned calls, made, refused, odd;
};

/* On CPU 0: proc_create with the block the flipper keeps rewriting. */
static void proc_caller(void *arg)
{
    struct caller_ctx *c = arg;
    for (unsigned i = 0; i < c->calls; i++) {
        long p = mos_proc_create((uint64_t)&pc.args);
        if (p >= 0) {
            struct mos_cap_info info;
            EXPECT_EQ(mos_cap_inspect(p, (uint64_t)&info, MOS_SELF, 0), 0);
            EXPECTF(info.u.proc.quota_pages == GOOD_QUOTA, "call %u: a process with quota %llu pages", i,
                    (unsigned long long)info.u.proc.quota_pages);
            EXPECTF(info.u.proc.name[0] >= 'a' && info.u.proc.name[0] <= 'h', "call %u: name '%s'", i,
                    info.u.proc.name);
            EXPECT_EQ(mos_proc_destroy(p, 0), 0);
            EXPECT_EQ(mos_cap_delete(p), 0);
            c->made++;
        } else if (p == -MOS_EINVAL) {
            c->refused++;
        } else if (c->odd++ == 0) {
            EXPECTF(0, "call %u: %s", i, mos_strerror(p));
        }
        relax();
    }
}

UTEST(proc_create_uses_one_copy_of_its_arguments)
{
    pc.args = (struct mos_proc_args){ .quota_pages = GOOD_QUOTA, .cspace_slots = 16 };
    memcpy(pc.args.name, "atoctou", 8);             /* name[0] in a..h, as the flipper writes it */
    pc.stop = false;
    static struct caller_ctx c;
    c = (struct caller_ctx){ .calls = 1000 };
    struct mos_thread ft, ct;
    if (MUST(mos_thread_start(&ft, flip_proc_args, NULL, 0, other_cpu())) < 0)
        return;
    if (MUST(mos_thread_start(&ct, proc_caller, &c, 0, 0)) == 0)
        EXPECT_EQ(mos_thread_join(&ct, 30000 * MS), 0);
    pc.stop = true;
    EXPECT_EQ(mos_thread_join(&ft, 2000 * MS), 0);
    /* Under -icount the two interleave at PAUSE, deterministically; under
     * plain QEMU on a loaded host the flipper may not run at all while the
     * calls are made, so there only the outcomes are checked. */
    if (!utest_realtime())
        EXPECTF(c.made > 0 && c.refused > 0, "%u created, %u refused: the flipper never interleaved", c.made,
                c.refused);
    printf("toctou: proc_create %u created, %u refused, %llu flips\n", c.made, c.refused,
           (unsigned long long)pc.flips);
}

/* ---- capabilities named in the sender's IPC buffer ---- */

static struct {
    mos_handle_t with_grant, without_grant;
    volatile struct mos_ipc_buffer *buf;     /* the sender's */
    volatile bool stop;
} cf;

static void flip_cap_handles(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; !cf.stop; i++) {
        cf.buf->caps[0] = (i & 1) ? cf.without_grant : cf.with_grant;
        cf.buf->caps[1] = (i & 2) ? cf.with_grant : cf.without_grant;
        relax();
    }
}

struct sender_ctx {
    mos_handle_t ep;
    unsigned n;
    long err;
    volatile bool ready;
};

static void cap_sender(void *arg)
{
    struct sender_ctx *s = arg;
    cf.buf = (volatile struct mos_ipc_buffer *)mos_ipc_buffer();
    cf.buf->cap_flags = 0;
    s->ready = true;
    for (unsigned i = 0; i < s->n; i++) {
        long r = mos_ipc_send(s->ep, mos_msginfo(5, 0, 2, 0), i, 0, 0, 0);
        if (r != 0) {
            s->err = r;
            return;
        }
    }
}

UTEST(capabilities_in_a_message_are_checked_and_taken_from_one_copy)
{
    enum { MSGS = 1000 };
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long a = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long b0 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long b = MUST(mos_cap_transfer(b0, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));  /* no GRANT */
    struct mos_cap_info ai = { 0 }, bi = { 0 };
    EXPECT_EQ(mos_cap_inspect(a, (uint64_t)&ai, MOS_SELF, 0), 0);
    EXPECT_EQ(mos_cap_inspect(b, (uint64_t)&bi, MOS_SELF, 0), 0);
    cf.with_grant = (mos_handle_t)a;
    cf.without_grant = (mos_handle_t)b;
    cf.stop = false;
    static struct sender_ctx s;
    s = (struct sender_ctx){ .ep = (mos_handle_t)ep, .n = MSGS };
    struct mos_thread st, ft;
    if (MUST(mos_thread_start(&st, cap_sender, &s, 0, 0)) < 0)
        return;
    while (!s.ready)
        (void)mos_thread_yield();
    if (MUST(mos_thread_start(&ft, flip_cap_handles, NULL, 0, other_cpu())) < 0)
        return;
    struct mos_ipc_buffer *mine = mos_ipc_buffer();
    unsigned got[3] = { 0 }, wrong = 0;
    for (unsigned i = 0; i < MSGS; i++) {
        struct mos_msg m;
        long r = mos_ipc_recv_m((mos_handle_t)ep, 5000 * MS, 0, &m);
        if (r != 0) {
            EXPECTF(0, "message %u: %s", i, mos_strerror(r));
            break;
        }
        uint32_t n = mos_msg_ncaps(m.info);
        got[n < 3 ? n : 2]++;
        EXPECTF(n <= 2, "message %u: %u capabilities", i, n);
        /* Exactly the capabilities with GRANT arrive; one without is lost. */
        EXPECTF((n == 2) == !(mos_msg_flags(m.info) & MOS_MSG_LOST), "message %u: %u caps, flags 0x%x", i, n,
                mos_msg_flags(m.info));
        for (uint32_t k = 0; k < n && k < 2; k++) {
            struct mos_cap_info ri;
            long e = mos_cap_inspect(mine->caps[k], (uint64_t)&ri, MOS_SELF, 0);
            if (e != 0 || ri.object_id != ai.object_id || ri.rights != ai.rights) {
                if (wrong++ == 0)
                    EXPECTF(0, "message %u: received object %llu rights 0x%x; only object %llu (rights 0x%x) "
                            "has GRANT", i, (unsigned long long)ri.object_id, ri.rights,
                            (unsigned long long)ai.object_id, ai.rights);
            }
            EXPECT_EQ(mos_cap_delete(mine->caps[k]), 0);
        }
    }
    cf.stop = true;
    EXPECT_EQ(mos_thread_join(&ft, 2000 * MS), 0);
    EXPECT_EQ(mos_thread_join(&st, 2000 * MS), 0);
    EXPECTF(s.err == 0, "sender: %s", mos_strerror(s.err));
    EXPECT_EQ(wrong, 0);
    EXPECTF(bi.object_id != ai.object_id, "two endpoints, one id");
    printf("toctou: %u messages with 0/1/2 capabilities delivered: %u/%u/%u\n", MSGS, got[0], got[1], got[2]);
    EXPECT_EQ(mos_cap_delete(b), 0);
    EXPECT_EQ(mos_cap_delete(b0), 0);
    EXPECT_EQ(mos_cap_delete(a), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
