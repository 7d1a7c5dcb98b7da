/* SPDX-License-Identifier: MIT */
#define ARCH_USER_FRAME_SIZE (22 * 8)
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

/* void arch_switch_to_frame(void *frame) - the IPC fast path's exit: the
 * current thread needs no kernel context (it resumes from its frame too), so
 * nothing is saved; switch to the partner's frame (the top of its kernel
 * stack), let fastpath_switched() release this CPU's scheduler lock, and
 * leave to user mode with all of the partner's registers. */
    .globl arch_switch_to_frame
arch_switch_to_frame:
    movq %rdi, %rsp
    call fastpath_switched
    jmp syscall_exit_full

/* void arch_switch_resume(uint64_t *save_ksp, struct thread *next) - save
 * the current context like arch_switch, then enter `next` at the top of its
 * kernel stack: ipc_frame_resume(next) finishes its IPC and the switch, and
 * it leaves to user mode from its frame. */
    .globl arch_switch_resume
arch_switch_resume:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rdi
    movq 16(%rsi), %rsp                 /* next->kstack.top (struct thread, asserted) */
    subq $ARCH_USER_FRAME_SIZE, %rsp
    call ipc_frame_resume
    jmp syscall_exit_full
