# SPDX-License-Identifier: MIT
# kernel/acpi: ACPI tables read and verified (pure: physical memory through a map callback).
KERNEL_SRCS += kernel/acpi/acpi.c kernel/acpi/madt.c kernel/acpi/fadt.c
