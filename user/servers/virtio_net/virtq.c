// SPDX-License-Identifier: MIT
/* virtq.c - split virtqueue book-keeping (virtq.h). Indices: avail_idx and
 * last_used are free-running 16-bit counters like the device's, and ring
 * slots are counter & (size - 1); differences are taken modulo 2^16, so
 * wrap-around needs no special case. Invariant (virtq_check): nfree plus
 * the ndesc of every head in flight equals size, the free list has nfree
 * distinct entries, and no descriptor is on it and in a chain at once.
 * Ordering: descriptors and ring slots are written before the release store
 * of avail->idx; used entries are read after the acquire load of used->idx;
 * a full fence separates publishing from reading the device's NO_NOTIFY. */
#include "virtq.h"

#include <mos/errors.h>
#include "lib/string.h"

#define VIRTQ_PAGE 4096u

static uint64_t virtq_avail_bytes(uint16_t size)
{
    return 6u + 2u * (uint64_t)size;                  /* flags, idx, ring[size], used_event */
}

static uint64_t virtq_used_off(uint16_t size)
{
    uint64_t end = 16u * (uint64_t)size + virtq_avail_bytes(size);
    return (end + VIRTQ_PAGE - 1) & ~(uint64_t)(VIRTQ_PAGE - 1);
}

uint64_t virtq_bytes(uint16_t size)
{
    return virtq_used_off(size) + 6u + 8u * (uint64_t)size;
}

static void virtq_free_all(struct virtq *vq)
{
    for (uint16_t i = 0; i < vq->size; i++) {
        vq->next[i] = (uint16_t)(i + 1);
        vq->head[i].ndesc = 0;
        vq->head[i].writable = 0;
    }
    vq->free_head = 0;
    vq->nfree = vq->size;
    vq->avail_idx = vq->published = vq->last_used = 0;
}

int virtq_init(struct virtq *vq, uint16_t size, void *mem, uint64_t pa)
{
    if (size < 2 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) || (pa & (VIRTQ_PAGE - 1)) || !mem)
        return -MOS_EINVAL;
    memset(vq, 0, sizeof *vq);
    vq->size = size;
    uint8_t *base = mem;
    vq->desc = (volatile struct virtq_desc *)base;
    vq->avail = (volatile struct virtq_avail *)(base + 16u * size);
    vq->used = (volatile struct virtq_used *)(base + virtq_used_off(size));
    vq->desc_pa = pa;
    vq->avail_pa = pa + 16u * size;
    vq->used_pa = pa + virtq_used_off(size);
    virtq_reset(vq);
    return 0;
}

void virtq_reset(struct virtq *vq)
{
    memset((void *)vq->desc, 0, (size_t)virtq_bytes(vq->size));
    virtq_free_all(vq);
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n)
{
    if (n == 0 || n > vq->size)
        return -MOS_EINVAL;
    bool seen_write = false;
    uint64_t writable = 0;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].len == 0 || (seen_write && !bufs[i].device_writes))
            return -MOS_EINVAL;                 /* readable parts come first (2.7.4.2) */
        seen_write |= bufs[i].device_writes;
        if (bufs[i].device_writes)
            writable += bufs[i].len;
    }
    if (writable > UINT32_MAX)
        return -MOS_EINVAL;
    if (vq->nfree < n)
        return -MOS_ENOSPC;
    uint16_t head = vq->free_head, d = head;
    for (unsigned i = 0; i < n; i++) {
        volatile struct virtq_desc *vd = &vq->desc[d];
        vd->addr = bufs[i].addr;
        vd->len = bufs[i].len;
        uint16_t flags = bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0;
        uint16_t nx = vq->next[d];
        if (i + 1 < n)
            flags |= VIRTQ_DESC_F_NEXT;
        vd->flags = flags;
        vd->next = (i + 1 < n) ? nx : 0;
        if (i + 1 < n)
            d = nx;
    }
    vq->free_head = vq->next[d];                /* the descriptor after the chain's last */
    vq->nfree = (uint16_t)(vq->nfree - n);
    vq->head[head].ndesc = (uint16_t)n;
    vq->head[head].writable = (uint32_t)writable;
    vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
    vq->avail_idx++;
    return head;
}

bool virtq_publish(struct virtq *vq)
{
    if (vq->avail_idx == vq->published)
        return false;
    __atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
    vq->published = vq->avail_idx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

int virtq_get(struct virtq *vq, uint16_t *head, uint32_t *len)
{
    uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(idx - vq->last_used);
    if (pending == 0)
        return 0;
    if (pending > vq->size)
        return -MOS_EIO;                        /* ran ahead of anything we could have given */
    volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
    uint32_t id = e->id, n = e->len;            /* read once each */
    if (id >= vq->size || vq->head[id].ndesc == 0)
        return -MOS_EIO;                        /* not a chain in flight (or used twice) */
    vq->last_used++;
    /* Return the chain to the free list, following our own links. */
    uint16_t d = (uint16_t)id;
    for (uint16_t i = 1; i < vq->head[id].ndesc; i++)
        d = vq->next[d];
    vq->next[d] = vq->free_head;
    vq->free_head = (uint16_t)id;
    vq->nfree = (uint16_t)(vq->nfree + vq->head[id].ndesc);
    uint32_t writable = vq->head[id].writable;
    vq->head[id].ndesc = 0;
    vq->head[id].writable = 0;
    *head = (uint16_t)id;
    *len = n;
    return n > writable ? -MOS_ERANGE : 1;
}

bool virtq_in_flight(const struct virtq *vq, uint16_t head)
{
    return head < vq->size && vq->head[head].ndesc != 0;
}

int virtq_check(const struct virtq *vq)
{
    uint8_t owner[VIRTQ_MAX_SIZE];             /* 0 unseen, 1 free, 2 in a chain */
    memset(owner, 0, sizeof owner);
    uint16_t d = vq->free_head;
    for (uint16_t i = 0; i < vq->nfree; i++) {
        if (d >= vq->size || owner[d])
            return -MOS_EIO;
        owner[d] = 1;
        d = vq->next[d];
    }
    unsigned used = 0;
    for (uint16_t h = 0; h < vq->size; h++) {
        if (!vq->head[h].ndesc)
            continue;
        d = h;
        for (uint16_t i = 0; i < vq->head[h].ndesc; i++) {
            if (d >= vq->size || owner[d])
                return -MOS_EIO;
            owner[d] = 2;
            used++;
            if (i + 1 < vq->head[h].ndesc)
                d = vq->next[d];
        }
    }
    return used + vq->nfree == vq->size ? 0 : -MOS_EIO;
}
