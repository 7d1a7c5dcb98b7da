KERNEL_SRCS += kernel/test/ktest.c
