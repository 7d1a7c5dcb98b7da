/* SPDX-License-Identifier: MIT */
/* pcicap.h - walking the capability list of a function's configuration
 * space, from a 256-byte snapshot (pcicap.c). Used by the pci service (log
 * lines) and by drivers, which read their config space through the pci
 * service and must not trust it: the list may loop, point into the header
 * or off the end. Pure; host-tested by tests/host/test_pci_caps.c. */
#pragma once

#include <stdint.h>

#define PCICAP_MAX 48u              /* (256 - 64) / 4: more entries means a loop */

struct pcicap {
    uint8_t offset;                 /* of the capability header (id, next) */
    uint8_t id;                     /* PCI_CAP_ID_* */
};

/* Walk the list of cfg[0..256). Returns the number of entries stored in
 * out[0..max) (the list may be empty: status bit 4 clear or pointer 0), or
 * -MOS_EINVAL when the list is malformed: a pointer below 0x40 (into the
 * standard header) or one seen before (a loop; so there are never more
 * than PCICAP_MAX entries); out[] then holds the entries before the fault.
 * The two low bits of each pointer are reserved and masked off, as the PCI
 * specification tells software to do, so every offset is dword-aligned
 * and its 4-byte header lies inside the snapshot. More than max entries:
 * -MOS_EOVERFLOW. A capability's own length (vendor capabilities) is the
 * caller's to check against the 256 bytes. */
int pcicap_walk(const uint8_t cfg[256], struct pcicap *out, unsigned max);

/* Little-endian reads from a snapshot at off (which the caller has checked
 * lies inside it). */
static inline uint16_t pcicap_rd16(const uint8_t *cfg, unsigned off)
{
    return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}
static inline uint32_t pcicap_rd32(const uint8_t *cfg, unsigned off)
{
    return (uint32_t)cfg[off] | (uint32_t)cfg[off + 1] << 8 | (uint32_t)cfg[off + 2] << 16 |
           (uint32_t)cfg[off + 3] << 24;
}
