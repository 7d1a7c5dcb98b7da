// SPDX-License-Identifier: MIT
/* test_pci_caps.c - the capability-list walker (user/servers/pci/pcicap.c)
 * and the virtio capability parser (user/servers/virtio_net/vio_caps.c) on
 * config-space snapshots a device controls: well-formed lists (QEMU's
 * virtio-net layout), then malformed ones: loops (self, two, long),
 * pointers into the header, reserved pointer bits, the last dword, a list
 * longer than asked for, CardBus headers; virtio capabilities that are
 * truncated, too short, name a bad or missing BAR, run past or wrap around
 * the BAR, are misaligned or too small, have a bad notify multiplier, or are
 * duplicated (the first good one wins); notify offsets out of range; and a
 * seeded fuzz run over random snapshots (nothing read outside the 256
 * bytes, every accepted region inside its BAR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "pci_hw.h"
#include "pcicap.h"
#include "vio_caps.h"
#include "virtio_hw.h"

static uint8_t cfg[256];

static void cfg_reset(uint8_t hdr)
{
    memset(cfg, 0, sizeof cfg);
    cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    cfg[PCI_HEADER_TYPE] = hdr;
}

static void cap(unsigned off, uint8_t id, uint8_t next)
{
    cfg[off] = id;
    cfg[off + 1] = next;
}

static void put32(unsigned off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void vcap(unsigned off, uint8_t next, uint8_t len, uint8_t type, uint8_t bar, uint32_t offset, uint32_t length)
{
    cap(off, PCI_CAP_ID_VENDOR, next);
    cfg[off + 2] = len;
    cfg[off + VIRTIO_CAP_CFG_TYPE] = type;
    cfg[off + VIRTIO_CAP_BAR] = bar;
    put32(off + VIRTIO_CAP_OFFSET, offset);
    put32(off + VIRTIO_CAP_LENGTH, length);
}

/* QEMU's modern virtio-net-pci: MSI-X, then the vendor capabilities, all in BAR 4. */
static void qemu_virtio_net(void)
{
    cfg_reset(0);
    cfg[PCI_CAP_PTR] = 0x98;
    cap(0x98, PCI_CAP_ID_MSIX, 0x84);
    vcap(0x84, 0x70, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000);
    put32(0x84 + VIRTIO_NOTIFY_CAP_MULT, 4);
    vcap(0x70, 0x60, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
    vcap(0x60, 0x50, 16, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
    vcap(0x50, 0x40, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
    vcap(0x40, 0x00, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
}

static const uint64_t bars_qemu[6] = { 0, 4096, 0, 0, 16384, 0 };

/* ---------------------------------------------------------------- the list */

static void walk_a_good_list(void **state)
{
    (void)state;
    qemu_virtio_net();
    struct pcicap c[PCICAP_MAX];
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), 6);
    static const uint8_t offs[] = { 0x98, 0x84, 0x70, 0x60, 0x50, 0x40 };
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(c[i].offset, offs[i]);
    assert_int_equal(c[0].id, PCI_CAP_ID_MSIX);
    assert_int_equal(c[1].id, PCI_CAP_ID_VENDOR);
}

static void walk_empty_lists(void **state)
{
    (void)state;
    struct pcicap c[4];
    qemu_virtio_net();
    cfg[PCI_STATUS] = 0;                        /* no list, whatever the pointer says */
    assert_int_equal(pcicap_walk(cfg, c, 4), 0);
    cfg_reset(0);
    assert_int_equal(pcicap_walk(cfg, c, 4), 0);  /* bit set, pointer 0 */
    cfg[PCI_CAP_PTR] = 0x03;                    /* reserved bits only: 0 */
    assert_int_equal(pcicap_walk(cfg, c, 4), 0);
}

static void walk_refuses_loops(void **state)
{
    (void)state;
    struct pcicap c[PCICAP_MAX];
    cfg_reset(0);
    cfg[PCI_CAP_PTR] = 0x40;
    cap(0x40, 0x05, 0x40);                      /* itself */
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), -MOS_EINVAL);
    cap(0x40, 0x05, 0x50);
    cap(0x50, 0x09, 0x40);                      /* two */
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), -MOS_EINVAL);
    cap(0x50, 0x09, 0x43);                      /* back to 0x40 with reserved bits set */
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), -MOS_EINVAL);
    /* Every dword in one chain, then back to the start: 48 entries, then a loop. */
    cfg[PCI_CAP_PTR] = 0x40;
    for (unsigned off = 0x40; off < 0x100; off += 4)
        cap(off, 0x09, (uint8_t)(off + 4 < 0x100 ? off + 4 : 0));
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), PCICAP_MAX);
    assert_int_equal(c[PCICAP_MAX - 1].offset, 0xFC);
    cap(0xFC, 0x09, 0x80);
    assert_int_equal(pcicap_walk(cfg, c, PCICAP_MAX), -MOS_EINVAL);
}

static void walk_refuses_pointers_into_the_header(void **state)
{
    (void)state;
    struct pcicap c[8];
    cfg_reset(0);
    cfg[PCI_CAP_PTR] = 0x3C;
    assert_int_equal(pcicap_walk(cfg, c, 8), -MOS_EINVAL);
    cfg[PCI_CAP_PTR] = 0x40;
    cap(0x40, 0x01, 0x10);                      /* next points at the BARs */
    assert_int_equal(pcicap_walk(cfg, c, 8), -MOS_EINVAL);
    assert_int_equal(c[0].offset, 0x40);        /* what came before is kept */
    cap(0x40, 0x01, 0x04);
    assert_int_equal(pcicap_walk(cfg, c, 8), -MOS_EINVAL);
}

static void walk_masks_reserved_bits(void **state)
{
    (void)state;
    struct pcicap c[8];
    cfg_reset(0);
    cfg[PCI_CAP_PTR] = 0x43;                    /* -> 0x40 */
    cap(0x40, 0x05, 0xFF);                      /* -> 0xFC: the last dword, still inside */
    cap(0xFC, 0x11, 0x00);
    assert_int_equal(pcicap_walk(cfg, c, 8), 2);
    assert_int_equal(c[0].offset, 0x40);
    assert_int_equal(c[1].offset, 0xFC);
    assert_int_equal(c[1].id, 0x11);
}

static void walk_longer_than_asked(void **state)
{
    (void)state;
    qemu_virtio_net();
    struct pcicap c[3];
    assert_int_equal(pcicap_walk(cfg, c, 3), -MOS_EOVERFLOW);
    assert_int_equal(pcicap_walk(cfg, c, 0), -MOS_EOVERFLOW);
}

static void walk_cardbus_pointer(void **state)
{
    (void)state;
    struct pcicap c[4];
    cfg_reset(PCI_HEADER_CARDBUS | PCI_HEADER_MULTIFN);
    cfg[0x14] = 0x80;
    cfg[PCI_CAP_PTR] = 0x40;                    /* not the CardBus pointer */
    cap(0x80, 0x01, 0x00);
    assert_int_equal(pcicap_walk(cfg, c, 4), 1);
    assert_int_equal(c[0].offset, 0x80);
}

/* ---------------------------------------------------------------- virtio */

static void virtio_qemu_layout(void **state)
{
    (void)state;
    qemu_virtio_net();
    struct vio_caps v;
    char why[96] = "";
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, why, sizeof why), 0);
    assert_true(v.common.present && v.notify.present && v.isr.present && v.device.present);
    assert_int_equal(v.common.bar, 4);
    assert_int_equal(v.common.offset, 0);
    assert_int_equal(v.isr.offset, 0x1000);
    assert_int_equal(v.device.offset, 0x2000);
    assert_int_equal(v.notify.offset, 0x3000);
    assert_int_equal(v.notify.length, 0x1000);
    assert_int_equal(v.notify_mult, 4);
    assert_int_equal(v.skipped, 0);
    assert_int_equal(vio_notify_offset(&v, 0), 0x3000);
    assert_int_equal(vio_notify_offset(&v, 1), 0x3004);
    assert_int_equal(vio_notify_offset(&v, 1023), 0x3000 + 4092);
    assert_int_equal(vio_notify_offset(&v, 1024), -1);     /* past the region */
    assert_int_equal(vio_notify_offset(&v, 0xFFFF), -1);
}

/* Break the common capability at 0x50 with f, then expect it ignored. */
static void expect_common_skipped(void (*f)(void), const uint64_t *bars)
{
    qemu_virtio_net();
    f();
    struct vio_caps v;
    char why[96] = "";
    assert_int_equal(vio_caps_parse(cfg, bars ? bars : bars_qemu, 8, &v, why, sizeof why), -MOS_EINVAL);
    assert_non_null(strstr(why, "common configuration"));
    assert_int_equal(v.skipped, 1);
}

static void common_short_caplen(void) { cfg[0x52] = 15; }
static void common_bad_bar(void) { cfg[0x50 + VIRTIO_CAP_BAR] = 6; }
static void common_bar_not_held(void) { cfg[0x50 + VIRTIO_CAP_BAR] = 2; }
static void common_past_bar(void) { put32(0x50 + VIRTIO_CAP_OFFSET, 0x3FF0); }
static void common_wraps(void) { put32(0x50 + VIRTIO_CAP_OFFSET, 0xFFFFFFF0); put32(0x50 + VIRTIO_CAP_LENGTH, 0x100); }
static void common_misaligned(void) { put32(0x50 + VIRTIO_CAP_OFFSET, 0x2); }
static void common_too_small(void) { put32(0x50 + VIRTIO_CAP_LENGTH, 0x37); }

static void virtio_bad_common_capabilities(void **state)
{
    (void)state;
    expect_common_skipped(common_short_caplen, NULL);
    expect_common_skipped(common_bad_bar, NULL);
    expect_common_skipped(common_bar_not_held, NULL);
    expect_common_skipped(common_past_bar, NULL);
    expect_common_skipped(common_wraps, NULL);
    expect_common_skipped(common_misaligned, NULL);
    expect_common_skipped(common_too_small, NULL);
    static const uint64_t small_bar4[6] = { 0, 4096, 0, 0, 0x20, 0 };   /* the BAR is too small for it */
    qemu_virtio_net();
    struct vio_caps v;
    assert_int_equal(vio_caps_parse(cfg, small_bar4, 8, &v, NULL, 0), -MOS_EINVAL);
}

static void virtio_truncated_at_the_end(void **state)
{
    (void)state;
    /* A notify capability in the last dword: 20 bytes from 0xF0 run past 256. */
    qemu_virtio_net();
    cap(0x40, PCI_CAP_ID_VENDOR, 0xF0);         /* replace the PCI_CFG cap's next */
    vcap(0xF0, 0x00, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000);
    cfg[0x84 + VIRTIO_CAP_CFG_TYPE] = 9;        /* the good notify becomes vendor-private */
    struct vio_caps v;
    char why[96] = "";
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, why, sizeof why), -MOS_EINVAL);
    assert_non_null(strstr(why, "notification"));
    assert_int_equal(v.skipped, 1);
    /* cap_len claims 255 bytes from 0x40. */
    qemu_virtio_net();
    cfg[0x52] = 0xFF;
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
}

static void virtio_notify_rules(void **state)
{
    (void)state;
    struct vio_caps v;
    qemu_virtio_net();
    put32(0x84 + VIRTIO_NOTIFY_CAP_MULT, 3);    /* not a power of two */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
    put32(0x84 + VIRTIO_NOTIFY_CAP_MULT, 1);    /* odd */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
    put32(0x84 + VIRTIO_NOTIFY_CAP_MULT, 0);    /* every queue at the same address: fine */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), 0);
    assert_int_equal(vio_notify_offset(&v, 0x7FFF), 0x3000);
    put32(0x84 + VIRTIO_NOTIFY_CAP_MULT, 0x80000000u);
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), 0);
    assert_int_equal(vio_notify_offset(&v, 0), 0x3000);
    assert_int_equal(vio_notify_offset(&v, 1), -1);        /* 2^31 past the start */
    assert_int_equal(vio_notify_offset(&v, 0xFFFF), -1);   /* no 32-bit overflow */
    qemu_virtio_net();
    cfg[0x86] = 16;                             /* notify cap_len without the multiplier */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
    qemu_virtio_net();
    put32(0x84 + VIRTIO_CAP_OFFSET, 0x3001);    /* misaligned */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
    qemu_virtio_net();
    put32(0x84 + VIRTIO_CAP_LENGTH, 1);         /* cannot hold a le16 */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
}

static void virtio_device_region_must_hold_the_fields(void **state)
{
    (void)state;
    struct vio_caps v;
    qemu_virtio_net();
    put32(0x70 + VIRTIO_CAP_LENGTH, 6);         /* MAC only, no status */
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), -MOS_EINVAL);
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 6, &v, NULL, 0), 0);
}

static void virtio_first_good_capability_wins(void **state)
{
    (void)state;
    qemu_virtio_net();
    /* A broken common capability first (offset past the BAR), a good one later. */
    cap(0x40, PCI_CAP_ID_VENDOR, 0xB0);
    vcap(0xB0, 0x00, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0800, 0x800);
    put32(0x50 + VIRTIO_CAP_OFFSET, 0x10000);
    struct vio_caps v;
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), 0);
    assert_int_equal(v.common.offset, 0x800);
    assert_int_equal(v.skipped, 1);
    /* Two good ones: the first in list order. */
    put32(0x50 + VIRTIO_CAP_OFFSET, 0);
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, NULL, 0), 0);
    assert_int_equal(v.common.offset, 0);
    assert_int_equal(v.skipped, 0);
}

static void virtio_malformed_list(void **state)
{
    (void)state;
    qemu_virtio_net();
    cap(0x40, 0x00, 0x84);                      /* loops back */
    struct vio_caps v;
    char why[96] = "";
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, why, sizeof why), -MOS_EINVAL);
    assert_non_null(strstr(why, "malformed"));
    cfg_reset(0);
    assert_int_equal(vio_caps_parse(cfg, bars_qemu, 8, &v, why, sizeof why), -MOS_EINVAL);
    assert_non_null(strstr(why, "common"));
}

/* Random snapshots: no crash (ASan watches every read), and whatever is
 * accepted lies inside its BAR. */
static void virtio_fuzz(void **state)
{
    (void)state;
    unsigned seed = 12345;
    srand(seed);
    unsigned accepted = 0;
    for (unsigned iter = 0; iter < 20000; iter++) {
        qemu_virtio_net();
        unsigned flips = 1 + (unsigned)rand() % 8;
        for (unsigned i = 0; i < flips; i++)
            cfg[0x34 + (unsigned)rand() % (256 - 0x34)] = (uint8_t)rand();
        if (rand() % 4 == 0)
            cfg[PCI_CAP_PTR] = (uint8_t)rand();
        uint64_t bars[6];
        for (unsigned b = 0; b < 6; b++)
            bars[b] = rand() % 3 ? bars_qemu[b] : (uint64_t)(rand() % 0x10000);
        struct vio_caps v;
        struct pcicap c[PCICAP_MAX];
        int n = pcicap_walk(cfg, c, PCICAP_MAX);
        for (int i = 0; i < n; i++)
            assert_true(c[i].offset >= 0x40 && c[i].offset <= 0xFC && c[i].offset % 4 == 0);
        if (vio_caps_parse(cfg, bars, 8, &v, NULL, 0) != 0)
            continue;
        accepted++;
        const struct vio_region *r[4] = { &v.common, &v.notify, &v.isr, &v.device };
        for (unsigned i = 0; i < 4; i++) {
            if (!(r[i]->bar < 6 && (uint64_t)r[i]->offset + r[i]->length <= bars[r[i]->bar]))
                fail_msg("seed %u iteration %u: region %u outside BAR %u", seed, iter, i, r[i]->bar);
        }
        for (unsigned q = 0; q < 4; q++) {
            int64_t off = vio_notify_offset(&v, (uint16_t)rand());
            if (off >= 0)
                assert_true((uint64_t)off + 2 <= (uint64_t)v.notify.offset + v.notify.length);
        }
    }
    assert_true(accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walk_a_good_list),
        cmocka_unit_test(walk_empty_lists),
        cmocka_unit_test(walk_refuses_loops),
        cmocka_unit_test(walk_refuses_pointers_into_the_header),
        cmocka_unit_test(walk_masks_reserved_bits),
        cmocka_unit_test(walk_longer_than_asked),
        cmocka_unit_test(walk_cardbus_pointer),
        cmocka_unit_test(virtio_qemu_layout),
        cmocka_unit_test(virtio_bad_common_capabilities),
        cmocka_unit_test(virtio_truncated_at_the_end),
        cmocka_unit_test(virtio_notify_rules),
        cmocka_unit_test(virtio_device_region_must_hold_the_fields),
        cmocka_unit_test(virtio_first_good_capability_wins),
        cmocka_unit_test(virtio_malformed_list),
        cmocka_unit_test(virtio_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
