/* SPDX-License-Identifier: MIT */
/* cycles.h - leak cycles shared by the leak group (short counts, every test
 * run) and the longleak group (the long counts, their own QEMU run): the
 * kernel information page's counters (free frames, heap bytes and objects,
 * live objects per type, mapping records) are recorded after a warm-up,
 * many cycles run, and every counter must come back exactly. Cycles here:
 * call/reply round trips with a server thread, memory grants into another
 * process revoked again, and capability trees (random shapes, spanning two
 * processes, some nodes moved, memory nodes mapped) revoked from their top.
 * Static inline functions: include it in one file of a test program. */
#pragma once

#include "utest.h"
#include <mos/kinfo.h>

#define CYC_MS 1000000ull
#define CYC_GRANT_VA 0x0000470000000000ull    /* where grants are mapped in the target */
#define CYC_TREE_VA  0x0000480000000000ull    /* where tree nodes are mapped */
#define CYC_STOP 0xDEADu

static volatile struct mos_kinfo *const cyc_kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

struct cyc_counters {
    uint64_t free_frames, heap_bytes, heap_objects, mappings;
    uint64_t objects[8];
};

static inline void cyc_snapshot(struct cyc_counters *c)
{
    c->free_frames = cyc_kinfo->free_frames;
    c->heap_bytes = cyc_kinfo->heap_bytes;
    c->heap_objects = cyc_kinfo->heap_objects;
    c->mappings = cyc_kinfo->mappings;
    for (int k = 0; k < 8; k++)
        c->objects[k] = cyc_kinfo->objects[k];
}

static inline void cyc_nothing(void *arg)
{
    (void)arg;
}

/* The kernel keeps up to 64 freed kernel stacks mapped for reuse (kstack.c),
 * so the free-frame count depends on how many threads were ever alive at
 * once. Having CYC_WARM_THREADS alive together once, before the baseline,
 * fills that cache beyond anything the cycles need: they then take stacks
 * from it and give them back, and the count comes back exactly. */
#define CYC_WARM_THREADS 8

/* Let deferred reclamation finish (a dead thread is reaped by the next
 * thread its CPU runs), then take the baseline. */
static inline void cyc_baseline(struct cyc_counters *c)
{
    struct mos_thread t[CYC_WARM_THREADS];
    unsigned n = 0;
    while (n < CYC_WARM_THREADS && mos_thread_start(&t[n], cyc_nothing, NULL, 0, (int)(n % cyc_kinfo->ncpus)) == 0)
        n++;
    for (unsigned i = 0; i < n; i++)
        EXPECT_EQ(mos_thread_join(&t[i], 1000 * CYC_MS), 0);
    (void)mos_thread_block(5 * CYC_MS);
    cyc_snapshot(c);
}

/* Wait (at most 500 ms) for the counters to come back to *base, then
 * compare each exactly; prints the differences when they do not. */
static inline bool cyc_expect_back(const struct cyc_counters *base, const char *after)
{
    struct cyc_counters now;
    uint64_t deadline = utest_now_ns() + 500 * CYC_MS;
    for (;;) {
        cyc_snapshot(&now);
        if (memcmp(&now, base, sizeof now) == 0 || utest_now_ns() >= deadline)
            break;
        (void)mos_thread_block(CYC_MS);
    }
    if (memcmp(&now, base, sizeof now) == 0)
        return true;
    static const char *const names[8] = { "none", "MEMORY", "ENDPOINT", "IRQ", "PROCESS", "THREAD", "IOPORT",
                                          "REPLY" };
    char line[400];
    int len = snprintf(line, sizeof line, "after %s: frames %+lld heap bytes %+lld heap objects %+lld mappings %+lld",
                       after, (long long)(now.free_frames - base->free_frames),
                       (long long)(now.heap_bytes - base->heap_bytes),
                       (long long)(now.heap_objects - base->heap_objects),
                       (long long)(now.mappings - base->mappings));
    for (int k = 1; k < 8 && len > 0 && (size_t)len < sizeof line; k++)
        if (now.objects[k] != base->objects[k])
            len += snprintf(line + len, sizeof line - (size_t)len, " %s %+lld", names[k],
                            (long long)(now.objects[k] - base->objects[k]));
    printf("leak: %s\n", line);
    utest_fail(__FILE__, __LINE__, "%s", line);
    return false;
}

static inline uint64_t cyc_elapsed_ms(uint64_t t0)
{
    return (utest_now_ns() - t0) / CYC_MS;
}

/* ---- call/reply round trips ---- */

static inline void cyc_echo_server(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r == 0 && mos_msg_label(m.info) != CYC_STOP) {
        uint64_t w[MOS_MSG_WORDS] = { m.w[0] + 1, m.w[1] ^ m.w[0], m.w[2], m.w[3] };
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    }
    if (r == 0)
        (void)mos_ipc_reply(0, mos_msginfo(CYC_STOP, 0, 0, 0), 0, 0, 0, 0);
}

/* n round trips to a server thread started (on `cpu`, -1 = any) and joined
 * here; every reply is checked. */
static inline void cyc_round_trips(unsigned n, int cpu)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_thread t;
    if (ep < 0 || MUST(mos_thread_start(&t, cyc_echo_server, (void *)(uintptr_t)ep, 0, cpu)) < 0)
        return;
    for (unsigned i = 0; i < n; i++) {
        uint64_t w[MOS_MSG_WORDS] = { i, 0x5A5A, 3, 4 };
        struct mos_msg r;
        long err = mos_ipc_call_m(ep, mos_msginfo(7, 0, 0, 0), w, &r);
        if (err != 0 || r.w[0] != i + 1 || r.w[1] != (0x5A5Aull ^ i) || mos_msg_label(r.info) != 1) {
            utest_fail(__FILE__, __LINE__, "round trip %u: %s, w0 %llu", i, mos_strerror(err),
                       (unsigned long long)r.w[0]);
            break;
        }
    }
    struct mos_msg r;
    EXPECT_EQ(mos_ipc_call_m(ep, mos_msginfo(CYC_STOP, 0, 0, 0), NULL, &r), 0);
    EXPECT_EQ(mos_thread_join(&t, 1000 * CYC_MS), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* ---- a process to grant and transfer into ---- */

/* A process without threads (quota 64 pages, 64 slots) that this one
 * holds: a target for grants, transfers and mappings. */
static inline long cyc_target(void)
{
    struct mos_proc_args a = { .quota_pages = 64, .cspace_slots = 64 };
    memcpy(a.name, "leak-target", sizeof "leak-target");
    return mos_proc_create((uint64_t)&a);
}

static inline uint32_t cyc_caps_used(mos_handle_t proc)
{
    struct mos_cap_info i;
    return mos_cap_inspect(proc, (uint64_t)&i, MOS_SELF, 0) == 0 ? i.u.proc.caps_used : UINT32_MAX;
}

/* ---- grant and revoke ---- */

/* n cycles: grant one page (mapped in the target at CYC_GRANT_VA every
 * other cycle, every fourth cycle a second, unmapped grant as well), then
 * revoke the capability the grants hang below; the revoke must report each
 * grant, the target must be back to its capability count. */
static inline void cyc_grant_revoke(unsigned n, mos_handle_t target)
{
    long mem = MUST(mos_mem_alloc(2, 0));
    long mid = MUST(mos_cap_transfer(mem, MOS_SELF, MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, 0, 0, 0));
    uint32_t used0 = cyc_caps_used(target);
    if (mem < 0 || mid < 0)
        return;
    unsigned bad = 0;
    for (unsigned i = 0; i < n && bad < 3; i++) {
        uint64_t rights = (i & 2) ? MOS_RIGHT_READ : MOS_RIGHT_READ | MOS_RIGHT_WRITE;
        long want = 1;
        long g = mos_mem_grant(mid, target, i & 1, 1, rights, (i & 1) ? CYC_GRANT_VA : 0);
        if (g > 0 && (i & 3) == 3) {
            g = mos_mem_grant(mid, target, 0, 2, MOS_RIGHT_READ, 0);
            want = 2;
        }
        long r = g > 0 ? mos_cap_revoke(mid) : g;
        if (g <= 0 || r != want) {
            utest_fail(__FILE__, __LINE__, "grant/revoke cycle %u: grant %ld, revoke %ld (expected %ld)", i, g, r,
                       want);
            bad++;
        }
        if (i % 1024 == 0 && cyc_caps_used(target) != used0) {
            utest_fail(__FILE__, __LINE__, "cycle %u: the target holds %u capabilities, expected %u", i,
                       cyc_caps_used(target), used0);
            bad++;
        }
    }
    EXPECT_EQ(cyc_caps_used(target), used0);
    EXPECT_EQ(mos_cap_delete(mid), 0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
}

/* ---- capability trees ---- */

static uint64_t cyc_rng;

static inline uint64_t cyc_rand(void)
{
    cyc_rng ^= cyc_rng << 13;
    cyc_rng ^= cyc_rng >> 7;
    cyc_rng ^= cyc_rng << 17;
    return cyc_rng;
}

/* One tree below a fresh top capability derived from root (an ENDPOINT or
 * a 4-page MEMORY capability): 2..12 nodes, each derived from a random
 * earlier node of this process (its rights narrowed at random, GRANT kept
 * so it can be derived again; memory ranges narrowed at random), a third of them copied into the target, some
 * moved there afterwards, memory nodes mapped (here or in the target).
 * Revoking the top must delete exactly the nodes made. Returns false on a
 * mismatch (after recording it). */
static inline bool cyc_one_tree(mos_handle_t root, bool memory, mos_handle_t target, unsigned cycle)
{
    enum { MAXN = 12 };
    long top = mos_cap_transfer(root, MOS_SELF, MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, 0, 0, 0);
    if (top < 0) {
        utest_fail(__FILE__, __LINE__, "tree %u: deriving the top: %s", cycle, mos_strerror(top));
        return false;
    }
    mos_handle_t mine[MAXN + 1];
    uint64_t mine_rights[MAXN + 1];
    unsigned nmine = 0, made = 0, nodes = 2 + (unsigned)(cyc_rand() % (MAXN - 1));
    unsigned mapped = 0;
    mine_rights[nmine] = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC;
    mine[nmine++] = (mos_handle_t)top;
    for (unsigned k = 0; k < nodes; k++) {
        unsigned pi = (unsigned)(cyc_rand() % nmine);
        mos_handle_t parent = mine[pi];
        uint64_t rights = MOS_RIGHT_GRANT | (cyc_rand() & mine_rights[pi] &
                                             (MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_REVOKE));
        bool there = cyc_rand() % 3 == 0;
        uint64_t base = 0, count = 0;
        if (memory && (cyc_rand() & 1)) {
            struct mos_cap_info info;
            if (mos_cap_inspect(parent, (uint64_t)&info, MOS_SELF, 0) == 0 && info.count > 0) {
                count = 1 + cyc_rand() % info.count;
                base = info.base + cyc_rand() % (info.count - count + 1);
            }
        }
        long h = mos_cap_transfer(parent, there ? target : MOS_SELF, rights, 0, base, count);
        if (h < 0) {
            utest_fail(__FILE__, __LINE__, "tree %u node %u: %s", cycle, k, mos_strerror(h));
            break;
        }
        made++;
        if (!there) {
            /* Some of ours move to the target at once (the CDT place goes
             * with them); the others can parent more nodes. */
            if (cyc_rand() % 5 == 0) {
                long mv = mos_cap_transfer((mos_handle_t)h, target, rights | MOS_XFER_MOVE, 0, 0, 0);
                if (mv < 0) {
                    utest_fail(__FILE__, __LINE__, "tree %u: move: %s", cycle, mos_strerror(mv));
                    break;
                }
            } else {
                if (memory && mapped < 4 && (rights & MOS_RIGHT_READ) && (cyc_rand() & 1)) {
                    long r = mos_mem_map((mos_handle_t)h, (cyc_rand() & 1) ? target : MOS_SELF,
                                         CYC_TREE_VA + mapped * 0x10000ull, 0, 1, MOS_PROT_READ);
                    if (r == 0)
                        mapped++;
                    else if (r != -MOS_EEXIST)
                        utest_fail(__FILE__, __LINE__, "tree %u: map: %s", cycle, mos_strerror(r));
                }
                mine_rights[nmine] = rights;
                mine[nmine++] = (mos_handle_t)h;
            }
        }
    }
    long got = mos_cap_revoke((mos_handle_t)top);
    long del = mos_cap_delete((mos_handle_t)top);
    if (got != (long)made || del != 0) {
        utest_fail(__FILE__, __LINE__, "tree %u: revoke deleted %ld of %u nodes (delete: %ld)", cycle, got, made,
                   del);
        return false;
    }
    return true;
}

/* n trees, alternating ENDPOINT and MEMORY roots; seeded, so a failing
 * cycle can be replayed. */
static inline void cyc_cap_trees(unsigned n, mos_handle_t target, uint64_t seed)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long mem = MUST(mos_mem_alloc(4, 0));
    uint32_t used0 = cyc_caps_used(target);
    cyc_rng = seed | 1;
    unsigned bad = 0;
    for (unsigned i = 0; i < n && bad < 3; i++) {
        bool memory = i & 1;
        if (!cyc_one_tree((mos_handle_t)(memory ? mem : ep), memory, target, i))
            bad++;
    }
    EXPECT_EQ(cyc_caps_used(target), used0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
