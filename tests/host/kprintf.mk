# SPDX-License-Identifier: MIT
# The format engine against the host's snprintf (KPRINTF_SEED=n repeats a random run).
HOST_TESTS += test_kprintf
test_kprintf_SRCS := tests/host/test_kprintf.c kernel/lib/kprintf.c
