// SPDX-License-Identifier: MIT
/* bench - guest-instruction benchmarks of the kernel's operations. Run under
 * QEMU with -icount shift=0, where rdtsc advances by one per executed guest
 * instruction, so every figure is instructions per operation: deterministic
 * and comparable with instructions-retired figures of other kernels. Each
 * operation is warmed up, then timed over `iters` iterations; the cost of an
 * empty loop of the same length is subtracted. Output: one line per
 * operation, "bench <name> <instructions-per-op>" (docs/performance.md). */
#include "mos_lib.h"
#include "lib/cmdline.h"
#include "lib/tar.h"

static unsigned iters = 10000;
static char only[32];                    /* only=<name prefix>: run just those */

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

static uint64_t empty_loop_cost;

static void report(const char *name, uint64_t total, uint64_t n, unsigned per)
{
    uint64_t net = total > empty_loop_cost * n / iters ? total - empty_loop_cost * n / iters : 0;
    uint64_t x100 = net * 100 / (n * per);
    printf("bench %s %llu.%02llu\n", name, (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
}

static void measure_empty(void)
{
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < iters; i++)
        __asm__ volatile("" ::: "memory");
    empty_loop_cost = tsc() - t0;
}

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

/* ---------------------------------------------------------------- IPC */

static mos_handle_t ep;

static void server_loop(void *arg)
{
    (void)arg;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r >= 0) {
        uint64_t w[4] = { m.w[0] + 1, 0, 0, 0 };
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(0, 0, 0, 0), w, &m);
    }
}

static void rtt(const char *name, const char *oneway)
{
    struct mos_msg m;
    uint64_t w[4] = { 1, 2, 3, 4 };
    for (unsigned i = 0; i < 100; i++)
        (void)mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < iters; i++)
        (void)mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    uint64_t t = tsc() - t0;
    report(name, t, iters, 1);
    if (oneway)
        report(oneway, t, iters, 2);
}

static const void *self_image;
static size_t self_image_len;

static void bench_ipc_same_as(void)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    struct mos_thread th;
    if (mos_thread_start(&th, server_loop, NULL, 16, 0) < 0) {
        printf("bench: cannot start the server thread\n");
        return;
    }
    rtt("ipc_call_reply_rtt_same_as", NULL);
    (void)mos_thread_destroy(th.handle);
    (void)mos_cap_delete(ep);
}

static void bench_ipc_cross_as(int cpu_of_server, const char *name, const char *oneway)
{
    ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    const char *argv[] = { "bench", "--server", NULL };
    struct mos_spawn_cap caps[] = { { .handle = ep, .rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE, .name = "ep" } };
    struct mos_spawn_args a = {
        .image = self_image, .image_len = self_image_len, .name = "bench-server", .argc = 2,
        .argv = argv, .caps = caps, .ncaps = 1, .quota_pages = 512, .prio = 16,
        .cpu = (uint32_t)(cpu_of_server + 1),
    };
    long child = mos_spawn(&a);
    if (child < 0) {
        printf("bench: cannot start the server process: %s\n", mos_strerror(child));
        return;
    }
    rtt(name, oneway);
    (void)mos_proc_destroy((mos_handle_t)child, 0);
    (void)mos_cap_delete((mos_handle_t)child);
    (void)mos_cap_delete(ep);
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
    if (argc >= 2 && strcmp(argv[1], "--server") == 0) {
        ep = mos_cap_by_name("ep");
        server_loop(NULL);
        return 0;
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
    measure_empty();
    printf("bench: %u iterations per operation, %u CPUs, empty loop %llu instructions\n", iters, k->ncpus,
           (unsigned long long)empty_loop_cost);
    if (want("null_syscall"))
        bench_null();
    if (want("ipc_call_reply_rtt_same_as"))
        bench_ipc_same_as();
    if (self_image && want("ipc_call_reply_rtt"))
        bench_ipc_cross_as(0, "ipc_call_reply_rtt", "ipc_oneway");
    if (self_image && k->ncpus > 1 && want("ipc_cross_core_rtt"))
        bench_ipc_cross_as(1, "ipc_cross_core_rtt", NULL);
    printf("bench: done\n");
    return 0;
}
