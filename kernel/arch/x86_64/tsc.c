// SPDX-License-Identifier: MIT
/* tsc.c - TSC frequency and the kernel clock now_ns(). Conversions use a
 * 32.32 fixed-point multiplier so they cost one multiply. Calibration
 * against the PIT (channel 2, gate through port 0x61, mode 0) takes the best
 * of five 10 ms windows. */
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/cpu.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "sched/clock.h"

#define PIT_HZ        1193182u
#define PIT_CH2       0x42
#define PIT_CMD       0x43
#define PIT_GATE      0x61

static uint64_t tsc_hz;
static uint64_t tsc_boot;
static uint64_t ns_per_tick_fp;      /* ns per tick, 32.32 */
static uint64_t ticks_per_ns_fp;     /* ticks per ns, 32.32 */
static const char *source = "none";

uint64_t tsc_freq_hz(void) { return tsc_hz; }
const char *tsc_source(void) { return source; }

static uint64_t from_cpuid(void)
{
    uint32_t max, b, c, d, a;
    cpuid(0, 0, &max, &b, &c, &d);
    if (max >= 0x15) {
        uint32_t den, num, crystal;
        cpuid(0x15, 0, &den, &num, &crystal, &d);
        if (den && num && crystal) {
            source = "CPUID 0x15";
            return (uint64_t)crystal * num / den;
        }
    }
    if (max >= 0x16) {
        cpuid(0x16, 0, &a, &b, &c, &d);
        if (a & 0xFFFF) {
            source = "CPUID 0x16";
            return (uint64_t)(a & 0xFFFF) * 1000000;
        }
    }
    return 0;
}

/* TSC ticks during `count` PIT ticks, measured once. */
static uint64_t pit_window(uint16_t count)
{
    uint8_t gate = inb(PIT_GATE);
    outb(PIT_GATE, (uint8_t)((gate & ~0x02) | 0x01));     /* speaker off, gate on */
    outb(PIT_CMD, 0xB0);                                   /* ch2, lo/hi, mode 0, binary */
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    /* Restart the count: drop and raise the gate. */
    gate = inb(PIT_GATE);
    outb(PIT_GATE, gate & ~0x01);
    outb(PIT_GATE, gate | 0x01);
    uint64_t t0 = rdtsc();
    uint64_t guard = 0;
    while (!(inb(PIT_GATE) & 0x20) && ++guard < 100000000)
        ;
    return rdtsc() - t0;
}

static uint64_t from_pit(void)
{
    const uint16_t count = PIT_HZ / 100;                   /* 10 ms */
    uint64_t best = ~0ull;
    for (int i = 0; i < 5; i++) {
        uint64_t t = pit_window(count);
        if (t < best)
            best = t;
    }
    source = "PIT calibration";
    return best * PIT_HZ / count;
}

/* a / b as 32.32 fixed point, without 128-bit division (no libgcc here). */
uint64_t fp_ratio(uint64_t a, uint64_t b)
{
    uint64_t q = a / b, r = a % b;
    uint64_t frac = 0;
    for (int i = 0; i < 32; i++) {       /* long division, one bit at a time */
        r <<= 1;
        frac <<= 1;
        if (r >= b) {
            r -= b;
            frac |= 1;
        }
    }
    return (q << 32) + frac;
}

uint64_t tsc_ns_to_ticks(uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * ticks_per_ns_fp) >> 32);
}

uint64_t tsc_ticks_to_ns(uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_fp) >> 32);
}

static uint64_t tsc_now_ns(void)
{
    return tsc_ticks_to_ns(rdtsc() - tsc_boot);
}

uint64_t tsc_deadline_for(uint64_t ns_abs)
{
    return tsc_boot + tsc_ns_to_ticks(ns_abs);
}

void tsc_init(void)
{
    tsc_boot = 0;                    /* now_ns counts from TSC 0 = CPU reset */
    tsc_hz = from_cpuid();
    if (!tsc_hz)
        tsc_hz = from_pit();
    if (tsc_hz < 1000000)
        panic("tsc: implausible TSC frequency %llu Hz (%s)", (unsigned long long)tsc_hz, source);
    ns_per_tick_fp = fp_ratio(1000000000, tsc_hz);
    ticks_per_ns_fp = fp_ratio(tsc_hz, 1000000000);
    clock_register(tsc_now_ns);
}
