// SPDX-License-Identifier: MIT
/* bench - guest-instruction benchmarks of the kernel's operations. Run under
 * QEMU with -icount shift=0, where rdtsc advances by one per executed guest
 * instruction, so every figure is instructions per operation: deterministic
 * and comparable with instructions-retired figures of other kernels. Each
 * operation is warmed up, then timed over `iters` iterations (fewer for the
 * heavy ones); the cost of an empty loop of the same length is subtracted.
 * Output: one line per operation, "bench <name> <instructions-per-op>", read
 * by tools/bench.py (docs/performance.md). Helper processes are this same
 * program started with a mode argument ("--server", ...). */
#include "mos_lib.h"
#include "lib/cmdline.h"
#include "lib/tar.h"

static unsigned iters = 10000;
static char only[32];                   /* only=<name prefix>: run just those */
static uint64_t empty_per_iter_x1000;   /* empty loop cost per iteration, x1000 */
static const void *self_image;
static size_t self_image_len;
static mos_handle_t ep;

static bool want(const char *name)
{
    return strncmp(name, only, strlen(only)) == 0;
}

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Print total/(n*per) after subtracting n iterations of the empty loop. */
static void report(const char *name, uint64_t total, uint64_t n, unsigned per)
{
    uint64_t empty = empty_per_iter_x1000 * n / 1000;
    uint64_t net = total > empty ? total - empty : 0;
    uint64_t x100 = net * 100 / (n * per);
    printf("bench %s %llu.%02llu\n", name, (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
}

static void measure_empty(void)
{
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < 100000; i++)
        __asm__ volatile("" ::: "memory");
    empty_per_iter_x1000 = (tsc() - t0) / 100;
}

/* ---------------------------------------------------------------- helpers */

/* Start this program in `mode` (a server or a partner), pinned to cpu,
 * with the endpoint `ep` as "ep" if given; returns its PROCESS handle. */
static long spawn_mode(const char *mode, int cpu, mos_handle_t with_ep)
{
    const char *argv[] = { "bench", mode, NULL };
    struct mos_spawn_cap caps[] = { { .handle = with_ep, .rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT,
                                      .name = "ep" } };
    struct mos_spawn_args a = {
        .image = self_image, .image_len = self_image_len, .name = mode + 2, .argc = 2, .argv = argv,
        .caps = caps, .ncaps = with_ep ? 1 : 0, .quota_pages = 1024, .prio = 16, .cpu = (uint32_t)(cpu + 1),
    };
    long child = mos_spawn(&a);
    if (child < 0)
        printf("bench: cannot start %s: %s\n", mode, mos_strerror(child));
    return child;
}

static void stop(long child)
{
    if (child <= 0)
        return;
    (void)mos_proc_destroy((mos_handle_t)child, 0);
    struct mos_cap_info info;
    while (mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0) == 0 &&
           info.u.proc.state != MOS_PROC_DEAD)
        (void)mos_thread_block(100000);
    (void)mos_cap_delete((mos_handle_t)child);
}

/* ---------------------------------------------------------------- servers */

/* Echo server: the words back with w[0] + 1, optionally a 4 KiB payload. */
static void server_loop(bool payload)
{
    struct mos_msg m;
    const mos_msginfo_t info = mos_msginfo(0, payload ? MOS_MSG_MAX_BYTES : 0, 0, 0);
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r >= 0) {
        m.w[0]++;
        r = mos_ipc_reply_recv_m(ep, info, m.w, &m);
    }
}

/* Receives one capability per call and deletes it. */
static void server_caps(void)
{
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r >= 0) {
        if (mos_msg_ncaps(m.info))
            (void)mos_cap_delete(mos_ipc_buffer()->caps[0]);
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(0, 0, 0, 0), NULL, &m);
    }
}

static void server_thread(void *arg)
{
    (void)arg;
    server_loop(false);
}

/* ---------------------------------------------------------------- benchmarks */

/* The cheapest system call: a number with no handler (entry, dispatch,
 * -MOS_ENOSYS, the exit checks, SYSRET), issued inline like seL4's
 * BenchmarkNullSyscall so no library stub is counted. */
static inline long null_syscall(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(255L) : "rcx", "r11", "memory");
    return r;
}

static void bench_null(void)
{
    for (unsigned i = 0; i < 100; i++)
        (void)null_syscall();
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < iters; i++)
        (void)null_syscall();
    report("null_syscall", tsc() - t0, iters, 1);
}

static void calls(const char *name, const char *half, mos_msginfo_t info)
{
    struct mos_msg m;
    uint64_t w[4] = { 1, 2, 3, 4 };
    for (unsigned i = 0; i < 100; i++)
        (void)mos_ipc_call_m(ep, info, w, &m);
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < iters; i++)
        (void)mos_ipc_call_m(ep, info, w, &m);
    uint64_t t = tsc() - t0;
    report(name, t, iters, 1);
    if (half)
        report(half, t, iters, 2);
}

static void bench_ipc_same_as(void)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    struct mos_thread th;
    if (mos_thread_start(&th, server_thread, NULL, 16, 0) == 0) {
        calls("ipc_call_reply_rtt_same_as", NULL, mos_msginfo(1, 0, 0, 0));
        (void)mos_thread_destroy(th.handle);
        (void)mos_thread_join(&th, 1000000000ull);
    }
    (void)mos_cap_delete(ep);
}

static void bench_ipc(const char *mode, int cpu, const char *name, const char *half, mos_msginfo_t info)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    long child = spawn_mode(mode, cpu, ep);
    if (child > 0)
        calls(name, half, info);
    stop(child);
    (void)mos_cap_delete(ep);
}

static void bench_cap_transfer(void)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    long child = spawn_mode("--servercap", 0, ep);
    mos_handle_t give = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    struct mos_msg m;
    if (child > 0) {
        for (unsigned i = 0; i < 100; i++) {
            mos_ipc_buffer()->caps[0] = give;
            (void)mos_ipc_call_m(ep, mos_msginfo(1, 0, 1, 0), NULL, &m);
        }
        uint64_t t0 = tsc();
        for (unsigned i = 0; i < iters; i++) {
            mos_ipc_buffer()->caps[0] = give;
            (void)mos_ipc_call_m(ep, mos_msginfo(1, 0, 1, 0), NULL, &m);
        }
        report("ipc_cap_transfer", tsc() - t0, iters, 1);
    }
    stop(child);
    (void)mos_cap_delete(give);
    (void)mos_cap_delete(ep);
}

/* notify_wake: a more urgent thread waits in receive; notify it and count
 * until it has run and waits again. */
static volatile uint64_t woken;

static void notified(void *arg)
{
    (void)arg;
    struct mos_msg m;
    while (mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m) >= 0)
        woken++;
}

static void bench_notify(void)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    struct mos_thread th;
    if (mos_thread_start(&th, notified, NULL, 20, 0) == 0) {
        for (unsigned i = 0; i < 100; i++)
            (void)mos_ipc_notify(ep, 1);
        uint64_t before = woken, t0 = tsc();
        for (unsigned i = 0; i < iters; i++)
            (void)mos_ipc_notify(ep, 1);
        uint64_t t = tsc() - t0;
        if (woken - before != iters)
            printf("bench: notify_wake: %llu wake-ups for %u notifies\n",
                   (unsigned long long)(woken - before), iters);
        report("notify_wake", t, iters, 1);
        (void)mos_thread_destroy(th.handle);
        (void)mos_thread_join(&th, 1000000000ull);
    }
    (void)mos_cap_delete(ep);
}

static void bench_yield(void)
{
    long child = spawn_mode("--yield", 0, 0);
    if (child > 0) {
        for (unsigned i = 0; i < 100; i++)
            (void)mos_thread_yield();
        uint64_t t0 = tsc();
        for (unsigned i = 0; i < iters; i++)
            (void)mos_thread_yield();
        report("yield_switch", tsc() - t0, iters, 2);   /* two switches per yield pair */
    }
    stop(child);
}

static void bench_mem(void)
{
    const uint64_t va = 0x0000400000000000ull;
    unsigned n = iters / 10 ? iters / 10 : 1;
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < n; i++) {
        long m = mos_mem_alloc(1, 0);
        (void)mos_mem_map((mos_handle_t)m, MOS_SELF, va, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE);
        *(volatile uint64_t *)va = i;
        (void)mos_mem_unmap(MOS_SELF, va, 1);
        (void)mos_cap_delete((mos_handle_t)m);
    }
    report("mem_alloc_map_unmap", tsc() - t0, n, 1);
}

static void bench_grant(void)
{
    long child = spawn_mode("--idle", 0, 0);
    long m = mos_mem_alloc(1, 0);
    const uint64_t va = 0x0000400000000000ull;
    unsigned n = iters / 10 ? iters / 10 : 1;
    if (child > 0 && m > 0) {
        uint64_t grant = 0, revoke = 0;
        for (unsigned i = 0; i < n; i++) {
            uint64_t t0 = tsc();
            (void)mos_mem_grant((mos_handle_t)m, (mos_handle_t)child, 0, 1,
                                MOS_RIGHT_READ | MOS_RIGHT_WRITE, va);
            uint64_t t1 = tsc();
            (void)mos_cap_revoke((mos_handle_t)m);      /* unmaps it in the child */
            revoke += tsc() - t1;
            grant += t1 - t0;
        }
        /* (the tsc() reads inside the loop cost a few instructions each) */
        report("mem_grant_map", grant, n, 1);
        report("mem_grant_revoke", revoke, n, 1);
    }
    (void)mos_cap_delete((mos_handle_t)m);
    stop(child);
}

static void bench_proc(void)
{
    unsigned n = iters / 50 ? iters / 50 : 1;
    mos_handle_t exit_ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < n; i++) {
        const char *argv[] = { "bench", "--exit", NULL };
        struct mos_spawn_args a = {
            .image = self_image, .image_len = self_image_len, .name = "exit", .argc = 2, .argv = argv,
            .quota_pages = 256, .prio = 16, .cpu = 1, .exit_ep = exit_ep,
        };
        long child = mos_spawn(&a);
        if (child < 0)
            break;
        (void)mos_proc_destroy((mos_handle_t)child, 0);
        struct mos_cap_info info;
        while (mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0) == 0 &&
               info.u.proc.state != MOS_PROC_DEAD) {
            struct mos_msg msg;
            (void)mos_ipc_recv_m(exit_ep, MOS_TIMEOUT_FOREVER, 0, &msg);
        }
        (void)mos_cap_delete((mos_handle_t)child);
    }
    report("proc_create_destroy", tsc() - t0, n, 1);
    (void)mos_cap_delete(exit_ep);
}

static void find_self(void)
{
    mos_handle_t rd = mos_cap_by_name("initrd");
    struct mos_cap_info info;
    if (!rd || mos_cap_inspect(rd, (uint64_t)&info, MOS_SELF, 0) < 0 ||
        mos_mem_map(rd, MOS_SELF, 0x300000000000ull, 0, info.count, MOS_PROT_READ) < 0)
        return;
    struct tar_entry e;
    if (tar_find((const void *)0x300000000000ull, info.count * MOS_PAGE_SIZE, "bin/bench", &e) == 0) {
        self_image = e.data;
        self_image_len = e.size;
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] == '-' && argv[1][1] == '-') {
        ep = mos_cap_by_name("ep");
        if (strcmp(argv[1], "--server") == 0)
            server_loop(false);
        else if (strcmp(argv[1], "--server4k") == 0)
            server_loop(true);
        else if (strcmp(argv[1], "--servercap") == 0)
            server_caps();
        else if (strcmp(argv[1], "--yield") == 0)
            for (;;)
                (void)mos_thread_yield();
        else if (strcmp(argv[1], "--idle") == 0)
            for (;;)
                (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
        return 0;                                     /* --exit */
    }
    const struct mos_kinfo *k = (const struct mos_kinfo *)MOS_KINFO_ADDR;
    char buf[16];
    if (argc >= 2 && cmdline_get(argv[1], "iters", buf, sizeof buf)) {
        iters = 0;
        for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
            iters = iters * 10 + (unsigned)(*p - '0');
        if (!iters)
            iters = 1;
    }
    if (argc >= 2)
        cmdline_get(argv[1], "only", only, sizeof only);
    find_self();
    if (!self_image) {
        printf("bench: cannot find bin/bench in the initrd\n");
        return 1;
    }
    measure_empty();
    printf("bench: %u iterations, %u CPUs, empty loop %llu.%03llu instructions per iteration\n", iters,
           k->ncpus, (unsigned long long)(empty_per_iter_x1000 / 1000),
           (unsigned long long)(empty_per_iter_x1000 % 1000));
    if (want("null_syscall"))
        bench_null();
    if (want("ipc_call_reply_rtt") || want("ipc_oneway"))
        bench_ipc("--server", 0, "ipc_call_reply_rtt", "ipc_oneway", mos_msginfo(1, 0, 0, 0));
    if (want("ipc_call_reply_rtt_same_as"))
        bench_ipc_same_as();
    if (want("ipc_4k_payload_rtt"))
        bench_ipc("--server4k", 0, "ipc_4k_payload_rtt", NULL, mos_msginfo(1, MOS_MSG_MAX_BYTES, 0, 0));
    if (want("ipc_cap_transfer"))
        bench_cap_transfer();
    if (want("notify_wake"))
        bench_notify();
    if (want("yield_switch"))
        bench_yield();
    if (want("mem_alloc_map_unmap"))
        bench_mem();
    if (want("mem_grant"))
        bench_grant();
    if (want("proc_create_destroy"))
        bench_proc();
    if (k->ncpus > 1 && want("ipc_cross_core_rtt"))
        bench_ipc("--server", 1, "ipc_cross_core_rtt", NULL, mos_msginfo(1, 0, 0, 0));
    printf("bench: done\n");
    return 0;
}
