/* SPDX-License-Identifier: MIT */
/* badmsg.h - the corrupted-message test (main.c: roles and helpers; cases.c:
 * the malformed requests per service and the attacker; good.c: the second,
 * well-behaved client). Single-threaded: results are plain counters. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "mos_lib.h"
#include "proto/init.h"

extern unsigned bm_passed, bm_failed;
extern bool bm_kernel_refused;    /* the last bm_call failed in the kernel, not in a reply */

/* One "TEST badmsg/<svc>/<check> ok|FAIL <why>" line, counted. */
void bm_result(const char *svc, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* mos_call; returns the system call's error, else the reply's label.
 * Capabilities in the reply are deleted. */
long bm_call(mos_handle_t ep, uint32_t op, const uint64_t w[MOS_MSG_WORDS], const void *data, size_t len,
             const mos_handle_t *caps, unsigned ncaps, struct mos_msg *rep);

/* INIT_PS entry of the service or program called name. */
bool bm_ps(mos_handle_t init, const char *name, struct init_proc *out);

/* A well-formed request to the service published as `cap` (its
 * start-block name): 0, an error, or 1 for a wrong answer. */
long bm_wellformed(const char *cap, mos_handle_t ep);

void bm_bad(mos_handle_t init);
void bm_good(mos_handle_t init);
