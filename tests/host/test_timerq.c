// SPDX-License-Identifier: MIT
/* test_timerq.c - host tests of the timer queue (kernel/sched/timerq.c):
 * deadline order, FIFO among equal deadlines, removal of every node of a
 * heap (root, leaves, inner nodes, first children, later siblings),
 * pop_expired boundaries, re-insertion, the asserts on misuse, tq_check()
 * catching corruption, a seeded random test against a sorted-array reference
 * model with tq_check() after every step, and 100k-node worst-case insertion
 * patterns (ascending, descending, all equal) run on a 64 KiB thread stack,
 * so any operation that recursed once per node would overflow it. The work
 * bound in those tests counts, per pop/remove, the children the removed node
 * has (the two-pass pairing melds exactly those; timerq.c's file comment
 * documents the left-child/right-sibling shape this reads). Set TEST_SEED=n
 * to replay the random test; its seed is printed on failure. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sched/timerq.h"

#define NSMALL 256
static struct tq_node nodes[NSMALL];
static struct timerq q;

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NSMALL; i++)
        tq_node_init(&nodes[i]);
    tq_init(&q);
    return 0;
}

static int idx(const struct tq_node *n)
{
    assert_non_null(n);
    assert_true(n >= nodes && n < nodes + NSMALL);
    return (int)(n - nodes);
}

static void insert(int i, uint64_t deadline)
{
    tq_insert(&q, &nodes[i], deadline);
    assert_true(nodes[i].queued);
    assert_true(tq_check(&q));
}

/* Pop the earliest with an infinite "now" and expect node i. */
static void expect_pop(int i)
{
    struct tq_node *n = tq_pop_expired(&q, UINT64_MAX);
    assert_int_equal(idx(n), i);
    assert_false(n->queued);
    assert_true(tq_check(&q));
}

static void expect_empty(void)
{
    assert_null(tq_peek(&q));
    assert_null(tq_pop_expired(&q, UINT64_MAX));
    assert_int_equal(q.count, 0);
    assert_true(tq_check(&q));
}

/* ------------------------------------------------------------ basics */

static void empty_queue_has_nothing(void **state)
{
    (void)state;
    expect_empty();
    assert_null(tq_pop_expired(&q, 0));
    tq_remove(&q, &nodes[0]);                       /* never queued: no-op */
    expect_empty();
}

static void pops_in_deadline_order(void **state)
{
    (void)state;
    static const uint64_t d[] = { 50, 10, 90, 30, 70, 20, 80, 0, 60, 40, UINT64_MAX, 5 };
    const int n = (int)(sizeof d / sizeof d[0]);
    for (int i = 0; i < n; i++) {
        insert(i, d[i]);
        assert_int_equal(q.count, (uint64_t)i + 1);
    }
    uint64_t last = 0;
    for (int k = 0; k < n; k++) {
        struct tq_node *p = tq_peek(&q);
        assert_non_null(p);
        struct tq_node *got = tq_pop_expired(&q, UINT64_MAX);
        assert_ptr_equal(got, p);
        assert_true(got->deadline >= last);
        assert_int_equal(got->deadline, d[idx(got)]);
        last = got->deadline;
        assert_true(tq_check(&q));
        assert_int_equal(q.count, (uint64_t)(n - k - 1));
    }
    assert_int_equal(last, UINT64_MAX);
    expect_empty();
}

static void equal_deadlines_leave_fifo(void **state)
{
    (void)state;
    /* Two interleaved groups of 40 plus a later and an earlier singleton. */
    for (int i = 0; i < 80; i++)
        insert(i, (i % 2) ? 200 : 100);
    insert(80, 300);
    insert(81, 1);
    expect_pop(81);
    for (int i = 0; i < 80; i += 2)
        expect_pop(i);
    for (int i = 1; i < 80; i += 2)
        expect_pop(i);
    expect_pop(80);
    expect_empty();
}

static void pop_expired_boundaries(void **state)
{
    (void)state;
    insert(0, 100);
    assert_null(tq_pop_expired(&q, 99));            /* now = deadline - 1 */
    assert_int_equal(q.count, 1);
    assert_true(nodes[0].queued);
    assert_null(tq_pop_expired(&q, 0));
    assert_ptr_equal(tq_pop_expired(&q, 100), &nodes[0]);   /* now = deadline */
    expect_empty();

    insert(1, 0);                                   /* deadline 0 at time 0 */
    assert_ptr_equal(tq_pop_expired(&q, 0), &nodes[1]);
    insert(2, UINT64_MAX);                          /* the far end */
    assert_null(tq_pop_expired(&q, UINT64_MAX - 1));
    assert_ptr_equal(tq_pop_expired(&q, UINT64_MAX), &nodes[2]);
    expect_empty();

    /* Several expired: one per call, in order, stopping at the first that
     * is still pending. */
    insert(3, 10);
    insert(4, 12);
    insert(5, 11);
    insert(6, 13);
    insert(7, 12);
    assert_ptr_equal(tq_pop_expired(&q, 12), &nodes[3]);
    assert_ptr_equal(tq_pop_expired(&q, 12), &nodes[5]);
    assert_ptr_equal(tq_pop_expired(&q, 12), &nodes[4]);
    assert_ptr_equal(tq_pop_expired(&q, 12), &nodes[7]);
    assert_null(tq_pop_expired(&q, 12));
    assert_int_equal(q.count, 1);
    assert_ptr_equal(tq_peek(&q), &nodes[6]);
    assert_true(tq_check(&q));
    expect_pop(6);
}

/* ------------------------------------------------------------ removal */

#define NPOS 64
#define NPOPPED 3
static uint64_t pos_deadline(int i)
{
    return (uint64_t)((i * 37) % 16);               /* 16 values: many ties */
}

/* The same heap every time: NPOS inserts, then NPOPPED pops to give it an
 * inner structure (right after inserts a pairing heap is one wide level). */
static void build_positions_heap(void)
{
    setup(NULL);
    for (int i = 0; i < NPOS; i++)
        tq_insert(&q, &nodes[i], pos_deadline(i));
    for (int k = 0; k < NPOPPED; k++)
        assert_non_null(tq_pop_expired(&q, UINT64_MAX));
    assert_true(tq_check(&q));
}

/* Node ids in (deadline, insertion order), i.e. the expected pop order. */
static int sorted_ids(int *out)
{
    int n = 0;
    for (uint64_t d = 0; d < 16; d++)
        for (int i = 0; i < NPOS; i++)
            if (pos_deadline(i) == d)
                out[n++] = i;
    return n;
}

static void remove_every_position(void **state)
{
    (void)state;
    int order[NPOS];
    assert_int_equal(sorted_ids(order), NPOS);
    int roots = 0, leaves = 0, inner = 0, first_children = 0, later_siblings = 0;

    for (int k = NPOPPED; k < NPOS; k++) {
        int victim = order[k];
        build_positions_heap();
        struct tq_node *v = &nodes[victim];
        assert_true(v->queued);
        if (!v->parent)
            roots++;
        else if (v->left)
            inner++;
        else
            leaves++;
        if (v->parent && v->parent->left == v)
            first_children++;
        if (v->parent && v->parent->right == v)
            later_siblings++;

        tq_remove(&q, v);
        assert_false(v->queued);
        assert_true(tq_check(&q));
        assert_int_equal(q.count, NPOS - NPOPPED - 1);
        tq_remove(&q, v);                           /* second time: no-op */
        assert_int_equal(q.count, NPOS - NPOPPED - 1);

        for (int j = NPOPPED; j < NPOS; j++)
            if (order[j] != victim)
                expect_pop(order[j]);
        expect_empty();
    }
    /* The heap really had every kind of node. */
    assert_int_equal(roots, 1);
    assert_true(leaves > 0);
    assert_true(inner > 0);
    assert_true(first_children > 0);
    assert_true(later_siblings > 0);
}

static void remove_of_unqueued_node_is_a_noop(void **state)
{
    (void)state;
    insert(0, 5);
    insert(1, 7);
    tq_remove(&q, &nodes[2]);                       /* initialised, never queued */
    assert_int_equal(q.count, 2);
    assert_true(tq_check(&q));
    expect_pop(0);
    tq_remove(&q, &nodes[0]);                       /* already popped */
    assert_int_equal(q.count, 1);
    assert_true(tq_check(&q));
    tq_remove(&q, &nodes[1]);
    tq_remove(&q, &nodes[1]);                       /* already removed */
    expect_empty();
}

static void insert_of_queued_node_asserts(void **state)
{
    (void)state;
    insert(0, 5);
    insert(1, 9);
    uint64_t seq = nodes[0].seq;
    expect_assert_failure(tq_insert(&q, &nodes[0], 1));
    expect_assert_failure(tq_insert(&q, &nodes[1], 5));
    /* Nothing changed. */
    assert_int_equal(q.count, 2);
    assert_int_equal(nodes[0].deadline, 5);
    assert_int_equal(nodes[0].seq, seq);
    assert_true(tq_check(&q));
    expect_pop(0);
    expect_pop(1);
    expect_empty();
}

static void reinsert_after_remove_and_pop(void **state)
{
    (void)state;
    insert(0, 10);
    insert(1, 10);
    insert(2, 10);
    tq_remove(&q, &nodes[0]);
    insert(0, 10);                                  /* now the last of the 10s */
    assert_true(nodes[0].seq > nodes[2].seq);
    expect_pop(1);
    insert(1, 5);                                   /* popped, back earlier */
    expect_pop(1);
    tq_remove(&q, &nodes[2]);
    insert(2, 3);                                   /* removed, back earlier */
    expect_pop(2);
    expect_pop(0);
    expect_empty();

    /* Re-inserting the same node many times keeps the queue sane. */
    for (int r = 0; r < 100; r++) {
        insert(5, (uint64_t)(r % 7));
        insert(6, 3);
        tq_remove(&q, &nodes[r % 2 ? 5 : 6]);
        assert_true(tq_check(&q));
        tq_remove(&q, &nodes[r % 2 ? 6 : 5]);
        expect_empty();
    }
}

/* ------------------------------------------------------------ checker */

static void check_catches_corruption(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++)
        insert(i, (uint64_t)(i * 7 % 10));
    assert_non_null(tq_pop_expired(&q, UINT64_MAX));   /* give it depth */
    assert_true(tq_check(&q));

    /* A child earlier than its parent. */
    struct tq_node *r = q.root, *c = r->left;
    assert_non_null(c);
    uint64_t saved = c->deadline, saved_seq = c->seq;
    c->deadline = r->deadline;
    c->seq = r->seq;                                /* equal key: not strictly after */
    assert_false(tq_check(&q));
    c->deadline = saved;
    c->seq = q.next_seq + 5;                        /* seq never handed out */
    assert_false(tq_check(&q));
    c->seq = saved_seq;
    assert_true(tq_check(&q));

    /* A broken parent link, and a root with a parent or a sibling. */
    struct tq_node *p = c->parent;
    c->parent = NULL;
    assert_false(tq_check(&q));
    c->parent = p;
    r->parent = c;
    assert_false(tq_check(&q));
    r->parent = NULL;
    r->right = &nodes[19];
    assert_false(tq_check(&q));
    r->right = NULL;
    assert_true(tq_check(&q));

    /* A node that says it is not queued, and wrong counts. */
    c->queued = false;
    assert_false(tq_check(&q));
    c->queued = true;
    q.count++;
    assert_false(tq_check(&q));
    q.count -= 2;
    assert_false(tq_check(&q));
    q.count++;
    assert_true(tq_check(&q));

    /* A sibling cycle (parent links consistent with it): must stop. */
    struct tq_node *s = c;
    while (s->right)
        s = s->right;
    assert_ptr_not_equal(s, c);                     /* the root has >= 2 children */
    s->right = c;                                   /* last sibling -> first */
    assert_false(tq_check(&q));
    s->right = NULL;
    assert_true(tq_check(&q));

    /* An empty queue that claims nodes, and the other way round. */
    struct timerq e;
    tq_init(&e);
    assert_true(tq_check(&e));
    e.count = 1;
    assert_false(tq_check(&e));
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

/* The reference model: ids sorted by (deadline, model seq). */
static struct {
    int ids[NSMALL];
    int n;
    uint64_t seq[NSMALL], next_seq;
    bool queued[NSMALL];
} m;

static bool model_before(int a, int b)
{
    return nodes[a].deadline < nodes[b].deadline ||
           (nodes[a].deadline == nodes[b].deadline && m.seq[a] < m.seq[b]);
}

static void model_insert(int id)
{
    m.seq[id] = m.next_seq++;
    int pos = m.n;
    while (pos > 0 && model_before(id, m.ids[pos - 1]))
        pos--;
    memmove(&m.ids[pos + 1], &m.ids[pos], (size_t)(m.n - pos) * sizeof(int));
    m.ids[pos] = id;
    m.n++;
    m.queued[id] = true;
}

static void model_delete(int id)
{
    int pos = 0;
    while (m.ids[pos] != id)
        pos++;
    memmove(&m.ids[pos], &m.ids[pos + 1], (size_t)(m.n - pos - 1) * sizeof(int));
    m.n--;
    m.queued[id] = false;
}

static int pick(bool queued)
{
    int start = (int)(rng() % NSMALL);
    for (int k = 0; k < NSMALL; k++) {
        int id = (start + k) % NSMALL;
        if (m.queued[id] == queued)
            return id;
    }
    return -1;
}

static void random_ops_match_the_model(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    long step = 0;
    rng_state = seed;
    fprintf(stderr, "# test_timerq random: seed %llu\n", (unsigned long long)seed);
    memset(&m, 0, sizeof m);
    uint64_t now = 1000;

    for (step = 0; step < 100000; step++) {
        /* Alternate phases that fill the pool and drain it, so the heap is
         * exercised at every size from empty to NSMALL nodes. */
        bool filling = (step / 4000) % 2 == 0;
        unsigned op = (unsigned)(rng() % 100);
        if (filling && op >= 40 && op < 90 && rng() % 4)
            op = 0;                                 /* mostly inserts */
        int id;
        if (op < 40 && (id = pick(false)) >= 0) {
            uint64_t d;
            unsigned kind = (unsigned)(rng() % 20);
            if (kind == 0)
                d = 0;                              /* long expired */
            else if (kind == 1)
                d = UINT64_MAX;                     /* never */
            else if (kind < 8)
                d = now;                            /* due right now */
            else
                d = now + rng() % 48;               /* near future: ties */
            tq_insert(&q, &nodes[id], d);
            CHECK(nodes[id].queued && nodes[id].deadline == d);
            model_insert(id);
        } else if (op < 60 && (id = pick(true)) >= 0) {
            tq_remove(&q, &nodes[id]);
            CHECK(!nodes[id].queued);
            model_delete(id);
        } else if (op < 63 && (id = pick(false)) >= 0) {
            tq_remove(&q, &nodes[id]);              /* not queued: no-op */
            CHECK(!nodes[id].queued);
        } else if (op < 90) {
            uint64_t at = now + rng() % 8 - 2;
            struct tq_node *n = tq_pop_expired(&q, at);
            if (m.n > 0 && nodes[m.ids[0]].deadline <= at) {
                CHECK(n == &nodes[m.ids[0]]);
                CHECK(!n->queued);
                model_delete(m.ids[0]);
            } else {
                CHECK(n == NULL);
            }
        } else {
            now += rng() % 16;                      /* time passes */
        }

        CHECK((int)q.count == m.n);
        CHECK(tq_peek(&q) == (m.n ? &nodes[m.ids[0]] : NULL));
        CHECK(tq_check(&q));
    }

    /* Drain in model order. */
    for (int k = 0; k < m.n; k++, step++) {
        struct tq_node *n = tq_pop_expired(&q, UINT64_MAX);
        CHECK(n == &nodes[m.ids[k]]);
    }
    CHECK(q.count == 0 && tq_peek(&q) == NULL && tq_check(&q));
}

/* ------------------------------------------------------------ worst cases */

#define NBIG 100000
#define SMALL_STACK (64 * 1024)

enum pattern { ASCENDING, DESCENDING, ALL_EQUAL, SAWTOOTH };

struct big_run {
    enum pattern pattern;
    struct tq_node *n;              /* NBIG nodes */
    const char *failed;             /* first failed check, or NULL */
    uint64_t work;                  /* children melded by pops and removes */
};

static uint64_t big_deadline(enum pattern p, uint64_t i)
{
    switch (p) {
    case ASCENDING:  return 1000 + i;
    case DESCENDING: return 1000 + NBIG - i;
    case ALL_EQUAL:  return 777;
    case SAWTOOTH:   return i % 64;
    }
    return 0;
}

static uint64_t children(const struct tq_node *n)
{
    uint64_t k = 0;
    for (const struct tq_node *c = n->left; c; c = c->right)
        k++;
    return k;
}

#define BIG_CHECK(r, c) do { if (!(c)) { (r)->failed = #c; return NULL; } } while (0)

/* Runs on a 64 KiB stack, so it must not call cmocka (its failure path
 * longjmps); it reports the first failed check instead. Inserts NBIG nodes,
 * removes every 10th (inner, leaf or root: wherever they are), then pops the
 * rest and checks their order: (deadline, insertion order). */
static void *big_pattern(void *arg)
{
    struct big_run *r = arg;
    struct tq_node *n = r->n;
    struct timerq bq;
    tq_init(&bq);
    for (uint64_t i = 0; i < NBIG; i++) {
        tq_node_init(&n[i]);
        tq_insert(&bq, &n[i], big_deadline(r->pattern, i));
    }
    BIG_CHECK(r, bq.count == NBIG);
    BIG_CHECK(r, tq_check(&bq));

    /* A first pop shapes the heap; then remove every 10th node. */
    struct tq_node *first = tq_peek(&bq);
    r->work += children(first);
    BIG_CHECK(r, tq_pop_expired(&bq, UINT64_MAX) == first);
    BIG_CHECK(r, tq_check(&bq));
    for (uint64_t i = 5; i < NBIG; i += 10) {
        if (!n[i].queued)
            continue;
        r->work += children(&n[i]);
        tq_remove(&bq, &n[i]);
        BIG_CHECK(r, !n[i].queued);
    }
    BIG_CHECK(r, tq_check(&bq));

    uint64_t popped = 1, last_d = first->deadline, last_i = (uint64_t)(first - n);
    while (bq.count) {
        struct tq_node *p = tq_peek(&bq);
        r->work += children(p);
        BIG_CHECK(r, tq_pop_expired(&bq, UINT64_MAX) == p);
        uint64_t i = (uint64_t)(p - n);             /* insertion order */
        BIG_CHECK(r, p->deadline > last_d || (p->deadline == last_d && i > last_i));
        BIG_CHECK(r, p->deadline == big_deadline(r->pattern, i));
        last_d = p->deadline;
        last_i = i;
        popped++;
        if (popped % 25000 == 0)
            BIG_CHECK(r, tq_check(&bq));
    }
    BIG_CHECK(r, popped == NBIG - NBIG / 10 || popped == NBIG - NBIG / 10 + 1);
    BIG_CHECK(r, tq_check(&bq) && tq_peek(&bq) == NULL);
    return NULL;
}

static void run_big(enum pattern p)
{
    struct big_run r = { .pattern = p, .n = calloc(NBIG, sizeof(struct tq_node)) };
    assert_non_null(r.n);
    pthread_attr_t attr;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    clock_t t0 = clock();
    assert_int_equal(pthread_create(&t, &attr, big_pattern, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    pthread_attr_destroy(&attr);
    free(r.n);
    if (r.failed)
        fail_msg("pattern %d: %s", (int)p, r.failed);
    /* Two-pass pairing melds O(log n) amortized children per pop/remove
     * (these patterns need under n log2 n in all); one-pass pairing needs
     * ~3.5 n log2 n on the sawtooth, a linear-per-operation heap ~n^2/2. */
    const uint64_t log2n = 17;
    if (r.work > 2 * (uint64_t)NBIG * log2n)
        fail_msg("pattern %d: %llu children melded for %d nodes: not O(n log n)",
                 (int)p, (unsigned long long)r.work, NBIG);
    /* And whatever the shape, it stays fast: an O(n log n) run takes well
     * under a second even under the sanitizers; a quadratic one, hours. */
    if (cpu_s > 10.0)
        fail_msg("pattern %d: %.1f s of CPU for %d nodes: not O(n log n)", (int)p, cpu_s, NBIG);
}

static void worst_case_ascending(void **state)  { (void)state; run_big(ASCENDING); }
static void worst_case_descending(void **state) { (void)state; run_big(DESCENDING); }
static void worst_case_all_equal(void **state)  { (void)state; run_big(ALL_EQUAL); }
static void worst_case_sawtooth(void **state)   { (void)state; run_big(SAWTOOTH); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(empty_queue_has_nothing, setup),
        cmocka_unit_test_setup(pops_in_deadline_order, setup),
        cmocka_unit_test_setup(equal_deadlines_leave_fifo, setup),
        cmocka_unit_test_setup(pop_expired_boundaries, setup),
        cmocka_unit_test_setup(remove_every_position, setup),
        cmocka_unit_test_setup(remove_of_unqueued_node_is_a_noop, setup),
        cmocka_unit_test_setup(insert_of_queued_node_asserts, setup),
        cmocka_unit_test_setup(reinsert_after_remove_and_pop, setup),
        cmocka_unit_test_setup(check_catches_corruption, setup),
        cmocka_unit_test_setup(random_ops_match_the_model, setup),
        cmocka_unit_test(worst_case_ascending),
        cmocka_unit_test(worst_case_descending),
        cmocka_unit_test(worst_case_all_equal),
        cmocka_unit_test(worst_case_sawtooth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
