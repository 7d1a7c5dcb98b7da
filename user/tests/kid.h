/* SPDX-License-Identifier: MIT */
/* kid.h - helpers shared by the test groups: child processes the case keeps
 * a PROCESS capability for (utest_run_child() does not hand one out, and a
 * case must map into, grant to, transfer into and inspect its children),
 * helper threads, and counting a capability space. */
#pragma once

#include "utest.h"

/* A child process running "<this group> --child <fn> <arg>" (a UTEST_CHILD
 * function), started with the "initrd" capability the harness needs plus
 * the named capabilities given. */
struct kid {
    mos_handle_t proc;          /* PROCESS, rights MOS_RIGHTS_ALL & ~EXEC */
    mos_handle_t exit_ep;       /* notified when it dies */
};

/* Start the child; 0 or -MOS_E*. */
long kid_start(struct kid *k, const char *fn, uint64_t arg, const struct mos_spawn_cap *caps,
               uint32_t ncaps);
/* Wait at most timeout_ms for it to die (killing it at the deadline), report
 * how it died and delete both handles. */
struct utest_child kid_wait(struct kid *k, uint32_t timeout_ms);

/* Wait until the thread is blocked (state 3); false after timeout_ms. */
bool thread_wait_blocked(mos_handle_t thread, uint32_t timeout_ms);

/* Number of capabilities in proc's space (MOS_SELF: the caller's), counted
 * with MOS_INSPECT_NEXT; their handles go to out[0..max). */
uint32_t cspace_enumerate(mos_handle_t proc, mos_handle_t *out, uint32_t max);

/* The info of handle h (in the caller's space); zeroed on failure. */
struct mos_cap_info inspect(mos_handle_t h);

/* Are all n bytes at p equal to b? */
bool bytes_all(const void *p, size_t n, uint8_t b);

/* The first capability of this type in the caller's space, or 0. (A case
 * process holds exactly one THREAD capability before it starts threads:
 * its main thread's, moved in by mos_spawn.) */
mos_handle_t first_of_type(uint32_t type);
