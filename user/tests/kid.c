// SPDX-License-Identifier: MIT
/* kid.c - see kid.h. The child is this group's own image, found in the
 * initrd the harness gave us (mapped a second time, read-only, at a window
 * of our own). */
#include "kid.h"
#include "lib/tar.h"

#define KID_INITRD_VA 0x0000310000000000ull
#define KID_QUOTA     1024u

static const void *kid_image;
static size_t kid_image_len;
static const char *kid_path;
static mos_handle_t kid_initrd;

static long kid_find_image(void)
{
    if (kid_image)
        return 0;
    kid_initrd = mos_cap_by_name("initrd");
    const struct mos_start *sb = mos_start_block();
    if (!kid_initrd || !sb || sb->argc < 1)
        return -MOS_ENOENT;
    kid_path = ((const char *const *)(uintptr_t)sb->argv)[0];
    struct mos_cap_info info;
    long r = mos_cap_inspect(kid_initrd, (uint64_t)&info, MOS_SELF, 0);
    if (r < 0)
        return r;
    r = mos_mem_map(kid_initrd, MOS_SELF, KID_INITRD_VA, 0, info.count, MOS_PROT_READ);
    if (r < 0)
        return r;
    static struct tar_entry e;
    const char *path = kid_path[0] == '/' ? kid_path + 1 : kid_path;
    if (tar_find((const void *)KID_INITRD_VA, info.count * MOS_PAGE_SIZE, path, &e) != 0)
        return -MOS_ENOENT;
    kid_image = e.data;
    kid_image_len = e.size;
    return 0;
}

long kid_start(struct kid *k, const char *fn, uint64_t arg, const struct mos_spawn_cap *caps,
               uint32_t ncaps)
{
    *k = (struct kid){ 0 };
    long r = kid_find_image();
    if (r < 0)
        return r;
    static char argbuf[24];
    snprintf(argbuf, sizeof argbuf, "%llu", (unsigned long long)arg);
    const char *argv[] = { kid_path, "--child", fn, argbuf, NULL };
    struct mos_spawn_cap all[MOS_SPAWN_MAX_CAPS];
    uint32_t n = 0;
    all[n++] = (struct mos_spawn_cap){ .handle = kid_initrd, .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT,
                                       .name = "initrd" };
    for (uint32_t i = 0; i < ncaps && n < MOS_SPAWN_MAX_CAPS; i++)
        all[n++] = caps[i];
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (ep < 0)
        return ep;
    struct mos_spawn_args a = {
        .image = kid_image, .image_len = kid_image_len, .name = fn, .argc = 4, .argv = argv,
        .caps = all, .ncaps = n, .exit_ep = (mos_handle_t)ep, .quota_pages = KID_QUOTA,
    };
    long p = mos_spawn(&a);
    if (p < 0) {
        (void)mos_cap_delete((mos_handle_t)ep);
        return p;
    }
    k->proc = (mos_handle_t)p;
    k->exit_ep = (mos_handle_t)ep;
    return 0;
}

struct utest_child kid_wait(struct kid *k, uint32_t timeout_ms)
{
    struct utest_child out = { 0 };
    struct mos_cap_info info;
    uint64_t deadline = utest_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        if (mos_cap_inspect(k->proc, (uint64_t)&info, MOS_SELF, 0) < 0)
            break;
        if (info.u.proc.state == MOS_PROC_DEAD) {
            out.finished = true;
            break;
        }
        uint64_t now = utest_now_ns();
        if (now >= deadline) {
            (void)mos_proc_destroy(k->proc, -1);
            (void)mos_cap_inspect(k->proc, (uint64_t)&info, MOS_SELF, 0);
            break;
        }
        struct mos_msg m;
        (void)mos_ipc_recv_m(k->exit_ep, deadline - now, 0, &m);
    }
    out.exit_reason = info.u.proc.exit_reason;
    out.exit_code = info.u.proc.exit_code;
    out.fault_addr = info.u.proc.fault_addr;
    out.fault_ip = info.u.proc.fault_ip;
    (void)mos_cap_delete(k->proc);
    (void)mos_cap_delete(k->exit_ep);
    *k = (struct kid){ 0 };
    return out;
}

bool thread_wait_blocked(mos_handle_t thread, uint32_t timeout_ms)
{
    uint64_t deadline = utest_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    struct mos_cap_info info;
    while (utest_now_ns() < deadline) {
        if (mos_cap_inspect(thread, (uint64_t)&info, MOS_SELF, 0) < 0)
            return false;
        if (info.u.thread.state == 3)
            return true;
        (void)mos_thread_block(100000);
    }
    return false;
}

uint32_t cspace_enumerate(mos_handle_t proc, mos_handle_t *out, uint32_t max)
{
    struct mos_cap_info info;
    uint32_t n = 0;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)&info, proc, MOS_INSPECT_NEXT) == 0;
         i = MOS_HANDLE_INDEX(info.handle) + 1) {
        if (out && n < max)
            out[n] = info.handle;
        n++;
    }
    return n;
}

struct mos_cap_info inspect(mos_handle_t h)
{
    struct mos_cap_info info;
    if (mos_cap_inspect(h, (uint64_t)&info, MOS_SELF, 0) < 0)
        memset(&info, 0, sizeof info);
    return info;
}

bool bytes_all(const void *p, size_t n, uint8_t b)
{
    const uint8_t *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != b)
            return false;
    return true;
}

mos_handle_t first_of_type(uint32_t type)
{
    struct mos_cap_info info;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)&info, MOS_SELF, MOS_INSPECT_NEXT) == 0;
         i = MOS_HANDLE_INDEX(info.handle) + 1)
        if (info.type == type)
            return info.handle;
    return 0;
}
