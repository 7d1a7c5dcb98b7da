# SPDX-License-Identifier: MIT
# kernel/boot: loader data -> struct boot_info (pure parsers, host-tested).
KERNEL_SRCS += kernel/boot/multiboot2.c kernel/boot/bootmem.c
