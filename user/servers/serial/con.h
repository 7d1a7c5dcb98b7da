/* SPDX-License-Identifier: MIT */
/* con.h - the console protocol (proto/console.h) as the serial driver
 * serves it (con.c): the input buffer, the queue of waiting readers, the
 * line editor (line.h) and the output merger (out.h). Pure: it talks to
 * the world only through struct con_ops (reply to a call, send bytes to the
 * UART, drain the kernel log), so tests/host/test_line.c drives it too.
 * Single-threaded: the driver's receive loop makes every call. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include "line.h"
#include "out.h"

#define CON_IN_SIZE 4096u       /* typed bytes kept while nobody reads (power of two) */
#define CON_READERS 16u         /* callers waiting in CON_READ_LINE / CON_READ */
#define CON_ESC_WAIT_MS 50u     /* a raw read waits this long for the rest of an escape sequence */

struct con_ops {
    /* Answer the call held by `reply` (a REPLY handle, or 0: the thread's
     * own reply right, valid only until the next receive). label is 0 or a
     * negative -MOS_E*. Returns 0, or a negative error (-MOS_EDEAD: the
     * caller is gone). */
    long (*reply)(void *ctx, mos_handle_t reply, int32_t label, const uint64_t w[4],
                  const void *data, size_t n);
    /* Bytes for the UART, in order. */
    void (*emit)(void *ctx, const char *s, size_t n);
    /* Print every kernel log line that is waiting (through con_kernel). */
    void (*drain_log)(void *ctx);
};

struct con_reader {
    uint64_t badge;
    mos_handle_t reply;         /* REPLY handle kept from the receive */
    uint32_t op;                /* CON_READ_LINE or CON_READ */
    uint32_t max;               /* 1..CON_MAX_IO */
};

/* One request, as the receive loop unpacked it. */
struct con_req {
    uint64_t badge;
    mos_handle_t reply;         /* REPLY handle, 0 if none could be made */
    bool call;                  /* the sender waits for an answer */
    uint32_t op;                /* enum con_op */
    uint64_t w[4];
    const void *data;           /* payload (valid during con_request only) */
    size_t len;
};

struct con {
    const struct con_ops *ops;
    void *ctx;
    uint64_t now_ms;            /* set by con_tick */
    struct out out;
    struct line_ed ed;
    bool ed_active;             /* ed holds the line of the head reader (a CON_READ_LINE) */
    bool ed_ready;              /* ...and it is complete, not yet delivered */
    uint64_t echo_badge;        /* whose echo line_feed produces */
    uint8_t in[CON_IN_SIZE];
    uint64_t in_head, in_tail;  /* bytes put / taken, ever */
    struct con_reader rd[CON_READERS];
    unsigned nrd;               /* rd[0] is served first */
    bool esc_wait;              /* a raw read holds back an unfinished escape sequence... */
    uint64_t esc_since_ms;      /* ...since then */
    bool echo_raw;              /* CON_SET_ECHO */
    uint64_t rx, tx, overruns;  /* CON_STATS */
};

void con_init(struct con *c, const struct con_ops *ops, void *ctx);

/* Serve one request: answers it at once, or (reads with nothing to give)
 * keeps its REPLY handle in the reader queue; the handle is always used up
 * (answered or queued). */
void con_request(struct con *c, const struct con_req *rq);

/* Bytes from the UART: kept, then handed to waiting readers. */
void con_input(struct con *c, const uint8_t *s, size_t n);

/* Bytes the UART lost (LSR.OE), for CON_STATS. */
void con_add_overruns(struct con *c, uint64_t n);

/* Kernel log text (whole lines), printed between user lines. */
void con_kernel(struct con *c, const char *s, size_t n);

/* The clock: flushes unfinished lines that waited too long, and hands a
 * lone ESC to a raw reader once CON_ESC_WAIT_MS have passed. */
void con_tick(struct con *c, uint64_t now_ms);

/* Readers waiting (for tests and statistics). */
unsigned con_waiting(const struct con *c);
