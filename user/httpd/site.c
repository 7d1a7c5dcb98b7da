// SPDX-License-Identifier: MIT
/* site.c - what a request gets. GET and HEAD only (other known methods:
 * 405 with Allow; unknown ones: 501). The URL space:
 *   /status, /status.html   the live status page (status.c), HTML
 *   /status.txt             the same as "key value" lines (for scripts)
 *   /tmp/...                the VFS's /tmp (files fetched or written there)
 *   anything else           the VFS under /www (the initrd's site)
 * A directory is answered with its index.html, else a listing; a directory
 * named without its final '/' is redirected (301) to the name with it.
 * Paths arrive decoded and normalised (http_clean_path: no "..", no NUL or
 * control bytes), so "/www" + path stays under /www. Files are streamed
 * (conn.c reads them chunk by chunk); generated pages must fit in one
 * buffer and are cut (with a note) if they would not. */
#include "mos_lib.h"
#include "vfs_client.h"
#include "httpd.h"

#define SERVER_NAME "MinimalOS-httpd"

static char page[HTTPD_OUT_MAX];        /* a generated body, before it is copied out */

bool site_head(struct conn *c, unsigned status, const char *type, uint64_t length, const char *extra)
{
    int n = snprintf(c->out, sizeof c->out,
                     "HTTP/1.1 %u %s\r\nServer: " SERVER_NAME "\r\nContent-Type: %s\r\n"
                     "Content-Length: %llu\r\n%sConnection: %s\r\n\r\n",
                     status, http_reason(status), type, (unsigned long long)length, extra,
                     c->keep_alive ? "keep-alive" : "close");
    c->status = status;
    c->out_off = 0;
    c->file = -1;
    c->file_left = 0;
    if (n < 0 || (size_t)n >= sizeof c->out) {
        c->out_len = 0;
        return false;
    }
    c->out_len = (size_t)n;
    return true;
}

/* Head plus a generated body (page[0..len)); HEAD gets the head only. */
static void send_page(struct conn *c, unsigned status, const char *type, size_t len, bool head_only,
                      const char *extra)
{
    if (!site_head(c, status, type, len, extra)) {
        c->keep_alive = false;
        (void)site_head(c, 500, "text/plain", 0, "");
        return;
    }
    if (head_only)
        return;
    if (len > sizeof c->out - c->out_len)
        len = sizeof c->out - c->out_len;       /* cannot happen: pages are sized to fit */
    memcpy(c->out + c->out_len, page, len);
    c->out_len += len;
}

/* Append s to page at *at (bounded; the last byte stays free). */
static void put(size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n >= sizeof page - 1)
        n = *at < sizeof page - 1 ? sizeof page - 1 - *at : 0;
    memcpy(page + *at, s, n);
    *at += n;
}

/* s with &<>"' escaped for HTML. */
static void put_html(size_t *at, const char *s)
{
    char one[2] = { 0, 0 };
    for (; *s; s++) {
        switch (*s) {
        case '&': put(at, "&amp;"); break;
        case '<': put(at, "&lt;"); break;
        case '>': put(at, "&gt;"); break;
        case '"': put(at, "&quot;"); break;
        case '\'': put(at, "&#39;"); break;
        default:
            one[0] = *s;
            put(at, one);
        }
    }
}

/* s percent-encoded for a URL path (unreserved characters and '/' kept). */
static void url_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~/", ch)) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

void site_error(struct conn *c, unsigned status, bool head_only, bool close)
{
    if (close)
        c->keep_alive = false;
    size_t at = 0;
    char line[96];
    snprintf(line, sizeof line, "%u %s", status, http_reason(status));
    put(&at, "<!DOCTYPE html>\n<html><head><title>");
    put(&at, line);
    put(&at, "</title></head>\n<body><h1>");
    put(&at, line);
    put(&at, "</h1>\n<p><a href=\"/\">MinimalOS</a></p></body></html>\n");
    const char *extra = status == 405 ? "Allow: GET, HEAD\r\n" : status == 503 ? "Retry-After: 1\r\n" : "";
    send_page(c, status, "text/html; charset=utf-8", at, head_only, extra);
}

/* A VFS error as an HTTP status. */
static unsigned status_of(long e)
{
    switch (e) {
    case -MOS_ENOENT:
    case -MOS_ENOTDIR:
        return 404;
    case -MOS_ENAMETOOLONG:
        return 414;
    case -MOS_EPERM:
        return 403;
    default:
        return 500;
    }
}

/* A listing of directory vpath (shown as url). */
static void send_listing(struct conn *c, const char *vpath, const char *url, bool head_only)
{
    long h = vfs_open(vpath, VFS_O_READ | VFS_O_DIR);
    if (h < 0) {
        site_error(c, status_of(h), head_only, false);
        return;
    }
    size_t at = 0;
    put(&at, "<!DOCTYPE html>\n<html><head><title>Index of ");
    put_html(&at, url);
    put(&at, "</title></head>\n<body><h1>Index of ");
    put_html(&at, url);
    put(&at, "</h1>\n<ul>\n");
    if (strcmp(url, "/") != 0)
        put(&at, "<li><a href=\"../\">../</a></li>\n");
    struct vfs_dirent d;
    uint64_t i = 0;
    bool cut = false;
    for (; vfs_readdir(h, i, &d) == 0 && i < 100000; i++) {
        if (at > sizeof page - 512) {
            cut = true;
            break;
        }
        d.name[sizeof d.name - 1] = '\0';
        char href[3 * VFS_NAME_MAX + 2];
        url_escape(d.name, href, sizeof href);
        char size[32];
        if (d.type == VFS_TYPE_DIR)
            snprintf(size, sizeof size, "directory");
        else
            snprintf(size, sizeof size, "%llu bytes", (unsigned long long)d.size);
        put(&at, "<li><a href=\"");
        put(&at, href);
        put(&at, d.type == VFS_TYPE_DIR ? "/\">" : "\">");
        put_html(&at, d.name);
        put(&at, d.type == VFS_TYPE_DIR ? "/</a> " : "</a> ");
        put(&at, size);
        put(&at, "</li>\n");
    }
    (void)vfs_close(h);
    put(&at, cut ? "</ul>\n<p>(more entries not shown)</p></body></html>\n" : "</ul>\n</body></html>\n");
    send_page(c, 200, "text/html; charset=utf-8", at, head_only, "");
}

/* Open vpath and stream it. */
static void send_file(struct conn *c, const char *vpath, bool head_only)
{
    long h = vfs_open(vpath, VFS_O_READ);
    if (h < 0) {
        site_error(c, status_of(h), head_only, false);
        return;
    }
    struct vfs_stat st;
    long e = vfs_fstat(h, &st);
    if (e < 0) {
        (void)vfs_close(h);
        site_error(c, status_of(e), head_only, false);
        return;
    }
    if (!site_head(c, 200, http_mime_type(vpath), st.size, "")) {
        (void)vfs_close(h);
        site_error(c, 500, head_only, true);
        return;
    }
    if (head_only || st.size == 0) {
        (void)vfs_close(h);
        return;
    }
    c->file = h;
    c->file_off = 0;
    c->file_left = st.size;
}

void site_respond(struct conn *c, const struct http_request *r)
{
    bool head_only = r->method == HTTP_M_HEAD;
    if (r->method == HTTP_M_OTHER) {
        site_error(c, 501, false, true);
        return;
    }
    if (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD) {
        site_error(c, 405, false, false);
        return;
    }
    if (r->path[0] != '/') {                    /* "*" */
        site_error(c, 400, head_only, true);
        return;
    }
    if (strcmp(r->path, "/status") == 0 || strcmp(r->path, "/status.html") == 0 ||
        strcmp(r->path, "/status.txt") == 0) {
        bool html = strcmp(r->path, "/status.txt") != 0;
        size_t n = status_page(page, sizeof page, html);
        send_page(c, 200, html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8", n, head_only,
                  "Cache-Control: no-store\r\n");
        return;
    }
    char vpath[VFS_PATH_MAX];
    bool in_tmp = strcmp(r->path, HTTPD_TMP) == 0 || strncmp(r->path, HTTPD_TMP "/", sizeof HTTPD_TMP) == 0;
    int n = in_tmp ? snprintf(vpath, sizeof vpath, "%s", r->path)
                   : snprintf(vpath, sizeof vpath, HTTPD_WWW "%s", strcmp(r->path, "/") == 0 ? "" : r->path);
    if (n < 0 || (size_t)n >= sizeof vpath) {
        site_error(c, 414, head_only, false);
        return;
    }
    struct vfs_stat st;
    long e = vfs_stat(vpath, &st);
    if (e < 0) {
        site_error(c, status_of(e), head_only, false);
        return;
    }
    if (st.type == VFS_TYPE_DIR) {
        if (!r->path_dir) {
            char loc[3 * HTTP_PATH_MAX + 16], esc[3 * HTTP_PATH_MAX];
            url_escape(r->path, esc, sizeof esc);
            snprintf(loc, sizeof loc, "Location: %s/\r\n", esc);
            size_t at = 0;
            put(&at, "<!DOCTYPE html>\n<html><body><a href=\"");
            put(&at, esc);
            put(&at, "/\">moved here</a></body></html>\n");
            send_page(c, 301, "text/html; charset=utf-8", at, head_only, loc);
            return;
        }
        char index[VFS_PATH_MAX];
        n = snprintf(index, sizeof index, "%s/index.html", vpath);
        if (n > 0 && (size_t)n < sizeof index && vfs_stat(index, &st) == 0 && st.type == VFS_TYPE_FILE) {
            send_file(c, index, head_only);
            return;
        }
        send_listing(c, vpath, r->path, head_only);
        return;
    }
    send_file(c, vpath, head_only);
}
