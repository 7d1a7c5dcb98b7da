// SPDX-License-Identifier: MIT
/* pcicap.c - the capability list walker (pcicap.h). The list starts at the
 * pointer at 0x34 (0x14 for a CardBus header) when status bit 4 says there
 * is one; each entry is (id, next). Invariants on what it returns: every
 * offset is dword-aligned, at least 0x40 and at most 0xFC (so the 4-byte
 * header is inside the snapshot), and no offset repeats. Pure. */
#include "pcicap.h"

#include <stdbool.h>
#include <mos/errors.h>
#include "pci_hw.h"

#define PCICAP_PTR_CARDBUS 0x14u

int pcicap_walk(const uint8_t cfg[256], struct pcicap *out, unsigned max)
{
    if (!(pcicap_rd16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned hdr = cfg[PCI_HEADER_TYPE] & 0x7Fu;
    unsigned ptr = cfg[hdr == PCI_HEADER_CARDBUS ? PCICAP_PTR_CARDBUS : PCI_CAP_PTR] & 0xFCu;
    uint64_t seen = 0;                          /* one bit per dword 0x40..0xFC */
    unsigned n = 0;
    while (ptr != 0) {
        if (ptr < 0x40)
            return -MOS_EINVAL;                 /* into the standard header */
        uint64_t bit = 1ull << ((ptr - 0x40) / 4);
        if (seen & bit)
            return -MOS_EINVAL;                 /* a loop */
        seen |= bit;
        if (n == max)
            return -MOS_EOVERFLOW;              /* more than the caller wants */
        out[n].offset = (uint8_t)ptr;
        out[n].id = cfg[ptr];
        n++;
        ptr = cfg[ptr + 1] & 0xFCu;
    }
    return (int)n;
}
