/* SPDX-License-Identifier: MIT */
/* asm_offsets.h - structure offsets and constants the assembly hot paths
 * (syscall.S) use; every one is checked by a static assert in syscall.c. */
#pragma once

#include "config.h"

/* The length of syscall_table: SYS_COUNT; the fuzzing build's table also
 * holds its calls 64 and 65 (mos/kcov.h, mk/fuzz.mk passes CONFIG_KCOV to
 * the assembler too). */
#if CONFIG_KCOV
#define SYS_COUNT_ASM     66      /* SYS_fuzz_cov_read + 1 */
#else
#define SYS_COUNT_ASM     26      /* SYS_COUNT */
#endif
#define MOS_ENOSYS_ASM    12      /* MOS_ENOSYS */
#define CPU_NEED_RESCHED  0x2378  /* offsetof(struct cpu, need_resched) */
#define CPU_CURRENT       0x2120  /* offsetof(struct cpu, current) */
#define THREAD_KILLED     0x128   /* offsetof(struct thread, killed) */
#define CPU_LOCK_OWNER    0x210c  /* offsetof(struct cpu, lock.owner) */
