KERNEL_SRCS += kernel/syscall/syscall.c kernel/syscall/uaccess.c kernel/syscall/sys_cap.c \
               kernel/syscall/sys_mem.c kernel/syscall/sys_proc.c kernel/syscall/sys_misc.c
