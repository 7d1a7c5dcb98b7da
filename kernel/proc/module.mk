KERNEL_SRCS += kernel/proc/process.c kernel/proc/uthread.c kernel/proc/capglue.c
KERNEL_SRCS += kernel/proc/init.c
