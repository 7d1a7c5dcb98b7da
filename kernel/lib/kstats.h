/* SPDX-License-Identifier: MIT */
/* kstats.h - live counters mirrored into the kernel information page (so
 * userspace can watch free frames, heap use and object counts). Before
 * phase 5 maps that page they go nowhere. KSTAT_SET: a store per update, no
 * lock: each counter has one writer under its module's lock. KSTAT_ADD: an
 * atomic add for counters changed without one lock (so the page's value is
 * exact once the changes stop; kinfo_init seeds it from the module's own). */
#pragma once

#include <mos/kinfo.h>

#ifdef HOST_TEST
#define KSTAT_SET(field, value) ((void)(value))
#define KSTAT_ADD(field, delta) ((void)(delta))
#else
extern struct mos_kinfo *kstats;

#define KSTAT_SET(field, value) do { if (kstats) kstats->field = (value); } while (0)
#define KSTAT_ADD(field, delta) \
    do { if (kstats) __atomic_add_fetch(&kstats->field, (uint64_t)(delta), __ATOMIC_RELAXED); } while (0)
#endif
