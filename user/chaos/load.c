// SPDX-License-Identifier: MIT
/* load.c - the load threads of the fault injector: each calls its service
 * with well-formed requests, as fast as it is scheduled, until told to
 * stop, and sorts every result into "ok" (the right answer), "dead" (the
 * results a kill explains: -MOS_EDEAD when the server died holding the
 * call, -MOS_EBADHANDLE for a handle or socket of an earlier incarnation,
 * -MOS_ENOENT for a /tmp file the restart emptied) and "bad" (anything else,
 * including a wrong answer). Raw calls (no client library), so no retry
 * hides a result. Every capability a reply carries is deleted. */
#include "chaos.h"
#include "proto/console.h"
#include "proto/net.h"
#include "proto/vfs.h"

#define MOTD "/etc/motd"

uint64_t chaos_now_ns(void)
{
    const volatile struct mos_kinfo *k = (const volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc() - k->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * k->tsc_mult) >> 32);
}

/* One call: the system call's error, else the reply's label (0 or -MOS_E*).
 * Capabilities in the reply are deleted unless keep != NULL (then cap 0 is
 * stored there and the others deleted). */
static long call(mos_handle_t ep, uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, const void *data, size_t len,
                 struct mos_msg *rep, mos_handle_t *keep)
{
    const uint64_t w[MOS_MSG_WORDS] = { w0, w1, w2, 0 };
    long r = mos_call(ep, op, w, data, len, NULL, 0, rep);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < mos_msg_ncaps(rep->info); i++) {
        mos_handle_t c = mos_msg_cap(rep, i);
        if (i == 0 && keep)
            *keep = c;
        else if (c)
            (void)mos_cap_delete(c);
    }
    return (int32_t)mos_msg_label(rep->info);
}

/* Between rounds a load thread sleeps 0..CHAOS_PACE_NS (its own
 * xorshift, seeded by its id): requests keep arriving at random moments,
 * but the CPUs are not kept busy (under -icount every busy instruction
 * costs wall time). */
#define CHAOS_PACE_NS 400000ull

static void pace(struct chaos_load *l)
{
    uint64_t x = l->rng ? l->rng : 0x2545F4914F6CDD1Dull + l->id;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    l->rng = x;
    (void)mos_thread_block(x % CHAOS_PACE_NS);
}

static void count(struct chaos_load *l, uint32_t op, long r, bool enoent_ok)
{
    if (r == 0)
        l->ok++;
    else if (r == -MOS_EDEAD || r == -MOS_EBADHANDLE || (enoent_ok && r == -MOS_ENOENT))
        l->dead++;
    else {
        if (!l->bad)
            l->first_bad = r, l->first_bad_op = op;
        l->bad++;
    }
}

/* ------------------------------------------------------------ console */

static void load_console(struct chaos_load *l)
{
    struct mos_msg rep;
    while (!l->stop) {
        count(l, CON_STATS, call(l->cap, CON_STATS, 0, 0, 0, NULL, 0, &rep, NULL), false);
        pace(l);
    }
}

/* ---------------------------------------------------------------- vfs */

static uint64_t motd_size;              /* set by chaos_probe before any load */
static uint8_t motd_head[64];
static uint32_t motd_head_len;

static long vfs_stat_motd(mos_handle_t ep, struct vfs_stat *st)
{
    struct mos_msg rep;
    long r = call(ep, VFS_STAT, 0, 0, 0, MOTD, sizeof MOTD, &rep, NULL);
    if (r == 0) {
        if (mos_msg_bytes(rep.info) != sizeof *st)
            return 1;
        memcpy(st, mos_msg_data(&rep), sizeof *st);
    }
    return r;
}

/* Open, read the head, close: the head must be the one read at start. */
static long vfs_read_motd(mos_handle_t ep, struct chaos_load *l)
{
    struct mos_msg rep;
    long r = call(ep, VFS_OPEN, VFS_O_READ, 0, 0, MOTD, sizeof MOTD, &rep, NULL);
    if (r)
        return r;
    uint64_t h = rep.w[0];
    r = call(ep, VFS_READ, h, 0, sizeof motd_head, NULL, 0, &rep, NULL);
    if (r == 0 && (rep.w[0] != motd_head_len || memcmp(mos_msg_data(&rep), motd_head, motd_head_len) != 0))
        r = 1;
    long c = call(ep, VFS_CLOSE, h, 0, 0, NULL, 0, &rep, NULL);
    if (l && c)
        count(l, VFS_CLOSE, c, false);
    return r;
}

/* Create /tmp/chaosN, write a pattern, read it back, close, unlink. */
static void vfs_tmp_cycle(struct chaos_load *l, uint64_t round)
{
    char path[32], data[48], back[48];
    snprintf(path, sizeof path, "/tmp/chaos%u", l->id);
    int n = snprintf(data, sizeof data, "chaos %u round %llu", l->id, (unsigned long long)round);
    struct mos_msg rep;
    long r = call(l->cap, VFS_OPEN, VFS_O_READ | VFS_O_WRITE | VFS_O_CREATE | VFS_O_TRUNC, 0, 0, path,
                  strlen(path) + 1, &rep, NULL);
    count(l, VFS_OPEN, r, false);
    if (r)
        return;
    uint64_t h = rep.w[0];
    r = call(l->cap, VFS_WRITE, h, 0, 0, data, (size_t)n, &rep, NULL);
    if (r == 0 && rep.w[0] != (uint64_t)n)
        r = 1;
    count(l, VFS_WRITE, r, false);
    if (r == 0) {
        r = call(l->cap, VFS_READ, h, 0, sizeof back, NULL, 0, &rep, NULL);
        if (r == 0) {
            memcpy(back, mos_msg_data(&rep), mos_msg_bytes(rep.info) < sizeof back ? mos_msg_bytes(rep.info)
                                                                                   : sizeof back);
            if (rep.w[0] != (uint64_t)n || memcmp(back, data, (size_t)n) != 0)
                r = 1;
        }
        count(l, VFS_READ, r, false);
    }
    count(l, VFS_CLOSE, call(l->cap, VFS_CLOSE, h, 0, 0, NULL, 0, &rep, NULL), false);
    /* The restart empties /tmp: the file may be gone. */
    count(l, VFS_UNLINK, call(l->cap, VFS_UNLINK, 0, 0, 0, path, strlen(path) + 1, &rep, NULL), true);
}

static void load_vfs(struct chaos_load *l)
{
    for (uint64_t round = 0; !l->stop; round++) {
        struct vfs_stat st;
        long r = vfs_stat_motd(l->cap, &st);
        if (r == 0 && st.size != motd_size)
            r = 1;
        count(l, VFS_STAT, r, false);
        count(l, VFS_OPEN, vfs_read_motd(l->cap, l), false);
        vfs_tmp_cycle(l, round);
        pace(l);
    }
}

/* ---------------------------------------------------------------- net */

static long net_ifinfo_call(mos_handle_t ep)
{
    struct mos_msg rep;
    long r = call(ep, NET_IFINFO, 0, 0, 0, NULL, 0, &rep, NULL);
    if (r == 0 && mos_msg_bytes(rep.info) != sizeof(struct net_ifinfo))
        r = 1;
    return r;
}

static void load_net(struct chaos_load *l)
{
    struct mos_msg rep;
    while (!l->stop) {
        count(l, NET_IFINFO, net_ifinfo_call(l->cap), false);
        mos_handle_t area = 0;
        long r = call(l->cap, NET_SOCKET, NET_UDP, 0, 0, NULL, 0, &rep, &area);
        if (r == 0 && !area)
            r = 1;
        count(l, NET_SOCKET, r, false);
        if (r == 0) {
            uint64_t id = rep.w[0];
            count(l, NET_BIND, call(l->cap, NET_BIND, id, NET_ADDR_LOOPBACK, 0, NULL, 0, &rep, NULL), false);
            count(l, NET_CLOSE, call(l->cap, NET_CLOSE, id, 0, 0, NULL, 0, &rep, NULL), false);
        }
        if (area)
            (void)mos_cap_delete(area);
        pace(l);
    }
}

void chaos_load_run(void *arg)
{
    struct chaos_load *l = arg;
    switch (l->kind) {
    case CHAOS_CONSOLE:
        load_console(l);
        break;
    case CHAOS_VFS:
        load_vfs(l);
        break;
    case CHAOS_NET:
        load_net(l);
        break;
    }
}

long chaos_probe(enum chaos_kind kind, mos_handle_t cap)
{
    struct mos_msg rep;
    switch (kind) {
    case CHAOS_CONSOLE: {
        long r = call(cap, CON_STATS, 0, 0, 0, NULL, 0, &rep, NULL);
        return r;
    }
    case CHAOS_VFS: {
        struct vfs_stat st;
        long r = vfs_stat_motd(cap, &st);
        if (r)
            return r;
        if (!motd_size) {               /* the first probe learns the file */
            motd_size = st.size;
            motd_head_len = (uint32_t)(st.size < sizeof motd_head ? st.size : sizeof motd_head);
            r = call(cap, VFS_OPEN, VFS_O_READ, 0, 0, MOTD, sizeof MOTD, &rep, NULL);
            if (r)
                return r;
            uint64_t h = rep.w[0];
            r = call(cap, VFS_READ, h, 0, motd_head_len, NULL, 0, &rep, NULL);
            if (r == 0 && rep.w[0] == motd_head_len)
                memcpy(motd_head, mos_msg_data(&rep), motd_head_len);
            else if (r == 0)
                r = 1;
            long c = call(cap, VFS_CLOSE, h, 0, 0, NULL, 0, &rep, NULL);
            return r ? r : c;
        }
        if (st.size != motd_size)
            return 1;
        return vfs_read_motd(cap, NULL);
    }
    case CHAOS_NET:
        return net_ifinfo_call(cap);
    }
    return -MOS_EINVAL;
}
