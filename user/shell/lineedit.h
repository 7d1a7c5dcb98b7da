/* SPDX-License-Identifier: MIT */
/* lineedit.h - the shell's line editor over a raw byte stream: it takes the
 * bytes typed (le_feed, one at a time), keeps the line being edited and the
 * cursor, and produces the bytes to echo (terminal output that keeps the
 * screen in step with the buffer, using only '\b', spaces and text). Keys:
 * printable ASCII inserts at the cursor; Backspace/DEL and Ctrl-H delete
 * before it, Ctrl-D and ESC[3~ at it; Left/Right (ESC[D, ESC[C), Home/End
 * (ESC[H, ESC[F, ESC[1~, ESC[4~, Ctrl-A, Ctrl-E); Up/Down (ESC[A, ESC[B, and
 * the ESC O forms) walk the history of the last LE_HISTORY lines; Ctrl-U
 * clears the line, Ctrl-W deletes the word before the cursor, Ctrl-K to the
 * end; Ctrl-C cancels the line; Enter (CR, LF, or CR LF as one) ends it.
 * Pure (no system calls): host-tested by tests/host/test_shell.c. One
 * editor per thread; nothing is shared. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define LE_LINE_MAX 256u        /* bytes per line, including the NUL */
#define LE_HISTORY  32u         /* lines remembered */
#define LE_OUT_MAX  4096u       /* echo bytes held before le_output_take */

struct le_history {
    char lines[LE_HISTORY][LE_LINE_MAX];
    unsigned count;             /* entries held, <= LE_HISTORY */
    unsigned next;              /* ring slot the next entry goes to */
};

struct lineedit {
    char buf[LE_LINE_MAX];      /* the line being edited, NUL-terminated */
    size_t len, cur;            /* length; cursor, 0..len */
    char line[LE_LINE_MAX];     /* the last line ended by Enter */
    struct le_history hist;
    int browse;                 /* -1: editing a new line; k: showing history entry k (0 newest) */
    char saved[LE_LINE_MAX];    /* the new line, while browsing */
    unsigned esc;               /* escape-sequence state (lineedit.c) */
    unsigned esc_arg;           /* numeric parameter of a CSI sequence */
    bool after_cr;              /* last byte was CR: an LF right after it is dropped */
    char out[LE_OUT_MAX];       /* echo not yet taken */
    size_t out_len;
};

enum le_event {
    LE_NONE = 0,                /* keep feeding */
    LE_LINE,                    /* Enter: the line is in le->line (added to the history) */
    LE_CANCEL,                  /* Ctrl-C: the line was dropped */
};

void le_init(struct lineedit *le);
/* Feed one typed byte. Echo accumulates in le->out; one byte never adds
 * more than 4 * LE_LINE_MAX bytes, so take the output (le_output_take) when
 * le->out_len exceeds LE_OUT_MAX - 4 * LE_LINE_MAX, and after every event. */
enum le_event le_feed(struct lineedit *le, unsigned char c);
/* The echo produced so far; *n = its length. Resets it. */
const char *le_output_take(struct lineedit *le, size_t *n);
/* Echo that redraws the current line (after the prompt was printed again):
 * the text, then the cursor moved back to its place. */
void le_redraw(struct lineedit *le);
/* History entry k (0 = newest), or NULL. */
const char *le_history_get(const struct lineedit *le, unsigned k);
/* Add a line to the history (empty lines and repeats of the newest are not). */
void le_history_add(struct lineedit *le, const char *line);
