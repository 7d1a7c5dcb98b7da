// SPDX-License-Identifier: MIT
/* test_shell.c - the shell's pure parts (user/shell/lineedit.c, parse.c,
 * fmt.c). The line editor is checked two ways: the buffer after each key,
 * and the echo it produced, replayed on a one-line terminal model (text
 * overwrites, '\b' moves left) which must show exactly the buffer with the
 * cursor in its place; a seeded random run (SHELL_SEED=n repeats one) types
 * thousands of random keys and checks that invariant after every one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lineedit.h"
#include "parse.h"
#include "fmt.h"
#include "proto/vfs.h"

/* ---------------------------------------------------------------- terminal model */
struct term {
    char cells[1024];
    size_t col, width;          /* cursor column; columns written so far */
    int newlines;
};

static void term_apply(struct term *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\b') {
            assert_true(t->col > 0);        /* never backs over the prompt */
            t->col--;
        } else if (c == '\n') {
            t->newlines++;
            t->col = t->width = 0;
            memset(t->cells, 0, sizeof t->cells);
        } else {
            assert_true(c >= 0x20 && c < 0x7f);
            assert_true(t->col < sizeof t->cells);
            t->cells[t->col++] = c;
            if (t->col > t->width)
                t->width = t->col;
        }
    }
}

/* The screen shows le->buf (then only blanks) with the cursor at le->cur. */
static void term_check(struct term *t, struct lineedit *le)
{
    size_t n;
    const char *out = le_output_take(le, &n);
    term_apply(t, out, n);
    assert_int_equal(le->len, strlen(le->buf));
    assert_true(le->cur <= le->len);
    assert_memory_equal(t->cells, le->buf, le->len);
    for (size_t i = le->len; i < t->width; i++)
        assert_int_equal(t->cells[i], ' ');
    assert_int_equal(t->col, le->cur);
}

static enum le_event type(struct lineedit *le, struct term *t, const char *keys)
{
    enum le_event ev = LE_NONE;
    for (const char *k = keys; *k; k++) {
        ev = le_feed(le, (unsigned char)*k);
        if (ev != LE_NONE) {
            size_t n;
            const char *out = le_output_take(le, &n);
            term_apply(t, out, n);
        } else {
            term_check(t, le);
        }
    }
    return ev;
}

static struct lineedit le;
static struct term tm;

static int setup(void **state)
{
    (void)state;
    le_init(&le);
    memset(&tm, 0, sizeof tm);
    return 0;
}

static void insert_and_enter(void **state)
{
    (void)state;
    assert_int_equal(type(&le, &tm, "ls -l"), LE_NONE);
    assert_string_equal(le.buf, "ls -l");
    assert_int_equal(type(&le, &tm, "\r"), LE_LINE);
    assert_string_equal(le.line, "ls -l");
    assert_string_equal(le.buf, "");
    assert_int_equal(tm.newlines, 1);
    assert_string_equal(le_history_get(&le, 0), "ls -l");
}

static void crlf_is_one_enter_and_lf_alone_works(void **state)
{
    (void)state;
    assert_int_equal(type(&le, &tm, "a\r"), LE_LINE);
    assert_int_equal(le_feed(&le, '\n'), LE_NONE);     /* the LF of CR LF */
    assert_int_equal(type(&le, &tm, "b\n"), LE_LINE);
    assert_string_equal(le.line, "b");
    assert_int_equal(type(&le, &tm, "\n"), LE_LINE);   /* an empty line */
    assert_string_equal(le.line, "");
    assert_int_equal(le.hist.count, 2);                 /* empty lines are not kept */
}

static void backspace_and_delete(void **state)
{
    (void)state;
    type(&le, &tm, "abcd\x7f");
    assert_string_equal(le.buf, "abc");
    type(&le, &tm, "\b\b");                              /* Ctrl-H twice */
    assert_string_equal(le.buf, "a");
    type(&le, &tm, "\x7f\x7f\x7f");                      /* more than there is */
    assert_string_equal(le.buf, "");
    assert_int_equal(le.cur, 0);
}

static void arrows_insert_in_the_middle(void **state)
{
    (void)state;
    type(&le, &tm, "acd\x1b[D\x1b[D");                   /* left twice */
    assert_int_equal(le.cur, 1);
    type(&le, &tm, "b");
    assert_string_equal(le.buf, "abcd");
    assert_int_equal(le.cur, 2);
    type(&le, &tm, "\x1b[C\x7f");                         /* right, delete the c */
    assert_string_equal(le.buf, "abd");
    type(&le, &tm, "\x1b[H");                             /* home */
    assert_int_equal(le.cur, 0);
    type(&le, &tm, "\x1b[3~");                            /* delete at cursor */
    assert_string_equal(le.buf, "bd");
    type(&le, &tm, "\x1b[F");                             /* end */
    assert_int_equal(le.cur, 2);
    type(&le, &tm, "\x1bOD\x01\x05");                     /* SS3 left, Ctrl-A, Ctrl-E */
    assert_int_equal(le.cur, 2);
    type(&le, &tm, "\x1b[1;5D");                          /* parameters are tolerated */
    assert_int_equal(le.cur, 1);
    type(&le, &tm, "\x1b[D\x1b[D\x1b[D");                 /* stops at the start */
    assert_int_equal(le.cur, 0);
}

static void ctrl_u_clears_and_ctrl_c_cancels(void **state)
{
    (void)state;
    type(&le, &tm, "hello world\x1b[D\x1b[D");
    type(&le, &tm, "\x15");
    assert_string_equal(le.buf, "");
    assert_int_equal(tm.width, 11);                       /* all blanked */
    type(&le, &tm, "oops");
    assert_int_equal(type(&le, &tm, "\x03"), LE_CANCEL);
    assert_string_equal(le.buf, "");
    assert_int_equal(le.hist.count, 0);
    assert_int_equal(tm.newlines, 1);
}

static void ctrl_w_and_ctrl_k(void **state)
{
    (void)state;
    type(&le, &tm, "cat /etc/motd  \x17");
    assert_string_equal(le.buf, "cat ");
    type(&le, &tm, "x y\x1b[D\x1b[D\x0b");
    assert_string_equal(le.buf, "cat x");
}

static void history_up_down(void **state)
{
    (void)state;
    type(&le, &tm, "one\r");
    type(&le, &tm, "two\r");
    type(&le, &tm, "two\r");                              /* a repeat is kept once */
    type(&le, &tm, "three\r");
    assert_int_equal(le.hist.count, 3);
    type(&le, &tm, "draft");
    type(&le, &tm, "\x1b[A");
    assert_string_equal(le.buf, "three");
    type(&le, &tm, "\x1b[A\x1b[A");
    assert_string_equal(le.buf, "one");
    type(&le, &tm, "\x1b[A");                             /* no older entry */
    assert_string_equal(le.buf, "one");
    type(&le, &tm, "\x1b[B");
    assert_string_equal(le.buf, "two");
    type(&le, &tm, "\x1b[B\x1b[B");
    assert_string_equal(le.buf, "draft");                 /* the new line comes back */
    type(&le, &tm, "\x1b[B");
    assert_string_equal(le.buf, "draft");
    type(&le, &tm, "\x15\x1b[A\x1b[A");
    assert_int_equal(type(&le, &tm, "\r"), LE_LINE);
    assert_string_equal(le.line, "two");                  /* a recalled line runs again */
    assert_string_equal(le_history_get(&le, 0), "two");
}

static void history_keeps_the_last_32(void **state)
{
    (void)state;
    char cmd[16];
    for (int i = 0; i < 40; i++) {
        snprintf(cmd, sizeof cmd, "cmd%d\r", i);
        type(&le, &tm, cmd);
    }
    assert_int_equal(le.hist.count, LE_HISTORY);
    assert_string_equal(le_history_get(&le, 0), "cmd39");
    assert_string_equal(le_history_get(&le, LE_HISTORY - 1), "cmd8");
    assert_null(le_history_get(&le, LE_HISTORY));
    for (unsigned i = 0; i < LE_HISTORY + 3; i++)
        type(&le, &tm, "\x1b[A");
    assert_string_equal(le.buf, "cmd8");
}

static void long_lines_are_capped(void **state)
{
    (void)state;
    for (unsigned i = 0; i < LE_LINE_MAX + 20; i++)
        type(&le, &tm, "x");
    assert_int_equal(le.len, LE_LINE_MAX - 1);
    assert_int_equal(type(&le, &tm, "\r"), LE_LINE);
    assert_int_equal(strlen(le.line), LE_LINE_MAX - 1);
}

static void ignored_bytes(void **state)
{
    (void)state;
    type(&le, &tm, "a\t\x80\xff\x1bxb\x1b[99Zc\x1b[");
    assert_string_equal(le.buf, "abc");                   /* ESC x dropped the x */
    type(&le, &tm, "\x7f");                               /* inside the CSI: dropped */
    type(&le, &tm, "d");
    assert_string_equal(le.buf, "abcd");
}

static void redraw_puts_the_cursor_back(void **state)
{
    (void)state;
    type(&le, &tm, "abc\x1b[D");
    size_t n;
    le_output_take(&le, &n);
    le_redraw(&le);
    struct term t2 = { 0 };
    const char *out = le_output_take(&le, &n);
    term_apply(&t2, out, n);
    assert_int_equal(t2.col, 2);
    assert_memory_equal(t2.cells, "abc", 3);
}

static void random_keys_keep_screen_and_buffer_equal(void **state)
{
    (void)state;
    unsigned seed = getenv("SHELL_SEED") ? (unsigned)strtoul(getenv("SHELL_SEED"), NULL, 0)
                                         : (unsigned)time(NULL);
    printf("# SHELL_SEED=%u\n", seed);
    srand(seed);
    static const char *const keys[] = {
        "a", "b", " ", "z", "\x7f", "\b", "\x04", "\x01", "\x05", "\x02", "\x06", "\x0b",
        "\x15", "\x17", "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[H", "\x1b[F", "\x1b[3~",
        "\x10", "\x0e", "\r", "\x03", "xyzzy",
    };
    for (int i = 0; i < 20000; i++) {
        const char *k = keys[rand() % (int)(sizeof keys / sizeof keys[0])];
        if (k[0] == '\r' || k[0] == '\x03') {
            if (rand() % 8)
                continue;       /* keep lines long enough to be interesting */
            type(&le, &tm, k);
            continue;
        }
        type(&le, &tm, k);
    }
}

/* ---------------------------------------------------------------- parse */
static void parse_words_and_quotes(void **state)
{
    (void)state;
    struct sh_cmd c;
    const char *why = NULL;
    assert_int_equal(sh_parse("  echo  'a  b' \"c \\\"d\\\"\" e\\ f  ", &c, &why), 0);
    assert_int_equal(c.argc, 4);
    assert_string_equal(c.argv[0], "echo");
    assert_string_equal(c.argv[1], "a  b");
    assert_string_equal(c.argv[2], "c \"d\"");
    assert_string_equal(c.argv[3], "e f");
    assert_null(c.argv[4]);
    assert_null(c.redir);
    assert_false(c.background);
    assert_int_equal(sh_parse("   ", &c, &why), 0);
    assert_int_equal(c.argc, 0);
    assert_int_equal(sh_parse("# a comment > x", &c, &why), 0);
    assert_int_equal(c.argc, 0);
    assert_int_equal(sh_parse("ls #rest", &c, &why), 0);
    assert_int_equal(c.argc, 1);
    assert_int_equal(sh_parse("echo a'b'\"c\"", &c, &why), 0);
    assert_string_equal(c.argv[1], "abc");
    assert_int_equal(sh_parse("echo '' x", &c, &why), 0);
    assert_int_equal(c.argc, 3);
    assert_string_equal(c.argv[1], "");
}

static void parse_redirections(void **state)
{
    (void)state;
    struct sh_cmd c;
    const char *why = NULL;
    assert_int_equal(sh_parse("echo x > /tmp/f", &c, &why), 0);
    assert_int_equal(c.argc, 2);
    assert_string_equal(c.redir, "/tmp/f");
    assert_false(c.append);
    assert_int_equal(sh_parse("echo y>>/tmp/f z", &c, &why), 0);
    assert_int_equal(c.argc, 3);
    assert_string_equal(c.argv[1], "y");
    assert_string_equal(c.argv[2], "z");
    assert_string_equal(c.redir, "/tmp/f");
    assert_true(c.append);
    assert_int_equal(sh_parse("echo '>' \">>\" \\>", &c, &why), 0);
    assert_int_equal(c.argc, 4);
    assert_null(c.redir);
    assert_string_equal(c.argv[3], ">");
    assert_int_equal(sh_parse("echo x >", &c, &why), -1);
    assert_string_equal(why, "missing file name after '>'");
    assert_int_equal(sh_parse("echo x > a > b", &c, &why), -1);
    assert_string_equal(why, "only one redirection allowed");
    assert_int_equal(sh_parse("echo x > &", &c, &why), -1);
}

static void parse_background_and_errors(void **state)
{
    (void)state;
    struct sh_cmd c;
    const char *why = NULL;
    assert_int_equal(sh_parse("hello a &", &c, &why), 0);
    assert_true(c.background);
    assert_int_equal(c.argc, 2);
    assert_int_equal(sh_parse("hello&", &c, &why), 0);
    assert_true(c.background);
    assert_int_equal(sh_parse("hello & x", &c, &why), -1);
    assert_string_equal(why, "'&' must end the line");
    assert_int_equal(sh_parse("echo 'abc", &c, &why), -1);
    assert_string_equal(why, "unterminated quote");
    assert_int_equal(c.argc, 0);
    char many[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "a ");
    assert_int_equal(sh_parse(many, &c, &why), -1);
    assert_string_equal(why, "too many arguments");
    char full[LE_LINE_MAX];
    memset(full, 'q', sizeof full - 1);
    full[sizeof full - 1] = 0;
    assert_int_equal(sh_parse(full, &c, &why), 0);       /* the longest line fits */
    assert_int_equal(strlen(c.argv[0]), LE_LINE_MAX - 1);
}

/* ---------------------------------------------------------------- fmt */
static void fmt_names_rights_modes(void **state)
{
    (void)state;
    char r[6], m[11];
    assert_string_equal(fmt_cap_type(MOS_CAP_IOPORT), "ioport");
    assert_string_equal(fmt_cap_type(MOS_CAP_IRQ), "irq");
    assert_string_equal(fmt_cap_type(99), "?");
    fmt_rights(MOS_RIGHTS_ALL, r);
    assert_string_equal(r, "rwxgR");
    fmt_rights(MOS_RIGHT_READ | MOS_RIGHT_GRANT, r);
    assert_string_equal(r, "r--g-");
    fmt_rights(0, r);
    assert_string_equal(r, "-----");
    fmt_mode(VFS_TYPE_DIR, 0755, m);
    assert_string_equal(m, "drwxr-xr-x");
    fmt_mode(VFS_TYPE_FILE, 0640, m);
    assert_string_equal(m, "-rw-r-----");
    assert_string_equal(fmt_proc_state(MOS_PROC_ALIVE), "alive");
    assert_string_equal(fmt_proc_state(7), "?");
}

static void fmt_exits_and_durations(void **state)
{
    (void)state;
    char b[96];
    fmt_exit(b, sizeof b, MOS_EXIT_GENERAL_PROTECTION, 13, 0, 0x401234);
    assert_string_equal(b, "killed: general protection at ip 0x401234");
    fmt_exit(b, sizeof b, MOS_EXIT_PAGE_FAULT, 14, 0xdead000, 0x400010);
    assert_string_equal(b, "killed: page fault at address 0xdead000 (ip 0x400010)");
    fmt_exit(b, sizeof b, MOS_EXIT_CALLED, 3, 0, 0);
    assert_string_equal(b, "exited with code 3");
    fmt_exit(b, sizeof b, MOS_EXIT_KILLED, -1, 0, 0);
    assert_string_equal(b, "killed");
    fmt_duration(b, sizeof b, 83456000000ull);
    assert_string_equal(b, "00:01:23.456");
    fmt_duration(b, sizeof b, (86400ull + 3600 + 1) * 1000000000ull);
    assert_string_equal(b, "1d 01:00:01.000");
    struct mos_kinfo k = { .tsc_base = 1000, .tsc_mult = 1ull << 31 };   /* 0.5 ns a tick */
    assert_int_equal(fmt_tsc_to_ns(&k, 3000), 1000);
    assert_int_equal(fmt_tsc_to_ns(&k, 10), 0);
    k.tsc_mult = 3ull << 32;
    assert_true(fmt_tsc_to_ns(&k, 1000 + (1ull << 40)) == 3ull << 40);   /* no overflow */
}

static void fmt_paths(void **state)
{
    (void)state;
    char p[32];
    assert_int_equal(fmt_path_join(p, sizeof p, "/tmp", "f"), 0);
    assert_string_equal(p, "/tmp/f");
    assert_int_equal(fmt_path_join(p, sizeof p, "/", "etc"), 0);
    assert_string_equal(p, "/etc");
    assert_int_equal(fmt_path_join(p, sizeof p, "/tmp", "/etc/motd"), 0);
    assert_string_equal(p, "/etc/motd");
    assert_int_equal(fmt_path_join(p, sizeof p, "/tmp", ""), 0);
    assert_string_equal(p, "/tmp");
    assert_int_equal(fmt_path_join(p, 8, "/tmp", "abcdef"), -1);
    static const char *const cases[][2] = {
        { "/", "/" }, { "//", "/" }, { "/tmp/", "/tmp" }, { "/tmp/./a//b/", "/tmp/a/b" },
        { "/tmp/a/../b", "/tmp/b" }, { "/..", "/" }, { "/a/../../..", "/" },
        { "/a/b/..", "/a" }, { "/.../x", "/.../x" }, { "/a/.b/.", "/a/.b" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strcpy(p, cases[i][0]);
        fmt_path_normalize(p);
        assert_string_equal(p, cases[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(insert_and_enter, setup),
        cmocka_unit_test_setup(crlf_is_one_enter_and_lf_alone_works, setup),
        cmocka_unit_test_setup(backspace_and_delete, setup),
        cmocka_unit_test_setup(arrows_insert_in_the_middle, setup),
        cmocka_unit_test_setup(ctrl_u_clears_and_ctrl_c_cancels, setup),
        cmocka_unit_test_setup(ctrl_w_and_ctrl_k, setup),
        cmocka_unit_test_setup(history_up_down, setup),
        cmocka_unit_test_setup(history_keeps_the_last_32, setup),
        cmocka_unit_test_setup(long_lines_are_capped, setup),
        cmocka_unit_test_setup(ignored_bytes, setup),
        cmocka_unit_test_setup(redraw_puts_the_cursor_back, setup),
        cmocka_unit_test_setup(random_keys_keep_screen_and_buffer_equal, setup),
        cmocka_unit_test(parse_words_and_quotes),
        cmocka_unit_test(parse_redirections),
        cmocka_unit_test(parse_background_and_errors),
        cmocka_unit_test(fmt_names_rights_modes),
        cmocka_unit_test(fmt_exits_and_durations),
        cmocka_unit_test(fmt_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
