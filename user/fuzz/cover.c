// SPDX-License-Identifier: MIT
/* cover.c - the manager's global coverage: every kernel block (a 32-bit
 * offset from MOS_KCOV_PC_BASE, never 0) any program has reached, in an
 * open-addressing hash set that is sized once (fz_cover_init, before the
 * leak baseline) and never grows; a full set stops counting new blocks.
 * Not thread-safe (the manager has one thread). */
#include "fuzz.h"

#include "mos_malloc.h"
#include "lib/string.h"

static uint32_t *cov_slot;
static uint32_t cov_mask;
static uint32_t cov_n;
static uint32_t cov_shift;

int fz_cover_init(uint32_t slots_log2)
{
    uint32_t slots = 1u << slots_log2;
    cov_slot = calloc(slots, sizeof *cov_slot);
    if (!cov_slot)
        return -1;
    cov_mask = slots - 1;
    cov_shift = 32 - slots_log2;
    cov_n = 0;
    return 0;
}

uint32_t fz_cover_add(const uint32_t *pcs, uint32_t n)
{
    uint32_t fresh = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t pc = pcs[k];
        if (!pc)
            continue;
        uint32_t i = (pc * 0x9E3779B1u) >> cov_shift;
        for (;;) {
            uint32_t cur = cov_slot[i];
            if (cur == pc)
                break;
            if (cur == 0) {
                if (cov_n >= cov_mask - cov_mask / 4)
                    break;              /* full: stop counting */
                cov_slot[i] = pc;
                cov_n++;
                fresh++;
                break;
            }
            i = (i + 1) & cov_mask;
        }
    }
    return fresh;
}

uint32_t fz_cover_count(void)
{
    return cov_n;
}

uint32_t fz_cover_sorted(uint32_t *out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i <= cov_mask && n < max; i++) {
        if (cov_slot[i])
            out[n++] = cov_slot[i];
    }
    /* Shell sort: runs once, at the end. */
    for (uint32_t gap = n / 2; gap; gap /= 2) {
        for (uint32_t i = gap; i < n; i++) {
            uint32_t v = out[i], j = i;
            while (j >= gap && out[j - gap] > v) {
                out[j] = out[j - gap];
                j -= gap;
            }
            out[j] = v;
        }
    }
    return n;
}
