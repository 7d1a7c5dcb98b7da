KERNEL_SRCS += kernel/arch/x86_64/boot.S kernel/arch/x86_64/isr.S kernel/arch/x86_64/stack.S \
               kernel/arch/x86_64/uart.c kernel/arch/x86_64/cpu.c kernel/arch/x86_64/gdt.c \
               kernel/arch/x86_64/idt.c kernel/arch/x86_64/trap.c kernel/arch/x86_64/mmu.c
KERNEL_SRCS += kernel/arch/x86_64/ktest_faults.c
