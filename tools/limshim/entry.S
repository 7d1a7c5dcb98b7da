/* SPDX-License-Identifier: MIT */
/* entry.S - limshim's way in and way out.
 *   _start: GRUB enters in 32-bit protected mode, paging off (EAX = the
 *   Multiboot2 magic, EBX = the information). Map 0-4 GiB one to one with
 *   2 MiB pages, enable PAE, long mode, NX (if present) and paging, and call
 *   limshim_main(magic, info) on our own stack.
 *   limshim_handoff(boot_cr3, final_cr3, gdtr, stack, entry): called at its
 *   HHDM alias on the boot tables; loads the final tables (no lower half),
 *   the Limine-layout GDT (CS 0x28, data 0x30), RFLAGS 0x2, zeroes every
 *   general register but RSP and enters the kernel with `ret`, leaving the
 *   return address 0 on top of the stack, as the protocol says.
 * Invariant: limshim_handoff is position-independent and touches no memory
 * but the stack it is given (the caller's stack is gone after the CR3 load). */

#define MB2_MAGIC   0xE85250D6
#define PTE_P       0x1
#define PTE_W       0x2
#define PTE_PS      0x80

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                 /* i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
    .balign 8                               /* framebuffer tag, optional */
    .word 5, 1
    .long 20
    .long 1024, 768, 32
    .balign 8                               /* end tag */
    .word 0, 0
    .long 8
mb2_header_end:

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl $shim_stack_top, %esp
    movl %eax, %edi                         /* magic: first argument */
    movl %ebx, %esi                         /* info: second argument */

    /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages: 0-4 GiB. */
    movl $early_pdpt, %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, early_pml4
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $early_pd, %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, early_pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jb 1b
    xorl %ecx, %ecx                         /* 2048 entries, entry i -> i * 2 MiB */
2:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, early_pd(, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax                          /* high dword: bits 32+ of i * 2 MiB */
    movl %eax, early_pd + 4(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl %cr4, %eax
    orl $(1 << 5), %eax                     /* PAE */
    movl %eax, %cr4
    movl $early_pml4, %eax
    movl %eax, %cr3
    movl $0x80000001, %eax                  /* NX available? (EDX bit 20) */
    cpuid
    movl %edx, %ebx
    movl $0xC0000080, %ecx                  /* EFER */
    rdmsr
    orl $(1 << 8), %eax                     /* LME */
    testl $(1 << 20), %ebx
    jz 3f
    orl $(1 << 11), %eax                    /* NXE */
3:  wrmsr
    movl %cr0, %eax
    orl $(1 << 31 | 1 << 16 | 1), %eax      /* PG, WP, PE */
    movl %eax, %cr0
    lgdt early_gdtr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl $shim_stack_top, %esp
    call limshim_main                       /* does not return */
4:  cli
    hlt
    jmp 4b

/* void limshim_handoff(uint64_t boot_cr3, uint64_t final_cr3, uint64_t gdtr_va,
 *                      uint64_t stack, uint64_t entry)   -- never returns.
 * Called at its HHDM alias with the boot tables already loaded (rdi unused
 * here, kept for the debugger). `stack` is an HHDM address 16-byte aligned:
 * [stack - 8] = 0 (the return address), [stack - 16] = entry. */
    .globl limshim_handoff
limshim_handoff:
    movq %rsi, %cr3                         /* the kernel's view: no lower half */
    lgdt (%rdx)
    leaq -16(%rcx), %rsp
    movq $0, 8(%rsp)
    movq %r8, (%rsp)
    pushq $0x30                             /* SS */
    leaq 8(%rsp), %rax
    pushq %rax                              /* RSP as it was before these pushes */
    pushq $0x2                              /* RFLAGS: IF, DF, everything clear */
    pushq $0x28                             /* CS: 64-bit code */
    leaq 5f(%rip), %rax
    pushq %rax
    iretq
5:  movl $0x30, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    ret                                     /* pops entry; RSP -> the 0 */

    .section .rodata
    .balign 8
early_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF                /* 0x10: data */
early_gdt_end:
early_gdtr:
    .word early_gdt_end - early_gdt - 1
    .quad early_gdt

    .section .bss
    .balign 4096
early_pml4:  .skip 4096
early_pdpt:  .skip 4096
early_pd:    .skip 4 * 4096
    .balign 16
shim_stack:  .skip 32768
    .globl shim_stack_top
shim_stack_top:
