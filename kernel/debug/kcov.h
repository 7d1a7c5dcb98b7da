/* SPDX-License-Identifier: MIT */
/* kcov.h - kernel coverage and allocation-failure injection for the fuzzer
 * (the fuzzing build only, CONFIG_KCOV; ABI in mos/kcov.h). In other builds
 * every hook here is an empty inline function, so callers need no #if and
 * the hooks cost nothing. */
#pragma once

#include "config.h"
#include "lib/types.h"

struct thread;
struct trap_frame;

#if CONFIG_KCOV
/* The system calls SYS_fuzz_cov_reset and SYS_fuzz_cov_read. */
long sys_fuzz_cov_reset(struct trap_frame *f);
long sys_fuzz_cov_read(struct trap_frame *f);
/* Free t's coverage set and refund its charge. Context: uthread_exit, as t
 * itself, big_lock held, t->proc still set. */
void kcov_thread_exit(struct thread *t);
/* Should the allocation being attempted now fail (failnth=N, the current
 * thread collecting)? Counts the attempt. Any context; no locks. */
bool kcov_should_fail(void);
/* The hook gcc calls at the start of every basic block of instrumented code
 * (-fsanitize-coverage=trace-pc). */
void __sanitizer_cov_trace_pc(void);
#else
static inline void kcov_thread_exit(struct thread *t) { (void)t; }
static inline bool kcov_should_fail(void) { return false; }
#endif
