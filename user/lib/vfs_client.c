// SPDX-License-Identifier: MIT
/* vfs_client.c - the client side of the VFS protocol (vfs_client.h,
 * proto/vfs.h). Each call is one ipc_call on the "vfs" endpoint. Reads and
 * writes up to 4096 bytes travel in the payload; larger ones through a
 * memory grant: a fresh MEMORY capability (mem_alloc), mapped here in one
 * of VFS_CLIENT_WINDOWS windows (taken round-robin, so threads do not share
 * one), sent with the request (the endpoint capability needs GRANT), filled
 * or emptied by the server, copied, unmapped and deleted; at most
 * VFS_CLIENT_GRANT_MAX bytes per request, longer transfers loop.
 *
 * Restarts: init restarts a VFS that died, on the same endpoint. A call in
 * flight then fails with -MOS_EDEAD and is made again after a pause, a few
 * times (a retried write or create may have happened already). The new VFS
 * has lost every session and handle table: handles opened before the
 * restart fail with -MOS_EBADHANDLE (never name another file), and the
 * caller must open again. Files in /tmp are gone too. */
#include "vfs_client.h"

#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/proc.h>
#include "lib/string.h"
#include "mos_ipc.h"
#include "mos_malloc.h"
#include "mos_start.h"
#include "user_syscalls.h"

#define VFS_TRIES            8                  /* attempts when the server died */
#define VFS_PAUSE_NS         25000000ull        /* first pause 25 ms, doubling, at most 400 ms */
#define VFS_PAUSE_MAX        400000000ull
#define VFS_CLIENT_GRANT_MAX (1u << 20)         /* bytes per grant request */
#define VFS_CLIENT_WINDOWS   64u
#define VFS_CLIENT_WINDOW    (4ull << 20)       /* >= VFS_CLIENT_GRANT_MAX */
#define VFS_CLIENT_VA        0x0000310000000000ull
_Static_assert(VFS_CLIENT_WINDOW >= VFS_CLIENT_GRANT_MAX, "a grant fits its window");

static mos_handle_t vfs_ep;
static uint32_t vfs_window_seq;

long vfs_init(void)
{
    if (vfs_ep)
        return 0;
    mos_handle_t h = mos_cap_by_name("vfs");
    if (!h)
        return -MOS_ENOENT;
    vfs_ep = h;
    return 0;
}

mos_handle_t vfs_handle(void)
{
    return vfs_ep;
}

/* One request, retried while the server is being restarted. Returns the
 * reply's label (0 or -MOS_E*) or the call's own error; *reply holds the
 * reply (its payload and capabilities are in this thread's IPC buffer). */
static long vfs_call(uint32_t op, const uint64_t w[MOS_MSG_WORDS], const void *data, size_t len,
                     const mos_handle_t *caps, unsigned ncaps, struct mos_msg *reply)
{
    long r = vfs_init();
    if (r)
        return r;
    uint64_t pause = VFS_PAUSE_NS;
    for (int i = 0;; i++) {
        r = mos_call(vfs_ep, op, w, data, len, caps, ncaps, reply);
        if (r != -MOS_EDEAD || i + 1 == VFS_TRIES)
            break;
        (void)mos_thread_block(pause);
        pause = pause * 2 > VFS_PAUSE_MAX ? VFS_PAUSE_MAX : pause * 2;
    }
    if (r < 0)
        return r;
    return (int32_t)mos_msg_label(reply->info);
}

/* A request whose result is w0 (handle, byte count). */
static long vfs_call_count(uint32_t op, const uint64_t w[MOS_MSG_WORDS], const void *data, size_t len)
{
    struct mos_msg m;
    long r = vfs_call(op, w, data, len, NULL, 0, &m);
    return r < 0 ? r : (long)m.w[0];
}

/* Bytes of path with its NUL, or -MOS_ENAMETOOLONG / -MOS_EINVAL. */
static long path_bytes(const char *path)
{
    if (!path)
        return -MOS_EINVAL;
    size_t n = strnlen(path, VFS_PATH_MAX);
    return n >= VFS_PATH_MAX ? -MOS_ENAMETOOLONG : (long)n + 1;
}

/* Copy a reply's payload (exactly `size` bytes expected) out of the IPC buffer. */
static long vfs_take(const struct mos_msg *m, void *out, size_t size)
{
    if (mos_msg_bytes(m->info) < size)
        return -MOS_EIO;
    memcpy(out, mos_msg_data(m), size);
    return 0;
}

long vfs_open(const char *path, uint32_t flags)
{
    long n = path_bytes(path);
    if (n < 0)
        return n;
    const uint64_t w[MOS_MSG_WORDS] = { flags };
    return vfs_call_count(VFS_OPEN, w, path, (size_t)n);
}

long vfs_close(long h)
{
    const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h };
    struct mos_msg m;
    return vfs_call(VFS_CLOSE, w, NULL, 0, NULL, 0, &m);
}

/* One grant request of len (<= VFS_CLIENT_GRANT_MAX) bytes. */
static long vfs_grant_io(uint32_t op, long h, uint64_t off, void *buf, size_t len)
{
    uint64_t pages = (len + MOS_PAGE_SIZE - 1) / MOS_PAGE_SIZE;
    long mem = mos_mem_alloc(pages, 0);
    if (mem < 0)
        return mem;
    uint32_t seq = __atomic_fetch_add(&vfs_window_seq, 1, __ATOMIC_RELAXED);
    uint64_t va = VFS_CLIENT_VA + (seq % VFS_CLIENT_WINDOWS) * VFS_CLIENT_WINDOW;
    long r = mos_mem_map((mos_handle_t)mem, MOS_SELF, va, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r) {
        (void)mos_cap_delete((mos_handle_t)mem);
        return r;
    }
    if (op == VFS_WRITE_GRANT)
        memcpy((void *)(uintptr_t)va, buf, len);
    const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h, off, len };
    const mos_handle_t cap = (mos_handle_t)mem;
    struct mos_msg m;
    r = vfs_call(op, w, NULL, 0, &cap, 1, &m);
    if (r == 0) {
        r = m.w[0] > len ? (long)len : (long)m.w[0];
        if (op == VFS_READ_GRANT && r > 0)
            memcpy(buf, (const void *)(uintptr_t)va, (size_t)r);
    }
    (void)mos_mem_unmap(MOS_SELF, va, pages);
    (void)mos_cap_delete((mos_handle_t)mem);
    return r;
}

/* One payload request of len (<= MOS_MSG_MAX_BYTES) bytes. */
static long vfs_payload_io(uint32_t op, long h, uint64_t off, void *buf, size_t len)
{
    struct mos_msg m;
    long r;
    if (op == VFS_READ) {
        const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h, off, len };
        r = vfs_call(VFS_READ, w, NULL, 0, NULL, 0, &m);
        if (r == 0) {
            size_t n = m.w[0] < len ? (size_t)m.w[0] : len;
            if (n > mos_msg_bytes(m.info))
                n = mos_msg_bytes(m.info);
            memcpy(buf, mos_msg_data(&m), n);
            r = (long)n;
        }
    } else {
        const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h, off };
        r = vfs_call(VFS_WRITE, w, buf, len, NULL, 0, &m);
        if (r == 0)
            r = m.w[0] > len ? (long)len : (long)m.w[0];
    }
    return r;
}

/* Read or write len bytes: one payload request up to 4096 bytes, grant
 * requests above (falling back to payload requests if the endpoint
 * capability cannot pass capabilities). Stops at a short transfer (the end
 * of the file) or an error; returns the bytes done, or the error if none. */
static long vfs_io(int write, long h, uint64_t off, void *buf, size_t len)
{
    if (!buf && len)
        return -MOS_EINVAL;
    if (len <= MOS_MSG_MAX_BYTES)
        return vfs_payload_io(write ? VFS_WRITE : VFS_READ, h, off, buf, len);
    size_t done = 0;
    int grants = 1;
    while (done < len) {
        size_t chunk = len - done;
        long r;
        if (grants) {
            chunk = chunk > VFS_CLIENT_GRANT_MAX ? VFS_CLIENT_GRANT_MAX : chunk;
            r = vfs_grant_io(write ? VFS_WRITE_GRANT : VFS_READ_GRANT, h, off + done, (uint8_t *)buf + done,
                             chunk);
            if (r == -MOS_EPERM) {          /* no GRANT on the endpoint (or no access: asked again) */
                grants = 0;
                continue;
            }
        } else {
            chunk = chunk > MOS_MSG_MAX_BYTES ? MOS_MSG_MAX_BYTES : chunk;
            r = vfs_payload_io(write ? VFS_WRITE : VFS_READ, h, off + done, (uint8_t *)buf + done, chunk);
        }
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        if ((size_t)r < chunk)
            break;
    }
    return (long)done;
}

long vfs_read(long h, uint64_t off, void *buf, size_t len)
{
    return vfs_io(0, h, off, buf, len);
}

long vfs_write(long h, uint64_t off, const void *buf, size_t len)
{
    return vfs_io(1, h, off, (void *)(uintptr_t)buf, len);
}

long vfs_stat(const char *path, struct vfs_stat *st)
{
    long n = path_bytes(path);
    if (n < 0)
        return n;
    struct mos_msg m;
    long r = vfs_call(VFS_STAT, NULL, path, (size_t)n, NULL, 0, &m);
    return r < 0 ? r : vfs_take(&m, st, sizeof *st);
}

long vfs_fstat(long h, struct vfs_stat *st)
{
    const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h };
    struct mos_msg m;
    long r = vfs_call(VFS_FSTAT, w, NULL, 0, NULL, 0, &m);
    return r < 0 ? r : vfs_take(&m, st, sizeof *st);
}

long vfs_readdir(long h, uint64_t index, struct vfs_dirent *d)
{
    const uint64_t w[MOS_MSG_WORDS] = { (uint64_t)h, index };
    struct mos_msg m;
    long r = vfs_call(VFS_READDIR, w, NULL, 0, NULL, 0, &m);
    if (r < 0)
        return r;
    r = vfs_take(&m, d, sizeof *d);
    d->name[VFS_NAME_MAX - 1] = '\0';
    return r;
}

static long vfs_path_op(uint32_t op, const char *path)
{
    long n = path_bytes(path);
    if (n < 0)
        return n;
    struct mos_msg m;
    return vfs_call(op, NULL, path, (size_t)n, NULL, 0, &m);
}

long vfs_mkdir(const char *path)
{
    return vfs_path_op(VFS_MKDIR, path);
}

long vfs_unlink(const char *path)
{
    return vfs_path_op(VFS_UNLINK, path);
}

long vfs_rename(const char *from, const char *to)
{
    long a = path_bytes(from), b = path_bytes(to);
    if (a < 0)
        return a;
    if (b < 0)
        return b;
    char both[2 * VFS_PATH_MAX];
    memcpy(both, from, (size_t)a);
    memcpy(both + a, to, (size_t)b);
    struct mos_msg m;
    return vfs_call(VFS_RENAME, NULL, both, (size_t)(a + b), NULL, 0, &m);
}

long vfs_connect(mos_handle_t *session_cap, uint64_t *badge)
{
    struct mos_msg m;
    long r = vfs_call(VFS_CONNECT, NULL, NULL, 0, NULL, 0, &m);
    if (r < 0)
        return r;
    mos_handle_t cap = mos_msg_cap(&m, 0);
    if (!cap)
        return -MOS_EIO;                    /* the capability was lost on the way */
    /* The badge is the capability's own (the server also puts it in w0). */
    struct mos_cap_info ci;
    uint64_t b = m.w[0];
    if (mos_cap_inspect(cap, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0)
        b = ci.badge;
    if (session_cap)
        *session_cap = cap;
    else
        (void)mos_cap_delete(cap);
    if (badge)
        *badge = b;
    return 0;
}

long vfs_disconnect(uint64_t badge)
{
    const uint64_t w[MOS_MSG_WORDS] = { badge };
    struct mos_msg m;
    return vfs_call(VFS_DISCONNECT, w, NULL, 0, NULL, 0, &m);
}

long vfs_read_file(const char *path, char **data, size_t *len)
{
    long h = vfs_open(path, VFS_O_READ);
    if (h < 0)
        return h;
    struct vfs_stat st;
    long r = vfs_fstat(h, &st);
    char *buf = NULL;
    if (r == 0 && st.size >= SIZE_MAX / 2)
        r = -MOS_ENOMEM;
    if (r == 0 && !(buf = malloc((size_t)st.size + 1)))
        r = -MOS_ENOMEM;
    size_t got = 0;
    while (r == 0 && got < st.size) {
        long n = vfs_read(h, got, buf + got, (size_t)st.size - got);
        if (n < 0)
            r = n;
        else if (n == 0)
            break;                          /* it shrank meanwhile */
        else
            got += (size_t)n;
    }
    (void)vfs_close(h);
    if (r < 0) {
        free(buf);
        return r;
    }
    buf[got] = '\0';
    *data = buf;
    if (len)
        *len = got;
    return 0;
}
