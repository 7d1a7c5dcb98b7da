/* SPDX-License-Identifier: MIT */
/* timerq.h - a per-CPU timer queue: pending deadlines (ns of now_ns()) with
 * O(log n) insert, remove and earliest, ties in insertion order. Intrusive
 * (the node lives in the thread or the object that waits) and pure; the
 * owning CPU's scheduler lock protects it. */
#pragma once

#include "lib/types.h"

struct tq_node {
    uint64_t deadline;          /* absolute, ns */
    uint64_t seq;               /* insertion order, breaks ties */
    struct tq_node *parent, *left, *right;   /* owned by timerq.c */
    bool queued;
};

struct timerq {
    struct tq_node *root;
    uint64_t count;
    uint64_t next_seq;
};

void tq_init(struct timerq *q);
void tq_node_init(struct tq_node *n);
/* Insert n (not queued) with an absolute deadline. */
void tq_insert(struct timerq *q, struct tq_node *n, uint64_t deadline);
/* Remove n if queued (no-op otherwise). */
void tq_remove(struct timerq *q, struct tq_node *n);
/* Earliest node, or NULL when empty. */
struct tq_node *tq_peek(const struct timerq *q);
/* Remove and return the earliest node whose deadline <= now, else NULL. */
struct tq_node *tq_pop_expired(struct timerq *q, uint64_t now);
/* Invariant checker: heap order (deadline, seq), parent links, count. */
bool tq_check(const struct timerq *q);
