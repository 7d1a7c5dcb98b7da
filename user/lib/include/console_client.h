/* SPDX-License-Identifier: MIT */
/* console_client.h - the console protocol (proto/console.h) from a client.
 * The console endpoint is the "console" capability of the start block
 * (mos_cap_by_name). Calls that fail because the driver died (-MOS_EDEAD)
 * are retried a few times: init restarts the driver on the same endpoint. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>

/* 0 or -MOS_E*; set up from the start block ("console"). */
long con_init(void);
mos_handle_t con_handle(void);
long con_write(const char *s, size_t n);            /* bytes written or -MOS_E* */
/* Cooked line: returns its length (no '\n'), -MOS_ECANCELED on Ctrl-C. */
long con_read_line(char *buf, size_t max);
long con_read(char *buf, size_t max);               /* raw: >= 1 byte, or -MOS_E* */
long con_set_echo(int on);
/* Make printf() go to the console (mos_set_writer). */
void con_use_for_stdout(void);
