// SPDX-License-Identifier: MIT
/* ktest_ubsan.c - in-kernel tests of the UBSan runtime (lib/ubsan.c), built
 * only into the debug kernel (compiled with -fsanitize, mk/debug.mk). Each
 * test arms a planned failure (lib/kcheck.h), does one undefined thing the
 * compiler cannot see coming (operands come from volatile variables), and
 * checks that exactly one report of the right kind came out naming this
 * file and the line of the statement. The operations chosen are the ones
 * that do no harm when the program goes on after the report (no division
 * by zero, no null dereference). */
#include "test/ktest.h"
#include "lib/kcheck.h"
#include "lib/string.h"
#include "lib/ubsan.h"
#include "config.h"

static volatile int v_int_max = 0x7fffffff, v_int_min = -0x7fffffff - 1;
static volatile int v_one = 1, v_minus_one = -1, v_zero = 0, v_five = 5, v_forty = 40;
static volatile uint8_t v_bool_byte = 5;
static volatile uintptr_t v_top = ~(uintptr_t)0 - 3;
static volatile size_t v_eight = 8;
static void *volatile v_null;
static volatile long sink;
static void *volatile sink_ptr;
static struct { int a[4]; int after[4]; } table;   /* a[5] stays inside the object */
static uint64_t words[2];

/* Run stmt (one line) with a plan armed; then expect one report of `kind`
 * located at this file and line. */
#define EXPECT_UB(t, kind, stmt) EXPECT_UB_AT(t, kind, __LINE__, stmt)
#define EXPECT_UB_AT(t, kind, line, stmt)                                     \
    do {                                                                      \
        struct kcheck_plan _p;                                                \
        unsigned _before = ubsan_report_count();                              \
        kcheck_plan_begin(&_p);                                               \
        stmt;                                                                 \
        kcheck_plan_end(&_p);                                                 \
        expect_report((t), &_p, (kind), (line), _before);                     \
    } while (0)

static void expect_report(struct ktest_ctx *t, const struct kcheck_plan *p, const char *kind,
                          int line, unsigned before)
{
    char where[64];
    ksnprintf(where, sizeof where, "kernel/test/ktest_ubsan.c:%d:", line);
    KT_EXPECTF(t, p->hits == 1, "%u reports, expected 1 (%s)", p->hits, kind);
    KT_EXPECTF(t, strcmp(p->kind, kind) == 0, "kind '%s', expected '%s'", p->kind, kind);
    KT_EXPECTF(t, strncmp(p->summary, "UBSAN: ", 7) == 0 && strstr(p->summary, where),
               "summary '%s' does not name %s", p->summary, where);
    KT_EXPECT_EQ(t, ubsan_report_count(), before + 1);
}

static __attribute__((noinline, nonnull(1))) void keep_nonnull(void *p)
{
    sink_ptr = p;
}

static int give_line;                   /* the return statement: where the report points */
static __attribute__((noinline, returns_nonnull)) void *give_nonnull(void)
{
    give_line = __LINE__ + 1;
    return v_null;
}

KTEST(debug_ubsan_signed_overflow_is_reported)
{
    EXPECT_UB(t, "signed-integer-overflow", sink = v_int_max + v_one);
    EXPECT_UB(t, "signed-integer-overflow", sink = v_int_min - v_one);
    EXPECT_UB(t, "signed-integer-overflow", sink = v_int_max * v_forty);
    EXPECT_UB(t, "signed-integer-overflow", sink = -v_int_min);
}

KTEST(debug_ubsan_shift_is_reported)
{
    EXPECT_UB(t, "shift-out-of-bounds", sink = v_one << v_forty);
    EXPECT_UB(t, "shift-out-of-bounds", sink = v_one << v_minus_one);
    EXPECT_UB(t, "shift-out-of-bounds", sink = v_minus_one << v_one);
}

KTEST(debug_ubsan_array_index_is_reported)
{
    EXPECT_UB(t, "array-index-out-of-bounds", sink = table.a[v_five]);
    EXPECT_UB(t, "array-index-out-of-bounds", sink = table.a[v_minus_one]);
}

KTEST(debug_ubsan_misaligned_access_is_reported)
{
    EXPECT_UB(t, "misaligned-access", sink = *(uint32_t *)((uintptr_t)words + (uintptr_t)v_one));
}

KTEST(debug_ubsan_invalid_bool_is_reported)
{
    bool b;
    uint8_t raw = v_bool_byte;
    __builtin_memcpy(&b, &raw, 1);
    bool *volatile pb = &b;
    EXPECT_UB(t, "invalid-value-load", sink = *pb ? 1 : 2);
}

KTEST(debug_ubsan_pointer_overflow_is_reported)
{
    EXPECT_UB(t, "pointer-overflow", { char *p = (char *)v_top; sink_ptr = p + v_eight; });
}

KTEST(debug_ubsan_vla_bound_is_reported)
{
    EXPECT_UB(t, "vla-bound-not-positive", { char vla[v_zero]; sink = (long)sizeof vla; });
}

KTEST(debug_ubsan_ctz_of_zero_is_reported)
{
    EXPECT_UB(t, "invalid-builtin", sink = __builtin_ctz((unsigned)v_zero));
}

KTEST(debug_ubsan_nonnull_contracts_are_reported)
{
    EXPECT_UB(t, "nonnull-argument", keep_nonnull(v_null));
    EXPECT_UB_AT(t, "nonnull-return", give_line, sink_ptr = give_nonnull());
}

/* Outside a plan nothing is recorded, and correct code reports nothing. */
KTEST(debug_ubsan_correct_code_is_quiet)
{
    unsigned before = ubsan_report_count();
    sink = v_int_max - v_one;
    sink = v_one << 30;
    sink = table.a[3];
    sink = *(uint32_t *)((uintptr_t)words + 4 * (uintptr_t)v_one);
    sink = __builtin_ctz((unsigned)v_five);
    KT_EXPECT_EQ(t, ubsan_report_count(), before);
    KT_EXPECT(t, CONFIG_DEBUG);
}
