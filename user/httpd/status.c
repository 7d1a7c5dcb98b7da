// SPDX-License-Identifier: MIT
/* status.c - the live status page: uptime and memory from the kernel
 * information page (mos/kinfo.h), the processes from init (INIT_PS through
 * the "init" capability), the network from the netstack (NET_IFINFO), and
 * this server's own counters. One snapshot is taken per request and
 * written either as HTML or as "key value" lines (/status.txt, which the
 * tests read: every number is there under a fixed name). A source that
 * does not answer is reported as unavailable, never waited for forever
 * (init and the netstack answer at once; a dead netstack fails the call). */
#include "mos_lib.h"
#include "net_client.h"
#include "proto/init.h"
#include "httpd.h"

struct snapshot {
    const struct mos_kinfo *k;
    uint64_t uptime_ns;
    unsigned nprocs;
    long procs_err;
    long net_err;
    struct net_ifinfo net;
};

static struct init_proc procs[MOS_MSG_MAX_BYTES / sizeof(struct init_proc)];
static struct snapshot snap;

static uint64_t tsc_ns(const struct mos_kinfo *k)
{
    uint64_t tsc = __builtin_ia32_rdtsc() - k->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * k->tsc_mult) >> 32);
}

static void take_snapshot(void)
{
    memset(&snap, 0, sizeof snap);
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    snap.k = k->magic == MOS_KINFO_MAGIC ? k : NULL;
    snap.uptime_ns = snap.k ? tsc_ns(snap.k) : 0;
    mos_handle_t init = mos_cap_by_name("init");
    snap.procs_err = -MOS_ENOENT;
    if (init) {
        struct mos_msg m;
        long e = mos_call(init, INIT_PS, NULL, NULL, 0, NULL, 0, &m);
        if (e == 0)
            e = (int32_t)mos_msg_label(m.info);
        if (e == 0) {
            size_t n = m.w[0], fit = mos_msg_bytes(m.info) / sizeof procs[0];
            if (n > fit)
                n = fit;
            memcpy(procs, mos_msg_data(&m), n * sizeof procs[0]);
            for (size_t i = 0; i < n; i++)
                procs[i].name[sizeof procs[i].name - 1] = '\0';
            snap.nprocs = (unsigned)n;
        }
        snap.procs_err = e;
    }
    snap.net_err = net_ifinfo(&snap.net);
}

/* ---------------------------------------------------------------- output */

struct out {
    char *buf;
    size_t cap, at;
    bool cut;
};

__attribute__((format(printf, 2, 3))) static void emit(struct out *o, const char *fmt, ...)
{
    if (o->cut)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->at, o->cap - o->at, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->at) {
        o->cut = true;                  /* keep what fitted; the end says so */
        o->buf[o->at] = '\0';
        return;
    }
    o->at += (size_t)n;
}

static const char *state_name(uint32_t st)
{
    return st == MOS_PROC_ALIVE ? "alive" : st == MOS_PROC_DEAD ? "dead" : "none";
}

static const char *ip(uint32_t a, char b[16])
{
    return net_ntoa(a, b);
}

/* Network counters: name, value (the text form's keys). */
#define NET_COUNTERS(X) \
    X(rx_packets) X(rx_bytes) X(rx_dropped) X(rx_bad_desc) \
    X(tx_packets) X(tx_bytes) X(tx_dropped) X(tx_bad_desc) \
    X(drv_rx_packets) X(drv_rx_dropped) X(drv_rx_errors) \
    X(drv_tx_packets) X(drv_tx_dropped) X(drv_tx_errors) \
    X(ip_rx) X(ip_tx) X(ip_drop) X(tcp_rx) X(tcp_tx) X(tcp_drop) \
    X(udp_rx) X(udp_tx) X(udp_drop) X(icmp_rx) X(icmp_tx) X(icmp_drop) X(ipc_bad_requests) \
    X(sessions) X(sockets) X(closing) X(shm_pages) X(waits) X(lwip_mem_used) X(pbufs) \
    X(tcp_pcbs) X(tcp_tw_pcbs) X(udp_pcbs) X(tcp_segs) X(nic_tx_free) X(attaches) X(epoch)

static void text_page(struct out *o)
{
    const struct mos_kinfo *k = snap.k;
    emit(o, "uptime_ms %llu\n", (unsigned long long)(snap.uptime_ns / 1000000u));
    if (k) {
        emit(o, "cpus %u\n", k->ncpus);
        emit(o, "frames_total %llu\nframes_free %llu\n", (unsigned long long)k->total_frames,
             (unsigned long long)k->free_frames);
        emit(o, "kernel_heap_bytes %llu\nkernel_heap_objects %llu\n", (unsigned long long)k->heap_bytes,
             (unsigned long long)k->heap_objects);
        emit(o, "kernel_memory_objects %llu\nkernel_endpoints %llu\nkernel_processes %llu\n"
                "kernel_threads %llu\nkernel_mappings %llu\n",
             (unsigned long long)k->objects[MOS_CAP_MEMORY], (unsigned long long)k->objects[MOS_CAP_ENDPOINT],
             (unsigned long long)k->objects[MOS_CAP_PROCESS], (unsigned long long)k->objects[MOS_CAP_THREAD],
             (unsigned long long)k->mappings);
    }
    if (snap.procs_err == 0) {
        emit(o, "processes %u\n", snap.nprocs);
        for (unsigned i = 0; i < snap.nprocs; i++) {
            const struct init_proc *p = &procs[i];
            emit(o, "process %llu %s %s threads %u pages %llu quota %llu restarts %u\n",
                 (unsigned long long)p->pid, p->name, state_name(p->state), p->threads,
                 (unsigned long long)p->used_pages, (unsigned long long)p->quota_pages, p->restarts);
        }
    } else {
        emit(o, "processes unavailable %s\n", mos_strerror(snap.procs_err));
    }
    if (snap.net_err == 0) {
        const struct net_ifinfo *n = &snap.net;
        char a[16], m[16], g[16];
        emit(o, "net_flags%s%s%s%s\n", n->flags & NET_IF_PRESENT ? " present" : "",
             n->flags & NET_IF_LINK ? " link" : "", n->flags & NET_IF_UP ? " up" : "",
             n->flags & NET_IF_DHCP ? " dhcp" : "");
        emit(o, "net_addr %s\nnet_netmask %s\nnet_gateway %s\n", ip(n->addr, a), ip(n->netmask, m),
             ip(n->gateway, g));
        emit(o, "net_mac %02x:%02x:%02x:%02x:%02x:%02x\n", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
             n->mac[4], n->mac[5]);
#define X(f) emit(o, "net_" #f " %llu\n", (unsigned long long)n->f);
        NET_COUNTERS(X)
#undef X
    } else {
        emit(o, "net unavailable %s\n", mos_strerror(snap.net_err));
    }
    const struct httpd_stats *s = &httpd_stats;
    emit(o, "httpd_connections %u\nhttpd_accepted %llu\nhttpd_refused_busy %llu\nhttpd_requests %llu\n",
         s->open, (unsigned long long)s->accepted, (unsigned long long)s->refused_busy,
         (unsigned long long)s->requests);
    for (unsigned c = 1; c <= 5; c++)
        emit(o, "httpd_responses_%uxx %llu\n", c, (unsigned long long)s->by_class[c]);
    emit(o, "httpd_bytes_out %llu\nhttpd_client_gone %llu\nhttpd_timeouts %llu\nhttpd_netstack_restarts %llu\n",
         (unsigned long long)s->bytes_out, (unsigned long long)s->client_gone,
         (unsigned long long)s->timeouts, (unsigned long long)s->netstack_restarts);
}

static void html_page(struct out *o)
{
    const struct mos_kinfo *k = snap.k;
    uint64_t s = snap.uptime_ns / 1000000000u;
    emit(o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>MinimalOS status</title>\n"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:2px 8px;text-align:right}"
            "th{background:#eee}td.l{text-align:left}</style></head><body>\n"
            "<h1>MinimalOS status</h1>\n<p>Up %llu h %02llu min %02llu s",
         (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    if (k)
        emit(o, " on %u CPU%s", k->ncpus, k->ncpus == 1 ? "" : "s");
    emit(o, ". <a href=\"/status.txt\">As text</a>.</p>\n");
    if (k) {
        uint64_t page = k->page_size ? k->page_size : MOS_PAGE_SIZE;
        emit(o, "<h2>Memory</h2>\n<table><tr><th>frames</th><th>free</th><th>free KiB</th>"
                "<th>kernel heap bytes</th><th>heap objects</th><th>processes</th><th>threads</th>"
                "<th>endpoints</th><th>mappings</th></tr>\n"
                "<tr><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
                "<td>%llu</td><td>%llu</td><td>%llu</td></tr></table>\n",
             (unsigned long long)k->total_frames, (unsigned long long)k->free_frames,
             (unsigned long long)(k->free_frames * page / 1024), (unsigned long long)k->heap_bytes,
             (unsigned long long)k->heap_objects, (unsigned long long)k->objects[MOS_CAP_PROCESS],
             (unsigned long long)k->objects[MOS_CAP_THREAD], (unsigned long long)k->objects[MOS_CAP_ENDPOINT],
             (unsigned long long)k->mappings);
    }
    emit(o, "<h2>Processes</h2>\n");
    if (snap.procs_err == 0) {
        emit(o, "<table><tr><th>pid</th><th>name</th><th>state</th><th>threads</th><th>priority</th>"
                "<th>memory KiB</th><th>quota KiB</th><th>restarts</th></tr>\n");
        for (unsigned i = 0; i < snap.nprocs; i++) {
            const struct init_proc *p = &procs[i];
            emit(o, "<tr><td>%llu</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%u</td><td>%u</td>"
                    "<td>%llu</td><td>%llu</td><td>%u</td></tr>\n",
                 (unsigned long long)p->pid, p->name, state_name(p->state), p->threads, p->prio,
                 (unsigned long long)p->used_pages * 4, (unsigned long long)p->quota_pages * 4, p->restarts);
        }
        emit(o, "</table>\n<p>Services started by init; programs started from the shell are not listed.</p>\n");
    } else {
        emit(o, "<p>unavailable: %s</p>\n", mos_strerror(snap.procs_err));
    }
    emit(o, "<h2>Network</h2>\n");
    if (snap.net_err == 0) {
        const struct net_ifinfo *n = &snap.net;
        char a[16], m[16], g[16];
        emit(o, "<p>en0 %s/%s gateway %s, MAC %02x:%02x:%02x:%02x:%02x:%02x%s%s%s</p>\n", ip(n->addr, a),
             ip(n->netmask, m), ip(n->gateway, g), n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
             n->mac[5], n->flags & NET_IF_PRESENT ? "" : " (no network device)",
             n->flags & NET_IF_LINK ? ", link up" : "", n->flags & NET_IF_DHCP ? ", DHCP" : "");
        emit(o, "<table><tr><th>counter</th><th>value</th></tr>\n");
#define X(f) emit(o, "<tr><td class=\"l\">" #f "</td><td>%llu</td></tr>\n", (unsigned long long)n->f);
        NET_COUNTERS(X)
#undef X
        emit(o, "</table>\n");
    } else {
        emit(o, "<p>unavailable: %s</p>\n", mos_strerror(snap.net_err));
    }
    const struct httpd_stats *st = &httpd_stats;
    emit(o, "<h2>This server</h2>\n<p>%u connections open, %llu accepted (%llu refused: busy), "
            "%llu requests, responses 2xx %llu 3xx %llu 4xx %llu 5xx %llu, %llu bytes sent, "
            "%llu clients gone early, %llu time-outs.</p>\n</body></html>\n",
         st->open, (unsigned long long)st->accepted, (unsigned long long)st->refused_busy,
         (unsigned long long)st->requests, (unsigned long long)st->by_class[2],
         (unsigned long long)st->by_class[3], (unsigned long long)st->by_class[4],
         (unsigned long long)st->by_class[5], (unsigned long long)st->bytes_out,
         (unsigned long long)st->client_gone, (unsigned long long)st->timeouts);
}

size_t status_page(char *buf, size_t cap, bool html)
{
    take_snapshot();
    struct out o = { .buf = buf, .cap = cap - 32, .at = 0, .cut = false };
    buf[0] = '\0';
    if (html)
        html_page(&o);
    else
        text_page(&o);
    if (o.cut) {
        o.cap = cap;
        o.cut = false;
        emit(&o, html ? "<p>(cut)</p>\n" : "cut\n");
    }
    return o.at;
}
