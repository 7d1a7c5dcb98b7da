// SPDX-License-Identifier: MIT
/* httpd - a small HTTP/1.1 server (docs/network.md, "Applications"): files
 * from the VFS (/www from the initrd, /tmp), a live status page, keep-alive,
 * GET and HEAD, many clients at once. Started by init (/etc/init.conf:
 * cap=use:net for the sockets, cap=use:vfs for the files, cap=use:init for
 * the process list). One thread: the listening socket and every
 * connection are polled together (net_poll), each connection a state
 * machine (conn.c) with a deadline, so no client can hold the others up.
 * If the netstack goes away (its restart: every call fails with an error,
 * never a hang), every connection is dropped and the listener opened again
 * with a back-off, as echod does. Without a network device the netstack
 * still serves 127.0.0.1, and this server says so once. */
#include "mos_lib.h"
#include "net_client.h"
#include "vfs_client.h"
#include "httpd.h"

struct httpd_stats httpd_stats;

uint64_t httpd_now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc() - k->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * k->tsc_mult) >> 32);
}

static long open_listener(int *out)
{
    long s = net_socket_ex(NET_TCP, HTTPD_RX_RING, HTTPD_TX_RING);
    if (s < 0)
        return s;
    long r;
    (void)net_setsockopt((int)s, NET_OPT_REUSEADDR, 1);
    if ((r = net_bind((int)s, NET_ADDR_ANY, HTTPD_PORT)) < 0 || (r = net_listen((int)s, NET_BACKLOG_MAX)) < 0 ||
        (r = net_set_nonblock((int)s, true)) < 0) {
        (void)net_close((int)s);
        return r;
    }
    *out = (int)s;
    return 0;
}

/* Serve until the netstack goes away; returns why. */
static long serve(int listener)
{
    static struct net_pollfd p[1 + HTTPD_MAX_CONNS];
    static struct conn *of[1 + HTTPD_MAX_CONNS];
    bool nic_said = false;
    uint64_t nic_check = httpd_now_ns() + 10000000000ull;   /* 10 s after start */
    for (;;) {
        uint64_t now = httpd_now_ns();
        uint64_t next = conn_expire(now);
        if (!nic_said) {
            if (now >= nic_check) {
                struct net_ifinfo ni;
                if (net_ifinfo(&ni) == 0 && !(ni.flags & NET_IF_PRESENT))
                    printf("httpd: no network device: reachable on 127.0.0.1 only\n");
                nic_said = true;
            } else if (nic_check < next) {
                next = nic_check;
            }
        }
        unsigned n = 0;
        p[n++] = (struct net_pollfd){ .sock = listener, .events = NET_EV_IN };
        for (unsigned i = 0; i < HTTPD_MAX_CONNS; i++) {
            struct conn *c = conn_at(i);
            if (!c)
                continue;
            of[n] = c;
            p[n++] = (struct net_pollfd){ .sock = c->sock, .events = conn_events(c) };
        }
        long timeout_ms = -1;
        if (next != UINT64_MAX) {
            now = httpd_now_ns();
            timeout_ms = next <= now ? 0 : (long)((next - now + 999999u) / 1000000u);
        }
        long r = net_poll(p, n, timeout_ms);
        if (r < 0)
            return r;
        if (p[0].revents & NET_EV_ERR)
            return net_sock_error(listener) ? net_sock_error(listener) : -MOS_EDEAD;
        if (p[0].revents & NET_EV_IN)
            conn_accept(listener);
        for (unsigned i = 1; i < n; i++)
            if (p[i].revents)
                conn_ready(of[i], p[i].revents);
    }
}

int main(void)
{
    long r = vfs_init();
    if (r < 0)
        printf("httpd: no VFS (%s): only the status page will work\n", mos_strerror(r));
    httpd_stats.started_ns = httpd_now_ns();
    conn_init_all();
    unsigned delay_ms = 50, failures = 0;
    for (;;) {
        int listener = -1;
        r = open_listener(&listener);
        if (r < 0) {
            if (++failures == 20)
                printf("httpd: cannot listen on port %u yet: %s (still trying)\n", HTTPD_PORT, mos_strerror(r));
            (void)mos_thread_block((uint64_t)delay_ms * 1000000u);
            delay_ms = delay_ms < 2000 ? delay_ms * 2 : 2000;
            continue;
        }
        delay_ms = 50;
        failures = 0;
        printf("httpd: serving " HTTPD_WWW " and " HTTPD_TMP "/ on TCP port %u; /status shows the system\n",
               HTTPD_PORT);
        r = serve(listener);
        printf("httpd: lost the netstack (%s): reopening\n", mos_strerror(r));
        httpd_stats.netstack_restarts++;
        conn_close_all();
        (void)net_close(listener);
    }
}
