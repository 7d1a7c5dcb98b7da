KERNEL_SRCS += kernel/cap/kobj.c
