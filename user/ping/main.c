// SPDX-License-Identifier: MIT
/* ping - ICMP echo through the netstack (NET_PING): one request per
 * interval, the round-trip time of each answer, and a summary.
 *   ping [-c count] [-s bytes] [-i interval_ms] [-W timeout_ms] host
 * host is a dotted quad or a name (DNS). Exit code 0 if any answer came,
 * 1 if none, 2 for bad usage. Needs "net"; prints to the "console". */
#include "mos_lib.h"
#include "console_client.h"
#include "net_client.h"

/* "12.345" (milliseconds with three decimals) from nanoseconds. */
static const char *ms3(uint64_t ns, char *buf, size_t n)
{
    uint64_t us = ns / 1000u;
    snprintf(buf, n, "%llu.%03llu", (unsigned long long)(us / 1000u), (unsigned long long)(us % 1000u));
    return buf;
}

int main(int argc, char **argv)
{
    if (con_init() == 0)
        con_use_for_stdout();
    uint32_t count = 4, bytes = 56, interval = 1000, timeout = 2000;
    const char *host = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint32_t *dst = NULL, max = 0;
        if (strcmp(a, "-c") == 0)
            dst = &count, max = 100000;
        else if (strcmp(a, "-s") == 0)
            dst = &bytes, max = NET_PING_MAX;
        else if (strcmp(a, "-i") == 0)
            dst = &interval, max = 60000;
        else if (strcmp(a, "-W") == 0)
            dst = &timeout, max = 60000;
        else if (a[0] != '-' && !host)
            host = a;
        else
            host = NULL, i = argc;
        uint64_t v;
        if (dst && !(i + 1 < argc && mos_parse_u64(argv[++i], max, &v))) {
            host = NULL;
            break;
        }
        if (dst)
            *dst = (uint32_t)v;
    }
    if (!host || count == 0 || timeout == 0) {
        printf("usage: ping [-c count] [-s bytes] [-i interval_ms] [-W timeout_ms] host\n");
        return 2;
    }
    uint32_t addr;
    long r = net_resolve(host, &addr);
    if (r < 0) {
        printf("ping: %s: %s\n", host, mos_strerror(r));
        return 1;
    }
    char a[16], t[32];
    printf("PING %s (%s): %u data bytes\n", host, net_ntoa(addr, a), bytes);
    uint32_t got = 0;
    uint64_t min = UINT64_MAX, max = 0, sum = 0;
    for (uint32_t seq = 1; seq <= count; seq++) {
        struct net_ping_result res;
        r = net_ping(addr, bytes, timeout, (uint16_t)seq, &res);
        if (r == 0) {
            got++;
            min = res.rtt_ns < min ? res.rtt_ns : min;
            max = res.rtt_ns > max ? res.rtt_ns : max;
            sum += res.rtt_ns;
            printf("%u bytes from %s: icmp_seq=%u ttl=%u time=%s ms\n", res.bytes + 8, a, seq, res.ttl,
                   ms3(res.rtt_ns, t, sizeof t));
        } else {
            printf("from %s: icmp_seq=%u: %s\n", a, seq, mos_strerror(r));
            if (r == -MOS_ENOENT || r == -MOS_EDEAD)
                break;
        }
        if (seq < count && interval)
            (void)mos_thread_block((uint64_t)interval * 1000000u);
    }
    printf("--- %s ping statistics ---\n", host);
    printf("%u packets transmitted, %u received, %u%% packet loss\n", count, got,
           (count - got) * 100u / count);
    if (got) {
        char x[32], y[32];
        printf("rtt min/avg/max = %s/%s/%s ms\n", ms3(min, t, sizeof t), ms3(sum / got, x, sizeof x),
               ms3(max, y, sizeof y));
    }
    return got ? 0 : 1;
}
