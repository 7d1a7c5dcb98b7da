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
#define F_R10 40
#define F_R9 48
#define F_R8 56
#define F_RDI 72
#define F_RSI 80
#define F_RDX 88
#define F_RAX 112
#define F_RIP 136
#define F_RFLAGS 152
#define F_RSP 160
#define F_SIZE 176

    .text
    .globl syscall_entry
    .balign 16
syscall_entry:
    swapgs
    movq %rsp, %gs:ARCH_CPU_USER_RSP
    movq %gs:ARCH_CPU_KERNEL_RSP, %rsp
    subq $F_SIZE, %rsp                  /* the frame; cs, ss, vector, error unused */
    movq %rcx, F_RIP(%rsp)
    movq %r11, F_RFLAGS(%rsp)
    movq %gs:ARCH_CPU_USER_RSP, %rcx
    movq %rcx, F_RSP(%rsp)
    movq %rax, F_RAX(%rsp)
    movq %rdx, F_RDX(%rsp)
    movq %rsi, F_RSI(%rsp)
    movq %rdi, F_RDI(%rsp)
    movq %r8, F_R8(%rsp)
    movq %r9, F_R9(%rsp)
    movq %r10, F_R10(%rsp)
    leaq -SYS_IPC_FIRST(%rax), %rcx     /* an IPC call that may block? (all 64 bits) */
    cmpq $(SYS_IPC_LAST - SYS_IPC_FIRST), %rcx
    jbe 3f
4:  movq %rsp, %rdi
    cmpq $SYS_COUNT_ASM, %rax           /* the number, still in RAX */
    jae 6f
    call *syscall_table(, %rax, 8)
7:  movq %rax, F_RAX(%rsp)
    /* Exit checks (syscall_exit_checks() in C does the same): a
     * non-canonical return address, a pending preemption, a kill. */
    movq F_RIP(%rsp), %rax
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
    movq F_R10(%rsp), %r10
    movq F_R9(%rsp), %r9
    movq F_R8(%rsp), %r8
    movq F_RDI(%rsp), %rdi
    movq F_RSI(%rsp), %rsi
    movq F_RDX(%rsp), %rdx
    movq F_RAX(%rsp), %rax
    movq F_RIP(%rsp), %rcx
    movq F_RFLAGS(%rsp), %r11
    movq F_RSP(%rsp), %rsp              /* user rsp */
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
    movq F_RAX(%rsp), %rax              /* the number again */
    jmp 4b
5:  call fastpath_call
    movq F_RAX(%rsp), %rax
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
