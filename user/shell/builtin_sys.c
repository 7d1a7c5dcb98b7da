// SPDX-License-Identifier: MIT
/* builtin_sys.c - the system built-ins: ps, caps, kill and shutdown through
 * init (proto/init.h; the shell's "init" capability has control rights),
 * with the shell's own children handled directly through the PROCESS
 * capabilities it holds for them; mem and uptime from the kernel
 * information page (mos/kinfo.h). */
#include "mos_lib.h"
#include "proto/init.h"
#include "fmt.h"
#include "shell.h"

static const struct mos_kinfo *kinfo(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    return k->magic == MOS_KINFO_MAGIC ? k : NULL;
}

/* ---------------------------------------------------------------- ps */
static void ps_row(uint64_t pid, const char *name, uint32_t state, uint32_t threads, uint32_t prio,
                   uint32_t cpu, uint64_t used, uint64_t quota, const char *restarts)
{
    printf("%5llu %-16s %-6s %4u %4u %3u %8llu %8llu %s\n", (unsigned long long)pid, name,
           fmt_proc_state(state), threads, prio, cpu, (unsigned long long)used * 4,
           (unsigned long long)quota * 4, restarts);
}

int sh_ps(struct sh_cmd *c)
{
    (void)c;
    static struct init_proc procs[MOS_MSG_MAX_BYTES / sizeof(struct init_proc)];
    struct mos_msg reply;
    long r = sh_call(sh_init_ep, INIT_PS, NULL, NULL, 0, &reply);
    if (r < 0) {
        printf("ps: %s\n", mos_strerror(r));
        return 1;
    }
    size_t n = reply.w[0];
    size_t fit = mos_msg_bytes(reply.info) / sizeof procs[0];
    if (n > fit)
        n = fit;
    memcpy(procs, mos_msg_data(&reply), n * sizeof procs[0]);
    printf("  PID NAME             STATE  THRS PRIO CPU  MEM KiB QUOTA KiB RESTARTS\n");
    for (size_t i = 0; i < n; i++) {
        char restarts[16];
        snprintf(restarts, sizeof restarts, "%u", procs[i].restarts);
        procs[i].name[sizeof procs[i].name - 1] = 0;
        ps_row(procs[i].pid, procs[i].name, procs[i].state, procs[i].threads, procs[i].prio,
               procs[i].cpu, procs[i].used_pages, procs[i].quota_pages, restarts);
    }
    /* The shell's own children, which init does not know. */
    for (unsigned i = 0; i < SH_MAX_JOBS; i++) {
        struct sh_job *j = sh_job_at(i);
        struct mos_cap_info info;
        if (!j || mos_cap_inspect(j->proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0)
            continue;
        info.u.proc.name[sizeof info.u.proc.name - 1] = 0;
        ps_row(info.u.proc.pid, info.u.proc.name, info.u.proc.state, info.u.proc.threads,
               info.u.proc.main_prio, info.u.proc.main_cpu, info.u.proc.used_pages,
               info.u.proc.quota_pages, "(job)");
    }
    return 0;
}

/* ---------------------------------------------------------------- caps */
static void caps_header(void)
{
    printf("HANDLE     TYPE     RIGHTS BADGE              DETAIL\n");
}

static void caps_row(uint32_t handle, uint32_t type, uint32_t rights, uint64_t badge, uint64_t base,
                     uint64_t count)
{
    char r[6], detail[64] = "";
    fmt_rights(rights, r);
    if (type == MOS_CAP_IOPORT || type == MOS_CAP_IRQ)
        snprintf(detail, sizeof detail, "base 0x%llx count %llu", (unsigned long long)base,
                 (unsigned long long)count);
    else if (type == MOS_CAP_MEMORY)
        snprintf(detail, sizeof detail, "page %llu count %llu", (unsigned long long)base,
                 (unsigned long long)count);
    printf("0x%08x %-8s %s  0x%-16llx %s\n", handle, fmt_cap_type(type), r,
           (unsigned long long)badge, detail);
}

/* Every capability of proc (MOS_SELF or a child's PROCESS handle). */
static int caps_direct(mos_handle_t proc)
{
    caps_header();
    struct mos_cap_info info;
    uint64_t index = 1;
    unsigned n = 0;
    while (mos_cap_inspect((mos_handle_t)index, (uint64_t)(uintptr_t)&info, proc,
                           MOS_INSPECT_NEXT) == 0) {
        caps_row(info.handle, info.type, info.rights, info.badge, info.base, info.count);
        index = MOS_HANDLE_INDEX(info.handle) + 1ull;
        if (++n > 65536)
            break;
    }
    return 0;
}

int sh_caps(struct sh_cmd *c)
{
    if (c->argc < 2)
        return caps_direct(MOS_SELF);
    uint64_t pid;
    if (c->argc > 2 || !mos_parse_u64(c->argv[1], UINT64_MAX, &pid)) {
        printf("usage: caps [PID]\n");
        return 2;
    }
    struct sh_job *j = sh_job_by_pid(pid);
    if (j)
        return caps_direct(j->proc);
    static struct init_cap caps[MOS_MSG_MAX_BYTES / sizeof(struct init_cap)];
    uint64_t w[4] = { pid, 0, 0, 0 };
    struct mos_msg reply;
    long r = sh_call(sh_init_ep, INIT_CAPS, w, NULL, 0, &reply);
    if (r < 0) {
        printf("caps: %s: %s\n", c->argv[1], mos_strerror(r));
        return 1;
    }
    size_t n = reply.w[0];
    size_t fit = mos_msg_bytes(reply.info) / sizeof caps[0];
    if (n > fit)
        n = fit;
    memcpy(caps, mos_msg_data(&reply), n * sizeof caps[0]);
    caps_header();
    for (size_t i = 0; i < n; i++)
        caps_row(caps[i].handle, caps[i].type, caps[i].rights, caps[i].badge, caps[i].base,
                 caps[i].count);
    if (reply.w[1] > n)
        printf("(%zu of %llu shown)\n", n, (unsigned long long)reply.w[1]);
    return 0;
}

/* ---------------------------------------------------------------- kill */
int sh_kill(struct sh_cmd *c)
{
    if (c->argc < 2) {
        printf("usage: kill PID...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < c->argc; i++) {
        uint64_t pid;
        if (!mos_parse_u64(c->argv[i], UINT64_MAX, &pid)) {
            printf("kill: %s: not a process id\n", c->argv[i]);
            status = 1;
            continue;
        }
        struct sh_job *j = sh_job_by_pid(pid);
        long r;
        if (j) {
            r = mos_proc_destroy(j->proc, -1);  /* reaped (and reported) at the prompt */
        } else {
            uint64_t w[4] = { pid, 0, 0, 0 };
            struct mos_msg reply;
            r = sh_call(sh_init_ep, INIT_KILL, w, NULL, 0, &reply);
        }
        if (r < 0) {
            printf("kill: %s: %s\n", c->argv[i], mos_strerror(r));
            status = 1;
        }
    }
    return status;
}

/* ---------------------------------------------------------------- mem, uptime */
int sh_mem(struct sh_cmd *c)
{
    (void)c;
    const struct mos_kinfo *k = kinfo();
    if (!k) {
        printf("mem: no kernel information page\n");
        return 1;
    }
    unsigned long long page = k->page_size ? k->page_size : MOS_PAGE_SIZE;
    unsigned long long total = k->total_frames, free_ = k->free_frames;
    printf("frames: %llu free of %llu (%llu KiB free of %llu KiB, %llu%% used)\n", free_, total,
           free_ * page / 1024, total * page / 1024, total ? (total - free_) * 100 / total : 0);
    printf("kernel heap: %llu bytes in %llu allocations\n", (unsigned long long)k->heap_bytes,
           (unsigned long long)k->heap_objects);
    printf("kernel objects: %llu memory, %llu endpoints, %llu processes, %llu threads; "
           "%llu mappings\n",
           (unsigned long long)k->objects[MOS_CAP_MEMORY],
           (unsigned long long)k->objects[MOS_CAP_ENDPOINT],
           (unsigned long long)k->objects[MOS_CAP_PROCESS],
           (unsigned long long)k->objects[MOS_CAP_THREAD], (unsigned long long)k->mappings);
    return 0;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

int sh_uptime(struct sh_cmd *c)
{
    (void)c;
    const struct mos_kinfo *k = kinfo();
    if (!k) {
        printf("uptime: no kernel information page\n");
        return 1;
    }
    uint64_t ns = fmt_tsc_to_ns(k, rdtsc());
    char d[32];
    fmt_duration(d, sizeof d, ns);
    printf("up %s (%llu.%03llu s), %u CPU%s\n", d, (unsigned long long)(ns / 1000000000u),
           (unsigned long long)(ns / 1000000u % 1000u), k->ncpus, k->ncpus == 1 ? "" : "s");
    return 0;
}

/* ---------------------------------------------------------------- shutdown */
int sh_shutdown(struct sh_cmd *c)
{
    (void)c;
    printf("shutting down\n");
    struct mos_msg reply;
    long r = sh_call(sh_init_ep, INIT_SHUTDOWN, NULL, NULL, 0, &reply);
    if (r < 0) {
        printf("shutdown: %s\n", mos_strerror(r));
        return 1;
    }
    return 0;
}
