/* SPDX-License-Identifier: MIT */
#define ARCH_USER_FRAME_SIZE (22 * 8)
/* switch.S - kernel thread context switch. arch_switch(&prev->ksp, next->ksp)
 * saves the callee-saved registers on prev's stack, stores its stack
 * pointer, loads next's and returns into next. A new thread's stack is
 * built by arch_thread_init (thread.c's view: arch.h) so that the first
 * switch "returns" into arch_thread_trampoline with RBX = the thread. */
#include "config.h"
#include "arch/x86_64/asm_offsets.h"
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

/* arch_fastpath_exit - the IPC fast path's exit to the partner, jumped to
 * (never called) by switch_to_partner with RDI = the partner's frame, RSI =
 * badge, RAX = info, and the message words already in RDX R10 R8 R9.
 * The current thread needs no kernel context (it resumes from its frame
 * too), so nothing is saved. Leave this thread's stack for the partner's
 * frame (the top of its kernel stack), release this CPU's scheduler lock
 * (only now: until then another CPU waking the current thread could start
 * running on this very stack), and return to the partner's user mode with
 * RAX 0, RDI badge, RSI info, the words, and its own callee-saved
 * registers, RIP, RFLAGS and RSP from its frame. The caller checked
 * RIP < USER_TOP and released big_lock. */
#define F_R15 0
#define F_R14 8
#define F_R13 16
#define F_R12 24
#define F_RBP 64
#define F_RBX 104
#define F_RIP 136
#define F_RFLAGS 152
#define F_RSP 160
    .globl arch_fastpath_exit
arch_fastpath_exit:
    movq %rdi, %rsp
#if CONFIG_DEBUG_LOCKS
    pushq %rax
    pushq %rsi
    pushq %rdx
    pushq %r10
    pushq %r8
    pushq %r9
    call fastpath_switched              /* the checked unlock */
    popq %r9
    popq %r8
    popq %r10
    popq %rdx
    popq %rsi
    popq %rax
#else
    movq %gs:0, %rdi                    /* struct cpu: fast_unlock(&cpu->lock) */
    addl $1, CPU_LOCK_OWNER(%rdi)
#endif
    movq %rsi, %rdi
    movq %rax, %rsi
    movq F_RBX(%rsp), %rbx
    movq F_RBP(%rsp), %rbp
    movq F_R12(%rsp), %r12
    movq F_R13(%rsp), %r13
    movq F_R14(%rsp), %r14
    movq F_R15(%rsp), %r15
    movq F_RIP(%rsp), %rcx
    movq F_RFLAGS(%rsp), %r11
    xorl %eax, %eax
    movq F_RSP(%rsp), %rsp
    swapgs
    sysretq

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
