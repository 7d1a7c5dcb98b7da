// SPDX-License-Identifier: MIT
/* pcid.c - PCID allocation. Two bitmaps: used (a live space has it) and
 * dirty (its space is gone, but some CPU may still hold TLB or
 * paging-structure entries tagged with it, pointing into freed tables).
 * Allocation is next-fit over PCIDs that are neither; when none is left,
 * one flush of every CPU (flush_all) makes all dirty PCIDs clean at once,
 * so a flush round costs one IPI broadcast per PCID_COUNT-1 spaces that
 * died, not one per death. */
#include "arch/x86_64/pcid.h"

#define WORDS (PCID_COUNT / 64)

static uint64_t used[WORDS], dirty[WORDS];
static uint32_t next_word;                  /* where the next search starts */
static void (*flush_hook)(void);
static struct pcid_stats stats;

void pcid_init(void (*flush_all)(void))
{
    for (unsigned i = 0; i < WORDS; i++)
        used[i] = dirty[i] = 0;
    used[0] = 1;                            /* PCID 0: the kernel's */
    next_word = 0;
    flush_hook = flush_all;
    stats = (struct pcid_stats){ 0 };
}

static uint16_t take_clean(void)
{
    for (unsigned k = 0; k < WORDS; k++) {
        unsigned w = (next_word + k) % WORDS;
        uint64_t busy = used[w] | dirty[w];
        if (busy != ~0ull) {
            unsigned bit = (unsigned)__builtin_ctzll(~busy);
            used[w] |= 1ull << bit;
            next_word = w;
            stats.used++;
            return (uint16_t)(w * 64 + bit);
        }
    }
    return 0;
}

uint16_t pcid_alloc(void)
{
    if (!flush_hook)
        return 0;
    uint16_t id = take_clean();
    if (id || !stats.dirty)
        return id;
    flush_hook();
    stats.flushes++;
    for (unsigned i = 0; i < WORDS; i++)
        dirty[i] = 0;
    stats.dirty = 0;
    return take_clean();
}

void pcid_free(uint16_t pcid)
{
    if (!pcid || pcid >= PCID_COUNT)
        return;
    uint64_t bit = 1ull << (pcid % 64);
    unsigned w = pcid / 64;
    if (!(used[w] & bit))
        return;
    used[w] &= ~bit;
    dirty[w] |= bit;
    stats.used--;
    stats.dirty++;
}

struct pcid_stats pcid_stats(void)
{
    return stats;
}

bool pcid_enabled(void)
{
    return flush_hook != NULL;
}
