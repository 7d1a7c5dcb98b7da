KERNEL_SRCS += kernel/lib/kprintf.c kernel/lib/log.c kernel/lib/panic.c kernel/lib/string.c \
               kernel/lib/strerror.c kernel/lib/spinlock.c kernel/lib/ksyms.c kernel/lib/cmdline.c
KERNEL_SRCS += kernel/lib/klock.c kernel/lib/kstats.c kernel/lib/elf.c kernel/lib/tar.c
