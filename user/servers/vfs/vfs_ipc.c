// SPDX-License-Identifier: MIT
/* vfs_ipc.c - unpack a request, call vfs_*(), pack the reply; no decisions
 * here beyond the shape of messages. The table below says, per method, what
 * a request must carry: min_words words (always present: a message carries
 * MOS_MSG_WORDS in registers, so this documents which ones count),
 * min_bytes of payload and min_caps capabilities. Large reads and writes
 * map the client's MEMORY capability at VFS_GRANT_VA for the length of the
 * call; the loop deletes the capability afterwards. */
#include "vfs_ipc.h"

#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/proc.h>
#include "lib/string.h"
#include "user_syscalls.h"

typedef long (*vfs_ipc_fn)(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp);

struct vfs_ipc_op {
    vfs_ipc_fn fn;
    uint8_t min_words, min_bytes, min_caps;
};

/* The NUL-terminated string starting at byte `at` of the payload. */
static int payload_str(const struct vfs_req *rq, uint32_t at, const char **s, uint32_t *end)
{
    if (at >= rq->bytes)
        return -MOS_EINVAL;
    for (uint32_t i = at; i < rq->bytes; i++)
        if (rq->data[i] == '\0') {
            *s = (const char *)rq->data + at;
            *end = i + 1;
            return 0;
        }
    return -MOS_EINVAL;
}

/* Count results: w0 = the count, label 0. */
static long count_reply(struct vfs_rep *rp, long n)
{
    if (n < 0)
        return n;
    rp->w[0] = (uint64_t)n;
    return 0;
}

static long ipc_open(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    const char *path;
    uint32_t end;
    long r = payload_str(rq, 0, &path, &end);
    if (r)
        return r;
    if (rq->w[0] > UINT32_MAX)
        return -MOS_EINVAL;
    return count_reply(rp, vfs_open(v, rq->badge, path, (uint32_t)rq->w[0]));
}

static long ipc_close(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rp;
    return vfs_close(v, rq->badge, (long)rq->w[0]);
}

static long ipc_read(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    if (rq->w[2] > MOS_MSG_MAX_BYTES)
        return -MOS_EINVAL;
    long n = vfs_read(v, rq->badge, (long)rq->w[0], rq->w[1], rp->data, (size_t)rq->w[2]);
    if (n > 0)
        rp->bytes = (uint32_t)n;
    return count_reply(rp, n);
}

static long ipc_write(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    return count_reply(rp, vfs_write(v, rq->badge, (long)rq->w[0], rq->w[1], rq->data, rq->bytes));
}

/* Check that the MEMORY capability mem covers `len` bytes and allows prot,
 * then map its first `use` bytes (use <= len) at VFS_GRANT_VA; *pages =
 * pages mapped (0 when use is 0). */
static long grant_map(mos_handle_t mem, uint64_t len, uint64_t use, uint32_t prot, uint64_t *pages)
{
    struct mos_cap_info ci;
    long r = mos_cap_inspect(mem, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0);
    *pages = 0;
    if (r)
        return r;
    if (ci.type != MOS_CAP_MEMORY || (ci.flags & MOS_MEM_DEVICE))
        return -MOS_EBADTYPE;
    uint32_t need = MOS_RIGHT_READ | ((prot & MOS_PROT_WRITE) ? MOS_RIGHT_WRITE : 0);
    if ((ci.rights & need) != need)
        return -MOS_EPERM;
    if (len > ci.count * MOS_PAGE_SIZE)
        return -MOS_EINVAL;
    if (use == 0)
        return 0;
    uint64_t n = (use + MOS_PAGE_SIZE - 1) / MOS_PAGE_SIZE;
    r = mos_mem_map(mem, MOS_SELF, VFS_GRANT_VA, 0, n, prot);
    if (r)
        return r;
    *pages = n;
    return 0;
}

static void grant_unmap(uint64_t pages)
{
    if (pages)
        (void)mos_mem_unmap(MOS_SELF, VFS_GRANT_VA, pages);
}

static long ipc_read_grant(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    uint64_t len = rq->w[2] < VFS_GRANT_MAX ? rq->w[2] : VFS_GRANT_MAX, pages;
    long r = grant_map(rq->caps[0], rq->w[2], len, MOS_PROT_READ | MOS_PROT_WRITE, &pages);
    if (r)
        return r;
    r = vfs_read(v, rq->badge, (long)rq->w[0], rq->w[1], (void *)(uintptr_t)VFS_GRANT_VA, pages ? len : 0);
    grant_unmap(pages);
    return count_reply(rp, r);
}

static long ipc_write_grant(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    uint64_t len = rq->w[2] < VFS_GRANT_MAX ? rq->w[2] : VFS_GRANT_MAX, pages;
    long r = grant_map(rq->caps[0], rq->w[2], len, MOS_PROT_READ, &pages);
    if (r)
        return r;
    r = vfs_write(v, rq->badge, (long)rq->w[0], rq->w[1], (const void *)(uintptr_t)VFS_GRANT_VA,
                  pages ? len : 0);
    grant_unmap(pages);
    return count_reply(rp, r);
}

static long ipc_stat(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    const char *path;
    uint32_t end;
    struct vfs_stat st;
    long r = payload_str(rq, 0, &path, &end);
    if (r || (r = vfs_stat(v, path, &st)))
        return r;
    memcpy(rp->data, &st, sizeof st);
    rp->bytes = sizeof st;
    return 0;
}

static long ipc_fstat(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    struct vfs_stat st;
    long r = vfs_fstat(v, rq->badge, (long)rq->w[0], &st);
    if (r)
        return r;
    memcpy(rp->data, &st, sizeof st);
    rp->bytes = sizeof st;
    return 0;
}

static long ipc_readdir(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    struct vfs_dirent d;
    long r = vfs_readdir(v, rq->badge, (long)rq->w[0], rq->w[1], &d);
    if (r)
        return r;
    memcpy(rp->data, &d, sizeof d);
    rp->bytes = sizeof d;
    return 0;
}

static long ipc_mkdir(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rp;
    const char *path;
    uint32_t end;
    long r = payload_str(rq, 0, &path, &end);
    return r ? r : vfs_mkdir(v, path);
}

static long ipc_unlink(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rp;
    const char *path;
    uint32_t end;
    long r = payload_str(rq, 0, &path, &end);
    return r ? r : vfs_unlink(v, path);
}

static long ipc_rename(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rp;
    const char *from, *to;
    uint32_t mid, end;
    long r = payload_str(rq, 0, &from, &mid);
    if (r || (r = payload_str(rq, mid, &to, &end)))
        return r;
    return vfs_rename(v, from, to);
}

static long ipc_connect(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    uint64_t badge;
    long cap = vfs_connect(v, rq->badge, &badge);
    if (cap < 0)
        return cap;
    rp->cap = (mos_handle_t)cap;
    rp->w[0] = badge;
    return 0;
}

static long ipc_disconnect(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rp;
    return vfs_disconnect(v, rq->badge, rq->w[0]);
}

static long ipc_stats(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    (void)rq;
    vfs_stats(v, rp->w);
    return 0;
}

static const struct vfs_ipc_op vfs_ipc_ops[] = {
    [VFS_OPEN]        = { .fn = ipc_open,        .min_words = 1, .min_bytes = 2 },
    [VFS_CLOSE]       = { .fn = ipc_close,       .min_words = 1 },
    [VFS_READ]        = { .fn = ipc_read,        .min_words = 3 },
    [VFS_WRITE]       = { .fn = ipc_write,       .min_words = 2 },
    [VFS_READ_GRANT]  = { .fn = ipc_read_grant,  .min_words = 3, .min_caps = 1 },
    [VFS_WRITE_GRANT] = { .fn = ipc_write_grant, .min_words = 3, .min_caps = 1 },
    [VFS_STAT]        = { .fn = ipc_stat,        .min_bytes = 2 },
    [VFS_FSTAT]       = { .fn = ipc_fstat,       .min_words = 1 },
    [VFS_READDIR]     = { .fn = ipc_readdir,     .min_words = 2 },
    [VFS_MKDIR]       = { .fn = ipc_mkdir,       .min_bytes = 2 },
    [VFS_UNLINK]      = { .fn = ipc_unlink,      .min_bytes = 2 },
    [VFS_RENAME]      = { .fn = ipc_rename,      .min_bytes = 4 },
    [VFS_CONNECT]     = { .fn = ipc_connect },
    [VFS_DISCONNECT]  = { .fn = ipc_disconnect,  .min_words = 1 },
    [VFS_STATS]       = { .fn = ipc_stats },
};

void vfs_ipc_dispatch(struct vfs *v, const struct vfs_req *rq, struct vfs_rep *rp)
{
    rp->bytes = 0;
    rp->cap = 0;
    memset(rp->w, 0, sizeof rp->w);
    const struct vfs_ipc_op *op = rq->op < sizeof vfs_ipc_ops / sizeof vfs_ipc_ops[0] ? &vfs_ipc_ops[rq->op] : NULL;
    if (!op || !op->fn) {
        rp->result = -MOS_ENOSYS;
        return;
    }
    if (op->min_words > MOS_MSG_WORDS || rq->bytes < op->min_bytes || rq->ncaps < op->min_caps) {
        rp->result = -MOS_EINVAL;
        return;
    }
    rp->result = op->fn(v, rq, rp);
    if (rp->result < 0) {                   /* an error carries nothing */
        rp->bytes = 0;
        memset(rp->w, 0, sizeof rp->w);
    }
}
