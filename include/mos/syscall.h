/* SPDX-License-Identifier: MIT */
/* syscall.h - system call numbers and the register convention.
 * Entry: SYSCALL with RAX = number, arguments in RDI RSI RDX R10 R8 R9.
 * Return: RAX = result (>= 0) or -MOS_E*. The IPC receive forms also
 * return the message: RDI = badge, RSI = info, RDX R10 R8 R9 = words.
 * RCX and R11 are clobbered (SYSCALL/SYSRET use them); RBX RBP RSP R12-R15
 * and the SSE state are preserved; RDI RSI RDX R10 R8 R9 are preserved by
 * calls that do not return a message, clobbered by those that do. */
#pragma once

#include <mos/types.h>

enum mos_syscall {
#define X(name, num, kinds, nargs) SYS_##name = (num),
#include <mos/syscalls.def>
#undef X
    SYS_COUNT
};

/* Present only in the fuzzing build (make fuzz): coverage of the calling
 * thread. */
#define SYS_fuzz_cov_reset 64
#define SYS_fuzz_cov_read  65
