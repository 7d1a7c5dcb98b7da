// SPDX-License-Identifier: MIT
/* init_ipc.c - init's protocol (proto/init.h, docs/protocols/init.md) and
 * the main loop. Requests come in on init's endpoint, through the badged
 * "init" capabilities init handed out (the badge says who calls and whether
 * it may use the control operations); exit notifications of the services
 * come in on the same endpoint. Every request is answered from a table of
 * methods; nothing a client sends can crash init: unknown operations get
 * -MOS_ENOSYS, short or malformed ones -MOS_EINVAL, capabilities sent to
 * init are deleted at once. */
#include "service.h"

#include "mos_lib.h"
#include "proto/init.h"

struct init_reply {
    uint64_t w[MOS_MSG_WORDS];
    size_t len;                     /* payload bytes, in out[] */
    mos_handle_t cap;               /* moved to the caller, or 0 */
};

typedef long (*init_fn)(const struct mos_msg *m, const struct init_client *c, struct init_reply *r);

static uint8_t out[MOS_MSG_MAX_BYTES] __attribute__((aligned(16)));
static char in_name[MF_NAME_MAX + 1];
static uint64_t init_pid;

static const struct init_client *client_of(uint64_t badge)
{
    for (unsigned i = 0; i < ninit_clients; i++) {
        if (init_clients[i].badge == badge)
            return &init_clients[i];
    }
    return NULL;
}

static void fill_proc(struct init_proc *p, const struct mos_cap_info *info, const char *name, uint32_t restarts)
{
    memset(p, 0, sizeof *p);
    p->pid = info->u.proc.pid;
    strncpy(p->name, name, sizeof p->name - 1);
    p->state = info->u.proc.state;
    p->threads = info->u.proc.threads;
    p->prio = info->u.proc.main_prio;
    p->cpu = info->u.proc.main_cpu;
    p->used_pages = info->u.proc.used_pages;
    p->quota_pages = info->u.proc.quota_pages;
    p->restarts = restarts;
}

/* INIT_PS: init itself, then every service (its current or last process). */
static long init_ps(const struct mos_msg *m, const struct init_client *c, struct init_reply *r)
{
    (void)m;
    (void)c;
    struct init_proc *p = (struct init_proc *)out;
    struct mos_cap_info info;
    unsigned n = 0;
    if (mos_cap_inspect(MOS_INIT_SELF, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) == 0)
        fill_proc(&p[n++], &info, "init", 0);
    for (unsigned i = 0; i < nsvcs && n < MOS_MSG_MAX_BYTES / sizeof *p; i++) {
        const struct svc *s = &svcs[i];
        if (s->proc && mos_cap_inspect(s->proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) == 0) {
            fill_proc(&p[n], &info, s->mf->name, s->restarts);
        } else {
            memset(&info, 0, sizeof info);
            info.u.proc.pid = s->pid;
            info.u.proc.state = s->pid ? MOS_PROC_DEAD : 0;
            info.u.proc.quota_pages = s->mf->quota_pages;
            info.u.proc.main_prio = s->mf->prio;
            fill_proc(&p[n], &info, s->mf->name, s->restarts);
        }
        n++;
    }
    r->len = n * sizeof *p;
    r->w[0] = n;
    return 0;
}

/* INIT_CAPS pid: the capabilities that process holds. */
static long init_caps(const struct mos_msg *m, const struct init_client *c, struct init_reply *r)
{
    (void)c;
    mos_handle_t proc;
    if (m->w[0] == init_pid) {
        proc = MOS_SELF;
    } else {
        struct svc *s = svc_by_pid(m->w[0]);
        if (!s)
            return -MOS_ENOENT;
        proc = s->proc;
    }
    struct init_cap *ic = (struct init_cap *)out;
    const unsigned max = MOS_MSG_MAX_BYTES / sizeof *ic;
    unsigned n = 0, total = 0;
    uint32_t index = 1;
    struct mos_cap_info info;
    while (index < (1u << MOS_HANDLE_INDEX_BITS)) {
        long e = mos_cap_inspect(index, (uint64_t)(uintptr_t)&info, proc, MOS_INSPECT_NEXT);
        if (e < 0) {
            if (e == -MOS_EDEAD)
                return total ? 0 : -MOS_ENOENT;
            break;
        }
        uint32_t at = MOS_HANDLE_INDEX(info.handle);
        if (at < index)
            break;                              /* never goes backwards; do not loop */
        if (n < max) {
            ic[n++] = (struct init_cap){
                .handle = info.handle, .type = info.type, .rights = info.rights, .flags = info.flags,
                .badge = info.badge, .base = info.base, .count = info.count,
            };
        }
        total++;
        index = at + 1;
    }
    r->len = n * sizeof *ic;
    r->w[0] = n;
    r->w[1] = total;
    return 0;
}

/* INIT_KILL pid (control). */
static long init_kill(const struct mos_msg *m, const struct init_client *c, struct init_reply *r)
{
    (void)c;
    (void)r;
    if (m->w[0] == init_pid)
        return -MOS_EPERM;
    struct svc *s = svc_by_pid(m->w[0]);
    if (!s)
        return -MOS_ENOENT;
    if (!svc_quiet(s))
        printf("init: killing %s (pid %llu) on request\n", s->mf->name, (unsigned long long)s->pid);
    return svc_kill(s);
}

/* INIT_SHUTDOWN (control): returns only if power-off failed. */
static long init_shutdown(const struct mos_msg *m, const struct init_client *c, struct init_reply *r)
{
    (void)m;
    (void)c;
    (void)r;
    svc_shutdown();
    return -MOS_EIO;
}

/* INIT_LOOKUP name: a badged WRITE|GRANT copy of a service's endpoint.
 * "init": init's endpoint with the caller's own badge. A service the
 * caller's manifest line uses: the badge of its start-block capability.
 * Any other published endpoint: only for a control client, with a fresh
 * badge (a new client, e.g. for a program it starts). */
static long init_lookup(const struct mos_msg *m, const struct init_client *c, struct init_reply *r)
{
    (void)m;
    if (!c)
        return -MOS_EPERM;
    mos_handle_t ep;
    uint64_t badge = 0;
    if (strcmp(in_name, "init") == 0) {
        ep = init_ep;
        badge = c->badge;
    } else {
        int t = manifest_find_endpoint(&svc_manifest, in_name);
        if (t < 0)
            return -MOS_ENOENT;
        ep = svcs[t].ep;
        const struct svc *s = &svcs[c->svc];
        for (unsigned i = 0; i < s->mf->ncaps; i++) {
            const struct mf_cap *mc = &s->mf->caps[i];
            if (mc->kind == MF_CAP_USE && mc->target == (unsigned)t)
                badge = s->badge[i];
        }
        if (!badge && !c->control)
            return -MOS_EPERM;
        if (!badge)
            badge = svc_new_badge();
    }
    if (!ep)
        return -MOS_ENOENT;
    long h = mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, badge, 0, 0);
    if (h < 0)
        return h;
    r->cap = (mos_handle_t)h;
    r->w[0] = badge;
    return 0;
}

static const struct init_method {
    init_fn fn;
    uint32_t min_bytes;             /* payload */
    bool control;                   /* only for a use:init:control client */
} methods[] = {
    [INIT_PS] = { .fn = init_ps },
    [INIT_CAPS] = { .fn = init_caps },
    [INIT_KILL] = { .fn = init_kill, .control = true },
    [INIT_SHUTDOWN] = { .fn = init_shutdown, .control = true },
    [INIT_LOOKUP] = { .fn = init_lookup, .min_bytes = 1 },
};

static void handle_request(const struct mos_msg *m)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    /* Capabilities are never accepted: delete whatever arrived. */
    for (unsigned i = 0; i < mos_msg_ncaps(m->info) && i < MOS_MSG_MAX_CAPS; i++) {
        if (buf->caps[i])
            (void)mos_cap_delete(buf->caps[i]);
    }
    if (!(mos_msg_flags(m->info) & MOS_MSG_CALL))
        return;                                 /* a plain send: nobody waits for an answer */
    uint32_t op = mos_msg_label(m->info), bytes = mos_msg_bytes(m->info);
    const struct init_client *c = client_of(m->badge);
    struct init_reply r = { 0 };
    long res;
    if (op >= sizeof methods / sizeof methods[0] || !methods[op].fn) {
        res = -MOS_ENOSYS;
    } else if (methods[op].control && !(c && c->control)) {
        res = -MOS_EPERM;
    } else if (bytes < methods[op].min_bytes) {
        res = -MOS_EINVAL;
    } else {
        res = 0;
        if (op == INIT_LOOKUP) {                /* the name, out of the buffer before replying */
            size_t n = strnlen((const char *)buf->data, bytes);
            if (n == 0 || n > MF_NAME_MAX) {
                res = -MOS_EINVAL;
            } else {
                memcpy(in_name, buf->data, n);
                in_name[n] = '\0';
            }
        }
        if (res == 0)
            res = methods[op].fn(m, c, &r);
    }
    if (res < 0)
        r = (struct init_reply){ 0 };
    mos_msginfo_t info;
    int err = mos_ipc_stage(buf, (uint32_t)(int32_t)res, out, r.len, &r.cap, r.cap ? 1 : 0, 1u, 0, &info);
    if (err == 0)
        err = (int)mos_ipc_reply(0, info, r.w[0], r.w[1], r.w[2], r.w[3]);
    if (r.cap) {
        struct mos_cap_info ci;                 /* not delivered (caller gone): do not keep it */
        if (mos_cap_inspect(r.cap, (uint64_t)(uintptr_t)&ci, MOS_SELF, 0) == 0)
            (void)mos_cap_delete(r.cap);
    }
}

void init_serve(void)
{
    struct mos_cap_info self;
    if (mos_cap_inspect(MOS_INIT_SELF, (uint64_t)(uintptr_t)&self, MOS_SELF, 0) == 0)
        init_pid = self.u.proc.pid;
    uint64_t timeout = svc_run_timers();
    for (;;) {
        struct mos_msg m;
        long r = mos_ipc_recv_m(init_ep, timeout, 0, &m);
        if (r == 0) {
            if (mos_msg_flags(m.info) & MOS_MSG_NOTIFY)
                svc_reap();
            else
                handle_request(&m);
        } else if (r != -MOS_ETIMEDOUT) {
            printf("init: receive failed: %s\n", mos_strerror(r));
            (void)mos_thread_block(100ull * 1000000ull);
        }
        timeout = svc_run_timers();
    }
}
