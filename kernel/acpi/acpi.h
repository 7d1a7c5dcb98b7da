/* SPDX-License-Identifier: MIT */
/* acpi.h - ACPI tables, read and verified, never trusted: RSDP -> XSDT (RSDT
 * when there is no XSDT), every table's checksum and length checked before
 * use; the MADT (CPUs, I/O APICs, interrupt overrides, NMIs) and the FADT
 * (power-off registers) decoded into plain structures. Pure: physical memory
 * is reached only through the map callback, so host tests feed it images. */
#pragma once

#include "lib/types.h"

/* Return a pointer through which `len` bytes at physical `pa` can be read,
 * or NULL if that range is not accessible. */
typedef const void *(*acpi_map_fn)(uint64_t pa, size_t len, void *ctx);

#define ACPI_MAX_CPUS      256
#define ACPI_MAX_IOAPICS   16
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_NMIS      32
#define ACPI_MAX_NMI_SOURCES 8

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool     enabled;           /* usable now */
    bool     online_capable;    /* disabled but may be hot-added */
    bool     x2apic;            /* came from a type 9 entry */
};

struct acpi_ioapic {
    uint32_t id;
    uint64_t addr;              /* physical MMIO base */
    uint32_t gsi_base;
};

struct acpi_override {          /* ISA IRQ `source` is wired to GSI `gsi` */
    uint8_t  bus, source;
    uint32_t gsi;
    uint16_t flags;             /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

struct acpi_nmi {               /* local APIC NMI input */
    uint32_t acpi_uid;          /* 0xFF / 0xFFFFFFFF = every CPU */
    uint16_t flags;
    uint8_t  lint;              /* 0 or 1 */
};

struct acpi_nmi_source {        /* I/O APIC input wired to NMI (MADT type 3) */
    uint32_t gsi;
    uint16_t flags;             /* MPS INTI flags, as for overrides */
};

struct acpi_madt_info {
    uint64_t lapic_addr;        /* after any type 5 address override */
    bool     pcat_compat;       /* legacy 8259 PICs present (must be masked) */
    uint32_t ncpus;
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    uint32_t nioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    uint32_t noverrides;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    uint32_t nnmis;
    struct acpi_nmi nmis[ACPI_MAX_NMIS];
    uint32_t skipped;           /* malformed or unknown entries skipped */
    uint32_t nnmi_sources;      /* (appended) GSIs that deliver NMI: never route IRQs there */
    struct acpi_nmi_source nmi_sources[ACPI_MAX_NMI_SOURCES];
};

struct acpi_fadt_info {
    uint32_t pm1a_cnt;          /* I/O port of PM1a control (0 = none) */
    uint32_t pm1b_cnt;
    uint16_t sci_irq;
    uint16_t slp_typ_s5a;       /* SLP_TYPa for S5 from the DSDT's _S5_ (0xFFFF = unknown) */
    uint16_t slp_typ_s5b;
    uint8_t  century;           /* CMOS century register index, 0 = none */
    uint8_t  reset_space;       /* reset register (generic address), if supported */
    uint64_t reset_addr;
    uint8_t  reset_value;
    bool     reset_supported;
};

/* Find a table by signature ("APIC", "FACP", "HPET", ...): the index-th
 * occurrence (0 = first). Verifies RSDP (checksum, extended checksum for
 * revision >= 2), the root table and the found table (length >= header,
 * checksum). Returns the table's physical address via *pa and 0, or
 * -MOS_ENOENT (absent) / -MOS_EINVAL (corrupt: reported through acpi_warn). */
int acpi_find_table(const uint8_t *rsdp, size_t rsdp_len, const char sig[4], unsigned index,
                    acpi_map_fn map, void *ctx, uint64_t *pa, uint32_t *len);

/* Decode a MADT image of `len` bytes (already checksum-verified by
 * acpi_find_table). Malformed entries (length < 2, past the end, too short
 * for their type) are reported, counted in out->skipped, and end or skip
 * the walk without reading out of bounds. Returns 0 or -MOS_EINVAL. */
int acpi_parse_madt(const void *madt, size_t len, struct acpi_madt_info *out);

/* Decode the FADT (and find _S5_ in its DSDT through map). */
int acpi_parse_fadt(const void *fadt, size_t len, acpi_map_fn map, void *ctx,
                    struct acpi_fadt_info *out);

/* Report a rejected table or entry (the kernel logs it; host tests capture). */
__printf(1, 2) void acpi_warn(const char *fmt, ...);
