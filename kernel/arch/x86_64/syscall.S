/* SPDX-License-Identifier: MIT */
/* syscall.S - SYSCALL entry and SYSRET exit. The entry switches to the
 * thread's kernel stack (%gs:ARCH_CPU_KERNEL_RSP) and saves, in the layout of
 * struct trap_frame, only what a system call can change: the return state
 * (RIP, RFLAGS, RSP) and the argument/result registers RAX RDI RSI RDX R10 R8
 * R9. The callee-saved registers (RBX RBP R12-R15) stay live and are
 * preserved by the C code (and by arch_switch if the thread blocks); their
 * frame slots are left unwritten (vector = VEC_SYSCALL says so). Interrupts
 * stay off (FMASK clears IF) until SYSRET restores the user's RFLAGS.
 * syscall_dispatch() refuses to return to a non-canonical RIP before we get
 * here (CVE-2012-0217), so SYSRET never faults in ring 0. */
#include "arch/x86_64/arch_cpu.h"

#define VEC_SYSCALL 0x100

    .text
    .globl syscall_entry
    .balign 16
syscall_entry:
    swapgs
    movq %rsp, %gs:ARCH_CPU_USER_RSP
    movq %gs:ARCH_CPU_KERNEL_RSP, %rsp
    pushq $USER_DS                      /* ss */
    pushq %gs:ARCH_CPU_USER_RSP         /* rsp */
    pushq %r11                          /* rflags */
    pushq $USER_CS                      /* cs */
    pushq %rcx                          /* rip */
    pushq $0                            /* error */
    pushq $VEC_SYSCALL                  /* vector */
    pushq %rax
    subq $16, %rsp                      /* rbx, rcx: not saved */
    pushq %rdx
    pushq %rsi
    pushq %rdi
    subq $8, %rsp                       /* rbp */
    pushq %r8
    pushq %r9
    pushq %r10
    subq $40, %rsp                      /* r11..r15 */
    movq %rsp, %rdi
    call syscall_dispatch
    .globl syscall_exit
syscall_exit:                           /* rsp = the frame; interrupts off */
    addq $40, %rsp
    popq %r10
    popq %r9
    popq %r8
    addq $8, %rsp
    popq %rdi
    popq %rsi
    popq %rdx
    addq $16, %rsp
    popq %rax
    addq $16, %rsp                      /* vector, error */
    popq %rcx                           /* rip */
    addq $8, %rsp                       /* cs */
    popq %r11                           /* rflags */
    movq (%rsp), %rsp                   /* user rsp */
    swapgs
    sysretq

/* A new user thread's first switch lands here (see arch_user_thread_init):
 * finish the scheduler's switch, then leave through syscall_exit with the
 * frame at the top of the stack. */
    .globl arch_user_trampoline
arch_user_trampoline:
    movq %rbx, %rdi
    call sched_user_thread_entry
    movq %rax, %rsp
    jmp syscall_exit
