/* SPDX-License-Identifier: MIT */
/* uaccess.S - the only code that touches user memory through user
 * addresses. Each routine opens user access (STAC, when SMAP is on) only
 * around its copy loop and closes it (CLAC) on both exits; a page fault
 * inside a routine resumes at its fault label (trap.c: uaccess_fixup) and
 * returns -MOS_EFAULT (-5). Callers have range-checked the addresses. */
    .text

.macro OPEN_USER
    testb $1, uaccess_smap(%rip)
    jz 1f
    stac
1:
.endm

.macro CLOSE_USER
    testb $1, uaccess_smap(%rip)
    jz 2f
    clac
2:
.endm

/* long arch_copy_user(void *dst, const void *src, size_t n) */
    .globl arch_copy_user, arch_copy_user_fault, arch_copy_user_end
arch_copy_user:
    movq %rdx, %rcx
    OPEN_USER
    rep movsb
    CLOSE_USER
    xorl %eax, %eax
    ret
arch_copy_user_fault:
    CLOSE_USER
    movq $-5, %rax
    ret
arch_copy_user_end:

/* long arch_fill_user(void *dst, int byte, size_t n) */
    .globl arch_fill_user, arch_fill_user_fault, arch_fill_user_end
arch_fill_user:
    movq %rdx, %rcx
    movl %esi, %eax
    OPEN_USER
    rep stosb
    CLOSE_USER
    xorl %eax, %eax
    ret
arch_fill_user_fault:
    CLOSE_USER
    movq $-5, %rax
    ret
arch_fill_user_end:
