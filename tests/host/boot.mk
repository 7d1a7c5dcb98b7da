# SPDX-License-Identifier: MIT
# Host tests of kernel/boot: the Multiboot2 parser and the memory-map sanitizer.
HOST_TESTS += test_multiboot2 test_bootmem
test_multiboot2_SRCS := tests/host/test_multiboot2.c kernel/boot/multiboot2.c \
                        kernel/boot/bootmem.c tests/host/fake_kernel.c
test_bootmem_SRCS := tests/host/test_bootmem.c kernel/boot/bootmem.c tests/host/fake_kernel.c
