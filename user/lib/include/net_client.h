/* SPDX-License-Identifier: MIT */
/* net_client.h - BSD-like sockets over the netstack's protocol
 * (proto/net.h; docs/network.md, section "Client library").
 *
 * The netstack is the "net" capability of the start block. Sockets are
 * small numbers (>= 0) private to this process. Data moves through the
 * socket's shared rings without a system call while there is data or
 * room; a blocking call waits in NET_WAIT (a call the netstack answers when
 * the socket is ready), so it never waits on a dead netstack: if the
 * netstack dies, waiting and later calls fail with -MOS_EDEAD (or
 * -MOS_ECONNRESET for a connection the new netstack does not know) and the
 * sockets must be closed and opened again.
 *
 * Every function returns >= 0 on success or -MOS_E* (network codes:
 * ECONNREFUSED, ECONNRESET, ENOTCONN, EADDRINUSE, EHOSTUNREACH, EINPROGRESS,
 * EISCONN, EPIPE, ENETDOWN, EPROTO, plus ETIMEDOUT, EAGAIN, EINVAL,
 * EBADHANDLE for a socket number that is not open, ENOSPC, ENOMEM, EDEAD).
 *
 * Threads: the library's socket table is protected by no lock; use a
 * socket from one thread at a time (different sockets from different
 * threads are fine, but net_socket/net_accept/net_close are not
 * thread-safe against each other). Blocking waits of different threads
 * are independent. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include "proto/net.h"

#define NET_CLIENT_MAX_SOCKETS 64   /* per process */

/* Connects to the netstack (the "net" capability) and says NET_HELLO; done
 * by the first call that needs it. Returns 0 or an error (-MOS_ENOENT: no
 * "net" capability). net_init_with() uses the given capability instead. */
long net_init(void);
long net_init_with(mos_handle_t net_cap);
mos_handle_t net_handle(void);          /* the capability in use, 0 if none */

/* type: NET_TCP or NET_UDP. Ring sizes 0 = default. Returns the socket. */
long net_socket(uint32_t type);
long net_socket_ex(uint32_t type, uint32_t rx_bytes, uint32_t tx_bytes);

long net_bind(int s, uint32_t addr, uint16_t port);
long net_listen(int s, unsigned backlog);
/* Waits for a connection (unless non-blocking: -MOS_EAGAIN); the new socket,
 * and the peer in *addr / *port (either may be NULL). */
long net_accept(int s, uint32_t *addr, uint16_t *port);
/* TCP: waits until connected (non-blocking: -MOS_EINPROGRESS; then
 * net_poll for NET_EV_OUT and net_sock_error() tells the result).
 * UDP: sets the default peer. */
long net_connect(int s, uint32_t addr, uint16_t port);

/* TCP: bytes taken (all of len when blocking, unless an error came first:
 * then the bytes taken so far, or the error if none). UDP: one datagram to
 * the connected peer (len <= NET_UDP_MAX), returns len. */
long net_send(int s, const void *buf, size_t len);
/* TCP: bytes read, at least 1 when blocking, 0 at end of stream. UDP: one
 * datagram (cut to len; the rest is dropped), its full length is returned
 * only up to len. */
long net_recv(int s, void *buf, size_t len);
/* UDP with an explicit peer (addr/port), and with the sender reported. */
long net_sendto(int s, const void *buf, size_t len, uint32_t addr, uint16_t port);
long net_recvfrom(int s, void *buf, size_t len, uint32_t *addr, uint16_t *port);

long net_shutdown(int s, unsigned how);     /* NET_SHUT_RD / WR / RDWR */
long net_close(int s);

/* Options. Non-blocking mode: calls that would wait return -MOS_EAGAIN
 * (connect: -MOS_EINPROGRESS). Time-outs (ms, 0 = none) bound the waits of
 * blocking calls: -MOS_ETIMEDOUT. */
long net_set_nonblock(int s, bool on);
long net_set_timeout(int s, uint32_t recv_ms, uint32_t send_ms);
long net_setsockopt(int s, uint32_t opt, uint64_t value);   /* NET_OPT_* */
long net_getsockname(int s, uint32_t *addr, uint16_t *port);
long net_getpeername(int s, uint32_t *addr, uint16_t *port);
/* The pending asynchronous error of a socket (0 if none); clears it for
 * this process's view (the netstack keeps reporting NET_EV_ERR). */
long net_sock_error(int s);

/* Waits until one of the sockets is ready: events NET_EV_IN / NET_EV_OUT
 * wanted, revents set to what is ready (NET_EV_ERR and NET_EV_HUP always).
 * timeout_ms < 0: forever; 0: just look. Returns how many entries have
 * revents, 0 on time-out. A socket number that is not open gets
 * revents = NET_EV_ERR. At most NET_WAIT_MAX entries. */
struct net_pollfd {
    int sock;
    uint32_t events;
    uint32_t revents;
};
long net_poll(struct net_pollfd *fds, unsigned n, long timeout_ms);

/* Name -> IPv4 address: a dotted quad is parsed; otherwise the hosts file
 * NET_HOSTS_PATH is looked at (when this process has a "vfs" capability),
 * then the netstack's DNS client is asked (-MOS_ENETDOWN when no DNS
 * server is configured, -MOS_ENOENT when the name is unknown). */
#define NET_HOSTS_PATH "/etc/hosts"
#define NET_HOSTS_MAX  16384u       /* bytes of it that are read */
long net_resolve(const char *name, uint32_t *addr);
/* The hosts-file table itself (net_hosts.c): text of len bytes in hosts(5)
 * form ("a.b.c.d name alias ...", '#' comments); 0 and *addr for the first
 * line naming `name` (case-insensitive), -MOS_ENOENT if none, -MOS_EINVAL
 * for an empty or too long name. Pure. */
long net_hosts_lookup(const char *text, size_t len, const char *name, uint32_t *addr);
long net_ifinfo(struct net_ifinfo *info);

/* One ICMP echo request; waits for the answer or the time-out. */
struct net_ping_result {
    uint64_t rtt_ns;
    uint32_t ttl;
    uint32_t bytes;
};
long net_ping(uint32_t addr, uint32_t bytes, uint32_t timeout_ms, uint16_t seq,
              struct net_ping_result *out);

/* A session for a child process: an endpoint capability (handle in this
 * process) to pass to it as its "net"; net_session_end(badge) when it died
 * closes whatever sockets it left open. */
long net_session_new(mos_handle_t *session_cap, uint64_t *badge);
long net_session_end(uint64_t badge);

/* "a.b.c.d" <-> address. net_ntoa writes at most 16 bytes and returns buf;
 * net_aton returns 0 or -MOS_EINVAL. Pure. */
char *net_ntoa(uint32_t addr, char buf[16]);
long net_aton(const char *s, uint32_t *addr);
