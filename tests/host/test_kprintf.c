// SPDX-License-Identifier: MIT
/* test_kprintf.c - kernel/lib/kprintf.c against the C library's snprintf.
 * The oracle is the host's (glibc's) vsnprintf: every combination of
 * conversion, flags, width, precision and length modifier over a table of
 * edge values, then thousands of seeded random specs (KPRINTF_SEED=n repeats
 * a run; the seed is printed). Then what the oracle cannot check: truncation,
 * long output through the sink, saturation, NULL arguments and unknown
 * conversions, which are checked against explicit expectations.
 * Formats are mostly built at run time, so they reach both engines through
 * kfmt_test_compare()/kfmt_test_raw(), which carry no format attribute; the
 * few literal calls to ksnprintf() keep -Wformat checking them. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/kprintf.h"

/* Runtime formats go to vsnprintf on purpose. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define OUT_MAX 512              /* the table and random specs stay below this */
#define MISMATCH_REPORT_MAX 20

static unsigned long mismatches; /* per test; reset by the table tests */
static unsigned long comparisons;
static const char *mismatch_context = "";

static void show_bytes(const char *label, const char *s, int n)
{
    print_error("    %s (%d): \"", label, n);
    for (int i = 0; i < n && i < OUT_MAX - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            print_error("%c", c);
        else
            print_error("\\x%02x", c);
    }
    print_error("\"\n");
}

/* Format with the host's vsnprintf and with kvsnprintf; record a mismatch
 * in the length or any byte (the NUL included). */
static void kfmt_test_compare(const char *fmt, ...)
{
    char want[OUT_MAX], got[OUT_MAX];
    va_list ap, ap2;
    memset(want, 0x5a, sizeof want);
    memset(got, 0x5a, sizeof got);
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int wn = vsnprintf(want, sizeof want, fmt, ap);
    int gn = kvsnprintf(got, sizeof got, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    comparisons++;
    assert_true(wn >= 0);   /* the table must only hold formats glibc accepts */
    size_t cmp = (size_t)MIN(wn, OUT_MAX - 1) + 1;
    if (wn == gn && memcmp(want, got, cmp) == 0)
        return;
    if (++mismatches <= MISMATCH_REPORT_MAX) {
        print_error("mismatch %s format \"%s\"\n", mismatch_context, fmt);
        show_bytes("snprintf ", want, wn);
        show_bytes("kvsnprintf", got, gn);
    }
}

/* kvsnprintf with no format checking, for deliberately odd formats. */
static int kfmt_test_raw(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* ------------------------------------------------------------ spec tables */

enum test_len { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T, L_COUNT };
static const char *const len_text[L_COUNT] = { "", "hh", "h", "l", "ll", "z", "j", "t" };

static const char flag_chars[] = "-0+ #";

/* A width or precision option: text is appended to the spec; when star is
 * set the value is passed as an int argument. */
struct test_field {
    const char *text;
    bool star;
    int value;
};

static const struct test_field widths[] = {
    { "", false, 0 },    { "1", false, 0 },  { "6", false, 0 },
    { "30", false, 0 },  { "*", true, 7 },   { "*", true, -9 },
    { "*", true, 0 },
};

static const struct test_field precs[] = {
    { "", false, 0 },     { ".", false, 0 },   { ".0", false, 0 },
    { ".1", false, 0 },   { ".4", false, 0 },  { ".25", false, 0 },
    { ".*", true, 5 },    { ".*", true, -3 },  { ".*", true, 0 },
};

/* Bit patterns; each is converted to the argument type the modifier needs,
 * so narrow types see their own edge cases (255, 256, 65535, INT_MIN...). */
static const uint64_t int_values[] = {
    0, 1, (uint64_t)-1, 7, 8, 9, 10, 15, 16, 42, 100, 127, 128, 255, 256,
    (uint64_t)-128, (uint64_t)-129, 32767, 32768, 65535, 65536,
    (uint64_t)INT_MAX, (uint64_t)(int64_t)INT_MIN, UINT_MAX, (uint64_t)UINT_MAX + 1,
    0x123456789abcdefull, (uint64_t)INT64_MAX, (uint64_t)INT64_MIN, UINT64_MAX,
    (uint64_t)SIZE_MAX / 2 + 1, 4096, 0xffffffff80000000ull,
};

/* Build "%<flags><width><prec><len><conv>" into buf. */
static void build_spec(char *buf, size_t n, unsigned flagmask, const char *width,
                       const char *prec, const char *len, char conv)
{
    char flags[8];
    size_t nf = 0;
    for (unsigned i = 0; i < sizeof flag_chars - 1; i++) {
        if (flagmask & (1u << i))
            flags[nf++] = flag_chars[i];
    }
    flags[nf] = '\0';
    int r = snprintf(buf, n, "%%%s%s%s%s%c", flags, width, prec, len, conv);
    assert_true(r > 0 && (size_t)r < n);
}

/* Pass v after the '*' arguments the spec asks for. */
#define COMPARE_WITH_STARS(fmt, nstar, stars, v)                              \
    do {                                                                      \
        if ((nstar) == 0)                                                     \
            kfmt_test_compare((fmt), (v));                                    \
        else if ((nstar) == 1)                                                \
            kfmt_test_compare((fmt), (stars)[0], (v));                        \
        else                                                                  \
            kfmt_test_compare((fmt), (stars)[0], (stars)[1], (v));            \
    } while (0)

/* Compare one integer spec, passing bits as the type len and signedness
 * call for (C 7.21.6.1: hh and h still take an int). */
static void compare_integer(const char *fmt, int nstar, const int *stars,
                            enum test_len len, bool is_unsigned, uint64_t bits)
{
    switch (len) {
    case L_NONE:
    case L_HH:
    case L_H:
        if (is_unsigned)
            COMPARE_WITH_STARS(fmt, nstar, stars, (unsigned int)bits);
        else
            COMPARE_WITH_STARS(fmt, nstar, stars, (int)bits);
        break;
    case L_L:
        if (is_unsigned)
            COMPARE_WITH_STARS(fmt, nstar, stars, (unsigned long)bits);
        else
            COMPARE_WITH_STARS(fmt, nstar, stars, (long)bits);
        break;
    case L_LL:
        if (is_unsigned)
            COMPARE_WITH_STARS(fmt, nstar, stars, (unsigned long long)bits);
        else
            COMPARE_WITH_STARS(fmt, nstar, stars, (long long)bits);
        break;
    case L_Z:
    case L_T:
        if (is_unsigned)
            COMPARE_WITH_STARS(fmt, nstar, stars, (size_t)bits);
        else
            COMPARE_WITH_STARS(fmt, nstar, stars, (ptrdiff_t)bits);
        break;
    case L_J:
        if (is_unsigned)
            COMPARE_WITH_STARS(fmt, nstar, stars, (uintmax_t)bits);
        else
            COMPARE_WITH_STARS(fmt, nstar, stars, (intmax_t)bits);
        break;
    default:
        fail_msg("bad length %d", (int)len);
    }
}

/* Collect the '*' arguments of a width/precision pair. */
static int star_args(const struct test_field *w, const struct test_field *p, int stars[2])
{
    int n = 0;
    if (w->star)
        stars[n++] = w->value;
    if (p->star)
        stars[n++] = p->value;
    return n;
}

static void start_table(const char *what)
{
    mismatches = 0;
    comparisons = 0;
    mismatch_context = what;
}

static void end_table(void)
{
    if (mismatches)
        fail_msg("%lu of %lu comparisons with snprintf differ", mismatches, comparisons);
    assert_true(comparisons > 0);
}

/* ------------------------------------------------------------ table tests */

/* d i u x X o: all 32 flag sets x widths x precisions x 8 modifiers x values. */
static void table_integers_match_snprintf(void **state)
{
    (void)state;
    static const char convs[] = "diuxXo";
    start_table("(integer table)");
    char fmt[64];
    for (const char *c = convs; *c; c++) {
        bool is_unsigned = *c != 'd' && *c != 'i';
        for (unsigned flags = 0; flags < 32; flags++)
            for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
                for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
                    for (int len = 0; len < L_COUNT; len++) {
                        build_spec(fmt, sizeof fmt, flags, widths[w].text, precs[p].text,
                                   len_text[len], *c);
                        int stars[2];
                        int nstar = star_args(&widths[w], &precs[p], stars);
                        for (size_t v = 0; v < ARRAY_SIZE(int_values); v++)
                            compare_integer(fmt, nstar, stars, (enum test_len)len,
                                            is_unsigned, int_values[v]);
                    }
    }
    end_table();
}

/* %c: every flag set, width and precision, over NUL, ASCII and high bytes. */
static void table_chars_match_snprintf(void **state)
{
    (void)state;
    static const int chars[] = { 'A', 'z', ' ', '%', 0, 0x7f, 0x80, 0xff, 0x141 };
    start_table("(char table)");
    char fmt[64];
    for (unsigned flags = 0; flags < 32; flags++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
            for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                build_spec(fmt, sizeof fmt, flags, widths[w].text, precs[p].text, "", 'c');
                int stars[2];
                int nstar = star_args(&widths[w], &precs[p], stars);
                for (size_t v = 0; v < ARRAY_SIZE(chars); v++)
                    COMPARE_WITH_STARS(fmt, nstar, stars, chars[v]);
            }
    end_table();
}

/* %s: every flag set, width and precision, including NULL (glibc: "(null)"
 * when the precision lets it all show, else nothing). */
static void table_strings_match_snprintf(void **state)
{
    (void)state;
    static const char *const strs[] = {
        "", "a", "abcd", "hello, world", "tab\there", "%d %s %%",
        "a string that is longer than thirty characters, the widest field", NULL,
    };
    start_table("(string table)");
    char fmt[64];
    for (unsigned flags = 0; flags < 32; flags++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
            for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                build_spec(fmt, sizeof fmt, flags, widths[w].text, precs[p].text, "", 's');
                int stars[2];
                int nstar = star_args(&widths[w], &precs[p], stars);
                for (size_t v = 0; v < ARRAY_SIZE(strs); v++)
                    COMPARE_WITH_STARS(fmt, nstar, stars, strs[v]);
            }
    end_table();
}

/* %p: every flag set, width and precision, NULL and non-NULL. */
static void table_pointers_match_snprintf(void **state)
{
    (void)state;
    static const uintptr_t ptrs[] = {
        0, 1, 0xf, 0x10, 0xdeadbeef, 0x7fffffffe000, 0xffffffff80000000u, UINTPTR_MAX,
    };
    start_table("(pointer table)");
    char fmt[64];
    for (unsigned flags = 0; flags < 32; flags++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
            for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                build_spec(fmt, sizeof fmt, flags, widths[w].text, precs[p].text, "", 'p');
                int stars[2];
                int nstar = star_args(&widths[w], &precs[p], stars);
                for (size_t v = 0; v < ARRAY_SIZE(ptrs); v++)
                    COMPARE_WITH_STARS(fmt, nstar, stars, (void *)ptrs[v]);
            }
    end_table();
}

/* Literal text, %% and several specs in one format. */
static void mixed_formats_match_snprintf(void **state)
{
    (void)state;
    start_table("(mixed)");
    kfmt_test_compare("");
    kfmt_test_compare("plain text, no conversions");
    kfmt_test_compare("%%");
    kfmt_test_compare("100%% sure %% %%%%");
    kfmt_test_compare("a%db%sc%xd%ce%pf", -12, "str", 0xabcu, 'q', (void *)0x1000);
    kfmt_test_compare("[%*d|%-*d|%.*d]", 5, 42, 5, 42, 5, 42);
    kfmt_test_compare("%d %ld %lld %hd %hhd %zd %jd %td", INT_MIN, LONG_MIN, LLONG_MIN,
                      (int)SHRT_MIN, (int)SCHAR_MIN, (ptrdiff_t)PTRDIFF_MIN,
                      (intmax_t)INTMAX_MIN, (ptrdiff_t)PTRDIFF_MIN);
    kfmt_test_compare("%u %lu %llu %hu %hhu %zu %ju %tu", UINT_MAX, ULONG_MAX, ULLONG_MAX,
                      (unsigned)USHRT_MAX, (unsigned)UCHAR_MAX, SIZE_MAX,
                      (uintmax_t)UINTMAX_MAX, SIZE_MAX);
    kfmt_test_compare("%s=%#x (%o) %c%c", "flags", 0x80000001u, 0755u, 'o', 'k');
    end_table();
}

/* ------------------------------------------------------------ random test */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64*: small, seedable, good enough to pick test cases. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rng_below(unsigned n)
{
    return (unsigned)(rng_next() % n);
}

static int rng_range(int lo, int hi)
{
    return lo + (int)rng_below((unsigned)(hi - lo + 1));
}

/* Interesting values more often than uniform 64-bit noise. */
static uint64_t rng_value(void)
{
    switch (rng_below(4)) {
    case 0:
        return int_values[rng_below(ARRAY_SIZE(int_values))];
    case 1:
        return rng_next() >> rng_below(64);           /* any magnitude */
    case 2:
        return (uint64_t)-(int64_t)(rng_next() >> rng_below(64) >> 1);
    default:
        return rng_next();
    }
}

/* Append random literal text, which may include "%%". */
static size_t rng_literal(char *buf, size_t pos, size_t cap)
{
    static const char pool[] = "ab:=-+ #0.9|\t";
    unsigned n = rng_below(5);
    for (unsigned i = 0; i < n && pos + 3 < cap; i++) {
        if (rng_below(8) == 0) {
            buf[pos++] = '%';
            buf[pos++] = '%';
        } else {
            buf[pos++] = pool[rng_below(sizeof pool - 1)];
        }
    }
    buf[pos] = '\0';
    return pos;
}

static void random_formats_match_snprintf(void **state)
{
    (void)state;
    static const char convs[] = "diuxXocsp";
    static const char *const strs[] = { "", "x", "random", "a somewhat longer string!", NULL };
    const char *env = getenv("KPRINTF_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    rng_state = seed ? seed : 1;
    print_message("random_formats_match_snprintf: seed %llu (rerun with KPRINTF_SEED=%llu)\n",
                  (unsigned long long)seed, (unsigned long long)seed);

    char ctx[96];
    snprintf(ctx, sizeof ctx, "(random, seed %llu)", (unsigned long long)seed);
    start_table(ctx);
    for (int iter = 0; iter < 30000; iter++) {
        char fmt[128];
        size_t pos = rng_literal(fmt, 0, sizeof fmt);
        fmt[pos++] = '%';
        for (unsigned i = rng_below(7); i > 0; i--)
            fmt[pos++] = flag_chars[rng_below(sizeof flag_chars - 1)];
        int stars[2], nstar = 0;
        switch (rng_below(3)) {
        case 0:
            break;
        case 1:
            pos += (size_t)sprintf(fmt + pos, "%d", rng_range(1, 40));
            break;
        default:
            fmt[pos++] = '*';
            stars[nstar++] = rng_range(-40, 40);
        }
        switch (rng_below(4)) {
        case 0:
            break;
        case 1:
            fmt[pos++] = '.';
            break;
        case 2:
            pos += (size_t)sprintf(fmt + pos, ".%d", rng_range(0, 40));
            break;
        default:
            fmt[pos++] = '.';
            fmt[pos++] = '*';
            stars[nstar++] = rng_range(-10, 40);
        }
        char conv = convs[rng_below(sizeof convs - 1)];
        enum test_len len = L_NONE;
        if (strchr("diuxXo", conv))
            len = (enum test_len)rng_below(L_COUNT);
        pos += (size_t)sprintf(fmt + pos, "%s%c", len_text[len], conv);
        rng_literal(fmt, pos, sizeof fmt);

        if (conv == 'c')
            COMPARE_WITH_STARS(fmt, nstar, stars, rng_range(0, 255));
        else if (conv == 's')
            COMPARE_WITH_STARS(fmt, nstar, stars, strs[rng_below(ARRAY_SIZE(strs))]);
        else if (conv == 'p')
            COMPARE_WITH_STARS(fmt, nstar, stars,
                               (void *)(uintptr_t)(rng_below(8) ? rng_value() : 0));
        else
            compare_integer(fmt, nstar, stars, len, conv != 'd' && conv != 'i', rng_value());
    }
    end_table();
}

/* ------------------------------------------------------- explicit results */

/* Edge values with the exact text C requires (independent of the oracle). */
static void extremes_print_exactly(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(ksnprintf(buf, sizeof buf, "%lld", (long long)INT64_MIN), 20);
    assert_string_equal(buf, "-9223372036854775808");
    ksnprintf(buf, sizeof buf, "%jd", (intmax_t)INT64_MIN);
    assert_string_equal(buf, "-9223372036854775808");
    ksnprintf(buf, sizeof buf, "%llu", (unsigned long long)UINT64_MAX);
    assert_string_equal(buf, "18446744073709551615");
    ksnprintf(buf, sizeof buf, "%#llo", (unsigned long long)UINT64_MAX);
    assert_string_equal(buf, "01777777777777777777777");
    ksnprintf(buf, sizeof buf, "%#llX", (unsigned long long)UINT64_MAX);
    assert_string_equal(buf, "0XFFFFFFFFFFFFFFFF");
    ksnprintf(buf, sizeof buf, "%d|%.0d|%.0x|%#.0x|%#.0o|%5.0d|", 0, 0, 0u, 0u, 0u, 0);
    assert_string_equal(buf, "0||||0|     |");
    kfmt_test_raw(buf, sizeof buf, "%08.3d|%-08d|%+08d|% 08d", 5, 5, 5, 5);
    assert_string_equal(buf, "     005|5       |+0000005| 0000005");
    kfmt_test_raw(buf, sizeof buf, "%hhd %hhu %hd %hu", 255, 256 + 7, 65535, 65536 + 3);
    assert_string_equal(buf, "-1 7 -1 3");
}

static void null_string_and_pointer(void **state)
{
    (void)state;
    char buf[64];
    const char *null_str = NULL;
    void *null_ptr = NULL;
    assert_int_equal(kfmt_test_raw(buf, sizeof buf, "%s", null_str), 6);
    assert_string_equal(buf, "(null)");
    kfmt_test_raw(buf, sizeof buf, "[%8s|%-8s|%.6s|%.5s]", null_str, null_str, null_str, null_str);
    assert_string_equal(buf, "[  (null)|(null)  |(null)|]");
    kfmt_test_raw(buf, sizeof buf, "%p|%8p|%-8p|%08p|%.1p", null_ptr, null_ptr, null_ptr,
                  null_ptr, null_ptr);
    assert_string_equal(buf, "(nil)|   (nil)|(nil)   |   (nil)|(nil)");
    ksnprintf(buf, sizeof buf, "%p|%12p|%-8p|", (void *)0xabc, (void *)0xabc, (void *)1);
    assert_string_equal(buf, "0xabc|       0xabc|0x1     |");
}

/* Unsupported conversions are printed as written and take no argument. */
static void unknown_conversions_print_literally(void **state)
{
    (void)state;
    char buf[64];
    int r = kfmt_test_raw(buf, sizeof buf, "%q");
    assert_string_equal(buf, "%q");
    assert_int_equal(r, 2);
    kfmt_test_raw(buf, sizeof buf, "<%-+ #05.3llq>");
    assert_string_equal(buf, "<%-+ #05.3llq>");
    kfmt_test_raw(buf, sizeof buf, "%q %d %y %s", 42, "ok");
    assert_string_equal(buf, "%q 42 %y ok");
    /* Floating point and %n are not supported; %n must not write. */
    kfmt_test_raw(buf, sizeof buf, "%f %Lf %d", 7);
    assert_string_equal(buf, "%f %Lf 7");
    int victim = 1234;
    kfmt_test_raw(buf, sizeof buf, "%n|", &victim);
    assert_string_equal(buf, "%n|");
    assert_int_equal(victim, 1234);
    /* %% with flags or width (undefined in C) is still one '%'. */
    kfmt_test_raw(buf, sizeof buf, "[%5%|%-05%]");
    assert_string_equal(buf, "[%|%]");
    /* Modifiers on c, s, p are not supported either. */
    kfmt_test_raw(buf, sizeof buf, "%lc %ls %hhp %zs|%c", 'x');
    assert_string_equal(buf, "%lc %ls %hhp %zs|x");
    /* A format that ends inside a spec prints the rest as written. */
    r = kfmt_test_raw(buf, sizeof buf, "100%");
    assert_string_equal(buf, "100%");
    assert_int_equal(r, 4);
    kfmt_test_raw(buf, sizeof buf, "x%-08.");
    assert_string_equal(buf, "x%-08.");
    kfmt_test_raw(buf, sizeof buf, "x%ll");
    assert_string_equal(buf, "x%ll");
}

/* '*': a negative width means '-', a negative precision means none. */
static void star_arguments(void **state)
{
    (void)state;
    char buf[64];
    ksnprintf(buf, sizeof buf, "[%*d][%-*d][%0*d]", -4, 1, -4, 2, -4, 3);
    assert_string_equal(buf, "[1   ][2   ][3   ]");
    kfmt_test_raw(buf, sizeof buf, "[%.*d][%.*s][%0*.*d]", -1, 0, -1, "abc", 4, -2, 7);
    assert_string_equal(buf, "[0][abc][0007]");
    ksnprintf(buf, sizeof buf, "[%*.*s]", 6, 2, "abcdef");
    assert_string_equal(buf, "[    ab]");
}

/* ------------------------------------------------------------ truncation */

static void check_truncation(const char *fmt, ...)
{
    char ref[256], got[256];
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int full = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    assert_true(full > 0 && full + 8 < (int)sizeof ref);
    for (size_t n = 0; n <= (size_t)full + 3; n++) {
        memset(ref, 0xa5, sizeof ref);
        memset(got, 0xa5, sizeof got);
        va_copy(ap2, ap);
        int wr = vsnprintf(ref, n, fmt, ap2);
        va_end(ap2);
        va_copy(ap2, ap);
        int gr = kvsnprintf(got, n, fmt, ap2);
        va_end(ap2);
        assert_int_equal(gr, full);
        assert_int_equal(wr, gr);
        /* Same bytes everywhere, so nothing past n was touched either. */
        assert_memory_equal(ref, got, sizeof ref);
        if (n > 0) {
            size_t stored = MIN(n - 1, (size_t)full);
            assert_int_equal(got[stored], '\0');
            assert_int_equal(strlen(got), stored);
        } else {
            assert_int_equal((unsigned char)got[0], 0xa5);
        }
    }
    va_end(ap);
}

static void truncation_matches_snprintf(void **state)
{
    (void)state;
    check_truncation("%s|%5d|%-4x|%c", "text", -17, 0xbeefu, '!');
    check_truncation("%.*s%020llu", 3, "abcdef", ULLONG_MAX);
    check_truncation("no conversions at all");
    check_truncation("%40s", "right");
}

static void truncation_edges(void **state)
{
    (void)state;
    char buf[16];
    /* n == 0: nothing written, buf may be NULL, the length still counted. */
    assert_int_equal(ksnprintf(NULL, 0, "%d-%s", 12345, "abc"), 9);
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(ksnprintf(buf, 0, "hello"), 5);
    assert_int_equal(buf[0], 'Z');
    /* n == 1: only the NUL. */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(ksnprintf(buf, 1, "hello"), 5);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Z');
    /* Exact fit: 5 characters and the NUL in 6 bytes. */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(ksnprintf(buf, 6, "%s", "hello"), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(buf[6], 'Z');
    /* One byte short: the last character gives way to the NUL. */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(ksnprintf(buf, 5, "%s", "hello"), 5);
    assert_string_equal(buf, "hell");
    assert_int_equal(buf[5], 'Z');
    /* An empty result still terminates. */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(kfmt_test_raw(buf, sizeof buf, ""), 0);
    assert_int_equal(buf[0], '\0');
}

/* ------------------------------------------------------------ the sink */

struct grow_sink {
    char *data;
    size_t len, cap;
    size_t calls;
    size_t empty_calls;
};

static void grow_sink_put(void *ctx, const char *s, size_t n)
{
    struct grow_sink *g = ctx;
    g->calls++;
    if (n == 0) {
        g->empty_calls++;
        return;
    }
    if (g->len + n > g->cap) {
        g->cap = (g->len + n) * 2;
        g->data = realloc(g->data, g->cap);
        assert_non_null(g->data);
    }
    memcpy(g->data + g->len, s, n);
    g->len += n;
}

static int sink_format(struct grow_sink *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kfmt(grow_sink_put, g, fmt, ap);
    va_end(ap);
    return r;
}

/* Output far beyond any plausible internal buffer arrives whole and in
 * order, through many non-empty calls, and the count matches. */
static void sink_has_no_length_limit(void **state)
{
    (void)state;
    enum { BIG = 300000 };
    char *big = malloc(BIG + 1);
    assert_non_null(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG] = '\0';

    static const char fmt[] = "<%1000000d|%-*s|%.200000x|%s|%#0*llx>";
    int width = 700000;
    int zwidth = 123457;

    struct grow_sink g = { 0 };
    int r = sink_format(&g, fmt, -42, width, "left", 0xabcu, big, zwidth, 0x1234ull);

    int want_len = snprintf(NULL, 0, fmt, -42, width, "left", 0xabcu, big, zwidth, 0x1234ull);
    char *want = malloc((size_t)want_len + 1);
    assert_non_null(want);
    snprintf(want, (size_t)want_len + 1, fmt, -42, width, "left", 0xabcu, big, zwidth, 0x1234ull);

    assert_true(want_len > 2000000);
    assert_int_equal(r, want_len);
    assert_int_equal(g.len, (size_t)want_len);
    assert_memory_equal(g.data, want, (size_t)want_len);
    assert_int_equal(g.empty_calls, 0);
    assert_true(g.calls > 10);

    free(want);
    free(g.data);
    free(big);
}

/* A NULL sink only counts; the count matches what a real sink gets. */
static void null_sink_counts(void **state)
{
    (void)state;
    struct grow_sink g = { 0 };
    int real = sink_format(&g, "%s %d %50x", "count me", -1, 7u);
    char buf[4];
    int counted = ksnprintf(NULL, 0, "%s %d %50x", "count me", -1, 7u);
    assert_int_equal(real, counted);
    assert_int_equal(real, (int)g.len);
    assert_int_equal(ksnprintf(buf, sizeof buf, "%s %d %50x", "count me", -1, 7u), real);
    free(g.data);
}

/* Widths and counts past INT_MAX saturate instead of overflowing (glibc
 * returns -1 instead; the kernel has no errno to report that with). */
static void huge_widths_saturate(void **state)
{
    (void)state;
    assert_int_equal(kfmt_test_raw(NULL, 0, "%99999999999999999999d", 1), INT_MAX);
    assert_int_equal(kfmt_test_raw(NULL, 0, "%*d%*d", INT_MAX, 1, INT_MAX, 2), INT_MAX);
    assert_int_equal(kfmt_test_raw(NULL, 0, "%.99999999999999999999d", 1), INT_MAX);
    assert_int_equal(kfmt_test_raw(NULL, 0, "%*d", INT_MIN, 1), INT_MAX);
    /* A small buffer still gets the start of it, terminated. */
    char buf[8];
    assert_int_equal(kfmt_test_raw(buf, sizeof buf, "%-*d", INT_MAX, 5), INT_MAX);
    assert_string_equal(buf, "5      ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_integers_match_snprintf),
        cmocka_unit_test(table_chars_match_snprintf),
        cmocka_unit_test(table_strings_match_snprintf),
        cmocka_unit_test(table_pointers_match_snprintf),
        cmocka_unit_test(mixed_formats_match_snprintf),
        cmocka_unit_test(random_formats_match_snprintf),
        cmocka_unit_test(extremes_print_exactly),
        cmocka_unit_test(null_string_and_pointer),
        cmocka_unit_test(unknown_conversions_print_literally),
        cmocka_unit_test(star_arguments),
        cmocka_unit_test(truncation_matches_snprintf),
        cmocka_unit_test(truncation_edges),
        cmocka_unit_test(sink_has_no_length_limit),
        cmocka_unit_test(null_sink_counts),
        cmocka_unit_test(huge_widths_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
