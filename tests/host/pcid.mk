# SPDX-License-Identifier: MIT
# Host tests of the PCID allocator (kernel/arch/x86_64/pcid.c).
HOST_TESTS += test_pcid
test_pcid_SRCS := tests/host/test_pcid.c kernel/arch/x86_64/pcid.c
