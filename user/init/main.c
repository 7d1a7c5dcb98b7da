// SPDX-License-Identifier: MIT
/* init - placeholder for the first process: says it reached ring 3 and then
 * waits forever. The real init (manifest, services, restarts) replaces it. */
#include "mos_lib.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("init: hello from ring 3\n");
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}
