/* SPDX-License-Identifier: MIT */
/* boot.S - the Multiboot2 entry path: header, 32-bit stub, switch to long mode.
 * GRUB enters _start in 32-bit protected mode, paging off, EAX = 0x36d76289,
 * EBX = physical address of the boot information. The stub checks the CPU
 * (long mode, NX), builds boot page tables that map the first 4 GiB three
 * times (identity for the switch, the HHDM at 0xFFFF800000000000, and the
 * kernel at 0xFFFFFFFF80000000 -> physical 0), enables PAE, long mode, NX and
 * paging, and jumps to kmain_multiboot2(magic, info) on the boot stack.
 * Phase 3 replaces these tables with the kernel's own. */
#include "arch/x86_64/memlayout.h"

#define MB2_MAGIC        0xE85250D6
#define MB2_ARCH_I386    0
#define PHYS(x)          ((x) - KERNEL_VMA)

#define PTE_P   0x1
#define PTE_W   0x2
#define PTE_PS  0x80

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* entry address tag: type 3, physical 32-bit entry */
    .balign 8
    .word 3, 0
    .long 12
    .long PHYS(_start)
    /* framebuffer tag: type 5, optional (flags=1), 1024x768x32 preferred */
    .balign 8
    .word 5, 1
    .long 20
    .long 1024, 768, 32
    /* end tag */
    .balign 8
    .word 0, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl $PHYS(boot_stack_top), %esp
    movl %eax, %edi                 /* magic -> first argument */
    movl %ebx, %esi                 /* info  -> second argument */

    /* Long mode and NX are required: say so on COM1 instead of faulting. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz no_long_mode
    testl $(1 << 20), %edx
    jz no_long_mode

    /* Zero the boot page tables (7 pages). */
    movl $PHYS(boot_pt_start), %edx
    movl %edx, %ebx
    movl $(7 * 4096 / 4), %ecx
    xorl %eax, %eax
    pushl %edi
    movl %ebx, %edi
    rep stosl
    popl %edi

    /* PML4[0] and PML4[256] -> pdpt_low; PML4[511] -> pdpt_high. */
    movl $PHYS(boot_pdpt_low), %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, PHYS(boot_pml4) + 0 * 8
    movl %eax, PHYS(boot_pml4) + 256 * 8
    movl $PHYS(boot_pdpt_high), %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, PHYS(boot_pml4) + 511 * 8

    /* pdpt_low[0..3] -> pd0..pd3 (4 GiB); pdpt_high[510] -> pd0 (first GiB). */
    movl $PHYS(boot_pd), %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, PHYS(boot_pdpt_low) + 0 * 8
    movl %eax, PHYS(boot_pdpt_high) + 510 * 8
    addl $4096, %eax
    movl %eax, PHYS(boot_pdpt_low) + 1 * 8
    addl $4096, %eax
    movl %eax, PHYS(boot_pdpt_low) + 2 * 8
    addl $4096, %eax
    movl %eax, PHYS(boot_pdpt_low) + 3 * 8

    /* pd0..pd3: 2048 entries of 2 MiB pages, physical 0 .. 4 GiB. */
    movl $PHYS(boot_pd), %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, (%ebx, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b

    /* CR4.PAE, CR3, EFER.LME|NXE, CR0.PG|WP. */
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax
    movl %eax, %cr0

    lgdt PHYS(boot_gdt_ptr)
    ljmp $0x08, $PHYS(long_mode_low)

no_long_mode:
    movl $PHYS(msg_no_lm), %esi
2:  lodsb
    testb %al, %al
    jz 3f
    movw $0x3F8, %dx
    outb %al, %dx
    jmp 2b
3:  hlt
    jmp 3b

    .code64
long_mode_low:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $long_mode_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF        /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)
msg_no_lm:
    .asciz "MinimalOS: this CPU lacks long mode or NX; cannot boot.\r\n"

    .text
long_mode_high:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    /* rdi = magic, rsi = info (zero-extended by the 32-bit moves above) */
    call kmain_multiboot2
4:  cli
    hlt
    jmp 4b

    .bss
    .balign 4096
    .globl boot_pml4
boot_pt_start:
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:
