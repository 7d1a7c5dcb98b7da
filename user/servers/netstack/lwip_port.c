// SPDX-License-Identifier: MIT
/* lwip_port.c - what lwIP asks of its platform (port/arch/cc.h): the clock
 * (sys_now, milliseconds from the kernel information page's TSC scale),
 * randomness, diagnostics and assertions, and atoi. lwIP runs with NO_SYS=1
 * in the netstack's one thread, so there is nothing to lock. */
#include "ns.h"
#include "lwip/sys.h"
#include "arch/cc.h"
#include <stdlib.h>

uint64_t ns_now_ns(void)
{
    const struct mos_kinfo *ki = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc() - ki->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * ki->tsc_mult) >> 32);
}

uint32_t ns_now_ms(void)
{
    return (uint32_t)(ns_now_ns() / 1000000u);
}

u32_t sys_now(void)
{
    return ns_now_ms();
}

/* xorshift64*, seeded from the TSC at the first call and stirred with it at
 * every call: unpredictable enough for initial sequence numbers and DNS ids
 * against off-path guessing, which is all lwIP asks of it. */
uint32_t netstack_rand(void)
{
    static uint64_t x;
    x ^= __builtin_ia32_rdtsc();
    if (!x)
        x = 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

void netstack_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("netstack: lwip: ");
    vprintf(fmt, ap);
    va_end(ap);
}

void netstack_assert_fail(const char *msg, int line, const char *file)
{
    printf("netstack: lwIP assertion failed: %s (%s:%d)\n", msg, file, line);
    mos_abort("lwIP assertion");
}

int atoi(const char *s)
{
    int v = 0, neg = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}
