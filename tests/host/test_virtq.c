// SPDX-License-Identifier: MIT
/* test_virtq.c - the virtio-net driver's pure parts against a model device
 * working on the same memory: virtq.c (descriptor free list, chains,
 * publish/notify, avail and used indices wrapping past 65535, and a
 * malicious device: used index running ahead, ids out of range, not a head,
 * used twice, lengths beyond what was writable) and vnet.c (the region
 * layout, receive and transmit paths, descriptors from the netstack that
 * break the rules never reaching the device, the waiting-flag
 * notifications, reclaim after a reset, and a seeded random run checking
 * that every address the device sees lies inside one buffer and every
 * buffer comes back exactly once). virtq_check() runs after each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "virtq.h"
#include "vnet.h"

/* ---------------------------------------------------------------- model device */

struct mdev {
    uint16_t last_avail;            /* next avail entry the device takes */
    uint16_t used_idx;
};

struct chain {
    uint16_t head;
    unsigned n;
    struct virtq_desc d[VIRTQ_MAX_SIZE];
};

/* Take the next available chain (following the device-visible links). */
static bool dev_take(struct virtq *vq, struct mdev *m, struct chain *c)
{
    if (vq->avail->idx == m->last_avail)
        return false;
    c->head = vq->avail->ring[m->last_avail % vq->size];
    m->last_avail++;
    c->n = 0;
    uint16_t d = c->head;
    for (;;) {
        assert_true(d < vq->size);
        assert_true(c->n < vq->size);
        c->d[c->n] = *(const struct virtq_desc *)&vq->desc[d];
        if (!(c->d[c->n++].flags & VIRTQ_DESC_F_NEXT))
            break;
        d = vq->desc[d].next;
    }
    return true;
}

static void dev_used(struct virtq *vq, struct mdev *m, uint32_t id, uint32_t len)
{
    vq->used->ring[m->used_idx % vq->size].id = id;
    vq->used->ring[m->used_idx % vq->size].len = len;
    m->used_idx++;
    vq->used->idx = m->used_idx;
}

static void *qmem;
static struct virtq vq;
static struct mdev dev;

static int setup_q(void **state)
{
    (void)state;
    qmem = aligned_alloc(4096, 3 * 4096 + 4096);
    assert_non_null(qmem);
    memset(&dev, 0, sizeof dev);
    return 0;
}

static int teardown_q(void **state)
{
    (void)state;
    free(qmem);
    return 0;
}

static void init_q(uint16_t size)
{
    assert_int_equal(virtq_init(&vq, size, qmem, (uintptr_t)qmem), 0);
    assert_int_equal(virtq_check(&vq), 0);
}

static int add1(uint32_t len, bool w)
{
    struct virtq_buf b = { .addr = 0x1000, .len = len, .device_writes = w };
    return virtq_add(&vq, &b, 1);
}

/* ---------------------------------------------------------------- virtq */

static void init_checks_its_arguments(void **state)
{
    (void)state;
    assert_int_equal(virtq_init(&vq, 0, qmem, (uintptr_t)qmem), -MOS_EINVAL);
    assert_int_equal(virtq_init(&vq, 1, qmem, (uintptr_t)qmem), -MOS_EINVAL);
    assert_int_equal(virtq_init(&vq, 3, qmem, (uintptr_t)qmem), -MOS_EINVAL);
    assert_int_equal(virtq_init(&vq, 512, qmem, (uintptr_t)qmem), -MOS_EINVAL);
    assert_int_equal(virtq_init(&vq, 8, qmem, (uintptr_t)qmem + 8), -MOS_EINVAL);
    assert_int_equal(virtq_init(&vq, 8, NULL, 0x1000), -MOS_EINVAL);
    assert_true(virtq_bytes(256) <= 3 * 4096);
    init_q(256);
    assert_int_equal(vq.used_pa % 4, 0);
    assert_int_equal(vq.avail_pa, vq.desc_pa + 16 * 256);
}

static void one_buffer_round_trip(void **state)
{
    (void)state;
    init_q(8);
    int h = add1(1500, true);
    assert_true(h >= 0 && h < 8);
    assert_int_equal(vq.avail->idx, 0);         /* not published yet */
    assert_true(virtq_publish(&vq));
    assert_false(virtq_publish(&vq));           /* nothing new */
    assert_int_equal(vq.avail->idx, 1);
    struct chain c;
    assert_true(dev_take(&vq, &dev, &c));
    assert_int_equal(c.head, h);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.d[0].len, 1500);
    assert_int_equal(c.d[0].flags, VIRTQ_DESC_F_WRITE);
    uint16_t head;
    uint32_t len;
    assert_int_equal(virtq_get(&vq, &head, &len), 0);
    dev_used(&vq, &dev, c.head, 1400);
    assert_int_equal(virtq_get(&vq, &head, &len), 1);
    assert_int_equal(head, h);
    assert_int_equal(len, 1400);
    assert_int_equal(vq.nfree, 8);
    assert_int_equal(virtq_check(&vq), 0);
    assert_int_equal(virtq_get(&vq, &head, &len), 0);
}

static void chains_and_the_free_list(void **state)
{
    (void)state;
    init_q(8);
    struct virtq_buf b[3] = {
        { .addr = 0x1000, .len = 12 },
        { .addr = 0x2000, .len = 100 },
        { .addr = 0x3000, .len = 50, .device_writes = true },
    };
    int h1 = virtq_add(&vq, b, 3), h2 = virtq_add(&vq, b, 3);
    assert_true(h1 >= 0 && h2 >= 0 && h1 != h2);
    assert_int_equal(vq.nfree, 2);
    assert_int_equal(virtq_add(&vq, b, 3), -MOS_ENOSPC);
    assert_int_equal(vq.nfree, 2);              /* a refused add takes nothing */
    int h3 = virtq_add(&vq, b + 1, 2);
    assert_true(h3 >= 0);
    assert_int_equal(vq.nfree, 0);
    assert_int_equal(add1(10, false), -MOS_ENOSPC);
    assert_int_equal(virtq_check(&vq), 0);
    virtq_publish(&vq);
    struct chain c1, c2, c3;
    assert_true(dev_take(&vq, &dev, &c1) && dev_take(&vq, &dev, &c2) && dev_take(&vq, &dev, &c3));
    assert_int_equal(c1.n, 3);
    assert_int_equal(c1.d[0].flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(c1.d[2].flags, VIRTQ_DESC_F_WRITE);
    assert_int_equal(c1.d[1].addr, 0x2000);
    assert_int_equal(c3.n, 2);
    /* Completed out of order. */
    uint16_t head;
    uint32_t len;
    dev_used(&vq, &dev, c2.head, 50);
    dev_used(&vq, &dev, c3.head, 0);
    assert_int_equal(virtq_get(&vq, &head, &len), 1);
    assert_int_equal(head, h2);
    assert_int_equal(virtq_get(&vq, &head, &len), 1);
    assert_int_equal(head, h3);
    assert_int_equal(vq.nfree, 5);
    assert_int_equal(virtq_check(&vq), 0);
    int h4 = virtq_add(&vq, b, 3), h5 = virtq_add(&vq, b, 2);
    assert_true(h4 >= 0 && h5 >= 0);
    assert_int_equal(vq.nfree, 0);
    assert_int_equal(virtq_check(&vq), 0);
    dev_used(&vq, &dev, c1.head, 50);
    assert_int_equal(virtq_get(&vq, &head, &len), 1);
    assert_int_equal(head, h1);
    assert_int_equal(virtq_check(&vq), 0);
}

static void add_refuses_malformed_chains(void **state)
{
    (void)state;
    init_q(8);
    struct virtq_buf b[9];
    for (unsigned i = 0; i < 9; i++)
        b[i] = (struct virtq_buf){ .addr = 0x1000 * (i + 1), .len = 10 };
    assert_int_equal(virtq_add(&vq, b, 0), -MOS_EINVAL);
    assert_int_equal(virtq_add(&vq, b, 9), -MOS_EINVAL);
    b[1].len = 0;
    assert_int_equal(virtq_add(&vq, b, 2), -MOS_EINVAL);
    b[1].len = 10;
    b[0].device_writes = true;                  /* writable before readable */
    assert_int_equal(virtq_add(&vq, b, 2), -MOS_EINVAL);
    b[0].device_writes = false;
    b[0].len = b[1].len = 0x80000000u;
    b[0].device_writes = b[1].device_writes = true;
    assert_int_equal(virtq_add(&vq, b, 2), -MOS_EINVAL);   /* writable total above 4 GiB */
    assert_int_equal(vq.nfree, 8);
    for (unsigned i = 0; i < 9; i++)
        b[i] = (struct virtq_buf){ .addr = 0x1000 * (i + 1), .len = 10, .device_writes = i >= 4 };
    assert_true(virtq_add(&vq, b, 8) >= 0);     /* exactly the whole table */
    assert_int_equal(vq.nfree, 0);
    assert_int_equal(virtq_check(&vq), 0);
}

static void indices_wrap_around(void **state)
{
    (void)state;
    init_q(4);
    unsigned long done = 0;
    for (unsigned i = 0; i < 70000; i++) {
        struct virtq_buf b[2] = { { .addr = 0x1000, .len = 8 },
                                  { .addr = 0x2000, .len = 64 + i % 64, .device_writes = true } };
        unsigned n = 1 + i % 2;
        int h = virtq_add(&vq, b + 2 - n, n);
        assert_true(h >= 0);
        if (i % 3 == 0) {
            int h2 = virtq_add(&vq, b + 1, 1);
            assert_true(h2 >= 0);
        }
        virtq_publish(&vq);
        struct chain c;
        while (dev_take(&vq, &dev, &c))
            dev_used(&vq, &dev, c.head, c.d[c.n - 1].len);
        uint16_t head;
        uint32_t len;
        int r;
        while ((r = virtq_get(&vq, &head, &len)) == 1)
            done++;
        assert_int_equal(r, 0);
        if (i % 1000 == 0)
            assert_int_equal(virtq_check(&vq), 0);
    }
    assert_int_equal(done, 70000 + 70000 / 3 + 1);
    assert_int_equal(vq.nfree, 4);
    assert_true(vq.avail_idx == (uint16_t)done);
    assert_int_equal(virtq_check(&vq), 0);
}

static void device_may_suppress_notifications(void **state)
{
    (void)state;
    init_q(8);
    vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
    assert_true(add1(10, false) >= 0);
    assert_false(virtq_publish(&vq));
    assert_int_equal(vq.avail->idx, 1);         /* published all the same */
    vq.used->flags = 0;
    assert_true(add1(10, false) >= 0);
    assert_true(virtq_publish(&vq));
}

static void used_index_running_ahead(void **state)
{
    (void)state;
    init_q(8);
    assert_true(add1(100, true) >= 0);
    virtq_publish(&vq);
    vq.used->idx = 9;                           /* 9 entries used out of 1 given (and > size) */
    uint16_t head;
    uint32_t len;
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
    assert_int_equal(vq.nfree, 7);              /* nothing taken */
    assert_int_equal(virtq_check(&vq), 0);
    vq.used->idx = 0xFFFF;                      /* "minus one": far ahead modulo 2^16 */
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
}

static void used_ids_that_are_not_in_flight(void **state)
{
    (void)state;
    init_q(8);
    struct virtq_buf b[2] = { { .addr = 0x1000, .len = 12 }, { .addr = 0x2000, .len = 100, .device_writes = true } };
    int h = virtq_add(&vq, b, 2);
    assert_true(h >= 0);
    virtq_publish(&vq);
    struct chain c;
    assert_true(dev_take(&vq, &dev, &c));
    uint16_t head;
    uint32_t len;
    uint16_t second = vq.desc[h].next;          /* the chain's other descriptor */
    static const uint32_t bad_ids[] = { 8, 0xFFFFFFFF, 0x10000 };
    for (unsigned i = 0; i < 3; i++) {
        struct mdev save = dev;
        uint16_t save_last = vq.last_used;
        dev_used(&vq, &dev, bad_ids[i], 0);
        assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
        dev = save;
        vq.used->idx = dev.used_idx;
        vq.last_used = save_last;
    }
    dev_used(&vq, &dev, second, 10);            /* not a head */
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
    dev.used_idx--;
    vq.used->idx = dev.used_idx;
    uint16_t never = (uint16_t)((h + 5) % 8);   /* a free descriptor */
    dev_used(&vq, &dev, never, 10);
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
    dev.used_idx--;
    vq.used->idx = dev.used_idx;
    dev_used(&vq, &dev, (uint32_t)h, 100);
    assert_int_equal(virtq_get(&vq, &head, &len), 1);
    dev_used(&vq, &dev, (uint32_t)h, 100);      /* the same chain twice */
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_EIO);
    assert_int_equal(vq.nfree, 8);
    assert_int_equal(virtq_check(&vq), 0);
}

static void used_lengths_beyond_the_writable_part(void **state)
{
    (void)state;
    init_q(8);
    struct virtq_buf b[2] = { { .addr = 0x1000, .len = 12 }, { .addr = 0x2000, .len = 100, .device_writes = true } };
    int h = virtq_add(&vq, b, 2);
    int r = virtq_add(&vq, b, 1);               /* device-readable only */
    virtq_publish(&vq);
    uint16_t head;
    uint32_t len;
    dev_used(&vq, &dev, (uint32_t)h, 101);
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_ERANGE);
    assert_int_equal(head, h);
    assert_int_equal(len, 101);
    dev_used(&vq, &dev, (uint32_t)r, 1);
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_ERANGE);
    assert_int_equal(vq.nfree, 8);              /* both chains taken back all the same */
    assert_int_equal(virtq_check(&vq), 0);
    h = virtq_add(&vq, b, 2);
    virtq_publish(&vq);
    dev_used(&vq, &dev, (uint32_t)h, 0xFFFFFFFF);
    assert_int_equal(virtq_get(&vq, &head, &len), -MOS_ERANGE);
}

/* ---------------------------------------------------------------- vnet */

static uint8_t *region;
static void *qmem2;
static struct virtq rxq, txq;
static struct mdev rxd, txd;
static struct vnet net;
static unsigned kicks[2], notifies;
static uint32_t notify_bits;
static struct vnet_ops ops;

static void t_kick(void *ctx, unsigned q)
{
    (void)ctx;
    assert_true(q < 2);
    kicks[q]++;
}

static void t_notify(void *ctx, uint32_t bits)
{
    (void)ctx;
    notifies++;
    notify_bits |= bits;
}

#define HDR_PA 0x7000000u

static int setup_net(void **state)
{
    (void)state;
    region = aligned_alloc(4096, vnet_region_bytes());
    qmem = aligned_alloc(4096, 4 * 4096);
    qmem2 = aligned_alloc(4096, 4 * 4096);
    assert_non_null(region);
    memset(&rxd, 0, sizeof rxd);
    memset(&txd, 0, sizeof txd);
    memset(&net, 0, sizeof net);
    kicks[0] = kicks[1] = notifies = notify_bits = 0;
    assert_int_equal(virtq_init(&rxq, 256, qmem, (uintptr_t)qmem), 0);
    assert_int_equal(virtq_init(&txq, 256, qmem2, (uintptr_t)qmem2), 0);
    ops = (struct vnet_ops){ .kick = t_kick, .notify = t_notify };
    net.ops = &ops;
    net.rxq = &rxq;
    net.txq = &txq;
    net.hdr_pa = HDR_PA;
    memcpy(net.mac, "\x52\x54\x00\x12\x34\x56", 6);
    net.link_up = true;
    assert_int_equal(vnet_layout(&net, region, (uintptr_t)region, vnet_region_bytes()), 0);
    return 0;
}

static int teardown_net(void **state)
{
    (void)state;
    free(region);
    free(qmem);
    free(qmem2);
    return 0;
}

static uint32_t buf_off(unsigned i)
{
    return net.buf_off + i * net.buf_size + NETDEV_HEADROOM;
}

static void post_rx(unsigned i)
{
    struct netring_desc d = { .offset = buf_off(i), .len = net.buf_size - NETDEV_HEADROOM, .id = i };
    assert_true(netring_push(net.rx_free, net.ring_size, &d));
}

static void push_tx(uint32_t off, uint32_t len, uint32_t id)
{
    struct netring_desc d = { .offset = off, .len = len, .id = id };
    assert_true(netring_push(net.tx_ready, net.ring_size, &d));
}

static void layout_of_the_region(void **state)
{
    (void)state;
    const struct netdev_shared *sh = (const struct netdev_shared *)region;
    assert_int_equal(sh->magic, NETDEV_SHARED_MAGIC);
    assert_int_equal(sh->version, NETDEV_VERSION);
    assert_int_equal(sh->ring_size, VNET_RING_SIZE);
    assert_int_equal(sh->nbufs, VNET_NBUFS);
    assert_int_equal(sh->buf_size, VNET_BUF_SIZE);
    assert_int_equal(sh->region_bytes, vnet_region_bytes());
    assert_int_equal(vnet_region_bytes() % 4096, 0);
    assert_int_equal(sh->buf_off % 4096, 0);
    assert_memory_equal(sh->mac, "\x52\x54\x00\x12\x34\x56", 6);
    assert_int_equal(sh->link_up, 1);
    uint32_t offs[4] = { sh->rx_free_off, sh->rx_done_off, sh->tx_ready_off, sh->tx_done_off };
    for (unsigned i = 0; i < 4; i++) {
        assert_true(offs[i] >= 4096);
        assert_int_equal(offs[i] % 64, 0);
        assert_true(offs[i] + netring_bytes(sh->ring_size) <= sh->buf_off);
        for (unsigned j = 0; j < i; j++)
            assert_true(offs[i] >= offs[j] + netring_bytes(sh->ring_size));
        const struct netring *r = (const struct netring *)(region + offs[i]);
        assert_int_equal(r->size, sh->ring_size);
    }
    assert_true((uint64_t)sh->buf_off + (uint64_t)sh->nbufs * sh->buf_size <= sh->region_bytes);
    struct vnet other = net;
    assert_int_equal(vnet_layout(&other, region, (uintptr_t)region, vnet_region_bytes() - 1), -MOS_EINVAL);
    assert_int_equal(vnet_layout(&other, region, (uintptr_t)region + 64, vnet_region_bytes()), -MOS_EINVAL);
}

static void receive_path(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 4; i++)
        post_rx(i);
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(kicks[0], 1);
    struct chain c[4];
    for (unsigned i = 0; i < 4; i++) {
        assert_true(dev_take(&rxq, &rxd, &c[i]));
        assert_int_equal(c[i].n, 1);
        assert_int_equal(c[i].d[0].flags, VIRTQ_DESC_F_WRITE);
        assert_int_equal(c[i].d[0].addr, (uintptr_t)region + buf_off(i) - VIRTIO_NET_HDR_LEN);
        assert_int_equal(c[i].d[0].len, net.buf_size - NETDEV_HEADROOM + VIRTIO_NET_HDR_LEN);
    }
    assert_false(dev_take(&rxq, &rxd, &c[0]));
    /* A frame into the second buffer: header in the headroom, frame at the offset. */
    uint8_t *p = (uint8_t *)(uintptr_t)c[1].d[0].addr;
    memset(p, 0, VIRTIO_NET_HDR_LEN);
    memset(p + VIRTIO_NET_HDR_LEN, 0xAB, 60);
    dev_used(&rxq, &rxd, c[1].head, VIRTIO_NET_HDR_LEN + 60);
    dev_used(&rxq, &rxd, c[0].head, VIRTIO_NET_HDR_LEN + 1514);
    assert_int_equal(vnet_poll(&net), 0);
    struct netring_desc d;
    assert_true(netring_pop(net.rx_done, net.ring_size, &d));
    assert_int_equal(d.id, 1);
    assert_int_equal(d.offset, buf_off(1));
    assert_int_equal(d.len, 60);
    assert_int_equal(d.flags, 0);
    assert_int_equal(region[d.offset], 0xAB);
    assert_true(netring_pop(net.rx_done, net.ring_size, &d));
    assert_int_equal(d.id, 0);
    assert_int_equal(d.len, 1514);
    assert_false(netring_pop(net.rx_done, net.ring_size, &d));
    const struct netdev_shared *sh = (const struct netdev_shared *)region;
    assert_int_equal(sh->rx_packets, 2);
    assert_int_equal(sh->rx_bytes, 1574);
    /* The device lies about a length, or sends a runt: the buffer comes back marked. */
    dev_used(&rxq, &rxd, c[2].head, net.buf_size);                 /* > writable */
    dev_used(&rxq, &rxd, c[3].head, VIRTIO_NET_HDR_LEN + 13);      /* no Ethernet header */
    assert_int_equal(vnet_poll(&net), 0);
    for (unsigned i = 2; i < 4; i++) {
        assert_true(netring_pop(net.rx_done, net.ring_size, &d));
        assert_int_equal(d.id, i);
        assert_int_equal(d.flags, NETDEV_DESC_ERROR);
        assert_int_equal(d.len, 0);
    }
    assert_int_equal(sh->rx_errors, 2);
    assert_int_equal(virtq_check(&rxq), 0);
}

static void transmit_path(void **state)
{
    (void)state;
    push_tx(buf_off(10), 60, 77);
    push_tx(buf_off(11) + 100, 1514, 78);
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(kicks[1], 1);
    struct chain c;
    assert_true(dev_take(&txq, &txd, &c));
    assert_int_equal(c.n, 2);
    assert_int_equal(c.d[0].addr, HDR_PA);
    assert_int_equal(c.d[0].len, VIRTIO_NET_HDR_LEN);
    assert_int_equal(c.d[0].flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(c.d[1].addr, (uintptr_t)region + buf_off(10));
    assert_int_equal(c.d[1].len, 60);
    assert_int_equal(c.d[1].flags, 0);
    dev_used(&txq, &txd, c.head, 0);
    struct chain c2;
    assert_true(dev_take(&txq, &txd, &c2));
    assert_int_equal(c2.d[1].len, 1514);
    assert_int_equal(vnet_poll(&net), 0);
    struct netring_desc d;
    assert_true(netring_pop(net.tx_done, net.ring_size, &d));
    assert_int_equal(d.id, 77);
    assert_int_equal(d.len, 60);
    assert_int_equal(d.flags, 0);
    assert_false(netring_pop(net.tx_done, net.ring_size, &d));     /* 78 still in flight */
    dev_used(&txq, &txd, c2.head, 0);
    assert_int_equal(vnet_poll(&net), 0);
    assert_true(netring_pop(net.tx_done, net.ring_size, &d));
    assert_int_equal(d.id, 78);
    assert_int_equal(((const struct netdev_shared *)region)->tx_packets, 2);
    assert_int_equal(((const struct netdev_shared *)region)->tx_bytes, 1574);
}

static void bad_descriptors_never_reach_the_device(void **state)
{
    (void)state;
    uint32_t end = net.buf_off + net.nbufs * net.buf_size;
    struct { uint32_t off, len; } tx[] = {
        { 0, 60 },                                  /* the shared page */
        { net.buf_off - 64, 60 },                   /* the rings */
        { net.buf_off, 60 },                        /* no headroom */
        { net.buf_off + 63, 60 },                   /* 1 byte short of it */
        { buf_off(3), 13 },                         /* shorter than an Ethernet header */
        { buf_off(3), 1515 },                       /* longer than a frame */
        { buf_off(3) + 1000, 1000 },                /* past the end of its buffer */
        { end, 60 },                                /* past the area */
        { end + 64, 60 },
        { 0xFFFFFFC0u, 60 },
        { buf_off(3), 0 },
    };
    unsigned ntx = sizeof tx / sizeof tx[0];
    for (unsigned i = 0; i < ntx; i++)
        push_tx(tx[i].off, tx[i].len, 100 + i);
    struct netring_desc rx[] = {
        { .offset = buf_off(5), .len = 1513, .id = 200 },      /* too small for a frame */
        { .offset = buf_off(5), .len = net.buf_size, .id = 201 },   /* past its buffer */
        { .offset = net.buf_off + 8, .len = 1600, .id = 202 },  /* no room for the header */
        { .offset = end, .len = 1600, .id = 203 },              /* past the area */
    };
    for (unsigned i = 0; i < 4; i++)
        assert_true(netring_push(net.rx_free, net.ring_size, &rx[i]));
    assert_int_equal(vnet_poll(&net), 0);
    struct chain c;
    assert_false(dev_take(&txq, &txd, &c));
    assert_false(dev_take(&rxq, &rxd, &c));
    assert_int_equal(kicks[0] + kicks[1], 0);
    struct netring_desc d;
    for (unsigned i = 0; i < ntx; i++) {
        assert_true(netring_pop(net.tx_done, net.ring_size, &d));
        assert_int_equal(d.id, 100 + i);
        assert_int_equal(d.flags, NETDEV_DESC_ERROR);
    }
    for (unsigned i = 0; i < 4; i++) {
        assert_true(netring_pop(net.rx_done, net.ring_size, &d));
        assert_int_equal(d.id, 200 + i);
        assert_int_equal(d.flags, NETDEV_DESC_ERROR);
    }
    const struct netdev_shared *sh = (const struct netdev_shared *)region;
    assert_int_equal(sh->tx_errors, ntx);
    assert_int_equal(sh->rx_errors, 4);
    /* A corrupt head (more entries than the ring holds) is just not taken. */
    net.tx_ready->head = net.tx_ready->tail + 1000;
    assert_int_equal(vnet_poll(&net), 0);
    assert_false(dev_take(&txq, &txd, &c));
}

static void notifications_follow_the_waiting_flags(void **state)
{
    (void)state;
    /* The driver, finding rx_free and tx_ready empty, says it waits. */
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(net.rx_free->consumer_waiting, 1);
    assert_int_equal(net.tx_ready->consumer_waiting, 1);
    post_rx(0);
    assert_true(netring_producer_must_notify(net.rx_free));        /* the netstack must kick */
    assert_int_equal(vnet_poll(&net), 0);
    struct chain c;
    assert_true(dev_take(&rxq, &rxd, &c));
    /* A frame arrives; the netstack is not waiting: no notification. */
    dev_used(&rxq, &rxd, c.head, VIRTIO_NET_HDR_LEN + 60);
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(notifies, 0);
    struct netring_desc d;
    assert_true(netring_pop(net.rx_done, net.ring_size, &d));
    /* Now it waits on rx_done: the next frame notifies it, once. */
    assert_true(netring_consumer_sleep(net.rx_done, net.ring_size));
    post_rx(1);
    assert_int_equal(vnet_poll(&net), 0);
    assert_true(dev_take(&rxq, &rxd, &c));
    assert_int_equal(notifies, 0);
    dev_used(&rxq, &rxd, c.head, VIRTIO_NET_HDR_LEN + 60);
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(notifies, 1);
    assert_int_equal(notify_bits, NETDEV_EV_RX);
    assert_int_equal(net.rx_done->consumer_waiting, 0);
    assert_int_equal(vnet_poll(&net), 0);
    assert_int_equal(notifies, 1);
    /* Link changes always tell. */
    vnet_set_link(&net, false);
    vnet_flush_events(&net);
    assert_int_equal(notifies, 2);
    assert_true(notify_bits & NETDEV_EV_LINK);
    assert_int_equal(((const struct netdev_shared *)region)->link_up, 0);
}

static void reclaim_hands_back_whatever_was_in_flight(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 5; i++)
        post_rx(i);
    push_tx(buf_off(20), 100, 20);
    push_tx(buf_off(21), 100, 21);
    assert_int_equal(vnet_poll(&net), 0);
    struct chain c;
    assert_true(dev_take(&txq, &txd, &c));
    dev_used(&txq, &txd, c.head, 0);            /* one sent before the reset */
    assert_int_equal(vnet_poll(&net), 0);
    vnet_reclaim(&net);
    virtq_reset(&rxq);
    virtq_reset(&txq);
    struct netring_desc d;
    unsigned rx = 0, tx = 0, tx_ok = 0;
    while (netring_pop(net.rx_done, net.ring_size, &d)) {
        assert_int_equal(d.flags, NETDEV_DESC_ERROR);
        rx++;
    }
    while (netring_pop(net.tx_done, net.ring_size, &d)) {
        if (d.flags == 0)
            tx_ok++;
        else
            tx++;
    }
    assert_int_equal(rx, 5);
    assert_int_equal(tx, 1);
    assert_int_equal(tx_ok, 1);
    assert_int_equal(virtq_check(&rxq), 0);
    assert_int_equal(rxq.nfree, 256);
}

static void broken_device_is_reported(void **state)
{
    (void)state;
    post_rx(0);
    assert_int_equal(vnet_poll(&net), 0);
    rxq.used->idx = 300;
    assert_int_equal(vnet_poll(&net), -MOS_EIO);
}

/* A seeded random run: a netstack posting good and bad descriptors, a
 * device completing some chains with good and bad lengths; every address
 * the device is given must lie inside one buffer (or be the header), and in
 * the end every id posted comes back exactly once. */
static void random_traffic(void **state)
{
    (void)state;
    unsigned seed = 4242;
    srand(seed);
    enum { IDS = 4096 };
    static unsigned char seen[IDS];
    memset(seen, 0, sizeof seen);
    unsigned next_id = 0, back = 0;
    uint64_t lo = (uintptr_t)region + net.buf_off, hi = lo + (uint64_t)net.nbufs * net.buf_size;
    for (unsigned round = 0; round < 3000; round++) {
        for (unsigned k = rand() % 4; k > 0 && next_id < IDS; k--) {
            struct netring_desc d = { .id = next_id };
            unsigned b = (unsigned)rand() % net.nbufs;
            bool rx = rand() % 2;
            switch (rand() % 6) {
            case 0: d.offset = (uint32_t)rand(); d.len = (uint32_t)rand() % 4096; break;
            case 1: d.offset = net.buf_off + b * net.buf_size + (uint32_t)rand() % 128; d.len = 1514; break;
            default:
                d.offset = net.buf_off + b * net.buf_size + NETDEV_HEADROOM;
                d.len = rx ? net.buf_size - NETDEV_HEADROOM : 14 + (uint32_t)rand() % 1501;
                break;
            }
            if (netring_push(rx ? net.rx_free : net.tx_ready, net.ring_size, &d))
                next_id++;
        }
        assert_int_equal(vnet_poll(&net), 0);
        struct chain c;
        for (int qi = 0; qi < 2; qi++) {
            struct virtq *q = qi ? &txq : &rxq;
            struct mdev *m = qi ? &txd : &rxd;
            while (rand() % 3 && dev_take(q, m, &c)) {
                for (unsigned i = 0; i < c.n; i++) {
                    uint64_t a = c.d[i].addr, l = c.d[i].len;
                    if (a == HDR_PA && l == VIRTIO_NET_HDR_LEN && qi && i == 0)
                        continue;
                    /* (For RX the header lies in the headroom: still one buffer.) */
                    if (!(a >= lo && l > 0 && a + l <= hi &&
                          (a - lo) / net.buf_size == (a + l - 1 - lo) / net.buf_size))
                        fail_msg("seed %u round %u: device given 0x%llx+%llu outside one buffer", seed, round,
                                 (unsigned long long)a, (unsigned long long)l);
                }
                uint32_t len = qi ? 0 : (uint32_t)(rand() % 5 == 0 ? rand() : rand() % 1600);
                dev_used(q, m, c.head, len);
            }
        }
        struct netring_desc d;
        for (int qi = 0; qi < 2; qi++) {
            struct netring *r = qi ? net.tx_done : net.rx_done;
            while (netring_pop(r, net.ring_size, &d)) {
                assert_true(d.id < next_id);
                assert_int_equal(seen[d.id], 0);
                seen[d.id] = 1;
                back++;
            }
        }
        assert_int_equal(virtq_check(&rxq), 0);
        assert_int_equal(virtq_check(&txq), 0);
    }
    /* Drain: the device completes everything, then the rest comes back. */
    struct chain c;
    while (dev_take(&rxq, &rxd, &c))
        dev_used(&rxq, &rxd, c.head, 0);
    while (dev_take(&txq, &txd, &c))
        dev_used(&txq, &txd, c.head, 0);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(vnet_poll(&net), 0);
        while (dev_take(&rxq, &rxd, &c))
            dev_used(&rxq, &rxd, c.head, 0);
        while (dev_take(&txq, &txd, &c))
            dev_used(&txq, &txd, c.head, 0);
    }
    assert_int_equal(vnet_poll(&net), 0);
    vnet_reclaim(&net);
    struct netring_desc d;
    for (int qi = 0; qi < 2; qi++) {
        struct netring *r = qi ? net.tx_done : net.rx_done;
        while (netring_pop(r, net.ring_size, &d)) {
            assert_int_equal(seen[d.id], 0);
            seen[d.id] = 1;
            back++;
        }
    }
    if (back != next_id)
        fail_msg("seed %u: %u descriptors posted, %u came back", seed, next_id, back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_checks_its_arguments, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(one_buffer_round_trip, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(chains_and_the_free_list, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(add_refuses_malformed_chains, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(indices_wrap_around, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(device_may_suppress_notifications, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(used_index_running_ahead, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(used_ids_that_are_not_in_flight, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(used_lengths_beyond_the_writable_part, setup_q, teardown_q),
        cmocka_unit_test_setup_teardown(layout_of_the_region, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(receive_path, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(transmit_path, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(bad_descriptors_never_reach_the_device, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(notifications_follow_the_waiting_flags, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(reclaim_hands_back_whatever_was_in_flight, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(broken_device_is_reported, setup_net, teardown_net),
        cmocka_unit_test_setup_teardown(random_traffic, setup_net, teardown_net),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
