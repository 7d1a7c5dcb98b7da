/* SPDX-License-Identifier: MIT */
/* netring.h - single-producer/single-consumer queues of buffer descriptors
 * in shared memory (the driver <-> netstack data path, docs/network.md).
 *
 * One ring has one producer process and one consumer process; they share
 * the memory through a grant. The producer alone writes `head` and the
 * descriptors; the consumer alone writes `tail`. A descriptor names a
 * buffer by its offset in the shared buffer area, never by a pointer, so
 * the two sides may map the area at different addresses.
 *
 * Sleeping without lost wake-ups: a consumer that finds the ring empty
 * calls netring_consumer_sleep(), which sets `consumer_waiting`, issues a
 * full barrier and looks again; only if it is still empty may the consumer
 * block (on its endpoint). A producer calls netring_push() and then
 * netring_producer_must_notify(): a full barrier, then if
 * `consumer_waiting` was set it is cleared and the producer must send one
 * notification. Either the consumer's second look sees the new entry, or
 * the producer sees the flag: never neither. The same pair exists for a
 * producer that found the ring full (netring_producer_sleep /
 * netring_consumer_must_notify).
 *
 * Nothing here trusts the other side: every index and descriptor read from
 * shared memory is checked by the caller (netring_pop returns what it read;
 * check offset/len against the buffer area before use). A corrupt `head`
 * (more entries than the ring holds) makes netring_pop fail.
 * Header-only; no system calls; usable in host tests. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct netring_desc {
    uint32_t offset;            /* into the shared buffer area */
    uint32_t len;               /* bytes used (RX/TX) or buffer capacity (free) */
    uint32_t id;                /* producer's cookie, returned unchanged */
    uint32_t flags;
};

#define NETRING_CACHELINE 64

struct netring {
    volatile uint32_t head;                     /* producer: next slot to fill */
    uint8_t _pad0[NETRING_CACHELINE - 4];
    volatile uint32_t tail;                     /* consumer: next slot to take */
    uint8_t _pad1[NETRING_CACHELINE - 4];
    volatile uint32_t consumer_waiting;         /* set by a consumer about to sleep */
    volatile uint32_t producer_waiting;         /* set by a producer that found it full */
    uint32_t size;                              /* entries, a power of two; fixed at init */
    uint8_t _pad2[NETRING_CACHELINE - 12];
    struct netring_desc d[];
};

/* Bytes a ring of `size` entries occupies. */
static inline uint64_t netring_bytes(uint32_t size)
{
    return sizeof(struct netring) + (uint64_t)size * sizeof(struct netring_desc);
}

/* Initialise (the side that creates the shared memory does this once). */
static inline bool netring_init(struct netring *r, uint32_t size)
{
    if (size == 0 || (size & (size - 1)) != 0)
        return false;
    r->head = 0;
    r->tail = 0;
    r->consumer_waiting = 0;
    r->producer_waiting = 0;
    r->size = size;
    return true;
}

/* The entry count as the caller can trust it: `size` is read once by each
 * side at attach time and passed in, never re-read from shared memory. */
static inline uint32_t netring_count(const struct netring *r, uint32_t size)
{
    uint32_t n = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    return n > size ? size + 1 : n;             /* > size: the peer corrupted it */
}

/* Producer: append one descriptor; false if the ring is full. */
static inline bool netring_push(struct netring *r, uint32_t size, const struct netring_desc *d)
{
    uint32_t head = r->head;                    /* only we write it */
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    if (head - tail >= size)
        return false;
    r->d[head & (size - 1)] = *d;
    __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
    return true;
}

/* Consumer: take one descriptor; false if empty or the head is corrupt. */
static inline bool netring_pop(struct netring *r, uint32_t size, struct netring_desc *out)
{
    uint32_t tail = r->tail;                    /* only we write it */
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    if (head == tail || head - tail > size)
        return false;
    *out = r->d[tail & (size - 1)];
    __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

/* Consumer found the ring empty: true if it may now block (still empty
 * after announcing itself); false if an entry arrived meanwhile. */
static inline bool netring_consumer_sleep(struct netring *r, uint32_t size)
{
    __atomic_store_n(&r->consumer_waiting, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (netring_count(r, size) != 0) {
        __atomic_store_n(&r->consumer_waiting, 0, __ATOMIC_RELAXED);
        return false;
    }
    return true;
}

/* Producer, after one or more pushes: true if it must notify the consumer. */
static inline bool netring_producer_must_notify(struct netring *r)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->consumer_waiting, __ATOMIC_SEQ_CST) == 0)
        return false;
    return __atomic_exchange_n(&r->consumer_waiting, 0, __ATOMIC_SEQ_CST) != 0;
}

/* Producer found the ring full: true if it may now block. */
static inline bool netring_producer_sleep(struct netring *r, uint32_t size)
{
    __atomic_store_n(&r->producer_waiting, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (netring_count(r, size) < size) {
        __atomic_store_n(&r->producer_waiting, 0, __ATOMIC_RELAXED);
        return false;
    }
    return true;
}

/* Consumer, after one or more pops: true if it must notify the producer. */
static inline bool netring_consumer_must_notify(struct netring *r)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->producer_waiting, __ATOMIC_SEQ_CST) == 0)
        return false;
    return __atomic_exchange_n(&r->producer_waiting, 0, __ATOMIC_SEQ_CST) != 0;
}
