/* SPDX-License-Identifier: MIT */
/* out.h - the console's output side (out.c): merges the clients' writes,
 * the line editor's echo and the kernel log into one byte stream for the
 * UART so that no line is ever cut by another one. Pure (the bytes leave
 * through an emit callback): host-tested in tests/host/test_line.c.
 *
 * Rules. Each client (by badge) writes into its own line buffer; a complete
 * line ('\n') goes out whole. A client's unfinished line (a prompt) goes
 * out when the client then reads (out_flush), when its buffer fills, or
 * after OUT_IDLE_MS without its newline (out_tick). Once text without a
 * newline is on the terminal line, a line from anyone else (another
 * client, the kernel log) is preceded by "\r\n" and followed by a redraw of
 * that text, so prompt and typed input reappear below it. '\n' goes out as
 * "\r\n". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUT_CLIENTS    16u      /* line buffers; the least recently used is reused */
#define OUT_LINE_MAX   1024u    /* a longer line is sent in pieces */
#define OUT_SCREEN_MAX 512u     /* text of the current terminal line kept for redraw */
#define OUT_IDLE_MS    200u     /* an unfinished line waits at most this long */

typedef void (*out_emit_fn)(void *ctx, const char *s, size_t n);

struct out_client {
    bool used;
    uint64_t badge;
    uint64_t since_ms;          /* when buf went from empty to non-empty */
    uint64_t last_ms;           /* last write: for reuse of the table entry */
    size_t len;                 /* bytes of the unfinished line */
    char buf[OUT_LINE_MAX];
};

struct out {
    struct out_client cl[OUT_CLIENTS];
    bool partial;               /* the terminal line holds text (cursor not after "\r\n") */
    uint64_t owner;             /* badge whose text that is (valid when partial) */
    size_t scr_len;             /* scr[0..scr_len): that text, as redrawn */
    char scr[OUT_SCREEN_MAX];
    char last;                  /* last byte emitted (for "\n" -> "\r\n") */
    out_emit_fn emit;
    void *ctx;
};

void out_init(struct out *o, out_emit_fn emit, void *ctx);

/* A client's CON_WRITE: complete lines go out now, the rest waits. */
void out_write(struct out *o, uint64_t badge, const char *s, size_t n, uint64_t now_ms);

/* Send the client's unfinished line now (it is about to read: a prompt). */
void out_flush(struct out *o, uint64_t badge);

/* Bytes that go out at once on behalf of a client: the echo of its input. */
void out_echo(struct out *o, uint64_t badge, const char *s, size_t n);

/* Kernel log text: whole lines (a missing final '\n' is supplied). */
void out_kernel(struct out *o, const char *s, size_t n);

/* Flush unfinished lines older than OUT_IDLE_MS. */
void out_tick(struct out *o, uint64_t now_ms);

/* Bytes waiting in the client's line buffer. */
size_t out_buffered(const struct out *o, uint64_t badge);
