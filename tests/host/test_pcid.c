// SPDX-License-Identifier: MIT
/* test_pcid.c - host tests of the PCID allocator (kernel/arch/x86_64/pcid.c):
 * nothing is handed out before pcid_init (no PCID on the CPU); PCID 0 never
 * is; every live PCID is unique; a freed PCID is not reused before the
 * flush hook ran, and the hook runs exactly when no clean PCID is left and
 * some freed one exists; frees of 0, of out-of-range and of free PCIDs
 * change nothing; and a seeded random sequence against a reference model
 * that tracks, per PCID, "live", "freed since the last flush" or "clean".
 * Set TEST_SEED=n to replay the random test; its seed is printed on
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "arch/x86_64/pcid.h"

#define N PCID_COUNT

static unsigned flushes;
/* The model: 0 clean, 1 live, 2 freed (maybe cached somewhere). */
static unsigned char state[N];

static void flush_hook(void)
{
    flushes++;
    for (unsigned i = 1; i < N; i++)
        if (state[i] == 2)
            state[i] = 0;
}

static int setup(void **ctx)
{
    (void)ctx;
    flushes = 0;
    memset(state, 0, sizeof state);
    pcid_init(flush_hook);
    return 0;
}

/* Take one PCID and check it against the model. */
static uint16_t take(void)
{
    uint16_t id = pcid_alloc();
    if (id) {
        assert_true(id < N);
        assert_int_equal(state[id], 0);     /* neither live nor freed-unflushed */
        state[id] = 1;
    }
    return id;
}

static void give(uint16_t id)
{
    pcid_free(id);
    if (id && id < N && state[id] == 1)
        state[id] = 2;
}

static void nothing_without_init(void **ctx)
{
    (void)ctx;
    pcid_init(NULL);
    for (int i = 0; i < 10; i++)
        assert_int_equal(pcid_alloc(), 0);
    assert_int_equal(pcid_stats().used, 0);
}

static void all_unique_then_zero(void **ctx)
{
    (void)ctx;
    for (unsigned i = 1; i < N; i++)
        assert_int_not_equal(take(), 0);
    assert_int_equal(pcid_stats().used, N - 1);
    assert_int_equal(state[0], 0);          /* 0 was never handed out */
    /* Exhausted with nothing freed: 0 ("none"), and no pointless flush. */
    assert_int_equal(pcid_alloc(), 0);
    assert_int_equal(flushes, 0);
}

static void freed_waits_for_the_flush(void **ctx)
{
    (void)ctx;
    for (unsigned i = 1; i < N; i++)
        take();
    give(7);
    give(4000);
    assert_int_equal(pcid_stats().dirty, 2);
    assert_int_equal(flushes, 0);
    /* Nothing clean left: one flush, then the freed ones come back. */
    uint16_t a = take(), b = take();
    assert_int_equal(flushes, 1);
    assert_true((a == 7 && b == 4000) || (a == 4000 && b == 7));
    assert_int_equal(pcid_alloc(), 0);
    assert_int_equal(flushes, 1);
    assert_int_equal(pcid_stats().flushes, 1);
}

static void clean_ones_first(void **ctx)
{
    (void)ctx;
    uint16_t a = take();
    give(a);
    /* Plenty of clean PCIDs: the freed one is not taken, nothing flushed. */
    for (unsigned i = 0; i < 100; i++)
        assert_int_not_equal(take(), a);
    assert_int_equal(flushes, 0);
}

static void bad_frees_change_nothing(void **ctx)
{
    (void)ctx;
    uint16_t a = take();
    struct pcid_stats s = pcid_stats();
    pcid_free(0);
    pcid_free(N);
    pcid_free(0xFFFF);
    pcid_free((uint16_t)(a + 1));           /* never handed out */
    struct pcid_stats t = pcid_stats();
    assert_int_equal(s.used, t.used);
    assert_int_equal(s.dirty, t.dirty);
    give(a);
    pcid_free(a);                           /* twice: the second does nothing */
    assert_int_equal(pcid_stats().dirty, 1);
    assert_int_equal(pcid_stats().used, 0);
}

static void random_against_model(void **ctx)
{
    (void)ctx;
    const char *env = getenv("TEST_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
    srand(seed);
    print_message("random_against_model: seed %u (TEST_SEED to replay)\n", seed);
    uint16_t *live = malloc(N * sizeof *live);
    assert_non_null(live);
    unsigned nlive = 0;
    for (int step = 0; step < 200000; step++) {
        if (nlive && (rand() % 100 < 45 || nlive == N - 1)) {
            unsigned k = (unsigned)rand() % nlive;
            give(live[k]);
            live[k] = live[--nlive];
        } else {
            unsigned clean = 0, freed = 0;
            for (unsigned i = 1; i < N; i++) {
                clean += state[i] == 0;
                freed += state[i] == 2;
            }
            unsigned before = flushes;
            uint16_t id = take();
            if (clean) {
                assert_int_not_equal(id, 0);
                assert_int_equal(flushes, before);
            } else if (freed) {
                assert_int_not_equal(id, 0);
                assert_int_equal(flushes, before + 1);
            } else {
                assert_int_equal(id, 0);
            }
            if (id)
                live[nlive++] = id;
        }
        assert_int_equal(pcid_stats().used, nlive);
    }
    free(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_without_init),
        cmocka_unit_test_setup(all_unique_then_zero, setup),
        cmocka_unit_test_setup(freed_waits_for_the_flush, setup),
        cmocka_unit_test_setup(clean_ones_first, setup),
        cmocka_unit_test_setup(bad_frees_change_nothing, setup),
        cmocka_unit_test_setup(random_against_model, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
