// SPDX-License-Identifier: MIT
/* jobs.c - running programs: the image is read through the VFS
 * (vfs_read_file), the child gets "console" (a copy of the shell's) and
 * "vfs" (a fresh session from VFS_CONNECT, moved to it), plus "pci" and
 * "net" when init lets the shell look them up (INIT_LOOKUP gives a control
 * client a new badge each time, so each child is a client of its own: its
 * own netstack session, closed by the netstack when the child dies), and
 * the shell's badged exit endpoint. A foreground job is waited
 * for (Ctrl-C kills it; other typing is kept for the prompt); a background
 * job ("&") is reported when it ends. When a child is dead the shell
 * closes its VFS session (VFS_DISCONNECT, so its handles are released) and
 * deletes its PROCESS capability. The table is used by the main thread only. */
#include "mos_lib.h"
#include "console_client.h"
#include "vfs_client.h"
#include "proto/init.h"
#include "fmt.h"
#include "shell.h"

#define CHILD_QUOTA_PAGES 1024u
/* Programs run below every service (shell 12, vfs 18, serial 20, init 24),
 * so one that spins cannot keep a service, or the shell and its Ctrl-C,
 * from running, even on one CPU. */
#define CHILD_PRIO 4u

static struct sh_job jobs[SH_MAX_JOBS];
static unsigned next_id = 1;

struct sh_job *sh_job_at(unsigned i)
{
    return i < SH_MAX_JOBS && jobs[i].used ? &jobs[i] : NULL;
}

struct sh_job *sh_job_by_pid(uint64_t pid)
{
    for (unsigned i = 0; i < SH_MAX_JOBS; i++)
        if (jobs[i].used && jobs[i].pid == pid)
            return &jobs[i];
    return NULL;
}

static bool job_dead(struct sh_job *j, struct mos_cap_info *info)
{
    long r = mos_cap_inspect(j->proc, (uint64_t)(uintptr_t)info, MOS_SELF, 0);
    return r < 0 || info->u.proc.state == MOS_PROC_DEAD;
}

static void job_release(struct sh_job *j)
{
    (void)vfs_disconnect(j->vfs_badge);
    (void)mos_cap_delete(j->proc);
    j->used = false;
}

unsigned sh_jobs_reap(const char *before)
{
    unsigned reported = 0;
    for (unsigned i = 0; i < SH_MAX_JOBS; i++) {
        struct sh_job *j = &jobs[i];
        struct mos_cap_info info;
        if (!j->used || !job_dead(j, &info))
            continue;
        if (j->background) {
            char how[96];
            fmt_exit(how, sizeof how, info.u.proc.exit_reason, info.u.proc.exit_code,
                     info.u.proc.fault_addr, info.u.proc.fault_ip);
            printf("%s[%u] %s (pid %llu): %s\n", reported++ ? "" : before, j->id, j->name,
                   (unsigned long long)j->pid, how);
        }
        job_release(j);
    }
    return reported;
}

int sh_jobs(struct sh_cmd *c)
{
    (void)c;
    for (unsigned i = 0; i < SH_MAX_JOBS; i++)
        if (jobs[i].used)
            printf("[%u] %llu %s\n", jobs[i].id, (unsigned long long)jobs[i].pid, jobs[i].name);
    return 0;
}

/* Wait for the foreground job; Ctrl-C kills it. Returns its status. */
static int wait_foreground(struct sh_job *j)
{
    struct mos_cap_info info;
    bool interrupted = false;
    while (!job_dead(j, &info)) {
        char buf[256];
        long n = sh_wait_event(buf, sizeof buf, MOS_TIMEOUT_FOREVER);
        if (n <= 0)
            continue;
        size_t keep = 0;
        for (long i = 0; i < n; i++)
            if (buf[i] == 0x03) {
                interrupted = true;
                keep = (size_t)i + 1;   /* typing before Ctrl-C is dropped with it */
            }
        if (interrupted && keep)
            (void)mos_proc_destroy(j->proc, -1);
        sh_typeahead(buf + keep, (size_t)n - keep);
    }
    /* A program that exited said what it had to; only an abnormal end is
     * reported (as "name: killed: ..."). */
    int status;
    if (info.u.proc.exit_reason == MOS_EXIT_CALLED) {
        status = (int)info.u.proc.exit_code;
    } else if (interrupted && info.u.proc.exit_reason == MOS_EXIT_KILLED) {
        printf("^C\n%s: interrupted\n", j->name);
        status = 130;
    } else {
        char how[96];
        fmt_exit(how, sizeof how, info.u.proc.exit_reason, info.u.proc.exit_code,
                 info.u.proc.fault_addr, info.u.proc.fault_ip);
        printf("%s: %s\n", j->name, how);
        status = 128;
    }
    job_release(j);
    return status;
}

/* The rights `h` has (a child gets the same). */
static uint32_t rights_of(mos_handle_t h)
{
    struct mos_cap_info info;
    if (mos_cap_inspect(h, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0)
        return 0;
    return info.rights;
}

/* A fresh client capability for service `name` through init, or 0 (no
 * such service, or init refuses). */
static mos_handle_t lookup_for_child(const char *name)
{
    struct mos_msg r;
    if (!sh_init_ep || sh_call(sh_init_ep, INIT_LOOKUP, NULL, name, strlen(name) + 1, &r) != 0 ||
        mos_msg_ncaps(r.info) < 1)
        return 0;
    return mos_msg_cap(&r, 0);
}

static int spawn(struct sh_cmd *c, int first, const char *path)
{
    const char *prog = c->argv[first];
    const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
    struct sh_job *j = NULL;
    for (unsigned i = 0; i < SH_MAX_JOBS && !j; i++)
        if (!jobs[i].used)
            j = &jobs[i];
    if (!j) {
        printf("%s: too many jobs (at most %u)\n", prog, SH_MAX_JOBS);
        return 1;
    }
    char *image;
    size_t len;
    long r = vfs_read_file(path, &image, &len);
    if (r < 0) {
        if (r == -MOS_ENOENT && !strchr(prog, '/'))
            printf("%s: command not found\n", prog);
        else
            printf("%s: %s\n", prog, mos_strerror(r));
        return 127;
    }
    mos_handle_t session = 0;
    uint64_t badge = 0;
    r = vfs_connect(&session, &badge);
    if (r < 0) {
        printf("%s: no VFS session for it: %s\n", prog, mos_strerror(r));
        free(image);
        return 1;
    }
    mos_handle_t con = con_handle();
    struct mos_spawn_cap caps[4] = {
        { .handle = con, .rights = rights_of(con), .name = "console" },
        { .handle = session, .rights = rights_of(session), .name = "vfs",
          .flags = MOS_SPAWN_MOVE },
    };
    uint32_t ncaps = 2;
    mos_handle_t pci = lookup_for_child("pci"), net = lookup_for_child("net");
    if (pci)
        caps[ncaps++] = (struct mos_spawn_cap){ .handle = pci, .rights = rights_of(pci), .name = "pci",
                                                .flags = MOS_SPAWN_MOVE };
    if (net)
        caps[ncaps++] = (struct mos_spawn_cap){ .handle = net, .rights = rights_of(net), .name = "net",
                                                .flags = MOS_SPAWN_MOVE };
    struct mos_spawn_args a = {
        .image = image, .image_len = len, .name = base,
        .argc = (uint32_t)(c->argc - first), .argv = (const char *const *)&c->argv[first],
        .caps = caps, .ncaps = ncaps, .quota_pages = CHILD_QUOTA_PAGES, .exit_ep = sh_exit_ep,
        .prio = CHILD_PRIO,
        .max_prio = CHILD_PRIO,             /* nor can it go above that */
    };
    long child = mos_spawn(&a);
    free(image);
    if (child < 0) {
        printf("%s: cannot start it: %s\n", prog, mos_strerror(child));
        (void)mos_cap_delete(session);          /* if it was not moved yet */
        if (pci)
            (void)mos_cap_delete(pci);
        if (net)
            (void)mos_cap_delete(net);
        (void)vfs_disconnect(badge);
        return 126;
    }
    struct mos_cap_info info;
    memset(&info, 0, sizeof info);
    (void)mos_cap_inspect((mos_handle_t)child, (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
    *j = (struct sh_job){
        .used = true, .background = c->background, .id = next_id++,
        .proc = (mos_handle_t)child, .pid = info.u.proc.pid, .vfs_badge = badge,
    };
    snprintf(j->name, sizeof j->name, "%s", base);
    if (c->background) {
        printf("[%u] %llu\n", j->id, (unsigned long long)j->pid);
        return 0;
    }
    return wait_foreground(j);
}

int sh_run(struct sh_cmd *c)
{
    int first = 0;
    if (strcmp(c->argv[0], "run") == 0) {
        if (c->argc < 2) {
            printf("usage: run PROGRAM [ARGS...] [&]\n");
            return 2;
        }
        first = 1;
    }
    const char *prog = c->argv[first];
    char path[VFS_PATH_MAX];
    if (strchr(prog, '/')) {
        if (sh_path(prog, prog, path, sizeof path) < 0)
            return 1;
    } else if ((size_t)snprintf(path, sizeof path, "/bin/%s", prog) >= sizeof path) {
        printf("%s: %s\n", prog, mos_strerror(-MOS_ENAMETOOLONG));
        return 1;
    }
    return spawn(c, first, path);
}
