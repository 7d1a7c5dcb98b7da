// SPDX-License-Identifier: MIT
/* acpi.c - the walk from the RSDP to a named table. The RSDP is verified
 * (signature, checksum over 20 bytes; for revision >= 2 also Length >= 36 and
 * the extended checksum over Length bytes); the XSDT is used when the RSDP
 * revision is >= 2, its XsdtAddress is nonzero and the XSDT itself verifies,
 * otherwise the RSDT is used (with a warning when an XSDT was offered but
 * failed). A root table must hold whole entries (8 bytes in the XSDT, 4 in
 * the RSDT); entries are read byte by byte, so unaligned ones are fine. A
 * null or unmappable entry is reported and skipped; the table finally
 * returned has passed acpi_table_load(). Nothing is cached: each call
 * re-verifies everything (and re-reports what is wrong).
 * Locking: none needed; no state. */
#include "acpi/acpi.h"
#include "acpi/acpi_internal.h"
#include "lib/string.h"
#include <mos/errors.h>

#define RSDP_V1_LEN      20u
#define RSDP_V2_LEN      36u
#define RSDP_REVISION    15     /* u8 */
#define RSDP_RSDT_ADDR   16     /* u32 */
#define RSDP_LENGTH      20     /* u32, revision >= 2 */
#define RSDP_XSDT_ADDR   24     /* u64, revision >= 2 */

#define SDT_LENGTH        4     /* u32 in every SDT header */

uint8_t acpi_checksum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum;
}

const uint8_t *acpi_table_load(uint64_t pa, const char sig[4], acpi_map_fn map, void *ctx,
                               uint32_t *len)
{
    unsigned long long upa = pa;

    if (pa == 0 || pa > UINT64_MAX - ACPI_SDT_HDR_LEN) {
        ACPI_WARN("%.4s at 0x%llx: not a valid address, table ignored", sig, upa);
        return NULL;
    }
    const uint8_t *hdr = map(pa, ACPI_SDT_HDR_LEN, ctx);
    if (!hdr) {
        ACPI_WARN("%.4s at 0x%llx: header not mappable, table ignored", sig, upa);
        return NULL;
    }
    if (memcmp(hdr, sig, 4) != 0) {
        ACPI_WARN("%.4s at 0x%llx: bad signature %02x %02x %02x %02x, table ignored", sig, upa,
                  hdr[0], hdr[1], hdr[2], hdr[3]);
        return NULL;
    }
    uint32_t n = acpi_rd32(hdr + SDT_LENGTH);
    if (n < ACPI_SDT_HDR_LEN || n > ACPI_MAX_TABLE_LEN) {
        ACPI_WARN("%.4s at 0x%llx: length %u outside [%u, %u], table ignored", sig, upa, n,
                  ACPI_SDT_HDR_LEN, ACPI_MAX_TABLE_LEN);
        return NULL;
    }
    if (pa > UINT64_MAX - n) {
        ACPI_WARN("%.4s at 0x%llx: length %u wraps the address space, table ignored", sig,
                  upa, n);
        return NULL;
    }
    const uint8_t *t = map(pa, n, ctx);
    if (!t) {
        ACPI_WARN("%.4s at 0x%llx: length %u runs past mapped memory, table ignored", sig,
                  upa, n);
        return NULL;
    }
    uint8_t sum = acpi_checksum(t, n);
    if (sum != 0) {
        ACPI_WARN("%.4s at 0x%llx: checksum bad (sum 0x%02x), table ignored", sig, upa, sum);
        return NULL;
    }
    *len = n;
    return t;
}

/* The root table chosen from a verified RSDP. */
struct acpi_root {
    const uint8_t *t;
    uint32_t len;
    unsigned esize;             /* 8: XSDT, 4: RSDT */
    const char *name;
};

/* Load a root table and check that it holds whole entries. */
static bool root_load(uint64_t pa, const char *name, unsigned esize, acpi_map_fn map, void *ctx,
                      struct acpi_root *r)
{
    uint32_t len;
    const uint8_t *t = acpi_table_load(pa, name, map, ctx, &len);
    if (!t)
        return false;
    if ((len - ACPI_SDT_HDR_LEN) % esize != 0) {
        ACPI_WARN("%s at 0x%llx: length %u is not the header plus whole %u-byte entries, "
                  "table ignored", name, (unsigned long long)pa, len, esize);
        return false;
    }
    *r = (struct acpi_root){ .t = t, .len = len, .esize = esize, .name = name };
    return true;
}

/* Verify the RSDP and pick the root table. 0 or -MOS_EINVAL (reported). */
static int root_find(const uint8_t *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx,
                     struct acpi_root *r)
{
    if (!rsdp || rsdp_len < RSDP_V1_LEN) {
        ACPI_WARN("RSDP too short (%zu bytes, need %u)", rsdp ? rsdp_len : 0, RSDP_V1_LEN);
        return -MOS_EINVAL;
    }
    if (memcmp(rsdp, "RSD PTR ", 8) != 0) {
        ACPI_WARN("RSDP signature bad");
        return -MOS_EINVAL;
    }
    uint8_t sum = acpi_checksum(rsdp, RSDP_V1_LEN);
    if (sum != 0) {
        ACPI_WARN("RSDP checksum bad (sum 0x%02x)", sum);
        return -MOS_EINVAL;
    }
    uint8_t rev = rsdp[RSDP_REVISION];
    uint32_t rsdt = acpi_rd32(rsdp + RSDP_RSDT_ADDR);
    uint64_t xsdt = 0;

    if (rev >= 2) {
        uint32_t len = rsdp_len >= RSDP_V2_LEN ? acpi_rd32(rsdp + RSDP_LENGTH) : 0;
        if (rsdp_len < RSDP_V2_LEN)
            ACPI_WARN("RSDP revision %u but only %zu bytes given, XSDT not used", rev,
                      rsdp_len);
        else if (len < RSDP_V2_LEN)
            ACPI_WARN("RSDP revision %u with length %u < %u, XSDT not used", rev, len,
                      RSDP_V2_LEN);
        else if (len > rsdp_len)
            ACPI_WARN("RSDP length %u exceeds the %zu bytes given, XSDT not used", len,
                      rsdp_len);
        else if ((sum = acpi_checksum(rsdp, len)) != 0)
            ACPI_WARN("RSDP extended checksum bad (sum 0x%02x), XSDT not used", sum);
        else if ((xsdt = acpi_rd64(rsdp + RSDP_XSDT_ADDR)) == 0)
            ACPI_WARN("RSDP revision %u has no XSDT address, using the RSDT", rev);
    }

    if (xsdt) {
        if (root_load(xsdt, "XSDT", 8, map, ctx, r))
            return 0;
        if (!rsdt) {
            ACPI_WARN("XSDT unusable and no RSDT to fall back to");
            return -MOS_EINVAL;
        }
        ACPI_WARN("XSDT unusable, falling back to the RSDT at 0x%x", rsdt);
    }
    if (!rsdt) {
        ACPI_WARN("RSDP gives no RSDT address");
        return -MOS_EINVAL;
    }
    return root_load(rsdt, "RSDT", 4, map, ctx, r) ? 0 : -MOS_EINVAL;
}

int acpi_find_table(const uint8_t *rsdp, size_t rsdp_len, const char sig[4], unsigned index,
                    acpi_map_fn map, void *ctx, uint64_t *pa, uint32_t *len)
{
    struct acpi_root r;
    int err = root_find(rsdp, rsdp_len, map, ctx, &r);
    if (err)
        return err;

    unsigned n = (r.len - ACPI_SDT_HDR_LEN) / r.esize;
    unsigned seen = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = r.t + ACPI_SDT_HDR_LEN + (size_t)i * r.esize;
        uint64_t epa = r.esize == 8 ? acpi_rd64(e) : acpi_rd32(e);
        if (epa == 0) {
            ACPI_WARN("%s entry %u is null, skipped", r.name, i);
            continue;
        }
        const uint8_t *h = epa <= UINT64_MAX - ACPI_SDT_HDR_LEN
                         ? map(epa, ACPI_SDT_HDR_LEN, ctx) : NULL;
        if (!h) {
            ACPI_WARN("%s entry %u: 0x%llx not mappable, skipped", r.name, i,
                      (unsigned long long)epa);
            continue;
        }
        if (memcmp(h, sig, 4) != 0 || seen++ != index)
            continue;
        uint32_t tlen;
        if (!acpi_table_load(epa, sig, map, ctx, &tlen))
            return -MOS_EINVAL;
        *pa = epa;
        *len = tlen;
        return 0;
    }
    return -MOS_ENOENT;
}
