// SPDX-License-Identifier: MIT
/* kstats.c - where the live counters go (kstats.h). */
#include "lib/kstats.h"

struct mos_kinfo *kstats;        /* the kernel information page, once phase 5 made it */
