KERNEL_SRCS += kernel/mm/pmm.c kernel/mm/kheap.c
