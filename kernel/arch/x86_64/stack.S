/* SPDX-License-Identifier: MIT */
/* stack.S - arch_run_on_stack(top, fn, arg): continue on a new stack. */
    .text
    .globl arch_run_on_stack
arch_run_on_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    movq %rdx, %rdi
    pushq $0                    /* fake return address: ends backtraces */
    jmp *%rsi
