/* SPDX-License-Identifier: MIT */
/* ipc_stubs.S - the system calls that return a message in registers
 * (mos/syscall.h): on return RDI = badge, RSI = info, RDX R10 R8 R9 = the
 * four words, all clobbered. Each stub keeps `out` in RBX (callee-saved,
 * so pushed and popped) across SYSCALL and stores the message into it only
 * when RAX >= 0 and out != NULL; it returns RAX.
 *   long mos_ipc_call_m(ep, info, const uint64_t w[4], struct mos_msg *out)
 *   long mos_ipc_reply_recv_m(ep, info, const uint64_t w[4], struct mos_msg *out)
 *   long mos_ipc_recv_m(ep, uint64_t timeout_ns, uint32_t flags, struct mos_msg *out)
 * w may be NULL (four zero words). ep is 32 bits wide, and the C ABI leaves
 * the upper half of its register undefined, so it is zero-extended here.
 * struct mos_msg offsets are asserted in
 * ipc.c: info 0, badge 8, w 16. */
#include "user_syscalls.h"

#define MSG_INFO  0
#define MSG_BADGE 8
#define MSG_W     16

	.section .note.GNU-stack,"",@progbits
	.text

/* Load w[0..3] (pointer in RDX, or NULL) into RDX R10 R8 R9. */
.macro LOAD_WORDS
	test %rdx, %rdx
	jz 1f
	mov 8(%rdx), %r10
	mov 16(%rdx), %r8
	mov 24(%rdx), %r9
	mov 0(%rdx), %rdx
	jmp 2f
1:	xor %r10d, %r10d
	xor %r8d, %r8d
	xor %r9d, %r9d
2:
.endm

/* SYSCALL with number \nr, then store the message into *RBX. */
.macro CALL_AND_STORE nr
	mov $\nr, %eax
	syscall
	test %rax, %rax
	js 3f
	test %rbx, %rbx
	jz 3f
	mov %rsi, MSG_INFO(%rbx)
	mov %rdi, MSG_BADGE(%rbx)
	mov %rdx, MSG_W(%rbx)
	mov %r10, MSG_W+8(%rbx)
	mov %r8, MSG_W+16(%rbx)
	mov %r9, MSG_W+24(%rbx)
3:	pop %rbx
	ret
.endm

	.globl mos_ipc_call_m
	.type mos_ipc_call_m,@function
	.p2align 4
mos_ipc_call_m:
	push %rbx
	mov %rcx, %rbx
	mov %edi, %edi
	LOAD_WORDS
	CALL_AND_STORE MOS_SYSNR_ipc_call
	.size mos_ipc_call_m, . - mos_ipc_call_m

	.globl mos_ipc_reply_recv_m
	.type mos_ipc_reply_recv_m,@function
	.p2align 4
mos_ipc_reply_recv_m:
	push %rbx
	mov %rcx, %rbx
	mov %edi, %edi
	LOAD_WORDS
	CALL_AND_STORE MOS_SYSNR_ipc_reply_recv
	.size mos_ipc_reply_recv_m, . - mos_ipc_reply_recv_m

/* Arguments already sit where the kernel wants them: RDI ep, RSI time-out,
 * RDX flags (zero-extended: a 32-bit argument's upper half is undefined in
 * the C ABI, so clear it). */
	.globl mos_ipc_recv_m
	.type mos_ipc_recv_m,@function
	.p2align 4
mos_ipc_recv_m:
	push %rbx
	mov %rcx, %rbx
	mov %edx, %edx
	mov %edi, %edi
	CALL_AND_STORE MOS_SYSNR_ipc_recv
	.size mos_ipc_recv_m, . - mos_ipc_recv_m
