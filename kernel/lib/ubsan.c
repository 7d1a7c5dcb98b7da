// SPDX-License-Identifier: MIT
/* ubsan.c - the UBSan runtime of the debug kernel (ubsan.h): one handler per
 * check the compilers emit, each decoding the static descriptor and the
 * operands into one report,
 *     UBSAN: <kind> at <file>:<line>:<col>
 *       <what happened, with the values>
 * and then the verdict of lib/kcheck.h (a panic, or a record when a test
 * planned it). This file itself is compiled without -fsanitize (mk/debug.mk)
 * and guards against reentry per CPU: a check failing inside the code that
 * prints a report (kprintf, the log) is dropped rather than recursing.
 * Locking: none of its own; printing takes the log lock. */
#include "lib/ubsan.h"
#include "lib/kcheck.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "arch/arch.h"
#include "sched/cpu.h"

static unsigned reports;                 /* atomic */
static bool busy[MAX_CPUS];              /* this CPU is printing a report */

unsigned ubsan_report_count(void)
{
    return __atomic_load_n(&reports, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ values */

static bool type_is_int(const struct ubsan_type_descriptor *t)
{
    return t->kind == UBSAN_TYPE_INTEGER;
}

static bool type_is_signed(const struct ubsan_type_descriptor *t)
{
    return type_is_int(t) && (t->info & 1);
}

static unsigned type_bits(const struct ubsan_type_descriptor *t)
{
    if (type_is_int(t))
        return 1u << (t->info >> 1);
    return t->kind == UBSAN_TYPE_FLOAT ? t->info : 0;
}

/* An integer operand that fits in 64 bits, sign-extended when signed.
 * Wider ones (__int128) are passed by address: their low word. */
static uint64_t int_bits(const struct ubsan_type_descriptor *t, ubsan_value_t v)
{
    unsigned bits = type_bits(t);
    if (bits > 64)
        return *(const uint64_t *)v;
    uint64_t x = (uint64_t)v;
    if (bits == 64 || bits == 0)
        return x;
    if (type_is_signed(t))
        return (uint64_t)((int64_t)(x << (64 - bits)) >> (64 - bits));
    return x & ((1ull << bits) - 1);
}

static bool value_is_negative(const struct ubsan_type_descriptor *t, ubsan_value_t v)
{
    if (!type_is_signed(t))
        return false;
    if (type_bits(t) > 64)
        return (int64_t)((const uint64_t *)v)[1] < 0;
    return (int64_t)int_bits(t, v) < 0;
}

/* The value as the source would print it, into buf. */
static const char *fmt_value(char *buf, size_t len, const struct ubsan_type_descriptor *t,
                             ubsan_value_t v)
{
    unsigned bits = type_bits(t);
    if (type_is_int(t) && bits > 64) {
        const uint64_t *w = (const uint64_t *)v;
        if ((type_is_signed(t) && w[1] == ((int64_t)w[0] < 0 ? ~0ull : 0)))
            ksnprintf(buf, len, "%lld", (long long)w[0]);
        else if (!type_is_signed(t) && w[1] == 0)
            ksnprintf(buf, len, "%llu", (unsigned long long)w[0]);
        else
            ksnprintf(buf, len, "0x%016llx%016llx", (unsigned long long)w[1],
                      (unsigned long long)w[0]);
    } else if (type_is_int(t)) {
        uint64_t x = int_bits(t, v);
        if (type_is_signed(t))
            ksnprintf(buf, len, "%lld", (long long)x);
        else
            ksnprintf(buf, len, "%llu", (unsigned long long)x);
    } else if (t->kind == UBSAN_TYPE_FLOAT) {
        ksnprintf(buf, len, "<%u-bit float, bits 0x%llx>", bits,
                  bits <= 64 ? (unsigned long long)v : (unsigned long long)*(const uint64_t *)v);
    } else {
        ksnprintf(buf, len, "<value 0x%llx>", (unsigned long long)v);
    }
    return buf;
}

/* ------------------------------------------------------------ reports */

static const char *loc_file(const struct ubsan_source_location *loc)
{
    return loc && loc->file ? loc->file : "<unknown>";
}

/* Print the report; then the verdict. `fatal` (the _abort handlers and
 * unreachable code) panics even when a test planned it. */
static void __printf(4, 5) report(const char *kind, const struct ubsan_source_location *loc,
                                  bool fatal, const char *fmt, ...)
{
    unsigned id = arch_cpu_id();
    if (id >= MAX_CPUS || busy[id])
        return;                          /* a check failed inside a report: drop it */
    busy[id] = true;
    struct kcheck_plan *plan = kcheck_begin();
    char summary[160];
    ksnprintf(summary, sizeof summary, "UBSAN: %s at %s:%u:%u", kind, loc_file(loc),
              loc ? loc->line : 0, loc ? loc->column : 0);
    kprintf("%s\n", summary);
    va_list ap;
    va_start(ap, fmt);
    char what[192];
    kvsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    kprintf("  %s\n", what);
    __atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
    busy[id] = false;
    kcheck_end(fatal ? NULL : plan, kind, summary);
}

static __noreturn void die(const char *handler)
{
    panic("UBSAN: %s returned", handler);   /* only reached if the verdict did not panic */
}

static void overflow(struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs,
                     char op, bool fatal)
{
    char a[48], b[48];
    report(type_is_signed(d->type) ? "signed-integer-overflow" : "unsigned-integer-overflow",
           &d->loc, fatal, "%s %c %s cannot be represented in type %s",
           fmt_value(a, sizeof a, d->type, lhs), op, fmt_value(b, sizeof b, d->type, rhs),
           d->type->name);
}

static void negate(struct ubsan_overflow_data *d, ubsan_value_t old, bool fatal)
{
    char a[48];
    report(type_is_signed(d->type) ? "signed-integer-overflow" : "unsigned-integer-overflow",
           &d->loc, fatal, "negation of %s cannot be represented in type %s; cast to an "
           "unsigned type to negate this value to itself", fmt_value(a, sizeof a, d->type, old),
           d->type->name);
}

static void divrem(struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs, bool fatal)
{
    char a[48], b[48];
    if (type_is_int(d->type) && int_bits(d->type, rhs) == 0)
        report("integer-divide-by-zero", &d->loc, fatal, "division of %s by zero in type %s",
               fmt_value(a, sizeof a, d->type, lhs), d->type->name);
    else
        report("signed-integer-overflow", &d->loc, fatal,
               "division of %s by %s cannot be represented in type %s",
               fmt_value(a, sizeof a, d->type, lhs), fmt_value(b, sizeof b, d->type, rhs),
               d->type->name);
}

static void shift(struct ubsan_shift_data *d, ubsan_value_t lhs, ubsan_value_t rhs, bool fatal)
{
    char a[48], b[48];
    fmt_value(a, sizeof a, d->lhs_type, lhs);
    fmt_value(b, sizeof b, d->rhs_type, rhs);
    if (value_is_negative(d->rhs_type, rhs))
        report("shift-out-of-bounds", &d->loc, fatal, "shift exponent %s is negative", b);
    else if (int_bits(d->rhs_type, rhs) >= type_bits(d->lhs_type))
        report("shift-out-of-bounds", &d->loc, fatal,
               "shift exponent %s is too large for %u-bit type %s", b, type_bits(d->lhs_type),
               d->lhs_type->name);
    else if (value_is_negative(d->lhs_type, lhs))
        report("shift-out-of-bounds", &d->loc, fatal, "left shift of negative value %s", a);
    else
        report("shift-out-of-bounds", &d->loc, fatal,
               "left shift of %s by %s places cannot be represented in type %s", a, b,
               d->lhs_type->name);
}

static void out_of_bounds(struct ubsan_out_of_bounds_data *d, ubsan_value_t index, bool fatal)
{
    char a[48];
    report("array-index-out-of-bounds", &d->loc, fatal, "index %s is out of range for type %s",
           fmt_value(a, sizeof a, d->index_type, index), d->array_type->name);
}

static const char *const type_check_kinds[] = {
    "load of", "store to", "reference binding to", "member access within", "member call on",
    "constructor call on", "downcast of", "downcast of", "upcast of", "cast to virtual base of",
    "_Nonnull binding to", "dynamic operation on",
};

static void type_mismatch(struct ubsan_type_mismatch_data_v1 *d, ubsan_value_t ptr, bool fatal)
{
    const char *what = d->type_check_kind < ARRAY_SIZE(type_check_kinds)
                       ? type_check_kinds[d->type_check_kind] : "access to";
    uint64_t align = d->log_alignment < 64 ? 1ull << d->log_alignment : 0;
    if (ptr == 0)
        report("null-pointer-use", &d->loc, fatal, "%s null pointer of type %s", what,
               d->type->name);
    else if (align && (ptr & (align - 1)))
        report("misaligned-access", &d->loc, fatal,
               "%s misaligned address 0x%llx for type %s, which requires %llu byte alignment",
               what, (unsigned long long)ptr, d->type->name, (unsigned long long)align);
    else
        report("object-size", &d->loc, fatal,
               "%s address 0x%llx with insufficient space for an object of type %s", what,
               (unsigned long long)ptr, d->type->name);
}

static void vla_bound(struct ubsan_vla_bound_data *d, ubsan_value_t bound, bool fatal)
{
    char a[48];
    report("vla-bound-not-positive", &d->loc, fatal,
           "variable length array bound evaluates to non-positive value %s",
           fmt_value(a, sizeof a, d->type, bound));
}

static void invalid_value(struct ubsan_invalid_value_data *d, ubsan_value_t val, bool fatal)
{
    char a[48];
    report("invalid-value-load", &d->loc, fatal,
           "load of value %s, which is not a valid value for type %s",
           fmt_value(a, sizeof a, d->type, val), d->type->name);
}

static void nonnull_arg(struct ubsan_nonnull_arg_data *d, bool fatal)
{
    report("nonnull-argument", &d->loc, fatal,
           "null pointer passed as argument %d, which is declared to never be null (%s:%u)",
           d->arg_index, loc_file(&d->attr_loc), d->attr_loc.line);
}

static void nonnull_return(struct ubsan_nonnull_return_data *d, struct ubsan_source_location *loc,
                           bool fatal)
{
    report("nonnull-return", loc, fatal,
           "null pointer returned from a function declared to never return null (%s:%u)",
           loc_file(&d->attr_loc), d->attr_loc.line);
}

static void pointer_overflow(struct ubsan_pointer_overflow_data *d, ubsan_value_t base,
                             ubsan_value_t result, bool fatal)
{
    if (base == 0 && result == 0)
        report("pointer-overflow", &d->loc, fatal, "applying zero offset to null pointer");
    else if (base == 0)
        report("pointer-overflow", &d->loc, fatal,
               "applying non-zero offset 0x%llx to null pointer", (unsigned long long)result);
    else if (result == 0)
        report("pointer-overflow", &d->loc, fatal,
               "applying non-zero offset to non-null pointer 0x%llx produced null pointer",
               (unsigned long long)base);
    else
        report("pointer-overflow", &d->loc, fatal,
               "pointer arithmetic on 0x%llx overflowed to 0x%llx", (unsigned long long)base,
               (unsigned long long)result);
}

static void invalid_builtin(struct ubsan_invalid_builtin_data *d, bool fatal)
{
    report("invalid-builtin", &d->loc, fatal, "passing zero to %s, which is not a valid argument",
           d->kind == UBSAN_BUILTIN_CTZ ? "ctz()" : d->kind == UBSAN_BUILTIN_CLZ ? "clz()"
                                                                                  : "a builtin");
}

static void alignment_assumption(struct ubsan_alignment_assumption_data *d, ubsan_value_t ptr,
                                 ubsan_value_t alignment, ubsan_value_t offset, bool fatal)
{
    report("alignment-assumption", &d->loc, fatal,
           "assumption of %llu byte alignment (offset %llu) for pointer 0x%llx of type %s "
           "failed (%s:%u)", (unsigned long long)alignment, (unsigned long long)offset,
           (unsigned long long)ptr, d->type->name, loc_file(&d->assumption_loc),
           d->assumption_loc.line);
}

/* ------------------------------------------------------------ entry points */

/* Each check has a recoverable handler (the default, -fsanitize-recover)
 * and an _abort one (-fno-sanitize-recover) that never returns. */
#define UBSAN_PAIR(name, params, body)                                         \
    void __ubsan_handle_##name params { const bool fatal = false; body; }      \
    void __ubsan_handle_##name##_abort params                                  \
    {                                                                          \
        const bool fatal = true;                                               \
        body;                                                                  \
        die("__ubsan_handle_" #name "_abort");                                 \
    }

UBSAN_PAIR(add_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs),
           overflow(d, lhs, rhs, '+', fatal))
UBSAN_PAIR(sub_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs),
           overflow(d, lhs, rhs, '-', fatal))
UBSAN_PAIR(mul_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs),
           overflow(d, lhs, rhs, '*', fatal))
UBSAN_PAIR(negate_overflow, (struct ubsan_overflow_data *d, ubsan_value_t old),
           negate(d, old, fatal))
UBSAN_PAIR(divrem_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs),
           divrem(d, lhs, rhs, fatal))
UBSAN_PAIR(shift_out_of_bounds, (struct ubsan_shift_data *d, ubsan_value_t lhs, ubsan_value_t rhs),
           shift(d, lhs, rhs, fatal))
UBSAN_PAIR(out_of_bounds, (struct ubsan_out_of_bounds_data *d, ubsan_value_t index),
           out_of_bounds(d, index, fatal))
UBSAN_PAIR(type_mismatch_v1, (struct ubsan_type_mismatch_data_v1 *d, ubsan_value_t ptr),
           type_mismatch(d, ptr, fatal))
UBSAN_PAIR(vla_bound_not_positive, (struct ubsan_vla_bound_data *d, ubsan_value_t bound),
           vla_bound(d, bound, fatal))
UBSAN_PAIR(load_invalid_value, (struct ubsan_invalid_value_data *d, ubsan_value_t val),
           invalid_value(d, val, fatal))
UBSAN_PAIR(nonnull_arg, (struct ubsan_nonnull_arg_data *d), nonnull_arg(d, fatal))
UBSAN_PAIR(nonnull_return_v1, (struct ubsan_nonnull_return_data *d,
                               struct ubsan_source_location *loc),
           nonnull_return(d, loc, fatal))
UBSAN_PAIR(pointer_overflow, (struct ubsan_pointer_overflow_data *d, ubsan_value_t base,
                              ubsan_value_t result),
           pointer_overflow(d, base, result, fatal))
UBSAN_PAIR(invalid_builtin, (struct ubsan_invalid_builtin_data *d), invalid_builtin(d, fatal))
UBSAN_PAIR(alignment_assumption, (struct ubsan_alignment_assumption_data *d, ubsan_value_t ptr,
                                  ubsan_value_t alignment, ubsan_value_t offset),
           alignment_assumption(d, ptr, alignment, offset, fatal))

void __ubsan_handle_builtin_unreachable(struct ubsan_unreachable_data *d)
{
    report("unreachable", &d->loc, true, "execution reached an unreachable program point");
    die("__ubsan_handle_builtin_unreachable");
}
