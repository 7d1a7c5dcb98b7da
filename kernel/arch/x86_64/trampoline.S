/* SPDX-License-Identifier: MIT */
/* trampoline.S - where an application processor starts after INIT-SIPI-SIPI:
 * real mode at physical TRAMPOLINE_PA (copied there by smp.c). It loads a
 * small GDT, enters protected mode, enables PAE, long mode, NX and paging
 * with the CR3 smp.c left in the data block (kernel half + identity map of
 * the first 2 MiB), and jumps to smp_ap_entry(cpu) on the stack given.
 * Everything is addressed relative to the copy, never to the link address. */
#define TRAMPOLINE_PA 0x8000
#define REL(x) ((x) - trampoline_start + TRAMPOLINE_PA)

    .section .rodata
    .balign 16
    .globl trampoline_start, trampoline_end
    .globl tr_cr3, tr_stack, tr_entry, tr_cpu, tr_started
    .code16
trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $1, REL(tr_started)
    lgdtl REL(tr_gdt_ptr)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $REL(tr_pm32)

    .code32
tr_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $((1 << 5) | (1 << 7)), %eax        /* PAE, PGE */
    movl %eax, %cr4
    movl REL(tr_cr3), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax       /* LME, NXE */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16)), %eax      /* PG, WP */
    movl %eax, %cr0
    ljmpl $0x18, $REL(tr_lm64)

    .code64
tr_lm64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movq REL(tr_stack), %rsp
    movq REL(tr_cpu), %rdi
    movq REL(tr_entry), %rax
    xorl %ebp, %ebp
    pushq $0
    jmp *%rax

    .balign 16
tr_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
tr_gdt_ptr:
    .word 4 * 8 - 1
    .long REL(tr_gdt)
    .balign 8
tr_cr3:     .quad 0
tr_stack:   .quad 0
tr_entry:   .quad 0
tr_cpu:     .quad 0
tr_started: .long 0
trampoline_end:
