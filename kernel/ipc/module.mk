KERNEL_SRCS += kernel/ipc/endpoint.c kernel/ipc/ipc.c
KERNEL_SRCS += kernel/ipc/fastpath.c
