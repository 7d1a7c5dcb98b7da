// SPDX-License-Identifier: MIT
/* test_parse.c - host tests of mos_parse_u64 (user/lib/parse.c): the
 * accepted range up to max exactly, one past max and 2^64 refused, and
 * every malformed argument (empty, NULL, signs, spaces, other characters)
 * refused without touching *out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "mos_string.h"

static void accepts_up_to_max(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_true(mos_parse_u64("0", 0, &v));
    assert_int_equal(v, 0);
    assert_true(mos_parse_u64("3600", 3600, &v));
    assert_int_equal(v, 3600);
    assert_true(mos_parse_u64("007", 7, &v));
    assert_int_equal(v, 7);
    assert_true(mos_parse_u64("18446744073709551615", UINT64_MAX, &v));
    assert_true(v == UINT64_MAX);
}

static void refuses_past_max(void **state)
{
    (void)state;
    uint64_t v = 42;
    assert_false(mos_parse_u64("3601", 3600, &v));
    assert_false(mos_parse_u64("9", 5, &v));            /* one digit above a small max */
    assert_false(mos_parse_u64("10", 9, &v));
    assert_false(mos_parse_u64("18446744073709551616", UINT64_MAX, &v));    /* 2^64 */
    assert_false(mos_parse_u64("99999999999999999999999", UINT64_MAX, &v));
    assert_int_equal(v, 42);
}

static void refuses_malformed(void **state)
{
    (void)state;
    uint64_t v = 42;
    const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.5", "a" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mos_parse_u64(bad[i], UINT64_MAX, &v));
    assert_false(mos_parse_u64(NULL, UINT64_MAX, &v));
    assert_int_equal(v, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_up_to_max),
        cmocka_unit_test(refuses_past_max),
        cmocka_unit_test(refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
