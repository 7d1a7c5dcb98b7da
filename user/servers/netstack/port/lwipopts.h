/* SPDX-License-Identifier: MIT */
/* lwipopts.h - how the netstack configures lwIP 2.1.3 (compiled from
 * Debian's source package by mk/lwip.mk; nothing of lwIP is in this tree).
 * One thread, no operating-system layer (NO_SYS=1), the raw callback API
 * only; IPv4 with ARP, ICMP, UDP, TCP, DHCP, the DNS client and a loopback
 * interface (127.0.0.1, usable without any NIC). lwIP's own heap and pools
 * are static arrays in the netstack's .bss, so lwIP can never take memory
 * from anyone else, and their statistics (LWIP_STATS) feed NET_IFINFO's
 * resource counters that the leak tests compare. Sizes: docs/network.md. */
#pragma once

/* ---- system */
#define NO_SYS                      1
#define LWIP_TIMERS                 1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_NETCONN                0
#define LWIP_SOCKET                 0
#define LWIP_NETIF_API              0
#define LWIP_ALTCP                  0
#define LWIP_CALLBACK_API           1

/* ---- memory: lwIP's heap (tcp_write copies, outgoing headers) and pools */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (2 * 1024 * 1024)
#define MEMP_NUM_PBUF               256
#define MEMP_NUM_RAW_PCB            4
#define MEMP_NUM_UDP_PCB            72
#define MEMP_NUM_TCP_PCB            256
#define MEMP_NUM_TCP_PCB_LISTEN     64
#define MEMP_NUM_TCP_SEG            1024
#define MEMP_NUM_REASSDATA          8
#define MEMP_NUM_FRAG_PBUF          32
#define MEMP_NUM_ARP_QUEUE          32
#define PBUF_POOL_SIZE              512
#define PBUF_POOL_BUFSIZE           1536

/* ---- interfaces */
#define LWIP_SINGLE_NETIF           0
#define LWIP_HAVE_LOOPIF            1
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_LOOPBACK_MAX_PBUFS     256
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_NETIF_HOSTNAME         1
#define ETH_PAD_SIZE                0

/* ---- IPv4, ARP, ICMP */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define ARP_TABLE_SIZE              16
#define ARP_QUEUEING                1
#define IP_FORWARD                  0
#define IP_REASSEMBLY               1
#define IP_FRAG                     1
#define IP_REASS_MAX_PBUFS          32
#define LWIP_ICMP                   1
#define LWIP_RAW                    1       /* ping: a raw ICMP pcb */
#define LWIP_IGMP                   0
#define LWIP_AUTOIP                 0

/* ---- DHCP and DNS */
#define LWIP_DHCP                   1
#define DHCP_DOES_ARP_CHECK         0       /* no 1-2 s ARP probe before using the lease */
#define LWIP_DNS                    1
#define DNS_TABLE_SIZE              8
#define DNS_MAX_NAME_LENGTH         256
#define DNS_MAX_SERVERS             2
#define DNS_LOCAL_HOSTLIST          1
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 0
#define DNS_LOCAL_HOSTLIST_INIT     { DNS_LOCAL_HOSTLIST_ELEM("localhost", IPADDR4_INIT_BYTES(127, 0, 0, 1)) }

/* ---- UDP, TCP */
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define TCP_MSS                     1460
#define TCP_WND                     (44 * TCP_MSS)          /* 64240: no window scaling */
#define TCP_SND_BUF                 (44 * TCP_MSS)
#define TCP_SND_QUEUELEN            ((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
#define TCP_LISTEN_BACKLOG          1
#define LWIP_TCP_KEEPALIVE          1
#define SO_REUSE                    1
#define TCP_QUEUE_OOSEQ             1
#define LWIP_CHECKSUM_ON_COPY       1

/* ---- statistics (NET_IFINFO) and checks */
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LINK_STATS                  1
#define ETHARP_STATS                1
#define IP_STATS                    1
#define IPFRAG_STATS                1
#define ICMP_STATS                  1
#define UDP_STATS                   1
#define TCP_STATS                   1
#define SYS_STATS                   0
