# SPDX-License-Identifier: MIT
# kernel/boot: the Limine boot protocol entry (the ELF entry point) and its
# parser (pure, host-tested by tests/host/limine.mk). Kept apart from
# module.mk so the Multiboot2 path's list stays as it was.
KERNEL_SRCS += kernel/boot/limine.c kernel/arch/x86_64/limine_entry.S
