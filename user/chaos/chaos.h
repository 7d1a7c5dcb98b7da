/* SPDX-License-Identifier: MIT */
/* chaos.h - the fault injector of docs/testing.md ("Fault injection"): it
 * kills services through init (INIT_KILL) at random moments while load
 * threads use them, checks that init notices every death and restarts the
 * service within its manifest policy, that the service answers again, that
 * no other service dies, and that the kernel's counters (free frames, heap,
 * objects, mappings) come back exactly once everything has settled.
 * Shared between main.c (phases, init protocol, counters) and load.c (the
 * load threads). Only the main thread prints; the load threads count. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "mos_lib.h"

enum chaos_kind { CHAOS_CONSOLE, CHAOS_VFS, CHAOS_NET };

/* What one load thread did (written by it; read by main after the join). */
struct chaos_load {
    enum chaos_kind kind;
    mos_handle_t cap;           /* the service's badged client endpoint */
    unsigned id;                /* distinct per load thread: distinct /tmp names */
    volatile bool stop;         /* set by main */
    uint64_t ok;                /* well-formed requests answered correctly */
    uint64_t dead;              /* -MOS_EDEAD (the server died holding it) or a
                                 * stale handle after a restart: expected */
    uint64_t bad;               /* anything else: a failure */
    long first_bad;             /* the first unexpected result (an error, or 1: wrong data) */
    uint32_t first_bad_op;      /* the request that got it */
    uint64_t rng;               /* its pacing (load.c) */
};

/* The load loop of one thread (mos_thread_start's fn). */
void chaos_load_run(void *arg);

/* One well-formed request that must succeed on a healthy service of this
 * kind: 0, or the error / 1 for a wrong answer. Used after each restart. */
long chaos_probe(enum chaos_kind kind, mos_handle_t cap);

/* Guest time in ns (the kernel information page's TSC conversion). */
uint64_t chaos_now_ns(void);
