/* SPDX-License-Identifier: MIT */
/* line.h - the console's line editor (line.c): turns typed bytes into one
 * edited line and says what to echo. Pure (no system calls): the driver
 * and the host tests (tests/host/test_line.c) use the same code.
 *
 * Keys: printable bytes (and UTF-8 bytes >= 0x80) are inserted while the
 * line has room (beyond `max` they are dropped); backspace (0x7F or 0x08)
 * erases one character (a whole UTF-8 sequence) with "\b \b"; Ctrl-U (0x15)
 * erases the line; Ctrl-W (0x17) erases the last word; Ctrl-C (0x03)
 * cancels the line (echo "^C\r\n"); Enter is '\r' or '\n' (echo "\r\n"),
 * and the '\n' of a "\r\n" pair is swallowed, so CR, LF and CRLF terminals
 * each end one line per Enter. Escape sequences (arrow keys: ESC [ A, ESC O
 * P, ...) are swallowed whole; other control bytes are ignored. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINE_MAX_BYTES 4096u   /* = CON_MAX_IO */

typedef void (*line_echo_fn)(void *ctx, const char *s, size_t n);

enum line_result {
    LINE_MORE,      /* keep feeding */
    LINE_DONE,      /* Enter: the line is buf[0..len) (no terminator) */
    LINE_CANCEL,    /* Ctrl-C: the line is dropped (len is 0 again) */
};

enum line_esc { LINE_ESC_NONE, LINE_ESC_SEEN, LINE_ESC_CSI, LINE_ESC_SS3 };

struct line_ed {
    char buf[LINE_MAX_BYTES];
    size_t len;                 /* bytes in buf */
    size_t max;                 /* 1..LINE_MAX_BYTES: longest line accepted */
    bool prev_cr;               /* the last byte fed was the '\r' that ended a line */
    uint8_t esc;                /* enum line_esc: inside an escape sequence */
};

/* Empty editor, no line in progress yet (max = LINE_MAX_BYTES). */
void line_init(struct line_ed *e);

/* Begin a new line of at most max bytes (clamped to 1..LINE_MAX_BYTES).
 * Keeps the CR/LF memory, so a "\r\n" split across two lines still counts
 * once. */
void line_start(struct line_ed *e, size_t max);

/* Feed one typed byte; echo (may be NULL) receives what to print. After
 * LINE_DONE the line stays in buf[0..len) until the next line_start. */
enum line_result line_feed(struct line_ed *e, uint8_t c, line_echo_fn echo, void *ctx);
