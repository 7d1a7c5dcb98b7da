// SPDX-License-Identifier: MIT
/* test_net_req.c - user/servers/netstack/req.c: every operation of the
 * socket protocol accepts its well-formed request and refuses each way of
 * getting it wrong (unknown operation, payload or capabilities that do not
 * fit, a send where a call is needed, any word out of range, bad names and
 * wait entries), and the NIC region check refuses every broken layout: bad
 * magic or version, ring sizes, rings or buffers outside the region or on
 * top of each other or of the header, buffers too small, counts that
 * overflow. A seeded random run (NET_REQ_SEED=n) throws random requests at
 * ns_req_check and checks it never reads past the payload (ASan) and only
 * ever answers 0, -MOS_EINVAL or -MOS_ENOSYS. */
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
#include "req.h"
#include "netring.h"
#include "proto/netdev.h"

static struct ns_req call(uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    return (struct ns_req){ .op = op, .badge = 0x101, .w = { w0, w1, w2, w3 }, .call = true };
}

static int check(struct ns_req r)
{
    return ns_req_check(&r);
}

static void good_requests_pass(void **state)
{
    (void)state;
    assert_int_equal(check(call(NET_HELLO, 0, 0, 0, 0)), 0);
    struct ns_req h = call(NET_HELLO, 0, 0, 0, 0);
    h.ncaps = 1;
    assert_int_equal(check(h), 0);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_SOCKET, NET_UDP, NET_RING_MIN, NET_RING_MAX, 0)), 0);
    assert_int_equal(check(call(NET_BIND, 0x12345, NET_ADDR_ANY, 65535, 0)), 0);
    assert_int_equal(check(call(NET_LISTEN, 1, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_LISTEN, 1, 65535, 0, 0)), 0);
    assert_int_equal(check(call(NET_ACCEPT, 0xFFFFFFFFull, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_CONNECT, 1, NET_IPV4(10, 0, 2, 2), 80, 0)), 0);
    assert_int_equal(check(call(NET_SHUTDOWN, 1, NET_SHUT_RDWR, 0, 0)), 0);
    assert_int_equal(check(call(NET_CLOSE, 1, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_GETNAME, 1, 1, 0, 0)), 0);
    assert_int_equal(check(call(NET_SETOPT, 1, NET_OPT_BROADCAST, 1, 0)), 0);
    assert_int_equal(check(call(NET_IFINFO, 0, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_PING, NET_ADDR_LOOPBACK, NET_PING_MAX, 60000, 65535)), 0);
    assert_int_equal(check(call(NET_SESSION_NEW, 0, 0, 0, 0)), 0);
    assert_int_equal(check(call(NET_SESSION_END, UINT64_MAX, 0, 0, 0)), 0);
    /* Fire-and-forget forms. */
    struct ns_req c = call(NET_CLOSE, 1, 0, 0, 0);
    c.call = false;
    assert_int_equal(check(c), 0);
    c = call(NET_SESSION_END, 5, 0, 0, 0);
    c.call = false;
    assert_int_equal(check(c), 0);
}

static void bad_shapes_fail(void **state)
{
    (void)state;
    assert_int_equal(check(call(0, 0, 0, 0, 0)), -MOS_ENOSYS);
    assert_int_equal(check(call(NET_OP_COUNT, 0, 0, 0, 0)), -MOS_ENOSYS);
    assert_int_equal(check(call(0xFFFFFFFFu, 0, 0, 0, 0)), -MOS_ENOSYS);
    /* Capabilities where none belong, or too many. */
    struct ns_req r = call(NET_SOCKET, NET_TCP, 0, 0, 0);
    r.ncaps = 1;
    assert_int_equal(check(r), -MOS_EINVAL);
    r = call(NET_HELLO, 0, 0, 0, 0);
    r.ncaps = 2;
    assert_int_equal(check(r), -MOS_EINVAL);
    /* A payload where none belongs, or one that claims bytes without data. */
    uint8_t junk[8] = { 0 };
    r = call(NET_BIND, 1, 0, 80, 0);
    r.data = junk;
    r.bytes = 8;
    assert_int_equal(check(r), -MOS_EINVAL);
    r = call(NET_WAIT, 0, 0, 0, 0);
    r.bytes = 8;
    assert_int_equal(check(r), -MOS_EINVAL);
    /* Sends where the answer comes later or carries something. */
    static const uint32_t calls_only[] = { NET_HELLO, NET_SOCKET, NET_WAIT, NET_RESOLVE, NET_PING,
                                           NET_IFINFO, NET_ACCEPT, NET_SESSION_NEW };
    for (unsigned i = 0; i < sizeof calls_only / sizeof calls_only[0]; i++) {
        r = call(calls_only[i], NET_TCP, 0, 100, 0);
        r.call = false;
        assert_int_equal(check(r), -MOS_EINVAL);
    }
}

static void bad_words_fail(void **state)
{
    (void)state;
    const uint64_t big = 1ull << 32;
    assert_int_equal(check(call(NET_SOCKET, 0, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, 3, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP | big, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP, 4097, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP, 0, NET_RING_MAX * 2, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP, big | 4096, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SOCKET, NET_TCP, 2048, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_BIND, big, 0, 80, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_BIND, 1, big, 80, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_BIND, 1, 0, 65536, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_LISTEN, 1, 65536, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_ACCEPT, big, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_CLOSE, UINT64_MAX, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_CONNECT, 1, big + 1, 80, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_CONNECT, 1, 1, 1ull << 16, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SHUTDOWN, 1, 0, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SHUTDOWN, 1, 4, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_GETNAME, 1, 2, 0, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SETOPT, 1, 0, 1, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SETOPT, 1, NET_OPT_BROADCAST + 1, 1, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_SETOPT, 1, NET_OPT_NODELAY, 2, 0)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_PING, big, 8, 100, 1)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_PING, 1, NET_PING_MAX + 1, 100, 1)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_PING, 1, 8, 0, 1)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_PING, 1, 8, 60001, 1)), -MOS_EINVAL);
    assert_int_equal(check(call(NET_PING, 1, 8, 100, 65536)), -MOS_EINVAL);
}

static int resolve(const char *name, size_t len)
{
    struct ns_req r = call(NET_RESOLVE, 0, 0, 0, 0);
    r.data = (const uint8_t *)name;
    r.bytes = (uint32_t)len;
    return ns_req_check(&r);
}

static void names(void **state)
{
    (void)state;
    assert_int_equal(resolve("localhost", 9), 0);
    assert_int_equal(resolve("localhost", 10), 0);           /* with its NUL */
    assert_int_equal(resolve("a-b_c.d9", 8), 0);
    assert_int_equal(resolve("10.0.2.2", 8), 0);
    assert_int_equal(resolve("", 0), -MOS_EINVAL);
    assert_int_equal(resolve("\0", 1), -MOS_EINVAL);
    assert_int_equal(resolve("a\0b", 3), -MOS_EINVAL);      /* a NUL inside */
    assert_int_equal(resolve("a b", 3), -MOS_EINVAL);
    assert_int_equal(resolve("a/b", 3), -MOS_EINVAL);
    assert_int_equal(resolve("\xff", 1), -MOS_EINVAL);
    static char longname[NET_NAME_MAX + 1];
    memset(longname, 'x', sizeof longname);
    assert_int_equal(resolve(longname, NET_NAME_MAX - 1), 0);
    assert_int_equal(resolve(longname, NET_NAME_MAX), -MOS_EINVAL);
    longname[NET_NAME_MAX - 1] = 0;
    assert_int_equal(resolve(longname, NET_NAME_MAX), 0);    /* 255 chars + NUL */
    assert_int_equal(resolve(longname, NET_NAME_MAX + 1), -MOS_EINVAL);
    char out[NET_NAME_MAX];
    struct ns_req r = call(NET_RESOLVE, 0, 0, 0, 0);
    r.data = (const uint8_t *)"example.org";
    r.bytes = 11;
    ns_req_name(&r, out);
    assert_string_equal(out, "example.org");
    r.bytes = 12;
    r.data = (const uint8_t *)"example.org";               /* with the NUL */
    ns_req_name(&r, out);
    assert_string_equal(out, "example.org");
}

static int wait_req(const struct net_wait_req *e, uint32_t bytes)
{
    struct ns_req r = call(NET_WAIT, 100, 0, 0, 0);
    r.data = (const uint8_t *)e;
    r.bytes = bytes;
    return ns_req_check(&r);
}

static void waits(void **state)
{
    (void)state;
    static struct net_wait_req e[NET_WAIT_MAX + 1];
    for (unsigned i = 0; i <= NET_WAIT_MAX; i++)
        e[i] = (struct net_wait_req){ .id = i, .events = NET_EV_IN | NET_EV_OUT };
    assert_int_equal(wait_req(e, sizeof e[0]), 0);
    assert_int_equal(wait_req(e, NET_WAIT_MAX * sizeof e[0]), 0);
    assert_int_equal(wait_req(e, 0), -MOS_EINVAL);
    assert_int_equal(wait_req(e, (NET_WAIT_MAX + 1) * sizeof e[0]), -MOS_EINVAL);
    assert_int_equal(wait_req(e, 12), -MOS_EINVAL);             /* not whole entries */
    e[3].events = 0x10;
    assert_int_equal(wait_req(e, 4 * sizeof e[0]), -MOS_EINVAL);
    assert_int_equal(wait_req(e, 3 * sizeof e[0]), 0);
    struct ns_req r = call(NET_WAIT, 0, 0, 0, 0);
    r.data = (const uint8_t *)e;
    r.bytes = 2 * sizeof e[0];
    struct net_wait_req x = ns_req_wait_entry(&r, 1);
    assert_int_equal(x.id, 1);
    assert_int_equal(x.events, NET_EV_IN | NET_EV_OUT);
}

static void random_requests(void **state)
{
    (void)state;
    const char *s = getenv("NET_REQ_SEED");
    uint64_t x = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    uint64_t seed = x ? x : 1;
    x = seed;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t bytes = (uint32_t)(x % 600);
        uint8_t *data = bytes ? malloc(bytes) : NULL;   /* exactly `bytes`: ASan sees overreads */
        for (uint32_t k = 0; k < bytes; k++)
            data[k] = (uint8_t)(x >> (k % 56));
        struct ns_req r = {
            .op = (uint32_t)(x >> 8) % (NET_OP_COUNT + 2),
            .w = { x >> (x % 64), x % 70000, (x >> 3) % 300000, x },
            .data = data, .bytes = bytes, .ncaps = (uint32_t)(x >> 20) % 3, .call = (x >> 30) & 1,
        };
        int e = ns_req_check(&r);
        if (e != 0 && e != -MOS_EINVAL && e != -MOS_ENOSYS)
            fail_msg("seed %llu: op %u gave %d", (unsigned long long)seed, r.op, e);
        free(data);
    }
}

/* ---------------------------------------------------------------- NIC region */

static struct netdev_shared good_layout(void)
{
    const uint32_t rs = 256, ring = (uint32_t)netring_bytes(rs);
    struct netdev_shared h = {
        .magic = NETDEV_SHARED_MAGIC, .version = NETDEV_VERSION, .ring_size = rs,
        .rx_free_off = 4096, .rx_done_off = 4096 + ring, .tx_ready_off = 4096 + 2 * ring,
        .tx_done_off = 4096 + 3 * ring, .buf_off = 6 * 4096, .buf_size = 2048, .nbufs = 256,
    };
    h.region_bytes = h.buf_off + h.nbufs * h.buf_size;
    return h;
}

static void layout_checks(void **state)
{
    (void)state;
    struct netdev_shared h = good_layout();
    uint64_t bytes = h.region_bytes;
    assert_true(ns_netdev_layout_ok(&h, bytes));
    assert_true(ns_netdev_layout_ok(&h, bytes + 4096));
#define BROKEN(field, value) do { struct netdev_shared b = good_layout(); b.field = (value); \
        if (ns_netdev_layout_ok(&b, bytes)) fail_msg("accepted " #field " = " #value); } while (0)
    BROKEN(magic, 0);
    BROKEN(version, 2);
    BROKEN(ring_size, 0);
    BROKEN(ring_size, 100);
    BROKEN(ring_size, 8192);
    BROKEN(region_bytes, bytes + 1);                    /* more than is mapped */
    BROKEN(region_bytes, 100);
    BROKEN(rx_free_off, 0);                             /* over the header */
    BROKEN(rx_free_off, 16);
    BROKEN(rx_done_off, 4096 + 8);                      /* on top of rx_free */
    BROKEN(tx_done_off, (uint32_t)bytes - 8);           /* past the end */
    BROKEN(tx_ready_off, 0xFFFFFFF8u);                  /* wraps 32 bits */
    BROKEN(tx_ready_off, 4097);                         /* misaligned */
    BROKEN(buf_off, 4096);                              /* on top of the rings */
    BROKEN(buf_off, 0xFFFFF000u);
    BROKEN(buf_size, NETDEV_HEADROOM + NETDEV_FRAME_MAX - 1);
    BROKEN(buf_size, 65537);
    BROKEN(nbufs, 1);
    BROKEN(nbufs, 257);                                 /* past region_bytes */
    BROKEN(nbufs, 0xFFFFFFFFu);                         /* nbufs * buf_size overflows 32 bits */
    /* region_bytes larger than the mapping given by the caller. */
    assert_false(ns_netdev_layout_ok(&h, bytes - 4096));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_requests_pass),
        cmocka_unit_test(bad_shapes_fail),
        cmocka_unit_test(bad_words_fail),
        cmocka_unit_test(names),
        cmocka_unit_test(waits),
        cmocka_unit_test(random_requests),
        cmocka_unit_test(layout_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
