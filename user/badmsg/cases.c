// SPDX-License-Identifier: MIT
/* cases.c - the malformed requests, per service, and the attacker role.
 * A case names the request (label, words, payload, capabilities) and what
 * must come back: a documented error code, E_ANY (some error: the protocol
 * names none), or 0 for a request whose only fault is a capability the
 * operation does not take (answered; the capability must not be kept).
 * Payload shapes: none, bytes of 'x', a path without its NUL, a path longer
 * than the protocol allows, a truncated structure. Oversized payloads and
 * capability counts beyond the message format are refused by the kernel
 * (they never reach a service); they are sent too, and the service must
 * still answer afterwards. */
#include "badmsg.h"
#include "proto/console.h"
#include "proto/net.h"
#include "proto/netdev.h"
#include "proto/pci.h"
#include "proto/vfs.h"

#define E_ANY   1000            /* any error reply */
#define E_KERN  1001            /* the kernel refuses the call itself (any error) */

enum pay { P_NONE, P_X, P_NONUL, P_LONG, P_NUL };
enum capk { C_NONE, C_EP, C_EP_RO, C_MEM, C_MEM_RO };

struct bcase {
    const char *what;
    uint32_t label;
    uint64_t w[4];
    uint8_t pay;                /* enum pay */
    uint16_t len;               /* P_X: bytes; P_NONUL/P_LONG: string length */
    uint8_t cap;                /* enum capk */
    int expect;                 /* -MOS_E*, E_ANY, E_KERN or 0 */
    uint32_t raw_info_bytes;    /* E_KERN: a payload length above the format's */
    uint32_t raw_ncaps;         /* E_KERN: a capability count above the format's */
};

#define BIG 0xFFFFFFFFFFFFFFFFull

static const struct bcase console_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 2^32-1", 0xFFFFFFFFu, { 1, 2, 3, 4 }, P_X, 100, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "read line of 0 bytes", CON_READ_LINE, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "raw read of 0 bytes", CON_READ, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "stats with an endpoint attached", CON_STATS, { 0 }, P_NONE, 0, C_EP, 0, 0, 0 },
    { "stats with memory attached", CON_STATS, { 0 }, P_NONE, 0, C_MEM, 0, 0, 0 },
    { "write with a payload of 5000 bytes", CON_WRITE, { 0 }, P_NONE, 0, C_NONE, E_KERN, 5000, 0 },
    { "stats with 5 capabilities", CON_STATS, { 0 }, P_NONE, 0, C_NONE, E_KERN, 0, 5 },
};

static const struct bcase vfs_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "open without a path", VFS_OPEN, { VFS_O_READ }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "open, path without NUL", VFS_OPEN, { VFS_O_READ }, P_NONUL, 9, C_NONE, -MOS_EINVAL, 0, 0 },
    { "open, path of 300 bytes", VFS_OPEN, { VFS_O_READ }, P_LONG, 300, C_NONE, -MOS_ENAMETOOLONG, 0, 0 },
    { "open, path of 4000 bytes", VFS_OPEN, { VFS_O_READ }, P_LONG, 4000, C_NONE, -MOS_ENAMETOOLONG, 0, 0 },
    { "open, flags above 32 bits", VFS_OPEN, { 1ull << 40 }, P_NUL, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "open, unknown flag bits", VFS_OPEN, { 0x8000 | VFS_O_READ }, P_NUL, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "open with an endpoint attached", VFS_OPEN, { 0x8000 }, P_NUL, 0, C_EP, -MOS_EINVAL, 0, 0 },
    { "close of handle 12345", VFS_CLOSE, { 12345 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "close of handle 2^64-1", VFS_CLOSE, { BIG }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "read of a bad handle", VFS_READ, { 77, 0, 16 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "read of 5000 bytes", VFS_READ, { 77, 0, 5000 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "read of 2^64-1 bytes at 2^64-1", VFS_READ, { 77, BIG, BIG }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "write to a bad handle", VFS_WRITE, { 77, 0 }, P_X, 64, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "grant read without a capability", VFS_READ_GRANT, { 77, 0, 4096 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "grant read with an endpoint", VFS_READ_GRANT, { 77, 0, 4096 }, P_NONE, 0, C_EP, E_ANY, 0, 0 },
    { "grant read with read-only memory", VFS_READ_GRANT, { 77, 0, 4096 }, P_NONE, 0, C_MEM_RO, E_ANY, 0, 0 },
    { "grant read longer than the memory", VFS_READ_GRANT, { 77, 0, 8192 }, P_NONE, 0, C_MEM, E_ANY, 0, 0 },
    { "grant write with an endpoint", VFS_WRITE_GRANT, { 77, 0, 16 }, P_NONE, 0, C_EP, E_ANY, 0, 0 },
    { "stat without a path", VFS_STAT, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "stat, path without NUL", VFS_STAT, { 0 }, P_NONUL, 9, C_NONE, -MOS_EINVAL, 0, 0 },
    { "stat, one byte", VFS_STAT, { 0 }, P_X, 1, C_NONE, -MOS_EINVAL, 0, 0 },
    { "fstat of a bad handle", VFS_FSTAT, { 5 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "readdir of a bad handle", VFS_READDIR, { 5, 0 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "mkdir, path of 300 bytes", VFS_MKDIR, { 0 }, P_LONG, 300, C_NONE, -MOS_ENAMETOOLONG, 0, 0 },
    { "unlink, path without NUL", VFS_UNLINK, { 0 }, P_NONUL, 9, C_NONE, -MOS_EINVAL, 0, 0 },
    { "rename, one path only", VFS_RENAME, { 0 }, P_NUL, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "disconnect a session made by another", VFS_DISCONNECT, { 0 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "stats with memory attached", VFS_STATS, { 0 }, P_NONE, 0, C_MEM, 0, 0, 0 },
    { "stat with a payload of 8191 bytes", VFS_STAT, { 0 }, P_NONE, 0, C_NONE, E_KERN, 8191, 0 },
    { "stats with 7 capabilities", VFS_STATS, { 0 }, P_NONE, 0, C_NONE, E_KERN, 0, 7 },
};

static const struct bcase init_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "kill without control", INIT_KILL, { 1 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "shutdown without control", INIT_SHUTDOWN, { 0 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "caps of pid 99999", INIT_CAPS, { 99999 }, P_NONE, 0, C_NONE, -MOS_ENOENT, 0, 0 },
    { "caps of pid 2^64-1", INIT_CAPS, { BIG }, P_NONE, 0, C_NONE, -MOS_ENOENT, 0, 0 },
    { "lookup without a name", INIT_LOOKUP, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "lookup of an empty name", INIT_LOOKUP, { 0 }, P_NUL, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "lookup, name of 40 bytes", INIT_LOOKUP, { 0 }, P_LONG, 40, C_NONE, -MOS_EINVAL, 0, 0 },
    { "lookup, name of 16 bytes without NUL", INIT_LOOKUP, { 0 }, P_NONUL, 16, C_NONE, -MOS_EINVAL, 0, 0 },
    { "lookup of an unknown service", INIT_LOOKUP, { 0 }, P_NONUL, 7, C_NONE, -MOS_ENOENT, 0, 0 },
    { "ps with an endpoint attached", INIT_PS, { 0 }, P_NONE, 0, C_EP, 0, 0, 0 },
    { "ps with 4 memory capabilities", INIT_PS, { 0 }, P_NONE, 0, C_MEM, 0, 0, 0 },
    { "ps with a payload of 6000 bytes", INIT_PS, { 0 }, P_NONE, 0, C_NONE, E_KERN, 6000, 0 },
};

static const struct bcase pci_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "claim by a client", PCI_CLAIM, { 0x10411af4, 0 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "bar by a client", PCI_BAR, { 0x18, 1 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "config read by a client", PCI_CFG_READ, { 0, 4 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "config write by a client", PCI_CFG_WRITE, { 4, 2, 0 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "list from index 1000", PCI_LIST, { 1000 }, P_NONE, 0, C_NONE, -MOS_ERANGE, 0, 0 },
    { "list from index 2^64-1", PCI_LIST, { BIG }, P_NONE, 0, C_NONE, -MOS_ERANGE, 0, 0 },
    { "info of bdf 0xffff", PCI_INFO, { 0xFFFF }, P_NONE, 0, C_NONE, -MOS_ENOENT, 0, 0 },
    { "info of bdf 2^40", PCI_INFO, { 1ull << 40 }, P_NONE, 0, C_NONE, E_ANY, 0, 0 },
    { "list with memory attached", PCI_LIST, { 0 }, P_NONE, 0, C_MEM, 0, 0, 0 },
    { "list with a payload of 4500 bytes", PCI_LIST, { 0 }, P_NONE, 0, C_NONE, E_KERN, 4500, 0 },
};

static const struct bcase net_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "hello with a memory token", NET_HELLO, { 0 }, P_NONE, 0, C_MEM, -MOS_EBADTYPE, 0, 0 },
    { "socket of type 99", NET_SOCKET, { 99 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "socket, ring of 5000 bytes", NET_SOCKET, { NET_UDP, 5000, 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "socket, ring of 2^40 bytes", NET_SOCKET, { NET_TCP, 1ull << 40, 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "socket with an endpoint attached", NET_SOCKET, { NET_UDP }, P_NONE, 0, C_EP, -MOS_EINVAL, 0, 0 },
    { "bind of a bad socket", NET_BIND, { 4095, 0, 80 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "bind to port 70000", NET_BIND, { 0, 0, 70000 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "connect, socket id above 32 bits", NET_CONNECT, { 1ull << 33, 0, 1 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "shutdown, how 9", NET_SHUTDOWN, { 0, 9 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "getname, which 2", NET_GETNAME, { 0, 2 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "setopt, option 77", NET_SETOPT, { 0, 77, 1 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "close of a bad socket", NET_CLOSE, { 4095 }, P_NONE, 0, C_NONE, -MOS_EBADHANDLE, 0, 0 },
    { "wait without entries", NET_WAIT, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "wait, truncated entry (5 bytes)", NET_WAIT, { 0 }, P_X, 5, C_NONE, -MOS_EINVAL, 0, 0 },
    { "wait, 65 entries", NET_WAIT, { 0 }, P_X, 65 * 8, C_NONE, -MOS_EINVAL, 0, 0 },
    { "wait, unknown event bits", NET_WAIT, { 0 }, P_X, 8, C_NONE, -MOS_EINVAL, 0, 0 },
    { "resolve without a name", NET_RESOLVE, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "resolve, name of 300 bytes", NET_RESOLVE, { 0 }, P_LONG, 300, C_NONE, -MOS_EINVAL, 0, 0 },
    { "resolve, a NUL in the name", NET_RESOLVE, { 0 }, P_NUL, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "ping of 2000 bytes", NET_PING, { 0x0100007f, 2000, 100, 1 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "ping, time-out 0", NET_PING, { 0x0100007f, 8, 0, 1 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "end another session", NET_SESSION_END, { 0x100 }, P_NONE, 0, C_NONE, E_ANY, 0, 0 },
    { "ifinfo with memory attached", NET_IFINFO, { 0 }, P_NONE, 0, C_MEM, -MOS_EINVAL, 0, 0 },
    { "ifinfo with a payload of 4097 bytes", NET_IFINFO, { 0 }, P_NONE, 0, C_NONE, E_KERN, 4097, 0 },
};

static const struct bcase netdev_cases[] = {
    { "unknown label 0", 0, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "unknown label 99", 99, { 0 }, P_NONE, 0, C_NONE, -MOS_ENOSYS, 0, 0 },
    { "attach without an endpoint", NETDEV_ATTACH, { 0 }, P_NONE, 0, C_NONE, -MOS_EINVAL, 0, 0 },
    { "attach with memory", NETDEV_ATTACH, { 0 }, P_NONE, 0, C_MEM, -MOS_EINVAL, 0, 0 },
    { "attach with a read-only endpoint", NETDEV_ATTACH, { 0 }, P_NONE, 0, C_EP_RO, -MOS_EINVAL, 0, 0 },
    { "detach, not attached", NETDEV_DETACH, { 0 }, P_NONE, 0, C_NONE, -MOS_EPERM, 0, 0 },
    { "status with a payload of 4096 x", NETDEV_STATUS, { 0 }, P_X, 4096, C_MEM, 0, 0, 0 },
    { "status with a payload of 7000 bytes", NETDEV_STATUS, { 0 }, P_NONE, 0, C_NONE, E_KERN, 7000, 0 },
};

struct bservice {
    const char *name;           /* its start-block capability name */
    const char *svc;            /* its name in the manifest (INIT_PS, INIT_CAPS) */
    const struct bcase *cases;
    unsigned n;
};

static const struct bservice services[] = {
    { "console", "serial", console_cases, sizeof console_cases / sizeof console_cases[0] },
    { "vfs", "vfs", vfs_cases, sizeof vfs_cases / sizeof vfs_cases[0] },
    { "init", "init", init_cases, sizeof init_cases / sizeof init_cases[0] },
    { "pci", "pci", pci_cases, sizeof pci_cases / sizeof pci_cases[0] },
    { "net", "netstack", net_cases, sizeof net_cases / sizeof net_cases[0] },
    { "netdev", "virtio-net", netdev_cases, sizeof netdev_cases / sizeof netdev_cases[0] },
};

static uint8_t payload[MOS_MSG_MAX_BYTES];

/* The service whose cases run now: labels are per protocol, so a special
 * case must name its service too (INIT_PS and NET_HELLO are both 1). */
static const char *cur_svc = "";
#define SVC_OP(svc, op) (strcmp(cur_svc, (svc)) == 0 && c->label == (op))

static size_t build_payload(const struct bcase *c)
{
    switch (c->pay) {
    case P_X:
        memset(payload, 'x', c->len);
        if (SVC_OP("net", NET_WAIT) && c->len == 8)
            payload[4] = 0xF0;          /* events: unknown bits */
        return c->len;
    case P_NONUL:
        memcpy(payload, "/etc/motdxxxxxxxxxxxxxxxxxxx", c->len);
        if (SVC_OP("init", INIT_LOOKUP))
            memcpy(payload, c->len == 7 ? "nothere" : "abcdefghijklmnop", c->len);
        return c->len;
    case P_LONG:
        payload[0] = '/';
        memset(payload + 1, 'a', (size_t)c->len - 1);
        payload[c->len] = '\0';
        if (SVC_OP("init", INIT_LOOKUP) || SVC_OP("net", NET_RESOLVE))
            payload[0] = 'a';
        return (size_t)c->len + 1;
    case P_NUL:
        if (SVC_OP("net", NET_RESOLVE)) {
            memcpy(payload, "abc\0def", 8);
            return 7;
        }
        if (SVC_OP("vfs", VFS_RENAME)) {
            memcpy(payload, "/tmp/a", 7);
            return 7;
        }
        if (SVC_OP("init", INIT_LOOKUP)) {
            payload[0] = '\0';
            return 1;
        }
        memcpy(payload, "/etc/motd", 10);
        return 10;
    default:
        return 0;
    }
}

/* A capability of the kind asked for, made fresh (the service must drop
 * it or refuse it; ours is deleted after the call either way). */
static mos_handle_t make_cap(unsigned kind)
{
    long h = 0;
    switch (kind) {
    case C_EP:
        h = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        break;
    case C_EP_RO: {
        long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        if (ep > 0) {
            h = mos_cap_transfer((mos_handle_t)ep, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0);
            (void)mos_cap_delete((mos_handle_t)ep);
        }
        break;
    }
    case C_MEM:
        h = mos_mem_alloc(1, 0);
        break;
    case C_MEM_RO: {
        long m = mos_mem_alloc(1, 0);
        if (m > 0) {
            h = mos_cap_transfer((mos_handle_t)m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 1);
            (void)mos_cap_delete((mos_handle_t)m);
        }
        break;
    }
    default:
        break;
    }
    return h > 0 ? (mos_handle_t)h : 0;
}

/* The number of capabilities the service holds (INIT_CAPS w1), or -1. */
static long caps_of(mos_handle_t init, const char *svc)
{
    struct init_proc p;
    if (!bm_ps(init, svc, &p) || p.state != MOS_PROC_ALIVE)
        return -1;
    const uint64_t w[MOS_MSG_WORDS] = { p.pid, 0, 0, 0 };
    struct mos_msg rep;
    if (bm_call(init, INIT_CAPS, w, NULL, 0, NULL, 0, &rep) != 0)
        return -1;
    return (long)rep.w[1];
}

/* VFS_DISCONNECT of a session neither ours nor made by us: session A
 * (VFS_CONNECT from our badge) makes session B; our own badge then asks to
 * end B. Both are ended by A afterwards. */
static long vfs_foreign_disconnect(mos_handle_t ep)
{
    struct mos_msg rep;
    const uint64_t none[MOS_MSG_WORDS] = { 0 };
    long r = mos_call(ep, VFS_CONNECT, none, NULL, 0, NULL, 0, &rep);
    if (r < 0 || (int32_t)mos_msg_label(rep.info) != 0 || !mos_msg_ncaps(rep.info))
        return -MOS_EPROTO;
    mos_handle_t a = mos_msg_cap(&rep, 0);
    uint64_t a_badge = rep.w[0];
    r = mos_call(a, VFS_CONNECT, none, NULL, 0, NULL, 0, &rep);
    if (r < 0 || (int32_t)mos_msg_label(rep.info) != 0 || !mos_msg_ncaps(rep.info)) {
        (void)mos_cap_delete(a);
        return -MOS_EPROTO;
    }
    mos_handle_t b = mos_msg_cap(&rep, 0);
    const uint64_t wb[MOS_MSG_WORDS] = { rep.w[0], 0, 0, 0 }, wa[MOS_MSG_WORDS] = { a_badge, 0, 0, 0 };
    long res = bm_call(ep, VFS_DISCONNECT, wb, NULL, 0, NULL, 0, &rep);
    (void)bm_call(a, VFS_DISCONNECT, wb, NULL, 0, NULL, 0, &rep);
    (void)bm_call(a, VFS_DISCONNECT, wa, NULL, 0, NULL, 0, &rep);
    (void)mos_cap_delete(b);
    (void)mos_cap_delete(a);
    return res;
}

/* Send one case: the result as bm_call (the raw kernel refusals too). */
static long send_case(mos_handle_t ep, const struct bcase *c, mos_handle_t *cap_out)
{
    size_t len = build_payload(c);
    struct mos_msg rep;
    *cap_out = 0;
    if (SVC_OP("vfs", VFS_DISCONNECT))
        return vfs_foreign_disconnect(ep);
    if (c->raw_info_bytes || c->raw_ncaps) {
        /* Beyond the format: staged by hand, the kernel must refuse it. */
        mos_msginfo_t info = ((uint64_t)c->label << 32) | (c->raw_info_bytes & 0x1FFFu) |
                             ((uint64_t)(c->raw_ncaps & 7u) << 16);
        return mos_ipc_call_m(ep, info, c->w, &rep);
    }
    mos_handle_t caps[4] = { 0 };
    unsigned ncaps = 0;
    if (c->cap != C_NONE) {
        caps[0] = make_cap(c->cap);
        if (!caps[0])
            return -MOS_ENOMEM;
        ncaps = 1;
        if (SVC_OP("init", INIT_PS) && c->cap == C_MEM) {   /* four at once */
            for (ncaps = 1; ncaps < 4; ncaps++)
                caps[ncaps] = make_cap(C_MEM);
        }
        *cap_out = caps[0];
    }
    long r = bm_call(ep, c->label, c->w, len ? payload : NULL, len, caps, ncaps, &rep);
    for (unsigned i = 1; i < ncaps; i++)
        (void)mos_cap_delete(caps[i]);
    return r;
}

static bool case_ok(const struct bcase *c, long r)
{
    if (c->expect == E_KERN || c->expect == E_ANY)
        return r < 0;
    return r == c->expect;
}

void bm_bad(mos_handle_t init)
{
    /* The restart counts of every service: none may change. */
    static struct init_proc before[6];
    bool had[6];
    for (unsigned s = 0; s < 6; s++)
        had[s] = bm_ps(init, services[s].svc, &before[s]);
    unsigned total = 0;
    for (unsigned s = 0; s < sizeof services / sizeof services[0]; s++) {
        const struct bservice *sv = &services[s];
        cur_svc = sv->name;
        mos_handle_t ep = mos_cap_by_name(sv->name);
        if (!ep || !had[s] || before[s].state != MOS_PROC_ALIVE) {
            printf("TEST badmsg/%s/errors SKIP no \"%s\" capability or no running %s\n", sv->name, sv->name,
                   sv->svc);
            continue;
        }
        /* A well-formed request first: the service is up and our session exists. */
        long e = bm_wellformed(sv->name, ep);
        if (e) {
            bm_result(sv->name, "answers-before", false, "a well-formed request: %s",
                      e == 1 ? "wrong answer" : mos_strerror(e));
            continue;
        }
        long caps0 = strcmp(sv->svc, "init") == 0 ? -2 : caps_of(init, sv->svc);
        unsigned errs = 0, dropped = 0, kern = 0, wrong = 0;
        char first[200] = "";
        for (unsigned i = 0; i < sv->n; i++) {
            const struct bcase *c = &sv->cases[i];
            mos_handle_t mine;
            long r = send_case(ep, c, &mine);
            if (mine)
                (void)mos_cap_delete(mine);
            if (!case_ok(c, r)) {
                if (!wrong++)
                    snprintf(first, sizeof first, "'%s': got %ld (%s), expected %d", c->what, r,
                             r < 0 ? mos_strerror(r) : "no error", c->expect);
                printf("badmsg: %s: '%s': got %ld (%s, %s), expected %d\n", sv->name, c->what, r,
                       r < 0 ? mos_strerror(r) : "no error", bm_kernel_refused ? "from the kernel" : "the reply",
                       c->expect);
            } else if (c->expect == E_KERN) {
                kern++;
            } else if (c->expect == 0) {
                dropped++;
            } else {
                errs++;
            }
        }
        total += sv->n;
        bm_result(sv->name, "errors", wrong == 0, "%u of %u cases: %s", wrong, sv->n, first);
        e = bm_wellformed(sv->name, ep);
        bm_result(sv->name, "answers-after", e == 0, "a well-formed request: %s",
                  e == 1 ? "wrong answer" : mos_strerror(e));
        long caps1 = caps0 == -2 ? -2 : caps_of(init, sv->svc);
        if (caps0 != -2)
            bm_result(sv->name, "keeps-no-caps", caps0 >= 0 && caps0 == caps1,
                      "the service holds %ld capabilities, %ld before", caps1, caps0);
        printf("BADMSG %s: %u malformed requests: %u error replies as documented, %u answered with the "
               "capability dropped, %u refused by the kernel, %u unexpected\n",
               sv->name, sv->n, errs, dropped, kern, wrong);
    }
    char changed[200] = "";
    size_t cl = 0;
    for (unsigned s = 0; s < 6; s++) {
        struct init_proc now;
        if (!had[s] || strcmp(services[s].svc, "init") == 0)
            continue;
        if (!bm_ps(init, services[s].svc, &now) || now.pid != before[s].pid || now.restarts != before[s].restarts ||
            now.state != before[s].state)
            cl += (size_t)snprintf(changed + cl, sizeof changed - cl, " %s", services[s].svc);
        if (cl >= sizeof changed)
            break;
    }
    bm_result("all", "no-service-died", !changed[0], "died or restarted:%s", changed);
    printf("BADMSG total: %u malformed requests\n", total);
}

/* ---------------------------------------------------------- well-formed */

long bm_wellformed(const char *cap, mos_handle_t ep)
{
    struct mos_msg rep;
    uint64_t w[MOS_MSG_WORDS] = { 0 };
    if (strcmp(cap, "console") == 0)
        return bm_call(ep, CON_STATS, w, NULL, 0, NULL, 0, &rep);
    if (strcmp(cap, "vfs") == 0) {
        long r = bm_call(ep, VFS_STAT, w, "/etc/motd", 10, NULL, 0, &rep);
        if (r == 0 && (mos_msg_bytes(rep.info) != sizeof(struct vfs_stat) ||
                       ((const struct vfs_stat *)mos_msg_data(&rep))->type != VFS_TYPE_FILE))
            r = 1;
        return r;
    }
    if (strcmp(cap, "init") == 0) {
        long r = bm_call(ep, INIT_PS, w, NULL, 0, NULL, 0, &rep);
        return r == 0 && rep.w[0] < 2 ? 1 : r;
    }
    if (strcmp(cap, "pci") == 0) {
        long r = bm_call(ep, PCI_LIST, w, NULL, 0, NULL, 0, &rep);
        return r == 0 && rep.w[1] == 0 ? 1 : r;
    }
    if (strcmp(cap, "net") == 0) {
        long r = bm_call(ep, NET_IFINFO, w, NULL, 0, NULL, 0, &rep);
        return r == 0 && mos_msg_bytes(rep.info) != sizeof(struct net_ifinfo) ? 1 : r;
    }
    if (strcmp(cap, "netdev") == 0) {
        long r = bm_call(ep, NETDEV_STATUS, w, NULL, 0, NULL, 0, &rep);
        return r == 0 && (rep.w[2] != NETDEV_MTU || rep.w[3] != 0) ? 1 : r;
    }
    return -MOS_ENOENT;
}
