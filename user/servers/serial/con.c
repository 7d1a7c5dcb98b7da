// SPDX-License-Identifier: MIT
/* con.c - the console protocol state machine (see con.h and
 * proto/console.h). Typed bytes go into a ring; readers wait in arrival
 * order. The head reader consumes the ring: a CON_READ_LINE through the
 * line editor (echoed, answered at Enter or with -MOS_ECANCELED at Ctrl-C),
 * a CON_READ by taking what is there. A reader that died meanwhile (the
 * reply fails with -MOS_EDEAD) loses nothing for the others: its finished
 * line goes to the next line reader, its raw bytes stay in the ring.
 * Invariant: ed_active only while rd[0] is a CON_READ_LINE; ed_ready
 * implies ed_active. Pure; single-threaded. */
#include "con.h"

#include "lib/string.h"
#include <mos/errors.h>
#include "proto/console.h"

_Static_assert((CON_IN_SIZE & (CON_IN_SIZE - 1)) == 0, "ring size is a power of two");
_Static_assert(LINE_MAX_BYTES == CON_MAX_IO, "a line fits one reply");

static void con_emit(void *ctx, const char *s, size_t n)
{
    struct con *c = ctx;
    c->tx += n;
    c->ops->emit(c->ctx, s, n);
}

void con_init(struct con *c, const struct con_ops *ops, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->ops = ops;
    c->ctx = ctx;
    out_init(&c->out, con_emit, c);
    line_init(&c->ed);
}

static long answer(struct con *c, mos_handle_t reply, int32_t label, uint64_t w0, uint64_t w1, uint64_t w2,
                   const void *data, size_t n)
{
    const uint64_t w[4] = { w0, w1, w2, 0 };
    return c->ops->reply(c->ctx, reply, label, w, data, n);
}

static size_t in_count(const struct con *c)
{
    return (size_t)(c->in_head - c->in_tail);
}

static void reader_pop(struct con *c)
{
    memmove(&c->rd[0], &c->rd[1], (c->nrd - 1) * sizeof c->rd[0]);
    c->nrd--;
    c->ed_active = false;
}

/* Show the reader's prompt (its unfinished line), after any kernel line
 * that is waiting, so that it stays the last thing before the input. */
static void show_prompt(struct con *c, uint64_t badge)
{
    if (!out_buffered(&c->out, badge))
        return;
    c->ops->drain_log(c->ctx);
    out_flush(&c->out, badge);
}

static void echo_line(void *ctx, const char *s, size_t n)
{
    struct con *c = ctx;
    out_echo(&c->out, c->echo_badge, s, n);
}

/* The head reader is a line reader: edit, and answer when the line ends.
 * Returns false when it must wait for more input. */
static bool serve_line(struct con *c)
{
    struct con_reader *r = &c->rd[0];
    if (!c->ed_active) {
        show_prompt(c, r->badge);
        line_start(&c->ed, r->max);
        c->ed_active = true;
    }
    enum line_result res = c->ed_ready ? LINE_DONE : LINE_MORE;
    c->echo_badge = r->badge;
    while (res == LINE_MORE && in_count(c))
        res = line_feed(&c->ed, c->in[c->in_tail++ % CON_IN_SIZE], echo_line, c);
    if (res == LINE_MORE)
        return false;
    long err;
    if (res == LINE_DONE) {
        size_t n = c->ed.len <= r->max ? c->ed.len : r->max;
        err = answer(c, r->reply, 0, n, 0, 0, c->ed.buf, n);
    } else {
        err = answer(c, r->reply, -MOS_ECANCELED, 0, 0, 0, NULL, 0);
    }
    bool keep = res == LINE_DONE && err == -MOS_EDEAD;  /* its reader is gone: the next one's */
    reader_pop(c);
    if (keep && c->nrd && c->rd[0].op == CON_READ_LINE) {
        c->ed_active = true;
        c->ed_ready = true;
        c->ed.max = c->rd[0].max;
    } else {
        c->ed_ready = false;
    }
    return true;
}

static uint8_t in_at(const struct con *c, size_t i)
{
    return c->in[(c->in_tail + i) % CON_IN_SIZE];
}

/* How many of the first n buffered bytes end before an unfinished escape
 * sequence at their end (n if there is none). */
static size_t raw_complete(const struct con *c, size_t n)
{
    size_t esc = n;
    for (size_t i = n; i-- > 0 && n - i <= 16;) {
        if (in_at(c, i) == 0x1B) {
            esc = i;
            break;
        }
    }
    if (esc == n)
        return n;
    size_t len = n - esc;                               /* ESC and what follows it */
    if (len == 1)
        return esc;                                     /* ESC */
    uint8_t kind = in_at(c, esc + 1);
    if (kind == 'O')
        return len >= 3 ? n : esc;                      /* ESC O x */
    if (kind != '[')
        return n;                                       /* ESC x */
    for (size_t i = esc + 2; i < n; i++) {
        uint8_t b = in_at(c, i);
        if (b >= 0x40 && b <= 0x7E)
            return n;                                   /* CSI ... final */
        if (b < 0x20 || b > 0x3F)
            return n;                                   /* not a sequence after all */
    }
    return esc;                                         /* CSI parameters, no final byte yet */
}

/* The head reader wants raw bytes: give it what is there. */
static bool serve_raw(struct con *c)
{
    struct con_reader *r = &c->rd[0];
    show_prompt(c, r->badge);
    size_t n = in_count(c);
    if (!n)
        return false;
    if (n > r->max) {
        n = r->max;
    } else {
        size_t whole = raw_complete(c, n);
        if (whole == 0 && !(c->esc_wait && c->now_ms - c->esc_since_ms >= CON_ESC_WAIT_MS)) {
            if (!c->esc_wait) {
                c->esc_wait = true;
                c->esc_since_ms = c->now_ms;
            }
            return false;                               /* wait for the rest of the sequence */
        }
        if (whole)
            n = whole;
    }
    c->esc_wait = false;
    static char tmp[CON_MAX_IO];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)in_at(c, i);
    long err = answer(c, r->reply, 0, n, 0, 0, tmp, n);
    uint64_t badge = r->badge;
    reader_pop(c);
    if (err == -MOS_EDEAD)
        return true;                                    /* the bytes stay for the next reader */
    c->in_tail += n;
    if (c->echo_raw)
        out_echo(&c->out, badge, tmp, n);
    return true;
}

/* Hand buffered input to the readers, head first, while it lasts. */
static void pump(struct con *c)
{
    while (c->nrd) {
        bool progress = c->rd[0].op == CON_READ_LINE ? serve_line(c) : serve_raw(c);
        if (!progress)
            return;
    }
}

static void req_write(struct con *c, const struct con_req *rq)
{
    out_write(&c->out, rq->badge, rq->data, rq->len, c->now_ms);
    if (rq->call)
        (void)answer(c, rq->reply, 0, rq->len, 0, 0, NULL, 0);
}

static void req_read(struct con *c, const struct con_req *rq)
{
    if (!rq->call)
        return;                                         /* nobody to answer */
    uint64_t max = rq->w[0];
    if (max == 0) {
        (void)answer(c, rq->reply, -MOS_EINVAL, 0, 0, 0, NULL, 0);
        return;
    }
    if (max > CON_MAX_IO)
        max = CON_MAX_IO;
    if (!rq->reply || c->nrd == CON_READERS) {          /* cannot keep it waiting */
        (void)answer(c, rq->reply, rq->reply ? -MOS_EBUSY : -MOS_ENOSPC, 0, 0, 0, NULL, 0);
        return;
    }
    /* The caller has probably written a prompt: show it now, unless that
     * would cut a line someone is typing (then when its turn comes). */
    if (!(c->ed_active && c->ed.len))
        show_prompt(c, rq->badge);
    c->rd[c->nrd++] = (struct con_reader){
        .badge = rq->badge, .reply = rq->reply, .op = rq->op, .max = (uint32_t)max,
    };
    pump(c);
}

void con_request(struct con *c, const struct con_req *rq)
{
    switch (rq->op) {
    case CON_WRITE:
        req_write(c, rq);
        return;
    case CON_READ_LINE:
    case CON_READ:
        req_read(c, rq);
        return;
    case CON_SET_ECHO: {
        bool was = c->echo_raw;
        c->echo_raw = rq->w[0] != 0;
        if (rq->call)
            (void)answer(c, rq->reply, 0, was, 0, 0, NULL, 0);
        return;
    }
    case CON_STATS:
        if (rq->call)
            (void)answer(c, rq->reply, 0, c->rx, c->tx, c->overruns, NULL, 0);
        return;
    default:
        if (rq->call)
            (void)answer(c, rq->reply, -MOS_ENOSYS, 0, 0, 0, NULL, 0);
        return;
    }
}

void con_input(struct con *c, const uint8_t *s, size_t n)
{
    c->rx += n;
    for (size_t i = 0; i < n; i++) {
        if (in_count(c) == CON_IN_SIZE) {
            c->overruns += n - i;                       /* nobody reads: drop the newest */
            break;
        }
        c->in[c->in_head++ % CON_IN_SIZE] = s[i];
    }
    pump(c);
}

void con_add_overruns(struct con *c, uint64_t n)
{
    c->overruns += n;
}

void con_kernel(struct con *c, const char *s, size_t n)
{
    out_kernel(&c->out, s, n);
}

void con_tick(struct con *c, uint64_t now_ms)
{
    c->now_ms = now_ms;
    out_tick(&c->out, now_ms);
    if (c->esc_wait)
        pump(c);
}

unsigned con_waiting(const struct con *c)
{
    return c->nrd;
}
