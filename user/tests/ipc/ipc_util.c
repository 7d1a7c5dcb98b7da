// SPDX-License-Identifier: MIT
/* ipc_util.c - helpers of the ipc group (see ipc_util.h). */
#include "ipc_util.h"

mos_handle_t ipc_new_ep(void)
{
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (ep <= 0) {
        utest_fail(__FILE__, __LINE__, "cap_create(ENDPOINT) failed: %s", mos_strerror(ep));
        return 0;
    }
    return (mos_handle_t)ep;
}

mos_handle_t ipc_derive(mos_handle_t h, uint32_t rights, uint64_t badge)
{
    long d = mos_cap_transfer(h, MOS_SELF, rights, badge, 0, 0);
    if (d <= 0) {
        utest_fail(__FILE__, __LINE__, "cap_transfer(0x%x, rights 0x%x) failed: %s", h, rights,
                   mos_strerror(d));
        return 0;
    }
    return (mos_handle_t)d;
}

bool ipc_wait_state(mos_handle_t th, uint32_t state, uint64_t timeout_ns)
{
    uint64_t end = utest_now_ns() + timeout_ns;
    struct mos_cap_info info;
    for (;;) {
        if (mos_cap_inspect(th, (uint64_t)&info, MOS_SELF, 0) == 0 && info.u.thread.state == state)
            return true;
        if (utest_now_ns() > end)
            return false;
        (void)mos_thread_block(100000);          /* 0.1 ms: sleep, so other CPUs get to run */
    }
}

static void peer_main(void *arg)
{
    struct ipc_peer *p = arg;
    switch (p->op) {
    case PEER_SEND:
        p->result = mos_ipc_send(p->ep, mos_msginfo(p->label, 0, 0, p->flags), p->w[0], p->w[1], p->w[2],
                                 p->w[3]);
        break;
    case PEER_CALL:
        p->result = mos_ipc_call_m(p->ep, mos_msginfo(p->label, 0, 0, 0), p->w, &p->msg);
        break;
    case PEER_RECV: {
        p->result = mos_ipc_recv_m(p->ep, p->timeout ? p->timeout : MOS_TIMEOUT_FOREVER, p->flags, &p->msg);
        struct mos_ipc_buffer *buf = mos_ipc_buffer();
        if (p->result >= 0 && buf && !p->nocopy) {
            memcpy(p->caps, buf->caps, sizeof p->caps);
            memcpy(p->data, buf->data, sizeof p->data);
        }
        break;
    }
    }
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

void ipc_peer_start(struct ipc_peer *p)
{
    p->done = 0;
    p->result = 1;              /* never a result of an IPC call that returned */
    long r = mos_thread_start(&p->thr, peer_main, p, 0, -1);
    if (r < 0)
        utest_fail(__FILE__, __LINE__, "mos_thread_start failed: %s", mos_strerror(r));
}

void ipc_peer_start_blocked(struct ipc_peer *p)
{
    ipc_peer_start(p);
    if (!ipc_wait_state(p->thr.handle, TSTATE_BLOCKED, MS(2000))) {
        struct mos_cap_info info = { 0 };
        long e = mos_cap_inspect(p->thr.handle, (uint64_t)&info, MOS_SELF, 0);
        utest_fail(__FILE__, __LINE__, "peer thread (op %d, label %u) never blocked (inspect %ld, state %u, "
                   "done %d, result %ld)", p->op, p->label, e, info.u.thread.state, p->done, p->result);
    }
}

bool ipc_peer_join(struct ipc_peer *p, uint64_t timeout_ns)
{
    if (mos_thread_join(&p->thr, timeout_ns) != 0) {
        utest_fail(__FILE__, __LINE__, "peer thread (op %d, label %u) did not end", p->op, p->label);
        return false;
    }
    return true;
}

static void runner_main(void *arg)
{
    struct ipc_runner *r = arg;
    r->res = utest_run_child(r->name, r->arg, r->caps, r->ncaps, r->timeout_ms);
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

void ipc_runner_start(struct ipc_runner *r)
{
    r->done = 0;
    if (!r->timeout_ms)
        r->timeout_ms = 10000;
    long e = mos_thread_start(&r->thr, runner_main, r, 0, -1);
    if (e < 0)
        utest_fail(__FILE__, __LINE__, "mos_thread_start failed: %s", mos_strerror(e));
}

struct utest_child ipc_runner_wait(struct ipc_runner *r)
{
    if (mos_thread_join(&r->thr, MS(r->timeout_ms + 5000)) != 0) {
        utest_fail(__FILE__, __LINE__, "child runner for %s did not end", r->name);
        return (struct utest_child){ 0 };
    }
    if (!r->res.finished)
        utest_fail(__FILE__, __LINE__, "child %s did not end within %u ms", r->name, r->timeout_ms);
    return r->res;
}

/* Bare threads: a 4-page stack at the top of their region, thread data
 * saying "no IPC buffer". */
#define BARE_STACK_PAGES 4
struct bare_start {
    void (*fn)(void *);
    void *arg;
};

static void bare_entry(struct bare_start *s)
{
    s->fn(s->arg);
    (void)mos_thread_destroy(MOS_SELF);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

long ipc_bare_start(struct ipc_bare *b, unsigned k, void (*fn)(void *), void *arg)
{
    uint64_t base = MOS_THREAD_STACKS + (200ull + k) * MOS_STACK_REGION;
    uint64_t top = base + MOS_STACK_REGION;
    uint64_t stack = top - BARE_STACK_PAGES * MOS_PAGE_SIZE;
    long sm = mos_mem_alloc(BARE_STACK_PAGES, 0);
    if (sm < 0)
        return sm;
    long r = mos_mem_map((mos_handle_t)sm, MOS_SELF, stack, 0, BARE_STACK_PAGES, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)sm);
        return r;
    }
    struct mos_thread_data *td = (struct mos_thread_data *)(top - sizeof *td);
    td->ipc_buffer = 0;
    td->stack_base = stack;
    td->thread = 0;
    struct bare_start *s = (struct bare_start *)(top - sizeof *td - 64);
    s->fn = fn;
    s->arg = arg;
    r = mos_thread_create(MOS_SELF, (uint64_t)bare_entry, (uint64_t)s - 8, (uint64_t)s, MOS_THREAD_PRIO(16), 0);
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)sm);
        return r;
    }
    td->thread = (mos_handle_t)r;
    *b = (struct ipc_bare){ .thread = (mos_handle_t)r, .stack_mem = (mos_handle_t)sm, .base = base };
    return 0;
}

bool ipc_bare_join(struct ipc_bare *b, uint64_t timeout_ns)
{
    bool ok = ipc_wait_state(b->thread, TSTATE_DEAD, timeout_ns);
    if (!ok)
        utest_fail(__FILE__, __LINE__, "bare thread did not end");
    else {
        (void)mos_cap_delete(b->thread);
        (void)mos_cap_delete(b->stack_mem);
    }
    return ok;
}
