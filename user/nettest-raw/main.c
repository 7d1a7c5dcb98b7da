// SPDX-License-Identifier: MIT
/* nettest-raw - tests the virtio-net driver and the pci service on their
 * own, as a netstack would use them, without a TCP/IP stack: attach to
 * "netdev", post receive buffers, send an ARP request for 10.0.2.2 in a raw
 * frame and wait for QEMU's (slirp's) ARP reply, which proves transmit,
 * receive and interrupts end to end. Then: descriptors that break the
 * rules are handed back with NETDEV_DESC_ERROR; what the driver, the pci
 * service and this side hold (INIT_CAPS, cap_inspect) is exactly what they
 * should (the driver: no ports, device memory only inside its BARs; this
 * side: no ports, no device memory); the pci service refuses a client what
 * only init or the device's driver may do; killing the pci service leaves
 * the driver working; killing the driver gets a restarted one that serves a
 * fresh region; DETACH revokes the region.
 *
 * Run as a service of a test manifest (user/rootfs/etc/nettest.conf, booted
 * with "initconf=/etc/nettest.conf"): capabilities "netdev" (use:netdev),
 * "pci" (use:pci), "init" (use:init:control, for INIT_PS/CAPS/KILL). Prints
 * "TEST netdrv/<name> ok|FAIL <why>" lines and "NETTEST DONE <n> passed,
 * <m> failed" (tests/qemu/scenarios_netdrv.py reads them). */
#include "mos_lib.h"
#include "netring.h"
#include "proto/init.h"
#include "proto/netdev.h"
#include "proto/pci.h"

#define MS              1000000ull
#define VA_REGION0      0x0000400000000000ull
#define VA_REGION_STEP  0x0000000100000000ull
#define NRX             32u             /* receive buffers kept posted */
#define TXBUF           200u            /* buffer index used for sending */

static const uint8_t my_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };

static unsigned passed, failed;
static mos_handle_t netdev, pci, init_ep, ep;

__attribute__((format(printf, 2, 3)))
static void result(const char *name, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    bool ok = strncmp(why, "ok", 2) == 0;
    printf("TEST netdrv/%s %s\n", name, why);
    if (ok)
        passed++;
    else
        failed++;
}

static uint64_t now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    return (uint64_t)(((unsigned __int128)(__builtin_ia32_rdtsc() - k->tsc_base) * k->tsc_mult) >> 32);
}

/* ---------------------------------------------------------------- the region */

struct client {
    mos_handle_t mem;
    uint8_t *base;
    uint64_t pages;
    uint8_t mac[6];
    uint32_t size, buf_off, buf_size, nbufs;
    struct netring *rx_free, *rx_done, *tx_ready, *tx_done;
    unsigned attach_no;
};

static struct client cl;

static long call(mos_handle_t to, uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, const void *data, size_t len,
                 const mos_handle_t *caps, unsigned ncaps, struct mos_msg *r)
{
    uint64_t w[MOS_MSG_WORDS] = { w0, w1, w2 };
    long e = mos_call(to, op, w, data, len, caps, ncaps, r);
    return e ? e : (int32_t)mos_msg_label(r->info);
}

/* NETDEV_ATTACH (retried while the driver is not listening yet). */
static long attach(struct client *c, uint64_t wait_ns)
{
    uint64_t end = now_ns() + wait_ns;
    long e;
    struct mos_msg r;
    for (;;) {
        long h = mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 0, 0);
        if (h < 0)
            return h;
        mos_handle_t give = (mos_handle_t)h;
        struct mos_ipc_buffer *buf = mos_ipc_buffer();
        mos_msginfo_t info;
        e = mos_ipc_stage(buf, NETDEV_ATTACH, NULL, 0, &give, 1, 1u, MOS_MSG_NONBLOCK, &info);
        if (e == 0)
            e = mos_ipc_call_m(netdev, info, NULL, &r);
        if (e == 0)
            e = (int32_t)mos_msg_label(r.info);
        struct mos_cap_info ci;
        if (mos_cap_inspect(give, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0)
            (void)mos_cap_delete(give);         /* not delivered */
        if (e != -MOS_EAGAIN || now_ns() > end)
            break;
        (void)mos_thread_block(20 * MS);
    }
    if (e < 0)
        return e;
    if (mos_msg_ncaps(r.info) != 1)
        return -MOS_EIO;
    c->mem = mos_msg_cap(&r, 0);
    c->pages = r.w[0];
    for (unsigned i = 0; i < 6; i++)
        c->mac[i] = (uint8_t)(r.w[1] >> (8 * i));
    struct mos_cap_info ci;
    if (mos_cap_inspect(c->mem, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) < 0 || ci.type != MOS_CAP_MEMORY ||
        ci.count != c->pages || c->pages > 4096)
        return -MOS_EIO;
    uint64_t va = VA_REGION0 + (uint64_t)c->attach_no++ * VA_REGION_STEP;
    e = mos_mem_map(c->mem, MOS_SELF, va, 0, c->pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (e < 0)
        return e;
    c->base = (uint8_t *)(uintptr_t)va;
    const struct netdev_shared *sh = (const struct netdev_shared *)c->base;
    uint64_t bytes = c->pages * MOS_PAGE_SIZE;
    c->size = sh->ring_size;
    c->buf_off = sh->buf_off;
    c->buf_size = sh->buf_size;
    c->nbufs = sh->nbufs;
    if (sh->magic != NETDEV_SHARED_MAGIC || sh->version != NETDEV_VERSION || c->size == 0 ||
        (c->size & (c->size - 1)) || c->buf_size < 2048 || c->nbufs < TXBUF + 8 ||
        (uint64_t)c->buf_off + (uint64_t)c->nbufs * c->buf_size > bytes)
        return -MOS_EIO;
    uint32_t offs[4] = { sh->rx_free_off, sh->rx_done_off, sh->tx_ready_off, sh->tx_done_off };
    for (unsigned i = 0; i < 4; i++)
        if (offs[i] % 64 || offs[i] + netring_bytes(c->size) > c->buf_off)
            return -MOS_EIO;
    c->rx_free = (struct netring *)(c->base + offs[0]);
    c->rx_done = (struct netring *)(c->base + offs[1]);
    c->tx_ready = (struct netring *)(c->base + offs[2]);
    c->tx_done = (struct netring *)(c->base + offs[3]);
    return 0;
}

static void drop_region(struct client *c)
{
    if (c->base)
        (void)mos_mem_unmap(MOS_SELF, (uint64_t)(uintptr_t)c->base, c->pages);
    if (c->mem)
        (void)mos_cap_delete(c->mem);
    c->base = NULL;
    c->mem = 0;
}

static void kick(uint64_t bits)
{
    (void)mos_ipc_notify(netdev, bits);
}

static void push(struct netring *r, uint64_t kick_bit, const struct netring_desc *d)
{
    if (!netring_push(r, cl.size, d))
        printf("nettest-raw: ring full\n");
    if (netring_producer_must_notify(r))
        kick(kick_bit);
}

static void post_rx(struct client *c, uint32_t i)
{
    struct netring_desc d = { .offset = c->buf_off + i * c->buf_size + NETDEV_HEADROOM,
                              .len = c->buf_size - NETDEV_HEADROOM, .id = i };
    push(c->rx_free, NETDEV_KICK_RX, &d);
}

/* An ARP request for gw_ip from my_ip, in buffer TXBUF. */
static void send_arp(struct client *c, uint32_t id)
{
    uint8_t *f = c->base + c->buf_off + TXBUF * c->buf_size + NETDEV_HEADROOM;
    memset(f, 0, 60);
    memset(f, 0xFF, 6);                         /* broadcast */
    memcpy(f + 6, c->mac, 6);
    f[12] = 0x08, f[13] = 0x06;                 /* ARP */
    f[14] = 0x00, f[15] = 0x01;                 /* Ethernet */
    f[16] = 0x08, f[17] = 0x00;                 /* IPv4 */
    f[18] = 6, f[19] = 4;
    f[20] = 0x00, f[21] = 0x01;                 /* request */
    memcpy(f + 22, c->mac, 6);
    memcpy(f + 28, my_ip, 4);
    memcpy(f + 38, gw_ip, 4);
    struct netring_desc d = { .offset = (uint32_t)(f - c->base), .len = 60, .id = id };
    push(c->tx_ready, NETDEV_KICK_TX, &d);
}

/* A descriptor from a ring the driver fills, checked against the region. */
static bool desc_sane(const struct client *c, const struct netring_desc *d)
{
    return d->offset >= c->buf_off && d->offset - c->buf_off < c->nbufs * c->buf_size &&
           d->len <= c->buf_size && (d->offset - c->buf_off) % c->buf_size + d->len <= c->buf_size;
}

struct waited {
    bool arp_reply, tx_back;
    uint8_t gw_mac[6];
    unsigned errors_rx, errors_tx;      /* descriptors handed back with NETDEV_DESC_ERROR */
    uint32_t err_ids[8];
    unsigned nerr;
};

/* Take what the driver returned until `done` says so or timeout. */
static bool pump(struct client *c, struct waited *w, uint64_t timeout_ns, bool (*done)(const struct waited *),
                 uint32_t tx_id)
{
    uint64_t end = now_ns() + timeout_ns;
    while (!done(w)) {
        struct netring_desc d;
        bool got = false;
        while (netring_pop(c->rx_done, c->size, &d)) {
            got = true;
            if (d.flags & NETDEV_DESC_ERROR) {
                w->errors_rx++;
                if (w->nerr < 8)
                    w->err_ids[w->nerr++] = d.id;
                if (d.id < NRX)
                    post_rx(c, d.id);
                continue;
            }
            if (desc_sane(c, &d) && d.len >= 42) {
                const uint8_t *f = c->base + d.offset;
                if (f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 && memcmp(f + 28, gw_ip, 4) == 0 &&
                    memcmp(f + 38, my_ip, 4) == 0) {
                    w->arp_reply = true;
                    memcpy(w->gw_mac, f + 22, 6);
                }
            }
            if (d.id < NRX)
                post_rx(c, d.id);
        }
        while (netring_pop(c->tx_done, c->size, &d)) {
            got = true;
            if (d.flags & NETDEV_DESC_ERROR) {
                w->errors_tx++;
                if (w->nerr < 8)
                    w->err_ids[w->nerr++] = d.id;
            } else if (d.id == tx_id) {
                w->tx_back = true;
            }
        }
        if (got || done(w))
            continue;
        uint64_t t = now_ns();
        if (t >= end)
            return false;
        if (netring_consumer_sleep(c->rx_done, c->size) && netring_consumer_sleep(c->tx_done, c->size)) {
            struct mos_msg m;
            (void)mos_recv(ep, end - t, 0, &m);
        }
    }
    return true;
}

static bool arp_done(const struct waited *w) { return w->arp_reply && w->tx_back; }

/* Send an ARP request and wait for the reply; one TEST line. */
static bool arp_test(struct client *c, const char *name, uint32_t tx_id)
{
    struct waited w = { 0 };
    uint64_t t0 = now_ns();
    send_arp(c, tx_id);
    bool ok = pump(c, &w, 5000 * MS, arp_done, tx_id);
    uint64_t ms = (now_ns() - t0) / MS;
    if (ok)
        result(name, "ok (10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x, %llu ms)", w.gw_mac[0], w.gw_mac[1],
               w.gw_mac[2], w.gw_mac[3], w.gw_mac[4], w.gw_mac[5], (unsigned long long)ms);
    else
        result(name, "FAIL no ARP reply%s within %llu ms (rx %llu, tx %llu packets)",
               w.tx_back ? "" : " and the frame was not handed back",
               (unsigned long long)ms, (unsigned long long)((struct netdev_shared *)c->base)->rx_packets,
               (unsigned long long)((struct netdev_shared *)c->base)->tx_packets);
    return ok;
}

static bool start_client(struct client *c, const char *name, uint64_t wait_ns)
{
    long e = attach(c, wait_ns);
    if (e < 0) {
        result(name, "FAIL NETDEV_ATTACH: %s", mos_strerror(e));
        return false;
    }
    const struct netdev_shared *sh = (const struct netdev_shared *)c->base;
    for (uint32_t i = 0; i < NRX; i++)
        post_rx(c, i);
    result(name, "ok (region %llu pages, %u buffers of %u, rings of %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s)",
           (unsigned long long)c->pages, c->nbufs, c->buf_size, c->size, c->mac[0], c->mac[1], c->mac[2], c->mac[3],
           c->mac[4], c->mac[5], sh->link_up ? "up" : "down");
    return true;
}

/* ---------------------------------------------------------------- init, pci */

struct svcinfo {
    uint64_t pid;
    uint32_t state, restarts;
};

static bool find_service(const char *name, struct svcinfo *out)
{
    struct mos_msg r;
    if (call(init_ep, INIT_PS, 0, 0, 0, NULL, 0, NULL, 0, &r) < 0)
        return false;
    const struct init_proc *p = mos_msg_data(&r);
    uint64_t n = r.w[0];
    for (uint64_t i = 0; i < n && (i + 1) * sizeof *p <= mos_msg_bytes(r.info); i++) {
        if (strcmp(p[i].name, name) == 0) {
            *out = (struct svcinfo){ .pid = p[i].pid, .state = p[i].state, .restarts = p[i].restarts };
            return true;
        }
    }
    return false;
}

static struct init_cap caps_buf[MOS_MSG_MAX_BYTES / sizeof(struct init_cap)];

static long caps_of(uint64_t pid, unsigned *n)
{
    struct mos_msg r;
    long e = call(init_ep, INIT_CAPS, pid, 0, 0, NULL, 0, NULL, 0, &r);
    if (e < 0)
        return e;
    *n = (unsigned)(mos_msg_bytes(r.info) / sizeof caps_buf[0]);
    memcpy(caps_buf, mos_msg_data(&r), *n * sizeof caps_buf[0]);
    return r.w[1] == r.w[0] ? 0 : -MOS_EOVERFLOW;
}

static bool find_nic(struct pci_dev_info *out)
{
    for (uint64_t first = 0;;) {
        struct mos_msg r;
        if (call(pci, PCI_LIST, first, 0, 0, NULL, 0, NULL, 0, &r) < 0 || r.w[0] == 0)
            return false;
        const struct pci_dev_info *d = mos_msg_data(&r);
        for (uint64_t i = 0; i < r.w[0]; i++) {
            if (d[i].vendor == 0x1af4 && d[i].device == 0x1041) {
                *out = d[i];
                return true;
            }
        }
        first += r.w[0];
        if (first >= r.w[1])
            return false;
    }
}

/* A service's capabilities: no I/O ports; device memory only inside the
 * memory BARs of nic (or none at all when nic is NULL). */
static void check_holdings(const char *test, const char *svc, const struct pci_dev_info *nic)
{
    struct svcinfo si;
    unsigned n;
    if (!find_service(svc, &si) || si.state != MOS_PROC_ALIVE) {
        result(test, "FAIL service %s is not running", svc);
        return;
    }
    long e = caps_of(si.pid, &n);
    if (e < 0) {
        result(test, "FAIL INIT_CAPS %s: %s", svc, mos_strerror(e));
        return;
    }
    unsigned dev_pages = 0, irqs = 0, pcidevs = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct init_cap *c = &caps_buf[i];
        if (c->type == MOS_CAP_IOPORT) {
            result(test, "FAIL %s holds I/O ports 0x%llx+%llu", svc, (unsigned long long)c->base,
                   (unsigned long long)c->count);
            return;
        }
        if (c->type == MOS_CAP_PROCESS || c->type == MOS_CAP_THREAD) {
            result(test, "FAIL %s holds a %s capability", svc, c->type == MOS_CAP_PROCESS ? "process" : "thread");
            return;
        }
        if (c->type == MOS_CAP_IRQ) {
            irqs++;
            if (!nic || c->count != 1 || c->base != nic->irq_line) {
                result(test, "FAIL %s holds IRQ lines %llu+%llu", svc, (unsigned long long)c->base,
                       (unsigned long long)c->count);
                return;
            }
        }
        if (c->type == MOS_CAP_ENDPOINT && (c->badge & ~PCI_BADGE_BDF_MASK) == PCI_BADGE_DEVICE) {
            pcidevs++;
            if (!nic || (c->badge & PCI_BADGE_BDF_MASK) != nic->bdf) {
                result(test, "FAIL %s holds config access to device 0x%llx", svc,
                       (unsigned long long)(c->badge & PCI_BADGE_BDF_MASK));
                return;
            }
        }
        if (c->type != MOS_CAP_MEMORY || !(c->flags & MOS_MEM_DEVICE))
            continue;
        /* The devmem object starts at physical 0: base is the physical page. */
        bool inside = false;
        for (unsigned b = 0; nic && b < PCI_MAX_BARS; b++) {
            const struct pci_bar_info *bar = &nic->bar[b];
            if (bar->base == 0 || bar->size == 0 || (bar->flags & (PCI_BAR_IO | PCI_BAR_UPPER)))
                continue;
            uint64_t first = bar->base >> 12, last = (bar->base + bar->size - 1) >> 12;
            if (c->base >= first && c->count && c->base + c->count - 1 <= last)
                inside = true;
        }
        if (!inside) {
            result(test, "FAIL %s holds device memory pages 0x%llx+%llu outside its BARs", svc,
                   (unsigned long long)c->base, (unsigned long long)c->count);
            return;
        }
        dev_pages += (unsigned)c->count;
    }
    if (nic && (pcidevs != 1 || dev_pages == 0)) {
        result(test, "FAIL %s: %u pcidev capabilities, %u device pages", svc, pcidevs, dev_pages);
        return;
    }
    result(test, "ok (%s: %u capabilities, %u device pages inside its BARs, %u IRQ line%s, no I/O ports)", svc, n,
           dev_pages, irqs, irqs == 1 ? "" : "s");
}

static void check_pci_holdings(void)
{
    const char *test = "pci-holds-config-ports-only";
    struct svcinfo si;
    unsigned n;
    if (!find_service("pci", &si) || caps_of(si.pid, &n) < 0) {
        result(test, "FAIL cannot list the pci service's capabilities");
        return;
    }
    unsigned ports = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct init_cap *c = &caps_buf[i];
        if (c->type == MOS_CAP_IOPORT) {
            if (c->base != 0xCF8 || c->count != 8) {
                result(test, "FAIL pci holds ports 0x%llx+%llu", (unsigned long long)c->base,
                       (unsigned long long)c->count);
                return;
            }
            ports++;
        }
        if (c->type == MOS_CAP_IRQ) {
            result(test, "FAIL pci holds IRQ lines");
            return;
        }
    }
    if (ports != 1) {
        result(test, "FAIL pci holds %u port capabilities", ports);
        return;
    }
    result(test, "ok (ports 0xcf8+8 only, no IRQ)");
}

/* This side (a netstack's place): no ports, no device memory. */
static void check_self(void)
{
    struct mos_cap_info ci;
    unsigned n = 0;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)(uintptr_t)&ci, MOS_SELF, MOS_INSPECT_NEXT) == 0; n++) {
        if (ci.type == MOS_CAP_IOPORT || ci.type == MOS_CAP_IRQ ||
            (ci.type == MOS_CAP_MEMORY && (ci.flags & MOS_MEM_DEVICE))) {
            result("netstack-side-no-device-access", "FAIL holds a %s capability",
                   ci.type == MOS_CAP_IOPORT ? "port" : ci.type == MOS_CAP_IRQ ? "IRQ" : "device memory");
            return;
        }
        i = MOS_HANDLE_INDEX(ci.handle) + 1;
    }
    result("netstack-side-no-device-access", "ok (%u capabilities: no ports, IRQs or device memory)", n);
}

static void check_pci_refuses(void)
{
    struct mos_msg r;
    long a = call(pci, PCI_CFG_READ, 0, 4, 0, NULL, 0, NULL, 0, &r);
    long b = call(pci, PCI_CFG_WRITE, 4, 2, 0, NULL, 0, NULL, 0, &r);
    long c = call(pci, PCI_CLAIM, 0x10411af4, 0, 0, NULL, 0, NULL, 0, &r);
    long d = call(pci, PCI_BAR, 0x18, 4, 0, NULL, 0, NULL, 0, &r);
    long e = call(pci, 99, 0, 0, 0, NULL, 0, NULL, 0, &r);
    if (a == -MOS_EPERM && b == -MOS_EPERM && c == -MOS_EPERM && d == -MOS_EPERM && e == -MOS_ENOSYS)
        result("pci-refuses-clients", "ok (CFG_READ, CFG_WRITE, CLAIM, BAR: permission denied; unknown: ENOSYS)");
    else
        result("pci-refuses-clients", "FAIL got %ld %ld %ld %ld %ld", a, b, c, d, e);
}

static bool errors_done(const struct waited *w) { return w->errors_rx + w->errors_tx >= 4; }

static void check_bad_descriptors(struct client *c)
{
    uint32_t end = (uint32_t)(c->pages * MOS_PAGE_SIZE);
    struct netring_desc bad[4] = {
        { .offset = 8, .len = 60, .id = 901 },                              /* in the shared page */
        { .offset = c->buf_off + 210 * c->buf_size + 4, .len = 60, .id = 902 },    /* no headroom */
        { .offset = c->buf_off + 211 * c->buf_size + 64, .len = 4000, .id = 903 }, /* past its buffer */
    };
    for (unsigned i = 0; i < 3; i++)
        push(c->tx_ready, NETDEV_KICK_TX, &bad[i]);
    bad[3] = (struct netring_desc){ .offset = end + 4096, .len = 1984, .id = 904 };   /* outside */
    push(c->rx_free, NETDEV_KICK_RX, &bad[3]);
    struct waited w = { 0 };
    bool ok = pump(c, &w, 3000 * MS, errors_done, 0);
    if (!ok || w.errors_tx != 3 || w.errors_rx != 1)
        result("bad-descriptors-refused", "FAIL %u tx and %u rx descriptors came back with the error flag (3, 1 sent)",
               w.errors_tx, w.errors_rx);
    else
        result("bad-descriptors-refused", "ok (4 refused and handed back: ids %u %u %u %u)", w.err_ids[0],
               w.err_ids[1], w.err_ids[2], w.err_ids[3]);
}

/* Kill a service through init and wait until its next incarnation runs. */
static bool kill_and_wait(const char *svc, struct svcinfo *after)
{
    struct svcinfo before;
    struct mos_msg r;
    if (!find_service(svc, &before) || call(init_ep, INIT_KILL, before.pid, 0, 0, NULL, 0, NULL, 0, &r) < 0)
        return false;
    uint64_t end = now_ns() + 5000 * MS;
    while (now_ns() < end) {
        (void)mos_thread_block(20 * MS);
        if (find_service(svc, after) && after->pid != before.pid && after->state == MOS_PROC_ALIVE)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    netdev = mos_cap_by_name("netdev");
    pci = mos_cap_by_name("pci");
    init_ep = mos_cap_by_name("init");
    long h = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (!netdev || !pci || !init_ep || h < 0) {
        printf("nettest-raw: needs \"netdev\", \"pci\" and \"init\"\n");
        printf("NETTEST DONE 0 passed, 1 failed\n");
        return 1;
    }
    ep = (mos_handle_t)h;

    if (start_client(&cl, "attach", 10000 * MS)) {
        struct mos_msg r;
        long e = call(netdev, NETDEV_STATUS, 0, 0, 0, NULL, 0, NULL, 0, &r);
        if (e == 0 && r.w[3] == 1 && r.w[2] == NETDEV_MTU)
            result("status", "ok (link %s, attached to us)", r.w[0] ? "up" : "down");
        else
            result("status", "FAIL STATUS: %s, w3 %llu", mos_strerror(e), (unsigned long long)r.w[3]);
        arp_test(&cl, "arp-reply", 1000);
        check_bad_descriptors(&cl);
        arp_test(&cl, "arp-after-bad-descriptors", 1001);
    }

    struct pci_dev_info nic;
    if (find_nic(&nic)) {
        check_holdings("driver-holds-its-device-only", "virtio-net", &nic);
    } else {
        result("driver-holds-its-device-only", "FAIL PCI_LIST has no 1af4:1041");
    }
    check_pci_holdings();
    check_self();
    struct svcinfo si;
    if (find_service("netstack", &si) && si.state == MOS_PROC_ALIVE)
        check_holdings("netstack-holds-no-device", "netstack", NULL);
    check_pci_refuses();

    /* The pci service dies: the driver keeps working, pci comes back. */
    struct svcinfo after;
    if (!kill_and_wait("pci", &after)) {
        result("pci-restart-keeps-driver", "FAIL the pci service did not come back after INIT_KILL");
    } else {
        struct pci_dev_info again;
        if (!find_nic(&again))
            result("pci-restart-keeps-driver", "FAIL the restarted pci service does not list the NIC");
        else if (cl.base && arp_test(&cl, "arp-after-pci-restart", 1002))
            result("pci-restart-keeps-driver", "ok (pci pid %llu, restarts %u; the driver still answers)",
                   (unsigned long long)after.pid, after.restarts);
    }

    /* The driver dies: the new one resets the device and serves a fresh region. */
    if (!kill_and_wait("virtio-net", &after)) {
        result("driver-restart", "FAIL virtio-net did not come back after INIT_KILL");
    } else {
        struct mos_msg r;
        long e = -MOS_EAGAIN;
        for (unsigned i = 0; i < 100 && e == -MOS_EAGAIN; i++) {
            uint64_t w[MOS_MSG_WORDS] = { 0 };
            struct mos_ipc_buffer *buf = mos_ipc_buffer();
            mos_msginfo_t info;
            e = mos_ipc_stage(buf, NETDEV_STATUS, NULL, 0, NULL, 0, 0, MOS_MSG_NONBLOCK, &info);
            if (e == 0)
                e = mos_ipc_call_m(netdev, info, w, &r);
            if (e == 0)
                e = (int32_t)mos_msg_label(r.info);
            if (e == -MOS_EAGAIN)
                (void)mos_thread_block(20 * MS);
        }
        if (e < 0 || r.w[3] != 0) {
            result("driver-restart", "FAIL STATUS after the restart: %s, attached %llu", mos_strerror(e),
                   (unsigned long long)r.w[3]);
        } else {
            drop_region(&cl);
            if (start_client(&cl, "reattach-after-driver-restart", 5000 * MS) &&
                arp_test(&cl, "arp-after-driver-restart", 1003))
                result("driver-restart", "ok (virtio-net pid %llu, restarts %u: a fresh region, ARP answered)",
                       (unsigned long long)after.pid, after.restarts);
        }
    }

    /* DETACH revokes the region: our capability (and mapping) is gone. */
    if (cl.mem) {
        struct mos_msg r;
        long e = call(netdev, NETDEV_DETACH, 0, 0, 0, NULL, 0, NULL, 0, &r);
        struct mos_cap_info ci;
        long still = mos_cap_inspect(cl.mem, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0);
        if (e == 0 && still == -MOS_EBADHANDLE)
            result("detach-revokes-region", "ok (the region capability is gone)");
        else
            result("detach-revokes-region", "FAIL DETACH: %s; our capability: %s", mos_strerror(e),
                   still == 0 ? "still there" : mos_strerror(still));
    }
    printf("NETTEST DONE %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
