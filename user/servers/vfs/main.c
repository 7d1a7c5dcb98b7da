// SPDX-License-Identifier: MIT
/* vfs - the file-system service. Start-up: map the "initrd" capability
 * (read-only) and index it as "/", an empty tmpfs at "/tmp", then serve the
 * protocol of proto/vfs.h on "ep" until the end. Capabilities (from init's
 * manifest): "ep" its endpoint (READ|WRITE|GRANT, unbadged: clients call it
 * through badged copies; VFS_CONNECT mints more), "initrd" (MEMORY, READ),
 * "console" (optional: the log goes there, else to debug_write).
 * A restart (MOS_START_RESTART) starts from nothing: /tmp is empty and every
 * session and handle is gone; the handle epoch changes, so old handles fail
 * with -MOS_EBADHANDLE. One thread; every request is answered in turn. */
#include "mos_lib.h"
#include "proto/console.h"
#include "vfs.h"
#include "vfs_ipc.h"

#define VFS_INITRD_VA 0x0000200000000000ull

static mos_handle_t vfs_console;
static struct vfs vfs_state;
static uint8_t vfs_req_buf[MOS_MSG_MAX_BYTES];     /* the request payload, copied */
static uint8_t vfs_rep_buf[MOS_MSG_MAX_BYTES];     /* the reply payload, staged at the end */

/* printf's writer: the console protocol, whole runs at a time. */
static void console_write(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    while (n) {
        size_t k = n < CON_MAX_IO ? n : CON_MAX_IO;
        if (mos_call(vfs_console, CON_WRITE, NULL, s, k, NULL, 0, NULL) < 0) {
            (void)mos_debug_write((uint64_t)(uintptr_t)s, n);
            return;
        }
        s += k;
        n -= k;
    }
}

/* A session capability: the endpoint, badged, WRITE to call and GRANT to
 * pass memory capabilities for large reads and writes. */
static long mint_session(void *ctx, uint64_t badge)
{
    mos_handle_t ep = *(const mos_handle_t *)ctx;
    return mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, badge, 0, 0);
}

/* The archive: mapped read-only; its length is the capability's pages (the
 * archive ends with zero blocks, so the padding after it reads as the end). */
static const void *map_initrd(mos_handle_t initrd, size_t *len)
{
    struct mos_cap_info ci;
    *len = 0;
    if (!initrd)
        return NULL;
    long r = mos_cap_inspect(initrd, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0);
    if (r == 0 && (ci.type != MOS_CAP_MEMORY || ci.count == 0))
        r = -MOS_EBADTYPE;
    if (r == 0)
        r = mos_mem_map(initrd, MOS_SELF, VFS_INITRD_VA, 0, ci.count, MOS_PROT_READ);
    if (r) {
        printf("vfs: cannot map the initrd: %s\n", mos_strerror(r));
        return NULL;
    }
    *len = ci.count * MOS_PAGE_SIZE;
    return (const void *)(uintptr_t)VFS_INITRD_VA;
}

/* Different at every start, so handles of an earlier run do not match. */
static uint32_t start_epoch(void)
{
    uint64_t x = __builtin_ia32_rdtsc();
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    return (uint32_t)x;
}

static void serve(mos_handle_t ep)
{
    struct mos_msg m;
    unsigned failures = 0;
    long r = mos_recv(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    for (;;) {
        if (r < 0) {
            if (++failures == 8)
                printf("vfs: receive keeps failing: %s\n", mos_strerror(r));
            if (failures >= 8)
                (void)mos_thread_block(10000000ull);
            r = mos_recv(ep, MOS_TIMEOUT_FOREVER, 0, &m);
            continue;
        }
        failures = 0;
        struct mos_ipc_buffer *buf = mos_ipc_buffer();
        uint32_t flags = mos_msg_flags(m.info), ncaps = mos_msg_ncaps(m.info);
        mos_handle_t caps[MOS_MSG_MAX_CAPS] = { 0 };
        for (uint32_t i = 0; i < ncaps && i < MOS_MSG_MAX_CAPS; i++)
            caps[i] = buf->caps[i];
        if (!(flags & MOS_MSG_CALL)) {          /* a notification or a send: nobody to answer */
            /* VFS_DISCONNECT may come one-way (init, which must not wait
             * on a service it supervises); anything else is dropped. */
            if (!(flags & MOS_MSG_NOTIFY) && mos_msg_label(m.info) == VFS_DISCONNECT)
                (void)vfs_disconnect(&vfs_state, m.badge, m.w[0]);
            for (uint32_t i = 0; i < ncaps; i++)
                (void)mos_cap_delete(caps[i]);
            r = mos_recv(ep, MOS_TIMEOUT_FOREVER, 0, &m);
            continue;
        }
        struct vfs_req rq = {
            .op = mos_msg_label(m.info), .badge = m.badge, .data = vfs_req_buf,
            .bytes = mos_msg_bytes(m.info), .caps = caps, .ncaps = ncaps,
        };
        if (rq.bytes > MOS_MSG_MAX_BYTES)
            rq.bytes = MOS_MSG_MAX_BYTES;
        memcpy(rq.w, m.w, sizeof rq.w);
        memcpy(vfs_req_buf, buf->data, rq.bytes);
        struct vfs_rep rp = { .data = vfs_rep_buf };
        vfs_ipc_dispatch(&vfs_state, &rq, &rp);
        for (uint32_t i = 0; i < ncaps; i++)
            (void)mos_cap_delete(caps[i]);
        mos_msginfo_t info;
        int err = mos_ipc_stage(buf, (uint32_t)rp.result, vfs_rep_buf, rp.bytes, &rp.cap, rp.cap ? 1 : 0, 0,
                                0, &info);
        if (err) {                              /* cannot happen: replies are in bounds */
            rp.w[0] = rp.w[1] = rp.w[2] = rp.w[3] = 0;
            info = mos_msginfo((uint32_t)-MOS_EINVAL, 0, 0, 0);
        }
        r = mos_ipc_reply_recv_m(ep, info, rp.w, &m);
        if (rp.cap)
            (void)mos_cap_delete(rp.cap);       /* the client has its copy (or died) */
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    vfs_console = mos_cap_by_name("console");
    if (vfs_console)
        mos_set_writer(console_write, NULL);
    const struct mos_start *sb = mos_start_block();
    int restart = sb && (sb->flags & MOS_START_RESTART);
    static mos_handle_t ep;
    ep = mos_cap_by_name("ep");
    if (!ep) {
        printf("vfs: no \"ep\" capability: nothing to serve\n");
        return 1;
    }
    size_t len;
    const void *arch = map_initrd(mos_cap_by_name("initrd"), &len);
    int r = vfs_init(&vfs_state, arch, len, start_epoch(), mint_session, &ep);
    if (r) {
        printf("vfs: cannot index the initrd: %s\n", mos_strerror(r));
        return 1;
    }
    const struct tarfs *t = &vfs_state.tar;
    char skipped[48] = "", bad[80] = "";
    if (t->skipped)
        snprintf(skipped, sizeof skipped, " (%u entries skipped)", t->skipped);
    if (t->malformed)
        snprintf(bad, sizeof bad, " (archive malformed at offset %zu: read up to there)", t->malformed_at);
    printf("vfs: %s: / has %u files and %u directories%s%s, /tmp is empty%s\n", restart ? "restarted" : "ready",
           t->files, t->dirs, skipped, bad, restart ? " (its old contents and all handles are gone)" : "");
    serve(ep);
    return 0;
}
