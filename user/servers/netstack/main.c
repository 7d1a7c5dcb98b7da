// SPDX-License-Identifier: MIT
/* netstack - the TCP/IP service (issue 8): lwIP 2.1.3 (NO_SYS=1, raw API)
 * in one thread, serving the socket protocol of proto/net.h on its
 * endpoint ("ep", provided as "net") and driving the NIC through the
 * driver's shared rings ("netdev", optional: without it, or before the
 * driver answers, only 127.0.0.1 works). docs/network.md has the design.
 *
 * The loop: take frames from the driver, run lwIP's loopback and timers,
 * pump the sockets that have work, answer waits, notify the driver of what
 * was queued; then receive on the endpoint with lwIP's next timer deadline
 * (sys_timeouts_sleeptime) or an earlier one of ours as the time-out.
 * Everything arrives on that one endpoint: client calls (with
 * MOS_MSG_REPLY_SLOT, so a call can be answered later), the driver's
 * NETDEV_EV_* bits (0-7) and clients' kicks (NET_KICK_BIT, 8-63).
 *
 * A restart (init restarts the netstack when it dies) starts from nothing:
 * every socket of the old instance is gone; the epoch in socket ids changes,
 * so old ids fail with -MOS_EBADHANDLE, and clients' waits failed with
 * -MOS_EDEAD when the old instance died. */
#include "ns.h"
#include "nic.h"
#include "nsipc.h"
#include "ops.h"
#include "sock.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

uint32_t ns_epoch;
mos_handle_t ns_ep;

static bool loopback_pending(void)
{
    struct netif *n;
    NETIF_FOREACH(n)
        if (n->loop_first)
            return true;
    return false;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

__attribute__((noreturn)) static void serve(void)
{
    for (;;) {
        bool busy = nic_poll();
        netif_poll_all();
        sys_check_timeouts();
        sock_run();
        uint64_t now = ns_now_ns();
        ops_run(now);
        nic_flush();

        uint32_t ms = sys_timeouts_sleeptime();
        ms = min_u32(ms, sock_next_ms());
        ms = min_u32(ms, nic_next_ms());
        uint64_t op = ops_next_ns();
        if (op != UINT64_MAX)
            ms = min_u32(ms, op <= now ? 0 : (uint32_t)((op - now + 999999u) / 1000000u));
        if (busy || loopback_pending())
            ms = 0;
        if (ms && !nic_prepare_sleep())
            ms = 0;
        uint64_t timeout = ms == UINT32_MAX ? MOS_TIMEOUT_FOREVER : (uint64_t)ms * 1000000u;

        struct mos_msg m;
        long r = mos_recv(ns_ep, timeout, MOS_MSG_REPLY_SLOT, &m);
        if (r == -MOS_ETIMEDOUT)
            continue;
        if (r < 0) {
            printf("netstack: receive failed: %s\n", mos_strerror(r));
            (void)mos_thread_block(10ull * 1000000u);
            continue;
        }
        if (mos_msg_flags(m.info) & MOS_MSG_NOTIFY) {
            nic_event(m.w[0] & ((1u << NET_KICK_FIRST) - 1));
            sock_kick(m.w[0]);
            continue;
        }
        nsipc_handle(&m);
    }
}

int main(int argc, char **argv)
{
    uint32_t restarts = mos_restarts(argc, argv);
    ns_epoch = 1 + restarts % 255;
    ns_ep = mos_cap_by_name("ep");
    if (!ns_ep) {
        printf("netstack: no \"ep\" capability: nothing to serve\n");
        return 1;
    }
    lwip_init();
    sock_init();
    printf("netstack: lwIP %s, loopback 127.0.0.1 up%s\n", LWIP_VERSION_STRING,
           restarts ? " (restarted)" : "");
    nic_init(mos_cap_by_name("netdev"));
    serve();
}
