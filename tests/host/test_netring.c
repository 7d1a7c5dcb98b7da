// SPDX-License-Identifier: MIT
/* test_netring.c - user/lib/include/netring.h: the single-producer/single-
 * consumer descriptor ring and its waiting-flag protocol. One thread: empty,
 * full, wrap-around of the 32-bit indices, a corrupt head, the flags. Two
 * threads (pthreads): millions of descriptors through rings of 4 and 256
 * entries, each side sleeping when it cannot go on, exactly as the driver
 * and the netstack do (announce, look again, block) and woken only through
 * the protocol (the other side's must_notify, modelled by a semaphore the
 * way an endpoint notification wakes a process). Checked: order, no loss,
 * no duplicate, payload intact, and no lost wake-up (a sleeper that is not
 * woken within 10 s fails the test instead of hanging it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "netring.h"

static struct netring *ring_new(uint32_t size)
{
    size_t bytes = ((size_t)netring_bytes(size) + NETRING_CACHELINE - 1) & ~(size_t)(NETRING_CACHELINE - 1);
    struct netring *r = aligned_alloc(NETRING_CACHELINE, bytes);
    assert_non_null(r);
    memset(r, 0xEE, (size_t)netring_bytes(size));      /* init must not rely on zeroes */
    assert_true(netring_init(r, size));
    return r;
}

/* ---------------------------------------------------------------- one thread */

static void init_wants_a_power_of_two(void **state)
{
    (void)state;
    struct netring *r = ring_new(4);
    assert_false(netring_init(r, 0));
    assert_false(netring_init(r, 3));
    assert_false(netring_init(r, 6));
    assert_true(netring_init(r, 1));
    assert_int_equal(netring_bytes(256), sizeof(struct netring) + 256 * sizeof(struct netring_desc));
    assert_int_equal(sizeof(struct netring) % NETRING_CACHELINE, 0);
    assert_int_equal(offsetof(struct netring, tail) - offsetof(struct netring, head), NETRING_CACHELINE);
    free(r);
}

static void push_pop_full_empty(void **state)
{
    (void)state;
    struct netring *r = ring_new(4);
    struct netring_desc d = { 0 }, out;
    assert_false(netring_pop(r, 4, &out));
    assert_int_equal(netring_count(r, 4), 0);
    for (uint32_t i = 0; i < 4; i++) {
        d.id = i;
        d.offset = i * 2048;
        assert_true(netring_push(r, 4, &d));
    }
    assert_false(netring_push(r, 4, &d));
    assert_int_equal(netring_count(r, 4), 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_true(netring_pop(r, 4, &out));
        assert_int_equal(out.id, i);
        assert_int_equal(out.offset, i * 2048);
    }
    assert_false(netring_pop(r, 4, &out));
    free(r);
}

static void indices_wrap_at_32_bits(void **state)
{
    (void)state;
    struct netring *r = ring_new(8);
    r->head = r->tail = 0xFFFFFFF0u;
    struct netring_desc out;
    uint32_t pushed = 0, popped = 0;
    for (uint32_t round = 0; round < 40; round++) {
        for (uint32_t k = 0; k < 1 + round % 8 && netring_push(r, 8, &(struct netring_desc){ .id = pushed }); k++)
            pushed++;
        for (uint32_t k = 0; k < 1 + (round * 5) % 8 && netring_pop(r, 8, &out); k++) {
            assert_int_equal(out.id, popped);   /* first in, first out across the wrap */
            popped++;
        }
        assert_int_equal(netring_count(r, 8), pushed - popped);
    }
    while (netring_pop(r, 8, &out))
        assert_int_equal(out.id, popped++);
    assert_int_equal(popped, pushed);
    assert_true(r->head < 0x100);               /* it did wrap */
    free(r);
}

static void a_corrupt_head_is_refused(void **state)
{
    (void)state;
    struct netring *r = ring_new(8);
    struct netring_desc out;
    r->head = r->tail + 9;                      /* more than the ring holds */
    assert_false(netring_pop(r, 8, &out));
    assert_int_equal(netring_count(r, 8), 9);   /* "size + 1": corrupt */
    assert_false(netring_consumer_sleep(r, 8)); /* never sleeps on it either */
    r->head = r->tail - 1;                      /* behind the tail */
    assert_false(netring_pop(r, 8, &out));
    free(r);
}

static void waiting_flags(void **state)
{
    (void)state;
    struct netring *r = ring_new(2);
    struct netring_desc d = { .id = 1 }, out;
    assert_false(netring_producer_must_notify(r));         /* nobody waits */
    assert_true(netring_consumer_sleep(r, 2));             /* empty: may block */
    assert_int_equal(r->consumer_waiting, 1);
    assert_true(netring_push(r, 2, &d));
    assert_true(netring_producer_must_notify(r));          /* exactly once */
    assert_false(netring_producer_must_notify(r));
    assert_int_equal(r->consumer_waiting, 0);
    assert_false(netring_consumer_sleep(r, 2));            /* not empty: look again instead */
    assert_int_equal(r->consumer_waiting, 0);
    assert_true(netring_push(r, 2, &d));
    assert_true(netring_producer_sleep(r, 2));             /* full */
    assert_true(netring_pop(r, 2, &out));
    assert_true(netring_consumer_must_notify(r));
    assert_false(netring_consumer_must_notify(r));
    assert_false(netring_producer_sleep(r, 2));            /* room again */
    free(r);
}

/* ---------------------------------------------------------------- two threads */

#define WAKE_TIMEOUT_S 10

struct stress {
    struct netring *r;
    uint32_t size;
    uint64_t items;
    sem_t wake_consumer, wake_producer;      /* the "endpoint notifications" */
    /* results */
    uint64_t consumed, out_of_order, bad_payload, producer_sleeps, consumer_sleeps, notifies;
    int lost_wakeup;                         /* a side waited WAKE_TIMEOUT_S in vain (atomic) */
};

static int wait_woken(sem_t *s)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += WAKE_TIMEOUT_S;
    while (sem_timedwait(s, &t) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

static uint32_t payload_of(uint64_t seq)
{
    return (uint32_t)(seq * 2654435761u);
}

static void *producer(void *arg)
{
    struct stress *st = arg;
    for (uint64_t seq = 0; seq < st->items && !__atomic_load_n(&st->lost_wakeup, __ATOMIC_RELAXED);) {
        struct netring_desc d = { .offset = (uint32_t)seq, .len = payload_of(seq), .id = (uint32_t)(seq >> 32),
                                  .flags = (uint32_t)(seq ^ 0x5A5A5A5Au) };
        if (netring_push(st->r, st->size, &d)) {
            seq++;
            /* Like the netstack: push a few, then decide once. */
            if ((seq & 3) == 0 || seq == st->items) {
                if (netring_producer_must_notify(st->r)) {
                    st->notifies++;
                    sem_post(&st->wake_consumer);
                }
            }
            continue;
        }
        /* Full: make sure the consumer knows, then sleep if still full. */
        if (netring_producer_must_notify(st->r)) {
            st->notifies++;
            sem_post(&st->wake_consumer);
        }
        if (netring_producer_sleep(st->r, st->size)) {
            st->producer_sleeps++;
            if (wait_woken(&st->wake_producer) != 0) {
                __atomic_store_n(&st->lost_wakeup, 1, __ATOMIC_RELAXED);
                sem_post(&st->wake_consumer);
            }
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct stress *st = arg;
    uint64_t expect = 0;
    while (expect < st->items && !__atomic_load_n(&st->lost_wakeup, __ATOMIC_RELAXED)) {
        struct netring_desc d;
        if (netring_pop(st->r, st->size, &d)) {
            uint64_t seq = (uint64_t)d.id << 32 | d.offset;
            if (seq != expect)
                st->out_of_order++;
            if (d.len != payload_of(seq) || d.flags != (uint32_t)(seq ^ 0x5A5A5A5Au))
                st->bad_payload++;
            expect = seq + 1;
            st->consumed++;
            if ((expect & 7) == 0 && netring_consumer_must_notify(st->r))
                sem_post(&st->wake_producer);
            continue;
        }
        if (netring_consumer_must_notify(st->r))
            sem_post(&st->wake_producer);
        if (netring_consumer_sleep(st->r, st->size)) {
            st->consumer_sleeps++;
            if (wait_woken(&st->wake_consumer) != 0) {
                __atomic_store_n(&st->lost_wakeup, 2, __ATOMIC_RELAXED);
                sem_post(&st->wake_producer);
            }
        }
    }
    return NULL;
}

static void run_stress(uint32_t size, uint64_t items)
{
    struct stress st = { .size = size, .items = items };
    st.r = ring_new(size);
    assert_int_equal(sem_init(&st.wake_consumer, 0, 0), 0);
    assert_int_equal(sem_init(&st.wake_producer, 0, 0), 0);
    pthread_t p, c;
    assert_int_equal(pthread_create(&c, NULL, consumer, &st), 0);
    assert_int_equal(pthread_create(&p, NULL, producer, &st), 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("# ring %u: %llu items, %llu consumer and %llu producer sleeps, %llu notifications\n", size,
           (unsigned long long)st.consumed, (unsigned long long)st.consumer_sleeps,
           (unsigned long long)st.producer_sleeps, (unsigned long long)st.notifies);
    if (st.lost_wakeup)
        fail_msg("ring %u: the %s slept %d s without being woken: a lost wake-up", size,
                 st.lost_wakeup == 1 ? "producer" : "consumer", WAKE_TIMEOUT_S);
    assert_int_equal(st.consumed, items);
    assert_int_equal(st.out_of_order, 0);
    assert_int_equal(st.bad_payload, 0);
    assert_int_equal(netring_count(st.r, size), 0);
    assert_true(st.consumer_sleeps + st.producer_sleeps > 0);      /* the protocol was exercised */
    sem_destroy(&st.wake_consumer);
    sem_destroy(&st.wake_producer);
    free(st.r);
}

static void stress_tiny_ring(void **state)
{
    (void)state;
    run_stress(4, 1000000);
}

static void stress_driver_sized_ring(void **state)
{
    (void)state;
    run_stress(256, 3000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_wants_a_power_of_two),
        cmocka_unit_test(push_pop_full_empty),
        cmocka_unit_test(indices_wrap_at_32_bits),
        cmocka_unit_test(a_corrupt_head_is_refused),
        cmocka_unit_test(waiting_flags),
        cmocka_unit_test(stress_tiny_ring),
        cmocka_unit_test(stress_driver_sized_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
