// SPDX-License-Identifier: MIT
/* out.c - interleaving of console output at line boundaries (see out.h).
 * State: one line buffer per client, plus what the terminal's current line
 * shows (partial/owner/scr), which is what makes the break-and-redraw
 * possible. Invariant: when !partial the cursor stands at column 0 after a
 * "\r\n" we sent, so any line can go out as it is. Pure; single-threaded. */
#include "out.h"

#include "lib/string.h"

void out_init(struct out *o, out_emit_fn emit, void *ctx)
{
    memset(o, 0, sizeof *o);
    o->emit = emit;
    o->ctx = ctx;
}

/* To the wire, '\n' as "\r\n" (unless the '\r' was already there). */
static void wire(struct out *o, const char *s, size_t n)
{
    char chunk[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 2 > sizeof chunk) {
            o->emit(o->ctx, chunk, k);
            k = 0;
        }
        if (s[i] == '\n' && o->last != '\r')
            chunk[k++] = '\r';
        chunk[k++] = s[i];
        o->last = s[i];
    }
    if (k)
        o->emit(o->ctx, chunk, k);
}

/* Follow what the terminal line shows after s went out. */
static void track(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\n':
            o->partial = false;
            o->scr_len = 0;
            break;
        case '\r':
            o->partial = true;                  /* column 0, but the old text is still there */
            o->scr_len = 0;
            break;
        case '\b':
            o->partial = true;
            if (o->scr_len)
                o->scr_len--;
            break;
        default:
            o->partial = true;
            if (o->scr_len < OUT_SCREEN_MAX)
                o->scr[o->scr_len++] = s[i];
            break;
        }
    }
}

/* Bytes that belong to `badge` on the current terminal line. */
static void user_bytes(struct out *o, uint64_t badge, const char *s, size_t n)
{
    if (!n)
        return;
    if (o->partial && o->owner != badge) {
        wire(o, "\n", 1);                       /* someone else's unfinished line: leave it */
        o->partial = false;
        o->scr_len = 0;
    }
    wire(o, s, n);
    track(o, s, n);
    if (o->partial)
        o->owner = badge;
}

/* A whole line (s without its '\n') from someone who does not own the
 * terminal line: break it, print, redraw. */
static void foreign_line(struct out *o, const char *s, size_t n)
{
    bool redraw = o->partial;
    if (redraw)
        wire(o, "\n", 1);
    wire(o, s, n);
    wire(o, "\n", 1);
    if (redraw)
        wire(o, o->scr, o->scr_len);            /* partial, owner and scr unchanged */
}

static struct out_client *client_get(struct out *o, uint64_t badge, uint64_t now_ms)
{
    struct out_client *free_cl = NULL, *lru = NULL;
    for (unsigned i = 0; i < OUT_CLIENTS; i++) {
        struct out_client *c = &o->cl[i];
        if (c->used && c->badge == badge)
            return c;
        if (!c->used && !free_cl)
            free_cl = c;
        if (c->used && (!lru || c->last_ms < lru->last_ms))
            lru = c;
    }
    struct out_client *c = free_cl;
    if (!c) {
        c = lru;
        out_flush(o, c->badge);                 /* its unfinished line goes out first */
    }
    c->used = true;
    c->badge = badge;
    c->len = 0;
    c->since_ms = c->last_ms = now_ms;
    return c;
}

static struct out_client *client_find(struct out *o, uint64_t badge)
{
    for (unsigned i = 0; i < OUT_CLIENTS; i++)
        if (o->cl[i].used && o->cl[i].badge == badge)
            return &o->cl[i];
    return NULL;
}

void out_write(struct out *o, uint64_t badge, const char *s, size_t n, uint64_t now_ms)
{
    if (!n)
        return;
    struct out_client *c = client_get(o, badge, now_ms);
    c->last_ms = now_ms;
    for (size_t i = 0; i < n; i++) {
        if (!c->len)
            c->since_ms = now_ms;
        c->buf[c->len++] = s[i];
        if (s[i] == '\n') {
            if (o->partial && o->owner == badge)
                user_bytes(o, badge, c->buf, c->len);   /* ends its own line */
            else
                foreign_line(o, c->buf, c->len - 1);
            c->len = 0;
        } else if (c->len == OUT_LINE_MAX) {
            out_flush(o, badge);                        /* too long to wait for its end */
        }
    }
}

void out_flush(struct out *o, uint64_t badge)
{
    struct out_client *c = client_find(o, badge);
    if (!c || !c->len)
        return;
    size_t n = c->len;
    c->len = 0;
    user_bytes(o, badge, c->buf, n);
}

void out_echo(struct out *o, uint64_t badge, const char *s, size_t n)
{
    out_flush(o, badge);                                /* its prompt first, if still held */
    user_bytes(o, badge, s, n);
}

void out_kernel(struct out *o, const char *s, size_t n)
{
    while (n) {
        size_t k = 0;
        while (k < n && s[k] != '\n')
            k++;
        foreign_line(o, s, k);
        k += k < n;                                     /* its '\n' */
        s += k;
        n -= k;
    }
}

void out_tick(struct out *o, uint64_t now_ms)
{
    for (unsigned i = 0; i < OUT_CLIENTS; i++) {
        struct out_client *c = &o->cl[i];
        if (c->used && c->len && now_ms - c->since_ms >= OUT_IDLE_MS)
            out_flush(o, c->badge);
    }
}

size_t out_buffered(const struct out *o, uint64_t badge)
{
    for (unsigned i = 0; i < OUT_CLIENTS; i++)
        if (o->cl[i].used && o->cl[i].badge == badge)
            return o->cl[i].len;
    return 0;
}
