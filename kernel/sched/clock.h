/* SPDX-License-Identifier: MIT */
/* clock.h - the kernel's monotonic clock: nanoseconds since the CPU came out
 * of reset (0 until phase 4 registers a source). */
#pragma once

#include "lib/types.h"

uint64_t now_ns(void);
void clock_register(uint64_t (*source)(void));
