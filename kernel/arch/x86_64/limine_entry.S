/* SPDX-License-Identifier: MIT */
/* limine_entry.S - the Limine boot protocol entry, and the ELF entry point
 * (ENTRY in kernel/kernel.ld). Limine jumps here in 64-bit mode, interrupts
 * off, on its own page tables (the image mapped where it is linked, plus its
 * HHDM) and its own stack in bootloader-reclaimable memory, with every
 * general register zero. We leave that stack at once for the kernel's boot
 * stack (boot.S's, unused on this path), clear RBP so stack walks end here,
 * check for NX as the Multiboot2 stub does, and call kmain_limine(), which
 * reads the responses from the requests in limine.c.
 * GRUB never comes here: the Multiboot2 header's entry-address tag sends it
 * to _start (boot.S), and that tag overrides the ELF entry point. */
#include "arch/x86_64/memlayout.h"

    .text
    .balign 16
    .globl limine_entry
    .type limine_entry, @function
limine_entry:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    cli
    cld

    /* NX is required (page tables set it everywhere): say so on COM1
     * instead of faulting in phase 3. Long mode implies leaf 0x80000001. */
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 20), %edx
    jz 1f

    call kmain_limine                   /* does not return */
    jmp 3f

1:  leaq msg_no_nx(%rip), %rsi
    movw $0x3F8, %dx
2:  lodsb
    testb %al, %al
    jz 3f
    outb %al, %dx
    jmp 2b
3:  cli
    hlt
    jmp 3b
    .size limine_entry, . - limine_entry

    .section .rodata
msg_no_nx:
    .asciz "MinimalOS: this CPU lacks NX; cannot boot.\r\n"
