/* SPDX-License-Identifier: MIT */
/* asm_offsets.h - structure offsets and constants the assembly hot paths
 * (syscall.S) use; every one is checked by a static assert in syscall.c. */
#pragma once

#define SYS_COUNT_ASM     26      /* SYS_COUNT */
#define MOS_ENOSYS_ASM    12      /* MOS_ENOSYS */
#define CPU_NEED_RESCHED  0x2378  /* offsetof(struct cpu, need_resched) */
#define CPU_CURRENT       0x2120  /* offsetof(struct cpu, current) */
#define THREAD_KILLED     0x128   /* offsetof(struct thread, killed) */
#define CPU_LOCK_OWNER    0x210c  /* offsetof(struct cpu, lock.owner) */
