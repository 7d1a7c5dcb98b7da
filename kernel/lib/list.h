/* SPDX-License-Identifier: MIT */
/* list.h - intrusive circular doubly-linked lists (a struct list_node inside
 * the element; the head is a node whose next/prev point at itself when
 * empty). Pure; no locking of its own. */
#pragma once

#include "lib/types.h"

struct list_node {
    struct list_node *next, *prev;
};

#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_node *h) { return h->next == h; }
/* A node that is in no list has next == NULL (after list_node_init / remove). */
static inline void list_node_init(struct list_node *n) { n->next = n->prev = NULL; }
static inline bool list_linked(const struct list_node *n) { return n->next != NULL; }

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
                                       struct list_node *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}
static inline void list_push_back(struct list_node *h, struct list_node *n) { list_insert_between(n, h->prev, h); }
static inline void list_push_front(struct list_node *h, struct list_node *n) { list_insert_between(n, h, h->next); }

static inline void list_remove(struct list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

static inline struct list_node *list_pop_front(struct list_node *h)
{
    if (list_empty(h))
        return NULL;
    struct list_node *n = h->next;
    list_remove(n);
    return n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_for_each(pos, head) for (struct list_node *pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, tmp, head) \
    for (struct list_node *pos = (head)->next, *tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)
