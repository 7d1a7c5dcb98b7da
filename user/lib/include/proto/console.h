/* SPDX-License-Identifier: MIT */
/* proto/console.h - the console protocol, served by the serial driver
 * (user/servers/serial). Labels are the message labels; words w[0..3] and
 * the payload as stated. Every request is an ipc_call; the reply's label is
 * 0 or a negative -MOS_E* error, w[0] the result. docs/services.md. */
#pragma once

#include <stdint.h>

enum con_op {
    CON_WRITE = 1,      /* payload: bytes to write (<= 4096). reply w0 = bytes written */
    CON_READ_LINE,      /* cooked input: edited line (echoed; backspace, Ctrl-U), ends at
                         * Enter. reply: payload = the line without '\n', w0 = length;
                         * label -MOS_ECANCELED when Ctrl-C was typed (the line is dropped).
                         * w0 of the request: max bytes (<= 4096). Waits for a person. */
    CON_READ,           /* raw input: w0 = max bytes; waits until at least one byte is
                         * there, replies with what is buffered (no echo, no editing).
                         * Escape sequences (arrow keys) arrive as typed. */
    CON_SET_ECHO,       /* w0 = 0/1: echo raw input (default 0) */
    CON_STATS,          /* reply w0 = bytes received, w1 = bytes sent, w2 = overruns */
};

#define CON_MAX_IO 4096u
