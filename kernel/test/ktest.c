// SPDX-License-Identifier: MIT
/* ktest.c - the in-kernel test runner: walks the .ktests section (sorted by
 * name at link time) and reports each test on serial for tests/run_all.py. */
#include "test/ktest.h"
#include "lib/kprintf.h"
#include "lib/string.h"

extern const struct ktest __ktests_start[], __ktests_end[];

bool ktest_exact_time = true;

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
    if (t->failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = ksnprintf(t->first_failure, sizeof t->first_failure, "%s:%d: ", file, line);
        if (n > 0 && (size_t)n < sizeof t->first_failure)
            kvsnprintf(t->first_failure + n, sizeof t->first_failure - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

unsigned ktest_run_all(const char *filter)
{
    unsigned passed = 0, failed = 0, skipped = 0;
    size_t flen = strlen(filter);
    for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
        if (strncmp(k->name, filter, flen) != 0)
            continue;
        struct ktest_ctx t = { .name = k->name };
        kprintf("ktest: running %s\n", k->name);
        k->fn(&t);
        if (t.skipped && !t.failures) {
            kprintf("TEST %s SKIP %s\n", k->name, t.first_failure);
            skipped++;
        } else if (t.failures) {
            kprintf("TEST %s FAIL %s\n", k->name, t.first_failure);
            failed++;
        } else {
            kprintf("TEST %s ok\n", k->name);
            passed++;
        }
    }
    kprintf("KTEST DONE %u passed, %u failed, %u skipped\n", passed, failed, skipped);
    return failed;
}
