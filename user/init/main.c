// SPDX-License-Identifier: MIT
/* init - the first process, in one of three modes chosen by the kernel
 * command line:
 *   "test"   run the userspace test suite, every program under bin/tests/ in
 *            the initrd, one after the other, then end the QEMU run through
 *            the isa-debug-exit port (init holds every I/O port);
 *   "bench"  run bin/bench, then end the QEMU run the same way;
 *   "fuzz"   run bin/fuzz (the fuzzing build, docs/testing.md), the same way;
 *   else     the service manager: start the services of /etc/init.conf,
 *            supervise them and serve init's protocol (service.c,
 *            init_ipc.c; docs/protocols/init.md). */
#include "mos_lib.h"
#include "lib/cmdline.h"
#include "lib/tar.h"
#include "service.h"

#define GROUP_TIMEOUT (600ull * 1000000000ull)

static void qemu_exit(unsigned code)
{
    __asm__ volatile("outl %0, %1" :: "a"(code), "Nd"((uint16_t)0xF4));
}

static int run_tests(const struct mos_init_info *ii, mos_handle_t initrd)
{
    char only[64] = "";
    cmdline_get(ii->cmdline, "utest", only, sizeof only);
    mos_handle_t ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    const void *arch = (const void *)ii->initrd_va;
    size_t pos = 0;
    struct tar_entry e;
    unsigned groups = 0, failed = 0;
    int r;
    while ((r = tar_next(arch, ii->initrd_size, &pos, &e)) == 1) {
        if (e.type != TAR_FILE || strncmp(e.name, "bin/tests/", 10) != 0 ||
            strncmp(e.name + 10, only, strlen(only)) != 0)
            continue;
        const char *argv[] = { e.name, NULL };
        struct mos_spawn_cap caps[] = {
            { .handle = initrd, .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT, .name = "initrd" },
        };
        struct mos_spawn_args a = {
            .image = e.data, .image_len = e.size, .name = e.name + 10, .argc = 1, .argv = argv,
            .caps = caps, .ncaps = 1, .quota_pages = ii->quota_pages / 2, .exit_ep = ep,
        };
        long child = mos_spawn(&a);
        groups++;
        if (child < 0) {
            printf("TEST %s FAIL init cannot start it: %s\n", e.name + 10, mos_strerror(child));
            failed++;
            continue;
        }
        struct mos_cap_info info;
        for (;;) {
            if (mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0) == 0 &&
                info.u.proc.state == MOS_PROC_DEAD)
                break;
            struct mos_msg m;
            if (mos_ipc_recv_m(ep, GROUP_TIMEOUT, 0, &m) == -MOS_ETIMEDOUT) {
                printf("init: group %s timed out: killing it\n", e.name + 10);
                (void)mos_proc_destroy((mos_handle_t)child, -1);
            }
        }
        if (info.u.proc.exit_reason != MOS_EXIT_CALLED) {
            printf("TEST %s FAIL its driver died (reason %u, ip 0x%llx)\n", e.name + 10,
                   info.u.proc.exit_reason, (unsigned long long)info.u.proc.fault_ip);
            failed++;
        } else {
            failed += (unsigned)info.u.proc.exit_code;
        }
        (void)mos_cap_delete((mos_handle_t)child);
    }
    printf("UTEST DONE %u groups, %u failed\n", groups, failed);
    return (int)failed;
}

/* Benchmark and fuzzing modes ("bench" or "fuzz" on the kernel command
 * line): run bin/<prog> with the command line (it reads its parameters, e.g.
 * iters=N, from it), then end the QEMU run. */
static int run_bench(const struct mos_init_info *ii, mos_handle_t initrd, const char *prog)
{
    struct tar_entry e;
    char path[32];
    snprintf(path, sizeof path, "bin/%s", prog);
    if (tar_find((const void *)ii->initrd_va, ii->initrd_size, path, &e) != 0) {
        printf("init: %s not found\n", path);
        return 1;
    }
    mos_handle_t ep = (mos_handle_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    const char *argv[] = { prog, ii->cmdline, NULL };
    struct mos_spawn_cap caps[] = {
        { .handle = initrd, .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT, .name = "initrd" },
    };
    struct mos_spawn_args a = {
        .image = e.data, .image_len = e.size, .name = prog, .argc = 2, .argv = argv,
        .caps = caps, .ncaps = 1, .quota_pages = ii->quota_pages / 2, .exit_ep = ep, .prio = 16,
        .cpu = 1,
    };
    long child = mos_spawn(&a);
    if (child < 0) {
        printf("init: cannot start %s: %s\n", path, mos_strerror(child));
        return 1;
    }
    struct mos_cap_info info;
    while (mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0) == 0 &&
           info.u.proc.state != MOS_PROC_DEAD) {
        struct mos_msg m;
        (void)mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    }
    return info.u.proc.exit_reason == MOS_EXIT_CALLED && info.u.proc.exit_code == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct mos_init_info *ii = mos_init_block();
    printf("init: running (quota %llu pages)\n", ii ? (unsigned long long)ii->quota_pages : 0ull);
    if (ii && cmdline_has(ii->cmdline, "bench"))
        qemu_exit(run_bench(ii, mos_cap_by_name("initrd"), "bench") ? 0x11 : 0x10);
    if (ii && cmdline_has(ii->cmdline, "fuzz"))
        qemu_exit(run_bench(ii, mos_cap_by_name("initrd"), "fuzz") ? 0x11 : 0x10);
    if (ii && cmdline_has(ii->cmdline, "test")) {
        int failed = run_tests(ii, mos_cap_by_name("initrd"));
        qemu_exit(failed ? 0x11 : 0x10);
    }
    if (ii && svc_setup(ii) == 0)
        init_serve();
    printf("init: cannot manage services; idle\n");
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}
