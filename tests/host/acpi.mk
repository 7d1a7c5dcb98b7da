# SPDX-License-Identifier: MIT
# kernel/acpi against table images in a fake physical address space; the test
# defines acpi_warn() itself (ACPI_SEED=n replays the random mutations).
HOST_TESTS += test_acpi
test_acpi_SRCS := tests/host/test_acpi.c kernel/acpi/acpi.c kernel/acpi/madt.c \
                  kernel/acpi/fadt.c tests/host/fake_kernel.c
