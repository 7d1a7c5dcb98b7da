// SPDX-License-Identifier: MIT
/* test_string.c - kernel/lib/string.c against the C library, and
 * mos_strerror() against include/mos/errors.def.
 * Under HOST_TEST string.c names its functions kstring_host_<name>, so both
 * the kernel's and the C library's versions are linked here: every function
 * is run over all small alignments and lengths (and seeded random cases,
 * KSTRING_SEED=n repeats a run) and compared with the C library, with guard
 * bytes around each destination to catch writes outside it. Under ASan,
 * reads outside the bounds the C standard allows also fail. */
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

#include <mos/errors.h>
#include "lib/string.h"
#include "lib/types.h"

/* The kernel's versions, as kernel/lib/string.c names them on the host. */
void *kstring_host_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *kstring_host_memset(void *dst, int c, size_t n);
void *kstring_host_memmove(void *dst, const void *src, size_t n);
int kstring_host_memcmp(const void *a, const void *b, size_t n);
size_t kstring_host_strlen(const char *s);
int kstring_host_strcmp(const char *a, const char *b);
int kstring_host_strncmp(const char *a, const char *b, size_t n);
size_t kstring_host_strnlen(const char *s, size_t maxlen);
char *kstring_host_strncpy(char *restrict dst, const char *restrict src, size_t n);
char *kstring_host_strchr(const char *s, int c);
char *kstring_host_strrchr(const char *s, int c);
char *kstring_host_strstr(const char *h, const char *n);

#define MAX_ALIGN 16
#define MAX_LEN   80
#define GUARD     32
#define AREA      (GUARD + MAX_ALIGN + 300 + GUARD)

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* Distinct, non-zero, with high bytes, so misplaced bytes show. */
static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7 + (i >> 3) * 13) | 1;
}

/* ------------------------------------------------------------ memory */

static void memcpy_all_alignments_and_lengths(void **state)
{
    (void)state;
    unsigned char src[AREA], dst[AREA], ref[AREA];
    fill_pattern(src, sizeof src, 3);
    for (size_t sa = 0; sa < MAX_ALIGN; sa++)
        for (size_t da = 0; da < MAX_ALIGN; da++)
            for (size_t n = 0; n <= MAX_LEN; n++) {
                memset(dst, 0xee, sizeof dst);
                memset(ref, 0xee, sizeof ref);
                void *r = kstring_host_memcpy(dst + GUARD + da, src + GUARD + sa, n);
                memcpy(ref + GUARD + da, src + GUARD + sa, n);
                assert_ptr_equal(r, dst + GUARD + da);
                assert_memory_equal(dst, ref, sizeof dst);
            }
}

/* Overlap in both directions at every distance, against a copy made through
 * a separate buffer (what memmove must behave like). */
static void memmove_overlaps_both_ways(void **state)
{
    (void)state;
    unsigned char buf[AREA], ref[AREA], tmp[AREA];
    for (size_t from = 0; from < 2 * MAX_ALIGN; from++)
        for (size_t to = 0; to < 2 * MAX_ALIGN; to++)
            for (size_t n = 0; n <= MAX_LEN; n += (n < 20 ? 1 : 7)) {
                fill_pattern(buf, sizeof buf, (unsigned)(from * 31 + to));
                memcpy(ref, buf, sizeof buf);
                memcpy(tmp, ref + GUARD + from, n);
                memcpy(ref + GUARD + to, tmp, n);
                void *r = kstring_host_memmove(buf + GUARD + to, buf + GUARD + from, n);
                assert_ptr_equal(r, buf + GUARD + to);
                assert_memory_equal(buf, ref, sizeof buf);
            }
}

static void memmove_large_overlap(void **state)
{
    (void)state;
    enum { N = 1 << 16 };
    unsigned char *buf = malloc(N + 64), *ref = malloc(N + 64);
    assert_non_null(buf);
    assert_non_null(ref);
    static const size_t shifts[] = { 1, 7, 8, 9, 4095, 4096 };
    for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
        size_t s = shifts[i];
        fill_pattern(buf, N + 64, (unsigned)s);
        memcpy(ref, buf, N + 64);
        kstring_host_memmove(buf + s, buf, N - s);        /* up */
        memmove(ref + s, ref, N - s);
        assert_memory_equal(buf, ref, N + 64);
        kstring_host_memmove(buf + 3, buf + 3 + s, N - s - 3);   /* down */
        memmove(ref + 3, ref + 3 + s, N - s - 3);
        assert_memory_equal(buf, ref, N + 64);
    }
    free(buf);
    free(ref);
}

static void memset_all_alignments_lengths_values(void **state)
{
    (void)state;
    static const int values[] = { 0, 1, 0x5a, 0x80, 0xff, -1, 0x1ab, INT_MIN };
    unsigned char dst[AREA], ref[AREA];
    for (size_t v = 0; v < ARRAY_SIZE(values); v++)
        for (size_t da = 0; da < MAX_ALIGN; da++)
            for (size_t n = 0; n <= MAX_LEN; n++) {
                fill_pattern(dst, sizeof dst, 9);
                fill_pattern(ref, sizeof ref, 9);
                void *r = kstring_host_memset(dst + GUARD + da, values[v], n);
                memset(ref + GUARD + da, values[v], n);
                assert_ptr_equal(r, dst + GUARD + da);
                assert_memory_equal(dst, ref, sizeof dst);
            }
}

/* memcmp compares unsigned bytes: 0x80 > 0x7f. Only the sign is specified. */
static void memcmp_matches_libc(void **state)
{
    (void)state;
    unsigned char a[MAX_LEN + 1], b[MAX_LEN + 1];
    fill_pattern(a, sizeof a, 5);
    for (size_t n = 0; n <= MAX_LEN; n++) {
        memcpy(b, a, sizeof b);
        assert_int_equal(kstring_host_memcmp(a, b, n), 0);
        for (size_t at = 0; at < n; at++) {
            static const unsigned char probes[] = { 0x00, 0x7f, 0x80, 0xff };
            for (size_t p = 0; p < ARRAY_SIZE(probes); p++) {
                memcpy(b, a, sizeof b);
                b[at] = probes[p];
                assert_int_equal(sign_of(kstring_host_memcmp(a, b, n)), sign_of(memcmp(a, b, n)));
                assert_int_equal(sign_of(kstring_host_memcmp(b, a, n)), sign_of(memcmp(b, a, n)));
                /* A difference past n is invisible. */
                assert_int_equal(kstring_host_memcmp(a, b, at), 0);
            }
        }
    }
    unsigned char lo = 0x7f, hi = 0x80;
    assert_true(kstring_host_memcmp(&hi, &lo, 1) > 0);
}

/* ------------------------------------------------------------ strings */

/* Each string sits at the end of its own heap block, so ASan flags any read
 * past the terminator (or past maxlen for strnlen). */
static char *exact_copy(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void strlen_and_strnlen(void **state)
{
    (void)state;
    char text[MAX_LEN + 1];
    for (size_t len = 0; len < MAX_LEN; len++) {
        memset(text, 'x', len);
        text[len] = '\0';
        char *s = exact_copy(text, len + 1);
        assert_int_equal(kstring_host_strlen(s), len);
        for (size_t maxlen = 0; maxlen <= len + 2; maxlen++)
            assert_int_equal(kstring_host_strnlen(s, maxlen), MIN(len, maxlen));
        free(s);
        /* Not terminated at all: strnlen must stop at maxlen. */
        if (len > 0) {
            char *raw = exact_copy(text, len);
            assert_int_equal(kstring_host_strnlen(raw, len), len);
            free(raw);
        }
    }
    assert_int_equal(kstring_host_strlen("a\0b"), 1);
}

static void strcmp_and_strncmp(void **state)
{
    (void)state;
    static const char *const strs[] = {
        "", "a", "b", "ab", "abc", "abd", "abcd", "ABC", "\x7f", "\x80", "\xff",
        "a\x80", "a\x7f", "same prefix, longer", "same prefix",
    };
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
        for (size_t j = 0; j < ARRAY_SIZE(strs); j++) {
            const char *a = strs[i], *b = strs[j];
            assert_int_equal(sign_of(kstring_host_strcmp(a, b)), sign_of(strcmp(a, b)));
            for (size_t n = 0; n < 24; n++)
                assert_int_equal(sign_of(kstring_host_strncmp(a, b, n)),
                                 sign_of(strncmp(a, b, n)));
        }
    /* strncmp stops at n even before either string ends... */
    assert_int_equal(kstring_host_strncmp("abcX", "abcY", 3), 0);
    /* ...and at a shared terminator even when n is larger. */
    char *a = exact_copy("abc", 4), *b = exact_copy("abc", 4);
    assert_int_equal(kstring_host_strncmp(a, b, SIZE_MAX), 0);
    free(a);
    free(b);
}

static void strncpy_pads_and_may_not_terminate(void **state)
{
    (void)state;
    static const char *const srcs[] = { "", "a", "hello", "exactly8", "a longer source string" };
    char dst[64], ref[64];
    for (size_t i = 0; i < ARRAY_SIZE(srcs); i++)
        for (size_t n = 0; n < 40; n++) {
            memset(dst, '#', sizeof dst);
            memset(ref, '#', sizeof ref);
            char *r = kstring_host_strncpy(dst + 4, srcs[i], n);
            strncpy(ref + 4, srcs[i], n);
            assert_ptr_equal(r, dst + 4);
            assert_memory_equal(dst, ref, sizeof dst);
        }
    memset(dst, '#', sizeof dst);
    kstring_host_strncpy(dst, "exactly8", 8);
    assert_memory_equal(dst, "exactly8#", 9);      /* no NUL, nothing past n */
}

static void strchr_and_strrchr(void **state)
{
    (void)state;
    static const char *const strs[] = { "", "a", "abcabc", "xyz\x80\xff", "aaaa", "z" };
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
        char *s = exact_copy(strs[i], strlen(strs[i]) + 1);
        for (int c = -1; c <= 256 + 'b'; c++) {
            assert_ptr_equal(kstring_host_strchr(s, c), strchr(s, c));
            assert_ptr_equal(kstring_host_strrchr(s, c), strrchr(s, c));
        }
        /* The terminator is part of the string. */
        assert_ptr_equal(kstring_host_strchr(s, '\0'), s + strlen(s));
        assert_ptr_equal(kstring_host_strrchr(s, '\0'), s + strlen(s));
        free(s);
    }
    const char *abc = "abcabc";
    assert_ptr_equal(kstring_host_strchr(abc, 'b'), abc + 1);
    assert_ptr_equal(kstring_host_strrchr(abc, 'b'), abc + 4);
    assert_null(kstring_host_strchr(abc, 'q'));
    assert_null(kstring_host_strrchr(abc, 'q'));
}

static void strstr_matches_libc(void **state)
{
    (void)state;
    static const char *const hay[] = { "", "a", "abcabc", "aaab", "xyz\x80\xff", "ababac" };
    static const char *const needles[] = { "", "a", "b", "abc", "bca", "cab", "aab", "abac", "abcabcd",
                                           "\x80\xff", "q", "c" };
    for (size_t i = 0; i < ARRAY_SIZE(hay); i++) {
        char *h = exact_copy(hay[i], strlen(hay[i]) + 1);
        for (size_t j = 0; j < ARRAY_SIZE(needles); j++) {
            char *n = exact_copy(needles[j], strlen(needles[j]) + 1);
            assert_ptr_equal(kstring_host_strstr(h, n), strstr(h, n));
            free(n);
        }
        free(h);
    }
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

/* Random copies, moves, fills and comparisons on one buffer, mirrored with the
 * C library on another; the buffers must stay identical. */
static void random_operations_match_libc(void **state)
{
    (void)state;
    enum { N = 4096 };
    const char *env = getenv("KSTRING_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    rng_state = seed ? seed : 1;
    print_message("random_operations_match_libc: seed %llu (rerun with KSTRING_SEED=%llu)\n",
                  (unsigned long long)seed, (unsigned long long)seed);

    unsigned char *mine = malloc(N), *ref = malloc(N);
    assert_non_null(mine);
    assert_non_null(ref);
    for (size_t i = 0; i < N; i++)
        mine[i] = ref[i] = (unsigned char)rng_next();

    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rng_below(4) ? rng_below(64) : rng_below(N / 2);
        size_t a = rng_below(N - len + 1), b = rng_below(N - len + 1);
        int op = (int)rng_below(5);
        int got = 0, want = 0;
        switch (op) {
        case 0:
            if (a + len <= b || b + len <= a) {     /* memcpy needs disjoint ranges */
                kstring_host_memcpy(mine + a, mine + b, len);
                memcpy(ref + a, ref + b, len);
            }
            break;
        case 1:
            kstring_host_memmove(mine + a, mine + b, len);
            memmove(ref + a, ref + b, len);
            break;
        case 2: {
            int c = (int)rng_next();
            /* Keep some NULs and some runs for the string operations. */
            kstring_host_memset(mine + a, c, len);
            memset(ref + a, c, len);
            break;
        }
        case 3:
            got = sign_of(kstring_host_memcmp(mine + a, mine + b, len));
            want = sign_of(memcmp(ref + a, ref + b, len));
            break;
        default:
            got = sign_of(kstring_host_strncmp((char *)mine + a, (char *)mine + b, len));
            want = sign_of(strncmp((char *)ref + a, (char *)ref + b, len));
            if (got == want) {
                got = (int)kstring_host_strnlen((char *)mine + a, len);
                want = (int)strnlen((char *)ref + a, len);
            }
            break;
        }
        if (got != want || memcmp(mine, ref, N) != 0)
            fail_msg("seed %llu, step %d: op %d a=%zu b=%zu len=%zu diverged",
                     (unsigned long long)seed, iter, op, a, b, len);
    }
    free(mine);
    free(ref);
}

/* ------------------------------------------------------------ strerror */

static void strerror_every_listed_code(void **state)
{
    (void)state;
    size_t listed = 0;
#define X(name, val, text)                                                 \
    do {                                                                   \
        assert_string_equal(mos_strerror(MOS_##name), text);               \
        assert_string_equal(mos_strerror(-MOS_##name), text);              \
        assert_int_equal(MOS_##name, val);                                 \
        assert_true(strlen(text) > 0);                                     \
        listed++;                                                          \
    } while (0);
#include <mos/errors.def>
#undef X
    assert_true(listed > 0);
    /* Texts are distinct, so a message names one error. */
    for (long i = 1; i < MOS_ERROR_MAX; i++)
        for (long j = i + 1; j < MOS_ERROR_MAX; j++)
            assert_string_not_equal(mos_strerror(i), mos_strerror(j));
}

static void strerror_unknown_codes(void **state)
{
    (void)state;
    static const long unknown[] = {
        MOS_ERROR_MAX, -(long)MOS_ERROR_MAX, MOS_ERROR_MAX + 1, 1000, -1000,
        LONG_MAX, LONG_MIN, LONG_MIN + 1, INT_MIN, (long)UINT_MAX,
    };
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
        assert_string_equal(mos_strerror(unknown[i]), "unknown error");
    assert_string_equal(mos_strerror(0), "success");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memcpy_all_alignments_and_lengths),
        cmocka_unit_test(memmove_overlaps_both_ways),
        cmocka_unit_test(memmove_large_overlap),
        cmocka_unit_test(memset_all_alignments_lengths_values),
        cmocka_unit_test(memcmp_matches_libc),
        cmocka_unit_test(strlen_and_strnlen),
        cmocka_unit_test(strcmp_and_strncmp),
        cmocka_unit_test(strncpy_pads_and_may_not_terminate),
        cmocka_unit_test(strchr_and_strrchr),
        cmocka_unit_test(strstr_matches_libc),
        cmocka_unit_test(random_operations_match_libc),
        cmocka_unit_test(strerror_every_listed_code),
        cmocka_unit_test(strerror_unknown_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
