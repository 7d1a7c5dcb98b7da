// SPDX-License-Identifier: MIT
/* exec.c - the executor ("fzexec"): a child of the manager that runs
 * programs. At start it makes its pool (FZ_POOL handles of known types that
 * programs name as pool<j>), maps the stacks of fuzzed threads, starts
 * FZ_WORKERS worker threads and calls the manager READY through its "ctl"
 * endpoint. Each reply is a command: run the program in shared memory, or
 * exit. A program runs with kernel coverage on (mos/kcov.h): the main thread
 * executes its own calls in order and hands calls marked @w<k> to worker k
 * (asynchronous: the main thread goes on, so a blocked worker can wait for
 * a partner the main thread provides); each thread collects its own
 * coverage, which ends up in shared memory. Results go to shared memory as
 * calls finish. A worker still busy at the end (FZ_WORKER_WAIT) marks the
 * executor stuck, and the manager replaces it. Anything a program does may
 * kill the executor (that is the point); the manager starts another.
 * Threads: main and workers share only the worker slots (state word,
 * release/acquire) and shared memory regions each writes alone. */
#include "fuzz.h"

#include "mos_lib.h"
#include <mos/kcov.h>

#define FZ_WORKER_WAIT 2000000ull    /* ns the main thread waits for workers at the end */

enum { W_IDLE, W_POSTED, W_RUNNING };

struct worker {
    volatile uint32_t state;         /* W_*: main posts, the worker runs and finishes */
    unsigned index;                  /* 0-based */
    unsigned slot;                   /* call index whose result it writes */
    uint32_t fail_skip;
    struct fz_call call;
    struct mos_thread thread;
};

static struct fz_shm *const shm = (struct fz_shm *)FZ_SHM_VA;
static struct fz_prog prog;          /* private copy: a call may scribble on shared memory */
static uint64_t pool[FZ_POOL];
static struct worker workers[FZ_WORKERS];
static uint8_t arena[FZ_ARENA_BYTES] __attribute__((aligned(4096)));
static mos_handle_t main_thread;     /* our main thread, for workers to wake it */
static volatile uint32_t main_waiting;  /* main is blocked in wait_worker() */

static long cov_on(uint32_t skip)
{
    return mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_ON, skip, 0, 0, 0, 0);
}

static long cov_read(uint32_t *buf, uint32_t max)
{
    return mos_syscall6(SYS_fuzz_cov_read, (uint64_t)(uintptr_t)buf, max, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------- fuzzed threads */
/* What a thread made by a fuzzed thread_create(entry = func) runs; its
 * argument picks one of four lives, so wake, destroy and IPC find it in
 * different states. */
static void fz_thread_entry(uint64_t arg)
{
    mos_handle_t ep = (mos_handle_t)pool[(arg >> 8) % 2];
    switch (arg & 3) {
    case 1:
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
        break;
    case 2:
        for (unsigned i = 0; i < 64; i++) {
            struct mos_msg m;
            if (mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m) < 0)
                break;
            if (mos_msg_flags(m.info) & MOS_MSG_CALL)
                (void)mos_ipc_reply(0, 0, i, 0, 0, 0);
        }
        break;
    case 3:
        for (unsigned i = 0; i < 16; i++)
            (void)mos_thread_yield();
        break;
    default:
        break;
    }
    (void)mos_thread_destroy(MOS_SELF);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

/* ---------------------------------------------------------------- calls */
static void do_fault(uint64_t kind)
{
    switch (kind % FZ_FAULT_KINDS) {
    case 0: {
        volatile uintptr_t nowhere = 0x10;
        (void)*(volatile uint64_t *)nowhere;
        break;
    }
    case 1:
        *(volatile uint8_t *)(uintptr_t)fz_thread_entry = 0;
        break;
    case 2:
        __asm__ volatile("ud2");
        break;
    case 3:
        __asm__ volatile("int3");
        break;
    case 4: {
        volatile uint64_t zero = 0;
        volatile uint64_t x = 1 / zero;
        (void)x;
        break;
    }
    default:
        __asm__ volatile("hlt");
        break;
    }
}

static uint64_t resolve(const struct fz_arg *a)
{
    switch (a->kind) {
    case FA_RES:
        return a->val < FZ_MAX_CALLS ? (uint64_t)shm->res[a->val] : 0;
    case FA_POOL:
        return pool[a->val % FZ_POOL];
    case FA_ARENA:
        return (uint64_t)(uintptr_t)arena + a->val;
    case FA_MAP:
        return FZ_MAP_VA + (a->val % 0x10000) * 4096;
    case FA_FUNC:
        return (uint64_t)(uintptr_t)fz_thread_entry;
    case FA_STACK:
        return FZ_TSTACK_VA + ((a->val % FZ_TSTACKS) + 1) * FZ_TSTACK_PAGES * 4096ull - 8;
    case FA_IPCREPLY:
        return mos_ipc_buffer()->reply;
    case FA_IPCCAP:
        return mos_ipc_buffer()->caps[a->val & 3];
    default:
        return a->val;
    }
}

static uint64_t now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc();
    return (uint64_t)(((unsigned __int128)(tsc - k->tsc_base) * k->tsc_mult) >> 32);
}

/* Wait at most ns for worker w to finish its call; a finishing worker wakes
 * us (main_waiting), so this costs one block, not a poll loop. */
static void wait_worker(unsigned w, uint64_t ns)
{
    if (w >= FZ_WORKERS)
        return;
    uint64_t deadline = now_ns() + ns;
    while (__atomic_load_n(&workers[w].state, __ATOMIC_ACQUIRE) != W_IDLE) {
        uint64_t now = now_ns();
        if (now >= deadline)
            break;
        __atomic_store_n(&main_waiting, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&workers[w].state, __ATOMIC_SEQ_CST) != W_IDLE)
            (void)mos_thread_block(deadline - now);
        __atomic_store_n(&main_waiting, 0, __ATOMIC_SEQ_CST);
    }
}

static int64_t exec_call(const struct fz_call *c)
{
    uint64_t a[6] = { 0 };
    for (unsigned i = 0; i < c->nargs && i < 6; i++)
        a[i] = resolve(&c->a[i]);
    switch (c->nr) {
    case FZ_P_SETCAPS: {
        struct mos_ipc_buffer *b = mos_ipc_buffer();
        for (unsigned k = 0; k < MOS_MSG_MAX_CAPS; k++)
            b->caps[k] = (mos_handle_t)a[k];
        b->cap_flags = (uint32_t)a[4];
        return 0;
    }
    case FZ_P_FAULT:
        do_fault(a[0]);
        return 0;
    case FZ_P_WAIT:
        wait_worker((unsigned)(a[0] - 1), a[1] % 10000000);
        return 0;
    default:
        return mos_syscall6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}

/* ---------------------------------------------------------------- workers */
static void worker_main(void *arg)
{
    struct worker *w = arg;
    (void)cov_on(0);                 /* allocate the coverage set outside programs */
    (void)cov_read(NULL, 0);
    for (;;) {
        while (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_POSTED)
            (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
        w->state = W_RUNNING;
        (void)cov_on(w->fail_skip);
        int64_t r = exec_call(&w->call);
        uint32_t have = shm->wcov_n[w->index];
        long n = cov_read(&shm->wcov[w->index][have], FZ_COV_WORKER - have);
        if (n > 0)
            shm->wcov_n[w->index] = have + (uint32_t)FZ_MIN((uint64_t)n, (uint64_t)(FZ_COV_WORKER - have));
        shm->res[w->slot] = r;
        __atomic_store_n(&w->state, W_IDLE, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&main_waiting, __ATOMIC_SEQ_CST) && main_thread)
            (void)mos_thread_wake(main_thread);
    }
}

static void post(unsigned wi, unsigned slot, const struct fz_call *c)
{
    struct worker *w = &workers[wi];
    if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_IDLE || !w->thread.handle) {
        shm->res[slot] = FZ_SKIPPED;
        return;
    }
    w->call = *c;
    w->slot = slot;
    w->fail_skip = prog.fail_skip;
    __atomic_store_n(&w->state, W_POSTED, __ATOMIC_RELEASE);
    (void)mos_thread_wake(w->thread.handle);
}

/* A worker still in its call after the program (waiting for a message that
 * never comes): end it and start another in its place. False if that did
 * not work (the manager then replaces the whole executor). */
static bool start_worker(unsigned w)
{
    workers[w].index = w;
    workers[w].state = W_IDLE;
    workers[w].thread.handle = 0;
    if (mos_thread_start(&workers[w].thread, worker_main, &workers[w], 16, -1) != 0)
        return false;
    /* Programs get a copy; the original stays ours (replace_worker). */
    long h = mos_cap_transfer(workers[w].thread.handle, MOS_SELF,
                              MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE, 0, 0, 0);
    pool[6 + w] = h > 0 ? (uint64_t)h : workers[w].thread.handle;
    return true;
}

static bool replace_worker(unsigned w)
{
    struct worker *wk = &workers[w];
    /* Our own handle, or the copy programs see if they deleted ours. */
    if (mos_thread_destroy(wk->thread.handle) < 0) {
        if (mos_thread_destroy(pool[6 + w]) < 0)
            return false;
        wk->thread.handle = (mos_handle_t)pool[6 + w];
    }
    if (mos_thread_join(&wk->thread, 10000000) < 0)
        return false;
    (void)mos_cap_delete((mos_handle_t)pool[6 + w]);
    return start_worker(w);
}

/* ---------------------------------------------------------------- programs */
static void run_program(void)
{
    memcpy(&prog, (const void *)&shm->prog, sizeof prog);
    memset(arena, 0, sizeof arena);
    memcpy(arena, prog.data, FZ_DATA_BYTES);
    for (unsigned i = 0; i < FZ_MAX_CALLS; i++)
        shm->res[i] = FZ_NOT_RUN;
    shm->ncalls_done = 0;
    shm->stuck = 0;
    shm->cov_n = 0;
    for (unsigned w = 0; w < FZ_WORKERS; w++)
        shm->wcov_n[w] = 0;

    (void)cov_on(prog.fail_skip);
    for (unsigned i = 0; i < prog.ncalls && i < FZ_MAX_CALLS; i++) {
        const struct fz_call *c = &prog.c[i];
        shm->ncalls_done = i + 1;
        if (c->thread && c->thread <= FZ_WORKERS && c->nr < FZ_P_SETCAPS)
            post(c->thread - 1u, i, c);
        else
            shm->res[i] = exec_call(c);
    }
    long n = cov_read(shm->cov_main, FZ_COV_MAIN);
    shm->cov_n = n > 0 ? (uint32_t)FZ_MIN((uint64_t)n, (uint64_t)FZ_COV_MAIN) : 0;

    for (unsigned w = 0; w < FZ_WORKERS; w++)
        wait_worker(w, FZ_WORKER_WAIT);
    for (unsigned w = 0; w < FZ_WORKERS; w++) {
        if (__atomic_load_n(&workers[w].state, __ATOMIC_ACQUIRE) != W_IDLE && !replace_worker(w))
            shm->stuck = 1;
    }
}

/* ---------------------------------------------------------------- set-up */
static void make_pool(void)
{
    pool[0] = (uint64_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    pool[1] = (uint64_t)mos_cap_create(MOS_CAP_ENDPOINT, 0);
    pool[2] = (uint64_t)mos_mem_alloc(4, 0);
    pool[3] = (uint64_t)mos_mem_alloc(1, MOS_MEM_CONTIG);
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 32 };
    memcpy(pa.name, "fzpool", 7);
    pool[4] = (uint64_t)mos_proc_create((uint64_t)(uintptr_t)&pa);
    pool[8] = (uint64_t)mos_cap_transfer(pool[0], MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 7, 0, 0);
    pool[9] = (uint64_t)mos_cap_transfer(pool[2], MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0);
    /* Something mapped in the fuzz area, for unmap and overlap. */
    (void)mos_mem_map(pool[2], MOS_SELF, FZ_MAP_VA + (FZ_MAP_PAGES - 4) * 4096ull, 0, 4,
                      MOS_PROT_READ | MOS_PROT_WRITE);
    /* Stacks for fuzzed threads. */
    long st = mos_mem_alloc(FZ_TSTACKS * FZ_TSTACK_PAGES, 0);
    if (st >= 0)
        (void)mos_mem_map((uint64_t)st, MOS_SELF, FZ_TSTACK_VA, 0, FZ_TSTACKS * FZ_TSTACK_PAGES,
                          MOS_PROT_READ | MOS_PROT_WRITE);
    for (unsigned i = 0; i < FZ_POOL; i++) {
        if ((int64_t)pool[i] < 0)
            pool[i] = 0;
    }
    for (unsigned w = 0; w < FZ_WORKERS; w++)
        (void)start_worker(w);
}

int fz_executor_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mos_handle_t ctl = mos_cap_by_name("ctl");
    if (!ctl || shm->magic != FZ_SHM_MAGIC)
        return 2;
    (void)cov_on(0);                 /* allocate the coverage set outside programs */
    (void)cov_read(NULL, 0);
    make_pool();
    uint64_t w[MOS_MSG_WORDS] = { FZ_POOL, 0, 0, 0 };
    struct mos_msg m;
    long r = mos_ipc_call_m(ctl, mos_msginfo(FZ_MSG_READY, 0, 0, 0), w, &m);
    main_thread = shm->main_thread;
    long h = mos_cap_transfer(main_thread, MOS_SELF,
                              MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE, 0, 0, 0);
    pool[5] = h > 0 ? (uint64_t)h : main_thread;
    for (;;) {
        if (r < 0)
            return 3;
        if (mos_msg_label(m.info) == FZ_CMD_EXIT)
            return 0;
        uint64_t seq = m.w[0];
        if (mos_msg_label(m.info) == FZ_CMD_RUN && seq == shm->seq)
            run_program();
        w[0] = seq;
        r = mos_ipc_call_m(ctl, mos_msginfo(FZ_MSG_DONE, 0, 0, 0), w, &m);
    }
}
