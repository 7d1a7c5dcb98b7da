/* SPDX-License-Identifier: MIT */
/* syscall.h - the system call layer: one handler per call of
 * include/mos/syscalls.def, each taking the caller's saved user state
 * (arguments in f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9) and returning
 * the result (>= 0) or -MOS_E*. Handlers validate everything before they
 * change anything. */
#pragma once

#include "lib/types.h"
#include <mos/types.h>

struct trap_frame;
struct process;
struct cap_slot;

#define X(name, num, kinds, nargs) long sys_##name(struct trap_frame *f);
#include <mos/syscalls.def>
#undef X

/* The console owner (log_read's caller) is gone: the kernel log goes back
 * to COM1. */
void console_owner_exit(struct process *p);
/* Deliver a pending "the kernel log has lines" notification (no locks held). */
void console_notify(void);

/* Before any return to user mode from a system call: a non-canonical RIP
 * kills the process, a pending preemption switches, a killed thread leaves. */
void syscall_exit_checks(struct trap_frame *f);

/* The process named by h: MOS_SELF is the caller's own; otherwise a
 * PROCESS capability with `rights`, whose process must be alive. */
__must_check long syscall_target(mos_handle_t h, uint32_t rights, struct process **out);

/* Log why a call was refused (debug builds), return err. */
long reject(long err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
