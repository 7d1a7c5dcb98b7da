// SPDX-License-Identifier: MIT
/* test_http.c - the HTTP parser of httpd and fetch (user/httpd/http.c):
 * well-formed requests and responses; every malformed case httpd must
 * refuse with the right status (overlong lines, bad methods, missing or bad
 * versions, header floods, bad and conflicting Content-Length, smuggling
 * shapes, NUL and control bytes, bare CR, folding, whitespace before the
 * colon, bad targets and paths); heads split at every byte and in random
 * pieces (same answer as whole, limits enforced before the head ends);
 * the chunked decoder at every split; URLs; and a seeded random run
 * (HTTP_SEED=n) of mutated and random heads, each checked under ASan for
 * staying inside its buffer and for split reads agreeing with whole ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "http.h"

/* Scan a whole buffer at once; the buffer is an exact-size heap copy, so
 * ASan catches a read past it. */
static long scan_all(const char *text, size_t len, bool response)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    struct http_scan s;
    http_scan_init(&s, response);
    long r = http_head_scan(&s, copy, len);
    free(copy);
    return r;
}

/* Feed it one byte more each time, as the network would in the worst case. */
static long scan_bytewise(const char *text, size_t len, bool response)
{
    struct http_scan s;
    http_scan_init(&s, response);
    long r = 0;
    for (size_t n = 1; n <= len; n++) {
        char *copy = malloc(n);
        memcpy(copy, text, n);
        r = http_head_scan(&s, copy, n);
        free(copy);
        if (r != 0)
            return r;
    }
    return r;
}

/* Scan and parse a request; returns the parse result (or the scan error,
 * or 1 if the head is incomplete). Checks bytewise scanning agrees. */
static long req(const char *text, struct http_request *r)
{
    size_t len = strlen(text);
    long n = scan_all(text, len, false);
    assert_int_equal(scan_bytewise(text, len, false), n);
    if (n < 0)
        return n;
    if (n == 0)
        return 1;
    char *copy = malloc((size_t)n);
    memcpy(copy, text, (size_t)n);
    long e = http_parse_request(copy, (size_t)n, r);
    free(copy);
    return e;
}

static long resp(const char *text, struct http_response *r)
{
    size_t len = strlen(text);
    long n = scan_all(text, len, true);
    assert_int_equal(scan_bytewise(text, len, true), n);
    if (n <= 0)
        return n == 0 ? 1 : n;
    char *copy = malloc((size_t)n);
    memcpy(copy, text, (size_t)n);
    long e = http_parse_response(copy, (size_t)n, r);
    free(copy);
    return e;
}

/* ---------------------------------------------------------------- requests */

static void good_get(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\n\r\n", &r), 0);
    assert_int_equal(r.method, HTTP_M_GET);
    assert_string_equal(r.method_name, "GET");
    assert_string_equal(r.path, "/index.html");
    assert_false(r.path_dir);
    assert_string_equal(r.query, "");
    assert_int_equal(r.version_minor, 1);
    assert_true(r.keep_alive);
    assert_false(r.has_length);
    assert_false(r.chunked);
    assert_int_equal(r.headers, 2);
    assert_int_equal(r.head_len, strlen("GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\n\r\n"));

    assert_int_equal(req("HEAD / HTTP/1.0\r\n\r\n", &r), 0);   /* 1.0: Host optional */
    assert_int_equal(r.method, HTTP_M_HEAD);
    assert_string_equal(r.path, "/");
    assert_true(r.path_dir);
    assert_false(r.keep_alive);
    /* Bare LF line ends are accepted. */
    assert_int_equal(req("GET /a?b=c&d HTTP/1.1\nHost: x\n\n", &r), 0);
    assert_string_equal(r.path, "/a");
    assert_string_equal(r.query, "b=c&d");
}

static void head_length_excludes_body(void **state)
{
    (void)state;
    const char *t = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\n";
    assert_int_equal(scan_all(t, strlen(t), false), (long)strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    /* Incomplete: 0 until the empty line. */
    const char *p = "GET / HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(scan_all(p, strlen(p), false), 0);
    const char *cr = "GET / HTTP/1.1\r\nHost: x\r\n\r";
    assert_int_equal(scan_all(cr, strlen(cr), false), 0);   /* the LF may still come */
}

static void keep_alive_rules(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r), 0);
    assert_false(r.keep_alive);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n", &r), 0);
    assert_false(r.keep_alive);
    assert_int_equal(req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 0);
    assert_true(r.keep_alive);
    assert_int_equal(req("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &r), 0);
    assert_false(r.keep_alive);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: ,, keep-alive ,\r\n\r\n", &r), 0);
    assert_true(r.keep_alive);
}

static void methods(void **state)
{
    (void)state;
    struct http_request r;
    static const struct {
        const char *name;
        enum http_method m;
    } t[] = {
        { "POST", HTTP_M_POST }, { "PUT", HTTP_M_PUT },       { "DELETE", HTTP_M_DELETE },
        { "OPTIONS", HTTP_M_OPTIONS }, { "PATCH", HTTP_M_PATCH }, { "TRACE", HTTP_M_TRACE },
        { "BREW", HTTP_M_OTHER }, { "get", HTTP_M_OTHER },   { "M-SEARCH", HTTP_M_OTHER },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s / HTTP/1.1\r\nHost: x\r\n\r\n", t[i].name);
        assert_int_equal(req(buf, &r), 0);
        assert_int_equal(r.method, t[i].m);
        assert_string_equal(r.method_name, t[i].name);
    }
    /* Not tokens, too long, missing. */
    assert_int_equal(req("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GE\"T / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("ABCDEFGHIJKLMNOP / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req(" / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("\x80GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(http_method_of("CONNECT", 7), HTTP_M_CONNECT);
    assert_int_equal(http_method_of("GETX", 3), HTTP_M_GET);
}

static void request_line_shapes(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("GET /\r\n\r\n", &r), -400);                       /* HTTP/0.9 */
    assert_int_equal(req("GET / \r\nHost: x\r\n\r\n", &r), -400);           /* empty version */
    assert_int_equal(req("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);  /* two spaces */
    assert_int_equal(req("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", &r), -400);  /* trailing space */
    assert_int_equal(req("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / http/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.x\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/11.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/2.0\r\nHost: x\r\n\r\n", &r), -505);
    assert_int_equal(req("GET / HTTP/0.9\r\nHost: x\r\n\r\n", &r), -505);
    assert_int_equal(req("GET / HTTP/1.2\r\nHost: x\r\n\r\n", &r), 0);
    assert_int_equal(r.version_minor, 1);
    assert_int_equal(req("GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a?x#frag HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    /* Leading empty lines: a few are ignored, a flood is not. */
    assert_int_equal(req("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    char flood[256] = "";
    for (unsigned i = 0; i < HTTP_LEADING_CRLF_MAX + 1; i++)
        strcat(flood, "\r\n");
    strcat(flood, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req(flood, &r), -400);
}

static void targets(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("GET http://example/x/y?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/x/y");
    assert_string_equal(r.query, "q=1");
    assert_int_equal(req("GET http://example HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/");
    assert_int_equal(req("GET http:// HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "*");
    assert_int_equal(req("GET /a/./b//c/../d/ HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/a/b/d");
    assert_true(r.path_dir);
    assert_int_equal(req("GET /%7euser/%41%62.txt HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/~user/Ab.txt");
    assert_int_equal(req("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a/%2e%2e/%2E%2E/x HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a%2f..%2f..%2fx HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a%2fb HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/a/b");
    assert_int_equal(req("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a%0d%0aSet: x HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /a% HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    assert_int_equal(req("GET /%252e%252e/x HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
    assert_string_equal(r.path, "/%2e%2e/x");           /* decoded once, never twice */
    /* Query too long: 414. */
    char buf[1024];
    snprintf(buf, sizeof buf, "GET /?%0*d HTTP/1.1\r\nHost: x\r\n\r\n", (int)HTTP_QUERY_MAX, 7);
    assert_int_equal(req(buf, &r), -414);
}

static void clean_path_direct(void **state)
{
    (void)state;
    char out[16];
    bool dir;
    assert_int_equal(http_clean_path("/abc", 4, out, sizeof out, &dir), 0);
    assert_string_equal(out, "/abc");
    assert_int_equal(http_clean_path("/..", 3, out, sizeof out, &dir), -400);
    assert_int_equal(http_clean_path("/a/..", 5, out, sizeof out, &dir), 0);
    assert_string_equal(out, "/");
    assert_true(dir);
    assert_int_equal(http_clean_path("/a/b/../../..", 13, out, sizeof out, &dir), -400);
    assert_int_equal(http_clean_path("", 0, out, sizeof out, &dir), -400);
    assert_int_equal(http_clean_path("x", 1, out, sizeof out, &dir), -400);
    /* Exactly fitting and one too long. */
    assert_int_equal(http_clean_path("/123456789abcde", 15, out, sizeof out, &dir), 0);
    assert_string_equal(out, "/123456789abcde");
    assert_int_equal(http_clean_path("/123456789abcdef", 16, out, sizeof out, &dir), -414);
    char tiny[1];
    assert_int_equal(http_clean_path("/", 1, tiny, sizeof tiny, &dir), -414);
    /* Not NUL-terminated input: only len bytes are read (ASan). */
    char *p = malloc(3);
    memcpy(p, "/%4", 3);
    assert_int_equal(http_clean_path(p, 3, out, sizeof out, &dir), -400);
    free(p);
}

static void headers(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("GET / HTTP/1.1\r\n\r\n", &r), -400);                   /* no Host */
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n", &r), 0);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &r), -400);      /* space before ':' */
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\n Host: a\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f" "b\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", &r), -400);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nX: tab\tok \xc3\xa9\r\n\r\n", &r), 0);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", &r), 0);     /* empty value */
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", &r), 0);
    assert_true(r.expect_continue);
}

static void content_length(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n", &r), 0);
    assert_true(r.has_length);
    assert_int_equal(r.content_length, 42);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r), 0);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:   7  \r\n\r\n", &r), 0);
    assert_int_equal(r.content_length, 7);
    static const char *bad[] = { "-1", "+5", "0x10", "1 2", "1,2", "abc", "", "12a", "1.0",
                                 "9999999999999999999", "18446744073709551616" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[160];
        snprintf(buf, sizeof buf, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n", bad[i]);
        assert_int_equal(req(buf, &r), -400);
    }
    /* The same value twice is one value; different values are refused. */
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", &r),
                     0);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", &r),
                     -400);
    /* Smuggling shapes. */
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r), 0);
    assert_true(r.chunked);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n", &r), -400);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                         "Content-Length: 5\r\n\r\n", &r), -400);
}

static void limits(void **state)
{
    (void)state;
    struct http_request r;
    /* Request line: the longest allowed passes, one more is 414 - and the
     * scanner says so before the line is complete. */
    size_t max = HTTP_REQ_LINE_MAX;
    char *line = malloc(max + 64);
    memcpy(line, "GET /", 5);
    size_t path = max - strlen("GET / HTTP/1.1");
    memset(line + 5, 'a', path);
    strcpy(line + 5 + path, " HTTP/1.1\r\nHost: x\r\n\r\n");
    long e = req(line, &r);
    assert_true(e == 0 || e == -414);             /* the decoded path may not fit */
    assert_int_equal(scan_all(line, strlen(line), false), (long)strlen(line));
    memset(line + 5, 'a', path + 1);
    strcpy(line + 6 + path, " HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req(line, &r), -414);
    assert_int_equal(scan_all(line, max + 1, false), -414);       /* no CRLF yet */
    free(line);

    /* One header line too long: 431, before its end arrives. */
    char *h = malloc(HTTP_HDR_LINE_MAX + 128);
    strcpy(h, "GET / HTTP/1.1\r\nX: ");
    size_t at = strlen(h);
    memset(h + at, 'v', HTTP_HDR_LINE_MAX);
    h[at + HTTP_HDR_LINE_MAX] = '\0';
    assert_int_equal(scan_all(h, strlen(h), false), -431);
    free(h);

    /* Header flood: 64 lines pass, 65 are 431. */
    char *f = malloc(64 * 1024);
    strcpy(f, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (unsigned i = 1; i < HTTP_REQ_HEADERS_MAX; i++)
        strcat(f, "A: b\r\n");
    size_t keep = strlen(f);
    strcat(f, "\r\n");
    assert_int_equal(req(f, &r), 0);
    assert_int_equal(r.headers, HTTP_REQ_HEADERS_MAX);
    strcpy(f + keep, "A: b\r\n\r\n");
    assert_int_equal(req(f, &r), -431);
    free(f);
    f = malloc(64 * 1024);

    /* The whole head: just under the limit passes, over it is 431. */
    strcpy(f, "GET / HTTP/1.1\r\nHost: x\r\n");
    while (strlen(f) + 2000 < HTTP_REQ_HEAD_MAX) {
        strcat(f, "Big: ");
        size_t l = strlen(f);
        memset(f + l, 'z', 1900);
        strcpy(f + l + 1900, "\r\n");
    }
    size_t base = strlen(f);
    size_t pad = HTTP_REQ_HEAD_MAX - base - 7;   /* "P: " + pad + "\r\n" + "\r\n" */
    strcat(f, "P: ");
    memset(f + base + 3, 'p', pad);
    strcpy(f + base + 3 + pad, "\r\n\r\n");
    assert_int_equal((long)strlen(f), (long)HTTP_REQ_HEAD_MAX);
    assert_int_equal(scan_all(f, strlen(f), false), (long)HTTP_REQ_HEAD_MAX);
    f[base + 3 + pad] = 'p';
    strcpy(f + base + 4 + pad, "\r\n\r\n");
    assert_int_equal(scan_all(f, strlen(f), false), -431);
    free(f);
}

static void nul_and_cr(void **state)
{
    (void)state;
    static const char t1[] = "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n";
    assert_int_equal(scan_all(t1, sizeof t1 - 1, false), -400);
    assert_int_equal(scan_bytewise(t1, sizeof t1 - 1, false), -400);
    static const char t2[] = "GET /\0 HTTP/1.1\r\n\r\n";
    assert_int_equal(scan_all(t2, sizeof t2 - 1, false), -400);
    static const char t3[] = "GET / HTTP/1.1\rHost: x\r\n\r\n";
    assert_int_equal(scan_all(t3, sizeof t3 - 1, false), -400);
    static const char t4[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\r\n";
    assert_int_equal(scan_all(t4, sizeof t4 - 1, false), -400);
    /* A response with NUL: malformed. */
    static const char t5[] = "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n";
    assert_int_equal(scan_all(t5, sizeof t5 - 1, true), HTTP_EBAD);
}

/* Every split of a valid head into two reads gives the same result. */
static void split_reads(void **state)
{
    (void)state;
    const char *t = "GET /x/y.html?z HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n"
                    "Connection: keep-alive\r\n\r\nBODY";
    size_t len = strlen(t);
    long whole = scan_all(t, len, false);
    assert_true(whole > 0);
    for (size_t cut = 0; cut <= len; cut++) {
        struct http_scan s;
        http_scan_init(&s, false);
        char *a = malloc(len);
        memcpy(a, t, len);
        long r1 = http_head_scan(&s, a, cut);
        long r2 = r1 ? r1 : http_head_scan(&s, a, len);
        free(a);
        assert_int_equal(r2, whole);
    }
}

/* ---------------------------------------------------------------- responses */

static void responses(void **state)
{
    (void)state;
    struct http_response r;
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.reason, "OK");
    assert_true(r.has_length);
    assert_int_equal(r.content_length, 12);
    assert_false(r.close);
    assert_string_equal(r.content_type, "text/plain");
    assert_int_equal(resp("HTTP/1.0 404 Not Found\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 404);
    assert_true(r.close);
    assert_int_equal(resp("HTTP/1.1 204\r\n\r\n", &r), 0);        /* no reason phrase */
    assert_int_equal(r.status, 204);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n", &r),
                     0);
    assert_true(r.chunked);
    assert_false(r.has_length);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &r), 0);
    assert_false(r.chunked);
    assert_true(r.close);                          /* read until close */
    assert_int_equal(resp("HTTP/1.1 301 Moved\r\nLocation: http://a/b\r\nConnection: close\r\n\r\n", &r), 0);
    assert_string_equal(r.location, "http://a/b");
    assert_true(r.close);
    assert_int_equal(resp("HTTP/1.1 20 OK\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("HTTP/1.1 2000 OK\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("HTTP/1.1 099 Low\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("HTTP/2.0 200 OK\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r), HTTP_EBAD);
    assert_int_equal(resp("ICY 200 OK\r\n\r\n", &r), HTTP_EBAD);
    assert_false(http_response_has_body(HTTP_M_HEAD, 200));
    assert_false(http_response_has_body(HTTP_M_GET, 204));
    assert_false(http_response_has_body(HTTP_M_GET, 304));
    assert_false(http_response_has_body(HTTP_M_GET, 100));
    assert_true(http_response_has_body(HTTP_M_GET, 404));
}

/* ---------------------------------------------------------------- chunked */

/* Decode all of text fed in pieces of `piece` bytes; returns the decoded
 * body (malloc'ed) and the result of the last step. */
static int dechunk(const char *text, size_t len, size_t piece, char **body, size_t *blen, size_t *rest)
{
    struct http_chunked c;
    memset(&c, 0, sizeof c);
    *body = malloc(len + 1);
    *blen = 0;
    size_t at = 0;
    int r = HTTP_CH_MORE;
    while (at < len) {
        size_t n = len - at < piece ? len - at : piece;
        uint8_t *p = malloc(n);
        memcpy(p, text + at, n);
        size_t done = 0;
        while (done < n) {
            size_t used, off, dn;
            r = http_chunked_step(&c, p + done, n - done, &used, &off, &dn);
            if (r < 0) {
                free(p);
                return r;
            }
            assert_true(used <= n - done);
            if (r == HTTP_CH_DATA) {
                assert_true(off + dn <= used);
                memcpy(*body + *blen, p + done + off, dn);
                *blen += dn;
            }
            done += used;
            if (r == HTTP_CH_DONE)
                break;
        }
        free(p);
        at += done;
        if (r == HTTP_CH_DONE)
            break;
    }
    *rest = len - at;
    return r == HTTP_CH_DATA ? HTTP_CH_MORE : r;
}

static void chunked(void **state)
{
    (void)state;
    const char *t = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    size_t len = strlen(t);
    for (size_t piece = 1; piece <= len; piece++) {
        char *body;
        size_t blen, rest;
        assert_int_equal(dechunk(t, len, piece, &body, &blen, &rest), HTTP_CH_DONE);
        assert_int_equal(blen, 12);
        assert_memory_equal(body, "hello, world", 12);
        assert_int_equal(rest, 4);              /* "NEXT" is not the body's */
        free(body);
    }
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        { "A\r\n0123456789\r\n0\r\n\r\n", HTTP_CH_DONE },
        { "a\n0123456789\n0\n\n", HTTP_CH_DONE },           /* bare LFs */
        { "0\r\n\r\n", HTTP_CH_DONE },
        { "\r\n", HTTP_EBAD },                              /* no size */
        { "x\r\n", HTTP_EBAD },
        { "5x\r\nhello\r\n0\r\n\r\n", HTTP_EBAD },
        { "5\r\nhelloXX0\r\n\r\n", HTTP_EBAD },             /* no CRLF after the data */
        { "5\rhello", HTTP_EBAD },                          /* CR without LF */
        { "1000000000000000\r\n", HTTP_ETOOBIG },           /* 16 hex digits */
        { "5;\x01\r\n", HTTP_EBAD },
        { "5\r\nhel", HTTP_CH_MORE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body;
        size_t blen, rest;
        int r = dechunk(cases[i].text, strlen(cases[i].text), 3, &body, &blen, &rest);
        free(body);
        if (r != cases[i].want)
            fail_msg("case %zu (%s): got %d, want %d", i, cases[i].text, r, cases[i].want);
    }
    /* An extension line without end: bounded. */
    size_t big = HTTP_RESP_LINE_MAX + 16;
    char *e = malloc(big + 1);
    memcpy(e, "5;", 2);
    memset(e + 2, 'e', big - 2);
    e[big] = '\0';
    char *body;
    size_t blen, rest;
    assert_int_equal(dechunk(e, big, 1000, &body, &blen, &rest), HTTP_ETOOBIG);
    free(body);
    free(e);
}

/* ---------------------------------------------------------------- URLs etc. */

static void urls(void **state)
{
    (void)state;
    struct http_url u;
    assert_int_equal(http_parse_url("http://10.0.2.100/index.html", &u), 0);
    assert_string_equal(u.host, "10.0.2.100");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.target, "/index.html");
    assert_int_equal(http_parse_url("HTTP://example.org:8080", &u), 0);
    assert_string_equal(u.host, "example.org");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.target, "/");
    assert_int_equal(http_parse_url("localhost:65535/a?b#frag", &u), 0);
    assert_string_equal(u.target, "/a?b");
    assert_int_equal(http_parse_url("h?q", &u), 0);
    assert_string_equal(u.target, "/?q");
    assert_int_equal(http_parse_url("https://x/", &u), HTTP_EUNSUPPORTED);
    assert_int_equal(http_parse_url("ftp://x/", &u), HTTP_EUNSUPPORTED);
    assert_int_equal(http_parse_url("http://user@x/", &u), HTTP_EUNSUPPORTED);
    assert_int_equal(http_parse_url("http:///x", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x:0/", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x:65536/", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x:/", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x:80a/", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x_y/", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("http://x/a b", &u), HTTP_EBAD);
    assert_int_equal(http_parse_url("", &u), HTTP_EBAD);
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(http_parse_url(big, &u), HTTP_ETOOBIG);
}

static void tables(void **state)
{
    (void)state;
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(405), "Method Not Allowed");
    assert_string_equal(http_reason(999), "");
    assert_string_equal(http_mime_type("/www/index.html"), "text/html; charset=utf-8");
    assert_string_equal(http_mime_type("/a/B.PNG"), "image/png");
    assert_string_equal(http_mime_type("/a.dir/noext"), "application/octet-stream");
    assert_string_equal(http_mime_type("/a/.html"), "application/octet-stream");
    assert_string_equal(http_mime_type("x.tar.gz"), "application/octet-stream");
    assert_true(http_ieq("Content-LENGTH", "content-length", 14));
}

/* ---------------------------------------------------------------- random */

static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static const char *const seeds[] = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD /x/y?z HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
    "GET http://h/%41/../b HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n",
};

static void random_heads(void **state)
{
    (void)state;
    const char *env = getenv("HTTP_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    rng = seed | 1;
    printf("# HTTP_SEED=%llu\n", (unsigned long long)seed);
    static const char alphabet[] = "GET HTTP/1.0\r\n:%/.?#\0\t abcXYZ-01239";
    for (unsigned iter = 0; iter < 20000; iter++) {
        char buf[600];
        size_t len;
        if (rnd() % 4 == 0) {
            len = rnd() % sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = rnd() % 3 ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)rnd();
        } else {
            const char *s = seeds[rnd() % (sizeof seeds / sizeof seeds[0])];
            len = strlen(s);
            memcpy(buf, s, len);
            unsigned edits = 1 + rnd() % 4;
            for (unsigned e = 0; e < edits; e++) {
                size_t at = rnd() % len;
                switch (rnd() % 3) {
                case 0: buf[at] = alphabet[rnd() % (sizeof alphabet - 1)]; break;
                case 1: buf[at] = (char)rnd(); break;
                default:
                    if (len + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = alphabet[rnd() % (sizeof alphabet - 1)];
                        len++;
                    }
                }
            }
        }
        bool response = rnd() % 5 == 0;
        long whole = scan_all(buf, len, response);
        /* The same bytes in random pieces: the same answer. */
        struct http_scan s;
        http_scan_init(&s, response);
        size_t at = 0;
        long piecewise = 0;
        while (at < len && piecewise == 0) {
            at += 1 + rnd() % 40;
            if (at > len)
                at = len;
            char *copy = malloc(at);
            memcpy(copy, buf, at);
            piecewise = http_head_scan(&s, copy, at);
            free(copy);
        }
        if (piecewise != whole)
            fail_msg("seed %llu iter %u: whole %ld, piecewise %ld", (unsigned long long)seed, iter, whole,
                     piecewise);
        if (whole > 0) {
            assert_true((size_t)whole <= len);
            char *copy = malloc((size_t)whole);
            memcpy(copy, buf, (size_t)whole);
            if (response) {
                struct http_response r;
                long e = http_parse_response(copy, (size_t)whole, &r);
                assert_true(e == 0 || e == HTTP_EBAD);
                if (e == 0)
                    assert_true(r.status >= 100 && r.status <= 999);
            } else {
                struct http_request r;
                long e = http_parse_request(copy, (size_t)whole, &r);
                assert_true(e == 0 || e == -400 || e == -414 || e == -505);
                if (e == 0) {
                    assert_true(r.path[0] == '/' || r.path[0] == '*');
                    assert_null(strstr(r.path, "/../"));
                    assert_null(strstr(r.path, "//"));
                    assert_true(strlen(r.path) < sizeof r.path);
                    for (const char *p = r.path; *p; p++)
                        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
                }
            }
            free(copy);
        }
        /* And the chunked decoder on the same bytes never overruns. */
        struct http_chunked c;
        memset(&c, 0, sizeof c);
        size_t off = 0;
        while (off < len) {
            size_t used, doff, dn;
            int r = http_chunked_step(&c, (const uint8_t *)buf + off, len - off, &used, &doff, &dn);
            if (r < 0 || r == HTTP_CH_DONE)
                break;
            assert_true(used <= len - off && doff + dn <= used);
            if (used == 0)
                break;
            off += used;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_get),
        cmocka_unit_test(head_length_excludes_body),
        cmocka_unit_test(keep_alive_rules),
        cmocka_unit_test(methods),
        cmocka_unit_test(request_line_shapes),
        cmocka_unit_test(targets),
        cmocka_unit_test(clean_path_direct),
        cmocka_unit_test(headers),
        cmocka_unit_test(content_length),
        cmocka_unit_test(limits),
        cmocka_unit_test(nul_and_cr),
        cmocka_unit_test(split_reads),
        cmocka_unit_test(responses),
        cmocka_unit_test(chunked),
        cmocka_unit_test(urls),
        cmocka_unit_test(tables),
        cmocka_unit_test(random_heads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
