# SPDX-License-Identifier: MIT
# Pure parts shared by the kernel and the user library: the ELF validator,
# the USTAR reader, the allocator core behind malloc, and the start-block
# convention (builder and capability-name lookup). Seeds: ELF_SEED, TAR_SEED,
# UMALLOC_SEED=n repeat a random run.
HOST_TESTS += test_elf test_tar test_umalloc test_ustart
test_elf_SRCS := tests/host/test_elf.c kernel/lib/elf.c
test_tar_SRCS := tests/host/test_tar.c kernel/lib/tar.c
test_umalloc_SRCS := tests/host/test_umalloc.c user/lib/umalloc.c
test_umalloc_CFLAGS := -Iuser/lib
test_ustart_SRCS := tests/host/test_ustart.c user/lib/start_block.c
test_ustart_CFLAGS := -Iuser/lib/include
