// SPDX-License-Identifier: MIT
/* smp - IPC and revocation across CPUs (run on 4 CPUs in CI; on 1 CPU the
 * same cases pass but every "other CPU" is CPU 0): a 10,000-round-trip
 * ping-pong between two processes pinned to different CPUs, eight callers
 * on all CPUs against a pool of four reply_recv servers, and revocation of
 * a page that a process on another CPU is reading in a tight loop.
 * Children pinned to a CPU are started with mos_spawn (utest_run_child
 * cannot pin, nor give the parent the PROCESS handle mem_grant needs); they
 * are this program run as "<self> --child <name> <arg>", like
 * utest_run_child's. */
#include "utest.h"
#include "lib/tar.h"

#define MS(n) ((uint64_t)(n) * 1000000ull)
#define SMP_INITRD_VA 0x0000310000000000ull

static unsigned ncpus(void)
{
    unsigned n = ((const struct mos_kinfo *)MOS_KINFO_ADDR)->ncpus;
    return n ? n : 1;
}

/* CPU k of "another CPU" pairs: k when it exists, else CPU 0. */
static unsigned cpu_or_0(unsigned k)
{
    return k < ncpus() ? k : 0;
}

static const void *self_image;
static size_t self_image_len;
static const char *self_path;

static bool find_self(void)
{
    if (self_image)
        return true;
    const struct mos_start *sb = mos_start_block();
    if (!sb || sb->argc < 1)
        return false;
    self_path = ((const char *const *)(uintptr_t)sb->argv)[0];
    mos_handle_t initrd = mos_cap_by_name("initrd");
    struct mos_cap_info info;
    if (!initrd || mos_cap_inspect(initrd, (uint64_t)&info, MOS_SELF, 0) != 0)
        return false;
    if (mos_mem_map(initrd, MOS_SELF, SMP_INITRD_VA, 0, info.count, MOS_PROT_READ) != 0)
        return false;
    struct tar_entry e;
    const char *path = self_path[0] == '/' ? self_path + 1 : self_path;
    if (tar_find((const void *)SMP_INITRD_VA, info.count * MOS_PAGE_SIZE, path, &e) != 0)
        return false;
    self_image = e.data;
    self_image_len = e.size;
    return true;
}

/* Start child function `name`(arg) in a new process whose main thread is
 * pinned to `cpu`, with the initrd (the harness needs it) and the named
 * capabilities. Returns the PROCESS handle (> 0) or 0 after recording a
 * failure. *thread gets the main THREAD handle. */
static mos_handle_t spawn_pinned(const char *name, uint64_t arg, const struct mos_spawn_cap *caps, uint32_t ncaps,
                                 unsigned cpu, mos_handle_t exit_ep, uint32_t quota, mos_handle_t *thread)
{
    if (!find_self()) {
        utest_fail(__FILE__, __LINE__, "cannot find this program's image");
        return 0;
    }
    char argbuf[24];
    snprintf(argbuf, sizeof argbuf, "%llu", (unsigned long long)arg);
    const char *argv[] = { self_path, "--child", name, argbuf, NULL };
    struct mos_spawn_cap all[8];
    uint32_t n = 0;
    all[n++] = (struct mos_spawn_cap){ .handle = mos_cap_by_name("initrd"),
                                       .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT, .name = "initrd" };
    for (uint32_t i = 0; i < ncaps && n < 8; i++)
        all[n++] = caps[i];
    struct mos_spawn_args a = {
        .image = self_image, .image_len = self_image_len, .name = name, .argc = 4, .argv = argv,
        .caps = all, .ncaps = n, .quota_pages = quota, .cpu = cpu + 1, .exit_ep = exit_ep,
        .thread_out = thread,
    };
    long p = mos_spawn(&a);
    if (p <= 0) {
        utest_fail(__FILE__, __LINE__, "spawning %s on CPU %u failed: %s", name, cpu, mos_strerror(p));
        return 0;
    }
    return (mos_handle_t)p;
}

/* Wait until process p is dead or the deadline (utest_now_ns()) passes,
 * receiving exit notifications on exit_ep. Fills *info; true if dead. */
static bool wait_dead(mos_handle_t p, mos_handle_t exit_ep, uint64_t deadline, struct mos_cap_info *info)
{
    for (;;) {
        if (mos_cap_inspect(p, (uint64_t)info, MOS_SELF, 0) == 0 && info->u.proc.state == MOS_PROC_DEAD)
            return true;
        uint64_t now = utest_now_ns();
        if (now >= deadline)
            return false;
        struct mos_msg m;
        (void)mos_ipc_recv_m(exit_ep, deadline - now, 0, &m);
    }
}

/* ---- ping-pong between two pinned processes ---- */

#define PP_LABEL 1
#define PP_STOP  2

/* The server: answers w0 + 1, ~w0 and the round number, until PP_STOP. */
UTEST_CHILD(pingpong_server)
{
    (void)arg;
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_recv_m(ep, MS(30000), 0, &m) != 0)
        return 101;
    for (;;) {
        if (!(mos_msg_flags(m.info) & MOS_MSG_CALL))
            return 102;
        if (mos_msg_label(m.info) == PP_STOP)
            return mos_ipc_reply(0, mos_msginfo(PP_STOP, 0, 0, 0), 0, 0, 0, 0) == 0 ? 0 : 103;
        const uint64_t w[4] = { m.w[0] + 1, ~m.w[0], m.w[1], 0 };
        if (mos_ipc_reply_recv_m(ep, mos_msginfo(PP_LABEL, 0, 0, 0), w, &m) != 0)
            return 104;
    }
}

/* The client: arg round trips, each payload word checked. Exit code 0, or
 * 1 + the first round that went wrong (capped), or 100+ for setup. */
UTEST_CHILD(pingpong_client)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    long bad = 0;
    for (uint64_t i = 0; i < arg; i++) {
        const uint64_t w[4] = { i * 0x9E3779B97F4A7C15ull, i, 0, 0 };
        struct mos_msg r;
        if (mos_ipc_call_m(ep, mos_msginfo(PP_LABEL, 0, 0, 0), w, &r) != 0 || mos_msg_label(r.info) != PP_LABEL ||
            r.w[0] != w[0] + 1 || r.w[1] != ~w[0] || r.w[2] != i) {
            bad = 1 + (long)(i < 10000 ? i : 9999);
            break;
        }
    }
    struct mos_msg r;
    if (mos_ipc_call_m(ep, mos_msginfo(PP_STOP, 0, 0, 0), NULL, &r) != 0 && !bad)
        return 101;
    return bad;
}

UTEST(pingpong_10000_round_trips_between_processes_on_two_cpus)
{
    enum { ROUNDS = 10000 };
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long exit_ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap srv_caps[] = { { .handle = (mos_handle_t)ep, .rights = MOS_RIGHT_READ, .name = "ep" } };
    struct mos_spawn_cap cli_caps[] = { { .handle = (mos_handle_t)ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } };
    unsigned scpu = cpu_or_0(1), ccpu = 0;
    mos_handle_t st = 0, ct = 0;
    uint64_t t0 = utest_now_ns();
    mos_handle_t srv = spawn_pinned("pingpong_server", 0, srv_caps, 1, scpu, (mos_handle_t)exit_ep, 512, &st);
    mos_handle_t cli = spawn_pinned("pingpong_client", ROUNDS, cli_caps, 1, ccpu, (mos_handle_t)exit_ep, 512, &ct);
    if (!srv || !cli)
        return;
    /* Each is pinned where it was asked to be. */
    struct mos_cap_info ti;
    EXPECT_EQ(mos_cap_inspect(st, (uint64_t)&ti, MOS_SELF, 0), 0);
    EXPECT_EQ(ti.u.thread.cpu, scpu);
    EXPECT_EQ(mos_cap_inspect(ct, (uint64_t)&ti, MOS_SELF, 0), 0);
    EXPECT_EQ(ti.u.thread.cpu, ccpu);
    struct mos_cap_info si, ci;
    uint64_t deadline = utest_now_ns() + MS(50000);
    bool cdead = wait_dead(cli, (mos_handle_t)exit_ep, deadline, &ci);
    bool sdead = wait_dead(srv, (mos_handle_t)exit_ep, utest_now_ns() + MS(2000), &si);
    EXPECTF(cdead, "the client did not finish %d round trips in time", ROUNDS);
    EXPECT(sdead);
    if (cdead) {
        EXPECT_EQ(ci.u.proc.exit_reason, MOS_EXIT_CALLED);
        EXPECTF(ci.u.proc.exit_code == 0, "client exit code %lld (1 + first bad round, or 100+)",
                (long long)ci.u.proc.exit_code);
    }
    if (sdead) {
        EXPECT_EQ(si.u.proc.exit_reason, MOS_EXIT_CALLED);
        EXPECT_EQ(si.u.proc.exit_code, 0);
    }
    printf("smp: %d round trips CPU %u <-> CPU %u in %llu us\n", ROUNDS, ccpu, scpu,
           (unsigned long long)((utest_now_ns() - t0) / 1000));
    (void)mos_proc_destroy(srv, -1);
    (void)mos_proc_destroy(cli, -1);
}

/* ---- many callers, a pool of servers ---- */

/* CALLS per client under -icount; a plain (realtime) run does fewer: there
 * every cross-CPU wake-up waits for the host to schedule a vCPU thread,
 * which on a loaded 2-core host costs milliseconds. */
enum { CLIENTS = 8, SERVERS = 4, CALLS = 250, REALTIME_CALLS = 60, POOL_STOP = 99 };

static unsigned pool_calls(void)
{
    return utest_realtime() ? REALTIME_CALLS : CALLS;
}

struct pool {
    mos_handle_t ep;
    uint8_t hits[CLIENTS][CALLS];       /* times each call reached a server */
    uint32_t served[SERVERS];
    long client_err[CLIENTS];           /* 0, or 1 + the first call that went wrong */
    long server_err[SERVERS];
};

struct worker {
    struct pool *pool;
    unsigned id;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7FB5D329728EA185ull;
    x ^= x >> 27;
    return x;
}

static void pool_server(void *arg)
{
    struct worker *wk = arg;
    struct pool *p = wk->pool;
    struct mos_msg m;
    long r = mos_ipc_recv_m(p->ep, MS(30000), 0, &m);
    for (;;) {
        if (r != 0) {
            p->server_err[wk->id] = r;
            return;
        }
        if (mos_msg_label(m.info) == POOL_STOP) {
            p->server_err[wk->id] = mos_ipc_reply(0, mos_msginfo(POOL_STOP, 0, 0, 0), wk->id, 0, 0, 0);
            return;
        }
        uint64_t c = m.w[0] >> 32, k = m.w[0] & 0xFFFFFFFF;
        if (c < CLIENTS && k < CALLS)
            __atomic_add_fetch(&p->hits[c][k], 1, __ATOMIC_RELAXED);
        p->served[wk->id]++;
        const uint64_t w[4] = { m.w[0], mix(m.w[0] ^ m.w[1]), wk->id, 0 };
        r = mos_ipc_reply_recv_m(p->ep, mos_msginfo(1, 0, 0, 0), w, &m);
    }
}

static void pool_client(void *arg)
{
    struct worker *wk = arg;
    struct pool *p = wk->pool;
    for (uint64_t k = 0; k < pool_calls(); k++) {
        uint64_t w0 = ((uint64_t)wk->id << 32) | k, w1 = mix(k + 1000 * wk->id);
        const uint64_t w[4] = { w0, w1, 0, 0 };
        struct mos_msg r;
        long e = mos_ipc_call_m(p->ep, mos_msginfo(1, 0, 0, 0), w, &r);
        if (e != 0 || r.w[0] != w0 || r.w[1] != mix(w0 ^ w1) || r.w[2] >= SERVERS) {
            p->client_err[wk->id] = 1 + (long)k;
            return;
        }
    }
}

UTEST(eight_callers_on_all_cpus_each_answered_once_by_server_pool)
{
    static struct pool p;
    p.ep = (mos_handle_t)MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct worker sw[SERVERS], cw[CLIENTS];
    struct mos_thread st[SERVERS], ct[CLIENTS];
    unsigned n = ncpus();
    for (unsigned i = 0; i < SERVERS; i++) {
        sw[i] = (struct worker){ &p, i };
        MUST(mos_thread_start(&st[i], pool_server, &sw[i], 0, (int)(i % n)));
    }
    for (unsigned i = 0; i < CLIENTS; i++) {
        cw[i] = (struct worker){ &p, i };
        MUST(mos_thread_start(&ct[i], pool_client, &cw[i], 0, (int)((i + 1) % n)));
    }
    for (unsigned i = 0; i < CLIENTS; i++)
        EXPECTF(mos_thread_join(&ct[i], MS(40000)) == 0, "client %u did not finish", i);
    for (unsigned i = 0; i < CLIENTS; i++)
        EXPECTF(p.client_err[i] == 0, "client %u: call %ld got a wrong answer or failed", i, p.client_err[i] - 1);
    /* One stop call per server: each answers it and leaves. */
    bool stopped[SERVERS] = { false };
    for (unsigned i = 0; i < SERVERS; i++) {
        struct mos_msg r;
        EXPECT_EQ(mos_ipc_call_m(p.ep, mos_msginfo(POOL_STOP, 0, 0, 0), NULL, &r), 0);
        EXPECT_EQ(mos_msg_label(r.info), POOL_STOP);
        if (r.w[0] < SERVERS) {
            EXPECTF(!stopped[r.w[0]], "server %llu stopped twice", (unsigned long long)r.w[0]);
            stopped[r.w[0]] = true;
        }
    }
    for (unsigned i = 0; i < SERVERS; i++) {
        EXPECTF(mos_thread_join(&st[i], MS(5000)) == 0, "server %u did not end", i);
        EXPECTF(p.server_err[i] == 0, "server %u: %s", i, mos_strerror(p.server_err[i]));
    }
    unsigned total = 0, busy = 0;
    for (unsigned i = 0; i < SERVERS; i++) {
        total += p.served[i];
        busy += p.served[i] != 0;
    }
    EXPECT_EQ(total, CLIENTS * pool_calls());
    for (unsigned c = 0; c < CLIENTS; c++)
        for (unsigned k = 0; k < pool_calls(); k++)
            EXPECTF(p.hits[c][k] == 1, "client %u call %u reached a server %u times", c, k, p.hits[c][k]);
    printf("smp: %u calls served by %u of %u servers (%u/%u/%u/%u)\n", total, busy, SERVERS, p.served[0],
           p.served[1], p.served[2], p.served[3]);
}

/* ---- revoking a page that another CPU is reading ---- */

#define READER_VA 0x0000420000000000ull
#define PARENT_VA 0x0000430000000000ull

/* Ask the parent for the page (a call: the parent grants it at arg and
 * replies with the value it holds), check it once, say so (notify), then
 * read it in a tight loop until the mapping disappears. */
UTEST_CHILD(revoke_reader)
{
    mos_handle_t ep = mos_cap_by_name("ep");
    if (!ep)
        return 100;
    struct mos_msg m;
    if (mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), NULL, &m) != 0)
        return 101;
    volatile uint64_t *p = (volatile uint64_t *)arg;
    uint64_t want = m.w[0];
    if (*p != want)
        return 102;
    if (mos_ipc_notify(ep, 1) != 0)
        return 103;
    for (;;)
        if (*p != want)
            return 104;
}

struct revoke_run {
    unsigned rounds, reader_cpu;
    unsigned ok;
    uint64_t worst_ns;
};

static void revoke_round(struct revoke_run *run, unsigned round, mos_handle_t ep, mos_handle_t exit_ep)
{
    long mem = MUST(mos_mem_alloc(1, 0));
    if (mem < 0)
        return;
    EXPECT_EQ(mos_mem_map(mem, MOS_SELF, PARENT_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    volatile uint64_t *mine = (volatile uint64_t *)PARENT_VA;
    uint64_t value = 0xC0FFEE0000ull + round;
    *mine = value;
    /* The capability derived for the purpose: the grant hangs below it. */
    long d = MUST(mos_cap_transfer(mem, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE, 0, 0, 0));
    struct mos_spawn_cap caps[] = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } };
    mos_handle_t th = 0;
    mos_handle_t child = spawn_pinned("revoke_reader", READER_VA, caps, 1, run->reader_cpu, exit_ep, 256, &th);
    if (!child)
        return;
    struct mos_msg m;
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(5000), 0, &m), 0);
    EXPECT(mos_msg_flags(m.info) & MOS_MSG_CALL);
    long g = mos_mem_grant((mos_handle_t)d, child, 0, 1, MOS_RIGHT_READ, READER_VA);
    EXPECTF(g > 0, "mem_grant: %s", mos_strerror(g));
    EXPECT_EQ(mos_ipc_reply(0, mos_msginfo(1, 0, 0, 0), value, 0, 0, 0), 0);
    EXPECT_EQ(mos_ipc_recv_m(ep, MS(5000), 0, &m), 0);       /* it has read the page */
    EXPECT(mos_msg_flags(m.info) & MOS_MSG_NOTIFY);
    /* It is reading now, on its own CPU. */
    uint64_t t0 = utest_now_ns();
    if (round % 2)
        EXPECT_EQ(mos_cap_revoke((mos_handle_t)d), 1);        /* the grant */
    else
        EXPECT_EQ(mos_cap_revoke((mos_handle_t)mem), 2);      /* the derived cap and the grant */
    struct mos_cap_info info;
    bool dead = wait_dead(child, exit_ep, t0 + MS(2000), &info);
    uint64_t dt = utest_now_ns() - t0;
    EXPECTF(dead, "round %u: the reader still runs %llu ms after the revoke", round,
            (unsigned long long)(dt / 1000000));
    if (dead) {
        EXPECTF(info.u.proc.exit_reason == MOS_EXIT_PAGE_FAULT, "round %u: reader ended with reason %u code %lld",
                round, info.u.proc.exit_reason, (long long)info.u.proc.exit_code);
        EXPECT_EQ(info.u.proc.fault_addr, READER_VA);
        if (info.u.proc.exit_reason == MOS_EXIT_PAGE_FAULT && info.u.proc.fault_addr == READER_VA)
            run->ok++;
        if (dt > run->worst_ns)
            run->worst_ns = dt;
    } else {
        (void)mos_proc_destroy(child, -1);
    }
    EXPECT_EQ(*mine, value);                                   /* our own mapping is untouched */
    (void)mos_cap_delete(th);
    (void)mos_cap_delete(child);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, PARENT_VA, 1), 1);
    if (round % 2)
        EXPECT_EQ(mos_cap_delete((mos_handle_t)d), 0);
    else
        EXPECT_ERR(mos_cap_delete((mos_handle_t)d), MOS_EBADHANDLE);   /* went with the revoke */
    EXPECT_EQ(mos_cap_delete(mem), 0);
}

static void revoke_worker(void *arg)
{
    struct revoke_run *run = arg;
    mos_handle_t ep = (mos_handle_t)MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    mos_handle_t exit_ep = (mos_handle_t)MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (unsigned r = 0; r < run->rounds; r++)
        revoke_round(run, r, ep, exit_ep);
}

UTEST(revoking_a_page_read_on_another_cpu_faults_the_reader_20_times)
{
    static struct revoke_run run;
    run = (struct revoke_run){ .rounds = 20, .reader_cpu = cpu_or_0(1) };
    struct mos_thread t;
    /* The revoker runs on CPU 0, above the reader's priority so that on one
     * CPU it still gets the processor back from the spinning reader. */
    MUST(mos_thread_start(&t, revoke_worker, &run, 20, 0));
    EXPECT_EQ(mos_thread_join(&t, MS(55000)), 0);
    EXPECT_EQ(run.ok, run.rounds);
    printf("smp: %u/%u revocations faulted the reader on CPU %u; slowest %llu us\n", run.ok, run.rounds,
           run.reader_cpu, (unsigned long long)(run.worst_ns / 1000));
}
