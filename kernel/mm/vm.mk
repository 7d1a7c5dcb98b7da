KERNEL_SRCS += kernel/mm/vmm.c kernel/mm/tlb.c kernel/mm/kstack.c kernel/mm/page.c
KERNEL_SRCS += kernel/mm/memobj.c kernel/mm/mapping.c kernel/mm/quota.c
