// SPDX-License-Identifier: MIT
/* test_net_ring.c - the socket byte rings of proto/net.h: copies in and out
 * at every wrap position, the free-running indices across 2^32, the check
 * that catches a peer's corrupt index, area sizing, UDP records, a seeded
 * random model (NET_RING_SEED=n to repeat one), and a two-thread stress of
 * the ns_wait kick protocol: a producer that kicks only when the consumer
 * asked for it, and a consumer that sleeps only after announcing itself and
 * looking again, must never lose a wake-up (semaphores stand in for the
 * notifications), and every byte must arrive once and in order. */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "proto/net.h"

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static uint64_t seed_from_env(void)
{
    const char *s = getenv("NET_RING_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    if (!seed)
        seed = 1;
    return seed;
}

/* ---------------------------------------------------------------- copies */

static void copies_wrap_at_every_position(void **state)
{
    (void)state;
    enum { SIZE = 64 };
    uint8_t ring[SIZE], in[SIZE], out[SIZE];
    for (uint32_t pos = 0; pos < 2 * SIZE; pos++) {
        for (uint32_t n = 0; n <= SIZE; n++) {
            for (uint32_t i = 0; i < n; i++)
                in[i] = (uint8_t)(pos * 7 + i);
            memset(ring, 0xEE, sizeof ring);
            net_ring_write(ring, SIZE, pos, in, n);
            /* The bytes sit at pos & (SIZE-1), wrapping, and nowhere else. */
            for (uint32_t i = 0; i < SIZE; i++) {
                uint32_t rel = (i - pos) & (SIZE - 1);
                if (rel < n)
                    assert_int_equal(ring[i], in[rel]);
                else
                    assert_int_equal(ring[i], 0xEE);
            }
            memset(out, 0, sizeof out);
            net_ring_read(ring, SIZE, pos, out, n);
            assert_memory_equal(in, out, n);
        }
    }
}

static void run_stops_at_the_end(void **state)
{
    (void)state;
    assert_int_equal(net_ring_run(4096, 0, 5000), 4096);
    assert_int_equal(net_ring_run(4096, 4000, 5000), 96);
    assert_int_equal(net_ring_run(4096, 4000, 10), 10);
    assert_int_equal(net_ring_run(4096, 4096 + 4095, 7), 1);
    assert_int_equal(net_ring_run(4096, 0xFFFFFFFFu, 100), 1);
}

static void used_across_the_index_wrap(void **state)
{
    (void)state;
    assert_int_equal(net_ring_used(5, 0xFFFFFFFBu), 10);
    assert_int_equal(net_ring_used(0, 0), 0);
    /* A tail past the head (corrupt) reads as more than any ring holds. */
    assert_true(net_ring_used(10, 11) > NET_RING_MAX);
    assert_true(net_ring_used(0, 1) > NET_RING_MAX);
    assert_true(net_ring_used(NET_RING_MAX + 1, 0) > NET_RING_MAX);
}

static void area_sizes(void **state)
{
    (void)state;
    uint32_t rx = 0, tx = 0;
    assert_int_equal(net_area_pages(NET_TCP, &rx, &tx), 1 + 2 * NET_TCP_RING_DEFAULT / 4096);
    assert_int_equal(rx, NET_TCP_RING_DEFAULT);
    rx = tx = 0;
    assert_int_equal(net_area_pages(NET_UDP, &rx, &tx), 1 + 2 * NET_UDP_RING_DEFAULT / 4096);
    rx = NET_RING_MIN;
    tx = NET_RING_MAX;
    assert_int_equal(net_area_pages(NET_TCP, &rx, &tx), 1 + (NET_RING_MIN + NET_RING_MAX) / 4096);
    static const uint32_t bad[] = { 1, 2048, NET_RING_MIN - 1, 5000, 12288, NET_RING_MAX * 2, 0xFFFFFFFFu,
                                    0x80000000u };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rx = bad[i];
        tx = 0;
        assert_int_equal(net_area_pages(NET_TCP, &rx, &tx), 0);
        rx = 0;
        tx = bad[i];
        assert_int_equal(net_area_pages(NET_TCP, &rx, &tx), 0);
    }
}

/* ---------------------------------------------------------------- datagrams */

/* The reader side of a record, as net_client.c and sock.c check it: the
 * length, or -1 if the record is not wholly inside the used bytes. */
static long dgram_peek(const uint8_t *ring, uint32_t size, uint32_t head, uint32_t tail, struct net_dgram *h)
{
    uint32_t used = net_ring_used(head, tail);
    if (used > size || used < sizeof *h)
        return -1;
    net_ring_read(ring, size, tail, h, sizeof *h);
    if (h->len > NET_UDP_MAX || NET_DGRAM_SPAN(h->len) > used)
        return -1;
    return h->len;
}

static void datagrams_round_trip_and_reject_lies(void **state)
{
    (void)state;
    rng_state = 0x1234567;
    enum { SIZE = 16384 };
    static uint8_t ring[SIZE], data[NET_UDP_MAX], back[NET_UDP_MAX];
    uint32_t head = 0xFFFFF000u, tail = head;        /* cross 2^32 too */
    for (int round = 0; round < 2000; round++) {
        uint32_t len = rng() % (round % 10 ? 600 : NET_UDP_MAX + 1);
        if (SIZE - net_ring_used(head, tail) >= NET_DGRAM_SPAN(len)) {
            struct net_dgram h = { .len = len, .addr = rng(), .port = (uint16_t)rng() };
            for (uint32_t i = 0; i < len; i++)
                data[i] = (uint8_t)(round + i);
            net_ring_write(ring, SIZE, head, &h, sizeof h);
            net_ring_write(ring, SIZE, head + (uint32_t)sizeof h, data, len);
            head += NET_DGRAM_SPAN(len);
            struct net_dgram g;
            /* Read it straight back while it is the only record. */
            if (net_ring_used(head, tail) == NET_DGRAM_SPAN(len)) {
                assert_int_equal(dgram_peek(ring, SIZE, head, tail, &g), len);
                assert_int_equal(g.addr, h.addr);
                assert_int_equal(g.port, h.port);
                net_ring_read(ring, SIZE, tail + (uint32_t)sizeof g, back, len);
                assert_memory_equal(data, back, len);
            }
        }
        struct net_dgram g;
        while (net_ring_used(head, tail) && rng() % 2) {
            long n = dgram_peek(ring, SIZE, head, tail, &g);
            assert_true(n >= 0);
            tail += NET_DGRAM_SPAN(n);
        }
    }
    /* Lies: a length past the limit, a record longer than what is there,
     * a header cut short. */
    head = tail = 0;
    struct net_dgram h = { .len = NET_UDP_MAX + 1 }, g;
    net_ring_write(ring, SIZE, 0, &h, sizeof h);
    assert_int_equal(dgram_peek(ring, SIZE, NET_DGRAM_SPAN(NET_UDP_MAX + 1), 0, &g), -1);
    h.len = 100;
    net_ring_write(ring, SIZE, 0, &h, sizeof h);
    assert_int_equal(dgram_peek(ring, SIZE, NET_DGRAM_SPAN(100) - 8, 0, &g), -1);
    assert_int_equal(dgram_peek(ring, SIZE, 8, 0, &g), -1);
    assert_int_equal(dgram_peek(ring, SIZE, NET_DGRAM_SPAN(100), 0, &g), 100);
    assert_int_equal(NET_DGRAM_SPAN(0), 16);
    assert_int_equal(NET_DGRAM_SPAN(1), 24);
    assert_int_equal(NET_DGRAM_SPAN(8), 24);
}

/* ---------------------------------------------------------------- random model */

static void random_model(void **state)
{
    (void)state;
    uint64_t seed = seed_from_env();
    rng_state = seed;
    for (int trial = 0; trial < 40; trial++) {
        uint32_t size = 1u << (12 + rng() % 7);         /* 4 KiB .. 256 KiB */
        uint8_t *ring = malloc(size), *buf = malloc(size);
        assert_non_null(ring);
        assert_non_null(buf);
        uint32_t head = rng(), tail = head;             /* anywhere, wraps included */
        uint64_t produced = 0, consumed = 0;
        for (int step = 0; step < 3000; step++) {
            uint32_t used = net_ring_used(head, tail);
            if (used > size)
                fail_msg("seed %llu: used %u > size %u", (unsigned long long)seed, used, size);
            if (rng() % 2) {
                uint32_t n = rng() % (size - used + 1);
                for (uint32_t i = 0; i < n; i++)
                    buf[i] = (uint8_t)((produced + i) * 131 >> 3);
                net_ring_write(ring, size, head, buf, n);
                head += n;
                produced += n;
            } else {
                uint32_t n = rng() % (used + 1);
                net_ring_read(ring, size, tail, buf, n);
                for (uint32_t i = 0; i < n; i++)
                    if (buf[i] != (uint8_t)((consumed + i) * 131 >> 3))
                        fail_msg("seed %llu: byte %llu differs", (unsigned long long)seed,
                                 (unsigned long long)(consumed + i));
                tail += n;
                consumed += n;
            }
        }
        free(ring);
        free(buf);
    }
}

/* ---------------------------------------------------------------- two threads */

#define STRESS_BYTES (8ull << 20)
enum { STRESS_SIZE = 4096 };

struct stress {
    uint8_t ring[STRESS_SIZE];
    volatile uint32_t head, tail;       /* as in struct net_shm */
    volatile uint32_t ns_wait;          /* consumer (netstack) wants a kick */
    volatile uint32_t cl_wait;          /* producer (client) waits for room */
    sem_t kick, room;
    uint64_t kicks, wakes;
    int failed;
};

static void *producer(void *arg)
{
    struct stress *st = arg;
    uint8_t chunk[1500];
    uint64_t sent = 0;
    uint32_t head = 0;
    while (sent < STRESS_BYTES) {
        uint32_t tail = __atomic_load_n(&st->tail, __ATOMIC_ACQUIRE);
        uint32_t room = STRESS_SIZE - net_ring_used(head, tail);
        if (room == 0) {
            /* Like NET_WAIT: announce, look again, then sleep. */
            __atomic_store_n(&st->cl_wait, 1, __ATOMIC_SEQ_CST);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (net_ring_used(head, __atomic_load_n(&st->tail, __ATOMIC_ACQUIRE)) == STRESS_SIZE)
                sem_wait(&st->room);
            __atomic_store_n(&st->cl_wait, 0, __ATOMIC_SEQ_CST);
            continue;
        }
        uint32_t n = 1 + (uint32_t)(sent * 2654435761u >> 7) % sizeof chunk;
        if (n > room)
            n = room;
        if (n > STRESS_BYTES - sent)
            n = (uint32_t)(STRESS_BYTES - sent);
        for (uint32_t i = 0; i < n; i++)
            chunk[i] = (uint8_t)(sent + i);
        net_ring_write(st->ring, STRESS_SIZE, head, chunk, n);
        head += n;
        sent += n;
        __atomic_store_n(&st->head, head, __ATOMIC_RELEASE);
        /* nc_kick: only if the consumer asked for it. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&st->ns_wait, __ATOMIC_SEQ_CST) &&
            __atomic_exchange_n(&st->ns_wait, 0, __ATOMIC_SEQ_CST)) {
            st->kicks++;
            sem_post(&st->kick);
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct stress *st = arg;
    uint8_t chunk[2000];
    uint64_t got = 0;
    uint32_t tail = 0;
    while (got < STRESS_BYTES) {
        uint32_t head = __atomic_load_n(&st->head, __ATOMIC_ACQUIRE);
        uint32_t used = net_ring_used(head, tail);
        if (used > STRESS_SIZE) {
            st->failed = 1;
            return NULL;
        }
        if (used == 0) {
            /* sock_want_kick: ask for a kick, look again, then sleep. */
            __atomic_store_n(&st->ns_wait, 1, __ATOMIC_SEQ_CST);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (net_ring_used(__atomic_load_n(&st->head, __ATOMIC_ACQUIRE), tail) == 0) {
                sem_wait(&st->kick);
                st->wakes++;
            }
            continue;
        }
        uint32_t n = used < sizeof chunk ? used : (uint32_t)sizeof chunk;
        net_ring_read(st->ring, STRESS_SIZE, tail, chunk, n);
        for (uint32_t i = 0; i < n; i++)
            if (chunk[i] != (uint8_t)(got + i)) {
                st->failed = 2;
                return NULL;
            }
        tail += n;
        got += n;
        __atomic_store_n(&st->tail, tail, __ATOMIC_RELEASE);
        /* A waiting producer is woken (the netstack answers its NET_WAIT). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&st->cl_wait, __ATOMIC_SEQ_CST))
            sem_post(&st->room);
    }
    return NULL;
}

static void two_threads_never_lose_a_wakeup(void **state)
{
    (void)state;
    static struct stress st;
    memset(&st, 0, sizeof st);
    sem_init(&st.kick, 0, 0);
    sem_init(&st.room, 0, 0);
    pthread_t p, c;
    assert_int_equal(pthread_create(&c, NULL, consumer, &st), 0);
    assert_int_equal(pthread_create(&p, NULL, producer, &st), 0);
    /* A lost wake-up would hang here: the runner's time-out catches it. */
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    assert_int_equal(st.failed, 0);
    /* Kicks only when asked: each kick is one exchange of the flag the
     * consumer set, so at most one is ever outstanding. */
    assert_true(st.wakes <= st.kicks && st.kicks <= st.wakes + 1);
    assert_true(st.kicks > 0);
    sem_destroy(&st.kick);
    sem_destroy(&st.room);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copies_wrap_at_every_position),
        cmocka_unit_test(run_stops_at_the_end),
        cmocka_unit_test(used_across_the_index_wrap),
        cmocka_unit_test(area_sizes),
        cmocka_unit_test(datagrams_round_trip_and_reject_lies),
        cmocka_unit_test(random_model),
        cmocka_unit_test(two_threads_never_lose_a_wakeup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
