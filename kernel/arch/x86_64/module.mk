KERNEL_SRCS += kernel/arch/x86_64/boot.S kernel/arch/x86_64/isr.S kernel/arch/x86_64/stack.S \
               kernel/arch/x86_64/uart.c kernel/arch/x86_64/cpu.c kernel/arch/x86_64/gdt.c \
               kernel/arch/x86_64/idt.c kernel/arch/x86_64/trap.c kernel/arch/x86_64/mmu.c \
               kernel/arch/x86_64/pcid.c
KERNEL_SRCS += kernel/arch/x86_64/ktest_faults.c kernel/arch/x86_64/ktest_usercpu.c \
               kernel/arch/x86_64/ktest_pcid.c
KERNEL_SRCS += kernel/arch/x86_64/apic.c kernel/arch/x86_64/ioapic.c kernel/arch/x86_64/tsc.c \
               kernel/arch/x86_64/switch.S kernel/arch/x86_64/context.c kernel/arch/x86_64/smp.c \
               kernel/arch/x86_64/trampoline.S kernel/arch/x86_64/platform.c
KERNEL_SRCS += kernel/arch/x86_64/syscall.S kernel/arch/x86_64/uaccess.S
