/* SPDX-License-Identifier: MIT */
/* acpi_internal.h - helpers shared by acpi.c, madt.c and fadt.c only: byte
 * readers and the one routine that maps and verifies a System Description
 * Table. Firmware tables are byte streams with no alignment promise (XSDT
 * entries sit at offset 36 + 8i), so every multi-byte field is assembled from
 * little-endian bytes; nothing here casts a table pointer to a wider type. */
#pragma once

#include "acpi/acpi.h"
#include "lib/types.h"

#define ACPI_SDT_HDR_LEN    36u          /* signature .. creator revision */
#define ACPI_MAX_TABLE_LEN  0x100000u    /* 1 MiB: anything longer is corrupt */

/* Every message names the subsystem. */
#define ACPI_WARN(fmt, ...) acpi_warn("acpi: " fmt, ##__VA_ARGS__)

static inline uint16_t acpi_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t acpi_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t acpi_rd64(const uint8_t *p)
{
    return (uint64_t)acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

/* Sum of `n` bytes modulo 256; a valid table sums to 0. */
uint8_t acpi_checksum(const void *p, size_t n);

/* Map and verify the table at physical `pa` that must carry signature `sig`
 * (4 characters): header mappable, signature, 36 <= Length <= 1 MiB, the
 * whole Length mappable without wrapping, checksum 0. Context: any; pure
 * apart from map. Returns the mapped table and its Length in *len, or NULL
 * after one acpi_warn() saying why. */
const uint8_t *acpi_table_load(uint64_t pa, const char sig[4], acpi_map_fn map, void *ctx,
                               uint32_t *len);
