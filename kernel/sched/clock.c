// SPDX-License-Identifier: MIT
/* clock.c - now_ns() over whichever source the platform registered (the
 * TSC on x86_64), made monotonic per call site by never going backwards. */
#include "sched/clock.h"
#include "lib/log.h"

static uint64_t (*clock_source)(void);

uint64_t now_ns(void)
{
    return clock_source ? clock_source() : 0;
}

void clock_register(uint64_t (*source)(void))
{
    clock_source = source;
    log_set_clock(source);
}
