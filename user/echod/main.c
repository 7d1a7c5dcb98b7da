// SPDX-License-Identifier: MIT
/* echod - the echo service (RFC 862) on TCP and UDP port 7: every byte a
 * TCP client sends comes back, every UDP datagram is returned to its
 * sender. One thread, non-blocking sockets and net_poll: a connection whose
 * peer does not read keeps its unsent bytes (up to ECHO_BUF) and stops
 * reading until they are out, so one slow client never stalls the others.
 * If the netstack restarts (an error on every socket, or -MOS_EDEAD), the
 * service opens its sockets again. Started by init ("cap=use:net"). */
#include "mos_lib.h"
#include "net_client.h"

#define ECHO_PORT  7
#define MAX_CONNS  30u
#define ECHO_BUF   16384u

struct conn {
    int sock;                   /* -1: free */
    uint32_t len, off;          /* pending bytes buf[off..len) still to send */
    uint8_t buf[ECHO_BUF];
};

static struct conn conns[MAX_CONNS];
static uint8_t dgram[NET_UDP_MAX];
static int tcp_l = -1, udp_s = -1;

static void conn_close(struct conn *c)
{
    (void)net_close(c->sock);
    c->sock = -1;
    c->len = c->off = 0;
}

static void close_all(void)
{
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (conns[i].sock >= 0)
            conn_close(&conns[i]);
    if (tcp_l >= 0)
        (void)net_close(tcp_l);
    if (udp_s >= 0)
        (void)net_close(udp_s);
    tcp_l = udp_s = -1;
}

static long open_all(void)
{
    long r;
    tcp_l = (int)net_socket(NET_TCP);
    udp_s = (int)net_socket(NET_UDP);
    if (tcp_l < 0 || udp_s < 0)
        return tcp_l < 0 ? tcp_l : udp_s;
    (void)net_setsockopt(tcp_l, NET_OPT_REUSEADDR, 1);
    if ((r = net_bind(tcp_l, NET_ADDR_ANY, ECHO_PORT)) < 0 || (r = net_listen(tcp_l, NET_BACKLOG_MAX)) < 0 ||
        (r = net_bind(udp_s, NET_ADDR_ANY, ECHO_PORT)) < 0)
        return r;
    (void)net_set_nonblock(tcp_l, true);
    (void)net_set_nonblock(udp_s, true);
    return 0;
}

/* Send what is pending; false if the connection is finished. */
static bool conn_flush(struct conn *c)
{
    while (c->off < c->len) {
        long n = net_send(c->sock, c->buf + c->off, c->len - c->off);
        if (n == -MOS_EAGAIN)
            return true;
        if (n <= 0)
            return false;
        c->off += (uint32_t)n;
    }
    c->off = c->len = 0;
    return true;
}

static bool conn_read(struct conn *c)
{
    long n = net_recv(c->sock, c->buf, ECHO_BUF);
    if (n == -MOS_EAGAIN)
        return true;
    if (n <= 0)
        return false;           /* end of stream or an error */
    c->len = (uint32_t)n;
    c->off = 0;
    return conn_flush(c);
}

static void accept_all(void)
{
    for (;;) {
        long s = net_accept(tcp_l, NULL, NULL);
        if (s < 0)
            return;
        struct conn *c = NULL;
        for (unsigned i = 0; i < MAX_CONNS && !c; i++)
            if (conns[i].sock < 0)
                c = &conns[i];
        if (!c) {
            (void)net_close((int)s);    /* full: refuse by closing */
            continue;
        }
        c->sock = (int)s;
        c->len = c->off = 0;
        (void)net_set_nonblock((int)s, true);
        (void)net_setsockopt((int)s, NET_OPT_NODELAY, 1);
    }
}

static void udp_echo(void)
{
    for (;;) {
        uint32_t addr;
        uint16_t port;
        long n = net_recvfrom(udp_s, dgram, sizeof dgram, &addr, &port);
        if (n < 0)
            return;
        (void)net_sendto(udp_s, dgram, (size_t)n, addr, port);
    }
}

int main(void)
{
    for (unsigned i = 0; i < MAX_CONNS; i++)
        conns[i].sock = -1;
    unsigned delay_ms = 50;
    for (;;) {
        long r = open_all();
        if (r < 0) {
            close_all();
            (void)mos_thread_block((uint64_t)delay_ms * 1000000u);
            delay_ms = delay_ms < 2000 ? delay_ms * 2 : 2000;
            continue;
        }
        delay_ms = 50;
        printf("echod: echo service on TCP and UDP port %u\n", ECHO_PORT);
        for (;;) {
            struct net_pollfd p[2 + MAX_CONNS];
            struct conn *of[2 + MAX_CONNS];
            unsigned n = 0;
            p[n++] = (struct net_pollfd){ .sock = tcp_l, .events = NET_EV_IN };
            p[n++] = (struct net_pollfd){ .sock = udp_s, .events = NET_EV_IN };
            for (unsigned i = 0; i < MAX_CONNS; i++) {
                if (conns[i].sock < 0)
                    continue;
                of[n] = &conns[i];
                p[n++] = (struct net_pollfd){ .sock = conns[i].sock,
                                              .events = conns[i].len ? NET_EV_OUT : NET_EV_IN };
            }
            r = net_poll(p, n, -1);
            if (r < 0 || (p[0].revents & NET_EV_ERR) || (p[1].revents & NET_EV_ERR))
                break;          /* the netstack went away: start over */
            if (p[0].revents & NET_EV_IN)
                accept_all();
            if (p[1].revents & NET_EV_IN)
                udp_echo();
            for (unsigned i = 2; i < n; i++) {
                struct conn *c = of[i];
                if (!p[i].revents)
                    continue;
                bool alive = c->len ? conn_flush(c) : conn_read(c);
                if (!alive || (p[i].revents & (NET_EV_ERR | NET_EV_HUP)) == NET_EV_ERR)
                    conn_close(c);
            }
        }
        printf("echod: lost the netstack (%s): reopening\n", mos_strerror(r < 0 ? r : -MOS_EDEAD));
        close_all();
    }
}
