// SPDX-License-Identifier: MIT
/* conn.c - one HTTP connection, as a state machine driven by net_poll
 * (httpd.h has the states). Invariants: a live connection has an open
 * socket and a deadline; out_off <= out_len <= HTTPD_OUT_MAX; a file
 * handle is open exactly while file != -1, and is closed whenever the
 * connection ends or the response does; in_len <= HTTPD_IN_MAX, and the
 * scanner refuses a head before it could fill the buffer (HTTPD_IN_MAX >
 * the longest head it accepts). Reading stops while a response is being
 * sent (pipelined requests wait in the socket's ring). Single-threaded:
 * only main.c's loop calls in here. */
#include "mos_lib.h"
#include "net_client.h"
#include "vfs_client.h"
#include "httpd.h"

static struct conn conns[HTTPD_MAX_CONNS];

static const char busy_response[] =
    "HTTP/1.1 503 Service Unavailable\r\nServer: MinimalOS-httpd\r\nContent-Type: text/plain\r\n"
    "Content-Length: 19\r\nRetry-After: 1\r\nConnection: close\r\n\r\nserver busy, retry\n";

void conn_init_all(void)
{
    for (unsigned i = 0; i < HTTPD_MAX_CONNS; i++) {
        conns[i].st = C_FREE;
        conns[i].sock = -1;
        conns[i].file = -1;
    }
}

struct conn *conn_at(unsigned i)
{
    return i < HTTPD_MAX_CONNS && conns[i].st != C_FREE ? &conns[i] : NULL;
}

static uint64_t ms_from_now(uint32_t ms)
{
    return httpd_now_ns() + (uint64_t)ms * 1000000u;
}

static void close_file(struct conn *c)
{
    if (c->file >= 0)
        (void)vfs_close(c->file);
    c->file = -1;
    c->file_left = 0;
}

static void conn_close(struct conn *c)
{
    close_file(c);
    if (c->sock >= 0)
        (void)net_close(c->sock);
    c->sock = -1;
    c->st = C_FREE;
    httpd_stats.open--;
}

void conn_close_all(void)
{
    for (unsigned i = 0; i < HTTPD_MAX_CONNS; i++)
        if (conns[i].st != C_FREE)
            conn_close(&conns[i]);
}

static void start_read(struct conn *c)
{
    c->st = C_READ;
    http_scan_init(&c->scan, false);
    c->deadline_ns = ms_from_now(HTTPD_IDLE_MS);
}

/* Our side is done: FIN after what is queued, then read until the client
 * closes (or the linger time ends). */
static void start_linger(struct conn *c)
{
    close_file(c);
    if (net_shutdown(c->sock, NET_SHUT_WR) < 0) {
        conn_close(c);
        return;
    }
    c->st = C_LINGER;
    c->deadline_ns = ms_from_now(HTTPD_LINGER_MS);
}

void conn_accept(int listener)
{
    for (;;) {
        uint32_t addr;
        uint16_t port;
        long s = net_accept(listener, &addr, &port);
        if (s < 0)
            return;
        struct conn *c = NULL;
        for (unsigned i = 0; i < HTTPD_MAX_CONNS && !c; i++)
            if (conns[i].st == C_FREE)
                c = &conns[i];
        httpd_stats.accepted++;
        if (!c) {
            /* Full: a short answer, then close (the bytes still go out). */
            httpd_stats.refused_busy++;
            (void)net_set_nonblock((int)s, true);
            (void)net_send((int)s, busy_response, sizeof busy_response - 1);
            (void)net_close((int)s);
            continue;
        }
        (void)net_set_nonblock((int)s, true);
        (void)net_setsockopt((int)s, NET_OPT_NODELAY, 1);
        c->sock = (int)s;
        c->peer = addr;
        c->peer_port = port;
        c->in_len = 0;
        c->out_len = c->out_off = 0;
        c->file = -1;
        c->file_left = 0;
        c->keep_alive = false;
        httpd_stats.open++;
        start_read(c);
    }
}

uint32_t conn_events(const struct conn *c)
{
    return c->st == C_SEND ? NET_EV_OUT : NET_EV_IN;
}

/* ---------------------------------------------------------------- sending */

/* A response was just prepared in c (site_respond / site_error). */
static void start_send(struct conn *c)
{
    c->st = C_SEND;
    c->deadline_ns = ms_from_now(HTTPD_SEND_MS);
    unsigned cls = c->status / 100;
    if (cls >= 1 && cls <= 5)
        httpd_stats.by_class[cls]++;
}

static void request_done(struct conn *c);

/* Move bytes into the socket until it is full or the response is out.
 * Returns false if the connection was closed. */
static bool pump_send(struct conn *c)
{
    for (;;) {
        if (c->out_off < c->out_len) {
            long n = net_send(c->sock, c->out + c->out_off, c->out_len - c->out_off);
            if (n == -MOS_EAGAIN)
                return true;
            if (n <= 0) {
                httpd_stats.client_gone++;
                conn_close(c);
                return false;
            }
            c->out_off += (size_t)n;
            httpd_stats.bytes_out += (uint64_t)n;
            c->deadline_ns = ms_from_now(HTTPD_SEND_MS);
            continue;
        }
        if (c->file >= 0 && c->file_left) {
            size_t want = c->file_left < HTTPD_OUT_MAX ? (size_t)c->file_left : HTTPD_OUT_MAX;
            long n = vfs_read(c->file, c->file_off, c->out, want);
            if (n <= 0) {
                /* The file shrank or the VFS failed: the length promised in
                 * the head cannot be kept, so the connection must end. */
                printf("httpd: reading a file failed (%s); closing the connection\n",
                       mos_strerror(n < 0 ? n : -MOS_EIO));
                conn_close(c);
                return false;
            }
            c->out_len = (size_t)n;
            c->out_off = 0;
            c->file_off += (uint64_t)n;
            c->file_left -= (uint64_t)n;
            continue;
        }
        close_file(c);
        request_done(c);
        return c->st != C_FREE;
    }
}

/* ---------------------------------------------------------------- reading */

static void handle_input(struct conn *c);

/* The response is out: the next request, or the end. */
static void request_done(struct conn *c)
{
    c->out_len = c->out_off = 0;
    if (!c->keep_alive) {
        start_linger(c);
        return;
    }
    start_read(c);
    if (c->in_len)
        handle_input(c);                /* a pipelined request is already here */
}

/* Drop n bytes from the front of the input buffer. */
static void consume(struct conn *c, size_t n)
{
    if (n > c->in_len)
        n = c->in_len;
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void respond_error(struct conn *c, unsigned status)
{
    c->keep_alive = false;
    site_error(c, status, false, true);
    start_send(c);
    (void)pump_send(c);
}

/* A complete head is at the front of in[]: answer it (after discarding
 * its body, if any). */
static void process_head(struct conn *c, size_t head_len)
{
    static struct http_request r;   /* large; one request at a time */
    httpd_stats.requests++;
    long e = http_parse_request(c->in, head_len, &r);
    consume(c, head_len);
    if (e < 0) {
        respond_error(c, (unsigned)-e);
        return;
    }
    if (r.chunked) {
        respond_error(c, 501);          /* we read no chunked request bodies */
        return;
    }
    if (r.has_length && r.content_length > HTTPD_BODY_MAX) {
        respond_error(c, 413);
        return;
    }
    c->keep_alive = r.keep_alive;
    if (r.has_length && r.content_length && r.expect_continue)
        c->keep_alive = false;          /* a client waiting for 100 may never send it */
    site_respond(c, &r);                /* may clear keep_alive */
    if (r.has_length && r.content_length && c->keep_alive) {
        /* Discard the body first, then send. */
        c->body_left = r.content_length;
        size_t n = c->in_len < c->body_left ? c->in_len : (size_t)c->body_left;
        consume(c, n);
        c->body_left -= n;
        if (c->body_left) {
            c->st = C_BODY;
            c->deadline_ns = ms_from_now(HTTPD_IDLE_MS);
            return;
        }
    }
    start_send(c);
    (void)pump_send(c);
}

/* Scan what has arrived; act on a complete head or an error. */
static void handle_input(struct conn *c)
{
    if (c->st != C_READ || c->in_len == 0)
        return;
    long r = http_head_scan(&c->scan, c->in, c->in_len);
    if (r < 0) {
        c->in_len = 0;
        respond_error(c, (unsigned)-r);
    } else if (r > 0) {
        process_head(c, (size_t)r);
    }
}

static void read_ready(struct conn *c)
{
    while (c->st == C_READ) {
        size_t room = sizeof c->in - c->in_len;
        if (room == 0) {                /* cannot happen: the scanner stops first */
            respond_error(c, 431);
            return;
        }
        long n = net_recv(c->sock, c->in + c->in_len, room);
        if (n == -MOS_EAGAIN)
            return;
        if (n <= 0) {
            if (c->in_len)
                httpd_stats.client_gone++;  /* gone in the middle of a request */
            conn_close(c);
            return;
        }
        c->in_len += (size_t)n;
        handle_input(c);
    }
}

static void body_ready(struct conn *c)
{
    static char sink[4096];
    while (c->st == C_BODY && c->body_left) {
        size_t want = c->body_left < sizeof sink ? (size_t)c->body_left : sizeof sink;
        long n = net_recv(c->sock, sink, want);
        if (n == -MOS_EAGAIN)
            return;
        if (n <= 0) {
            httpd_stats.client_gone++;
            conn_close(c);
            return;
        }
        c->body_left -= (uint64_t)n;
    }
    if (c->st == C_BODY) {
        start_send(c);
        (void)pump_send(c);
    }
}

static void linger_ready(struct conn *c)
{
    static char sink[4096];
    for (;;) {
        long n = net_recv(c->sock, sink, sizeof sink);
        if (n == -MOS_EAGAIN)
            return;
        if (n <= 0) {                   /* the client closed too (or reset): done */
            conn_close(c);
            return;
        }
    }
}

void conn_ready(struct conn *c, uint32_t revents)
{
    switch (c->st) {
    case C_READ:
        read_ready(c);
        break;
    case C_BODY:
        body_ready(c);
        break;
    case C_SEND:
        (void)pump_send(c);
        break;
    case C_LINGER:
        linger_ready(c);
        break;
    default:
        return;
    }
    /* An error with nothing left to read or write ends it (a reset). */
    if (c->st != C_FREE && (revents & NET_EV_ERR) && !(revents & (NET_EV_IN | NET_EV_OUT))) {
        if (c->st != C_LINGER && (c->in_len || c->st != C_READ))
            httpd_stats.client_gone++;
        conn_close(c);
    }
}

uint64_t conn_expire(uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < HTTPD_MAX_CONNS; i++) {
        struct conn *c = &conns[i];
        if (c->st == C_FREE)
            continue;
        if (now >= c->deadline_ns) {
            if (c->st == C_READ && c->in_len) {
                /* Too slow with its head: say so, then go. */
                httpd_stats.timeouts++;
                c->in_len = 0;
                respond_error(c, 408);
                if (c->st != C_FREE && c->st != C_LINGER)
                    c->deadline_ns = ms_from_now(HTTPD_LINGER_MS);  /* not another full wait */
            } else {
                if (c->st != C_READ && c->st != C_LINGER)
                    httpd_stats.timeouts++;
                conn_close(c);
            }
            if (c->st == C_FREE)
                continue;
        }
        if (c->deadline_ns < next)
            next = c->deadline_ns;
    }
    return next;
}
