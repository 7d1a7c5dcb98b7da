/* SPDX-License-Identifier: MIT */
/* kstats.h - live counters mirrored into the kernel information page (so
 * userspace can watch free frames, heap use and object counts). Before
 * phase 5 maps that page they go nowhere. A store per update, no lock: each
 * counter has one writer under its module's lock. */
#pragma once

#include <mos/kinfo.h>

#ifdef HOST_TEST
#define KSTAT_SET(field, value) ((void)(value))
#else
extern struct mos_kinfo *kstats;

#define KSTAT_SET(field, value) do { if (kstats) kstats->field = (value); } while (0)
#endif
