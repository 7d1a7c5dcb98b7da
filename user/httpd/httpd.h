/* SPDX-License-Identifier: MIT */
/* httpd.h - what the files of the HTTP server share (docs/network.md,
 * "Applications"): main.c (start, listening socket, the poll loop),
 * conn.c (one connection's state machine), site.c (what a request gets:
 * files from the VFS, directory listings, redirects, errors), status.c (the
 * live status page). http.c is the pure parser.
 *
 * One thread, non-blocking sockets, net_poll. A connection is READ (head
 * bytes arriving), BODY (a request body being discarded), SEND (the
 * response leaving: a buffer, then file chunks read from the VFS as room
 * frees up) or LINGER (our side shut, reading until the client closes, so
 * unread input cannot turn our FIN into a reset). Every state has a
 * deadline; nothing a client does (or fails to do) can stall the others.
 * All memory is static: the server never grows while it runs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http.h"

#define HTTPD_PORT          80
#define HTTPD_MAX_CONNS     32u                    /* at once; more get a 503 */
#define HTTPD_IN_MAX        (HTTP_REQ_HEAD_MAX + 2 * HTTP_LEADING_CRLF_MAX + 64)
#define HTTPD_OUT_MAX       16384u                 /* response buffer, and file chunk */
#define HTTPD_BODY_MAX      (1u << 20)             /* request bodies we read and discard */
#define HTTPD_RX_RING       16384u                 /* socket rings (requests are small) */
#define HTTPD_TX_RING       65536u
/* Deadlines (ms). */
#define HTTPD_IDLE_MS       30000u                 /* a whole request head, or keep-alive idle */
#define HTTPD_SEND_MS       60000u                 /* without any progress sending */
#define HTTPD_LINGER_MS     2000u

#define HTTPD_WWW           "/www"                 /* document root in the VFS */
#define HTTPD_TMP           "/tmp"                 /* served as itself, at /tmp/ */

enum conn_state { C_FREE = 0, C_READ, C_BODY, C_SEND, C_LINGER };

struct conn {
    enum conn_state st;
    int sock;
    uint64_t deadline_ns;
    /* Input: the head being read; in[0..in_len), scan state over it. */
    char in[HTTPD_IN_MAX];
    size_t in_len;
    struct http_scan scan;
    uint64_t body_left;             /* BODY: request bytes still to discard */
    /* Output: out[out_off..out_len), then file bytes from file_off. */
    char out[HTTPD_OUT_MAX];
    size_t out_len, out_off;
    long file;                      /* VFS handle being streamed, or -1 */
    uint64_t file_off, file_left;
    bool keep_alive;                /* after this response, read the next request */
    unsigned status;                /* of the response in progress */
    uint32_t peer;
    uint16_t peer_port;
};

/* Counters for the status page. */
struct httpd_stats {
    uint64_t started_ns;
    uint64_t accepted, refused_busy;
    uint64_t requests, by_class[6];  /* responses 1xx..5xx at [1..5] */
    uint64_t bytes_out;
    uint64_t client_gone;            /* ended by the client mid-request or mid-response */
    uint64_t timeouts;
    uint64_t netstack_restarts;
    unsigned open;                   /* connections now */
};
extern struct httpd_stats httpd_stats;

uint64_t httpd_now_ns(void);

/* conn.c */
void conn_init_all(void);
/* Accept every connection waiting on the listener (non-blocking). */
void conn_accept(int listener);
/* The events conn c waits for (NET_EV_IN or NET_EV_OUT); c is live. */
uint32_t conn_events(const struct conn *c);
/* Act on revents; may close c. */
void conn_ready(struct conn *c, uint32_t revents);
/* Close connections whose deadline passed; returns the earliest deadline
 * left (UINT64_MAX if none). */
uint64_t conn_expire(uint64_t now_ns);
void conn_close_all(void);
struct conn *conn_at(unsigned i);   /* NULL if slot i is free */

/* site.c: fill c's response for request r (status, headers, body or file).
 * Never fails: anything that goes wrong is an error response. */
void site_respond(struct conn *c, const struct http_request *r);
/* An error response (status >= 400) with a small HTML body; for HEAD only
 * the head. close: send "Connection: close" (and close afterwards). */
void site_error(struct conn *c, unsigned status, bool head_only, bool close);
/* Write the response head into c->out (replacing it); extra is more
 * header lines ("" or "Name: value\r\n..."). Returns false if it does not
 * fit (it always does for the heads this server writes). */
bool site_head(struct conn *c, unsigned status, const char *type, uint64_t length, const char *extra);

/* status.c: the status page (html or plain text) into buf; returns bytes. */
size_t status_page(char *buf, size_t cap, bool html);
