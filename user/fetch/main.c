// SPDX-License-Identifier: MIT
/* fetch - an HTTP/1.1 client: GET (or HEAD) one URL and print the body on
 * the console, or save it to a file (-o; a relative name goes to /tmp).
 *   fetch [-o FILE] [-i] [-I] [-q] [-t SECONDS] URL
 *   -o FILE   save the body (the VFS: /tmp is the writable file system)
 *   -i        print the response head first      -I  HEAD instead of GET
 *   -q        no summary line (with -o)          -t  time-out of each wait (default 30)
 * URL: http://host[:port][/path], host a dotted quad or a name (DNS).
 * Bodies: Content-Length, chunked, or up to the end of the connection; a
 * body cut short is an error. Exit status: 0 for a 2xx answer, 1 for any
 * other status, 2 bad usage, 3 network or protocol error (the message says
 * which: no "net", no route, refused, reset, time-out, a malformed answer,
 * the netstack restarting), 4 the file could not be written.
 * Needs "net" (the shell passes it) and "console"; "vfs" for -o. The parsing
 * is user/httpd/http.c, shared with httpd and host-tested. */
#include "mos_lib.h"
#include "console_client.h"
#include "net_client.h"
#include "vfs_client.h"
#include "../httpd/http.h"

#define EXIT_HTTP    1
#define EXIT_USAGE   2
#define EXIT_NET     3
#define EXIT_FILE    4
#define BUF_BYTES    (64u * 1024u)

static char head[HTTP_RESP_HEAD_MAX + 1024];
static uint8_t buf[BUF_BYTES];
static uint8_t outbuf[BUF_BYTES];

struct sink {
    long file;                  /* VFS handle, or -1: the console */
    uint64_t off;               /* bytes written to the file */
    size_t pending;             /* bytes in outbuf */
    uint64_t total;             /* body bytes received */
    long err;
};

static uint64_t now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc() - k->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * k->tsc_mult) >> 32);
}

static void sink_flush(struct sink *s)
{
    if (s->pending == 0 || s->err)
        return;
    if (s->file >= 0) {
        long n = vfs_write(s->file, s->off, outbuf, s->pending);
        if (n < 0)
            s->err = n;
        else if ((size_t)n != s->pending)
            s->err = -MOS_ENOSPC;
        else
            s->off += (uint64_t)n;
    } else {
        mos_write((const char *)outbuf, s->pending);
    }
    s->pending = 0;
}

static void sink_put(struct sink *s, const uint8_t *p, size_t n)
{
    s->total += n;
    while (n && !s->err) {
        size_t room = sizeof outbuf - s->pending;
        size_t k = n < room ? n : room;
        memcpy(outbuf + s->pending, p, k);
        s->pending += k;
        p += k;
        n -= k;
        if (s->pending == sizeof outbuf)
            sink_flush(s);
    }
}

static int fail_net(const char *what, long e)
{
    printf("fetch: %s: %s\n", what, mos_strerror(e));
    return EXIT_NET;
}

static int usage(void)
{
    printf("usage: fetch [-o FILE] [-i] [-I] [-q] [-t SECONDS] http://host[:port]/path\n");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (con_init() == 0)
        con_use_for_stdout();
    const char *url = NULL, *out = NULL;
    bool show_head = false, head_only = false, quiet = false;
    uint64_t timeout_s = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(a, "-i") == 0)
            show_head = true;
        else if (strcmp(a, "-I") == 0)
            head_only = true;
        else if (strcmp(a, "-q") == 0)
            quiet = true;
        else if (strcmp(a, "-t") == 0 && i + 1 < argc && mos_parse_u64(argv[i + 1], 3600, &timeout_s) && timeout_s)
            i++;
        else if (a[0] != '-' && !url)
            url = a;
        else
            return usage();
    }
    if (!url)
        return usage();
    struct http_url u;
    long e = http_parse_url(url, &u);
    if (e < 0) {
        printf("fetch: %s: %s\n", url,
               e == HTTP_EUNSUPPORTED ? "only http:// URLs (no user information) are supported"
                                      : e == HTTP_ETOOBIG ? "too long" : "not a URL");
        return EXIT_USAGE;
    }

    /* The file first: no point in fetching what cannot be kept. */
    struct sink sink = { .file = -1 };
    char path[VFS_PATH_MAX];
    if (out) {
        int n = out[0] == '/' ? snprintf(path, sizeof path, "%s", out)
                              : snprintf(path, sizeof path, "/tmp/%s", out);
        if (n < 0 || (size_t)n >= sizeof path) {
            printf("fetch: %s: %s\n", out, mos_strerror(-MOS_ENAMETOOLONG));
            return EXIT_FILE;
        }
        if ((e = vfs_init()) == 0)
            e = vfs_open(path, VFS_O_WRITE | VFS_O_CREATE | VFS_O_TRUNC);
        if (e < 0) {
            printf("fetch: %s: %s\n", path, mos_strerror(e));
            return EXIT_FILE;
        }
        sink.file = e;
    }

    uint32_t addr;
    if ((e = net_resolve(u.host, &addr)) < 0)
        return fail_net(u.host, e);
    long s = net_socket(NET_TCP);
    if (s < 0)
        return fail_net("socket", s);
    (void)net_set_timeout((int)s, (uint32_t)timeout_s * 1000u, (uint32_t)timeout_s * 1000u);
    char where[300], a[16];
    snprintf(where, sizeof where, "%s (%s) port %u", u.host, net_ntoa(addr, a), u.port);
    uint64_t t0 = now_ns();
    if ((e = net_connect((int)s, addr, u.port)) < 0)
        return fail_net(where, e);
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s%s%.0u\r\nUser-Agent: MinimalOS-fetch/1\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n",
                     head_only ? "HEAD" : "GET", u.target, u.host, u.port != 80 ? ":" : "",
                     u.port != 80 ? u.port : 0);
    if (n < 0 || (size_t)n >= sizeof head)
        return fail_net(where, -MOS_EOVERFLOW);
    if ((e = net_send((int)s, head, (size_t)n)) != n)
        return fail_net(where, e < 0 ? e : -MOS_ECONNRESET);

    /* The head (1xx answers are skipped). */
    struct http_response resp;
    size_t have = 0;
    for (;;) {
        struct http_scan sc;
        http_scan_init(&sc, true);
        long hl = have ? http_head_scan(&sc, head, have) : 0;
        while (hl == 0) {
            if (have >= sizeof head - 1)
                return fail_net(where, -MOS_EPROTO);
            long r = net_recv((int)s, head + have, sizeof head - 1 - have);
            if (r == 0) {
                printf("fetch: %s: the connection ended %s\n", where, have ? "inside the answer's head" : "without an answer");
                return EXIT_NET;
            }
            if (r < 0)
                return fail_net(where, r);
            have += (size_t)r;
            hl = http_head_scan(&sc, head, have);
        }
        if (hl < 0 || http_parse_response(head, (size_t)hl, &resp) < 0) {
            printf("fetch: %s: a malformed answer\n", where);
            return EXIT_NET;
        }
        memmove(head, head + hl, have - (size_t)hl);
        have -= (size_t)hl;
        if (resp.status >= 200)
            break;
    }
    if (show_head) {
        printf("HTTP/1.%u %u %s\n", resp.version_minor, resp.status, resp.reason);
        if (resp.content_type[0])
            printf("Content-Type: %s\n", resp.content_type);
        if (resp.has_length)
            printf("Content-Length: %llu\n", (unsigned long long)resp.content_length);
        if (resp.chunked)
            printf("Transfer-Encoding: chunked\n");
        if (resp.location[0])
            printf("Location: %s\n", resp.location);
        printf("\n");
    }

    /* The body: what is left in head[], then the socket. */
    bool has_body = http_response_has_body(head_only ? HTTP_M_HEAD : HTTP_M_GET, resp.status);
    struct http_chunked ch;
    memset(&ch, 0, sizeof ch);
    bool done = !has_body || (resp.has_length && resp.content_length == 0);
    uint64_t left = resp.content_length;
    const uint8_t *p = (const uint8_t *)head;
    size_t plen = have;
    long why = 0;
    while (!done) {
        if (plen == 0) {
            long r = net_recv((int)s, buf, sizeof buf);
            if (r < 0) {
                why = r;
                break;
            }
            if (r == 0) {
                if (!resp.chunked && !resp.has_length)
                    done = true;                    /* the end of the connection ends the body */
                else
                    why = -MOS_ECONNRESET;
                break;
            }
            p = buf;
            plen = (size_t)r;
        }
        if (resp.chunked) {
            size_t used, off, dn;
            int c = http_chunked_step(&ch, p, plen, &used, &off, &dn);
            if (c < 0) {
                why = -MOS_EPROTO;
                break;
            }
            if (c == HTTP_CH_DATA)
                sink_put(&sink, p + off, dn);
            p += used;
            plen -= used;
            done = c == HTTP_CH_DONE;
        } else {
            size_t k = plen;
            if (resp.has_length && (uint64_t)k > left)
                k = (size_t)left;
            sink_put(&sink, p, k);
            p += k;
            plen -= k;
            if (resp.has_length) {
                left -= k;
                done = left == 0;
            }
        }
        if (sink.err)
            break;
    }
    (void)net_close((int)s);
    sink_flush(&sink);
    uint64_t dt = now_ns() - t0;
    if (sink.file >= 0)
        (void)vfs_close(sink.file);
    if (sink.err) {
        printf("fetch: %s: %s\n", path, mos_strerror(sink.err));
        return EXIT_FILE;
    }
    if (!done) {
        if (why == -MOS_ECONNRESET && resp.has_length)
            printf("fetch: %s: the connection ended after %llu of %llu bytes\n", where,
                   (unsigned long long)sink.total, (unsigned long long)resp.content_length);
        else
            printf("fetch: %s: %s after %llu bytes\n", where,
                   why == -MOS_EPROTO ? "a malformed chunked body" : mos_strerror(why ? why : -MOS_EIO),
                   (unsigned long long)sink.total);
        return EXIT_NET;
    }
    if (out && !quiet) {
        uint64_t ms = dt / 1000000u ? dt / 1000000u : 1;
        printf("fetch: %u %s: %llu bytes to %s in %llu ms (%llu kbit/s)\n", resp.status, resp.reason,
               (unsigned long long)sink.total, path, (unsigned long long)ms,
               (unsigned long long)(sink.total * 8u / ms));
    } else if (resp.status >= 300 && !quiet) {
        printf("fetch: %u %s\n", resp.status, resp.reason);
    }
    return resp.status >= 200 && resp.status < 300 ? 0 : EXIT_HTTP;
}
