// SPDX-License-Identifier: MIT
/* utest.c - the userspace test harness (see utest.h). The driver maps the
 * initrd it was given (read-only), finds its own image there, and spawns one
 * process per case, waiting for each on an exit endpoint; a case that dies
 * of a fault or hangs is reported by the driver. */
#include "utest.h"
#include "lib/tar.h"
#include <mos/kinfo.h>

extern const struct utest __start_utests[], __stop_utests[];
/* Weak: a group without UTEST_CHILD functions has no such section. */
extern const struct utest_childfn __start_utest_children[] __attribute__((weak));
extern const struct utest_childfn __stop_utest_children[] __attribute__((weak));

#define INITRD_VA   0x0000300000000000ull
#define CASE_QUOTA  4096u                 /* pages: 16 MiB per case */
#define CHILD_QUOTA 1024u                 /* pages: 4 MiB per helper child of a case */
#define CASE_TIMEOUT_MS 60000u

static const char *group = "?";
static const char *self_path;
static const char *current_case = "?";
static unsigned failures;
static char first_failure[200];

static const void *image;
static size_t image_len;
static mos_handle_t initrd_cap, exit_ep;

const char *utest_group(void) { return group; }

uint64_t utest_now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)MOS_KINFO_ADDR;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t tsc = ((uint64_t)hi << 32) | lo;
    return (uint64_t)(((unsigned __int128)(tsc - k->tsc_base) * k->tsc_mult) >> 32);
}

void utest_fail(const char *file, int line, const char *fmt, ...)
{
    if (failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = snprintf(first_failure, sizeof first_failure, "%s:%d: ", file, line);
        if (n > 0 && (size_t)n < sizeof first_failure)
            vsnprintf(first_failure + n, sizeof first_failure - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

static const char *reason_name(uint32_t r)
{
    static const char *const names[] = {
        "alive", "exited", "killed", "page fault", "general protection", "invalid opcode",
        "divide error", "bad return address", "other fault", "no threads left",
    };
    return r < sizeof names / sizeof names[0] ? names[r] : "?";
}

/* Map the initrd and find our own image in it. */
static void find_image(void)
{
    initrd_cap = mos_cap_by_name("initrd");
    if (!initrd_cap)
        mos_abort("utest: no initrd capability");
    struct mos_cap_info info;
    if (mos_cap_inspect(initrd_cap, (uint64_t)&info, MOS_SELF, 0) < 0)
        mos_abort("utest: cannot inspect the initrd capability");
    if (mos_mem_map(initrd_cap, MOS_SELF, INITRD_VA, 0, info.count, MOS_PROT_READ) < 0)
        mos_abort("utest: cannot map the initrd");
    struct tar_entry e;
    const char *path = self_path[0] == '/' ? self_path + 1 : self_path;
    if (tar_find((const void *)INITRD_VA, info.count * MOS_PAGE_SIZE, path, &e) != 0)
        mos_abort("utest: own image not in the initrd");
    image = e.data;
    image_len = e.size;
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (ep < 0)
        mos_abort("utest: cannot create the exit endpoint");
    exit_ep = (mos_handle_t)ep;
}

/* Spawn "<self> <mode> <name> <arg>", wait for it to die; fill *out. */
static void run_process(const char *mode, const char *name, uint64_t arg, const struct mos_spawn_cap *extra,
                        uint32_t nextra, uint32_t timeout_ms, struct utest_child *out)
{
    char argbuf[24];
    snprintf(argbuf, sizeof argbuf, "%llu", (unsigned long long)arg);
    const char *argv[] = { self_path, mode, name, argbuf, NULL };
    struct mos_spawn_cap caps[MOS_SPAWN_MAX_CAPS];
    uint32_t n = 0;
    caps[n++] = (struct mos_spawn_cap){ .handle = initrd_cap, .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT,
                                        .name = "initrd" };
    for (uint32_t i = 0; i < nextra && n < MOS_SPAWN_MAX_CAPS; i++)
        caps[n++] = extra[i];
    struct mos_spawn_args a = {
        .image = image, .image_len = image_len, .name = name, .argc = 4, .argv = argv,
        .caps = caps, .ncaps = n, .exit_ep = exit_ep,
        .quota_pages = strcmp(mode, "--case") == 0 ? CASE_QUOTA : CHILD_QUOTA,
    };
    *out = (struct utest_child){ 0 };
    long child = mos_spawn(&a);
    if (child < 0) {
        out->exit_reason = 0;
        out->exit_code = child;
        out->finished = false;
        utest_fail(__FILE__, __LINE__, "spawning %s failed: %s", name, mos_strerror(child));
        return;
    }
    uint64_t deadline = utest_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    struct mos_cap_info info;
    for (;;) {
        if (mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0) == 0 &&
            info.u.proc.state == MOS_PROC_DEAD)
            break;
        uint64_t now = utest_now_ns();
        if (now >= deadline) {
            (void)mos_proc_destroy((mos_handle_t)child, -1);
            (void)mos_cap_inspect((mos_handle_t)child, (uint64_t)&info, MOS_SELF, 0);
            out->finished = false;
            out->exit_reason = info.u.proc.exit_reason;
            (void)mos_cap_delete((mos_handle_t)child);
            return;
        }
        struct mos_msg m;
        (void)mos_ipc_recv_m(exit_ep, deadline - now, 0, &m);
    }
    out->finished = true;
    out->exit_reason = info.u.proc.exit_reason;
    out->exit_code = info.u.proc.exit_code;
    out->fault_addr = info.u.proc.fault_addr;
    out->fault_ip = info.u.proc.fault_ip;
    (void)mos_cap_delete((mos_handle_t)child);
}

struct utest_child utest_run_child(const char *name, uint64_t arg, const struct mos_spawn_cap *caps,
                                   uint32_t ncaps, uint32_t timeout_ms)
{
    struct utest_child c;
    run_process("--child", name, arg, caps, ncaps, timeout_ms, &c);
    return c;
}

static int run_case(const char *name)
{
    for (const struct utest *t = __start_utests; t < __stop_utests; t++) {
        if (strcmp(t->name, name) != 0)
            continue;
        current_case = name;
        t->fn();
        if (failures)
            printf("TEST %s.%s FAIL %s\n", group, name, first_failure);
        else
            printf("TEST %s.%s ok\n", group, name);
        return failures ? 1 : 0;
    }
    printf("TEST %s.%s FAIL no such case\n", group, name);
    return 1;
}

static long run_childfn(const char *name, uint64_t arg)
{
    for (const struct utest_childfn *c = __start_utest_children; c < __stop_utest_children; c++)
        if (strcmp(c->name, name) == 0)
            return c->fn(arg);
    return 127;
}

static int drive(void)
{
    unsigned failed = 0, total = 0;
    for (const struct utest *t = __start_utests; t < __stop_utests; t++) {
        struct utest_child c;
        total++;
        run_process("--case", t->name, 0, NULL, 0, CASE_TIMEOUT_MS, &c);
        if (!c.finished) {
            printf("TEST %s.%s FAIL timed out after %u ms\n", group, t->name, CASE_TIMEOUT_MS);
            failed++;
        } else if (c.exit_reason != MOS_EXIT_CALLED) {
            printf("TEST %s.%s FAIL died: %s at ip 0x%llx, address 0x%llx\n", group, t->name,
                   reason_name(c.exit_reason), (unsigned long long)c.fault_ip,
                   (unsigned long long)c.fault_addr);
            failed++;
        } else if (c.exit_code != 0) {
            failed++;                       /* the case printed its FAIL line */
        }
    }
    printf("utest: group %s: %u cases, %u failed\n", group, total, failed);
    return (int)failed;
}

int main(int argc, char **argv)
{
    self_path = argc > 0 ? argv[0] : "?";
    const char *slash = strrchr(self_path, '/');
    group = slash ? slash + 1 : self_path;
    find_image();
    if (argc >= 3 && strcmp(argv[1], "--case") == 0)
        return run_case(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "--child") == 0) {
        uint64_t arg = 0;
        for (const char *p = argv[3]; *p >= '0' && *p <= '9'; p++)
            arg = arg * 10 + (uint64_t)(*p - '0');
        return (int)run_childfn(argv[2], arg);
    }
    return drive();
}
