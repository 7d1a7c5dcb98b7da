/* SPDX-License-Identifier: MIT */
/* switch.S - kernel thread context switch. arch_switch(&prev->ksp, next->ksp)
 * saves the callee-saved registers on prev's stack, stores its stack
 * pointer, loads next's and returns into next. A new thread's stack is
 * built by arch_thread_init (thread.c's view: arch.h) so that the first
 * switch "returns" into arch_thread_trampoline with RBX = the thread. */
    .text
    .globl arch_switch
arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .globl arch_thread_trampoline
arch_thread_trampoline:
    movq %rbx, %rdi
    jmp sched_thread_entry
