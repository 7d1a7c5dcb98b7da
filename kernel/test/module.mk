KERNEL_SRCS += kernel/test/ktest.c
KERNEL_SRCS += kernel/test/ktest_mm.c
