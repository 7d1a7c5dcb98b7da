// SPDX-License-Identifier: MIT
/* line.c - the line editor of the console (see line.h for the keys). The
 * editor only appends and erases at the end of the line, so what is on the
 * screen after the prompt is always exactly buf[0..len): erasing one
 * character is "\b \b", and a UTF-8 sequence (one lead byte, then bytes
 * 10xxxxxx) is one character on the screen. Pure: no state outside
 * struct line_ed, no system calls. */
#include "line.h"

#define KEY_CTRL_C 0x03
#define KEY_BS     0x08
#define KEY_CTRL_U 0x15
#define KEY_CTRL_W 0x17
#define KEY_ESC    0x1B
#define KEY_DEL    0x7F

static void echo_out(line_echo_fn echo, void *ctx, const char *s, size_t n)
{
    if (echo && n)
        echo(ctx, s, n);
}

static bool is_continuation(char c)
{
    return ((uint8_t)c & 0xC0) == 0x80;
}

void line_init(struct line_ed *e)
{
    e->len = 0;
    e->max = LINE_MAX_BYTES;
    e->prev_cr = false;
    e->esc = LINE_ESC_NONE;
}

void line_start(struct line_ed *e, size_t max)
{
    e->len = 0;
    e->max = max == 0 ? 1 : max > LINE_MAX_BYTES ? LINE_MAX_BYTES : max;
    e->esc = LINE_ESC_NONE;
}

/* Erase the last character (all bytes of a UTF-8 sequence). */
static bool erase_char(struct line_ed *e, line_echo_fn echo, void *ctx)
{
    if (!e->len)
        return false;
    while (e->len > 1 && is_continuation(e->buf[e->len - 1]))
        e->len--;
    e->len--;
    echo_out(echo, ctx, "\b \b", 3);
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Inside an escape sequence: true while the byte belongs to it. */
static bool esc_feed(struct line_ed *e, uint8_t c)
{
    switch (e->esc) {
    case LINE_ESC_SEEN:
        e->esc = c == '[' ? LINE_ESC_CSI : c == 'O' ? LINE_ESC_SS3 : LINE_ESC_NONE;
        return true;                                    /* ESC x (Alt-x) ends here too */
    case LINE_ESC_SS3:
        e->esc = LINE_ESC_NONE;
        return true;
    case LINE_ESC_CSI:
        if (c >= 0x40 && c <= 0x7E)                     /* final byte */
            e->esc = LINE_ESC_NONE;
        return true;                                    /* parameters, intermediates */
    default:
        return false;
    }
}

enum line_result line_feed(struct line_ed *e, uint8_t c, line_echo_fn echo, void *ctx)
{
    bool after_cr = e->prev_cr;
    e->prev_cr = false;
    if (c < 0x20 || c == KEY_DEL)
        e->esc = LINE_ESC_NONE;                         /* a control byte ends a sequence */
    else if (esc_feed(e, c))
        return LINE_MORE;

    switch (c) {
    case '\n':
        if (after_cr)
            return LINE_MORE;                           /* the LF of CRLF */
        /* fall through */
    case '\r':
        e->prev_cr = c == '\r';
        echo_out(echo, ctx, "\r\n", 2);
        return LINE_DONE;
    case KEY_CTRL_C:
        e->len = 0;
        echo_out(echo, ctx, "^C\r\n", 4);
        return LINE_CANCEL;
    case KEY_DEL:
    case KEY_BS:
        (void)erase_char(e, echo, ctx);
        return LINE_MORE;
    case KEY_CTRL_U:
        while (erase_char(e, echo, ctx))
            ;
        return LINE_MORE;
    case KEY_CTRL_W:
        while (e->len && is_space(e->buf[e->len - 1]))
            (void)erase_char(e, echo, ctx);
        while (e->len && !is_space(e->buf[e->len - 1]))
            (void)erase_char(e, echo, ctx);
        return LINE_MORE;
    case KEY_ESC:
        e->esc = LINE_ESC_SEEN;
        return LINE_MORE;
    default:
        break;
    }
    if (c < 0x20)
        return LINE_MORE;                               /* other control bytes: ignored */
    if (e->len >= e->max)
        return LINE_MORE;                               /* full: dropped */
    e->buf[e->len++] = (char)c;
    char ch = (char)c;
    echo_out(echo, ctx, &ch, 1);
    return LINE_MORE;
}
