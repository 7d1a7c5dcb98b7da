// SPDX-License-Identifier: MIT
/* ifconfig - show the network interface and the netstack's counters
 * (NET_IFINFO): address, mask, gateway, DNS server, MAC, packets, bytes,
 * drops and errors on both sides of the driver, lwIP's per-protocol
 * counters, and the resources the netstack holds now (sessions, sockets,
 * socket memory, lwIP heap and pools: what a leak test compares). Needs the
 * "net" capability; output goes to the "console" if there is one. */
#include "mos_lib.h"
#include "console_client.h"
#include "net_client.h"

static const char *flag_names(uint32_t f, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s", f & NET_IF_PRESENT ? "PRESENT," : "", f & NET_IF_LINK ? "LINK," : "",
             f & NET_IF_UP ? "UP," : "", f & NET_IF_DHCP ? "DHCP," : "");
    size_t l = strlen(buf);
    if (l)
        buf[l - 1] = 0;
    else
        snprintf(buf, n, "NONE");
    return buf;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (con_init() == 0)
        con_use_for_stdout();
    struct net_ifinfo i;
    long r = net_ifinfo(&i);
    if (r < 0) {
        printf("ifconfig: %s\n", mos_strerror(r));
        return 1;
    }
    char f[48], a[16], m[16], g[16], d[16];
    printf("en0: flags=%s mtu %u\n", flag_names(i.flags, f, sizeof f), i.mtu);
    printf("    inet %s netmask %s gateway %s dns %s\n", net_ntoa(i.addr, a), net_ntoa(i.netmask, m),
           net_ntoa(i.gateway, g), net_ntoa(i.dns, d));
    printf("    ether %02x:%02x:%02x:%02x:%02x:%02x\n", i.mac[0], i.mac[1], i.mac[2], i.mac[3], i.mac[4],
           i.mac[5]);
    printf("    RX packets %llu bytes %llu dropped %llu bad descriptors %llu\n",
           (unsigned long long)i.rx_packets, (unsigned long long)i.rx_bytes,
           (unsigned long long)i.rx_dropped, (unsigned long long)i.rx_bad_desc);
    printf("    TX packets %llu bytes %llu dropped %llu bad descriptors %llu\n",
           (unsigned long long)i.tx_packets, (unsigned long long)i.tx_bytes,
           (unsigned long long)i.tx_dropped, (unsigned long long)i.tx_bad_desc);
    printf("    driver: RX %llu packets %llu dropped %llu errors, TX %llu packets %llu dropped %llu errors\n",
           (unsigned long long)i.drv_rx_packets, (unsigned long long)i.drv_rx_dropped,
           (unsigned long long)i.drv_rx_errors, (unsigned long long)i.drv_tx_packets,
           (unsigned long long)i.drv_tx_dropped, (unsigned long long)i.drv_tx_errors);
    printf("lo: inet 127.0.0.1 netmask 255.0.0.0\n");
    printf("protocols: ip rx %llu drop %llu, tcp rx %llu drop %llu, udp rx %llu drop %llu, "
           "icmp rx %llu drop %llu\n",
           (unsigned long long)i.ip_rx, (unsigned long long)i.ip_drop, (unsigned long long)i.tcp_rx,
           (unsigned long long)i.tcp_drop, (unsigned long long)i.udp_rx, (unsigned long long)i.udp_drop,
           (unsigned long long)i.icmp_rx, (unsigned long long)i.icmp_drop);
    printf("netstack: epoch %u, NIC attaches %u, sessions %u, sockets %u (closing %u), waits %u, "
           "bad requests %llu\n",
           i.epoch, i.attaches, i.sessions, i.sockets, i.closing, i.waits,
           (unsigned long long)i.ipc_bad_requests);
    printf("resources: socket memory %u KiB, lwIP heap %u bytes, pbufs %u, TCP pcbs %u (+%u in TIME_WAIT), "
           "TCP segments %u, UDP pcbs %u\n",
           i.shm_pages * 4u, i.lwip_mem_used, i.pbufs, i.tcp_pcbs, i.tcp_tw_pcbs, i.tcp_segs, i.udp_pcbs);
    return 0;
}
