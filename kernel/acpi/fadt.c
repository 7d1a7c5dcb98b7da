// SPDX-License-Identifier: MIT
/* fadt.c - the FADT ("FACP") decoded into what power-off and reset need, and
 * the S5 sleep type read from the DSDT's _S5_ without an AML interpreter.
 * FADT: at least the 116 bytes of ACPI 1.0; a field past its Length is absent.
 * X_DSDT and X_PM1x_CNT_BLK win over their 32-bit twins when nonzero (a
 * mismatch is reported; an X_ block that is not a 16-bit I/O port is not
 * used). The reset register counts only with RESET_REG_SUP, the field
 * present, a nonzero address and space memory, I/O or PCI config.
 * _S5_: the verified DSDT is scanned for NameOp, optional '\', "_S5_",
 * PackageOp; then PkgLength, NumElements and two elements, each BytePrefix +
 * byte or a bare byte 0..7 (ZeroOp, OneOp included). SLP_TYP is 3 bits: any
 * other value or encoding, or a package past its PkgLength or the DSDT, makes
 * that candidate unusable (reported) and the scan goes on. One element means
 * SLP_TYPb = 0, as in ACPICA. *out is written only on success.
 * Locking: none; pure apart from the map callback. */
#include "acpi/acpi.h"
#include "acpi/acpi_internal.h"
#include "lib/string.h"
#include <mos/errors.h>

/* FADT field offsets (ACPI 6.x, table 5.9). */
#define FADT_DSDT          40   /* u32 */
#define FADT_SCI_INT       46   /* u16 */
#define FADT_PM1A_CNT_BLK  64   /* u32 */
#define FADT_PM1B_CNT_BLK  68   /* u32 */
#define FADT_CENTURY      108   /* u8 */
#define FADT_FLAGS        112   /* u32 */
#define FADT_V1_LEN       116   /* ACPI 1.0 ends here */
#define FADT_RESET_REG    116   /* generic address, 12 bytes */
#define FADT_RESET_VALUE  128   /* u8 */
#define FADT_X_DSDT       140   /* u64 */
#define FADT_X_PM1A_CNT   172   /* generic address */
#define FADT_X_PM1B_CNT   184   /* generic address */

#define FADT_RESET_REG_SUP (1u << 10)

/* Generic Address Structure: space, bit width, bit offset, access size, u64. */
#define GAS_LEN           12
#define GAS_ADDR           4
#define GAS_SPACE_MEMORY   0
#define GAS_SPACE_IO       1
#define GAS_SPACE_PCI_CFG  2

#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0A
#define AML_PACKAGE_OP    0x12
#define AML_ROOT_PREFIX   '\\'
#define SLP_TYP_MAX       7
#define SLP_TYP_UNKNOWN   0xFFFF

/* PM1x_CNT port: the X_ generic address if present and usable, else the
 * 32-bit field; 0 when neither names a 16-bit I/O port. */
static uint32_t fadt_pm1_cnt(const uint8_t *t, uint32_t len, unsigned off32, unsigned offx,
                             char ab)
{
    uint32_t port = acpi_rd32(t + off32);
    if (port > 0xFFFF) {
        ACPI_WARN("FADT PM1%c_CNT_BLK 0x%x is not an I/O port, ignored", ab, port);
        port = 0;
    }
    if (len < offx + GAS_LEN)
        return port;
    const uint8_t *g = t + offx;
    uint64_t x = acpi_rd64(g + GAS_ADDR);
    if (x == 0)
        return port;
    if (g[0] != GAS_SPACE_IO || x > 0xFFFF) {
        ACPI_WARN("FADT X_PM1%c_CNT_BLK (space %u, address 0x%llx) is not an I/O port, "
                  "using PM1%c_CNT_BLK 0x%x", ab, g[0], (unsigned long long)x, ab, port);
        return port;
    }
    if (port && port != x)
        ACPI_WARN("FADT X_PM1%c_CNT_BLK 0x%llx differs from PM1%c_CNT_BLK 0x%x, using the "
                  "former", ab, (unsigned long long)x, ab, port);
    return (uint32_t)x;
}

/* AML PkgLength at p[0..avail): its value and encoded size, or false. */
static bool aml_pkg_length(const uint8_t *p, size_t avail, uint32_t *value, size_t *size)
{
    if (avail < 1)
        return false;
    unsigned follow = p[0] >> 6;
    if (avail < 1 + (size_t)follow)
        return false;
    if (follow == 0) {
        *value = p[0] & 0x3F;
    } else {
        if (p[0] & 0x30)            /* bits 5:4 are reserved when bytes follow */
            return false;
        uint32_t v = p[0] & 0x0F;
        for (unsigned i = 0; i < follow; i++)
            v |= (uint32_t)p[1 + i] << (4 + 8 * i);
        *value = v;
    }
    *size = 1 + (size_t)follow;
    return true;
}

/* One package element at p[*pos] (below `end`) as a sleep type. */
static const char *aml_slp_typ(const uint8_t *p, size_t end, size_t *pos, uint16_t *typ)
{
    if (*pos >= end)
        return "package ends before its elements";
    uint8_t op = p[*pos];
    if (op == AML_BYTE_PREFIX) {
        if (end - *pos < 2)
            return "BytePrefix without its byte";
        if (p[*pos + 1] > SLP_TYP_MAX)
            return "sleep type above 7";
        *typ = p[*pos + 1];
        *pos += 2;
        return NULL;
    }
    if (op <= SLP_TYP_MAX) {        /* ZeroOp, OneOp, or a bare small constant */
        *typ = op;
        *pos += 1;
        return NULL;
    }
    return "element is not a byte constant";
}

/* Decode the package whose PkgLength starts at p[pos]; NULL or why not. */
static const char *aml_s5_package(const uint8_t *p, size_t end, size_t pos, uint16_t *a,
                                  uint16_t *b)
{
    uint32_t plen;
    size_t psize;
    if (!aml_pkg_length(p + pos, end - pos, &plen, &psize))
        return "PkgLength truncated or malformed";
    if (plen < psize + 1)
        return "PkgLength too small for NumElements";
    if (plen > end - pos)
        return "package runs past the end of the DSDT";
    size_t pend = pos + plen;
    size_t at = pos + psize;
    uint8_t nelem = p[at++];
    if (nelem == 0)
        return "package is empty";
    const char *why = aml_slp_typ(p, pend, &at, a);
    if (why)
        return why;
    if (nelem == 1) {
        *b = 0;
        return NULL;
    }
    return aml_slp_typ(p, pend, &at, b);
}

/* Find Name(_S5_, Package(){a, b, ...}) in a verified DSDT of `len` bytes. */
static bool dsdt_find_s5(const uint8_t *p, size_t len, uint16_t *a, uint16_t *b)
{
    for (size_t i = ACPI_SDT_HDR_LEN + 1; i + 4 < len; i++) {
        if (memcmp(p + i, "_S5_", 4) != 0)
            continue;
        size_t op = i - 1;
        if (p[op] == AML_ROOT_PREFIX && op > ACPI_SDT_HDR_LEN)
            op--;
        if (p[op] != AML_NAME_OP || p[i + 4] != AML_PACKAGE_OP)
            continue;
        const char *why = aml_s5_package(p, len, i + 5, a, b);
        if (!why)
            return true;
        ACPI_WARN("DSDT _S5_ at offset %zu: %s, ignored", i, why);
    }
    return false;
}

/* SLP_TYPa/b for S5 from the DSDT at `pa`; SLP_TYP_UNKNOWN when unusable. */
static void fadt_s5(uint64_t pa, acpi_map_fn map, void *ctx, uint16_t *a, uint16_t *b)
{
    *a = *b = SLP_TYP_UNKNOWN;
    if (pa == 0) {
        ACPI_WARN("FADT gives no DSDT, S5 sleep type unknown");
        return;
    }
    if (!map) {
        ACPI_WARN("no map callback to reach the DSDT, S5 sleep type unknown");
        return;
    }
    uint32_t len;
    const uint8_t *dsdt = acpi_table_load(pa, "DSDT", map, ctx, &len);
    if (!dsdt) {
        ACPI_WARN("no usable DSDT, S5 sleep type unknown");
        return;
    }
    if (!dsdt_find_s5(dsdt, len, a, b)) {
        *a = *b = SLP_TYP_UNKNOWN;
        ACPI_WARN("DSDT has no usable _S5_ package, S5 sleep type unknown");
    }
}

int acpi_parse_fadt(const void *fadt, size_t len, acpi_map_fn map, void *ctx,
                    struct acpi_fadt_info *out)
{
    const uint8_t *t = fadt;

    if (!t || len < FADT_V1_LEN) {
        ACPI_WARN("FADT too short (%zu bytes, need %u), ignored", t ? len : 0, FADT_V1_LEN);
        return -MOS_EINVAL;
    }
    if (memcmp(t, "FACP", 4) != 0) {
        ACPI_WARN("FADT signature bad, ignored");
        return -MOS_EINVAL;
    }
    uint32_t n = acpi_rd32(t + 4);
    if (n < FADT_V1_LEN || n > len) {
        ACPI_WARN("FADT length %u outside [%u, %zu], ignored", n, FADT_V1_LEN, len);
        return -MOS_EINVAL;
    }

    struct acpi_fadt_info f = {
        .sci_irq = acpi_rd16(t + FADT_SCI_INT),
        .century = t[FADT_CENTURY],
        .pm1a_cnt = fadt_pm1_cnt(t, n, FADT_PM1A_CNT_BLK, FADT_X_PM1A_CNT, 'a'),
        .pm1b_cnt = fadt_pm1_cnt(t, n, FADT_PM1B_CNT_BLK, FADT_X_PM1B_CNT, 'b'),
    };

    if (acpi_rd32(t + FADT_FLAGS) & FADT_RESET_REG_SUP) {
        const uint8_t *g = t + FADT_RESET_REG;
        if (n <= FADT_RESET_VALUE) {
            ACPI_WARN("FADT sets RESET_REG_SUP but is only %u bytes long, reset register "
                      "ignored", n);
        } else if (acpi_rd64(g + GAS_ADDR) == 0 || g[0] > GAS_SPACE_PCI_CFG) {
            ACPI_WARN("FADT reset register (space %u, address 0x%llx) unusable, ignored",
                      g[0], (unsigned long long)acpi_rd64(g + GAS_ADDR));
        } else {
            f.reset_supported = true;
            f.reset_space = g[0];
            f.reset_addr = acpi_rd64(g + GAS_ADDR);
            f.reset_value = t[FADT_RESET_VALUE];
        }
    }

    uint64_t dsdt = acpi_rd32(t + FADT_DSDT);
    if (n >= FADT_X_DSDT + 8) {
        uint64_t x = acpi_rd64(t + FADT_X_DSDT);
        if (x && dsdt && x != dsdt)
            ACPI_WARN("FADT X_DSDT 0x%llx differs from DSDT 0x%llx, using the former",
                      (unsigned long long)x, (unsigned long long)dsdt);
        if (x)
            dsdt = x;
    }
    fadt_s5(dsdt, map, ctx, &f.slp_typ_s5a, &f.slp_typ_s5b);

    *out = f;
    return 0;
}
