// SPDX-License-Identifier: MIT
/* test_net_hosts.c - user/lib/net_hosts.c, the hosts-file table of
 * net_resolve(): names and aliases, case, comments, tabs and CRLF, the
 * first matching line wins, lines with a bad address are skipped, a text
 * without a final newline, a NUL inside the text, names that are a prefix
 * of a field, empty and overlong names; and a seeded random run
 * (NET_HOSTS_SEED=n) of garbage texts in exactly-sized heap buffers (ASan
 * catches any read past the end) that only ever answers 0 or ENOENT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "net_client.h"

static long look(const char *text, const char *name, uint32_t *a)
{
    *a = 0xDEADBEEFu;
    return net_hosts_lookup(text, strlen(text), name, a);
}

static const char HOSTS[] =
    "# a comment line\n"
    "127.0.0.1   localhost\n"
    "\n"
    "10.0.2.2\tgateway  qemu-host\t# trailing comment names-nothing\n"
    "10.0.2.100 testhost\r\n"
    "300.1.1.1 toobig\n"
    "1.2.3 short\n"
    "1.2.3.4.5 long\n"
    "a.b.c.d letters\n"
    "10.0.0.7 dup\n"
    "10.0.0.8 dup\n"
    "   192.168.1.1   indented";            /* no final newline */

static void finds_names_and_aliases(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(look(HOSTS, "localhost", &a), 0);
    assert_int_equal(a, NET_IPV4(127, 0, 0, 1));
    assert_int_equal(look(HOSTS, "gateway", &a), 0);
    assert_int_equal(a, NET_IPV4(10, 0, 2, 2));
    assert_int_equal(look(HOSTS, "qemu-host", &a), 0);
    assert_int_equal(a, NET_IPV4(10, 0, 2, 2));
    assert_int_equal(look(HOSTS, "TestHost", &a), 0);       /* case; CRLF */
    assert_int_equal(a, NET_IPV4(10, 0, 2, 100));
    assert_int_equal(look(HOSTS, "dup", &a), 0);            /* the first line wins */
    assert_int_equal(a, NET_IPV4(10, 0, 0, 7));
    assert_int_equal(look(HOSTS, "indented", &a), 0);
    assert_int_equal(a, NET_IPV4(192, 168, 1, 1));
}

static void refuses_what_is_not_there(void **state)
{
    (void)state;
    uint32_t a;
    const char *missing[] = { "names-nothing", "comment", "toobig", "short", "long", "letters", "local",
                              "localhostx", "gate", "127.0.0.1", "#", "a" };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        assert_int_equal(look(HOSTS, missing[i], &a), -MOS_ENOENT);
        assert_int_equal(a, 0xDEADBEEFu);               /* untouched */
    }
    assert_int_equal(look("", "localhost", &a), -MOS_ENOENT);
    assert_int_equal(net_hosts_lookup(NULL, 0, "x", &a), -MOS_ENOENT);
    /* A NUL ends the text: the line after it is not read. */
    static const char nul[] = "1.1.1.1 one\n\0" "2.2.2.2 two\n";
    assert_int_equal(net_hosts_lookup(nul, sizeof nul - 1, "two", &a), -MOS_ENOENT);
    assert_int_equal(net_hosts_lookup(nul, sizeof nul - 1, "one", &a), 0);
    /* The length is obeyed: a name cut by it is not the name. */
    static const char cut[] = "1.1.1.1 abcdef\n";
    assert_int_equal(net_hosts_lookup(cut, 11, "abcdef", &a), -MOS_ENOENT);
    assert_int_equal(net_hosts_lookup(cut, 11, "abc", &a), 0);
}

static void bad_arguments(void **state)
{
    (void)state;
    uint32_t a;
    char big[NET_NAME_MAX + 8];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(look(HOSTS, "", &a), -MOS_EINVAL);
    assert_int_equal(look(HOSTS, big, &a), -MOS_EINVAL);
    assert_int_equal(net_hosts_lookup(NULL, 5, "x", &a), -MOS_EINVAL);
    assert_int_equal(net_hosts_lookup(HOSTS, 3, NULL, &a), -MOS_EINVAL);
    assert_int_equal(net_hosts_lookup(HOSTS, 3, "x", NULL), -MOS_EINVAL);
}

static void random_texts(void **state)
{
    (void)state;
    const char *seed_env = getenv("NET_HOSTS_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 0) : (unsigned)time(NULL);
    srand(seed);
    static const char alphabet[] = "0123456789..  \t\n#abcXYZ-\r";
    const char *names[] = { "a", "abc", "X", "1.2.3.4", "zz-9" };
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rand() % 200);
        char *t = malloc(len ? len : 1);
        assert_non_null(t);
        for (size_t i = 0; i < len; i++)
            t[i] = rand() % 50 == 0 ? (char)(rand() & 0xFF) : alphabet[rand() % (int)(sizeof alphabet - 1)];
        uint32_t a = 0;
        long r = net_hosts_lookup(t, len, names[rand() % 5], &a);
        if (r != 0 && r != -MOS_ENOENT)
            fail_msg("seed %u round %d: %ld", seed, round, r);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_names_and_aliases),
        cmocka_unit_test(refuses_what_is_not_there),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(random_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
