/* SPDX-License-Identifier: MIT */
/* ipc_stubs.S - the system calls that return a message in registers
 * (mos/syscall.h): on return RDI = badge, RSI = info, RDX R10 R8 R9 = the
 * four words, all clobbered. Each stub keeps `out` on the stack across
 * SYSCALL (which clobbers RCX) and stores the message into it only when
 * RAX >= 0 and out != NULL; it returns RAX.
 *   long mos_ipc_call_m(ep, info, const uint64_t w[4], struct mos_msg *out)
 *   long mos_ipc_reply_recv_m(ep, info, const uint64_t w[4], struct mos_msg *out)
 *   long mos_ipc_recv_m(ep, uint64_t timeout_ns, uint32_t flags, struct mos_msg *out)
 * w may be NULL (four zero words). ep is 32 bits wide; the C ABI leaves the
 * upper half of its register undefined, and the kernel reads handles as
 * their low 32 bits (docs/syscalls.md), so it is passed as it is.
 * struct mos_msg offsets are asserted in ipc.c: info 0, badge 8, w 16. */
#include "user_syscalls.h"

#define MSG_INFO  0
#define MSG_BADGE 8
#define MSG_W     16

	.section .note.GNU-stack,"",@progbits
	.text

/* SYSCALL number \nr, the out pointer saved on the stack (the call
 * clobbers RCX), then store the message into *out when the call succeeded
 * and out is not NULL. */
.macro SYSCALL_STORE nr
	mov $\nr, %eax
	syscall
	pop %rcx
	test %rax, %rax
	js 3f
	test %rcx, %rcx
	jz 3f
	mov %rsi, MSG_INFO(%rcx)
	mov %rdi, MSG_BADGE(%rcx)
	mov %rdx, MSG_W(%rcx)
	mov %r10, MSG_W+8(%rcx)
	mov %r8, MSG_W+16(%rcx)
	mov %r9, MSG_W+24(%rcx)
3:	ret
.endm

/* A call that sends: w[0..3] (pointer in RDX, or NULL for zeros) into RDX
 * R10 R8 R9, the handle as it is (the kernel reads handles as 32 bits). */
.macro SEND_STUB name, nr
	.globl \name
	.type \name,@function
	.p2align 4
\name:
	push %rcx
	test %rdx, %rdx
	jz 1f
	mov 8(%rdx), %r10
	mov 16(%rdx), %r8
	mov 24(%rdx), %r9
	mov 0(%rdx), %rdx
2:	SYSCALL_STORE \nr
1:	xor %r10d, %r10d
	xor %r8d, %r8d
	xor %r9d, %r9d
	jmp 2b
	.size \name, . - \name
.endm

	SEND_STUB mos_ipc_call_m, MOS_SYSNR_ipc_call
	SEND_STUB mos_ipc_reply_recv_m, MOS_SYSNR_ipc_reply_recv

/* Arguments already sit where the kernel wants them: RDI ep, RSI time-out,
 * RDX flags (the kernel reads the flags as 32 bits too). */
	.globl mos_ipc_recv_m
	.type mos_ipc_recv_m,@function
	.p2align 4
mos_ipc_recv_m:
	push %rcx
	SYSCALL_STORE MOS_SYSNR_ipc_recv
	.size mos_ipc_recv_m, . - mos_ipc_recv_m
