/* SPDX-License-Identifier: MIT */
/* tsc.h - time from the time-stamp counter: the frequency comes from CPUID
 * leaves 0x15/0x16 where they give it, otherwise from calibration against
 * the PIT. now_ns() is monotonic and shared by all CPUs (QEMU and modern
 * CPUs keep the TSCs in step; the boot log says whether it is invariant). */
#pragma once

#include "lib/types.h"

void tsc_init(void);                 /* BSP, phase 4 */
uint64_t tsc_freq_hz(void);
const char *tsc_source(void);        /* "CPUID 0x15", "CPUID 0x16", "PIT calibration" */
uint64_t tsc_ns_to_ticks(uint64_t ns);
uint64_t tsc_ticks_to_ns(uint64_t ticks);
uint64_t tsc_deadline_for(uint64_t ns_abs);
/* a / b as a 32.32 fixed-point number (a / b < 2^32). */
uint64_t fp_ratio(uint64_t a, uint64_t b);   /* TSC value at which now_ns() == ns_abs */
