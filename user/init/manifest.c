// SPDX-License-Identifier: MIT
/* manifest.c - the /etc/init.conf parser (see manifest.h). Three passes:
 *   1. each line on its own: tokens, keys, values, capabilities; a bad line
 *      is reported and dropped whole;
 *   2. names: use:SERVICE must name a published endpoint (or init); a
 *      service using a dropped one is dropped too, until nothing changes;
 *   3. order: repeatedly take the first service (in file order) whose used
 *      services are all placed; when none can be taken, the rest hold a
 *      cycle: report it, drop its members, go back to 2.
 * The kept services are then copied into start order and their use:
 * targets renumbered. Pure. */
#include "manifest.h"
#include <mos/proc.h>

_Static_assert(MF_PRIO_MAX == MOS_PRIO_USER_MAX, "manifest: the kernel's priority ceiling");

#include <stdarg.h>
#include "lib/string.h"
#ifdef HOST_TEST
#include <stdio.h>
#else
#include "mos_stdio.h"
#endif

struct mf_parser {
    struct manifest *m;
    mf_report_fn report;
    void *ctx;
    unsigned line;
    /* use:NAME targets by name until pass 2 resolves them */
    char use[MF_MAX_SERVICES][MF_MAX_CAPS][MF_NAME_MAX + 1];
    bool dropped[MF_MAX_SERVICES];
};

__attribute__((format(printf, 3, 4)))
static void mf_error(struct mf_parser *p, unsigned line, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->m->errors++;
    if (p->report)
        p->report(p->ctx, line, msg);
}

/* ---------------------------------------------------------------- values */

static bool mf_is_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > MF_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A whole decimal or 0x-hex number no larger than max. */
static bool mf_number(const char *s, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static bool mf_range(struct mf_parser *p, const char *key, const char *val, uint64_t lo, uint64_t hi,
                     uint64_t *out)
{
    uint64_t v;
    if (!mf_number(val, hi, &v) || v < lo) {
        mf_error(p, p->line, "bad value for %s: '%s' (%llu..%llu)", key, val, (unsigned long long)lo,
                 (unsigned long long)hi);
        return false;
    }
    *out = v;
    return true;
}

/* Split s at the first ':' (s is modified); returns the rest or NULL. */
static char *mf_split(char *s)
{
    char *c = strchr(s, ':');
    if (!c)
        return NULL;
    *c = '\0';
    return c + 1;
}

/* restart=never | always[:max[:backoff_ms[:cap_ms]]] (cap_ms: the back-off
 * doubles up to it; default MF_BACKOFF_CAP_MS, at least backoff_ms) */
static bool mf_restart(struct mf_parser *p, struct mf_service *s, const char *val)
{
    char buf[64];
    size_t n = strnlen(val, sizeof buf);
    if (n == sizeof buf)
        goto bad;
    memcpy(buf, val, n + 1);
    char *max = mf_split(buf), *backoff = max ? mf_split(max) : NULL;
    char *cap = backoff ? mf_split(backoff) : NULL;
    if (strcmp(buf, "never") == 0 && !max) {
        s->restart = MF_RESTART_NEVER;
        return true;
    }
    if (strcmp(buf, "always") != 0 || (cap && strchr(cap, ':')))
        goto bad;
    uint64_t v;
    s->restart = MF_RESTART_ALWAYS;
    if (max) {
        if (!mf_range(p, "restart max", max, 0, MF_RESTARTS_MAX, &v))
            return false;
        s->max_restarts = (uint32_t)v;
    }
    if (backoff) {
        if (!mf_range(p, "restart backoff_ms", backoff, MF_BACKOFF_MIN, MF_BACKOFF_MAX, &v))
            return false;
        s->backoff_ms = (uint32_t)v;
    }
    if (cap) {
        if (!mf_range(p, "restart cap_ms", cap, s->backoff_ms, MF_BACKOFF_MAX, &v))
            return false;
        s->backoff_cap_ms = (uint32_t)v;
    }
    return true;
bad:
    mf_error(p, p->line, "bad restart policy '%s' (never | always[:max[:backoff_ms[:cap_ms]]])", val);
    return false;
}

static const char *mf_kind_name(unsigned kind)
{
    switch (kind) {
    case MF_CAP_EP: return "ep";
    case MF_CAP_IOPORT: return "ioports";
    case MF_CAP_IRQ: return "irq";
    case MF_CAP_INITRD: return "initrd";
    case MF_CAP_DEVMEM: return "devmem";
    case MF_CAP_PCI: return "pcidev";
    default: return "?";
    }
}

/* A PCI vendor or device ID: 1..4 hex digits, "0x" optional. */
static bool mf_pci_id(const char *s, uint16_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strlen(s);
    if (n < 1 || n > 4)
        return false;
    uint32_t v = 0;
    for (; *s; s++) {
        char c = *s;
        unsigned d = (c >= '0' && c <= '9') ? (unsigned)(c - '0')
                   : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                   : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10) : 16u;
        if (d == 16)
            return false;
        v = v * 16 + d;
    }
    *out = (uint16_t)v;
    return true;
}

/* The start-block names a cap=pci: spec fills. */
static bool mf_is_pci_name(const char *name)
{
    return strcmp(name, "pcidev") == 0 || strcmp(name, "irq") == 0 ||
           (strncmp(name, "bar", 3) == 0 && name[3] >= '0' && name[3] <= '5' && name[4] == '\0');
}

/* cap=SPEC */
static bool mf_cap(struct mf_parser *p, struct mf_service *s, unsigned idx, const char *val)
{
    if (s->ncaps == MF_MAX_CAPS) {
        mf_error(p, p->line, "too many capabilities (max %u)", MF_MAX_CAPS);
        return false;
    }
    char buf[64];
    size_t n = strnlen(val, sizeof buf);
    if (n == sizeof buf) {
        mf_error(p, p->line, "unknown capability '%.40s...'", val);
        return false;
    }
    memcpy(buf, val, n + 1);
    char *a1 = mf_split(buf), *a2 = a1 ? mf_split(a1) : NULL, *a3 = a2 ? mf_split(a2) : NULL;
    struct mf_cap c = { 0 };
    uint64_t v1, v2;
    if (strcmp(buf, "ep") == 0 && !a1) {
        c.kind = MF_CAP_EP;
    } else if (strcmp(buf, "initrd") == 0 && !a1) {
        c.kind = MF_CAP_INITRD;
    } else if (strcmp(buf, "ioport") == 0) {
        if (!a2 || a3) {
            mf_error(p, p->line, "bad capability '%s' (ioport:FIRST:COUNT)", val);
            return false;
        }
        if (!mf_number(a1, MF_PORT_LIMIT - 1, &v1) || !mf_number(a2, MF_PORT_LIMIT, &v2) || v2 == 0 ||
            v1 + v2 > MF_PORT_LIMIT) {
            mf_error(p, p->line, "bad capability '%s' (ports 0..0xffff, COUNT >= 1)", val);
            return false;
        }
        c.kind = MF_CAP_IOPORT;
        c.first = (uint32_t)v1;
        c.count = (uint32_t)v2;
    } else if (strcmp(buf, "irq") == 0) {
        if (!a1 || a2 || !mf_number(a1, MF_IRQ_MAX, &v1)) {
            mf_error(p, p->line, "bad capability '%s' (irq:LINE, LINE 0..%u)", val, MF_IRQ_MAX);
            return false;
        }
        c.kind = MF_CAP_IRQ;
        c.first = (uint32_t)v1;
        c.count = 1;
    } else if (strcmp(buf, "devmem") == 0 && !a1) {
        c.kind = MF_CAP_DEVMEM;
    } else if (strcmp(buf, "pci") == 0) {
        char *a4 = a3 ? mf_split(a3) : NULL;
        if (!a2 || a4 || !mf_pci_id(a1, &c.vendor) || !mf_pci_id(a2, &c.device) || c.vendor == 0xFFFF ||
            (a3 && !mf_number(a3, MF_PCI_INDEX_MAX, &v1))) {
            mf_error(p, p->line, "bad capability '%s' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..%u)", val,
                     MF_PCI_INDEX_MAX);
            return false;
        }
        c.kind = MF_CAP_PCI;
        c.index = a3 ? (uint32_t)v1 : 0;
        c.target = MF_TARGET_INIT;
        strncpy(p->use[idx][s->ncaps], MF_PCI_PROVIDER, MF_NAME_MAX);
    } else if (strcmp(buf, "use") == 0) {
        if (!a1 || !mf_is_name(a1) || (a2 && strcmp(a2, "control") != 0) || a3) {
            mf_error(p, p->line, "bad capability '%s' (use:SERVICE[:control])", val);
            return false;
        }
        if (a2 && strcmp(a1, "init") != 0) {
            mf_error(p, p->line, "bad capability '%s': only use:init takes :control", val);
            return false;
        }
        c.kind = MF_CAP_USE;
        c.control = a2 != NULL;
        c.target = MF_TARGET_INIT;
        strncpy(p->use[idx][s->ncaps], a1, MF_NAME_MAX);
        strncpy(c.name, a1, MF_NAME_MAX);
    } else {
        mf_error(p, p->line, "unknown capability '%s'", val);
        return false;
    }
    if (c.kind != MF_CAP_USE)
        strncpy(c.name, mf_kind_name(c.kind), MF_NAME_MAX);
    for (unsigned i = 0; i < s->ncaps; i++) {
        if (strcmp(s->caps[i].name, c.name) == 0) {
            mf_error(p, p->line, "duplicate capability '%s'", c.name);
            return false;
        }
        /* cap=pci: also fills "irq" and "barN": nothing else may use those names. */
        const struct mf_cap *o = &s->caps[i];
        if ((c.kind == MF_CAP_PCI && mf_is_pci_name(o->name)) || (o->kind == MF_CAP_PCI && mf_is_pci_name(c.name))) {
            mf_error(p, p->line, "capability '%s' clashes with the names cap=pci gives (pcidev, bar0..bar5, irq)",
                     c.kind == MF_CAP_PCI ? o->name : c.name);
            return false;
        }
    }
    s->caps[s->ncaps++] = c;
    return true;
}

/* ---------------------------------------------------------------- pass 1 */

enum { K_PRIO, K_QUOTA, K_SLOTS, K_RESTART, K_PROVIDES, K_COUNT };
static const char *const mf_keys[K_COUNT] = { "prio", "quota", "slots", "restart", "provides" };

static bool mf_key_value(struct mf_parser *p, struct mf_service *s, unsigned idx, char *tok, bool *seen)
{
    char *eq = strchr(tok, '=');
    if (!eq || eq == tok) {
        mf_error(p, p->line, "expected key=value, got '%s'", tok);
        return false;
    }
    *eq = '\0';
    const char *val = eq + 1;
    if (strcmp(tok, "cap") == 0)
        return mf_cap(p, s, idx, val);
    unsigned k = 0;
    while (k < K_COUNT && strcmp(tok, mf_keys[k]) != 0)
        k++;
    if (k == K_COUNT) {
        mf_error(p, p->line, "unknown key '%s'", tok);
        return false;
    }
    if (seen[k]) {
        mf_error(p, p->line, "duplicate key '%s'", tok);
        return false;
    }
    seen[k] = true;
    uint64_t v;
    switch (k) {
    case K_PRIO:
        if (!mf_range(p, tok, val, MF_PRIO_MIN, MF_PRIO_MAX, &v))
            return false;
        s->prio = (uint32_t)v;
        return true;
    case K_QUOTA:
        if (!mf_range(p, tok, val, MF_QUOTA_MIN, MF_QUOTA_MAX, &v))
            return false;
        s->quota_pages = v;
        return true;
    case K_SLOTS:
        if (!mf_range(p, tok, val, MF_SLOTS_MIN, MF_SLOTS_MAX, &v))
            return false;
        s->slots = (uint32_t)v;
        return true;
    case K_RESTART:
        return mf_restart(p, s, val);
    default:                                    /* K_PROVIDES */
        if (strcmp(val, "no") == 0) {
            s->provides[0] = '\0';
        } else if (strcmp(val, "yes") == 0) {
            strncpy(s->provides, s->name, MF_NAME_MAX);
        } else if (mf_is_name(val) && strcmp(val, "init") != 0) {
            strncpy(s->provides, val, MF_NAME_MAX);
        } else {
            mf_error(p, p->line, "bad value for provides: '%s' (yes, no or a name)", val);
            return false;
        }
        return true;
    }
}

/* Either name clashes with a service's name or published endpoint name. */
static int mf_name_taken(const struct mf_parser *p, unsigned upto, const char *name)
{
    for (unsigned i = 0; i < upto; i++) {
        const struct mf_service *o = &p->m->svc[i];
        if (!p->dropped[i] && (strcmp(o->name, name) == 0 || strcmp(o->provides, name) == 0))
            return (int)i;
    }
    return -1;
}

static void mf_line(struct mf_parser *p, char *text)
{
    char *tok[3 + MF_LINE_MAX / 2];
    unsigned nt = 0;
    for (char *c = text; *c;) {
        while (*c == ' ' || *c == '\t')
            c++;
        if (!*c || *c == '#')
            break;
        tok[nt++] = c;
        while (*c && *c != ' ' && *c != '\t')
            c++;
        if (*c)
            *c++ = '\0';
    }
    if (nt == 0)
        return;
    if (strcmp(tok[0], "service") != 0) {
        mf_error(p, p->line, "unknown directive '%s'", tok[0]);
        return;
    }
    if (nt < 3) {
        mf_error(p, p->line, "%s", nt < 2 ? "service: missing name and path" : "service: missing path");
        return;
    }
    struct manifest *m = p->m;
    if (m->n == MF_MAX_SERVICES) {
        mf_error(p, p->line, "too many services (max %u)", MF_MAX_SERVICES);
        return;
    }
    if (!mf_is_name(tok[1])) {
        mf_error(p, p->line, "bad service name '%s' (1..%u of a-z 0-9 _ -, first a letter)", tok[1],
                 MF_NAME_MAX);
        return;
    }
    if (strcmp(tok[1], "init") == 0) {
        mf_error(p, p->line, "the name 'init' is reserved");
        return;
    }
    int other = mf_name_taken(p, m->n, tok[1]);
    if (other >= 0) {
        mf_error(p, p->line, "duplicate name '%s' (line %u)", tok[1], m->svc[other].line);
        return;
    }
    size_t plen = strlen(tok[2]);
    if (tok[2][0] != '/' || plen < 2 || plen > MF_PATH_MAX || tok[2][plen - 1] == '/') {
        mf_error(p, p->line, "bad path '%s' (absolute, a file, at most %u characters)", tok[2],
                 MF_PATH_MAX);
        return;
    }
    unsigned idx = m->n;
    struct mf_service *s = &m->svc[idx];
    memset(s, 0, sizeof *s);
    memset(p->use[idx], 0, sizeof p->use[idx]);
    strncpy(s->name, tok[1], MF_NAME_MAX);
    strncpy(s->path, tok[2], MF_PATH_MAX);
    s->prio = MF_PRIO_DEFAULT;
    s->quota_pages = MF_QUOTA_DEFAULT;
    s->slots = MF_SLOTS_DEFAULT;
    s->restart = MF_RESTART_NEVER;
    s->max_restarts = MF_RESTARTS_DEFAULT;
    s->backoff_ms = MF_BACKOFF_DEFAULT;
    s->line = p->line;
    bool seen[K_COUNT] = { false };
    for (unsigned i = 3; i < nt; i++) {
        if (!mf_key_value(p, s, idx, tok[i], seen))
            return;
    }
    bool has_ep = false;
    for (unsigned i = 0; i < s->ncaps; i++)
        has_ep |= s->caps[i].kind == MF_CAP_EP;
    if (has_ep && !s->provides[0]) {
        mf_error(p, p->line, "cap=ep needs provides=yes (or provides=NAME)");
        return;
    }
    if (!has_ep && s->provides[0]) {
        mf_error(p, p->line, "provides=%s without cap=ep: nobody would serve it", s->provides);
        return;
    }
    if (s->provides[0] && strcmp(s->provides, s->name) != 0) {
        other = mf_name_taken(p, m->n, s->provides);
        if (other >= 0) {
            mf_error(p, p->line, "duplicate name '%s' (line %u)", s->provides, m->svc[other].line);
            return;
        }
    }
    p->dropped[idx] = false;
    m->n++;
}

/* ---------------------------------------------------------------- passes 2, 3 */

/* The kept service publishing `name`, or -1. */
static int mf_published(const struct mf_parser *p, const char *name)
{
    for (unsigned i = 0; i < p->m->n; i++) {
        if (p->m->svc[i].provides[0] && strcmp(p->m->svc[i].provides, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Pass 2 for one service: resolve every use: (report and return false when
 * one cannot be). Targets are indices into the unsorted svc[]. */
static bool mf_resolve(struct mf_parser *p, unsigned idx)
{
    struct mf_service *s = &p->m->svc[idx];
    for (unsigned i = 0; i < s->ncaps; i++) {
        struct mf_cap *c = &s->caps[i];
        if (c->kind != MF_CAP_USE && c->kind != MF_CAP_PCI)
            continue;
        const char *want = p->use[idx][i];
        if (c->kind == MF_CAP_USE && strcmp(want, "init") == 0) {
            c->target = MF_TARGET_INIT;
            continue;
        }
        int t = mf_published(p, want);
        if (t < 0 && c->kind == MF_CAP_PCI) {
            mf_error(p, s->line, "%s: cap=pci:%04x:%04x, but no service publishes '%s'", s->name, c->vendor,
                     c->device, want);
            return false;
        }
        if (t < 0) {
            int byname = -1;
            for (unsigned j = 0; j < p->m->n; j++) {
                if (strcmp(p->m->svc[j].name, want) == 0)
                    byname = (int)j;
            }
            if (byname < 0)
                mf_error(p, s->line, "%s: unknown service '%s' in use:%s", s->name, want, want);
            else if (!p->m->svc[byname].provides[0])
                mf_error(p, s->line, "%s: use:%s, but '%s' provides no endpoint", s->name, want, want);
            else
                mf_error(p, s->line, "%s: use:%s, but '%s' publishes its endpoint as '%s'", s->name, want,
                         want, p->m->svc[byname].provides);
            return false;
        }
        if ((unsigned)t == idx) {
            mf_error(p, s->line, "%s: uses itself", s->name);
            return false;
        }
        if (p->dropped[t]) {
            mf_error(p, s->line, "%s: skipped, because it uses '%s' (line %u), which was skipped", s->name,
                     want, p->m->svc[t].line);
            return false;
        }
        c->target = (uint16_t)t;
    }
    return true;
}

static void mf_resolve_all(struct mf_parser *p)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (unsigned i = 0; i < p->m->n; i++) {
            if (!p->dropped[i] && !mf_resolve(p, i)) {
                p->dropped[i] = true;
                changed = true;
            }
        }
    }
}

static bool mf_deps_placed(const struct mf_parser *p, unsigned idx, const bool *placed)
{
    const struct mf_service *s = &p->m->svc[idx];
    for (unsigned i = 0; i < s->ncaps; i++) {
        const struct mf_cap *c = &s->caps[i];
        if ((c->kind == MF_CAP_USE || c->kind == MF_CAP_PCI) && c->target != MF_TARGET_INIT && !placed[c->target])
            return false;
    }
    return true;
}

/* A not-yet-placed dependency of idx, or -1. */
static int mf_unplaced_dep(const struct mf_parser *p, unsigned idx, const bool *placed)
{
    const struct mf_service *s = &p->m->svc[idx];
    for (unsigned i = 0; i < s->ncaps; i++) {
        const struct mf_cap *c = &s->caps[i];
        if ((c->kind == MF_CAP_USE || c->kind == MF_CAP_PCI) && c->target != MF_TARGET_INIT &&
            !placed[c->target] && !p->dropped[c->target])
            return c->target;
    }
    return -1;
}

/* Among the unplaced services (none placeable), walk dependencies from
 * `start` until a service repeats: that loop is a cycle. Report it and
 * drop its members. */
static void mf_break_cycle(struct mf_parser *p, unsigned start, const bool *placed)
{
    unsigned path[MF_MAX_SERVICES + 1], n = 0;
    int pos[MF_MAX_SERVICES];
    for (unsigned i = 0; i < MF_MAX_SERVICES; i++)
        pos[i] = -1;
    int cur = (int)start;
    while (cur >= 0 && pos[cur] < 0) {
        pos[cur] = (int)n;
        path[n++] = (unsigned)cur;
        cur = mf_unplaced_dep(p, (unsigned)cur, placed);
    }
    if (cur < 0)
        return;                                 /* cannot happen: every unplaced one waits */
    char text[128];
    size_t len = 0;
    unsigned first = (unsigned)pos[cur];
    for (unsigned i = first; i < n && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s -> ", p->m->svc[path[i]].name);
    if (len < sizeof text)
        snprintf(text + len, sizeof text - len, "%s", p->m->svc[cur].name);
    mf_error(p, p->m->svc[cur].line, "dependency cycle: %s", text);
    for (unsigned i = first; i < n; i++)
        p->dropped[path[i]] = true;
}

/* ---------------------------------------------------------------- entry */

unsigned manifest_parse(struct manifest *m, const char *text, size_t len, mf_report_fn report, void *ctx)
{
    static struct mf_parser parser;             /* large: keep it off the stack */
    struct mf_parser *p = &parser;
    memset(p, 0, sizeof *p);
    memset(m, 0, sizeof *m);
    p->m = m;
    p->report = report;
    p->ctx = ctx;

    char buf[MF_LINE_MAX + 1];
    size_t pos = 0;
    while (pos < len) {
        p->line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos;
        if (n && text[end - 1] == '\r')
            n--;
        bool bad = false;
        if (n > MF_LINE_MAX) {
            mf_error(p, p->line, "line too long (max %u characters)", MF_LINE_MAX);
            bad = true;
        }
        for (size_t i = 0; !bad && i < n; i++) {
            unsigned char c = (unsigned char)text[pos + i];
            if ((c < 0x20 && c != '\t') || c >= 0x7F) {
                mf_error(p, p->line, "invalid character 0x%02x in column %u", c, (unsigned)(i + 1));
                bad = true;
            }
        }
        if (!bad) {
            memcpy(buf, text + pos, n);
            buf[n] = '\0';
            mf_line(p, buf);
        }
        pos = end + 1;
    }

    /* Passes 2 and 3. */
    bool placed[MF_MAX_SERVICES] = { false };
    unsigned order[MF_MAX_SERVICES], norder = 0;
    mf_resolve_all(p);
    for (;;) {
        bool progress = false, left = false;
        for (unsigned i = 0; i < m->n; i++) {
            if (p->dropped[i] || placed[i])
                continue;
            if (mf_deps_placed(p, i, placed)) {
                placed[i] = true;
                order[norder++] = i;
                progress = true;
                break;                          /* restart: keep file order where possible */
            }
            left = true;
        }
        if (progress)
            continue;
        if (!left)
            break;
        for (unsigned i = 0; i < m->n; i++) {
            if (!p->dropped[i] && !placed[i]) {
                mf_break_cycle(p, i, placed);
                break;
            }
        }
        mf_resolve_all(p);
    }

    /* Copy the kept services into start order and renumber their targets. */
    static struct mf_service sorted[MF_MAX_SERVICES];
    unsigned newidx[MF_MAX_SERVICES];
    for (unsigned k = 0; k < norder; k++) {
        sorted[k] = m->svc[order[k]];
        newidx[order[k]] = k;
    }
    for (unsigned k = 0; k < norder; k++) {
        for (unsigned i = 0; i < sorted[k].ncaps; i++) {
            struct mf_cap *c = &sorted[k].caps[i];
            if ((c->kind == MF_CAP_USE || c->kind == MF_CAP_PCI) && c->target != MF_TARGET_INIT)
                c->target = (uint16_t)newidx[c->target];
        }
    }
    memset(m->svc, 0, sizeof m->svc);
    for (unsigned k = 0; k < norder; k++)
        m->svc[k] = sorted[k];
    m->n = norder;
    return m->errors;
}

int manifest_find_endpoint(const struct manifest *m, const char *name)
{
    for (unsigned i = 0; i < m->n; i++) {
        if (m->svc[i].provides[0] && strcmp(m->svc[i].provides, name) == 0)
            return (int)i;
    }
    return -1;
}

int manifest_find(const struct manifest *m, const char *name)
{
    for (unsigned i = 0; i < m->n; i++) {
        if (strcmp(m->svc[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

uint32_t manifest_backoff_ms(const struct mf_service *s, uint32_t attempt)
{
    uint64_t d = s->backoff_ms ? s->backoff_ms : 1;
    uint64_t limit = s->backoff_cap_ms ? s->backoff_cap_ms : MF_BACKOFF_CAP_MS;
    uint64_t cap = d > limit ? d : limit;
    for (uint32_t i = 1; i < attempt && d < cap; i++)
        d *= 2;
    return (uint32_t)(d < cap ? d : cap);
}
