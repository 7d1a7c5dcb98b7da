KERNEL_SRCS += kernel/mm/vmm.c kernel/mm/tlb.c kernel/mm/kstack.c kernel/mm/page.c
