// SPDX-License-Identifier: MIT
/* prog.c - the text form of a program, printed when something fails and read
 * back by `make fuzz REPLAY=<file>` (the file goes into the initrd as
 * etc/fuzz.replay). One line each:
 *   prog fail_skip=<n>                    starts a program
 *   data <offset> <hex bytes>             program data (FZ_DATA_BYTES), 64 bytes a line
 *   r<i> = <call>(<arg>, ...)[ @w<k>]     a call; @w<k>: run on worker k
 *   ---                                   ends a program (optional before "prog")
 *   # ...                                 a comment
 * An argument is a number (decimal or 0x hex), SELF, r<j> (the result of the
 * call labelled r<j>; an unknown label reads as 0, so lines can be deleted
 * freely when minimizing), pool<j>, arena+<n>, map+<n>, func, stack<j>,
 * ipc.reply or ipc.cap<j> (fuzz.h, enum fz_arg_kind). Pure. */
#include "fuzz.h"

#include <mos/types.h>
#include "lib/kprintf.h"
#include "lib/string.h"

/* ---------------------------------------------------------------- print */
static size_t put_arg(char *b, size_t n, const struct fz_arg *a)
{
    unsigned long long v = (unsigned long long)a->val;
    switch (a->kind) {
    case FA_RES:
        return (size_t)ksnprintf(b, n, "r%llu", v);
    case FA_POOL:
        return (size_t)ksnprintf(b, n, "pool%llu", v);
    case FA_ARENA:
        return (size_t)ksnprintf(b, n, "arena+%llu", v);
    case FA_MAP:
        return (size_t)ksnprintf(b, n, "map+%llu", v);
    case FA_FUNC:
        return (size_t)ksnprintf(b, n, "func");
    case FA_STACK:
        return (size_t)ksnprintf(b, n, "stack%llu", v);
    case FA_IPCREPLY:
        return (size_t)ksnprintf(b, n, "ipc.reply");
    case FA_IPCCAP:
        return (size_t)ksnprintf(b, n, "ipc.cap%llu", v & 3);
    default:
        if (v == MOS_SELF)
            return (size_t)ksnprintf(b, n, "SELF");
        return (size_t)ksnprintf(b, n, v < 10 ? "%llu" : "0x%llx", v);
    }
}

void fz_prog_print(const struct fz_prog *p, void (*emit)(void *ctx, const char *line), void *ctx)
{
    char line[320];
    ksnprintf(line, sizeof line, "prog fail_skip=%u", p->fail_skip);
    emit(ctx, line);
    static const char hex[] = "0123456789abcdef";
    for (unsigned off = 0; off < FZ_DATA_BYTES; off += 64) {
        unsigned end = 64;
        while (end && p->data[off + end - 1] == 0)
            end--;
        if (!end)
            continue;
        size_t k = (size_t)ksnprintf(line, sizeof line, "data %u ", off);
        for (unsigned i = 0; i < end; i++) {
            line[k++] = hex[p->data[off + i] >> 4];
            line[k++] = hex[p->data[off + i] & 15];
        }
        line[k] = '\0';
        emit(ctx, line);
    }
    for (unsigned i = 0; i < p->ncalls && i < FZ_MAX_CALLS; i++) {
        const struct fz_call *c = &p->c[i];
        const char *name = fz_call_name(c->nr);
        size_t k = name ? (size_t)ksnprintf(line, sizeof line, "r%u = %s(", i, name)
                        : (size_t)ksnprintf(line, sizeof line, "r%u = sys%u(", i, c->nr);
        for (unsigned a = 0; a < c->nargs && a < 6; a++) {
            if (a)
                k += (size_t)ksnprintf(line + k, sizeof line - k, ", ");
            k += put_arg(line + k, sizeof line - k, &c->a[a]);
        }
        k += (size_t)ksnprintf(line + k, sizeof line - k, ")");
        if (c->thread)
            ksnprintf(line + k, sizeof line - k, " @w%u", c->thread);
        emit(ctx, line);
    }
}

/* ---------------------------------------------------------------- parse */
struct cursor {
    const char *s, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r'))
        c->s++;
}

static bool eat(struct cursor *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->s) < n || memcmp(c->s, word, n) != 0)
        return false;
    c->s += n;
    return true;
}

static bool number(struct cursor *c, uint64_t *out)
{
    skip_ws(c);
    uint64_t v = 0;
    const char *start = c->s;
    if (c->end - c->s > 2 && c->s[0] == '0' && (c->s[1] == 'x' || c->s[1] == 'X')) {
        c->s += 2;
        start = c->s;
        while (c->s < c->end) {
            char ch = *c->s;
            unsigned d;
            if (ch >= '0' && ch <= '9')
                d = (unsigned)(ch - '0');
            else if (ch >= 'a' && ch <= 'f')
                d = (unsigned)(ch - 'a' + 10);
            else if (ch >= 'A' && ch <= 'F')
                d = (unsigned)(ch - 'A' + 10);
            else
                break;
            v = (v << 4) | d;
            c->s++;
        }
    } else {
        while (c->s < c->end && *c->s >= '0' && *c->s <= '9')
            v = v * 10 + (uint64_t)(*c->s++ - '0');
    }
    *out = v;
    return c->s > start;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Labels of the program being parsed: label[i] is call i's r-number. */
struct parse_state {
    struct fz_prog *p;
    uint64_t label[FZ_MAX_CALLS];
    /* References by label, resolved when the program ends. */
    uint64_t ref_label[FZ_MAX_CALLS][6];
    bool is_ref[FZ_MAX_CALLS][6];
};

static bool parse_arg(struct cursor *c, struct parse_state *st, unsigned ci, unsigned ai)
{
    struct fz_arg *a = &st->p->c[ci].a[ai];
    uint64_t v = 0;
    *a = (struct fz_arg){ .kind = FA_CONST };
    skip_ws(c);
    if (eat(c, "SELF")) {
        a->val = MOS_SELF;
    } else if (eat(c, "pool")) {
        a->kind = FA_POOL;
        if (!number(c, &a->val))
            return false;
    } else if (eat(c, "arena+")) {
        a->kind = FA_ARENA;
        if (!number(c, &a->val))
            return false;
    } else if (eat(c, "map+")) {
        a->kind = FA_MAP;
        if (!number(c, &a->val))
            return false;
    } else if (eat(c, "func")) {
        a->kind = FA_FUNC;
    } else if (eat(c, "stack")) {
        a->kind = FA_STACK;
        if (!number(c, &a->val))
            return false;
    } else if (eat(c, "ipc.reply")) {
        a->kind = FA_IPCREPLY;
    } else if (eat(c, "ipc.cap")) {
        a->kind = FA_IPCCAP;
        if (!number(c, &a->val))
            return false;
    } else if (eat(c, "r")) {
        if (!number(c, &v))
            return false;
        st->is_ref[ci][ai] = true;
        st->ref_label[ci][ai] = v;
    } else if (!number(c, &a->val)) {
        return false;
    }
    return true;
}

static bool parse_call(struct cursor *c, struct parse_state *st)
{
    struct fz_prog *p = st->p;
    if (p->ncalls >= FZ_MAX_CALLS)
        return false;
    unsigned ci = p->ncalls;
    uint64_t label;
    if (!eat(c, "r") || !number(c, &label) || !eat(c, "="))
        return false;
    skip_ws(c);
    char name[32];
    size_t n = 0;
    while (c->s < c->end && n + 1 < sizeof name &&
           ((*c->s >= 'a' && *c->s <= 'z') || (*c->s >= '0' && *c->s <= '9') || *c->s == '_'))
        name[n++] = *c->s++;
    name[n] = '\0';
    unsigned nr = fz_call_by_name(name);
    if (!nr && n > 3 && memcmp(name, "sys", 3) == 0) {
        struct cursor t = { name + 3, name + n };
        uint64_t v;
        if (number(&t, &v) && v < 0x100)
            nr = (unsigned)v;
    }
    if (!nr || !eat(c, "("))
        return false;
    struct fz_call *call = &p->c[ci];
    memset(call, 0, sizeof *call);
    memset(st->is_ref[ci], 0, sizeof st->is_ref[ci]);
    call->nr = (uint16_t)nr;
    const char *kinds = fz_call_kinds(nr);
    unsigned want = kinds ? (unsigned)strlen(kinds) : 6;
    unsigned na = 0;
    if (!eat(c, ")")) {
        for (;;) {
            if (na >= 6 || !parse_arg(c, st, ci, na))
                return false;
            na++;
            if (eat(c, ")"))
                break;
            if (!eat(c, ","))
                return false;
        }
    }
    if (kinds && na != want)
        return false;
    call->nargs = (uint8_t)na;
    if (eat(c, "@w")) {
        uint64_t w;
        if (!number(c, &w) || w > FZ_WORKERS)
            return false;
        call->thread = (uint8_t)w;
    }
    skip_ws(c);
    if (c->s != c->end)
        return false;
    st->label[ci] = label;
    p->ncalls++;
    return true;
}

static bool parse_data(struct cursor *c, struct fz_prog *p)
{
    uint64_t off;
    if (!number(c, &off) || off >= FZ_DATA_BYTES)
        return false;
    skip_ws(c);
    while (c->s + 1 < c->end && hexval(c->s[0]) >= 0 && hexval(c->s[1]) >= 0) {
        if (off >= FZ_DATA_BYTES)
            return false;
        p->data[off++] = (uint8_t)(hexval(c->s[0]) << 4 | hexval(c->s[1]));
        c->s += 2;
    }
    skip_ws(c);
    return c->s == c->end;
}

/* References by label become call indexes (or 0 when the label is gone). */
static void resolve(struct parse_state *st)
{
    struct fz_prog *p = st->p;
    for (unsigned i = 0; i < p->ncalls; i++) {
        for (unsigned a = 0; a < p->c[i].nargs; a++) {
            if (!st->is_ref[i][a])
                continue;
            struct fz_arg *x = &p->c[i].a[a];
            *x = (struct fz_arg){ .kind = FA_CONST, .val = 0 };
            for (unsigned j = 0; j < i; j++) {
                if (st->label[j] == st->ref_label[i][a]) {
                    *x = (struct fz_arg){ .kind = FA_RES, .val = j };
                    break;
                }
            }
        }
    }
}

int fz_prog_parse(const char *text, size_t len, struct fz_prog *out, int max, int *err_line)
{
    static struct parse_state st;
    int n = 0;
    bool open = false;
    int lineno = 0;
    const char *s = text, *end = text + len;
    while (s < end) {
        const char *nl = s;
        while (nl < end && *nl != '\n')
            nl++;
        struct cursor c = { s, nl };
        lineno++;
        s = nl < end ? nl + 1 : nl;
        skip_ws(&c);
        if (c.s == c.end || *c.s == '#')
            continue;
        bool ok = true;
        if (eat(&c, "---")) {
            if (open)
                resolve(&st);
            open = false;
            continue;
        }
        if (eat(&c, "prog")) {
            if (open)
                resolve(&st);
            if (n >= max) {
                *err_line = lineno;
                return -1;
            }
            st.p = &out[n++];
            memset(st.p, 0, sizeof *st.p);
            open = true;
            uint64_t v = 0;
            if (eat(&c, "fail_skip=")) {
                ok = number(&c, &v);
                st.p->fail_skip = (uint32_t)v;
            }
        } else if (!open) {
            ok = false;
        } else if (eat(&c, "data")) {
            ok = parse_data(&c, st.p);
        } else {
            ok = parse_call(&c, &st);
        }
        if (!ok) {
            *err_line = lineno;
            return -1;
        }
    }
    if (open)
        resolve(&st);
    return n;
}
