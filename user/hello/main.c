// SPDX-License-Identifier: MIT
/* hello - the first user program: prints its arguments and the
 * capabilities it was given, exercises malloc, and exits with 0. A smoke
 * test of the start-up path (crt0, start block, argv, named capabilities),
 * printf (to the "console" when it has one, as when the shell runs it;
 * else over debug_write) and the heap. */
#include "mos_lib.h"
#include "console_client.h"

int main(int argc, char **argv)
{
    if (mos_cap_by_name("console") && con_init() == 0)
        con_use_for_stdout();
    printf("hello: hello, world from ring 3 (argc %d)\n", argc);
    for (int i = 0; i < argc; i++)
        printf("hello: argv[%d] = \"%s\"\n", i, argv[i]);

    const struct mos_start *sb = mos_start_block();
    if (sb) {
        const char *const *caps = (const char *const *)(uintptr_t)sb->caps;
        for (uint32_t i = 0; i < sb->ncaps; i++)
            printf("hello: capability %s\n", caps[i]);
    }

    /* The heap: a few blocks, one grown, all freed, invariants checked. */
    char *a = malloc(100);
    char *b = calloc(10, 1000);
    if (!a || !b) {
        printf("hello: malloc failed\n");
        return 1;
    }
    snprintf(a, 100, "%s", "heap ok");
    a = realloc(a, 100000);
    if (!a || strcmp(a, "heap ok") != 0 || b[9999] != 0) {
        printf("hello: realloc lost data\n");
        return 1;
    }
    free(a);
    free(b);
    int bad = mos_heap_check();
    printf("hello: %s\n", bad ? "heap check FAILED" : "heap ok");
    return bad ? 1 : 0;
}
