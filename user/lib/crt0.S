/* SPDX-License-Identifier: MIT */
/* crt0.S - the entry point of every user program. The loader (mos_spawn, or
 * the kernel for init) starts the main thread here with RDI = the address
 * of its start block (struct mos_start or struct mos_init_info). Clear RBP
 * so backtraces end here, align RSP to 16 as the C ABI expects before a
 * call, and call __mos_start(block), which never returns. */
	.section .note.GNU-stack,"",@progbits

	.text
	.globl _start
	.type _start,@function
_start:
	xor %ebp, %ebp
	and $-16, %rsp
	call __mos_start
	ud2
	.size _start, . - _start
