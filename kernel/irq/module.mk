KERNEL_SRCS += kernel/irq/irq.c
