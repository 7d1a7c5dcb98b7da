/* SPDX-License-Identifier: MIT */
/* http.h - HTTP/1.1 message parsing, pure C (no system calls, no
 * allocation): shared by httpd (requests) and fetch (responses, URLs,
 * chunked bodies), and host-tested under ASan/UBSan (tests/host/test_http.c).
 *
 * Nothing here trusts its input: every function takes a length, never reads
 * past it, never writes past the output it was given, and refuses what the
 * grammar (RFC 9110/9112) does not allow instead of guessing: NUL and other
 * control bytes, bare CR, whitespace before a header's colon, obsolete line
 * folding, a request line without a version, a bad or conflicting
 * Content-Length, Content-Length together with Transfer-Encoding, too long
 * lines, too many headers, too large heads. A request error is returned as
 * the negative HTTP status the server should answer with (-400, -414, -431,
 * -501, -505); a response error as HTTP_EBAD / HTTP_ETOOBIG.
 *
 * The head arrives in pieces: http_head_scan() is fed the same buffer,
 * grown, as often as needed; it resumes where it stopped (so a head split
 * into 1-byte reads costs O(n), not O(n^2)) and enforces the limits as the
 * bytes come, before the head is complete. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits for requests (what httpd accepts). */
#define HTTP_REQ_LINE_MAX    2048u    /* request line, bytes without CRLF: else 414 */
#define HTTP_HDR_LINE_MAX    2048u    /* one header line: else 431 */
#define HTTP_REQ_HEAD_MAX    8192u    /* the whole head: else 431 */
#define HTTP_REQ_HEADERS_MAX 64u      /* header lines: else 431 */
#define HTTP_LEADING_CRLF_MAX 8u      /* empty lines tolerated before a request */
#define HTTP_PATH_MAX        1024u    /* decoded path, with its NUL: else 414 */
#define HTTP_QUERY_MAX       256u     /* raw query string, with its NUL: else 414 */
/* Limits for responses (what fetch accepts). */
#define HTTP_RESP_LINE_MAX   8192u
#define HTTP_RESP_HEAD_MAX   32768u
#define HTTP_RESP_HEADERS_MAX 128u

/* Response parse errors (request errors are negative HTTP statuses). */
#define HTTP_EBAD    (-1)             /* malformed */
#define HTTP_ETOOBIG (-2)             /* a limit was exceeded */
#define HTTP_EUNSUPPORTED (-3)        /* URL: a scheme other than http */

enum http_method {
    HTTP_M_OTHER = 0,                 /* a syntactically valid method we do not know */
    HTTP_M_GET,
    HTTP_M_HEAD,
    HTTP_M_POST,
    HTTP_M_PUT,
    HTTP_M_DELETE,
    HTTP_M_OPTIONS,
    HTTP_M_PATCH,
    HTTP_M_TRACE,
    HTTP_M_CONNECT,
};

/* Incremental search for the end of a head (request or response). Zero it
 * (or http_scan_init) before the first byte of each message. */
struct http_scan {
    size_t pos;                       /* bytes examined so far */
    size_t line_start;                /* where the current line began */
    size_t start;                     /* where the message begins (after leading CRLFs) */
    unsigned lines;                   /* complete non-empty lines */
    bool response;                    /* limits: response (true) or request */
};
void http_scan_init(struct http_scan *s, bool response);

/* Look at buf[0..len) (the same bytes as before, maybe more). Returns the
 * head's length in bytes (> 0; it ends with the empty line) once it is
 * complete, 0 if more bytes are needed, or an error: requests -400 (NUL,
 * bare CR, too many leading empty lines), -414 (request line too long),
 * -431 (header line too long, too many headers, head too long); responses
 * HTTP_EBAD / HTTP_ETOOBIG. Pure. */
long http_head_scan(struct http_scan *s, const char *buf, size_t len);

struct http_request {
    enum http_method method;
    char method_name[16];             /* as sent (a token of 1..15 characters) */
    unsigned version_minor;           /* HTTP/1.<minor>: 0 or 1 (2..9 count as 1) */
    char path[HTTP_PATH_MAX];         /* decoded and normalised, starts with '/' ("*": OPTIONS *) */
    bool path_dir;                    /* the target ended with '/' (or "/.", "/..") */
    char query[HTTP_QUERY_MAX];       /* after '?', raw; "" if none */
    bool keep_alive;                  /* the connection may serve another request */
    bool has_length;                  /* Content-Length was given */
    uint64_t content_length;
    bool chunked;                     /* Transfer-Encoding was given (any coding) */
    bool expect_continue;             /* Expect: 100-continue */
    unsigned headers;                 /* header lines */
    size_t head_len;                  /* bytes of the head (leading CRLFs included) */
};

/* Parse a complete head buf[0..len) (len as http_head_scan returned). Fills
 * *r and returns 0, or the negative status: -400 (malformed request line,
 * missing version, bad header, missing/duplicate Host in 1.1, bad or
 * conflicting Content-Length, Content-Length with Transfer-Encoding, bad
 * target or path: NUL, bad escape, ".." above the root), -414 (decoded path
 * or query too long), -505 (not HTTP/1.x). The method is not judged here
 * (405/501 are the server's decision). Pure. */
long http_parse_request(const char *buf, size_t len, struct http_request *r);

struct http_response {
    unsigned status;                  /* 100..999 */
    unsigned version_minor;
    char reason[64];                  /* cut to fit */
    bool has_length;
    uint64_t content_length;
    bool chunked;                     /* the last transfer coding is chunked */
    bool close;                       /* Connection: close (or HTTP/1.0 without keep-alive) */
    char location[256];               /* Location, cut to fit */
    char content_type[64];            /* Content-Type, cut to fit */
    size_t head_len;
};

/* Parse a complete response head. Returns 0 or HTTP_EBAD. Pure. */
long http_parse_response(const char *buf, size_t len, struct http_response *r);

/* Does a response to `method` with this status carry a body? (HEAD, 1xx,
 * 204 and 304 do not.) */
bool http_response_has_body(enum http_method method, unsigned status);

/* Chunked transfer coding, incrementally. Zero the state first. */
struct http_chunked {
    uint8_t state;
    uint8_t digits;                   /* hex digits of the current size */
    uint16_t line;                    /* bytes of the current extension/trailer line */
    uint32_t trailers;                /* trailer lines so far */
    uint64_t left;                    /* data bytes left in the current chunk */
};
enum http_chunk_result {
    HTTP_CH_MORE = 0,                 /* everything consumed; feed more */
    HTTP_CH_DATA = 1,                 /* in[*off .. *off + *n) is body data */
    HTTP_CH_DONE = 2,                 /* the last chunk and trailers ended at *used */
};
/* Consume in[0..len): *used is how many bytes were consumed (framing and the
 * data run, if any). Returns an http_chunk_result, or HTTP_EBAD (bad size,
 * missing CRLF), HTTP_ETOOBIG (a size over 2^60, an extension or trailer
 * line over HTTP_RESP_LINE_MAX, more than HTTP_RESP_HEADERS_MAX trailers). */
int http_chunked_step(struct http_chunked *c, const uint8_t *in, size_t len, size_t *used,
                      size_t *off, size_t *n);

/* http://host[:port][/path][?query] (the scheme may be left out). host is a
 * name or dotted quad of [A-Za-z0-9.-] (1..253 characters); port 1..65535
 * (default 80); target is the path and query as given ("/" if none), of
 * visible ASCII. Returns 0, HTTP_EBAD, HTTP_ETOOBIG or HTTP_EUNSUPPORTED
 * (another scheme, user information). Pure. */
struct http_url {
    char host[254];
    uint16_t port;
    char target[HTTP_PATH_MAX];
};
long http_parse_url(const char *url, struct http_url *u);

/* The decoded, normalised form of a request target's path (raw[0..len), no
 * query): percent escapes decoded, empty and "." segments dropped, ".."
 * removing the segment before it. Writes out (always NUL-terminated on
 * success) and sets *dir if the target ended with a '/'. Returns 0, -400
 * (not starting with '/', a bad escape, a decoded NUL or control byte, ".."
 * above the root) or -414 (does not fit in n). Pure. */
long http_clean_path(const char *raw, size_t len, char *out, size_t n, bool *dir);

/* The method for a name (exact, case-sensitive as HTTP says), HTTP_M_OTHER
 * if it is a valid token we do not know. */
enum http_method http_method_of(const char *name, size_t len);

/* "Not Found" etc., "" for an unknown status. */
const char *http_reason(unsigned status);

/* A Content-Type for a file name, by its extension. */
const char *http_mime_type(const char *path);

/* Case-insensitive comparison of n bytes (ASCII). */
bool http_ieq(const char *a, const char *b, size_t n);
