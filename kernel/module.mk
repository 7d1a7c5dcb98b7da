KERNEL_SRCS += kernel/main.c
