// SPDX-License-Identifier: MIT
/* kprintf.c - the format engine: kfmt() turns a printf-style format into runs
 * of characters handed to a sink, and kvsnprintf()/ksnprintf() are kfmt()
 * with a sink that fills a bounded buffer. kprintf() itself (the kernel log)
 * lives elsewhere and is built on kfmt().
 * Output matches the C library's printf (host tests compare with glibc) for
 * %d %i %u %x %X %o %c %s %p %%, the flags - 0 + space #, width and precision
 * (digits or '*') and the length modifiers hh h l ll z j t; %p, %s of NULL and
 * '+'/' ' on %p follow glibc. A conversion outside that list (including %n
 * and floating point, and a length modifier on c, s or p) is printed
 * literally, from '%' through the offending character, and consumes no
 * argument beyond the '*' width or precision it may contain.
 * No heap, no buffer limits: padding and digits are emitted in pieces, and the
 * stack use is fixed. No state and no locks: reentrant, usable from interrupt
 * handlers and panic. */
#include "lib/kprintf.h"
#include "lib/string.h"

/* Length modifiers. */
enum kfmt_len {
    KFMT_LEN_NONE,
    KFMT_LEN_HH,
    KFMT_LEN_H,
    KFMT_LEN_L,
    KFMT_LEN_LL,
    KFMT_LEN_Z,
    KFMT_LEN_J,
    KFMT_LEN_T,
};

/* One parsed conversion specification. */
struct kfmt_spec {
    bool left;           /* '-' (or a negative '*' width) */
    bool plus;           /* '+' */
    bool space;          /* ' ' */
    bool alt;            /* '#' */
    bool zero;           /* '0' */
    bool has_prec;       /* a precision was given and is not negative */
    size_t width;        /* minimum field width; 0 when none */
    size_t prec;         /* meaningful only when has_prec */
    enum kfmt_len len;
    char conv;
};

/* Where output goes, and how much has gone there. */
struct kfmt_out {
    kfmt_sink_t sink;    /* NULL: only count */
    void *ctx;
    size_t count;        /* characters produced so far */
};

/* Width and precision saturate here, and so does the returned count. */
#define KFMT_INT_MAX ((size_t)__INT_MAX__)

/* The signed type that corresponds to size_t (%zd) and the unsigned type that
 * corresponds to ptrdiff_t (%tu) are taken to be ptrdiff_t and size_t. */
_Static_assert(sizeof(ptrdiff_t) == sizeof(size_t), "kfmt: %zd and %tu types");

/* 64-bit octal needs 22 digits. */
#define KFMT_DIGITS_MAX 24
_Static_assert(sizeof(uintmax_t) * 8 <= 3 * (KFMT_DIGITS_MAX - 1), "kfmt: digit buffer");

static void kfmt_emit(struct kfmt_out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (o->sink)
        o->sink(o->ctx, s, n);
    o->count += n;
}

/* Emit n copies of c (' ' or '0') in runs, so any width works without a
 * buffer of that size. */
static void kfmt_pad(struct kfmt_out *o, char c, size_t n)
{
    static const char spaces[] = "                                ";
    static const char zeros[] = "00000000000000000000000000000000";
    _Static_assert(sizeof spaces == sizeof zeros, "kfmt: pad runs");
    const char *run = c == '0' ? zeros : spaces;
    while (n) {
        size_t k = MIN(n, sizeof spaces - 1);
        kfmt_emit(o, run, k);
        n -= k;
    }
}

/* Emit s[0..n) in a field: right-justified with spaces unless '-' was given.
 * The 0 flag never applies to text (as in glibc). */
static void kfmt_text(struct kfmt_out *o, const struct kfmt_spec *sp, const char *s, size_t n)
{
    size_t pad = sp->width > n ? sp->width - n : 0;
    if (!sp->left)
        kfmt_pad(o, ' ', pad);
    kfmt_emit(o, s, n);
    if (sp->left)
        kfmt_pad(o, ' ', pad);
}

/* An integer conversion. mag is the magnitude and neg its sign; conv is one
 * of d i u o x X p (p: a non-NULL pointer, printed as glibc does, like %#x
 * but keeping the '+' and ' ' flags). */
static void kfmt_integer(struct kfmt_out *o, const struct kfmt_spec *sp, uintmax_t mag, bool neg)
{
    const char *set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
    bool is_signed = sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p';
    bool nonzero = mag != 0;

    char digits[KFMT_DIGITS_MAX];
    char *end = digits + sizeof digits, *p = end;
    while (mag) {
        *--p = set[mag % base];
        mag /= base;
    }
    size_t ndigits = (size_t)(end - p);

    /* Leading zeros required by the precision (default 1, so 0 prints "0";
     * an explicit precision of 0 prints no digits for 0). */
    size_t zeros = 0;
    if (sp->has_prec)
        zeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
    else if (ndigits == 0)
        zeros = 1;
    /* '#' with o: raise the precision just enough that the first digit is 0.
     * Digits never start with 0 here, so that means one zero if none yet. */
    if (sp->conv == 'o' && sp->alt && zeros == 0)
        zeros = 1;

    char prefix[3];
    size_t nprefix = 0;
    if (neg)
        prefix[nprefix++] = '-';
    else if (is_signed && sp->plus)
        prefix[nprefix++] = '+';
    else if (is_signed && sp->space)
        prefix[nprefix++] = ' ';
    if (sp->conv == 'p' || ((sp->conv == 'x' || sp->conv == 'X') && sp->alt && nonzero)) {
        prefix[nprefix++] = '0';
        prefix[nprefix++] = sp->conv == 'X' ? 'X' : 'x';
    }

    size_t body = nprefix + zeros + ndigits;
    size_t pad = sp->width > body ? sp->width - body : 0;
    /* The 0 flag pads between prefix and digits, and only without '-' and
     * without a precision (C 7.21.6.1). */
    if (sp->zero && !sp->left && !sp->has_prec) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        kfmt_pad(o, ' ', pad);
    kfmt_emit(o, prefix, nprefix);
    kfmt_pad(o, '0', zeros);
    kfmt_emit(o, p, ndigits);
    if (sp->left)
        kfmt_pad(o, ' ', pad);
}

/* Read a signed argument of the spec's length; return its magnitude. */
static uintmax_t kfmt_arg_signed(va_list *ap, enum kfmt_len len, bool *neg)
{
    intmax_t v;
    switch (len) {
    case KFMT_LEN_HH: v = (signed char)va_arg(*ap, int); break;
    case KFMT_LEN_H:  v = (short)va_arg(*ap, int); break;
    case KFMT_LEN_L:  v = va_arg(*ap, long); break;
    case KFMT_LEN_LL: v = va_arg(*ap, long long); break;
    case KFMT_LEN_Z:  v = va_arg(*ap, ptrdiff_t); break;
    case KFMT_LEN_J:  v = va_arg(*ap, intmax_t); break;
    case KFMT_LEN_T:  v = va_arg(*ap, ptrdiff_t); break;
    default:          v = va_arg(*ap, int); break;
    }
    *neg = v < 0;
    /* Unsigned negation: right for INTMAX_MIN too. */
    return *neg ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
}

static uintmax_t kfmt_arg_unsigned(va_list *ap, enum kfmt_len len)
{
    switch (len) {
    case KFMT_LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case KFMT_LEN_H:  return (unsigned short)va_arg(*ap, unsigned int);
    case KFMT_LEN_L:  return va_arg(*ap, unsigned long);
    case KFMT_LEN_LL: return va_arg(*ap, unsigned long long);
    case KFMT_LEN_Z:  return va_arg(*ap, size_t);
    case KFMT_LEN_J:  return va_arg(*ap, uintmax_t);
    case KFMT_LEN_T:  return va_arg(*ap, size_t);
    default:          return va_arg(*ap, unsigned int);
    }
}

/* Parse decimal digits at *f, saturating at KFMT_INT_MAX. */
static size_t kfmt_number(const char **f)
{
    size_t v = 0;
    while (**f >= '0' && **f <= '9') {
        size_t d = (size_t)(**f - '0');
        v = v > (KFMT_INT_MAX - d) / 10 ? KFMT_INT_MAX : v * 10 + d;
        (*f)++;
    }
    return v;
}

/* Parse flags, width, precision and length of the spec that starts after the
 * '%' at *f, reading '*' arguments from ap. Leaves *f at the conversion
 * character (which may be the terminating NUL). */
static void kfmt_parse(const char **f, va_list *ap, struct kfmt_spec *sp)
{
    *sp = (struct kfmt_spec){ .len = KFMT_LEN_NONE };
    for (;; (*f)++) {
        switch (**f) {
        case '-': sp->left = true; continue;
        case '+': sp->plus = true; continue;
        case ' ': sp->space = true; continue;
        case '#': sp->alt = true; continue;
        case '0': sp->zero = true; continue;
        default: break;
        }
        break;
    }

    if (**f == '*') {
        int w = va_arg(*ap, int);
        (*f)++;
        if (w < 0) {
            sp->left = true;
            /* -(INT_MIN) in unsigned arithmetic, then saturate. */
            sp->width = MIN(0u - (unsigned int)w, KFMT_INT_MAX);
        } else {
            sp->width = (size_t)w;
        }
    } else {
        sp->width = kfmt_number(f);
    }

    if (**f == '.') {
        (*f)++;
        sp->has_prec = true;
        if (**f == '*') {
            int p = va_arg(*ap, int);
            (*f)++;
            /* A negative precision argument is taken as if omitted. */
            sp->has_prec = p >= 0;
            sp->prec = p >= 0 ? (size_t)p : 0;
        } else {
            sp->prec = kfmt_number(f);   /* "." alone means 0 */
        }
    }

    switch (**f) {
    case 'h':
        (*f)++;
        sp->len = KFMT_LEN_H;
        if (**f == 'h') {
            (*f)++;
            sp->len = KFMT_LEN_HH;
        }
        break;
    case 'l':
        (*f)++;
        sp->len = KFMT_LEN_L;
        if (**f == 'l') {
            (*f)++;
            sp->len = KFMT_LEN_LL;
        }
        break;
    case 'z': (*f)++; sp->len = KFMT_LEN_Z; break;
    case 'j': (*f)++; sp->len = KFMT_LEN_J; break;
    case 't': (*f)++; sp->len = KFMT_LEN_T; break;
    default: break;
    }
    sp->conv = **f;
}

/* kfmt: formats fmt with the arguments in ap, handing the output to sink in
 * runs (never empty, not NUL-terminated, pointing into memory valid only
 * during the call). A NULL sink only counts. Context: any; the sink decides
 * what locking is needed. Returns the number of characters produced,
 * saturated at INT_MAX. Arguments are read through a va_copy of ap. */
int kfmt(kfmt_sink_t sink, void *ctx, const char *fmt, va_list ap)
{
    struct kfmt_out o = { .sink = sink, .ctx = ctx, .count = 0 };
    va_list args;
    va_copy(args, ap);   /* so helpers can take &args portably */

    const char *f = fmt;
    while (*f) {
        if (*f != '%') {
            const char *run = f;
            while (*f && *f != '%')
                f++;
            kfmt_emit(&o, run, (size_t)(f - run));
            continue;
        }

        const char *start = f++;
        struct kfmt_spec sp;
        kfmt_parse(&f, &args, &sp);
        /* Length modifiers belong to integers: %lc, %ls (wide characters)
         * and the like are not supported, so they fall to the default. */
        char conv = sp.conv;
        if (sp.len != KFMT_LEN_NONE && (conv == 'c' || conv == 's' || conv == 'p'))
            conv = '?';

        switch (conv) {
        case 'd':
        case 'i': {
            bool neg;
            uintmax_t mag = kfmt_arg_signed(&args, sp.len, &neg);
            kfmt_integer(&o, &sp, mag, neg);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            kfmt_integer(&o, &sp, kfmt_arg_unsigned(&args, sp.len), false);
            break;
        case 'p': {
            const void *ptr = va_arg(args, const void *);
            if (ptr) {
                kfmt_integer(&o, &sp, (uintptr_t)ptr, false);
            } else {
                /* glibc: "(nil)" as a string, whole whatever the precision. */
                sp.has_prec = false;
                kfmt_text(&o, &sp, "(nil)", 5);
            }
            break;
        }
        case 'c': {
            char c = (char)(unsigned char)va_arg(args, int);
            kfmt_text(&o, &sp, &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            size_t n;
            if (!s) {
                /* glibc: "(null)" if the precision lets all of it show, else
                 * nothing rather than a misleading fragment. */
                s = "(null)";
                n = !sp.has_prec || sp.prec >= 6 ? 6 : 0;
            } else {
                /* Read no further than the precision: s need not be
                 * NUL-terminated when one is given. */
                n = 0;
                while ((!sp.has_prec || n < sp.prec) && s[n])
                    n++;
            }
            kfmt_text(&o, &sp, s, n);
            break;
        }
        case '%':
            kfmt_emit(&o, "%", 1);
            break;
        case '\0':
            /* The format ends inside a spec: print what there is. */
            kfmt_emit(&o, start, (size_t)(f - start));
            break;
        default:
            /* Unknown conversion: print the spec literally, no argument. */
            kfmt_emit(&o, start, (size_t)(f + 1 - start));
            break;
        }
        if (*f)
            f++;
    }

    va_end(args);
    return (int)MIN(o.count, KFMT_INT_MAX);
}

/* The bounded-buffer sink of kvsnprintf: keeps the first cap characters. */
struct kfmt_buf {
    char *buf;
    size_t cap;          /* room for characters, excluding the NUL */
    size_t len;          /* characters stored so far, <= cap */
};

static void kfmt_buf_sink(void *ctx, const char *s, size_t n)
{
    struct kfmt_buf *b = ctx;
    size_t k = MIN(n, b->cap - b->len);
    memcpy(b->buf + b->len, s, k);
    b->len += k;
}

/* kvsnprintf: C's vsnprintf. Stores at most n - 1 characters and a NUL in
 * buf when n > 0 (buf may be NULL when n == 0; nothing is then written).
 * Returns the length the whole output has, so a result >= n means it was
 * truncated. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    if (!buf || n == 0)
        return kfmt(NULL, NULL, fmt, ap);
    struct kfmt_buf b = { .buf = buf, .cap = n - 1, .len = 0 };
    int ret = kfmt(kfmt_buf_sink, &b, fmt, ap);
    buf[b.len] = '\0';
    return ret;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return ret;
}
