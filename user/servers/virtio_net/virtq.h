/* SPDX-License-Identifier: MIT */
/* virtq.h - the driver's side of one split virtqueue (virtq.c): the
 * descriptor free list, making and publishing chains, and taking what the
 * device used. The device is not trusted: everything read from the used
 * ring is checked (index running ahead, ids out of range, not at the head
 * of a chain in flight, or used twice; lengths beyond what was writable).
 * Book-keeping the device could corrupt (free list, chain links, what is in
 * flight) is private, never read back from the descriptor table. Pure: the
 * rings are memory the caller provides with its physical address; host-
 * tested by tests/host/test_virtq.c. One thread per queue. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "virtio_hw.h"

#define VIRTQ_MAX_SIZE 256u

struct virtq_buf {
    uint64_t addr;              /* physical */
    uint32_t len;
    bool device_writes;         /* VIRTQ_DESC_F_WRITE */
};

struct virtq {
    uint16_t size;                          /* entries, a power of two */
    uint16_t nfree;                         /* descriptors free */
    uint16_t free_head;                     /* first free descriptor (if nfree) */
    uint16_t avail_idx;                     /* our avail index (published or not) */
    uint16_t published;                     /* avail->idx as last written */
    uint16_t last_used;                     /* next used entry to take */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint64_t desc_pa, avail_pa, used_pa;
    uint16_t next[VIRTQ_MAX_SIZE];          /* private: free list and chain links */
    struct {
        uint16_t ndesc;                     /* descriptors in the chain; 0 = not in flight */
        uint32_t writable;                  /* bytes the device may write */
    } head[VIRTQ_MAX_SIZE];
};

/* Bytes of ring memory for a queue of `size` entries: the descriptor table,
 * the available ring, and (at the next 4 KiB boundary) the used ring. */
uint64_t virtq_bytes(uint16_t size);

/* Set up vq over mem (virtq_bytes(size) bytes, zeroed here) at physical
 * address pa. size must be a power of two, 2..VIRTQ_MAX_SIZE, pa 4 KiB
 * aligned. Returns 0 or -MOS_EINVAL. Everything is free afterwards. */
int virtq_init(struct virtq *vq, uint16_t size, void *mem, uint64_t pa);

/* Forget everything in flight (after a device reset) and zero the rings. */
void virtq_reset(struct virtq *vq);

/* Make a chain of n buffers and put its head in the available ring (not yet
 * visible to the device: see virtq_publish). Returns the head id (0..size-1),
 * -MOS_EINVAL (n == 0 or > size, a zero length, device-readable buffers after
 * device-writable ones) or -MOS_ENOSPC (fewer than n descriptors free). */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n);

/* Make the chains added so far visible to the device. Returns true if there
 * were new ones and the device asked to be notified (it did not set
 * VIRTQ_USED_F_NO_NOTIFY): then the caller must notify the queue. */
bool virtq_publish(struct virtq *vq);

/* Take one used entry: 1 (*head, *len set), 0 (nothing used), or
 *   -MOS_EIO     the device is broken: used index more than size ahead, an id
 *                out of range or not the head of a chain in flight. Nothing
 *                is taken; the caller resets the device.
 *   -MOS_ERANGE  len exceeds the chain's writable bytes: the chain is taken
 *                (*head set, *len the bad value); the caller drops its data. */
int virtq_get(struct virtq *vq, uint16_t *head, uint32_t *len);

/* Is the chain with this head in flight? (For reclaiming after a reset.) */
bool virtq_in_flight(const struct virtq *vq, uint16_t head);

/* Consistency of the private book-keeping: every descriptor is free or in
 * exactly one chain in flight. For tests; returns 0 or -MOS_EIO. */
int virtq_check(const struct virtq *vq);
