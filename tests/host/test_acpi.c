// SPDX-License-Identifier: MIT
/* test_acpi.c - the ACPI table reader (kernel/acpi) on table images built
 * byte by byte the way QEMU lays them out (the builder's checksums are
 * checked against the ones in QEMU's own test data, so the images are
 * byte-exact), behind a fake physical address space. The fake map callback
 * hands out an exact-size heap copy of every range it is asked for, so ASan
 * flags any read beyond what the code mapped, not merely beyond the table.
 * Then malformed images (every checksum, every length check, unmapped
 * entries, zero-length MADT entries, truncated _S5_ packages ...), and
 * seeded random mutations of MADT, FADT + DSDT and RSDP + root tables
 * (ACPI_SEED=n replays a run). acpi_warn() is defined here: it records
 * every message so tests can check what was reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/acpi.h"
#include <mos/errors.h>

/* ------------------------------------------------------------ acpi_warn */

static char warn_log[1 << 16];
static size_t warn_len;
static unsigned warn_count;

void acpi_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (getenv("HOST_TEST_VERBOSE")) {
        va_list ap2;
        va_copy(ap2, ap);
        vfprintf(stderr, fmt, ap2);
        fputc('\n', stderr);
        va_end(ap2);
    }
    if (warn_len < sizeof warn_log - 1) {
        int n = vsnprintf(warn_log + warn_len, sizeof warn_log - warn_len, fmt, ap);
        if (n > 0)
            warn_len = MIN(warn_len + (size_t)n, sizeof warn_log - 2);
        warn_log[warn_len++] = '\n';
        warn_log[warn_len] = '\0';
    }
    va_end(ap);
    warn_count++;
}

static void warn_reset(void)
{
    warn_len = 0;
    warn_log[0] = '\0';
    warn_count = 0;
}

/* Was a message containing every one of these words reported? */
#define warned(...) warned_((const char *[]){ __VA_ARGS__, NULL })
static bool warned_(const char **words)
{
    for (const char *line = warn_log; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        bool all = true;
        for (const char **w = words; *w && all; w++) {
            const char *hit = strstr(line, *w);
            all = hit && hit + strlen(*w) <= line + n;
        }
        if (all)
            return true;
        line += n + (nl != NULL);
    }
    return false;
}

#define assert_warned(...) do {                                                     \
        if (!warned(__VA_ARGS__)) {                                                 \
            print_error("expected a warning with: %s\nlog:\n%s", #__VA_ARGS__, warn_log); \
            fail();                                                                 \
        }                                                                           \
    } while (0)

/* ------------------------------------------------------------ fake memory */

struct region {
    uint64_t pa;
    uint8_t *buf;
    size_t len;
};

static struct region mem[32];
static unsigned nmem;
static void **copies;               /* every range handed out by fake_map */
static size_t ncopies, copies_cap;

static void mem_reset(void)
{
    for (unsigned i = 0; i < nmem; i++)
        free(mem[i].buf);
    nmem = 0;
    for (size_t i = 0; i < ncopies; i++)
        free(copies[i]);
    ncopies = 0;
}

static void mem_add(uint64_t pa, const void *data, size_t len)
{
    assert_true(nmem < ARRAY_SIZE(mem));
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, data, len);
    mem[nmem++] = (struct region){ .pa = pa, .buf = b, .len = len };
}

/* An exact-size heap copy of p[0..len), freed by mem_reset(). */
static const void *dup_exact(const void *p, size_t len)
{
    if (ncopies == copies_cap) {
        copies_cap = copies_cap ? 2 * copies_cap : 64;
        copies = realloc(copies, copies_cap * sizeof *copies);
        assert_non_null(copies);
    }
    void *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, p, len);
    copies[ncopies++] = c;
    return c;
}

/* The acpi_map_fn: an exact-size copy of [pa, pa + len) if one region holds
 * all of it, else NULL. */
static const void *fake_map(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < nmem; i++) {
        const struct region *r = &mem[i];
        if (pa < r->pa || pa - r->pa > r->len || len > r->len - (pa - r->pa))
            continue;
        return dup_exact(r->buf + (pa - r->pa), len);
    }
    return NULL;
}

/* ------------------------------------------------------------ table builder */

struct tbl {
    uint8_t b[16384];
    size_t len;
};

static void t_bytes(struct tbl *t, const void *p, size_t n)
{
    assert_true(t->len + n <= sizeof t->b);
    memcpy(t->b + t->len, p, n);
    t->len += n;
}

static void t_u8(struct tbl *t, uint8_t v) { t_bytes(t, &v, 1); }

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void t_le(struct tbl *t, uint64_t v, unsigned n)
{
    uint8_t b[8];
    put_le(b, v, n);
    t_bytes(t, b, n);
}

static void t_u16(struct tbl *t, uint16_t v) { t_le(t, v, 2); }
static void t_u32(struct tbl *t, uint32_t v) { t_le(t, v, 4); }
static void t_u64(struct tbl *t, uint64_t v) { t_le(t, v, 8); }

static void t_zero(struct tbl *t, size_t n)
{
    assert_true(t->len + n <= sizeof t->b);
    memset(t->b + t->len, 0, n);
    t->len += n;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* A 36-byte SDT header as QEMU writes it ("BOCHS ", "BXPC" ..., revision 1s). */
static void sdt_begin(struct tbl *t, const char sig[4], uint8_t rev, const char table_id[8])
{
    memset(t, 0, sizeof *t);
    t_bytes(t, sig, 4);
    t_u32(t, 0);                    /* length: sdt_end */
    t_u8(t, rev);
    t_u8(t, 0);                     /* checksum: sdt_end */
    t_bytes(t, "BOCHS ", 6);
    t_bytes(t, table_id, 8);
    t_u32(t, 1);
    t_bytes(t, "BXPC", 4);
    t_u32(t, 1);
}

/* Set Length to the bytes written and fix the checksum; returns the checksum byte. */
static uint8_t sdt_end(struct tbl *t)
{
    put_le(t->b + 4, t->len, 4);
    t->b[9] = 0;
    t->b[9] = (uint8_t)(0x100 - sum8(t->b, t->len));
    return t->b[9];
}

/* Fix only the checksum (after a deliberate edit of another field). */
static void sdt_resum(struct tbl *t, size_t len)
{
    t->b[9] = 0;
    t->b[9] = (uint8_t)(0x100 - sum8(t->b, len));
}

/* ------------------------------------------------------------ MADT builder */

static void madt_begin(struct tbl *t, uint32_t lapic, uint32_t flags)
{
    sdt_begin(t, "APIC", 1, "BXPCAPIC");
    t_u32(t, lapic);
    t_u32(t, flags);
}

static void e_lapic(struct tbl *t, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    t_u8(t, 0); t_u8(t, 8); t_u8(t, uid); t_u8(t, apic_id); t_u32(t, flags);
}

static void e_ioapic(struct tbl *t, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    t_u8(t, 1); t_u8(t, 12); t_u8(t, id); t_u8(t, 0); t_u32(t, addr); t_u32(t, gsi_base);
}

static void e_iso(struct tbl *t, uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
    t_u8(t, 2); t_u8(t, 10); t_u8(t, bus); t_u8(t, src); t_u32(t, gsi); t_u16(t, flags);
}

static void e_nmi_src(struct tbl *t, uint16_t flags, uint32_t gsi)
{
    t_u8(t, 3); t_u8(t, 8); t_u16(t, flags); t_u32(t, gsi);
}

static void e_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
    t_u8(t, 4); t_u8(t, 6); t_u8(t, uid); t_u16(t, flags); t_u8(t, lint);
}

static void e_lapic_ovr(struct tbl *t, uint64_t addr)
{
    t_u8(t, 5); t_u8(t, 12); t_u16(t, 0); t_u64(t, addr);
}

static void e_x2apic(struct tbl *t, uint32_t id, uint32_t flags, uint32_t uid)
{
    t_u8(t, 9); t_u8(t, 16); t_u16(t, 0); t_u32(t, id); t_u32(t, flags); t_u32(t, uid);
}

static void e_x2apic_nmi(struct tbl *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
    t_u8(t, 0xA); t_u8(t, 12); t_u16(t, flags); t_u32(t, uid); t_u8(t, lint); t_zero(t, 3);
}

/* QEMU's MADT (pc and q35 alike): one LAPIC per CPU (UID = index), I/O APIC 0
 * at 0xFEC00000 from GSI 0, IRQ0 -> GSI2, IRQs 5, 9, 10, 11 level/active-high
 * (flags 0xD), LINT1 NMI on every CPU. Returns the checksum byte. */
static uint8_t madt_qemu(struct tbl *t, unsigned ncpu, const uint8_t *apic_ids,
                         const uint32_t *flags)
{
    madt_begin(t, 0xFEE00000, 1);
    for (unsigned i = 0; i < ncpu; i++)
        e_lapic(t, (uint8_t)i, apic_ids[i], flags[i]);
    e_ioapic(t, 0, 0xFEC00000, 0);
    e_iso(t, 0, 0, 2, 0);
    static const uint8_t level_irqs[] = { 5, 9, 10, 11 };
    for (unsigned i = 0; i < 4; i++)
        e_iso(t, 0, level_irqs[i], level_irqs[i], 0xD);
    e_lapic_nmi(t, 0xFF, 0, 1);
    return sdt_end(t);
}

static const uint8_t ids_0123[] = { 0, 1, 2, 3 };
static const uint32_t all_enabled[] = { 1, 1, 1, 1, 1, 1, 1, 1 };

static void madt_pc4(struct tbl *t)
{
    madt_qemu(t, 4, ids_0123, all_enabled);
}

/* ------------------------------------------------------------ FADT / DSDT builders */

#define FADT_DSDT     40
#define FADT_SCI      46
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_CENTURY  108
#define FADT_FLAGS    112
#define FADT_RESET    116
#define FADT_RESETVAL 128
#define FADT_X_DSDT   140
#define FADT_X_PM1A   172
#define FADT_X_PM1B   184

static void put_gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
    p[0] = space;
    p[1] = width;
    p[2] = 0;
    p[3] = 0;
    put_le(p + 4, addr, 8);
}

/* QEMU's FADT: pc = revision 1, 116 bytes; q35 = revision 3, 244 bytes with
 * the reset register (I/O 0xCF9, value 0xF) and X_ blocks. Returns the
 * checksum byte. */
static uint8_t fadt_qemu(struct tbl *t, bool q35, uint32_t dsdt)
{
    sdt_begin(t, "FACP", q35 ? 3 : 1, "BXPCFACP");
    t_zero(t, (q35 ? 244 : 116) - 36);
    uint8_t *b = t->b;
    put_le(b + FADT_DSDT, dsdt, 4);
    b[44] = 1;                                      /* interrupt model */
    put_le(b + FADT_SCI, 9, 2);
    put_le(b + 48, 0xB2, 4);                        /* SMI_CMD */
    b[52] = q35 ? 0x02 : 0xF1;                      /* ACPI_ENABLE */
    b[53] = q35 ? 0x03 : 0xF0;                      /* ACPI_DISABLE */
    put_le(b + 56, 0x600, 4);                       /* PM1a_EVT_BLK */
    put_le(b + FADT_PM1A_CNT, 0x604, 4);
    put_le(b + 76, 0x608, 4);                       /* PM_TMR_BLK */
    put_le(b + 80, q35 ? 0x620 : 0xAFE0, 4);        /* GPE0_BLK */
    b[88] = 4;                                      /* PM1_EVT_LEN */
    b[89] = 2;                                      /* PM1_CNT_LEN */
    b[91] = 4;                                      /* PM_TMR_LEN */
    b[92] = q35 ? 0x10 : 4;                         /* GPE0_BLK_LEN */
    put_le(b + 96, 0x0FFF, 2);                      /* P_LVL2_LAT */
    put_le(b + 98, 0x0FFF, 2);                      /* P_LVL3_LAT */
    b[FADT_CENTURY] = 0x32;
    put_le(b + FADT_FLAGS, q35 ? 0x84A5 : 0x80A5, 4);
    if (q35) {
        put_gas(b + FADT_RESET, 1, 8, 0xCF9);
        b[FADT_RESETVAL] = 0x0F;
        put_gas(b + 148, 1, 0x20, 0x600);           /* X_PM1a_EVT_BLK */
        put_gas(b + FADT_X_PM1A, 1, 0x10, 0x604);
        put_gas(b + 208, 1, 0x20, 0x608);           /* X_PM_TMR_BLK */
        put_gas(b + 220, 1, 0x80, 0x620);           /* X_GPE0_BLK */
    }
    return sdt_end(t);
}

/* A DSDT: header, then `aml`. */
static void dsdt_build(struct tbl *t, const uint8_t *aml, size_t n)
{
    sdt_begin(t, "DSDT", 1, "BXPCDSDT");
    t_bytes(t, aml, n);
    sdt_end(t);
}

/* Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }), as QEMU emits it. */
static const uint8_t aml_s5_qemu[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

/* ------------------------------------------------------------ RSDP and roots */

static void rsdp_build(uint8_t r[36], uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memset(r, 0, 36);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "BOCHS ", 6);
    r[15] = rev;
    put_le(r + 16, rsdt, 4);
    put_le(r + 20, 36, 4);
    put_le(r + 24, xsdt, 8);
    r[8] = (uint8_t)(0x100 - sum8(r, 20));
    r[32] = (uint8_t)(0x100 - sum8(r, 36));
}

static void rsdp_resum(uint8_t r[36])
{
    r[8] = 0;
    r[8] = (uint8_t)(0x100 - sum8(r, 20));
    r[32] = 0;
    r[32] = (uint8_t)(0x100 - sum8(r, 36));
}

static void root_build(struct tbl *t, const char *sig, unsigned esize, const uint64_t *pa,
                       unsigned n)
{
    sdt_begin(t, sig, 1, "BXPCRSDT");
    for (unsigned i = 0; i < n; i++)
        t_le(t, pa[i], esize);
    sdt_end(t);
}

/* ------------------------------------------------------------ the standard world */

#define PA_DSDT   0x07FE0040ull
#define PA_APIC   0x07FE1000ull     /* the MADT the RSDT lists */
#define PA_FACP   0x07FE2000ull
#define PA_HPET   0x07FE3000ull
#define PA_RSDT   0x07FE4000ull
#define PA_SSDT1  0x07FE5000ull
#define PA_SSDT2  0x07FE6000ull
#define PA_XSDT   0x100001001ull    /* above 4 GiB and odd: every entry unaligned */
#define PA_APIC2  0x100002000ull    /* the MADT the XSDT lists */
#define PA_HOLE   0x200000000ull    /* nothing is mapped here */

static struct world {
    uint8_t rsdp[36];
    size_t rsdp_len;
    struct tbl rsdt, xsdt, madt, madt2, fadt, dsdt, hpet, ssdt1, ssdt2;
} W;

/* RSDT: APIC FACP HPET SSDT SSDT; XSDT: FACP APIC2 HPET SSDT SSDT.
 * MADT 1 has 4 CPUs, MADT 2 (XSDT) has 2, so the tests can tell them apart. */
static void world_build(uint8_t rev)
{
    madt_pc4(&W.madt);
    madt_qemu(&W.madt2, 2, ids_0123, all_enabled);
    fadt_qemu(&W.fadt, true, (uint32_t)PA_DSDT);
    dsdt_build(&W.dsdt, aml_s5_qemu, sizeof aml_s5_qemu);
    sdt_begin(&W.hpet, "HPET", 1, "BXPCHPET");
    t_zero(&W.hpet, 20);
    sdt_end(&W.hpet);
    sdt_begin(&W.ssdt1, "SSDT", 1, "SSDT0001");
    t_u8(&W.ssdt1, 0xA3);           /* NoopOp */
    sdt_end(&W.ssdt1);
    sdt_begin(&W.ssdt2, "SSDT", 1, "SSDT0002");
    t_u8(&W.ssdt2, 0xA3);
    t_u8(&W.ssdt2, 0xA3);
    sdt_end(&W.ssdt2);
    const uint64_t r[] = { PA_APIC, PA_FACP, PA_HPET, PA_SSDT1, PA_SSDT2 };
    const uint64_t x[] = { PA_FACP, PA_APIC2, PA_HPET, PA_SSDT1, PA_SSDT2 };
    root_build(&W.rsdt, "RSDT", 4, r, 5);
    root_build(&W.xsdt, "XSDT", 8, x, 5);
    rsdp_build(W.rsdp, rev, (uint32_t)PA_RSDT, rev >= 2 ? PA_XSDT : 0);
    W.rsdp_len = rev >= 2 ? 36 : 20;
}

/* Put the world into fake physical memory (after any corruption). */
static void world_map(void)
{
    mem_reset();
    mem_add(PA_DSDT, W.dsdt.b, W.dsdt.len);
    mem_add(PA_APIC, W.madt.b, W.madt.len);
    mem_add(PA_APIC2, W.madt2.b, W.madt2.len);
    mem_add(PA_FACP, W.fadt.b, W.fadt.len);
    mem_add(PA_HPET, W.hpet.b, W.hpet.len);
    mem_add(PA_RSDT, W.rsdt.b, W.rsdt.len);
    mem_add(PA_XSDT, W.xsdt.b, W.xsdt.len);
    mem_add(PA_SSDT1, W.ssdt1.b, W.ssdt1.len);
    mem_add(PA_SSDT2, W.ssdt2.b, W.ssdt2.len);
}

static struct acpi_madt_info mi;
static struct acpi_fadt_info fi;

static int find(const char *sig, unsigned index, uint64_t *pa, uint32_t *len)
{
    *pa = 0xDEAD;
    *len = 0xDEAD;
    const uint8_t *r = dup_exact(W.rsdp, W.rsdp_len);
    return acpi_find_table(r, W.rsdp_len, sig, index, fake_map, NULL, pa, len);
}

static int setup(void **state)
{
    (void)state;
    warn_reset();
    mem_reset();
    memset(&W, 0, sizeof W);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mem_reset();
    return 0;
}

/* ============================================================ builder cross-checks */

/* QEMU's tests/data/acpi: q35 APIC (1 CPU) is 0x78 bytes with checksum 0xED;
 * pc APIC.cphp (6 CPUs, APIC IDs 0 1 2 4 5 6, the last four disabled) is 0xA0
 * with 0x7B; pc FACP is 0x74 with 0xA1; q35 FACP is 0xF4 with 0x1F (both
 * with DSDT 0). Matching them shows the builders are byte-exact. */
static void builders_match_qemu_checksums(void **state)
{
    (void)state;
    struct tbl t;
    assert_int_equal(madt_qemu(&t, 1, ids_0123, all_enabled), 0xED);
    assert_int_equal(t.len, 0x78);
    static const uint8_t cphp_ids[] = { 0, 1, 2, 4, 5, 6 };
    static const uint32_t cphp_flags[] = { 1, 1, 0, 0, 0, 0 };
    assert_int_equal(madt_qemu(&t, 6, cphp_ids, cphp_flags), 0x7B);
    assert_int_equal(t.len, 0xA0);
    assert_int_equal(fadt_qemu(&t, false, 0), 0xA1);
    assert_int_equal(t.len, 0x74);
    assert_int_equal(fadt_qemu(&t, true, 0), 0x1F);
    assert_int_equal(t.len, 0xF4);
}

/* ============================================================ acpi_find_table */

static void rsdp_v1_uses_rsdt(void **state)
{
    (void)state;
    world_build(0);
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_int_equal(len, W.madt.len);
    assert_int_equal(find("FACP", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_FACP);
    assert_int_equal(len, 244);
    assert_int_equal(find("HPET", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_HPET);
    assert_int_equal(len, 56);
    assert_int_equal(find("MCFG", 0, &pa, &len), -MOS_ENOENT);
    assert_int_equal(pa, 0xDEAD);                   /* untouched on failure */
    assert_int_equal(len, 0xDEAD);
    assert_int_equal(find("DSDT", 0, &pa, &len), -MOS_ENOENT);   /* not a root entry */
    assert_int_equal(warn_count, 0);
}

static void rsdp_v2_prefers_xsdt(void **state)
{
    (void)state;
    world_build(2);
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC2);
    assert_int_equal(len, W.madt2.len);
    assert_int_equal(find("FACP", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_FACP);
    assert_int_equal(warn_count, 0);

    /* The table found is the table: parse it through the same map. */
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    const void *m = fake_map(pa, len, NULL);
    assert_int_equal(acpi_parse_madt(m, len, &mi), 0);
    assert_int_equal(mi.ncpus, 2);
}

static void nth_occurrence(void **state)
{
    (void)state;
    for (uint8_t rev = 0; rev <= 2; rev += 2) {
        world_build(rev);
        world_map();
        uint64_t pa;
        uint32_t len;
        assert_int_equal(find("SSDT", 0, &pa, &len), 0);
        assert_int_equal(pa, PA_SSDT1);
        assert_int_equal(len, 37);
        assert_int_equal(find("SSDT", 1, &pa, &len), 0);
        assert_int_equal(pa, PA_SSDT2);
        assert_int_equal(len, 38);
        assert_int_equal(find("SSDT", 2, &pa, &len), -MOS_ENOENT);
        assert_int_equal(find("APIC", 1, &pa, &len), -MOS_ENOENT);
    }
    assert_int_equal(warn_count, 0);
}

/* XSDT entries at offset 36 + 8i are 4 mod 8; put the XSDT at an odd address
 * too, and use a 64-bit entry above 4 GiB whose low half alone is unmapped. */
static void xsdt_unaligned_64bit_entries(void **state)
{
    (void)state;
    world_build(2);
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("HPET", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_HPET);
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC2);                 /* 0x1_0000_2000, not 0x2000 */

    /* The same XSDT one byte further on, with the RSDP pointing there. */
    mem_add(PA_XSDT + 0x4000 + 1, W.xsdt.b, W.xsdt.len);
    rsdp_build(W.rsdp, 2, (uint32_t)PA_RSDT, PA_XSDT + 0x4000 + 1);
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC2);
    assert_int_equal(warn_count, 0);
}

static void xsdt_checksum_bad_falls_back_to_rsdt(void **state)
{
    (void)state;
    world_build(2);
    W.xsdt.b[20] += 0x40;                           /* OEM table ID byte */
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);                  /* the RSDT's MADT */
    assert_warned("acpi: XSDT", "checksum bad (sum 0x40)", "table ignored");
    assert_warned("XSDT unusable", "falling back to the RSDT");
}

static void xsdt_corruptions_fall_back_to_rsdt(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *expect;
        size_t off;
        uint32_t value;
        unsigned width;
    } cases[] = {
        { "signature", "bad signature", 0, 'Y', 1 },
        { "length 35", "length 35 outside", 4, 35, 4 },
        { "length 2 MiB", "length 2097152 outside", 4, 2u << 20, 4 },
        { "length past the mapping", "runs past mapped memory", 4, 36 + 5 * 8 + 8, 4 },
        { "partial entry", "whole 8-byte entries", 4, 36 + 5 * 8 - 4, 4 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        warn_reset();
        world_build(2);
        put_le(W.xsdt.b + cases[i].off, cases[i].value, cases[i].width);
        /* A valid checksum over what the table now claims to be, when that fits. */
        uint32_t claimed = (uint32_t)(W.xsdt.b[4] | W.xsdt.b[5] << 8 | W.xsdt.b[6] << 16 |
                                      (uint32_t)W.xsdt.b[7] << 24);
        sdt_resum(&W.xsdt, MIN((size_t)claimed, W.xsdt.len));
        world_map();
        uint64_t pa;
        uint32_t len;
        print_message("  case: %s\n", cases[i].what);
        assert_int_equal(find("APIC", 0, &pa, &len), 0);
        assert_int_equal(pa, PA_APIC);
        assert_warned("XSDT", cases[i].expect);
        assert_warned("falling back to the RSDT");
    }
}

static void xsdt_and_rsdt_both_bad(void **state)
{
    (void)state;
    world_build(2);
    W.xsdt.b[10] ^= 1;
    W.rsdt.b[10] ^= 2;
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("XSDT", "checksum bad");
    assert_warned("RSDT", "checksum bad");
    assert_int_equal(pa, 0xDEAD);

    /* No RSDT to fall back to at all. */
    warn_reset();
    world_build(2);
    W.xsdt.b[10] ^= 1;
    rsdp_build(W.rsdp, 2, 0, PA_XSDT);
    world_map();
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("no RSDT to fall back to");
}

static void rsdp_malformed(void **state)
{
    (void)state;
    uint64_t pa;
    uint32_t len;

    world_build(2);
    world_map();
    W.rsdp[8] ^= 1;                                 /* checksum over 20 bytes */
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("acpi: RSDP checksum bad (sum 0x");

    warn_reset();
    world_build(2);
    W.rsdp[3] = 'X';
    rsdp_resum(W.rsdp);
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("RSDP signature bad");

    warn_reset();
    world_build(0);
    W.rsdp_len = 19;
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("RSDP too short (19 bytes");
    warn_reset();
    assert_int_equal(acpi_find_table(NULL, 36, "APIC", 0, fake_map, NULL, &pa, &len),
                     -MOS_EINVAL);
    assert_warned("RSDP too short");

    warn_reset();
    world_build(0);
    rsdp_build(W.rsdp, 0, 0, 0);
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("no RSDT address");

    warn_reset();
    world_build(0);
    rsdp_build(W.rsdp, 0, (uint32_t)PA_HOLE + 0x1000, 0);
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("RSDT at 0x", "not mappable");
}

/* Revision 2 problems lose the XSDT, not the RSDT (the 20-byte checksum
 * still vouches for RsdtAddress). */
static void rsdp_v2_problems_use_rsdt(void **state)
{
    (void)state;
    uint64_t pa;
    uint32_t len;

    world_build(2);
    world_map();
    W.rsdp[32] ^= 0x10;                             /* extended checksum */
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("RSDP extended checksum bad (sum 0x10)", "XSDT not used");

    warn_reset();
    world_build(2);
    put_le(W.rsdp + 20, 20, 4);                     /* Length 20 on a revision 2 RSDP */
    rsdp_resum(W.rsdp);
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("RSDP revision 2 with length 20 < 36");

    warn_reset();
    world_build(2);
    W.rsdp_len = 20;                                /* the loader gave the old copy only */
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("RSDP revision 2 but only 20 bytes");

    warn_reset();
    world_build(2);
    put_le(W.rsdp + 20, 40, 4);                     /* claims more than we were given */
    rsdp_resum(W.rsdp);
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("RSDP length 40 exceeds the 36 bytes");

    warn_reset();
    world_build(2);
    rsdp_build(W.rsdp, 2, (uint32_t)PA_RSDT, 0);    /* revision 2, XsdtAddress 0 */
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("no XSDT address");

    warn_reset();
    world_build(2);
    rsdp_build(W.rsdp, 2, (uint32_t)PA_RSDT, PA_HOLE);   /* XSDT unmappable */
    assert_int_equal(find("APIC", 0, &pa, &len), 0);
    assert_int_equal(pa, PA_APIC);
    assert_warned("XSDT at 0x200000000", "not mappable");
}

static void rsdt_length_not_whole_entries(void **state)
{
    (void)state;
    world_build(0);
    W.rsdt.len -= 2;                                /* 36 + 5*4 - 2 */
    sdt_end(&W.rsdt);
    world_map();
    uint64_t pa;
    uint32_t len;
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("RSDT", "length 54 is not the header plus whole 4-byte entries");
}

static void entries_null_or_unmapped_are_skipped(void **state)
{
    (void)state;
    for (uint8_t rev = 0; rev <= 2; rev += 2) {
        warn_reset();
        world_build(rev);
        const uint64_t e[] = { 0, PA_HOLE, PA_HOLE - 8, UINT64_MAX - 4, 0x1000, PA_HPET };
        unsigned esize = rev ? 8 : 4;
        unsigned n = rev ? 6 : 2;                   /* the RSDT cannot hold 64-bit ones */
        const uint64_t e32[] = { 0, 0xFFFFFFF0, PA_HPET };
        root_build(rev ? &W.xsdt : &W.rsdt, rev ? "XSDT" : "RSDT", esize, rev ? e : e32,
                   rev ? n : 3);
        world_map();
        uint64_t pa;
        uint32_t len;
        assert_int_equal(find("HPET", 0, &pa, &len), 0);
        assert_int_equal(pa, PA_HPET);
        const char *root = rev ? "XSDT" : "RSDT";
        assert_warned(root, "entry 0 is null, skipped");
        assert_warned(root, "entry 1: 0x", "not mappable, skipped");
        if (rev) {
            assert_warned("XSDT entry 2: 0x1fffffff8 not mappable");
            assert_warned("XSDT entry 3: 0xfffffffffffffffb not mappable");
            assert_warned("XSDT entry 4: 0x1000 not mappable");
        }
        assert_int_equal(find("APIC", 0, &pa, &len), -MOS_ENOENT);
    }
}

static void found_table_corrupt(void **state)
{
    (void)state;
    uint64_t pa;
    uint32_t len;

    world_build(2);
    W.madt2.b[50] ^= 0x3C;                          /* checksum */
    world_map();
    assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("acpi: APIC at 0x100002000: checksum bad (sum 0x3c), table ignored");
    assert_int_equal(pa, 0xDEAD);
    assert_int_equal(find("FACP", 0, &pa, &len), 0); /* the others are still fine */

    static const struct { uint32_t length; const char *expect; } bad_len[] = {
        { 0, "length 0 outside [36, 1048576]" },
        { 35, "length 35 outside" },
        { 0x100001, "length 1048577 outside" },
        { 0xFFFFFFFF, "length 4294967295 outside" },
        { 200, "length 200 runs past mapped memory" },  /* MADT 2 is 128 bytes */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_len); i++) {
        warn_reset();
        world_build(2);
        put_le(W.madt2.b + 4, bad_len[i].length, 4);
        sdt_resum(&W.madt2, W.madt2.len);
        world_map();
        assert_int_equal(find("APIC", 0, &pa, &len), -MOS_EINVAL);
        assert_warned("APIC at 0x100002000", bad_len[i].expect);
    }

    /* A table whose Length wraps the physical address space. */
    warn_reset();
    world_build(2);
    const uint64_t e[] = { UINT64_MAX - 40 };
    root_build(&W.xsdt, "XSDT", 8, e, 1);
    world_map();
    struct tbl top;
    sdt_begin(&top, "TOPP", 1, "XXXXXXXX");
    put_le(top.b + 4, 100, 4);
    sdt_resum(&top, 36);
    mem_add(UINT64_MAX - 40, top.b, 36);
    assert_int_equal(find("TOPP", 0, &pa, &len), -MOS_EINVAL);
    assert_warned("TOPP at 0xffffffffffffffd7", "wraps the address space");
}

/* ============================================================ MADT */

static int parse_madt(const struct tbl *t)
{
    memset(&mi, 0xA5, sizeof mi);
    return acpi_parse_madt(dup_exact(t->b, t->len), t->len, &mi);
}

static void check_qemu_irq_routing(void)
{
    assert_int_equal(mi.lapic_addr, 0xFEE00000);
    assert_true(mi.pcat_compat);
    assert_int_equal(mi.nioapics, 1);
    assert_int_equal(mi.ioapics[0].id, 0);
    assert_int_equal(mi.ioapics[0].addr, 0xFEC00000);
    assert_int_equal(mi.ioapics[0].gsi_base, 0);
    assert_int_equal(mi.noverrides, 5);
    assert_int_equal(mi.overrides[0].bus, 0);
    assert_int_equal(mi.overrides[0].source, 0);
    assert_int_equal(mi.overrides[0].gsi, 2);
    assert_int_equal(mi.overrides[0].flags, 0);
    static const uint8_t level[] = { 5, 9, 10, 11 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mi.overrides[1 + i].bus, 0);
        assert_int_equal(mi.overrides[1 + i].source, level[i]);
        assert_int_equal(mi.overrides[1 + i].gsi, level[i]);
        assert_int_equal(mi.overrides[1 + i].flags & 3, 1);         /* active high */
        assert_int_equal((mi.overrides[1 + i].flags >> 2) & 3, 3);  /* level */
    }
    assert_int_equal(mi.nnmis, 1);
    assert_int_equal(mi.nmis[0].acpi_uid, 0xFF);
    assert_int_equal(mi.nmis[0].flags, 0);
    assert_int_equal(mi.nmis[0].lint, 1);
    assert_int_equal(mi.nnmi_sources, 0);
    assert_int_equal(mi.skipped, 0);
}

static void madt_qemu_pc_4cpus(void **state)
{
    (void)state;
    struct tbl t;
    madt_pc4(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(mi.cpus[i].apic_id, i);
        assert_int_equal(mi.cpus[i].acpi_uid, i);
        assert_true(mi.cpus[i].enabled);
        assert_false(mi.cpus[i].online_capable);
        assert_false(mi.cpus[i].x2apic);
    }
    check_qemu_irq_routing();
    assert_int_equal(warn_count, 0);
}

static void madt_qemu_q35_and_hotplug(void **state)
{
    (void)state;
    struct tbl t;
    madt_qemu(&t, 1, ids_0123, all_enabled);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 1);
    assert_true(mi.cpus[0].enabled);
    check_qemu_irq_routing();

    static const uint8_t ids[] = { 0, 1, 2, 4, 5, 6 };
    static const uint32_t fl[] = { 1, 1, 0, 2, 3, 0 };
    madt_qemu(&t, 6, ids, fl);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 6);
    static const bool en[] = { 1, 1, 0, 0, 1, 0 }, oc[] = { 0, 0, 0, 1, 0, 0 };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(mi.cpus[i].apic_id, ids[i]);
        assert_int_equal(mi.cpus[i].acpi_uid, i);
        assert_int_equal(mi.cpus[i].enabled, en[i]);
        assert_int_equal(mi.cpus[i].online_capable, oc[i]);  /* only when disabled */
    }
    check_qemu_irq_routing();
    assert_int_equal(warn_count, 0);
}

static void madt_x2apic(void **state)
{
    (void)state;
    struct tbl t;
    madt_begin(&t, 0xFEE00000, 0);
    e_x2apic(&t, 0, 1, 0);
    e_x2apic(&t, 255, 1, 1);
    e_x2apic(&t, 0x12345, 2, 0x10000);
    e_lapic_ovr(&t, 0x1234FEE00000ull);
    e_ioapic(&t, 8, 0xFEC01000, 24);
    e_nmi_src(&t, 0xD, 23);
    e_x2apic_nmi(&t, 5, 0xFFFFFFFF, 1);
    e_x2apic_nmi(&t, 0, 0x10000, 0);
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.lapic_addr, 0x1234FEE00000ull);
    assert_false(mi.pcat_compat);
    assert_int_equal(mi.ncpus, 3);
    assert_int_equal(mi.cpus[1].apic_id, 255);
    assert_int_equal(mi.cpus[2].apic_id, 0x12345);
    assert_int_equal(mi.cpus[2].acpi_uid, 0x10000);
    assert_false(mi.cpus[2].enabled);
    assert_true(mi.cpus[2].online_capable);
    for (int i = 0; i < 3; i++)
        assert_true(mi.cpus[i].x2apic);
    assert_int_equal(mi.nioapics, 1);
    assert_int_equal(mi.ioapics[0].id, 8);
    assert_int_equal(mi.ioapics[0].gsi_base, 24);
    assert_int_equal(mi.nnmi_sources, 1);
    assert_int_equal(mi.nmi_sources[0].gsi, 23);
    assert_int_equal(mi.nmi_sources[0].flags, 0xD);
    assert_int_equal(mi.nnmis, 2);
    assert_int_equal(mi.nmis[0].acpi_uid, 0xFFFFFFFF);
    assert_int_equal(mi.nmis[0].flags, 5);
    assert_int_equal(mi.nmis[0].lint, 1);
    assert_int_equal(mi.nmis[1].acpi_uid, 0x10000);
    assert_int_equal(mi.nmis[1].lint, 0);
    assert_int_equal(mi.skipped, 0);
    assert_int_equal(warn_count, 0);
}

static void madt_zero_length_entry_ends_walk(void **state)
{
    (void)state;
    for (uint8_t elen = 0; elen <= 1; elen++) {
        warn_reset();
        struct tbl t;
        madt_begin(&t, 0xFEE00000, 1);
        e_lapic(&t, 0, 0, 1);
        t_u8(&t, 0);
        t_u8(&t, elen);                             /* length 0 or 1 */
        t_zero(&t, 6);
        e_lapic(&t, 1, 1, 1);                       /* never reached */
        sdt_end(&t);
        unsigned calls = warn_count;
        assert_int_equal(parse_madt(&t), 0);
        assert_int_equal(mi.ncpus, 1);
        assert_int_equal(mi.skipped, 1);
        assert_int_equal(warn_count, calls + 1);
        char want[64];
        snprintf(want, sizeof want, "offset 52: length %u", elen);
        assert_warned("MADT entry type 0x0", want, "walk stopped");
    }
}

static void madt_entry_past_end(void **state)
{
    (void)state;
    struct tbl t;
    madt_begin(&t, 0xFEE00000, 1);
    e_lapic(&t, 0, 0, 1);
    e_ioapic(&t, 0, 0xFEC00000, 0);
    t.len -= 4;                                     /* the I/O APIC entry is cut short */
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 1);
    assert_int_equal(mi.nioapics, 0);
    assert_int_equal(mi.skipped, 1);
    assert_warned("MADT entry type 0x1 at offset 52: length 12 (8 bytes left)", "walk stopped");

    /* One stray byte after the last entry. */
    warn_reset();
    madt_begin(&t, 0xFEE00000, 1);
    e_lapic(&t, 0, 0, 1);
    t_u8(&t, 1);
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 1);
    assert_int_equal(mi.skipped, 1);
    assert_warned("1 stray byte(s) at offset 52");

    /* Length 255 on the last entry. */
    warn_reset();
    madt_begin(&t, 0xFEE00000, 1);
    e_lapic(&t, 0, 0, 1);
    t.b[t.len - 7] = 255;
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 0);
    assert_int_equal(mi.skipped, 1);
    assert_warned("length 255 (8 bytes left)");
}

/* Too short for the type: skipped, and the walk goes on. */
static void madt_entry_too_short_for_type(void **state)
{
    (void)state;
    static const struct { uint8_t type, min; } types[] = {
        { 0, 8 }, { 1, 12 }, { 2, 10 }, { 3, 8 }, { 4, 6 }, { 5, 12 }, { 9, 16 }, { 0xA, 12 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        warn_reset();
        struct tbl t;
        madt_begin(&t, 0xFEE00000, 1);
        t_u8(&t, types[i].type);
        t_u8(&t, (uint8_t)(types[i].min - 1));
        memset(t.b + t.len, 0x11, types[i].min - 3);   /* nonzero junk */
        t.len += types[i].min - 3;
        e_lapic(&t, 7, 7, 1);
        sdt_end(&t);
        assert_int_equal(parse_madt(&t), 0);
        assert_int_equal(mi.skipped, 1);
        assert_int_equal(mi.ncpus, 1);
        assert_int_equal(mi.cpus[0].apic_id, 7);
        assert_int_equal(mi.nioapics + mi.noverrides + mi.nnmis + mi.nnmi_sources, 0);
        assert_int_equal(mi.lapic_addr, 0xFEE00000);
        char want[64];
        snprintf(want, sizeof want, "length %u < %u, skipped", types[i].min - 1, types[i].min);
        assert_warned("at offset 44", want);
    }
}

/* Longer than the type needs is fine (later ACPI revisions append fields). */
static void madt_entry_longer_than_type(void **state)
{
    (void)state;
    struct tbl t;
    madt_begin(&t, 0xFEE00000, 1);
    t_u8(&t, 0); t_u8(&t, 12); t_u8(&t, 3); t_u8(&t, 9); t_u32(&t, 1); t_u32(&t, 0xFFFFFFFF);
    e_lapic(&t, 4, 4, 1);
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 2);
    assert_int_equal(mi.cpus[0].apic_id, 9);
    assert_int_equal(mi.cpus[1].apic_id, 4);
    assert_int_equal(mi.skipped, 0);
}

static void madt_odd_entries(void **state)
{
    (void)state;
    struct tbl t;
    madt_begin(&t, 0xFEE00000, 1);
    e_lapic(&t, 0, 0, 1);
    e_lapic(&t, 1, 0, 1);                           /* enabled twice: skipped */
    e_lapic(&t, 2, 0xFF, 0);                        /* disabled placeholders: kept */
    e_lapic(&t, 3, 0xFF, 0);
    t_u8(&t, 0x7F); t_u8(&t, 4); t_u16(&t, 0);      /* unknown type */
    t_u8(&t, 0xB); t_u8(&t, 2);                     /* GICC type, not ours */
    e_lapic_nmi(&t, 0xFF, 0, 2);                    /* LINT2 does not exist */
    e_ioapic(&t, 1, 0, 0);                          /* address 0 */
    e_lapic_ovr(&t, 0);                             /* override to 0 */
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 3);
    assert_int_equal(mi.cpus[1].apic_id, 0xFF);
    assert_int_equal(mi.cpus[2].apic_id, 0xFF);
    assert_int_equal(mi.nnmis, 0);
    assert_int_equal(mi.nioapics, 0);
    assert_int_equal(mi.lapic_addr, 0xFEE00000);
    assert_int_equal(mi.skipped, 6);
    assert_warned("APIC ID 0x0 enabled twice");
    assert_warned("type 0x7f at offset", "not used");
    assert_warned("type 0xb at offset", "not used");
    assert_warned("LINT2, skipped");
    assert_warned("I/O APIC 1 at address 0, skipped");
    assert_warned("override to 0, skipped");
    assert_int_equal(warn_count, 6);
}

static void madt_beyond_capacity(void **state)
{
    (void)state;
    struct tbl t;
    madt_begin(&t, 0xFEE00000, 1);
    for (uint32_t i = 0; i < 300; i++)
        e_x2apic(&t, 1000 + i, 1, i);
    for (uint8_t i = 0; i < 20; i++)
        e_ioapic(&t, i, 0xFEC00000 + i * 0x1000u, i * 24u);
    for (uint8_t i = 0; i < 40; i++)
        e_iso(&t, 0, i, i, 0);
    for (uint8_t i = 0; i < 40; i++)
        e_lapic_nmi(&t, i, 0, 1);
    for (uint8_t i = 0; i < 10; i++)
        e_nmi_src(&t, 0, i);
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, ACPI_MAX_CPUS);
    assert_int_equal(mi.cpus[ACPI_MAX_CPUS - 1].apic_id, 1000 + ACPI_MAX_CPUS - 1);
    assert_int_equal(mi.nioapics, ACPI_MAX_IOAPICS);
    assert_int_equal(mi.ioapics[ACPI_MAX_IOAPICS - 1].id, ACPI_MAX_IOAPICS - 1);
    assert_int_equal(mi.noverrides, ACPI_MAX_OVERRIDES);
    assert_int_equal(mi.overrides[ACPI_MAX_OVERRIDES - 1].source, ACPI_MAX_OVERRIDES - 1);
    assert_int_equal(mi.nnmis, ACPI_MAX_NMIS);
    assert_int_equal(mi.nnmi_sources, ACPI_MAX_NMI_SOURCES);
    assert_int_equal(mi.skipped, 0);
    assert_warned("MADT lists 300 CPUs, only the first 256 kept");
    assert_warned("MADT lists 20 I/O APICs, only the first 16 kept");
    assert_warned("MADT lists 40 interrupt overrides, only the first 32 kept");
    assert_warned("MADT lists 40 local APIC NMIs, only the first 32 kept");
    assert_warned("MADT lists 10 NMI sources, only the first 8 kept");
    assert_int_equal(warn_count, 5);
}

static void madt_header_rejected(void **state)
{
    (void)state;
    struct tbl t;
    madt_pc4(&t);
    const void *img = dup_exact(t.b, t.len);

    memset(&mi, 0x5A, sizeof mi);
    static struct acpi_madt_info before;
    memcpy(&before, &mi, sizeof mi);

    assert_int_equal(acpi_parse_madt(img, 43, &mi), -MOS_EINVAL);
    assert_warned("MADT too short (43 bytes, need 44)");
    assert_int_equal(acpi_parse_madt(NULL, 100, &mi), -MOS_EINVAL);
    assert_int_equal(acpi_parse_madt(img, t.len - 1, &mi), -MOS_EINVAL);
    assert_warned("MADT length 144 outside [44, 143]");

    put_le(t.b + 4, 40, 4);
    assert_int_equal(acpi_parse_madt(dup_exact(t.b, t.len), t.len, &mi), -MOS_EINVAL);
    assert_warned("MADT length 40 outside");
    madt_pc4(&t);
    t.b[0] = 'X';
    assert_int_equal(acpi_parse_madt(dup_exact(t.b, t.len), t.len, &mi), -MOS_EINVAL);
    assert_warned("MADT signature bad");
    assert_memory_equal(&mi, &before, sizeof mi);   /* untouched on rejection */

    /* A Length shorter than the buffer bounds the walk. */
    warn_reset();
    madt_pc4(&t);
    put_le(t.b + 4, 44 + 8, 4);
    assert_int_equal(acpi_parse_madt(dup_exact(t.b, t.len), t.len, &mi), 0);
    assert_int_equal(mi.ncpus, 1);
    assert_int_equal(mi.nioapics, 0);

    /* An empty MADT: no entries, no local APIC address. */
    madt_begin(&t, 0, 0);
    sdt_end(&t);
    assert_int_equal(parse_madt(&t), 0);
    assert_int_equal(mi.ncpus, 0);
    assert_warned("MADT gives no local APIC address");
}

/* ============================================================ FADT and _S5_ */

/* Map `dsdt` at PA_DSDT and parse `fadt` (exact-size copy). */
static int parse_fadt(const struct tbl *fadt, const struct tbl *dsdt)
{
    mem_reset();
    if (dsdt)
        mem_add(PA_DSDT, dsdt->b, dsdt->len);
    memset(&fi, 0xA5, sizeof fi);
    return acpi_parse_fadt(dup_exact(fadt->b, fadt->len), fadt->len, fake_map, NULL, &fi);
}

static void fadt_qemu_q35(void **state)
{
    (void)state;
    struct tbl f, d;
    fadt_qemu(&f, true, (uint32_t)PA_DSDT);
    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.pm1a_cnt, 0x604);
    assert_int_equal(fi.pm1b_cnt, 0);
    assert_int_equal(fi.sci_irq, 9);
    assert_int_equal(fi.century, 0x32);
    assert_true(fi.reset_supported);
    assert_int_equal(fi.reset_space, 1);
    assert_int_equal(fi.reset_addr, 0xCF9);
    assert_int_equal(fi.reset_value, 0x0F);
    assert_int_equal(fi.slp_typ_s5a, 0);
    assert_int_equal(fi.slp_typ_s5b, 0);
    assert_int_equal(warn_count, 0);
}

static void fadt_qemu_pc_v1(void **state)
{
    (void)state;
    struct tbl f, d;
    static const uint8_t aml[] = {  /* \_S5_ {5, 5, 0, 0} with BytePrefix */
        0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00,
    };
    fadt_qemu(&f, false, (uint32_t)PA_DSDT);
    dsdt_build(&d, aml, sizeof aml);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.pm1a_cnt, 0x604);
    assert_int_equal(fi.sci_irq, 9);
    assert_int_equal(fi.century, 0x32);
    assert_false(fi.reset_supported);               /* RESET_REG_SUP clear, no field */
    assert_int_equal(fi.reset_addr, 0);
    assert_int_equal(fi.slp_typ_s5a, 5);
    assert_int_equal(fi.slp_typ_s5b, 5);
    assert_int_equal(warn_count, 0);

    /* RESET_REG_SUP set in a 116-byte table: the field is not there. */
    put_le(f.b + FADT_FLAGS, 0x84A5, 4);
    sdt_end(&f);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_false(fi.reset_supported);
    assert_warned("RESET_REG_SUP but is only 116 bytes long");
}

/* The real QEMU FADTs carry DSDT 0 in the test data: no DSDT, S5 unknown. */
static void fadt_without_dsdt(void **state)
{
    (void)state;
    struct tbl f;
    fadt_qemu(&f, true, 0);
    assert_int_equal(parse_fadt(&f, NULL), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_int_equal(fi.slp_typ_s5b, 0xFFFF);
    assert_int_equal(fi.pm1a_cnt, 0x604);
    assert_warned("FADT gives no DSDT, S5 sleep type unknown");

    warn_reset();
    fadt_qemu(&f, true, (uint32_t)PA_DSDT);
    assert_int_equal(parse_fadt(&f, NULL), 0);      /* DSDT not mapped */
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_warned("DSDT at 0x7fe0040: header not mappable");
    assert_warned("no usable DSDT, S5 sleep type unknown");

    warn_reset();
    memset(&fi, 0, sizeof fi);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, NULL, NULL, &fi), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_warned("no map callback");
    assert_int_equal(fi.pm1a_cnt, 0x604);
}

static void fadt_x_fields_win(void **state)
{
    (void)state;
    struct tbl f, d32, d64;
    static const uint8_t s5_55[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x05, 0x05 };
    static const uint8_t s5_70[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x07, 0x00 };
    dsdt_build(&d32, s5_55, sizeof s5_55);
    dsdt_build(&d64, s5_70, sizeof s5_70);

    fadt_qemu(&f, true, (uint32_t)PA_DSDT);
    put_le(f.b + FADT_X_DSDT, 0x180000000ull, 8);
    put_gas(f.b + FADT_X_PM1A, 1, 16, 0xB004);
    put_le(f.b + FADT_PM1B_CNT, 0x700, 4);
    put_gas(f.b + FADT_X_PM1B, 1, 16, 0x700);
    sdt_end(&f);
    mem_reset();
    mem_add(PA_DSDT, d32.b, d32.len);
    mem_add(0x180000000ull, d64.b, d64.len);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi), 0);
    assert_int_equal(fi.slp_typ_s5a, 7);
    assert_int_equal(fi.slp_typ_s5b, 0);
    assert_int_equal(fi.pm1a_cnt, 0xB004);
    assert_int_equal(fi.pm1b_cnt, 0x700);
    assert_warned("X_DSDT 0x180000000 differs from DSDT 0x7fe0040, using the former");
    assert_warned("X_PM1a_CNT_BLK 0xb004 differs from PM1a_CNT_BLK 0x604");
    assert_int_equal(warn_count, 2);

    /* X_PM1a_CNT_BLK in memory space: not a port, the 32-bit field is used. */
    warn_reset();
    put_gas(f.b + FADT_X_PM1A, 0, 16, 0xFED00000);
    put_le(f.b + FADT_X_DSDT, 0, 8);
    sdt_end(&f);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi), 0);
    assert_int_equal(fi.pm1a_cnt, 0x604);
    assert_int_equal(fi.slp_typ_s5a, 5);            /* X_DSDT 0: the 32-bit DSDT */
    assert_warned("X_PM1a_CNT_BLK (space 0, address 0xfed00000) is not an I/O port");

    /* A small address does not make memory space a port either. */
    warn_reset();
    put_gas(f.b + FADT_X_PM1A, 0, 16, 0x804);
    sdt_end(&f);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi), 0);
    assert_int_equal(fi.pm1a_cnt, 0x604);
    assert_warned("X_PM1a_CNT_BLK (space 0, address 0x804) is not an I/O port");

    /* A 32-bit port above 0xFFFF is no port either. */
    warn_reset();
    put_le(f.b + FADT_PM1A_CNT, 0x10604, 4);
    put_gas(f.b + FADT_X_PM1A, 0, 0, 0);
    sdt_end(&f);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi), 0);
    assert_int_equal(fi.pm1a_cnt, 0);
    assert_warned("PM1a_CNT_BLK 0x10604 is not an I/O port");
}

static void fadt_reset_register_checked(void **state)
{
    (void)state;
    struct tbl f, d;
    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    fadt_qemu(&f, true, (uint32_t)PA_DSDT);
    put_gas(f.b + FADT_RESET, 0, 8, 0xFEDC0000ull);  /* memory space is fine */
    f.b[FADT_RESETVAL] = 6;
    sdt_end(&f);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_true(fi.reset_supported);
    assert_int_equal(fi.reset_space, 0);
    assert_int_equal(fi.reset_addr, 0xFEDC0000ull);
    assert_int_equal(fi.reset_value, 6);

    put_gas(f.b + FADT_RESET, 1, 8, 0);
    sdt_end(&f);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_false(fi.reset_supported);
    assert_warned("reset register (space 1, address 0x0) unusable");

    put_gas(f.b + FADT_RESET, 0x7F, 8, 0xCF9);      /* functional fixed hardware */
    sdt_end(&f);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_false(fi.reset_supported);
    assert_warned("reset register (space 127, address 0xcf9) unusable");
}

static void fadt_rejected(void **state)
{
    (void)state;
    struct tbl f;
    fadt_qemu(&f, false, 0);
    memset(&fi, 0x5A, sizeof fi);
    struct acpi_fadt_info before = fi;
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, 115), 115, fake_map, NULL, &fi),
                     -MOS_EINVAL);
    assert_warned("FADT too short (115 bytes, need 116)");
    assert_int_equal(acpi_parse_fadt(NULL, 116, fake_map, NULL, &fi), -MOS_EINVAL);
    put_le(f.b + 4, 100, 4);
    sdt_resum(&f, f.len);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi),
                     -MOS_EINVAL);
    assert_warned("FADT length 100 outside [116, 116]");
    put_le(f.b + 4, 244, 4);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi),
                     -MOS_EINVAL);
    assert_warned("FADT length 244 outside [116, 116]");
    fadt_qemu(&f, false, 0);
    memcpy(f.b, "FADT", 4);
    assert_int_equal(acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi),
                     -MOS_EINVAL);
    assert_warned("FADT signature bad");
    assert_memory_equal(&fi, &before, sizeof fi);

    /* A revision 3 FADT cut to 130 bytes has a reset register but no X_ fields. */
    warn_reset();
    fadt_qemu(&f, true, 0);
    f.len = 130;
    sdt_end(&f);
    assert_int_equal(parse_fadt(&f, NULL), 0);
    assert_true(fi.reset_supported);
    assert_int_equal(fi.pm1a_cnt, 0x604);
}

/* ---- _S5_ encodings */

struct s5_case {
    const char *what;
    uint8_t aml[40];
    size_t n;
    uint16_t a, b;                  /* 0xFFFF: unknown */
    const char *warning;            /* expected, or NULL for none */
};

#define N5 0x08, '_', 'S', '5', '_'

static const struct s5_case s5_cases[] = {
    { "QEMU Zero x4", { N5, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 }, 12, 0, 0, NULL },
    { "OneOp", { N5, 0x12, 0x04, 0x02, 0x01, 0x01 }, 10, 1, 1, NULL },
    { "BytePrefix", { N5, 0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x07 }, 12, 5, 7, NULL },
    { "bare bytes", { N5, 0x12, 0x06, 0x04, 0x05, 0x06, 0x00, 0x00 }, 12, 5, 6, NULL },
    { "mixed", { N5, 0x12, 0x05, 0x02, 0x0A, 0x03, 0x01 }, 11, 3, 1, NULL },
    { "root prefix", { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0A, 0x02, 0x03 },
      12, 2, 3, NULL },
    { "2-byte PkgLength", { N5, 0x12, 0x47, 0x00, 0x04, 0x0A, 0x07, 0x00, 0x00, 0x00 },
      14, 7, 0, NULL },
    { "3-byte PkgLength", { N5, 0x12, 0x88, 0x00, 0x00, 0x04, 0x04, 0x04, 0x00, 0x00 },
      14, 4, 4, NULL },
    { "4-byte PkgLength", { N5, 0x12, 0xC9, 0x00, 0x00, 0x00, 0x04, 0x02, 0x02, 0x00, 0x00 },
      15, 2, 2, NULL },
    { "one element", { N5, 0x12, 0x04, 0x01, 0x0A, 0x05 }, 10, 5, 0, NULL },
    { "after other AML", { 0x14, 0x0A, '_', 'S', '5', '_', 0x00, 0x70, 0x00, 0x5F, 0x53, 0x35,
                           N5, 0x12, 0x04, 0x02, 0x05, 0x05 }, 22, 5, 5, NULL },
    { "bad candidate first", { N5, 0x12, 0x04, 0x02, 0x0B, 0x05, N5, 0x12, 0x04, 0x02, 0x03, 0x03 },
      20, 3, 3, "_S5_ at offset 37: element is not a byte constant" },
    { "WordPrefix", { N5, 0x12, 0x07, 0x02, 0x0B, 0x05, 0x00, 0x0A, 0x05 }, 13, 0xFFFF, 0xFFFF,
      "element is not a byte constant" },
    { "OnesOp", { N5, 0x12, 0x04, 0x02, 0xFF, 0x00 }, 10, 0xFFFF, 0xFFFF,
      "element is not a byte constant" },
    { "value 8", { N5, 0x12, 0x05, 0x02, 0x0A, 0x08, 0x00 }, 11, 0xFFFF, 0xFFFF,
      "sleep type above 7" },
    { "empty package", { N5, 0x12, 0x02, 0x00 }, 8, 0xFFFF, 0xFFFF, "package is empty" },
    { "PkgLength too small", { N5, 0x12, 0x01, 0x02, 0x00, 0x00 }, 10, 0xFFFF, 0xFFFF,
      "PkgLength too small" },
    { "second element outside package", { N5, 0x12, 0x04, 0x02, 0x0A, 0x05, 0x0A, 0x05 }, 12,
      0xFFFF, 0xFFFF, "package ends before its elements" },
    { "BytePrefix cut by PkgLength", { N5, 0x12, 0x03, 0x02, 0x0A, 0x05 }, 10, 0xFFFF, 0xFFFF,
      "BytePrefix without its byte" },
    { "package past DSDT end", { N5, 0x12, 0x06, 0x04, 0x00, 0x00 }, 10, 0xFFFF, 0xFFFF,
      "package runs past the end of the DSDT" },
    { "PkgLength bytes past end", { N5, 0x12, 0xC0, 0x01 }, 8, 0xFFFF, 0xFFFF,
      "PkgLength truncated or malformed" },
    { "PkgLength reserved bits", { N5, 0x12, 0x70, 0x00, 0x02, 0x00, 0x00 }, 11, 0xFFFF,
      0xFFFF, "PkgLength truncated or malformed" },
    { "NumElements past end", { N5, 0x12, 0x02 }, 7, 0xFFFF, 0xFFFF,
      "package runs past the end" },
    { "PkgLength is the last byte", { N5, 0x12 }, 6, 0xFFFF, 0xFFFF,
      "PkgLength truncated" },
    { "Name with no package", { N5, 0x0A, 0x05 }, 7, 0xFFFF, 0xFFFF, "no usable _S5_" },
    { "name at the very end", { 0x00, N5 }, 6, 0xFFFF, 0xFFFF, "no usable _S5_" },
    { "no NameOp", { 0x10, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x05, 0x05 }, 10, 0xFFFF,
      0xFFFF, "no usable _S5_" },
    { "_S4_ only", { 0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x05, 0x05 }, 10, 0xFFFF,
      0xFFFF, "no usable _S5_" },
    { "empty DSDT", { 0 }, 0, 0xFFFF, 0xFFFF, "no usable _S5_" },
};

static void s5_encodings(void **state)
{
    (void)state;
    struct tbl f, d;
    fadt_qemu(&f, true, (uint32_t)PA_DSDT);
    for (size_t i = 0; i < ARRAY_SIZE(s5_cases); i++) {
        const struct s5_case *c = &s5_cases[i];
        warn_reset();
        dsdt_build(&d, c->aml, c->n);
        int rc = parse_fadt(&f, &d);
        if (rc != 0 || fi.slp_typ_s5a != c->a || fi.slp_typ_s5b != c->b ||
            (c->warning && !warned(c->warning)) || (!c->warning && warn_count)) {
            print_error("case \"%s\": rc %d, a 0x%x b 0x%x (want 0x%x 0x%x)\nlog:\n%s",
                        c->what, rc, fi.slp_typ_s5a, fi.slp_typ_s5b, c->a, c->b, warn_log);
            fail();
        }
        if (c->a == 0xFFFF)
            assert_warned("S5 sleep type unknown");
    }
}

static void dsdt_corrupt(void **state)
{
    (void)state;
    struct tbl f, d;
    fadt_qemu(&f, true, (uint32_t)PA_DSDT);

    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    d.b[44] ^= 0x3C;                               /* a Zero element */
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_int_equal(fi.slp_typ_s5b, 0xFFFF);
    assert_int_equal(fi.pm1a_cnt, 0x604);           /* the FADT itself is fine */
    assert_warned("DSDT at 0x7fe0040: checksum bad (sum 0x3c)");

    warn_reset();
    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    memcpy(d.b, "SSDT", 4);
    sdt_end(&d);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_warned("DSDT at 0x7fe0040: bad signature");

    warn_reset();
    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    put_le(d.b + 4, d.len + 1, 4);                  /* one byte more than is mapped */
    sdt_resum(&d, d.len);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_warned("DSDT at 0x7fe0040: length 49 runs past mapped memory");

    warn_reset();
    dsdt_build(&d, aml_s5_qemu, sizeof aml_s5_qemu);
    put_le(d.b + 4, 0x7FFFFFFF, 4);
    sdt_resum(&d, d.len);
    assert_int_equal(parse_fadt(&f, &d), 0);
    assert_int_equal(fi.slp_typ_s5a, 0xFFFF);
    assert_warned("DSDT at 0x7fe0040: length 2147483647 outside");
}

/* ============================================================ random mutations */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t seed_for(const char *test)
{
    const char *s = getenv("ACPI_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x616370692d66757aull;
    print_message("%s: seed 0x%llx (set ACPI_SEED to replay)\n", test,
                  (unsigned long long)seed);
    return seed ? seed : 1;
}

static const uint8_t interesting8[] = { 0, 1, 2, 5, 6, 7, 8, 0x0A, 0x0B, 0x12, 0x40, 0x7F,
                                        0x80, 0xC0, 0xFF, '_', 'S', '5', '\\' };

/* 1-6 random edits of t (bytes, bits, interesting values, lengths, splices),
 * length kept within [min_len, sizeof t->b). */
static void mutate(struct tbl *t, size_t min_len)
{
    int n = 1 + (int)(rng() % 6);
    for (int k = 0; k < n; k++) {
        size_t len = t->len ? t->len : 1;
        size_t at = rng() % len;
        switch (rng() % 9) {
        case 0: t->b[at] = (uint8_t)rng(); break;
        case 1: t->b[at] ^= (uint8_t)(1u << (rng() % 8)); break;
        case 2: t->b[at] = interesting8[rng() % sizeof interesting8]; break;
        case 3: {                                   /* an entry-length-sized nudge */
            t->b[at] = (uint8_t)(t->b[at] + (int)(rng() % 5) - 2);
            break;
        }
        case 4: {                                   /* a 32-bit length-like value */
            static const uint32_t v[] = { 0, 1, 35, 36, 44, 116, 0xFFFF, 0x100000, 0x100001,
                                          0xFFFFFFFF };
            if (at + 4 <= t->len)
                put_le(t->b + at, rng() % 2 ? v[rng() % ARRAY_SIZE(v)] : t->len + rng() % 9 - 4,
                       4);
            break;
        }
        case 5:                                     /* truncate */
            t->len = min_len + rng() % (t->len - min_len + 1);
            break;
        case 6: {                                   /* extend with random bytes */
            size_t add = rng() % 24;
            if (t->len + add < sizeof t->b) {
                for (size_t i = 0; i < add; i++)
                    t->b[t->len + i] = (uint8_t)rng();
                t->len += add;
            }
            break;
        }
        case 7: {                                   /* splice a chunk from elsewhere */
            size_t from = rng() % len, n2 = 1 + rng() % 16;
            if (from + n2 <= t->len && at + n2 <= t->len)
                memmove(t->b + at, t->b + from, n2);
            break;
        }
        default:                                    /* remove a byte */
            if (t->len > min_len) {
                memmove(t->b + at, t->b + at + 1, t->len - at - 1);
                t->len--;
            }
            break;
        }
    }
}

/* Usually keep the header honest so the mutation reaches the body. */
static void maybe_fix(struct tbl *t)
{
    if (t->len < 10)
        return;
    unsigned r = (unsigned)(rng() % 4);
    if (r <= 1)
        put_le(t->b + 4, t->len, 4);
    if (r <= 2)
        sdt_resum(t, MIN(t->len, (size_t)(t->b[4] | t->b[5] << 8 | t->b[6] << 16 |
                                          (uint32_t)t->b[7] << 24)));
}

static void check_madt_invariants(int rc, size_t len)
{
    assert_true(rc == 0 || rc == -MOS_EINVAL);
    if (rc)
        return;
    assert_true(mi.ncpus <= ACPI_MAX_CPUS);
    assert_true(mi.nioapics <= ACPI_MAX_IOAPICS);
    assert_true(mi.noverrides <= ACPI_MAX_OVERRIDES);
    assert_true(mi.nnmis <= ACPI_MAX_NMIS);
    assert_true(mi.nnmi_sources <= ACPI_MAX_NMI_SOURCES);
    assert_true(mi.skipped <= len / 2);
    for (uint32_t i = 0; i < mi.nnmis; i++)
        assert_true(mi.nmis[i].lint <= 1);
    for (uint32_t i = 0; i < mi.nioapics; i++)
        assert_true(mi.ioapics[i].addr != 0 && mi.ioapics[i].addr <= 0xFFFFFFFF);
    for (uint32_t i = 0; i < mi.ncpus; i++) {
        assert_false(mi.cpus[i].enabled && mi.cpus[i].online_capable);
        for (uint32_t j = 0; j < i; j++)
            assert_false(mi.cpus[i].enabled && mi.cpus[j].enabled &&
                         mi.cpus[i].apic_id == mi.cpus[j].apic_id);
    }
}

static void random_madt(void **state)
{
    (void)state;
    rng_state = seed_for("random_madt");
    static struct tbl base[4], t;
    madt_pc4(&base[0]);
    static const uint8_t ids[] = { 0, 1, 2, 4, 5, 6 };
    static const uint32_t fl[] = { 1, 1, 0, 2, 3, 0 };
    madt_qemu(&base[1], 6, ids, fl);
    madt_begin(&base[2], 0xFEE00000, 0);
    e_x2apic(&base[2], 0, 1, 0);
    e_x2apic(&base[2], 300, 1, 1);
    e_lapic_ovr(&base[2], 0xFEE00000);
    e_ioapic(&base[2], 0, 0xFEC00000, 0);
    e_nmi_src(&base[2], 0, 9);
    e_x2apic_nmi(&base[2], 0, 0xFFFFFFFF, 1);
    sdt_end(&base[2]);
    madt_begin(&base[3], 0xFEE00000, 1);
    for (uint8_t i = 0; i < 40; i++)
        e_lapic(&base[3], i, i, 1);
    sdt_end(&base[3]);

    unsigned accepted = 0;
    for (int iter = 0; iter < 6000; iter++) {
        warn_reset();
        mem_reset();
        t = base[rng() % 4];
        mutate(&t, 0);
        maybe_fix(&t);
        int rc = acpi_parse_madt(dup_exact(t.b, t.len), t.len, &mi);
        check_madt_invariants(rc, t.len);
        accepted += rc == 0;
        assert_true(rc == 0 || warn_count > 0);     /* rejections are reported */
    }
    print_message("random_madt: %u of 6000 accepted\n", accepted);
    assert_true(accepted > 1000);                   /* the mutations reach the walk */
}

static void random_fadt_dsdt(void **state)
{
    (void)state;
    rng_state = seed_for("random_fadt_dsdt");
    static struct tbl f, d, fbase[2], dbase[3];
    fadt_qemu(&fbase[0], false, (uint32_t)PA_DSDT);
    fadt_qemu(&fbase[1], true, (uint32_t)PA_DSDT);
    put_le(fbase[1].b + FADT_X_DSDT, PA_DSDT, 8);
    sdt_end(&fbase[1]);
    dsdt_build(&dbase[0], aml_s5_qemu, sizeof aml_s5_qemu);
    dsdt_build(&dbase[1], s5_cases[6].aml, s5_cases[6].n);
    dsdt_build(&dbase[2], s5_cases[10].aml, s5_cases[10].n);

    unsigned known = 0;
    for (int iter = 0; iter < 6000; iter++) {
        warn_reset();
        f = fbase[rng() % 2];
        d = dbase[rng() % 3];
        if (rng() % 3 == 0) {
            mutate(&f, 0);
            maybe_fix(&f);
        }
        mutate(&d, 0);
        maybe_fix(&d);
        mem_reset();
        mem_add(PA_DSDT, d.b, d.len);
        memset(&fi, 0xA5, sizeof fi);
        int rc = acpi_parse_fadt(dup_exact(f.b, f.len), f.len, fake_map, NULL, &fi);
        assert_true(rc == 0 || rc == -MOS_EINVAL);
        if (rc)
            continue;
        assert_true((fi.slp_typ_s5a == 0xFFFF) == (fi.slp_typ_s5b == 0xFFFF));
        assert_true(fi.slp_typ_s5a == 0xFFFF || (fi.slp_typ_s5a <= 7 && fi.slp_typ_s5b <= 7));
        assert_true(fi.pm1a_cnt <= 0xFFFF && fi.pm1b_cnt <= 0xFFFF);
        assert_true(!fi.reset_supported || (fi.reset_addr != 0 && fi.reset_space <= 2));
        known += fi.slp_typ_s5a != 0xFFFF;
    }
    print_message("random_fadt_dsdt: _S5_ decoded in %u of 6000\n", known);
    assert_true(known > 500);
}

static void random_roots(void **state)
{
    (void)state;
    rng_state = seed_for("random_roots");
    static const char *const sigs[] = { "APIC", "FACP", "HPET", "SSDT", "MCFG" };
    unsigned found = 0;
    for (int iter = 0; iter < 4000; iter++) {
        warn_reset();
        world_build(rng() % 2 ? 2 : 0);
        switch (rng() % 4) {
        case 0: {                                   /* the RSDP */
            struct tbl r = { .len = 36 };
            memcpy(r.b, W.rsdp, 36);
            mutate(&r, 0);
            if (rng() % 2)
                rsdp_resum(r.b);
            W.rsdp_len = MIN(r.len, (size_t)36);
            memcpy(W.rsdp, r.b, W.rsdp_len);
            break;
        }
        case 1: mutate(&W.xsdt, 0); maybe_fix(&W.xsdt); break;
        case 2: mutate(&W.rsdt, 0); maybe_fix(&W.rsdt); break;
        default: mutate(&W.madt2, 0); maybe_fix(&W.madt2); break;
        }
        world_map();
        uint64_t pa;
        uint32_t len;
        for (unsigned s = 0; s < ARRAY_SIZE(sigs); s++) {
            int rc = find(sigs[s], (unsigned)(rng() % 2), &pa, &len);
            assert_true(rc == 0 || rc == -MOS_EINVAL || rc == -MOS_ENOENT);
            if (rc)
                continue;
            const uint8_t *t = fake_map(pa, len, NULL);
            assert_non_null(t);
            assert_memory_equal(t, sigs[s], 4);
            assert_true(len >= 36);
            assert_int_equal(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24, len);
            assert_int_equal(sum8(t, len), 0);
            found++;
        }
    }
    print_message("random_roots: %u lookups succeeded\n", found);
    assert_true(found > 1000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(builders_match_qemu_checksums),
        T(rsdp_v1_uses_rsdt),
        T(rsdp_v2_prefers_xsdt),
        T(nth_occurrence),
        T(xsdt_unaligned_64bit_entries),
        T(xsdt_checksum_bad_falls_back_to_rsdt),
        T(xsdt_corruptions_fall_back_to_rsdt),
        T(xsdt_and_rsdt_both_bad),
        T(rsdp_malformed),
        T(rsdp_v2_problems_use_rsdt),
        T(rsdt_length_not_whole_entries),
        T(entries_null_or_unmapped_are_skipped),
        T(found_table_corrupt),
        T(madt_qemu_pc_4cpus),
        T(madt_qemu_q35_and_hotplug),
        T(madt_x2apic),
        T(madt_zero_length_entry_ends_walk),
        T(madt_entry_past_end),
        T(madt_entry_too_short_for_type),
        T(madt_entry_longer_than_type),
        T(madt_odd_entries),
        T(madt_beyond_capacity),
        T(madt_header_rejected),
        T(fadt_qemu_q35),
        T(fadt_qemu_pc_v1),
        T(fadt_without_dsdt),
        T(fadt_x_fields_win),
        T(fadt_reset_register_checked),
        T(fadt_rejected),
        T(s5_encodings),
        T(dsdt_corrupt),
        T(random_madt),
        T(random_fadt_dsdt),
        T(random_roots),
    };
#undef T
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free(copies);
    return failed;
}
