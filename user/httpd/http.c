// SPDX-License-Identifier: MIT
/* http.c - HTTP/1.1 parsing without trust (http.h): the incremental head
 * scanner, request and response heads, the chunked decoder, URLs, paths,
 * reason phrases and content types. Pure: no system calls, no allocation,
 * no global state; compiled into httpd and fetch and into the host test
 * (tests/host/test_http.c). Every loop is bounded by the length it was
 * given; an output buffer is never written past the size it was given. */
#include "http.h"

#include "lib/string.h"

/* ---------------------------------------------------------------- characters */

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_vchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* A byte allowed in a header value: VCHAR, obs-text, SP, HTAB. */
static bool is_field_char(unsigned char c)
{
    return c == ' ' || c == '\t' || is_vchar(c) || c >= 0x80;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

bool http_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* Does s[0..n) equal the NUL-terminated word w, ignoring case? */
static bool word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && http_ieq(s, w, n);
}

/* Copy s[0..n) into out (size cap), cut to fit, always terminated. */
static void copy_cut(char *out, size_t cap, const char *s, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* ---------------------------------------------------------------- head scan */

void http_scan_init(struct http_scan *s, bool response)
{
    memset(s, 0, sizeof *s);
    s->response = response;
}

long http_head_scan(struct http_scan *s, const char *buf, size_t len)
{
    const size_t head_max = s->response ? HTTP_RESP_HEAD_MAX : HTTP_REQ_HEAD_MAX;
    const unsigned hdr_max = s->response ? HTTP_RESP_HEADERS_MAX : HTTP_REQ_HEADERS_MAX;
    const long bad = s->response ? HTTP_EBAD : -400;
    while (s->pos < len) {
        unsigned char c = (unsigned char)buf[s->pos];
        if (c == '\0')
            return bad;
        if (c == '\r') {
            if (s->pos + 1 >= len)
                return 0;                       /* the LF may come in the next piece */
            if (buf[s->pos + 1] != '\n')
                return bad;                     /* a bare CR */
            s->pos++;                           /* look at the LF next */
            continue;
        }
        if (c == '\n') {
            size_t end = s->pos;                /* the line is [line_start, end) without CR */
            if (end > s->line_start && buf[end - 1] == '\r')
                end--;
            s->pos++;
            if (s->pos - s->start > head_max)
                return s->response ? HTTP_ETOOBIG : -431;
            if (end == s->line_start) {
                if (s->lines == 0) {            /* an empty line before the message */
                    if (s->pos > 2 * HTTP_LEADING_CRLF_MAX)
                        return bad;
                    s->line_start = s->start = s->pos;
                    continue;
                }
                return (long)s->pos;            /* the empty line ends the head */
            }
            if (++s->lines > hdr_max + 1)
                return s->response ? HTTP_ETOOBIG : -431;
            s->line_start = s->pos;
            continue;
        }
        size_t line_max = s->response ? HTTP_RESP_LINE_MAX
                                      : (s->lines == 0 ? HTTP_REQ_LINE_MAX : HTTP_HDR_LINE_MAX);
        if (s->pos - s->line_start >= line_max)
            return s->response ? HTTP_ETOOBIG : (s->lines == 0 ? -414 : -431);
        s->pos++;
        if (s->pos - s->start > head_max)
            return s->response ? HTTP_ETOOBIG : -431;
    }
    if (s->pos - s->start > head_max)
        return s->response ? HTTP_ETOOBIG : -431;
    return 0;
}

/* ---------------------------------------------------------------- lines */

/* The next line of a complete head: [*at, end of line) without CR/LF; *at
 * moves past the LF. False at the end of the buffer. */
static bool next_line(const char *buf, size_t len, size_t *at, const char **line, size_t *n)
{
    if (*at >= len)
        return false;
    size_t i = *at;
    while (i < len && buf[i] != '\n')
        i++;
    size_t end = i;
    if (end > *at && buf[end - 1] == '\r')
        end--;
    *line = buf + *at;
    *n = end - *at;
    *at = i < len ? i + 1 : len;
    return true;
}

/* Split "Name: value" into name and the value without surrounding
 * whitespace. False if malformed: no colon, an empty or non-token name
 * (whitespace before the colon included), a control byte in the value, a
 * line starting with whitespace (obsolete folding). */
static bool split_header(const char *line, size_t n, const char **name, size_t *nlen, const char **val,
                         size_t *vlen)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)line[i]))
        i++;
    if (i == 0 || i >= n || line[i] != ':')
        return false;
    *name = line;
    *nlen = i;
    size_t a = i + 1, b = n;
    for (size_t k = a; k < b; k++)
        if (!is_field_char((unsigned char)line[k]))
            return false;
    while (a < b && (line[a] == ' ' || line[a] == '\t'))
        a++;
    while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
        b--;
    *val = line + a;
    *vlen = b - a;
    return true;
}

/* A Content-Length value: 1..18 digits (no sign, no spaces, no list).
 * Returns false if malformed or too large. */
static bool parse_length(const char *v, size_t n, uint64_t *out)
{
    if (n == 0 || n > 18)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

/* Walk a comma-separated token list (Connection, Transfer-Encoding):
 * calls fn for each token (whitespace trimmed; empty elements skipped). */
static void each_token(const char *v, size_t n, void (*fn)(void *ctx, const char *t, size_t tn), void *ctx)
{
    size_t i = 0;
    while (i < n) {
        size_t a = i;
        while (i < n && v[i] != ',')
            i++;
        size_t b = i;
        while (a < b && (v[a] == ' ' || v[a] == '\t'))
            a++;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
            b--;
        if (b > a)
            fn(ctx, v + a, b - a);
        i++;
    }
}

struct conn_tokens {
    bool close, keep_alive;
};

static void conn_token(void *ctx, const char *t, size_t n)
{
    struct conn_tokens *c = ctx;
    if (word_is(t, n, "close"))
        c->close = true;
    else if (word_is(t, n, "keep-alive"))
        c->keep_alive = true;
}

struct te_tokens {
    unsigned count;
    bool last_chunked;
};

static void te_token(void *ctx, const char *t, size_t n)
{
    struct te_tokens *c = ctx;
    c->count++;
    c->last_chunked = word_is(t, n, "chunked");
}

/* "HTTP/d.d": the major and minor digits. */
static bool parse_version(const char *v, size_t n, unsigned *major, unsigned *minor)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
        v[7] > '9')
        return false;
    *major = (unsigned)(v[5] - '0');
    *minor = (unsigned)(v[7] - '0');
    return true;
}

/* ---------------------------------------------------------------- paths */

long http_clean_path(const char *raw, size_t len, char *out, size_t n, bool *dir)
{
    if (len == 0 || raw[0] != '/')
        return -400;
    /* 1. Decode every escape once, into dec (a decoded path is never longer
     *    than the raw one). NUL and control bytes are refused raw or escaped. */
    char dec[HTTP_PATH_MAX];
    size_t d = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '%') {
            if (len - i < 3)
                return -400;
            int hi = hex_value((unsigned char)raw[i + 1]), lo = hex_value((unsigned char)raw[i + 2]);
            if (hi < 0 || lo < 0)
                return -400;
            c = (unsigned char)(hi * 16 + lo);
            i += 3;
        } else {
            i++;
        }
        if (c < 0x20 || c == 0x7f)
            return -400;
        if (d + 1 >= sizeof dec)
            return -414;
        dec[d++] = (char)c;
    }
    /* 2. Normalise the decoded text: segments between '/', empty and "."
     *    dropped, ".." removing the last kept one (none left: refused). */
    size_t o = 0;                   /* out[0..o): "/seg/seg", no trailing '/' */
    bool ends_dir = false;
    for (size_t i = 0; i < d;) {
        while (i < d && dec[i] == '/')
            i++;
        if (i >= d) {
            ends_dir = true;
            break;
        }
        size_t a = i;
        while (i < d && dec[i] != '/')
            i++;
        size_t sl = i - a;
        if (sl == 1 && dec[a] == '.') {
            ends_dir = true;
            continue;
        }
        if (sl == 2 && dec[a] == '.' && dec[a + 1] == '.') {
            if (o == 0)
                return -400;                    /* above the root */
            while (o > 0 && out[o - 1] != '/')
                o--;
            o--;                                /* and the '/' before it */
            ends_dir = true;
            continue;
        }
        if (o + 1 + sl + 1 > n)
            return -414;
        out[o] = '/';
        memcpy(out + o + 1, dec + a, sl);
        o += 1 + sl;
        ends_dir = false;
    }
    if (o == 0) {
        if (n < 2)
            return -414;
        out[o++] = '/';
        ends_dir = true;
    }
    out[o] = '\0';
    *dir = ends_dir;
    return 0;
}

/* ---------------------------------------------------------------- requests */

enum http_method http_method_of(const char *name, size_t len)
{
    static const struct {
        const char *name;
        enum http_method m;
    } known[] = {
        { "GET", HTTP_M_GET },         { "HEAD", HTTP_M_HEAD },   { "POST", HTTP_M_POST },
        { "PUT", HTTP_M_PUT },         { "DELETE", HTTP_M_DELETE }, { "OPTIONS", HTTP_M_OPTIONS },
        { "PATCH", HTTP_M_PATCH },     { "TRACE", HTTP_M_TRACE }, { "CONNECT", HTTP_M_CONNECT },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == len && memcmp(known[i].name, name, len) == 0)
            return known[i].m;
    return HTTP_M_OTHER;
}

/* The request target: origin form "/p?q", absolute form "http://host/p?q",
 * asterisk form "*". Splits path and query and cleans the path. */
static long parse_target(const char *t, size_t n, struct http_request *r)
{
    if (n == 1 && t[0] == '*') {
        copy_cut(r->path, sizeof r->path, "*", 1);
        r->query[0] = '\0';
        return 0;
    }
    if (n > 7 && http_ieq(t, "http://", 7)) {
        size_t i = 7;
        while (i < n && t[i] != '/' && t[i] != '?')
            i++;
        if (i == 7)
            return -400;                        /* no authority */
        if (i == n || t[i] == '?') {
            /* "http://host" or "http://host?q": path "/" */
            static const char root[] = "/";
            long e = http_clean_path(root, 1, r->path, sizeof r->path, &r->path_dir);
            if (e < 0)
                return e;
            t += i;
            n -= i;
            if (n && t[0] == '?') {
                if (n - 1 >= sizeof r->query)
                    return -414;
                copy_cut(r->query, sizeof r->query, t + 1, n - 1);
            } else {
                r->query[0] = '\0';
            }
            return 0;
        }
        t += i;
        n -= i;
    }
    if (n == 0 || t[0] != '/')
        return -400;
    size_t q = 0;
    while (q < n && t[q] != '?' && t[q] != '#')
        q++;
    if (q < n && t[q] == '#')
        return -400;                            /* a fragment is never sent */
    long e = http_clean_path(t, q, r->path, sizeof r->path, &r->path_dir);
    if (e < 0)
        return e;
    if (q < n) {
        size_t ql = n - q - 1;
        for (size_t k = q + 1; k < n; k++)
            if (t[k] == '#')
                return -400;
        if (ql >= sizeof r->query)
            return -414;
        copy_cut(r->query, sizeof r->query, t + q + 1, ql);
    } else {
        r->query[0] = '\0';
    }
    return 0;
}

long http_parse_request(const char *buf, size_t len, struct http_request *r)
{
    memset(r, 0, sizeof *r);
    size_t at = 0;
    const char *line;
    size_t n;
    /* Leading empty lines (http_head_scan bounded them). */
    do {
        if (!next_line(buf, len, &at, &line, &n))
            return -400;
    } while (n == 0);
    for (size_t i = 0; i < n; i++)
        if (!is_vchar((unsigned char)line[i]) && line[i] != ' ')
            return -400;
    /* method SP target SP version: exactly one space each. */
    size_t sp1 = 0;
    while (sp1 < n && line[sp1] != ' ')
        sp1++;
    if (sp1 == 0 || sp1 >= n || sp1 >= sizeof r->method_name)
        return -400;
    for (size_t i = 0; i < sp1; i++)
        if (!is_tchar((unsigned char)line[i]))
            return -400;
    size_t sp2 = sp1 + 1;
    while (sp2 < n && line[sp2] != ' ')
        sp2++;
    if (sp2 == sp1 + 1 || sp2 >= n)
        return -400;                            /* an empty target, or no version (HTTP/0.9) */
    const char *ver = line + sp2 + 1;
    size_t vlen = n - sp2 - 1;
    unsigned major, minor;
    if (!parse_version(ver, vlen, &major, &minor))
        return -400;
    memcpy(r->method_name, line, sp1);
    r->method_name[sp1] = '\0';
    r->method = http_method_of(line, sp1);
    long e = parse_target(line + sp1 + 1, sp2 - sp1 - 1, r);
    if (e < 0)
        return e;
    if (major != 1)
        return -505;
    r->version_minor = minor ? 1 : 0;

    unsigned hosts = 0;
    struct conn_tokens ct = { false, false };
    struct te_tokens te = { 0, false };
    while (next_line(buf, len, &at, &line, &n) && n > 0) {
        const char *name, *val;
        size_t nlen, vl;
        if (!split_header(line, n, &name, &nlen, &val, &vl))
            return -400;
        r->headers++;
        if (word_is(name, nlen, "host")) {
            if (++hosts > 1)
                return -400;
            for (size_t i = 0; i < vl; i++)
                if (!is_vchar((unsigned char)val[i]))
                    return -400;
        } else if (word_is(name, nlen, "content-length")) {
            uint64_t v;
            if (!parse_length(val, vl, &v))
                return -400;
            if (r->has_length && v != r->content_length)
                return -400;
            r->has_length = true;
            r->content_length = v;
        } else if (word_is(name, nlen, "transfer-encoding")) {
            each_token(val, vl, te_token, &te);
            r->chunked = true;
        } else if (word_is(name, nlen, "connection")) {
            each_token(val, vl, conn_token, &ct);
        } else if (word_is(name, nlen, "expect")) {
            if (word_is(val, vl, "100-continue"))
                r->expect_continue = true;
        }
    }
    if (r->version_minor >= 1 && hosts == 0)
        return -400;
    if (r->chunked && r->has_length)
        return -400;                            /* request smuggling: refuse both */
    r->keep_alive = r->version_minor >= 1 ? !ct.close : (ct.keep_alive && !ct.close);
    r->head_len = len;
    return 0;
}

/* ---------------------------------------------------------------- responses */

long http_parse_response(const char *buf, size_t len, struct http_response *r)
{
    memset(r, 0, sizeof *r);
    size_t at = 0;
    const char *line;
    size_t n;
    do {
        if (!next_line(buf, len, &at, &line, &n))
            return HTTP_EBAD;
    } while (n == 0);
    unsigned major, minor;
    if (n < 12 || !parse_version(line, 8, &major, &minor) || major != 1 || line[8] != ' ')
        return HTTP_EBAD;
    unsigned status = 0;
    for (size_t i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return HTTP_EBAD;
        status = status * 10 + (unsigned)(line[i] - '0');
    }
    if (status < 100 || (n > 12 && line[12] != ' '))
        return HTTP_EBAD;
    for (size_t i = 12; i < n; i++)
        if (!is_field_char((unsigned char)line[i]))
            return HTTP_EBAD;
    r->status = status;
    r->version_minor = minor ? 1 : 0;
    if (n > 13)
        copy_cut(r->reason, sizeof r->reason, line + 13, n - 13);
    struct conn_tokens ct = { false, false };
    struct te_tokens te = { 0, false };
    bool te_seen = false;
    while (next_line(buf, len, &at, &line, &n) && n > 0) {
        const char *name, *val;
        size_t nlen, vl;
        if (!split_header(line, n, &name, &nlen, &val, &vl))
            return HTTP_EBAD;
        if (word_is(name, nlen, "content-length")) {
            uint64_t v;
            if (!parse_length(val, vl, &v) || (r->has_length && v != r->content_length))
                return HTTP_EBAD;
            r->has_length = true;
            r->content_length = v;
        } else if (word_is(name, nlen, "transfer-encoding")) {
            te_seen = true;
            each_token(val, vl, te_token, &te);
        } else if (word_is(name, nlen, "connection")) {
            each_token(val, vl, conn_token, &ct);
        } else if (word_is(name, nlen, "location")) {
            copy_cut(r->location, sizeof r->location, val, vl);
        } else if (word_is(name, nlen, "content-type")) {
            copy_cut(r->content_type, sizeof r->content_type, val, vl);
        }
    }
    if (te_seen) {
        /* Transfer-Encoding wins over Content-Length (RFC 9112 6.3); a
         * coding other than chunked last means "read until close". */
        r->has_length = false;
        r->content_length = 0;
        r->chunked = te.last_chunked;
        if (!te.last_chunked)
            ct.close = true;
    }
    r->close = r->version_minor >= 1 ? ct.close : !ct.keep_alive || ct.close;
    r->head_len = len;
    return 0;
}

bool http_response_has_body(enum http_method method, unsigned status)
{
    return method != HTTP_M_HEAD && status >= 200 && status != 204 && status != 304;
}

/* ---------------------------------------------------------------- chunked */

enum {
    CH_SIZE = 0,        /* hex digits */
    CH_EXT,             /* after the size: ";ext" or whitespace until the line ends */
    CH_SIZE_LF,         /* CR seen, LF must follow */
    CH_DATA,
    CH_DATA_CR,         /* CRLF after the data */
    CH_DATA_LF,
    CH_TRAILER,         /* trailer lines until an empty one */
    CH_TRAILER_LF,
    CH_DONE,
};

int http_chunked_step(struct http_chunked *c, const uint8_t *in, size_t len, size_t *used, size_t *off,
                      size_t *n)
{
    size_t i = 0;
    *off = *n = 0;
    while (i < len) {
        uint8_t b = in[i];
        switch (c->state) {
        case CH_SIZE: {
            int h = hex_value(b);
            if (h >= 0) {
                if (c->digits >= 15)
                    return HTTP_ETOOBIG;
                if (c->digits == 0)
                    c->left = 0;
                c->left = c->left * 16 + (uint64_t)h;
                c->digits++;
                i++;
                break;
            }
            if (c->digits == 0)
                return HTTP_EBAD;
            c->state = CH_EXT;
            c->line = 0;
            break;                              /* look at b again as an extension byte */
        }
        case CH_EXT:
            if (b == '\r') {
                c->state = CH_SIZE_LF;
            } else if (b == '\n') {
                c->state = CH_SIZE_LF;
                continue;                       /* a bare LF ends the line too */
            } else if (b == 0 || (b < 0x20 && b != '\t')) {
                return HTTP_EBAD;
            } else if (++c->line > HTTP_RESP_LINE_MAX) {
                return HTTP_ETOOBIG;
            } else if (c->line == 1 && b != ';' && b != ' ' && b != '\t') {
                return HTTP_EBAD;               /* "12x": not a size */
            }
            i++;
            break;
        case CH_SIZE_LF:
            if (b != '\n')
                return HTTP_EBAD;
            i++;
            c->digits = 0;
            if (c->left == 0) {
                c->state = CH_TRAILER;
                c->line = 0;
            } else {
                c->state = CH_DATA;
            }
            break;
        case CH_DATA: {
            size_t take = len - i;
            if ((uint64_t)take > c->left)
                take = (size_t)c->left;
            c->left -= take;
            *off = i;
            *n = take;
            i += take;
            if (c->left == 0)
                c->state = CH_DATA_CR;
            *used = i;
            return HTTP_CH_DATA;
        }
        case CH_DATA_CR:
            if (b == '\r') {
                c->state = CH_DATA_LF;
                i++;
            } else if (b == '\n') {
                c->state = CH_DATA_LF;          /* bare LF */
            } else {
                return HTTP_EBAD;
            }
            break;
        case CH_DATA_LF:
            if (b != '\n')
                return HTTP_EBAD;
            i++;
            c->state = CH_SIZE;
            c->digits = 0;
            break;
        case CH_TRAILER:
            if (b == '\r' || b == '\n') {
                c->state = CH_TRAILER_LF;
                if (b == '\r')
                    i++;
                break;
            }
            if (b == 0 || (b < 0x20 && b != '\t'))
                return HTTP_EBAD;
            if (++c->line > HTTP_RESP_LINE_MAX)
                return HTTP_ETOOBIG;
            i++;
            break;
        case CH_TRAILER_LF:
            if (b != '\n')
                return HTTP_EBAD;
            i++;
            if (c->line == 0) {
                c->state = CH_DONE;
                *used = i;
                return HTTP_CH_DONE;
            }
            if (++c->trailers > HTTP_RESP_HEADERS_MAX)
                return HTTP_ETOOBIG;
            c->line = 0;
            c->state = CH_TRAILER;
            break;
        default:                                /* CH_DONE: nothing more may come */
            *used = i;
            return HTTP_CH_DONE;
        }
    }
    *used = i;
    return c->state == CH_DONE ? HTTP_CH_DONE : HTTP_CH_MORE;
}

/* ---------------------------------------------------------------- URLs */

long http_parse_url(const char *url, struct http_url *u)
{
    memset(u, 0, sizeof *u);
    const char *p = url;
    const char *colon = strchr(p, ':');
    const char *slash = strchr(p, '/');
    if (colon && colon[1] == '/' && colon[2] == '/' && (!slash || colon < slash)) {
        size_t sl = (size_t)(colon - p);
        if (!word_is(p, sl, "http"))
            return HTTP_EUNSUPPORTED;
        p = colon + 3;
    }
    size_t h = 0;
    while (p[h] && p[h] != ':' && p[h] != '/' && p[h] != '?') {
        unsigned char c = (unsigned char)p[h];
        if (c == '@')
            return HTTP_EUNSUPPORTED;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-'))
            return HTTP_EBAD;
        if (++h >= sizeof u->host)
            return HTTP_ETOOBIG;
    }
    if (h == 0)
        return HTTP_EBAD;
    memcpy(u->host, p, h);
    u->host[h] = '\0';
    p += h;
    u->port = 80;
    if (*p == ':') {
        p++;
        uint32_t port = 0;
        unsigned digits = 0;
        while (*p >= '0' && *p <= '9') {
            port = port * 10 + (uint32_t)(*p - '0');
            if (++digits > 5 || port > 65535)
                return HTTP_EBAD;
            p++;
        }
        if (digits == 0 || port == 0)
            return HTTP_EBAD;
        u->port = (uint16_t)port;
    }
    if (*p && *p != '/' && *p != '?')
        return HTTP_EBAD;
    size_t t = 0;
    if (*p != '/')
        u->target[t++] = '/';
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '#')
            break;                              /* a fragment stays with the client */
        if (!is_vchar(c))
            return HTTP_EBAD;
        if (t + 1 >= sizeof u->target)
            return HTTP_ETOOBIG;
        u->target[t++] = (char)c;
    }
    if (t == 0)
        u->target[t++] = '/';
    u->target[t] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- tables */

const char *http_reason(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

const char *http_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
        { "txt", "text/plain; charset=utf-8" }, { "conf", "text/plain; charset=utf-8" },
        { "md", "text/plain; charset=utf-8" },  { "css", "text/css" },
        { "js", "text/javascript" },            { "json", "application/json" },
        { "png", "image/png" },                 { "jpg", "image/jpeg" },
        { "jpeg", "image/jpeg" },               { "gif", "image/gif" },
        { "svg", "image/svg+xml" },             { "ico", "image/x-icon" },
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        size_t n = strlen(dot + 1);
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (word_is(dot + 1, n, types[i].ext))
                return types[i].type;
    }
    return "application/octet-stream";
}
