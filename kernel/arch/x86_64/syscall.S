/* SPDX-License-Identifier: MIT */
/* syscall.S - SYSCALL entry and SYSRET exit. The entry switches to the
 * thread's kernel stack (%gs:ARCH_CPU_KERNEL_RSP) and saves, in the layout of
 * struct trap_frame, what every system call can change: the return state
 * (RIP, RFLAGS, RSP) and the argument/result registers RAX RDI RSI RDX R10 R8
 * R9. The callee-saved registers (RBX RBP R12-R15) stay live and the C code
 * preserves them, except across the IPC calls that can block (numbers
 * SYS_ipc_send..SYS_ipc_reply_recv): for those they are saved in the frame
 * too, because the IPC fast path may resume such a thread straight from its
 * frame (syscall_exit_full) without unwinding its kernel stack. Interrupts
 * stay off (FMASK clears IF) until SYSRET restores the user's RFLAGS.
 * syscall_dispatch() refuses to return to a non-canonical RIP before we get
 * here (CVE-2012-0217), so SYSRET never faults in ring 0. */
#include "arch/x86_64/arch_cpu.h"

#define VEC_SYSCALL 0x100
#define SYS_IPC_FIRST 5         /* SYS_ipc_send (checked in syscall.c) */
#define SYS_IPC_LAST  9         /* SYS_ipc_reply_recv */
#define SYS_IPC_CALL  7         /* SYS_ipc_call */
#include "arch/x86_64/asm_offsets.h"
/* Offsets in struct trap_frame (trap.h). */
#define F_R15 0
#define F_R14 8
#define F_R13 16
#define F_R12 24
#define F_RBP 64
#define F_RBX 104

    .text
    .globl syscall_entry
    .balign 16
syscall_entry:
    swapgs
    movq %rsp, %gs:ARCH_CPU_USER_RSP
    movq %gs:ARCH_CPU_KERNEL_RSP, %rsp
    subq $8, %rsp                       /* ss (not needed by SYSRET) */
    pushq %gs:ARCH_CPU_USER_RSP         /* rsp */
    pushq %r11                          /* rflags */
    subq $8, %rsp                       /* cs */
    pushq %rcx                          /* rip */
    subq $16, %rsp                      /* error, vector */
    pushq %rax
    subq $16, %rsp                      /* rbx, rcx */
    pushq %rdx
    pushq %rsi
    pushq %rdi
    subq $8, %rsp                       /* rbp */
    pushq %r8
    pushq %r9
    pushq %r10
    subq $40, %rsp                      /* r11..r15 */
    leaq -SYS_IPC_FIRST(%rax), %rcx     /* an IPC call that may block? (all 64 bits) */
    cmpq $(SYS_IPC_LAST - SYS_IPC_FIRST), %rcx
    jbe 3f
4:  movq %rsp, %rdi
    movq 0x70(%rsp), %rax               /* the number (F_RAX) */
    cmpq $SYS_COUNT_ASM, %rax
    jae 6f
    call *syscall_table(, %rax, 8)
7:  movq %rax, 0x70(%rsp)
    /* Exit checks (syscall_exit_checks() in C does the same): a
     * non-canonical return address, a pending preemption, a kill. */
    movq 0x88(%rsp), %rax               /* F_RIP */
    shrq $47, %rax
    jnz 8f
    movq %gs:0, %rax                    /* struct cpu */
    cmpb $0, CPU_NEED_RESCHED(%rax)
    jne 8f
    movq CPU_CURRENT(%rax), %rax
    cmpb $0, THREAD_KILLED(%rax)
    jne 8f
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

    /* IPC calls that may block: save the callee-saved registers too, and
     * try the fast path for call and reply_recv (it returns only when it
     * declines; the general path then handles the call). */
3:  movq %rbx, F_RBX(%rsp)
    movq %rbp, F_RBP(%rsp)
    movq %r12, F_R12(%rsp)
    movq %r13, F_R13(%rsp)
    movq %r14, F_R14(%rsp)
    movq %r15, F_R15(%rsp)
    movq %rsp, %rdi
    cmpq $SYS_IPC_CALL, %rax            /* the fast path returns only to decline */
    je 5f
    cmpq $SYS_IPC_LAST, %rax
    jne 4b
    call fastpath_reply_recv
    jmp 4b
5:  call fastpath_call
    jmp 4b

6:  movq $-MOS_ENOSYS_ASM, %rax
    jmp 7b
8:  movq %rsp, %rdi
    call syscall_exit_checks
    jmp syscall_exit

/* Leave to user mode from a frame whose thread's kernel stack is not being
 * unwound (the IPC fast path): restore the callee-saved registers too. */
    .globl syscall_exit_full
syscall_exit_full:
    movq F_RBX(%rsp), %rbx
    movq F_RBP(%rsp), %rbp
    movq F_R12(%rsp), %r12
    movq F_R13(%rsp), %r13
    movq F_R14(%rsp), %r14
    movq F_R15(%rsp), %r15
    jmp syscall_exit

/* A new user thread's first switch lands here (see arch_user_thread_init):
 * finish the scheduler's switch, then leave through syscall_exit with the
 * frame at the top of the stack. */
    .globl arch_user_trampoline
arch_user_trampoline:
    movq %rbx, %rdi
    call sched_user_thread_entry
    movq %rax, %rsp
    jmp syscall_exit_full
