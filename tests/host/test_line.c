// SPDX-License-Identifier: MIT
/* test_line.c - the serial driver's console logic on the host: the line
 * editor (printable bytes, backspace at the start, Ctrl-U, Ctrl-W, Ctrl-C,
 * CR/LF/CRLF, the length limit, escape sequences, UTF-8), the console
 * protocol state with fake replies (deferred and queued readers, raw reads
 * passing escape sequences through whole, a reader that died, typed-ahead input,
 * bad requests) and the output merger (prompts, kernel lines between user
 * lines, break and redraw, idle flush). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "proto/console.h"
#include "line.h"
#include "out.h"
#include "con.h"

/* ---------------------------------------------------------------- helpers */

struct sink {
    char s[65536];
    size_t n;
};

static void sink_put(void *ctx, const char *s, size_t n)
{
    struct sink *k = ctx;
    assert_true(k->n + n < sizeof k->s);
    memcpy(k->s + k->n, s, n);
    k->n += n;
    k->s[k->n] = '\0';
}

static void sink_clear(struct sink *k)
{
    k->n = 0;
    k->s[0] = '\0';
}

static enum line_result feed(struct line_ed *e, const char *s, struct sink *echo)
{
    enum line_result r = LINE_MORE;
    for (; *s; s++) {
        r = line_feed(e, (uint8_t)*s, sink_put, echo);
        if (r != LINE_MORE)
            break;
    }
    return r;
}

static void expect_line(struct line_ed *e, const char *want)
{
    assert_int_equal(e->len, strlen(want));
    assert_memory_equal(e->buf, want, e->len);
}

/* ---------------------------------------------------------------- line editor */

static void printable_bytes_are_inserted_and_echoed(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    assert_int_equal(feed(&e, "ls -l /bin", &echo), LINE_MORE);
    assert_int_equal(feed(&e, "\r", &echo), LINE_DONE);
    expect_line(&e, "ls -l /bin");
    assert_string_equal(echo.s, "ls -l /bin\r\n");
}

static void backspace_at_start_does_nothing(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\x7f\b\x7f", &echo), LINE_MORE);
    assert_int_equal(e.len, 0);
    assert_int_equal(echo.n, 0);
    feed(&e, "ab\x7f", &echo);
    expect_line(&e, "a");
    feed(&e, "c\b", &echo);
    expect_line(&e, "a");
    assert_string_equal(echo.s, "ab\b \bc\b \b");
    assert_int_equal(feed(&e, "\n", &echo), LINE_DONE);
    expect_line(&e, "a");
}

static void ctrl_u_erases_the_line(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    feed(&e, "hello", &echo);
    sink_clear(&echo);
    assert_int_equal(feed(&e, "\x15", &echo), LINE_MORE);
    assert_int_equal(e.len, 0);
    assert_string_equal(echo.s, "\b \b\b \b\b \b\b \b\b \b");
    sink_clear(&echo);
    assert_int_equal(feed(&e, "\x15", &echo), LINE_MORE);     /* empty: nothing to erase */
    assert_int_equal(echo.n, 0);
    assert_int_equal(feed(&e, "x\r", &echo), LINE_DONE);
    expect_line(&e, "x");
}

static void ctrl_w_erases_a_word(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    feed(&e, "cat foo  ", &echo);
    feed(&e, "\x17", &echo);
    expect_line(&e, "cat ");
    feed(&e, "\x17\x17", &echo);
    expect_line(&e, "");
}

static void ctrl_c_cancels_the_line(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    assert_int_equal(feed(&e, "abc\x03", &echo), LINE_CANCEL);
    assert_int_equal(e.len, 0);
    assert_string_equal(echo.s, "abc^C\r\n");
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\x03", &echo), LINE_CANCEL);     /* also on an empty line */
}

static void cr_lf_and_crlf_each_end_one_line(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    /* CRLF: one line, the LF (even in the next line) is swallowed. */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "a\r", &echo), LINE_DONE);
    expect_line(&e, "a");
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\nb\n", &echo), LINE_DONE);
    expect_line(&e, "b");
    /* LF LF: two (the second empty). */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\n", &echo), LINE_DONE);
    expect_line(&e, "");
    /* LF CR: two, the second empty. */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\n", &echo), LINE_DONE);
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\r", &echo), LINE_DONE);
    expect_line(&e, "");
    /* CR CR: two (the first CR above, then this one). */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\r", &echo), LINE_DONE);
    expect_line(&e, "");
    /* CR then text: the memory of the CR ends with the next byte. */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "x\n", &echo), LINE_DONE);
    expect_line(&e, "x");
}

static void line_stops_at_max_length(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 3);
    assert_int_equal(feed(&e, "abcdef\r", &echo), LINE_DONE);
    expect_line(&e, "abc");
    assert_string_equal(echo.s, "abc\r\n");
    /* Room comes back after a backspace. */
    line_start(&e, 3);
    assert_int_equal(feed(&e, "abcd\x7f" "ef\r", &echo), LINE_DONE);
    expect_line(&e, "abe");
    /* Limits are clamped to 1..LINE_MAX_BYTES. */
    line_start(&e, 0);
    assert_int_equal(e.max, 1);
    line_start(&e, 1u << 20);
    assert_int_equal(e.max, LINE_MAX_BYTES);
    for (unsigned i = 0; i < LINE_MAX_BYTES + 10; i++)
        assert_int_equal(line_feed(&e, 'x', NULL, NULL), LINE_MORE);
    assert_int_equal(e.len, LINE_MAX_BYTES);
}

static void escape_sequences_are_swallowed_when_cooked(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    /* Up arrow, F1 (SS3), Ctrl-Right (CSI with parameters), Alt-x. */
    assert_int_equal(feed(&e, "a\x1b[Ab\x1bOPc\x1b[1;5Cd\x1bxe\r", &echo), LINE_DONE);
    expect_line(&e, "abcde");
    assert_string_equal(echo.s, "abcde\r\n");
    /* A control byte ends a sequence: Enter right after ESC still ends the line. */
    line_start(&e, 100);
    assert_int_equal(feed(&e, "q\x1b\r", &echo), LINE_DONE);
    expect_line(&e, "q");
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\x1b[", &echo), LINE_MORE);
    assert_int_equal(feed(&e, "\x03", &echo), LINE_CANCEL);
}

static void other_control_bytes_are_ignored(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    assert_int_equal(feed(&e, "\t\x01\x04\x07" "a\r", &echo), LINE_DONE);
    expect_line(&e, "a");
}

static void backspace_erases_a_whole_utf8_character(void **state)
{
    (void)state;
    static struct line_ed e;
    static struct sink echo;
    line_init(&e);
    line_start(&e, 100);
    feed(&e, "a\xc3\xa9\xe2\x82\xac", &echo);                  /* a, e-acute, euro sign */
    assert_int_equal(e.len, 6);
    sink_clear(&echo);
    feed(&e, "\x7f", &echo);
    expect_line(&e, "a\xc3\xa9");
    feed(&e, "\x7f", &echo);
    expect_line(&e, "a");
    assert_string_equal(echo.s, "\b \b\b \b");
}

/* ---------------------------------------------------------------- the protocol */

struct reply_rec {
    mos_handle_t h;
    int32_t label;
    uint64_t w[4];
    char data[CON_MAX_IO + 1];
    size_t n;
};

struct fake {
    struct sink wire;
    struct reply_rec r[64];
    unsigned nr;
    mos_handle_t dead[8];           /* replies to these fail with -MOS_EDEAD */
    unsigned ndead;
    const char *log;                /* what drain_log finds, once */
    struct con *con;
};

static long fake_reply(void *ctx, mos_handle_t h, int32_t label, const uint64_t w[4], const void *data,
                       size_t n)
{
    struct fake *f = ctx;
    for (unsigned i = 0; i < f->ndead; i++)
        if (f->dead[i] == h)
            return -MOS_EDEAD;
    assert_true(f->nr < 64);
    struct reply_rec *r = &f->r[f->nr++];
    r->h = h;
    r->label = label;
    memcpy(r->w, w, sizeof r->w);
    assert_true(n <= CON_MAX_IO);
    if (n)
        memcpy(r->data, data, n);
    r->data[n] = '\0';
    r->n = n;
    return 0;
}

static void fake_emit(void *ctx, const char *s, size_t n)
{
    struct fake *f = ctx;
    sink_put(&f->wire, s, n);
}

static void fake_drain_log(void *ctx)
{
    struct fake *f = ctx;
    if (f->log) {
        const char *l = f->log;
        f->log = NULL;
        con_kernel(f->con, l, strlen(l));
    }
}

static const struct con_ops fake_ops = { fake_reply, fake_emit, fake_drain_log };

static struct fake *fake_new(struct con **cp)
{
    static struct fake f;
    static struct con c;
    memset(&f, 0, sizeof f);
    con_init(&c, &fake_ops, &f);
    f.con = &c;
    *cp = &c;
    return &f;
}

static void req(struct con *c, uint64_t badge, mos_handle_t h, uint32_t op, uint64_t w0, const char *data)
{
    struct con_req rq = {
        .badge = badge, .reply = h, .call = true, .op = op, .w = { w0, 0, 0, 0 },
        .data = data, .len = data ? strlen(data) : 0,
    };
    con_request(c, &rq);
}

static void type(struct con *c, const char *s)
{
    con_input(c, (const uint8_t *)s, strlen(s));
}

static void read_line_is_answered_at_enter(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_READ_LINE, 100, NULL);
    assert_int_equal(f->nr, 0);                                 /* deferred */
    assert_int_equal(con_waiting(c), 1);
    type(c, "l");
    type(c, "s\x7fs\r");
    assert_int_equal(f->nr, 1);
    assert_int_equal(f->r[0].h, 10);
    assert_int_equal(f->r[0].label, 0);
    assert_int_equal(f->r[0].w[0], 2);
    assert_string_equal(f->r[0].data, "ls");
    assert_string_equal(f->wire.s, "ls\b \bs\r\n");
    assert_int_equal(con_waiting(c), 0);
}

static void readers_are_served_in_order(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_READ_LINE, 100, NULL);
    req(c, 2, 11, CON_READ_LINE, 100, NULL);
    req(c, 3, 12, CON_READ, 100, NULL);
    type(c, "one\r\ntwo\nraw");
    assert_int_equal(f->nr, 3);
    assert_int_equal(f->r[0].h, 10);
    assert_string_equal(f->r[0].data, "one");
    assert_int_equal(f->r[1].h, 11);
    assert_string_equal(f->r[1].data, "two");
    assert_int_equal(f->r[2].h, 12);
    assert_string_equal(f->r[2].data, "raw");
}

static void ctrl_c_cancels_a_pending_read_line(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_READ_LINE, 100, NULL);
    req(c, 1, 11, CON_READ_LINE, 100, NULL);
    type(c, "rm -rf\x03" "ok\r");
    assert_int_equal(f->nr, 2);
    assert_int_equal(f->r[0].label, -MOS_ECANCELED);
    assert_int_equal(f->r[0].n, 0);
    assert_int_equal(f->r[1].label, 0);
    assert_string_equal(f->r[1].data, "ok");
}

static void raw_read_passes_escape_sequences_through(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_READ, 16, NULL);
    type(c, "\x1b[A");
    assert_int_equal(f->nr, 1);
    assert_int_equal(f->r[0].w[0], 3);
    assert_memory_equal(f->r[0].data, "\x1b[A", 3);
    assert_int_equal(f->wire.n, 0);                              /* no echo by default */
    /* Ctrl-C and CR arrive as bytes too; max is respected, the rest waits. */
    type(c, "\x03\rxyz");
    req(c, 1, 11, CON_READ, 2, NULL);
    assert_int_equal(f->nr, 2);
    assert_memory_equal(f->r[1].data, "\x03\r", 2);
    req(c, 1, 12, CON_READ, 100, NULL);
    assert_string_equal(f->r[2].data, "xyz");
    /* With echo on, raw bytes are echoed as they are handed over. */
    req(c, 1, 13, CON_SET_ECHO, 1, NULL);
    assert_int_equal(f->r[3].w[0], 0);                           /* was off */
    req(c, 1, 14, CON_READ, 100, NULL);
    type(c, "hi");
    assert_string_equal(f->r[4].data, "hi");
    assert_string_equal(f->wire.s, "hi");
}

static void a_raw_read_waits_for_the_rest_of_an_escape_sequence(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    con_tick(c, 1000);
    req(c, 1, 10, CON_READ, 64, NULL);
    type(c, "\x1b");
    assert_int_equal(f->nr, 0);                                 /* ESC alone: wait */
    type(c, "[1;");
    assert_int_equal(f->nr, 0);                                 /* parameters, no final byte */
    type(c, "5C");
    assert_int_equal(f->nr, 1);
    assert_string_equal(f->r[0].data, "\x1b[1;5C");
    /* Text before an unfinished sequence goes at once, the sequence waits. */
    req(c, 1, 11, CON_READ, 64, NULL);
    type(c, "ab\x1bO");
    assert_int_equal(f->nr, 2);
    assert_string_equal(f->r[1].data, "ab");
    req(c, 1, 12, CON_READ, 64, NULL);
    assert_int_equal(f->nr, 2);
    type(c, "P");
    assert_string_equal(f->r[2].data, "\x1bOP");
    /* The Escape key alone arrives after CON_ESC_WAIT_MS. */
    req(c, 1, 13, CON_READ, 64, NULL);
    type(c, "\x1b");
    con_tick(c, 1000 + CON_ESC_WAIT_MS - 1);
    assert_int_equal(f->nr, 3);
    con_tick(c, 1000 + CON_ESC_WAIT_MS);
    assert_int_equal(f->nr, 4);
    assert_string_equal(f->r[3].data, "\x1b");
    /* ESC x (Alt-x) is complete. */
    req(c, 1, 14, CON_READ, 64, NULL);
    type(c, "\x1bx");
    assert_string_equal(f->r[4].data, "\x1bx");
}

static void typed_ahead_input_waits_for_a_reader(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    type(c, "echo hi\rsecond");
    assert_int_equal(f->wire.n, 0);                              /* not echoed yet */
    req(c, 1, 10, CON_READ_LINE, 100, NULL);
    assert_int_equal(f->nr, 1);
    assert_string_equal(f->r[0].data, "echo hi");
    assert_string_equal(f->wire.s, "echo hi\r\n");
    req(c, 1, 11, CON_READ_LINE, 100, NULL);
    assert_int_equal(f->nr, 1);
    assert_string_equal(f->wire.s, "echo hi\r\nsecond");
}

static void a_dead_readers_line_goes_to_the_next_reader(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    f->dead[f->ndead++] = 10;
    f->dead[f->ndead++] = 20;
    req(c, 1, 10, CON_READ_LINE, 100, NULL);
    req(c, 1, 11, CON_READ_LINE, 3, NULL);
    type(c, "hello\r");
    assert_int_equal(f->nr, 1);
    assert_int_equal(f->r[0].h, 11);
    assert_string_equal(f->r[0].data, "hel");                    /* cut to its own max */
    /* A dead raw reader leaves the bytes for the next one. */
    req(c, 1, 20, CON_READ, 100, NULL);
    req(c, 1, 21, CON_READ, 100, NULL);
    type(c, "k");
    assert_int_equal(f->nr, 2);
    assert_int_equal(f->r[1].h, 21);
    assert_string_equal(f->r[1].data, "k");
}

static void bad_requests_are_refused(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_READ_LINE, 0, NULL);
    assert_int_equal(f->r[0].label, -MOS_EINVAL);
    req(c, 1, 11, 99, 0, NULL);
    assert_int_equal(f->r[1].label, -MOS_ENOSYS);
    req(c, 1, 0, CON_READ, 5, NULL);                             /* no REPLY handle */
    assert_int_equal(f->r[2].label, -MOS_ENOSPC);
    for (unsigned i = 0; i < CON_READERS; i++)
        req(c, 1, 100 + i, CON_READ, 5, NULL);
    assert_int_equal(f->nr, 3);
    req(c, 1, 200, CON_READ, 5, NULL);
    assert_int_equal(f->r[3].label, -MOS_EBUSY);
    assert_int_equal(f->r[3].h, 200);
}

static void stats_count_bytes(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_WRITE, 0, "hi\n");
    assert_int_equal(f->r[0].w[0], 3);
    type(c, "abc");
    con_add_overruns(c, 2);
    req(c, 1, 11, CON_STATS, 0, NULL);
    assert_int_equal(f->r[1].w[0], 3);
    assert_int_equal(f->r[1].w[1], 4);                           /* "hi\r\n" */
    assert_int_equal(f->r[1].w[2], 2);
    /* A full input buffer drops the newest bytes and counts them. */
    static char big[CON_IN_SIZE + 11];
    memset(big, 'x', sizeof big - 1);
    type(c, big);
    req(c, 1, 12, CON_STATS, 0, NULL);
    assert_int_equal(f->r[2].w[2], 2 + 3 + 10);
}

/* ---------------------------------------------------------------- output */

static void a_prompt_is_shown_when_its_client_reads(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 7, 10, CON_WRITE, 0, "$ ");
    assert_int_equal(f->wire.n, 0);                              /* held: no newline */
    f->log = "[ 1.0] kernel says\n";
    req(c, 7, 11, CON_READ_LINE, 100, NULL);
    /* The kernel line that was waiting goes first, then the prompt. */
    assert_string_equal(f->wire.s, "[ 1.0] kernel says\r\n$ ");
    type(c, "ls\r");
    assert_string_equal(f->wire.s, "[ 1.0] kernel says\r\n$ ls\r\n");
    req(c, 7, 12, CON_WRITE, 0, "a\nb\n");
    assert_string_equal(f->wire.s, "[ 1.0] kernel says\r\n$ ls\r\na\r\nb\r\n");
}

static void kernel_lines_never_cut_a_user_line(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 7, 10, CON_WRITE, 0, "hello wo");
    con_kernel(c, "K1\nK2\n", 6);
    req(c, 7, 11, CON_WRITE, 0, "rld\n");
    assert_string_equal(f->wire.s, "K1\r\nK2\r\nhello world\r\n");
}

static void a_second_readers_prompt_waits_for_the_line_being_typed(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 1, 10, CON_WRITE, 0, "1> ");
    req(c, 1, 11, CON_READ_LINE, 100, NULL);
    type(c, "ab");
    req(c, 2, 12, CON_WRITE, 0, "2> ");
    req(c, 2, 13, CON_READ_LINE, 100, NULL);
    assert_string_equal(f->wire.s, "1> ab");                     /* not cut */
    type(c, "\rcd\r");
    assert_string_equal(f->wire.s, "1> ab\r\n2> cd\r\n");
    assert_string_equal(f->r[2].data, "ab");
    assert_string_equal(f->r[3].data, "cd");
    /* With nothing typed yet, a second prompt shows at once. */
    sink_clear(&f->wire);
    req(c, 1, 14, CON_WRITE, 0, "1> ");
    req(c, 1, 15, CON_READ_LINE, 100, NULL);
    req(c, 2, 16, CON_WRITE, 0, "2> ");
    req(c, 2, 17, CON_READ_LINE, 100, NULL);
    assert_string_equal(f->wire.s, "1> \r\n2> ");
}

static void a_kernel_line_breaks_and_redraws_the_input_line(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 7, 10, CON_WRITE, 0, "$ ");
    req(c, 7, 11, CON_READ_LINE, 100, NULL);
    type(c, "ca");
    con_kernel(c, "oops\n", 5);
    type(c, "t\r");
    assert_string_equal(f->wire.s, "$ ca\r\noops\r\n$ cat\r\n");
    assert_string_equal(f->r[1].data, "cat");                   /* r[0]: the write */
    /* Another client's whole line is treated the same way. */
    sink_clear(&f->wire);
    req(c, 7, 12, CON_WRITE, 0, "> ");
    req(c, 7, 13, CON_READ_LINE, 100, NULL);
    type(c, "x");
    req(c, 8, 14, CON_WRITE, 0, "bg job done\n");
    assert_string_equal(f->wire.s, "> x\r\nbg job done\r\n> x");
    /* Erased characters are not redrawn. */
    type(c, "y\x7f");
    con_kernel(c, "k\n", 2);
    assert_string_equal(f->wire.s, "> x\r\nbg job done\r\n> xy\b \b\r\nk\r\n> x");
}

static void an_unfinished_line_goes_out_after_a_while(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    con_tick(c, 1000);
    req(c, 7, 10, CON_WRITE, 0, "loading...");
    con_tick(c, 1000 + OUT_IDLE_MS - 1);
    assert_int_equal(f->wire.n, 0);
    con_tick(c, 1000 + OUT_IDLE_MS);
    assert_string_equal(f->wire.s, "loading...");
    con_kernel(c, "K\n", 2);
    req(c, 7, 11, CON_WRITE, 0, " done\n");
    assert_string_equal(f->wire.s, "loading...\r\nK\r\nloading... done\r\n");
}

static void crlf_written_by_a_client_is_not_doubled(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    req(c, 7, 10, CON_WRITE, 0, "a\r\nb\n");
    assert_string_equal(f->wire.s, "a\r\nb\r\n");
}

static void many_clients_reuse_line_buffers(void **state)
{
    (void)state;
    struct con *c;
    struct fake *f = fake_new(&c);
    char s[8];
    for (unsigned i = 0; i < OUT_CLIENTS + 1; i++) {
        con_tick(c, i);
        snprintf(s, sizeof s, "%c", 'a' + i);
        req(c, 100 + i, 10, CON_WRITE, 0, s);
    }
    /* Client 100 ("a") was the least recently used: flushed for the 17th. */
    assert_string_equal(f->wire.s, "a");
    assert_int_equal(out_buffered(&c->out, 100), 0);
    assert_int_equal(out_buffered(&c->out, 100 + OUT_CLIENTS), 1);
    /* A line longer than a buffer goes out in pieces, nothing lost. */
    sink_clear(&f->wire);
    static char longline[OUT_LINE_MAX * 2 + 2];
    memset(longline, 'z', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    req(c, 100 + OUT_CLIENTS, 11, CON_WRITE, 0, longline);
    assert_int_equal(f->wire.n, 2 + 1 + OUT_LINE_MAX * 2 + 2);   /* break, q, z..., CRLF */
    assert_memory_equal(f->wire.s, "\r\nqzz", 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(printable_bytes_are_inserted_and_echoed),
        cmocka_unit_test(backspace_at_start_does_nothing),
        cmocka_unit_test(ctrl_u_erases_the_line),
        cmocka_unit_test(ctrl_w_erases_a_word),
        cmocka_unit_test(ctrl_c_cancels_the_line),
        cmocka_unit_test(cr_lf_and_crlf_each_end_one_line),
        cmocka_unit_test(line_stops_at_max_length),
        cmocka_unit_test(escape_sequences_are_swallowed_when_cooked),
        cmocka_unit_test(other_control_bytes_are_ignored),
        cmocka_unit_test(backspace_erases_a_whole_utf8_character),
        cmocka_unit_test(read_line_is_answered_at_enter),
        cmocka_unit_test(readers_are_served_in_order),
        cmocka_unit_test(ctrl_c_cancels_a_pending_read_line),
        cmocka_unit_test(raw_read_passes_escape_sequences_through),
        cmocka_unit_test(a_raw_read_waits_for_the_rest_of_an_escape_sequence),
        cmocka_unit_test(typed_ahead_input_waits_for_a_reader),
        cmocka_unit_test(a_dead_readers_line_goes_to_the_next_reader),
        cmocka_unit_test(bad_requests_are_refused),
        cmocka_unit_test(stats_count_bytes),
        cmocka_unit_test(a_prompt_is_shown_when_its_client_reads),
        cmocka_unit_test(kernel_lines_never_cut_a_user_line),
        cmocka_unit_test(a_second_readers_prompt_waits_for_the_line_being_typed),
        cmocka_unit_test(a_kernel_line_breaks_and_redraws_the_input_line),
        cmocka_unit_test(an_unfinished_line_goes_out_after_a_while),
        cmocka_unit_test(crlf_written_by_a_client_is_not_doubled),
        cmocka_unit_test(many_clients_reuse_line_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
