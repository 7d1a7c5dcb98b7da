// SPDX-License-Identifier: MIT
/* lineedit.c - the shell's line editor (see lineedit.h). Invariants: len <
 * LE_LINE_MAX, buf[len] == 0, cur <= len, and after every le_feed the
 * terminal shows buf with its cursor at column cur (relative to where the
 * line starts), provided the terminal treats '\b' as one column left and
 * does not wrap. Escape sequences: ESC '[' digits* final, or ESC 'O' final;
 * an unknown one is dropped whole. Pure. */
#include "lineedit.h"

#include "lib/string.h"

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

#define CTRL(c) ((c) & 0x1f)

static void emit(struct lineedit *le, const char *s, size_t n)
{
    if (n > LE_OUT_MAX - le->out_len)
        n = LE_OUT_MAX - le->out_len;   /* only if the caller never takes the output */
    memcpy(le->out + le->out_len, s, n);
    le->out_len += n;
}

static void emit_repeat(struct lineedit *le, char c, size_t n)
{
    while (n-- && le->out_len < LE_OUT_MAX)
        le->out[le->out_len++] = c;
}

/* Print buf[cur..len), then `erase` spaces over stale characters, and move
 * the cursor back to cur. */
static void redraw_tail(struct lineedit *le, size_t erase)
{
    emit(le, le->buf + le->cur, le->len - le->cur);
    emit_repeat(le, ' ', erase);
    emit_repeat(le, '\b', le->len - le->cur + erase);
}

static void insert(struct lineedit *le, char c)
{
    if (le->len + 1 >= LE_LINE_MAX)
        return;
    memmove(le->buf + le->cur + 1, le->buf + le->cur, le->len - le->cur + 1);
    le->buf[le->cur] = c;
    le->len++;
    emit(le, le->buf + le->cur, le->len - le->cur);
    le->cur++;
    emit_repeat(le, '\b', le->len - le->cur);
}

/* Delete n characters at the cursor (on screen too). */
static void delete_at(struct lineedit *le, size_t n)
{
    if (n > le->len - le->cur)
        n = le->len - le->cur;
    if (!n)
        return;
    memmove(le->buf + le->cur, le->buf + le->cur + n, le->len - le->cur - n + 1);
    le->len -= n;
    redraw_tail(le, n);
}

/* Delete n characters before the cursor. */
static void delete_before(struct lineedit *le, size_t n)
{
    if (n > le->cur)
        n = le->cur;
    emit_repeat(le, '\b', n);
    le->cur -= n;
    delete_at(le, n);
}

static void move_to(struct lineedit *le, size_t pos)
{
    if (pos < le->cur)
        emit_repeat(le, '\b', le->cur - pos);
    else
        emit(le, le->buf + le->cur, pos - le->cur);
    le->cur = pos;
}

/* Replace the whole line with s (history), the cursor at its end. */
static void replace(struct lineedit *le, const char *s)
{
    size_t old = le->len;
    move_to(le, 0);
    size_t n = strlen(s);
    if (n >= LE_LINE_MAX)
        n = LE_LINE_MAX - 1;
    memcpy(le->buf, s, n);
    le->buf[n] = 0;
    le->len = n;
    emit(le, le->buf, n);
    le->cur = n;
    if (old > n) {
        emit_repeat(le, ' ', old - n);
        emit_repeat(le, '\b', old - n);
    }
}

static void clear_line(struct lineedit *le)
{
    le->len = le->cur = 0;
    le->buf[0] = 0;
    le->browse = -1;
}

const char *le_history_get(const struct lineedit *le, unsigned k)
{
    if (k >= le->hist.count)
        return NULL;
    return le->hist.lines[(le->hist.next + LE_HISTORY - 1 - k) % LE_HISTORY];
}

void le_history_add(struct lineedit *le, const char *line)
{
    if (!line[0])
        return;
    const char *newest = le_history_get(le, 0);
    if (newest && strcmp(newest, line) == 0)
        return;
    char *slot = le->hist.lines[le->hist.next];
    size_t n = strlen(line);
    if (n >= LE_LINE_MAX)
        n = LE_LINE_MAX - 1;
    memcpy(slot, line, n);
    slot[n] = 0;
    le->hist.next = (le->hist.next + 1) % LE_HISTORY;
    if (le->hist.count < LE_HISTORY)
        le->hist.count++;
}

static void history_up(struct lineedit *le)
{
    const char *h = le_history_get(le, (unsigned)(le->browse + 1));
    if (!h)
        return;
    if (le->browse < 0)
        memcpy(le->saved, le->buf, le->len + 1);
    le->browse++;
    replace(le, h);
}

static void history_down(struct lineedit *le)
{
    if (le->browse < 0)
        return;
    le->browse--;
    replace(le, le->browse < 0 ? le->saved : le_history_get(le, (unsigned)le->browse));
}

static void word_delete(struct lineedit *le)
{
    size_t p = le->cur;
    while (p > 0 && le->buf[p - 1] == ' ')
        p--;
    while (p > 0 && le->buf[p - 1] != ' ')
        p--;
    delete_before(le, le->cur - p);
}

/* The final byte of an escape sequence (arg: its number, 0 if none). */
static void escape_key(struct lineedit *le, unsigned char final, unsigned arg)
{
    switch (final) {
    case 'A': history_up(le); break;
    case 'B': history_down(le); break;
    case 'C': if (le->cur < le->len) move_to(le, le->cur + 1); break;
    case 'D': if (le->cur > 0) move_to(le, le->cur - 1); break;
    case 'H': move_to(le, 0); break;
    case 'F': move_to(le, le->len); break;
    case '~':
        if (arg == 1 || arg == 7)
            move_to(le, 0);
        else if (arg == 4 || arg == 8)
            move_to(le, le->len);
        else if (arg == 3)
            delete_at(le, 1);
        break;
    default: break;
    }
}

static enum le_event end_line(struct lineedit *le)
{
    move_to(le, le->len);
    emit(le, "\n", 1);
    memcpy(le->line, le->buf, le->len + 1);
    le_history_add(le, le->line);
    clear_line(le);
    return LE_LINE;
}

enum le_event le_feed(struct lineedit *le, unsigned char c)
{
    bool after_cr = le->after_cr;
    le->after_cr = false;
    switch (le->esc) {
    case ESC_START:
        le->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        le->esc_arg = 0;
        return LE_NONE;
    case ESC_CSI:
        if (c >= '0' && c <= '9') {
            if (le->esc_arg < 1000)
                le->esc_arg = le->esc_arg * 10 + (c - '0');
            return LE_NONE;
        }
        if (c >= 0x20 && c < 0x40)      /* more parameters (';'), intermediates */
            return LE_NONE;
        le->esc = ESC_NONE;
        if (c > 0x7e)                   /* not a sequence after all: dropped */
            return LE_NONE;
        escape_key(le, c, le->esc_arg);
        return LE_NONE;
    case ESC_SS3:
        le->esc = ESC_NONE;
        escape_key(le, c, 0);
        return LE_NONE;
    default:
        break;
    }
    if (c >= 0x20 && c < 0x7f) {
        insert(le, (char)c);
        return LE_NONE;
    }
    switch (c) {
    case '\r':
        le->after_cr = true;
        return end_line(le);
    case '\n':
        if (after_cr)
            return LE_NONE;
        return end_line(le);
    case 0x1b: le->esc = ESC_START; break;
    case 0x7f:
    case CTRL('H'): delete_before(le, 1); break;
    case CTRL('D'): delete_at(le, 1); break;
    case CTRL('A'): move_to(le, 0); break;
    case CTRL('E'): move_to(le, le->len); break;
    case CTRL('B'): if (le->cur > 0) move_to(le, le->cur - 1); break;
    case CTRL('F'): if (le->cur < le->len) move_to(le, le->cur + 1); break;
    case CTRL('P'): history_up(le); break;
    case CTRL('N'): history_down(le); break;
    case CTRL('K'): delete_at(le, le->len - le->cur); break;
    case CTRL('W'): word_delete(le); break;
    case CTRL('U'):
        move_to(le, 0);
        delete_at(le, le->len);
        break;
    case CTRL('C'):
        move_to(le, le->len);
        emit(le, "^C\n", 3);
        clear_line(le);
        return LE_CANCEL;
    default:
        break;                  /* other control bytes and non-ASCII: ignored */
    }
    return LE_NONE;
}

const char *le_output_take(struct lineedit *le, size_t *n)
{
    *n = le->out_len;
    le->out_len = 0;
    return le->out;
}

void le_redraw(struct lineedit *le)
{
    emit(le, le->buf, le->len);
    emit_repeat(le, '\b', le->len - le->cur);
}

void le_init(struct lineedit *le)
{
    memset(le, 0, sizeof *le);
    le->browse = -1;
}
