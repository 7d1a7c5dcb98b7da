/* SPDX-License-Identifier: MIT */
/* bits.h - bit counting without libgcc (the kernel links no runtime
 * library, and __builtin_popcount may call one). Pure. */
#pragma once

#include "lib/types.h"

static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}
