// SPDX-License-Identifier: MIT
/* chaos - fault injection into services (docs/testing.md, "Fault
 * injection"). Started by init from /etc/chaos.conf with "init" (control),
 * "console", "vfs" and "net" client capabilities. The targets are serial,
 * vfs and netstack (each if it runs). One run:
 *   warm-up   one kill of each target without load (its first restart's
 *             one-time costs, e.g. init's bookkeeping, fall before the
 *             baseline); the kernel counters then settle: the baseline;
 *   kills     CHAOS_KILLS kills in all (not per target): one load thread per
 *             target calls it all the time; each kill picks its target and
 *             its moment (at once, after a spin of up to 0.5 ms, after a
 *             sleep of 0.5..4.5 ms) from the seeded generator; the last kill
 *             of each target comes after the load stopped, so every target
 *             ends as a fresh incarnation, as at the baseline;
 *   checks    every kill: INIT_KILL says 0, INIT_PS shows a new pid ALIVE
 *             and exactly one more restart, not sooner than the policy's
 *             back-off and within CHAOS_RESTART_MAX_MS; the service answers
 *             well-formed requests; the load saw only results a kill
 *             explains; no other service restarted; the kernel's counters
 *             come back exactly (objects, heap bytes, mappings, memory
 *             objects' frames) and every frame is accounted for (the
 *             identity of include/mos/kinfo.h; frames the allocators keep
 *             for reuse are reported and bounded, see docs/testing.md).
 * Output: "TEST chaos/<name>/<check> ok|FAIL <why>" lines, "CHAOS ..."
 * numbers lines and "CHAOS DONE <p> passed, <f> failed". Everything random
 * derives from CHAOS_SEED (printed); `make CHAOS_SEED=n CHAOS_KILLS=n`. */
#include <stdarg.h>
#include "chaos.h"
#include "proto/init.h"

#ifndef CHAOS_SEED
#define CHAOS_SEED 1
#endif
#ifndef CHAOS_KILLS
#define CHAOS_KILLS 1000u               /* in all, spread over the targets */
#endif
#define CHAOS_BACKOFF_MS      2u        /* restart=always:1000:2:2 in /etc/chaos.conf */
#define CHAOS_RESTART_MAX_MS  1000u     /* death noticed and restarted within this (guest time;
                                         * the worst of 1,000 kills took 468 ms: init logging
                                         * while the console restarts) */
#define CHAOS_SETTLE_MS       10000u    /* counters must be back within this */
#define CHAOS_QUIET_MS        300u      /* counters unchanged this long: settled */
#define CHAOS_PROBE_EVERY     8u        /* a probe after about one kill in this many */
#define CHAOS_KSTACK_CACHE    64u       /* kernel/mm/kstack.c KSTACK_CACHE */
#define CHAOS_KSTACK_PAGES    4u        /* KSTACK_SIZE / page size */
#define MS 1000000ull

static mos_handle_t init_cap;
static unsigned passed, failed;

static void result(const char *target, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void result(const char *target, const char *check, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (mos_test_vline("chaos", target, check, ok, fmt, ap))
        passed++;
    else
        failed++;
    va_end(ap);
}

/* ------------------------------------------------------------- random */

static uint64_t rng = CHAOS_SEED * 0x9E3779B97F4A7C15ull + 1;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ------------------------------------------------------------- init */

static struct init_proc ps_buf[MOS_MSG_MAX_BYTES / sizeof(struct init_proc)];

/* INIT_PS into ps_buf: the number of entries, or -MOS_E*. */
static long ps(void)
{
    struct mos_msg rep;
    long r = mos_call(init_cap, INIT_PS, NULL, NULL, 0, NULL, 0, &rep);
    if (r < 0)
        return r;
    if ((int32_t)mos_msg_label(rep.info) < 0)
        return (int32_t)mos_msg_label(rep.info);
    uint32_t bytes = mos_msg_bytes(rep.info);
    uint64_t n = rep.w[0];
    if (n * sizeof(struct init_proc) != bytes || n > sizeof ps_buf / sizeof ps_buf[0])
        return -MOS_EPROTO;
    memcpy(ps_buf, mos_msg_data(&rep), bytes);
    return (long)n;
}

static const struct init_proc *ps_find(long n, const char *name)
{
    for (long i = 1; i < n; i++) {              /* entry 0 is init */
        if (strncmp(ps_buf[i].name, name, sizeof ps_buf[i].name) == 0)
            return &ps_buf[i];
    }
    return NULL;
}

static long init_kill(uint64_t pid)
{
    const uint64_t w[MOS_MSG_WORDS] = { pid, 0, 0, 0 };
    struct mos_msg rep;
    long r = mos_call(init_cap, INIT_KILL, w, NULL, 0, NULL, 0, &rep);
    return r < 0 ? r : (int32_t)mos_msg_label(rep.info);
}

/* ----------------------------------------------------------- counters */

/* The kernel information page's counters, in its order (names[] below). */
enum { C_FREE, C_HEAP_BYTES, C_HEAP_OBJECTS, C_MAPPINGS, C_OBJ0, C_HEAP_PAGES = C_OBJ0 + 8, C_KSTACK,
       C_TABLES, C_KTABLES, C_MEMOBJ, C_COUNT };

struct counters {
    uint64_t v[C_COUNT];
};

static const char *const counter_names[C_COUNT] = {
    "free_frames", "heap_bytes", "heap_objects", "mappings", "obj_none", "MEMORY", "ENDPOINT", "IRQ",
    "PROCESS", "THREAD", "IOPORT", "REPLY", "heap_pages", "kstack_frames", "table_frames", "ktable_frames", "memobj_frames",
};

static void snapshot(struct counters *c)
{
    const volatile struct mos_kinfo *k = (const volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    c->v[C_FREE] = k->free_frames;
    c->v[C_HEAP_BYTES] = k->heap_bytes;
    c->v[C_HEAP_OBJECTS] = k->heap_objects;
    c->v[C_MAPPINGS] = k->mappings;
    for (int i = 0; i < 8; i++)
        c->v[C_OBJ0 + i] = k->objects[i];
    c->v[C_HEAP_PAGES] = k->heap_pages;
    c->v[C_KSTACK] = k->kstack_frames;
    c->v[C_TABLES] = k->table_frames;
    c->v[C_KTABLES] = k->ktable_frames;
    c->v[C_MEMOBJ] = k->memobj_frames;
}

/* Every frame not free is in one of these (include/mos/kinfo.h): the sum
 * is the same at any quiet moment after boot, whatever the workload. */
static uint64_t frames_accounted(const struct counters *c)
{
    return c->v[C_FREE] + c->v[C_HEAP_PAGES] + c->v[C_KSTACK] + c->v[C_TABLES] + c->v[C_KTABLES] +
           c->v[C_MEMOBJ];
}

/* Counters that name live things (processes' page tables and memory
 * included): they must come back exactly. Frames the kernel's allocators
 * keep for reuse (heap slabs, cached stacks, its own page tables) are
 * checked apart: the identity above, the stack cache's bound below. */
static bool exact_counter(int i)
{
    return i != C_FREE && i != C_HEAP_PAGES && i != C_KSTACK && i != C_KTABLES;
}

/* " name a->b" for every counter that differs (only the exact ones when
 * exact_only). */
static void counters_diff(char *buf, size_t n, const struct counters *a, const struct counters *b, bool exact_only)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < C_COUNT && len < n; i++) {
        if (a->v[i] != b->v[i] && (!exact_only || exact_counter(i)))
            len += (size_t)snprintf(buf + len, n - len, " %s %llu->%llu", counter_names[i],
                                    (unsigned long long)a->v[i], (unsigned long long)b->v[i]);
    }
}

static bool exact_equal(const struct counters *a, const struct counters *b)
{
    for (int i = 0; i < C_COUNT; i++) {
        if (exact_counter(i) && a->v[i] != b->v[i])
            return false;
    }
    return true;
}

/* Wait until no counter changed for CHAOS_QUIET_MS (at most max_ms), or,
 * given a baseline, until the exact counters equal it and stay so for
 * CHAOS_QUIET_MS. Returns the guest ms waited. */
static uint64_t settle(struct counters *c, const struct counters *base, uint64_t max_ms)
{
    uint64_t t0 = chaos_now_ns(), end = t0 + max_ms * MS, quiet_since = t0;
    snapshot(c);
    while (chaos_now_ns() < end) {
        (void)mos_thread_block(20 * MS);
        struct counters d;
        snapshot(&d);
        bool same = memcmp(c, &d, sizeof d) == 0;
        *c = d;
        if (!same || (base && !exact_equal(base, c)))
            quiet_since = chaos_now_ns();
        else if (chaos_now_ns() - quiet_since >= CHAOS_QUIET_MS * MS)
            break;
    }
    return (chaos_now_ns() - t0) / MS;
}

/* ------------------------------------------------------------ targets */

struct target {
    const char *name;           /* the service in the manifest */
    const char *cap;            /* our client capability's name */
    enum chaos_kind kind;
    /* what one run did to it */
    bool present;
    mos_handle_t ep;
    uint32_t kills, restarts_seen, probes_ok;
    uint32_t moments[3];        /* kills at once, after a spin, after a sleep */
    uint64_t lat_min, lat_max, lat_sum;     /* kill -> seen running again, ns */
    char first_problem[160];
    uint32_t problems;
    struct chaos_load load;
    struct mos_thread thread;
};

static struct target targets[] = {
    { .name = "serial", .cap = "console", .kind = CHAOS_CONSOLE },
    { .name = "vfs", .cap = "vfs", .kind = CHAOS_VFS },
    { .name = "netstack", .cap = "net", .kind = CHAOS_NET },
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static void problem(struct target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct target *t, const char *fmt, ...)
{
    if (!t->problems++) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->first_problem, sizeof t->first_problem, fmt, ap);
        va_end(ap);
        printf("chaos: %s: %s\n", t->name, t->first_problem);
    }
}

/* ----------------------------------------------------------- watchdog */

/* The main thread says what it is doing; if it makes no progress for
 * CHAOS_STUCK_MS, the watchdog says where it hangs and what init sees
 * (a call into a hung service never returns: this names the service). */
#define CHAOS_STUCK_MS 5000u

static const char *volatile doing = "starting";
static struct target *volatile doing_to;
static volatile uint64_t progress_ns;
static struct mos_thread watchdog_thread;

static void step(const char *what, struct target *t)
{
    doing = what;
    doing_to = t;
    progress_ns = chaos_now_ns();
}

static void watchdog(void *arg)
{
    (void)arg;
    static struct init_proc wps[MOS_MSG_MAX_BYTES / sizeof(struct init_proc)];
    uint64_t reported = 0;
    for (;;) {
        (void)mos_thread_block(1000 * MS);
        uint64_t p = progress_ns, now = chaos_now_ns();
        if (now - p < CHAOS_STUCK_MS * MS || reported == p)
            continue;
        reported = p;
        struct target *t = doing_to;
        printf("chaos: no progress for %llu ms: %s %s\n", (unsigned long long)((now - p) / MS), doing,
               t ? t->name : "");
        for (unsigned i = 0; i < NTARGETS; i++) {
            if (targets[i].present)
                printf("chaos:   load %s: %llu ok, %llu lost, %llu bad\n", targets[i].name,
                       (unsigned long long)targets[i].load.ok, (unsigned long long)targets[i].load.dead,
                       (unsigned long long)targets[i].load.bad);
        }
        struct mos_msg rep;
        long r = mos_call(init_cap, INIT_PS, NULL, NULL, 0, NULL, 0, &rep);
        uint64_t n = r == 0 && (int32_t)mos_msg_label(rep.info) == 0 ? rep.w[0] : 0;
        if (n * sizeof wps[0] != mos_msg_bytes(rep.info) || n > sizeof wps / sizeof wps[0])
            n = 0;
        memcpy(wps, mos_msg_data(&rep), n * sizeof wps[0]);
        for (uint64_t i = 0; i < n; i++)
            printf("chaos:   %-12.32s pid %llu state %u threads %u restarts %u pages %llu\n", wps[i].name,
                   (unsigned long long)wps[i].pid, wps[i].state, wps[i].threads, wps[i].restarts,
                   (unsigned long long)wps[i].used_pages);
    }
}

/* Wait (at most max_ms) until the service runs with a pid other than
 * old_pid; its entry is copied out. */
static bool wait_running(const char *name, uint64_t old_pid, uint64_t max_ms, struct init_proc *out)
{
    uint64_t end = chaos_now_ns() + max_ms * MS;
    for (;;) {
        long n = ps();
        const struct init_proc *p = n > 0 ? ps_find(n, name) : NULL;
        if (p && p->state == MOS_PROC_ALIVE && p->pid != old_pid) {
            *out = *p;
            return true;
        }
        if (chaos_now_ns() >= end)
            return false;
        (void)mos_thread_block(MS / 5);
    }
}

/* A well-formed request, answered by the (new) service; it may still be
 * starting, so the call waits in the endpoint's queue. */
static bool probe(struct target *t, const char *when)
{
    step("probing", t);
    long e = chaos_probe(t->kind, t->ep);
    if (e == -MOS_EDEAD)                    /* the incarnation we reached died under it */
        e = chaos_probe(t->kind, t->ep);
    if (e) {
        problem(t, "a well-formed request %s: %s", when, e == 1 ? "wrong answer" : mos_strerror(e));
        return false;
    }
    t->probes_ok++;
    return true;
}

/* Kill the service once at a moment chosen by `moment` (0: at once, 1:
 * after a spin, 2: after a sleep) and check the restart. */
static bool kill_once(struct target *t, unsigned moment)
{
    struct init_proc cur;
    step("waiting until it runs, to kill", t);
    if (!wait_running(t->name, 0, CHAOS_RESTART_MAX_MS, &cur)) {
        problem(t, "not running before kill %u", t->kills + 1);
        return false;
    }
    if (moment == 1) {
        uint64_t end = chaos_now_ns() + rnd() % (MS / 2);
        while (chaos_now_ns() < end)
            __builtin_ia32_pause();
    } else if (moment == 2) {
        (void)mos_thread_block(MS / 2 + rnd() % (4 * MS));
    }
    uint64_t t0 = chaos_now_ns();
    step("INIT_KILL", t);
    long e = init_kill(cur.pid);
    if (e) {
        problem(t, "INIT_KILL of pid %llu: %s", (unsigned long long)cur.pid, mos_strerror(e));
        return false;
    }
    t->kills++;
    t->moments[moment]++;
    struct init_proc now;
    step("waiting for the restart of", t);
    if (!wait_running(t->name, cur.pid, CHAOS_RESTART_MAX_MS, &now)) {
        problem(t, "kill %u: not running again within %u ms", t->kills, CHAOS_RESTART_MAX_MS);
        return false;
    }
    uint64_t lat = chaos_now_ns() - t0;
    t->restarts_seen++;
    if (now.restarts != cur.restarts + 1)
        problem(t, "kill %u: restarts %u -> %u (one expected)", t->kills, cur.restarts, now.restarts);
    if (lat > CHAOS_RESTART_MAX_MS * MS)
        problem(t, "kill %u: running again only after %llu ms", t->kills, (unsigned long long)(lat / MS));
    if (lat < CHAOS_BACKOFF_MS * MS)
        problem(t, "kill %u: running again after %llu us, before the %u ms back-off", t->kills,
                (unsigned long long)(lat / 1000), CHAOS_BACKOFF_MS);
    if (!t->lat_min || lat < t->lat_min)
        t->lat_min = lat;
    if (lat > t->lat_max)
        t->lat_max = lat;
    t->lat_sum += lat;
    return true;
}

static void load_start(struct target *t, unsigned id)
{
    t->load = (struct chaos_load){ .kind = t->kind, .cap = t->ep, .id = id };
    long e = mos_thread_start(&t->thread, chaos_load_run, &t->load, 10, -1);
    if (e)
        problem(t, "cannot start its load thread: %s", mos_strerror(e));
}

static void load_stop(struct target *t)
{
    step("stopping the load thread of", t);
    t->load.stop = true;
    /* A load call may wait in the queue for the next incarnation. */
    long e = mos_thread_join(&t->thread, 5000 * MS);
    if (e)
        problem(t, "its load thread did not stop: %s", mos_strerror(e));
}

static unsigned pick_moment(void)
{
    unsigned x = (unsigned)(rnd() % 10);
    return x < 2 ? 0 : x < 6 ? 1 : 2;
}

/* ------------------------------------------------------------- a run */

static void report_target(struct target *t)
{
    uint32_t kills = t->kills;
    printf("CHAOS %s: %u kills (%u at once, %u after a spin, %u after a sleep; +1 warm-up), %u restarts seen, "
           "restart %llu..%llu us (mean %llu), %u probes ok, load %llu ok / %llu lost to kills / %llu bad\n",
           t->name, kills, t->moments[0], t->moments[1], t->moments[2], t->restarts_seen,
           (unsigned long long)(t->lat_min / 1000), (unsigned long long)(t->lat_max / 1000),
           (unsigned long long)(kills ? t->lat_sum / kills / 1000 : 0), t->probes_ok,
           (unsigned long long)t->load.ok, (unsigned long long)t->load.dead, (unsigned long long)t->load.bad);
    result(t->name, "restarted", !t->problems && t->restarts_seen == t->kills && kills > 0,
           "%u kills, %u restarts seen: %s", kills, t->restarts_seen,
           t->problems ? t->first_problem : "no kill");
    result(t->name, "load", t->load.bad == 0 && t->load.ok > 0,
           "%llu unexpected results (first: op %u got %s), %llu ok", (unsigned long long)t->load.bad,
           t->load.first_bad_op, t->load.first_bad == 1 ? "a wrong answer" : mos_strerror(t->load.first_bad),
           (unsigned long long)t->load.ok);
}

/* The frames line and the leak checks (base: after the warm-up). */
static void check_counters(const struct counters *base, const struct counters *end, uint64_t settle_ms)
{
    int64_t d[C_COUNT];
    for (int i = 0; i < C_COUNT; i++)
        d[i] = (int64_t)(end->v[i] - base->v[i]);
    printf("CHAOS frames: free %llu -> %llu (%+lld); heap pages %+lld, kernel stacks %+lld, kernel page tables "
           "%+lld, process page tables %+lld, memory objects %+lld; accounted %llu -> %llu; threads %+lld; "
           "settled in %llu ms\n",
           (unsigned long long)base->v[C_FREE], (unsigned long long)end->v[C_FREE], (long long)d[C_FREE],
           (long long)d[C_HEAP_PAGES], (long long)d[C_KSTACK], (long long)d[C_KTABLES], (long long)d[C_TABLES],
           (long long)d[C_MEMOBJ],
           (unsigned long long)frames_accounted(base), (unsigned long long)frames_accounted(end),
           (long long)d[C_OBJ0 + MOS_CAP_THREAD], (unsigned long long)settle_ms);

    char diff[400];
    counters_diff(diff, sizeof diff, base, end, true);
    result("kernel", "objects-back", exact_equal(base, end), "after %llu ms:%s", (unsigned long long)settle_ms,
           diff);
    result("kernel", "frames-accounted", frames_accounted(base) == frames_accounted(end),
           "free + heap + stacks + page tables + memory objects: %llu -> %llu (%lld frames "
           "nowhere)", (unsigned long long)frames_accounted(base), (unsigned long long)frames_accounted(end),
           (long long)(frames_accounted(base) - frames_accounted(end)));
    /* Stacks: one per thread, plus at most the cache's (kstack.c). */
    int64_t spare = (int64_t)(end->v[C_KSTACK] / CHAOS_KSTACK_PAGES) - (int64_t)end->v[C_OBJ0 + MOS_CAP_THREAD];
    int64_t spare0 = (int64_t)(base->v[C_KSTACK] / CHAOS_KSTACK_PAGES) -
                     (int64_t)base->v[C_OBJ0 + MOS_CAP_THREAD];
    result("kernel", "stacks-bounded",
           end->v[C_KSTACK] % CHAOS_KSTACK_PAGES == 0 && spare >= 0 && spare - spare0 <= (int64_t)CHAOS_KSTACK_CACHE,
           "%llu stack frames for %llu threads (%lld spare stacks, %lld at the start; the cache keeps %u)",
           (unsigned long long)end->v[C_KSTACK], (unsigned long long)end->v[C_OBJ0 + MOS_CAP_THREAD],
           (long long)spare, (long long)spare0, CHAOS_KSTACK_CACHE);
}

/* "CHAOS quota: name a->b ..." for the processes whose quota use (INIT_PS
 * used_pages: their memory, page tables and kernel objects) changed. */
static void report_quota(const struct init_proc *base, long nbase)
{
    char buf[400];
    size_t len = 0;
    long n = ps();
    for (long i = 0; n > 0 && i < nbase && len < sizeof buf; i++) {
        const struct init_proc *q = i == 0 ? &ps_buf[0] : ps_find(n, base[i].name);
        if (q && q->used_pages != base[i].used_pages)
            len += (size_t)snprintf(buf + len, sizeof buf - len, " %.32s %llu->%llu", base[i].name,
                                    (unsigned long long)base[i].used_pages, (unsigned long long)q->used_pages);
    }
    printf("CHAOS quota pages changed:%s\n", len ? buf : " none");
}

static void check_others(const struct init_proc *before, long nbefore)
{
    long n = ps();
    char others[200] = "";
    size_t ol = 0;
    for (long i = 1; n > 0 && i < nbefore && ol < sizeof others; i++) {
        bool target = false;
        for (unsigned k = 0; k < NTARGETS; k++)
            target |= strncmp(before[i].name, targets[k].name, sizeof before[i].name) == 0;
        if (target)
            continue;
        const struct init_proc *q = ps_find(n, before[i].name);
        if (!q || q->restarts != before[i].restarts || q->state != before[i].state || q->pid != before[i].pid)
            ol += (size_t)snprintf(others + ol, sizeof others - ol, " %s (restarts %u -> %u)", before[i].name,
                                   before[i].restarts, q ? q->restarts : 0);
    }
    result("services", "others-unharmed", n > 0 && !others[0], "%s", n > 0 ? others : " INIT_PS failed");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    init_cap = mos_cap_by_name("init");
    if (!init_cap) {
        printf("chaos: no \"init\" capability\n");
        return 2;
    }
    uint64_t t_start = chaos_now_ns();
    step("starting", NULL);
    if (mos_thread_start(&watchdog_thread, watchdog, NULL, 13, -1))
        printf("chaos: no watchdog thread\n");
    printf("chaos: seed %llu, %u kills in all, back-off %u ms\n", (unsigned long long)CHAOS_SEED, CHAOS_KILLS,
           CHAOS_BACKOFF_MS);

    /* Which targets run; each must answer. */
    struct target *live[NTARGETS];
    unsigned nlive = 0;
    long n = ps();
    for (unsigned i = 0; i < NTARGETS; i++) {
        struct target *t = &targets[i];
        t->ep = mos_cap_by_name(t->cap);
        const struct init_proc *p = n > 0 ? ps_find(n, t->name) : NULL;
        if (!t->ep || !p || p->state != MOS_PROC_ALIVE) {
            if (t->kind == CHAOS_NET)
                printf("TEST chaos/%s/present SKIP no running %s (or no \"%s\" capability)\n", t->name, t->name,
                       t->cap);
            else
                result(t->name, "present", false, "no running %s (or no \"%s\" capability)", t->name, t->cap);
            continue;
        }
        if (!probe(t, "before the first kill")) {
            result(t->name, "answers", false, "%s", t->first_problem);
            continue;
        }
        t->present = true;
        live[nlive++] = t;
    }
    if (!nlive || CHAOS_KILLS < nlive) {
        printf("CHAOS DONE %u passed, %u failed\n", passed, failed + 1);
        return 1;
    }
    /* Warm-up: the load threads once (their stacks' page tables in our
     * space stay), one quiet kill each; then the baseline. */
    for (unsigned i = 0; i < nlive; i++)
        load_start(live[i], i);
    (void)mos_thread_block(20 * MS);
    for (unsigned i = 0; i < nlive; i++)
        load_stop(live[i]);
    for (unsigned i = 0; i < nlive; i++) {
        (void)kill_once(live[i], 1);
        (void)probe(live[i], "after the warm-up kill");
    }
    struct counters base, end;
    step("settling", NULL);
    uint64_t base_ms = settle(&base, NULL, CHAOS_SETTLE_MS);
    printf("chaos: baseline after %llu ms: %llu frames free, %llu accounted\n", (unsigned long long)base_ms,
           (unsigned long long)base.v[C_FREE], (unsigned long long)frames_accounted(&base));
    static struct init_proc base_ps[sizeof ps_buf / sizeof ps_buf[0]];
    long nbase_ps = ps();
    if (nbase_ps > 0)
        memcpy(base_ps, ps_buf, (size_t)nbase_ps * sizeof base_ps[0]);
    for (unsigned i = 0; i < nlive; i++)
        live[i]->kills = live[i]->restarts_seen = 0, memset(live[i]->moments, 0, sizeof live[i]->moments),
        live[i]->lat_min = live[i]->lat_max = live[i]->lat_sum = 0;

    /* The kills under load; the last one of each target without. */
    for (unsigned i = 0; i < nlive; i++)
        load_start(live[i], i);
    bool stopped = false;
    for (unsigned k = 0; k + nlive < CHAOS_KILLS && !stopped; k++) {
        struct target *t = live[rnd() % nlive];
        if (!kill_once(t, pick_moment()))
            stopped = true;
        else if (rnd() % CHAOS_PROBE_EVERY == 0)
            (void)probe(t, "after a restart");
        if ((k + 1) % 250 == 0)
            printf("chaos: %u kills\n", k + 1);
    }
    for (unsigned i = 0; i < nlive; i++)
        load_stop(live[i]);
    for (unsigned i = 0; i < nlive && !stopped; i++) {
        if (!kill_once(live[i], 1))
            stopped = true;
        (void)probe(live[i], "after its last kill");
    }
    step("settling", NULL);
    uint64_t settle_ms = settle(&end, &base, CHAOS_SETTLE_MS);

    uint32_t total = 0;
    for (unsigned i = 0; i < nlive; i++) {
        report_target(live[i]);
        total += live[i]->kills;
    }
    printf("CHAOS kills: %u of %u (+%u warm-up), seed %llu, %llu s guest\n", total, CHAOS_KILLS, nlive,
           (unsigned long long)CHAOS_SEED, (unsigned long long)((chaos_now_ns() - t_start) / (1000 * MS)));
    result("services", "all-kills", total == CHAOS_KILLS, "%u of %u kills done", total, CHAOS_KILLS);
    check_counters(&base, &end, settle_ms);
    report_quota(base_ps, nbase_ps);
    /* The others as at the baseline (by then every service has started:
     * virtio-net waits for pci and may start after chaos). */
    if (nbase_ps > 0)
        check_others(base_ps, nbase_ps);
    else
        result("services", "others-unharmed", false, "INIT_PS failed: %s", mos_strerror(nbase_ps));
    printf("CHAOS DONE %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
