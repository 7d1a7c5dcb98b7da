# SPDX-License-Identifier: MIT
# Host test of kernel/boot/limine.c: Limine responses laid out in a fake
# physical memory seen through a fake HHDM (LIMINE_SEED=n replays the random run).
HOST_TESTS += test_limine
test_limine_SRCS := tests/host/test_limine.c kernel/boot/limine.c kernel/boot/bootmem.c \
                    kernel/lib/kprintf.c tests/host/fake_kernel.c
