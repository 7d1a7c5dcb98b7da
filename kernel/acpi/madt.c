// SPDX-License-Identifier: MIT
/* madt.c - the MADT ("APIC") decoded into struct acpi_madt_info: local APIC
 * address (32-bit field, replaced by a type 5 override), PC-AT compatibility,
 * CPUs (types 0 and 9), I/O APICs (1), ISA interrupt overrides (2), NMI
 * sources (3) and local APIC NMIs (4 and 0xA).
 * Walk invariant: an entry is read only after 2 <= Length <= bytes left, so
 * no read leaves [44, table length). Length < 2 or past the end ends the
 * walk (a zero Length would otherwise loop forever); an entry too short for
 * its type, an unknown type, or a nonsensical value (LINT > 1, a null
 * address, an enabled CPU's APIC ID seen before) is reported, counted in `skipped`, and the
 * walk goes on. Arrays keep the first N entries; the overflow is reported
 * once per array. *out is written only once the header has been accepted.
 * Locking: none; pure. */
#include "acpi/acpi.h"
#include "acpi/acpi_internal.h"
#include "lib/string.h"
#include <mos/errors.h>

#define MADT_LAPIC_ADDR   36    /* u32 */
#define MADT_FLAGS        40    /* u32 */
#define MADT_ENTRIES      44
#define MADT_PCAT_COMPAT  (1u << 0)

#define LAPIC_ENABLED         (1u << 0)
#define LAPIC_ONLINE_CAPABLE  (1u << 1)

enum madt_type {
    MADT_LAPIC          = 0x0,
    MADT_IOAPIC         = 0x1,
    MADT_OVERRIDE       = 0x2,
    MADT_NMI_SOURCE     = 0x3,
    MADT_LAPIC_NMI      = 0x4,
    MADT_LAPIC_ADDR_OVR = 0x5,
    MADT_X2APIC         = 0x9,
    MADT_X2APIC_NMI     = 0xA,
};

/* Minimum Length of each known entry type (0 = unknown). */
static const uint8_t madt_min_len[] = {
    [MADT_LAPIC] = 8,       [MADT_IOAPIC] = 12,         [MADT_OVERRIDE] = 10,
    [MADT_NMI_SOURCE] = 8,  [MADT_LAPIC_NMI] = 6,       [MADT_LAPIC_ADDR_OVR] = 12,
    [MADT_X2APIC] = 16,     [MADT_X2APIC_NMI] = 12,
};

/* Entries beyond the capacity of each array, reported after the walk. */
struct madt_dropped {
    uint32_t cpus, ioapics, overrides, nmis, nmi_sources;
};

static void add_cpu(struct acpi_madt_info *out, struct madt_dropped *d, uint32_t off,
                    uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic)
{
    bool enabled = flags & LAPIC_ENABLED;
    /* Two enabled CPUs with one APIC ID would both be sent INIT-SIPI. Disabled
     * entries are kept as listed (firmware often repeats placeholder IDs). */
    for (uint32_t i = 0; enabled && i < out->ncpus; i++) {
        if (out->cpus[i].enabled && out->cpus[i].apic_id == apic_id) {
            ACPI_WARN("MADT entry at offset %u: APIC ID 0x%x enabled twice, skipped", off,
                      apic_id);
            out->skipped++;
            return;
        }
    }
    if (out->ncpus == ACPI_MAX_CPUS) {
        d->cpus++;
        return;
    }
    out->cpus[out->ncpus++] = (struct acpi_cpu){
        .apic_id = apic_id,
        .acpi_uid = uid,
        .enabled = enabled,
        .online_capable = !enabled && (flags & LAPIC_ONLINE_CAPABLE),
        .x2apic = x2apic,
    };
}

static void add_nmi(struct acpi_madt_info *out, struct madt_dropped *d, uint32_t off,
                    uint32_t uid, uint16_t flags, uint8_t lint)
{
    if (lint > 1) {
        ACPI_WARN("MADT entry at offset %u: local APIC NMI on LINT%u, skipped", off, lint);
        out->skipped++;
        return;
    }
    if (out->nnmis == ACPI_MAX_NMIS) {
        d->nmis++;
        return;
    }
    out->nmis[out->nnmis++] = (struct acpi_nmi){ .acpi_uid = uid, .flags = flags, .lint = lint };
}

/* Decode one entry of known type whose Length (>= its minimum) fits. */
static void madt_entry(const uint8_t *e, uint32_t off, struct acpi_madt_info *out,
                       struct madt_dropped *d)
{
    switch ((enum madt_type)e[0]) {
    case MADT_LAPIC:
        add_cpu(out, d, off, e[3], e[2], acpi_rd32(e + 4), false);
        break;
    case MADT_X2APIC:
        add_cpu(out, d, off, acpi_rd32(e + 4), acpi_rd32(e + 12), acpi_rd32(e + 8), true);
        break;
    case MADT_IOAPIC: {
        uint32_t addr = acpi_rd32(e + 4);
        if (addr == 0) {
            ACPI_WARN("MADT entry at offset %u: I/O APIC %u at address 0, skipped", off, e[2]);
            out->skipped++;
        } else if (out->nioapics == ACPI_MAX_IOAPICS) {
            d->ioapics++;
        } else {
            out->ioapics[out->nioapics++] = (struct acpi_ioapic){
                .id = e[2], .addr = addr, .gsi_base = acpi_rd32(e + 8) };
        }
        break;
    }
    case MADT_OVERRIDE:
        if (out->noverrides == ACPI_MAX_OVERRIDES) {
            d->overrides++;
            break;
        }
        out->overrides[out->noverrides++] = (struct acpi_override){
            .bus = e[2], .source = e[3], .gsi = acpi_rd32(e + 4), .flags = acpi_rd16(e + 8) };
        break;
    case MADT_NMI_SOURCE:
        if (out->nnmi_sources == ACPI_MAX_NMI_SOURCES) {
            d->nmi_sources++;
            break;
        }
        out->nmi_sources[out->nnmi_sources++] = (struct acpi_nmi_source){
            .gsi = acpi_rd32(e + 4), .flags = acpi_rd16(e + 2) };
        break;
    case MADT_LAPIC_NMI:
        /* A UID of 0xFF means every processor; it is kept as 0xFF. */
        add_nmi(out, d, off, e[2], acpi_rd16(e + 3), e[5]);
        break;
    case MADT_X2APIC_NMI:
        add_nmi(out, d, off, acpi_rd32(e + 4), acpi_rd16(e + 2), e[8]);
        break;
    case MADT_LAPIC_ADDR_OVR: {
        uint64_t addr = acpi_rd64(e + 4);
        if (addr == 0) {
            ACPI_WARN("MADT entry at offset %u: local APIC address override to 0, skipped",
                      off);
            out->skipped++;
        } else {
            out->lapic_addr = addr;
        }
        break;
    }
    }
}

static void report_dropped(const char *what, uint32_t dropped, uint32_t kept)
{
    if (dropped)
        ACPI_WARN("MADT lists %u %s, only the first %u kept", dropped + kept, what, kept);
}

int acpi_parse_madt(const void *madt, size_t len, struct acpi_madt_info *out)
{
    const uint8_t *t = madt;

    if (!t || len < MADT_ENTRIES) {
        ACPI_WARN("MADT too short (%zu bytes, need %u), ignored", t ? len : 0, MADT_ENTRIES);
        return -MOS_EINVAL;
    }
    if (memcmp(t, "APIC", 4) != 0) {
        ACPI_WARN("MADT signature bad, ignored");
        return -MOS_EINVAL;
    }
    uint32_t end = acpi_rd32(t + 4);
    if (end < MADT_ENTRIES || end > len) {
        ACPI_WARN("MADT length %u outside [%u, %zu], ignored", end, MADT_ENTRIES, len);
        return -MOS_EINVAL;
    }

    memset(out, 0, sizeof *out);
    out->lapic_addr = acpi_rd32(t + MADT_LAPIC_ADDR);
    out->pcat_compat = acpi_rd32(t + MADT_FLAGS) & MADT_PCAT_COMPAT;

    struct madt_dropped d = { 0 };
    uint32_t off = MADT_ENTRIES;
    while (off < end) {
        uint32_t left = end - off;
        if (left < 2) {
            ACPI_WARN("MADT: %u stray byte(s) at offset %u, ignored", left, off);
            out->skipped++;
            break;
        }
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || elen > left) {
            ACPI_WARN("MADT entry type 0x%x at offset %u: length %u (%u bytes left), walk "
                      "stopped", type, off, elen, left);
            out->skipped++;
            break;
        }
        uint8_t min = type < ARRAY_SIZE(madt_min_len) ? madt_min_len[type] : 0;
        if (min == 0) {
            ACPI_WARN("MADT entry type 0x%x at offset %u not used, skipped", type, off);
            out->skipped++;
        } else if (elen < min) {
            ACPI_WARN("MADT entry type 0x%x at offset %u: length %u < %u, skipped", type, off,
                      elen, min);
            out->skipped++;
        } else {
            madt_entry(t + off, off, out, &d);
        }
        off += elen;
    }

    report_dropped("CPUs", d.cpus, out->ncpus);
    report_dropped("I/O APICs", d.ioapics, out->nioapics);
    report_dropped("interrupt overrides", d.overrides, out->noverrides);
    report_dropped("local APIC NMIs", d.nmis, out->nnmis);
    report_dropped("NMI sources", d.nmi_sources, out->nnmi_sources);
    if (out->lapic_addr == 0)
        ACPI_WARN("MADT gives no local APIC address");
    return 0;
}
