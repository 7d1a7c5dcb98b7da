// SPDX-License-Identifier: MIT
/* leak - nothing leaks: after a warm-up round (which fills the kernel's
 * object caches and this process's page tables), the kernel information
 * page's counters (free frames, heap bytes and objects, live objects per
 * type, mapping records) are recorded; then many process lifetimes and IPC
 * round trips run, and every counter must come back exactly. Reclamation
 * that the kernel does asynchronously (a dead thread is reaped by the next
 * thread its CPU runs) is given a moment to finish; the comparison itself
 * is exact. The guest time of each phase is logged. */
#include "utest.h"
#include "../proc/childproc.h"

#define MS 1000000ull
#define PROCESS_CYCLES 1000
#define IPC_ROUND_TRIPS 100000
#define LABEL_STOP 0xDEAD

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

struct counters {
    uint64_t free_frames, heap_bytes, heap_objects, mappings;
    uint64_t objects[8];
};

static void snapshot(struct counters *c)
{
    c->free_frames = kinfo->free_frames;
    c->heap_bytes = kinfo->heap_bytes;
    c->heap_objects = kinfo->heap_objects;
    c->mappings = kinfo->mappings;
    for (int k = 0; k < 8; k++)
        c->objects[k] = kinfo->objects[k];
}

static bool same(const struct counters *a, const struct counters *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* Wait (at most 500 ms) for the counters to settle back to *base, then
 * compare every one exactly. */
static void expect_back_to(const struct counters *base, const char *after)
{
    struct counters now;
    uint64_t deadline = utest_now_ns() + 500 * MS;
    for (;;) {
        snapshot(&now);
        if (same(&now, base) || utest_now_ns() >= deadline)
            break;
        (void)mos_thread_block(MS);
    }
    static const char *const names[8] = { "none", "MEMORY", "ENDPOINT", "IRQ", "PROCESS", "THREAD", "IOPORT",
                                          "REPLY" };
#define SAME(field, what)                                                                                        \
    EXPECTF(now.field == base->field, "after %s: %s %llu, was %llu (%+lld)", after, what,                        \
            (unsigned long long)now.field, (unsigned long long)base->field,                                      \
            (long long)(now.field - base->field))
    SAME(free_frames, "free frames");
    SAME(heap_bytes, "heap bytes");
    SAME(heap_objects, "heap objects");
    SAME(mappings, "mapping records");
    for (int k = 0; k < 8; k++)
        SAME(objects[k], names[k]);
#undef SAME
    if (!same(&now, base)) {
        char line[400];
        int len = snprintf(line, sizeof line, "leak: after %s: frames %+lld heap bytes %+lld heap objects %+lld "
                           "mappings %+lld", after, (long long)(now.free_frames - base->free_frames),
                           (long long)(now.heap_bytes - base->heap_bytes),
                           (long long)(now.heap_objects - base->heap_objects),
                           (long long)(now.mappings - base->mappings));
        for (int k = 1; k < 8 && len > 0 && (size_t)len < sizeof line; k++)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s %+lld", names[k],
                            (long long)(now.objects[k] - base->objects[k]));
        printf("%s\n", line);
    }
}

/* n process lifetimes: create with an exit endpoint, map the code page and
 * a fresh stack page (moved into it), start a thread that pushes onto its
 * stack and ends itself, wait for the exit notification, check why it
 * died, delete the THREAD and PROCESS capabilities. */
static void process_cycles(unsigned n, mos_handle_t code, mos_handle_t ep)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < n && bad < 3; i++) {
        struct raw_child c = { 0 };
        long r = raw_child_create(&c, 64, 16, ep, "leak-cycle", code, true);
        if (r < 0) {
            EXPECTF(0, "cycle %u: creating the child: %s", i, mos_strerror(r));
            bad++;
            continue;
        }
        long t = raw_child_thread(&c, raw_stack_exit_thread, i, 16);
        EXPECTF(t > 0, "cycle %u: thread_create: %s", i, mos_strerror(t));
        struct mos_msg m;
        r = t > 0 ? mos_ipc_recv_m(ep, 1000 * MS, 0, &m) : -1;
        EXPECTF(r == 0 && (mos_msg_flags(m.info) & MOS_MSG_NOTIFY), "cycle %u: no exit notification (%ld)", i, r);
        struct mos_cap_info info;
        r = wait_dead(c.proc, 0, 1000, &info);
        if (r != 0 || info.u.proc.exit_reason != MOS_EXIT_NO_THREADS) {
            EXPECTF(0, "cycle %u: child state %u reason %u", i, info.u.proc.state, info.u.proc.exit_reason);
            bad++;
            (void)mos_proc_destroy(c.proc, 0);
        }
        if (t > 0)
            EXPECT_EQ(mos_cap_delete(t), 0);
        EXPECT_EQ(mos_cap_delete(c.proc), 0);
    }
}

static void echo_server(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r == 0 && mos_msg_label(m.info) != LABEL_STOP) {
        uint64_t w[MOS_MSG_WORDS] = { m.w[0] + 1, m.w[1] ^ m.w[0], m.w[2], m.w[3] };
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    }
    if (r == 0)
        (void)mos_ipc_reply(0, mos_msginfo(LABEL_STOP, 0, 0, 0), 0, 0, 0, 0);
}

/* n call/reply round trips to a server thread of this process, started
 * and joined here; returns how many replies were wrong. */
static void ipc_round_trips(unsigned n)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, echo_server, (void *)(uintptr_t)ep, 0, -1), 0);
    unsigned wrong = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t w[MOS_MSG_WORDS] = { i, 0x5A5A, 3, 4 };
        struct mos_msg r;
        long err = mos_ipc_call_m(ep, mos_msginfo(7, 0, 0, 0), w, &r);
        if (err != 0 || r.w[0] != i + 1 || r.w[1] != (0x5A5Aull ^ i) || mos_msg_label(r.info) != 1) {
            if (wrong++ == 0)
                EXPECTF(0, "round trip %u: %ld, w0 %llu", i, err, (unsigned long long)r.w[0]);
            if (err != 0)
                break;
        }
    }
    EXPECT_EQ(wrong, 0);
    struct mos_msg r;
    EXPECT_EQ(mos_ipc_call_m(ep, mos_msginfo(LABEL_STOP, 0, 0, 0), NULL, &r), 0);
    EXPECT_EQ(mos_msg_label(r.info), LABEL_STOP);
    EXPECT_EQ(mos_thread_join(&t, 1000 * MS), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

static uint64_t elapsed_ms(uint64_t t0)
{
    return (utest_now_ns() - t0) / MS;
}

UTEST(process_cycles_leave_no_trace)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    process_cycles(20, code, ep);                   /* warm-up */
    struct counters base;
    (void)mos_thread_block(5 * MS);
    snapshot(&base);
    uint64_t t0 = utest_now_ns();
    process_cycles(PROCESS_CYCLES, code, ep);
    printf("leak: %u process cycles took %llu ms of guest time\n", PROCESS_CYCLES,
           (unsigned long long)elapsed_ms(t0));
    expect_back_to(&base, "process cycles");
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(ipc_round_trips_leave_no_trace)
{
    ipc_round_trips(1000);                          /* warm-up */
    struct counters base;
    (void)mos_thread_block(5 * MS);
    snapshot(&base);
    uint64_t t0 = utest_now_ns();
    ipc_round_trips(IPC_ROUND_TRIPS);
    printf("leak: %u IPC round trips took %llu ms of guest time\n", IPC_ROUND_TRIPS,
           (unsigned long long)elapsed_ms(t0));
    expect_back_to(&base, "IPC round trips");
}

UTEST(no_leaks_after_process_cycles_and_ipc_round_trips)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    process_cycles(20, code, ep);                   /* warm-up of both */
    ipc_round_trips(1000);
    struct counters base;
    (void)mos_thread_block(5 * MS);
    snapshot(&base);
    uint64_t t0 = utest_now_ns();
    process_cycles(PROCESS_CYCLES, code, ep);
    ipc_round_trips(IPC_ROUND_TRIPS);
    printf("leak: %u process cycles and %u IPC round trips took %llu ms of guest time\n", PROCESS_CYCLES,
           IPC_ROUND_TRIPS, (unsigned long long)elapsed_ms(t0));
    expect_back_to(&base, "process cycles and IPC round trips");
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST_CHILD(unused)
{
    return (long)arg;
}
