// SPDX-License-Identifier: MIT
/* good.c - the second client of the corrupted-message test: it waits until
 * the attacker (badmsg) has ended, then makes a well-formed request to every
 * service it holds a capability for; each must be answered correctly. */
#include "badmsg.h"

void bm_good(mos_handle_t init)
{
    static const char *const caps[] = { "console", "vfs", "init", "pci", "net", "netdev" };
    struct init_proc p;
    uint64_t waited = 0;
    while (bm_ps(init, "badmsg", &p) && p.state == MOS_PROC_ALIVE && waited < 120000) {
        (void)mos_thread_block(10 * 1000000ull);
        waited += 10;
    }
    bm_result("good", "attacker-ended", bm_ps(init, "badmsg", &p) && p.state == MOS_PROC_DEAD,
              "badmsg still running after %llu ms (or unknown)", (unsigned long long)waited);
    for (unsigned i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        mos_handle_t ep = mos_cap_by_name(caps[i]);
        if (!ep) {
            printf("TEST badmsg/good/%s SKIP no \"%s\" capability\n", caps[i], caps[i]);
            continue;
        }
        long e = bm_wellformed(caps[i], ep);
        bm_result("good", caps[i], e == 0, "a well-formed request: %s", e == 1 ? "wrong answer" : mos_strerror(e));
    }
}
