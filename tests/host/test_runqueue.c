// SPDX-License-Identifier: MIT
/* test_runqueue.c - host tests of the priority run queue
 * (kernel/sched/runqueue.c): priority order, FIFO within a level,
 * push_front, removal anywhere, the bitmap after every step, all 32 levels,
 * the asserts on misuse, rq_check() catching corruption, and a seeded random
 * test against a reference model of 32 plain arrays. rq_check() runs after
 * every operation. Set TEST_SEED=n to replay the random test; its seed is
 * printed on failure (and on stderr when it starts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sched/runqueue.h"

struct thr {
    int id;
    struct list_node node;
};

#define NTHR 96
static struct thr thr[NTHR];
static struct runqueue rq;

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NTHR; i++) {
        thr[i].id = i;
        list_node_init(&thr[i].node);
    }
    rq_init(&rq);
    return 0;
}

static int id_of(struct list_node *n)
{
    assert_non_null(n);
    return list_entry(n, struct thr, node)->id;
}

/* Expected bitmap from a list of levels that must be non-empty. */
static uint32_t bits(int n, ...)
{
    uint32_t b = 0;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        b |= (uint32_t)1 << va_arg(ap, int);
    va_end(ap);
    return b;
}

/* Every observable after a step: the checker, the bitmap, the count, and
 * rq_has_level/rq_highest agreeing with the expected bitmap. */
static void expect_state(uint32_t bitmap, uint32_t count)
{
    assert_true(rq_check(&rq));
    assert_int_equal(rq.bitmap, bitmap);
    assert_int_equal(rq.count, count);
    for (unsigned p = 0; p < SCHED_PRIORITIES; p++)
        assert_int_equal(rq_has_level(&rq, p), (bitmap >> p) & 1);
    int hi = -1;
    for (int p = 0; p < SCHED_PRIORITIES; p++)
        if (bitmap & ((uint32_t)1 << p))
            hi = p;
    assert_int_equal(rq_highest(&rq), hi);
}

static void push_back(int id, unsigned prio)
{
    rq_push_back(&rq, &thr[id].node, prio);
    assert_true(rq_check(&rq));
}

static void push_front(int id, unsigned prio)
{
    rq_push_front(&rq, &thr[id].node, prio);
    assert_true(rq_check(&rq));
}

static void expect_pop(int id, unsigned prio)
{
    unsigned got = 999;
    struct list_node *n = rq_pop_highest(&rq, &got);
    assert_int_equal(id_of(n), id);
    assert_int_equal(got, prio);
    assert_false(list_linked(n));
    assert_true(rq_check(&rq));
}

/* ------------------------------------------------------------ basics */

static void empty_queue_has_nothing(void **state)
{
    (void)state;
    expect_state(0, 0);
    unsigned prio = 12345;
    assert_null(rq_pop_highest(&rq, &prio));
    assert_int_equal(prio, 12345);                  /* untouched when empty */
    assert_null(rq_pop_highest(&rq, NULL));
    expect_state(0, 0);
}

static void pops_in_priority_order(void **state)
{
    (void)state;
    push_back(0, 3);
    expect_state(bits(1, 3), 1);
    push_back(1, 17);
    expect_state(bits(2, 3, 17), 2);
    push_back(2, 0);
    expect_state(bits(3, 0, 3, 17), 3);
    push_back(3, 31);
    expect_state(bits(4, 0, 3, 17, 31), 4);
    push_back(4, 5);
    expect_state(bits(5, 0, 3, 5, 17, 31), 5);

    expect_pop(3, 31);
    expect_state(bits(4, 0, 3, 5, 17), 4);
    expect_pop(1, 17);
    expect_state(bits(3, 0, 3, 5), 3);
    expect_pop(4, 5);
    expect_state(bits(2, 0, 3), 2);
    expect_pop(0, 3);
    expect_state(bits(1, 0), 1);
    expect_pop(2, 0);
    expect_state(0, 0);
    assert_null(rq_pop_highest(&rq, NULL));
}

static void fifo_within_a_level(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        push_back(i, 7);
        expect_state(bits(1, 7), (uint32_t)i + 1);
    }
    push_back(10, 2);                               /* a lower level waits */
    for (int i = 0; i < 6; i++) {
        expect_pop(i, 7);
        expect_state(i < 5 ? bits(2, 2, 7) : bits(1, 2), 6 - (uint32_t)i);
    }
    expect_pop(10, 2);
    expect_state(0, 0);
}

static void push_front_resumes_first(void **state)
{
    (void)state;
    push_front(0, 9);                               /* into an empty level */
    expect_state(bits(1, 9), 1);
    push_back(1, 9);
    push_back(2, 9);
    push_front(3, 9);
    expect_state(bits(1, 9), 4);
    push_front(4, 4);                               /* front of a lower level */
    expect_state(bits(2, 4, 9), 5);
    expect_pop(3, 9);
    expect_pop(0, 9);
    expect_pop(1, 9);
    expect_pop(2, 9);
    expect_state(bits(1, 4), 1);
    expect_pop(4, 4);
    expect_state(0, 0);
}

static void remove_anywhere_in_a_level(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        push_back(i, 12);                           /* 0 1 2 3 4 */
    push_back(5, 20);
    expect_state(bits(2, 12, 20), 6);

    rq_remove(&rq, &thr[2].node, 12);               /* middle */
    assert_false(list_linked(&thr[2].node));
    expect_state(bits(2, 12, 20), 5);
    rq_remove(&rq, &thr[0].node, 12);               /* head */
    expect_state(bits(2, 12, 20), 4);
    rq_remove(&rq, &thr[4].node, 12);               /* tail */
    expect_state(bits(2, 12, 20), 3);
    rq_remove(&rq, &thr[5].node, 20);               /* the only one of its level */
    expect_state(bits(1, 12), 2);

    expect_pop(1, 12);
    rq_remove(&rq, &thr[3].node, 12);               /* last one: the bit goes */
    expect_state(0, 0);

    /* A removed node can be queued again, at another level. */
    push_back(2, 1);
    push_front(0, 1);
    expect_state(bits(1, 1), 2);
    expect_pop(0, 1);
    expect_pop(2, 1);
    expect_state(0, 0);
}

static void all_32_levels(void **state)
{
    (void)state;
    /* Two threads per level, levels in a scrambled order (7 is coprime to
     * 32, so p = 7k mod 32 visits every level once). */
    uint32_t want = 0;
    for (int k = 0; k < SCHED_PRIORITIES; k++) {
        unsigned p = (unsigned)(7 * k) % SCHED_PRIORITIES;
        push_back((int)p, p);
        push_back((int)p + SCHED_PRIORITIES, p);
        want |= (uint32_t)1 << p;
        expect_state(want, 2 * ((uint32_t)k + 1));
    }
    assert_int_equal(rq.bitmap, 0xffffffffu);
    assert_int_equal(rq_highest(&rq), SCHED_PRIO_MAX);
    for (int p = SCHED_PRIO_MAX; p >= 0; p--) {
        expect_pop(p, (unsigned)p);
        expect_state(want, 2 * (uint32_t)p + 1);   /* level p still has one */
        expect_pop(p + SCHED_PRIORITIES, (unsigned)p);
        want &= ~((uint32_t)1 << p);
        expect_state(want, 2 * (uint32_t)p);
    }
    expect_state(0, 0);

    /* Only the idle level, and only the top level. */
    push_back(0, SCHED_PRIO_IDLE);
    expect_state(1, 1);
    push_back(1, SCHED_PRIO_MAX);
    expect_state(0x80000001u, 2);
    expect_pop(1, SCHED_PRIO_MAX);
    expect_pop(0, SCHED_PRIO_IDLE);
}

/* ------------------------------------------------------------ misuse */

static void remove_of_unqueued_node_asserts(void **state)
{
    (void)state;
    push_back(0, 4);
    expect_assert_failure(rq_remove(&rq, &thr[1].node, 4));
    expect_state(bits(1, 4), 1);
    expect_pop(0, 4);
    expect_assert_failure(rq_remove(&rq, &thr[0].node, 4));   /* already popped */
    expect_state(0, 0);
}

static void remove_at_the_wrong_level_asserts(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        push_back(i, 6);
    push_back(5, 8);
    /* Head, middle and tail of level 6, claimed to be at 8 (non-empty) and
     * at 5 (empty): nothing may change. */
    expect_assert_failure(rq_remove(&rq, &thr[0].node, 8));
    expect_assert_failure(rq_remove(&rq, &thr[2].node, 8));
    expect_assert_failure(rq_remove(&rq, &thr[4].node, 8));
    expect_assert_failure(rq_remove(&rq, &thr[2].node, 5));
    expect_assert_failure(rq_remove(&rq, &thr[5].node, 6));
    expect_state(bits(2, 6, 8), 6);
    expect_pop(5, 8);
    for (int i = 0; i < 5; i++)
        expect_pop(i, 6);
}

static void remove_of_a_node_on_another_list_asserts(void **state)
{
    (void)state;
    /* Queued on another run queue at the same level. */
    struct runqueue other;
    rq_init(&other);
    rq_push_back(&other, &thr[0].node, 3);
    rq_push_back(&other, &thr[1].node, 3);
    rq_push_back(&other, &thr[2].node, 3);
    push_back(3, 3);
    expect_assert_failure(rq_remove(&rq, &thr[1].node, 3));
    expect_assert_failure(rq_remove(&rq, &thr[0].node, 3));
    expect_state(bits(1, 3), 1);
    assert_true(rq_check(&other));
    assert_int_equal(other.count, 3);

    /* Linked on a plain list (a wait queue, say): the check must terminate. */
    struct list_node waitq;
    list_init(&waitq);
    list_push_back(&waitq, &thr[10].node);
    list_push_back(&waitq, &thr[11].node);
    list_push_back(&waitq, &thr[12].node);
    expect_assert_failure(rq_remove(&rq, &thr[11].node, 3));
    expect_state(bits(1, 3), 1);
    /* A node linked to itself only (a corrupted or self-headed list). */
    struct list_node self;
    list_init(&self);
    expect_assert_failure(rq_remove(&rq, &self, 3));
    expect_state(bits(1, 3), 1);
}

static void push_of_a_queued_node_asserts(void **state)
{
    (void)state;
    push_back(0, 10);
    expect_assert_failure(rq_push_back(&rq, &thr[0].node, 10));
    expect_assert_failure(rq_push_front(&rq, &thr[0].node, 11));
    expect_state(bits(1, 10), 1);
    expect_pop(0, 10);
    expect_state(0, 0);
}

static void out_of_range_priority_asserts(void **state)
{
    (void)state;
    expect_assert_failure(rq_push_back(&rq, &thr[0].node, SCHED_PRIORITIES));
    expect_assert_failure(rq_push_front(&rq, &thr[0].node, 1000));
    expect_state(0, 0);
    assert_false(list_linked(&thr[0].node));
    push_back(0, 0);
    expect_assert_failure(rq_remove(&rq, &thr[0].node, SCHED_PRIORITIES));
    expect_assert_failure(rq_has_level(&rq, SCHED_PRIORITIES));
    expect_state(bits(1, 0), 1);
}

/* ------------------------------------------------------------ checker */

static void check_catches_a_wrong_bitmap(void **state)
{
    (void)state;
    push_back(0, 5);
    push_back(1, 9);
    assert_true(rq_check(&rq));
    rq.bitmap |= 1u << 6;                           /* bit for an empty level */
    assert_false(rq_check(&rq));
    rq.bitmap &= ~(1u << 6);
    rq.bitmap &= ~(1u << 9);                        /* non-empty level without bit */
    assert_false(rq_check(&rq));
    rq.bitmap |= 1u << 9;
    rq.bitmap |= 1u << 31;
    assert_false(rq_check(&rq));
    rq.bitmap &= ~(1u << 31);
    assert_true(rq_check(&rq));
}

static void check_catches_a_wrong_count(void **state)
{
    (void)state;
    push_back(0, 5);
    push_back(1, 5);
    push_back(2, 30);
    rq.count = 2;
    assert_false(rq_check(&rq));
    rq.count = 4;
    assert_false(rq_check(&rq));
    rq.count = 0;
    assert_false(rq_check(&rq));
    rq.count = 3;
    assert_true(rq_check(&rq));
}

static void check_catches_broken_links(void **state)
{
    (void)state;
    push_back(0, 5);
    push_back(1, 5);
    push_back(2, 5);
    struct list_node *mid = &thr[1].node;

    struct list_node *saved = mid->prev;
    mid->prev = &thr[2].node;                       /* next->prev != node */
    assert_false(rq_check(&rq));
    mid->prev = saved;
    assert_true(rq_check(&rq));

    saved = rq.queue[5].prev;
    rq.queue[5].prev = &thr[0].node;                /* head's prev is stale */
    assert_false(rq_check(&rq));
    rq.queue[5].prev = saved;

    saved = rq.queue[7].next;
    rq.queue[7].next = NULL;                        /* an uninitialised head */
    assert_false(rq_check(&rq));
    rq.queue[7].next = saved;

    /* A cycle that never returns to the head: the walk must stop. */
    saved = thr[2].node.next;
    thr[2].node.next = &thr[0].node;
    struct list_node *saved_prev = thr[0].node.prev;
    thr[0].node.prev = &thr[2].node;
    assert_false(rq_check(&rq));
    thr[2].node.next = saved;
    thr[0].node.prev = saved_prev;

    /* A node of one level linked into another level's list. */
    push_back(3, 8);
    saved = thr[3].node.next;                       /* == &rq.queue[8] */
    thr[3].node.next = &rq.queue[5];
    assert_false(rq_check(&rq));
    thr[3].node.next = saved;
    assert_true(rq_check(&rq));
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t test_seed(void)
{
    const char *s = getenv("TEST_SEED");
    return s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

#define CHECK(c) do { if (!(c)) fail_msg("seed %llu step %ld: %s (TEST_SEED=%llu to replay)", \
    (unsigned long long)seed, step, #c, (unsigned long long)seed); } while (0)

/* The reference model: each level an array of ids in queue order. */
static struct {
    int ids[SCHED_PRIORITIES][NTHR];
    int len[SCHED_PRIORITIES];
    int level[NTHR];                /* -1: not queued */
    int total;
} m;

static void model_insert(int p, int pos, int id)
{
    memmove(&m.ids[p][pos + 1], &m.ids[p][pos], (size_t)(m.len[p] - pos) * sizeof(int));
    m.ids[p][pos] = id;
    m.len[p]++;
    m.level[id] = p;
    m.total++;
}

static void model_delete(int id)
{
    int p = m.level[id], pos = 0;
    while (m.ids[p][pos] != id)
        pos++;
    memmove(&m.ids[p][pos], &m.ids[p][pos + 1], (size_t)(m.len[p] - pos - 1) * sizeof(int));
    m.len[p]--;
    m.level[id] = -1;
    m.total--;
}

static int model_highest(void)
{
    for (int p = SCHED_PRIO_MAX; p >= 0; p--)
        if (m.len[p])
            return p;
    return -1;
}

static int pick(bool queued)
{
    int start = (int)(rng() % NTHR);
    for (int k = 0; k < NTHR; k++) {
        int id = (start + k) % NTHR;
        if ((m.level[id] >= 0) == queued)
            return id;
    }
    return -1;
}

static unsigned random_prio(void)
{
    /* Mostly a few crowded levels (long FIFOs), sometimes any level. */
    static const unsigned hot[] = { 0, 1, 15, 16, 30, 31 };
    if (rng() % 3)
        return hot[rng() % (sizeof hot / sizeof hot[0])];
    return (unsigned)(rng() % SCHED_PRIORITIES);
}

static void random_ops_match_the_model(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    long step = 0;
    rng_state = seed;
    fprintf(stderr, "# test_runqueue random: seed %llu\n", (unsigned long long)seed);
    memset(&m, 0, sizeof m);
    for (int i = 0; i < NTHR; i++)
        m.level[i] = -1;

    for (step = 0; step < 100000; step++) {
        unsigned op = (unsigned)(rng() % 100);
        int id;
        if (op < 30 && (id = pick(false)) >= 0) {
            unsigned p = random_prio();
            rq_push_back(&rq, &thr[id].node, p);
            model_insert((int)p, m.len[p], id);
        } else if (op < 45 && (id = pick(false)) >= 0) {
            unsigned p = random_prio();
            rq_push_front(&rq, &thr[id].node, p);
            model_insert((int)p, 0, id);
        } else if (op < 70 && (id = pick(true)) >= 0) {
            rq_remove(&rq, &thr[id].node, (unsigned)m.level[id]);
            CHECK(!list_linked(&thr[id].node));
            model_delete(id);
        } else if (op < 95) {
            unsigned got = 999;
            struct list_node *n = rq_pop_highest(&rq, &got);
            int hp = model_highest();
            if (hp < 0) {
                CHECK(n == NULL);
                CHECK(got == 999);
            } else {
                CHECK(n != NULL);
                CHECK((int)got == hp);
                int want = m.ids[hp][0];
                CHECK(list_entry(n, struct thr, node)->id == want);
                CHECK(!list_linked(n));
                model_delete(want);
            }
        } else {
            unsigned p = (unsigned)(rng() % SCHED_PRIORITIES);
            CHECK(rq_has_level(&rq, p) == (m.len[p] > 0));
        }

        /* After every step: checker, bitmap, count, highest, and every
         * level's exact order. */
        CHECK(rq_check(&rq));
        CHECK((int)rq.count == m.total);
        CHECK(rq_highest(&rq) == model_highest());
        for (int p = 0; p < SCHED_PRIORITIES; p++) {
            CHECK(((rq.bitmap >> p) & 1) == (m.len[p] > 0));
            int k = 0;
            list_for_each(n, &rq.queue[p]) {
                CHECK(k < m.len[p]);
                CHECK(list_entry(n, struct thr, node)->id == m.ids[p][k]);
                k++;
            }
            CHECK(k == m.len[p]);
        }
    }

    /* Drain: strictly in model order. */
    for (int hp; (hp = model_highest()) >= 0; step++) {
        unsigned got;
        struct list_node *n = rq_pop_highest(&rq, &got);
        CHECK(n && (int)got == hp && list_entry(n, struct thr, node)->id == m.ids[hp][0]);
        model_delete(m.ids[hp][0]);
        CHECK(rq_check(&rq));
    }
    CHECK(rq.count == 0 && rq.bitmap == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(empty_queue_has_nothing, setup),
        cmocka_unit_test_setup(pops_in_priority_order, setup),
        cmocka_unit_test_setup(fifo_within_a_level, setup),
        cmocka_unit_test_setup(push_front_resumes_first, setup),
        cmocka_unit_test_setup(remove_anywhere_in_a_level, setup),
        cmocka_unit_test_setup(all_32_levels, setup),
        cmocka_unit_test_setup(remove_of_unqueued_node_asserts, setup),
        cmocka_unit_test_setup(remove_at_the_wrong_level_asserts, setup),
        cmocka_unit_test_setup(remove_of_a_node_on_another_list_asserts, setup),
        cmocka_unit_test_setup(push_of_a_queued_node_asserts, setup),
        cmocka_unit_test_setup(out_of_range_priority_asserts, setup),
        cmocka_unit_test_setup(check_catches_a_wrong_bitmap, setup),
        cmocka_unit_test_setup(check_catches_a_wrong_count, setup),
        cmocka_unit_test_setup(check_catches_broken_links, setup),
        cmocka_unit_test_setup(random_ops_match_the_model, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
