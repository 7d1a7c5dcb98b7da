// SPDX-License-Identifier: MIT
/* race - revocation racing with use on other CPUs. A revoker thread pinned
 * to CPU 0 derives a MEMORY capability and an ENDPOINT capability, maps the
 * memory, lets reader threads pinned to every other CPU use both, revokes
 * them while the readers are busy, and publishes "revoked" once the revoke
 * has returned. The readers spin in tight loops (PAUSE in each iteration,
 * which under QEMU's round-robin TCG hands the host thread to the next
 * vCPU, so both CPUs really interleave) and count every use that succeeded
 * although it started after the revoke had returned:
 *  - kernel probes of the mapping: proc_create reading a zeroed argument
 *    block (-MOS_EINVAL while mapped, -MOS_EFAULT once unmapped) and
 *    cap_inspect writing into it, through the reader CPU's TLB;
 *  - a user-mode read of the page at the start of each round: the two
 *    frames alternate rounds, so a TLB entry that outlived the revoke of the
 *    previous round shows the other frame's tag;
 *  - ipc_notify and a non-blocking ipc_send through the derived endpoint.
 * Every count must be 0, and the kernel's counters must come back at the
 * end. RACE_ROUNDS rounds: 2,000, or 100,000 in the long-run build
 * (UTEST_LONG); on one CPU the reader shares CPU 0 with the revoker (yield
 * instead of PAUSE); under plain QEMU see REALTIME_ROUNDS. A kernel built with CONFIG_SMP_SHOOTDOWN=0 must fail here: the
 * scenario race-noshootdown expects it to (docs/testing.md, "Races"). */
#include "utest.h"
#include <mos/kinfo.h>

#ifndef UTEST_LONG
#define UTEST_LONG 0                       /* 1 in the long-run build (mk/security.mk) */
#endif
#ifndef RACE_ROUNDS
#define RACE_ROUNDS (UTEST_LONG ? 100000 : 2000)
#endif
/* Under plain QEMU (realtime) every vCPU is a host thread on a shared,
 * loaded host, and a vCPU preempted while it holds the kernel lock stalls
 * the others for a host time slice: there one reader, a few rounds, and
 * every wait sleeps (the CPU halts) instead of spinning. */
#define REALTIME_ROUNDS 8
#define REALTIME_READERS 1
#define MAX_READERS 7
#define MS 1000000ull
#define RACE_VA  0x0000440000000000ull     /* the revoked mapping, round by round */
#define ALIAS_VA 0x0000450000000000ull     /* the revoker's own view of both frames */
#define READ_OFF  64u                      /* a zeroed mos_proc_args: proc_create -> EINVAL */
#define WRITE_OFF 1024u                    /* cap_inspect writes its 184 bytes here */
#define STUCK_NS (20000ull * MS)           /* a handshake that takes longer is a failure */

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

static unsigned ncpus(void)
{
    unsigned n = kinfo->ncpus;
    return n ? n : 1;
}

static uint64_t tag_of(uint64_t round)
{
    return 0x5ACE000000000000ull ^ (round * 0x9E3779B97F4A7C15ull) ^ 1;
}

/* Phases: 2k = round k mapped and usable, 2k+1 = round k revoked (the
 * revoke calls have returned), STOP = readers leave. */
#define STOP_PHASE UINT64_MAX
#define WAIT_PHASE (UINT64_MAX - 1)                /* before the first round */

struct reader_stats {
    uint64_t probes, probes_after;          /* kernel probes; those begun after the revoke */
    uint64_t stale_kernel;                  /* ... that succeeded anyway */
    uint64_t user_reads, stale_user;        /* user-mode reads at round start; wrong tag */
    uint64_t ep_uses, ep_after, stale_ep;   /* endpoint uses; after the revoke; succeeded */
    uint64_t first_stale_round;             /* 1 + round, 0 if none */
    long odd_error;                         /* an unexpected result, 0 if none */
};

static struct race {
    volatile uint64_t phase;
    volatile mos_handle_t ep_handle;        /* this round's derived endpoint */
    volatile mos_handle_t inspect_handle;   /* any valid handle, for the write probe */
    volatile uint64_t ack[MAX_READERS];     /* last phase each reader is done with */
    unsigned nreaders;
    bool yield;                             /* one CPU: yield instead of PAUSE */
    bool sleep;                             /* realtime: idle waits sleep */
    struct reader_stats st[MAX_READERS];
} R;

/* One step of a busy loop (the readers' uses). */
static void relax(void)
{
    if (R.yield)
        (void)mos_thread_yield();
    else
        __asm__ volatile("pause" ::: "memory");
}

/* One step of a wait for the other side (a phase, the acknowledgements):
 * under -icount PAUSE hands the host thread to the next vCPU at once; under
 * plain QEMU a spinning vCPU would only keep a host core from the one it
 * waits for, so it sleeps (its CPU halts) instead. */
static void idle_wait(void)
{
    if (R.sleep)
        (void)mos_thread_block(20000);
    else
        relax();
}

static uint64_t load_phase(void)
{
    return __atomic_load_n(&R.phase, __ATOMIC_ACQUIRE);
}

static void note_stale(struct reader_stats *s, uint64_t round)
{
    if (!s->first_stale_round)
        s->first_stale_round = round + 1;
}

/* One kernel probe of the mapping: true if the kernel reached the page. */
static bool probe(struct reader_stats *s, bool write)
{
    long r;
    if (write) {
        r = mos_cap_inspect(R.inspect_handle, RACE_VA + WRITE_OFF, MOS_SELF, 0);
        if (r != 0 && r != -MOS_EFAULT && !s->odd_error)
            s->odd_error = r;
        return r == 0;
    }
    r = mos_proc_create(RACE_VA + READ_OFF);
    if (r >= 0) {                           /* never: the block holds quota 0 */
        (void)mos_proc_destroy((mos_handle_t)r, 0);
        (void)mos_cap_delete((mos_handle_t)r);
        if (!s->odd_error)
            s->odd_error = 1000;
        return true;
    }
    if (r != -MOS_EINVAL && r != -MOS_EFAULT && !s->odd_error)
        s->odd_error = r;
    return r == -MOS_EINVAL;
}

/* One use of the derived endpoint: true if the kernel accepted it. */
static bool ep_use(struct reader_stats *s, mos_handle_t h, bool send)
{
    long r = send ? mos_ipc_send(h, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 0, 0, 0, 0)
                  : mos_ipc_notify(h, 1);
    long ok = send ? -MOS_EAGAIN : 0;       /* nobody receives: a send is refused */
    if (r != ok && r != -MOS_EBADHANDLE && !s->odd_error)
        s->odd_error = r;
    return r == ok;
}

static void reader(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct reader_stats *s = &R.st[id];
    uint64_t seen = WAIT_PHASE;
    bool done = true;                       /* done with the current phase (acked) */
    unsigned n = 0;
    for (;;) {
        uint64_t p = load_phase();
        if (p == STOP_PHASE)
            return;
        uint64_t round = p / 2;
        bool revoked = p & 1;
        if (p != seen) {
            seen = p;
            done = false;
            n = 0;
            if (!revoked) {
                /* The mapping is new (and stays until we acknowledge):
                 * a TLB entry left from the previous round shows the
                 * other frame. */
                uint64_t v = *(volatile uint64_t *)RACE_VA;
                s->user_reads++;
                if (v != tag_of(round)) {
                    s->stale_user++;
                    note_stale(s, round);
                }
                __atomic_store_n(&R.ack[id], p, __ATOMIC_RELEASE);
            }
        }
        if (done) {
            idle_wait();
            continue;
        }
        /* Use the mapping and the endpoint while the revoker revokes them;
         * after the revoke every use must fail. */
        mos_handle_t h = R.ep_handle;
        bool got = probe(s, n & 1);
        s->probes++;
        bool used = ep_use(s, h, n & 2);
        s->ep_uses++;
        if (revoked) {
            s->probes_after++;
            s->ep_after++;
            if (got) {
                s->stale_kernel++;
                note_stale(s, round);
            }
            if (used) {
                s->stale_ep++;
                note_stale(s, round);
            }
            if (++n >= 4) {                 /* read and write probes, notify and send */
                done = true;
                __atomic_store_n(&R.ack[id], p, __ATOMIC_RELEASE);
            }
        } else {
            n++;
        }
        if (R.sleep)
            idle_wait();
        else
            relax();
    }
}

/* Wait until every reader acknowledged phase p; false when stuck. */
static bool wait_acks(uint64_t p)
{
    uint64_t deadline = utest_now_ns() + STUCK_NS;
    for (unsigned i = 0; i < R.nreaders; i++) {
        while (__atomic_load_n(&R.ack[i], __ATOMIC_ACQUIRE) != p) {
            if (utest_now_ns() > deadline) {
                utest_fail(__FILE__, __LINE__, "reader %u stuck before phase %llu", i,
                           (unsigned long long)p);
                return false;
            }
            idle_wait();
        }
    }
    return true;
}

/* Let reader 0 make `k` more uses before the revoke, so the revoke lands
 * at a different point of its loop each round. */
static void let_readers_run(unsigned k)
{
    uint64_t want = R.st[0].probes + k;
    uint64_t deadline = utest_now_ns() + STUCK_NS;
    while (R.st[0].probes < want && utest_now_ns() < deadline)
        idle_wait();
}

struct revoker_result {
    unsigned rounds, rounds_done;
    long err;
};

static void revoker(void *arg)
{
    struct revoker_result *res = arg;
    long frame[2], mid[2];
    for (int j = 0; j < 2; j++) {
        frame[j] = MUST(mos_mem_alloc(1, 0));
        mid[j] = MUST(mos_cap_transfer(frame[j], MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_REVOKE,
                                       0, 0, 0));
        MUST(mos_mem_map(frame[j], MOS_SELF, ALIAS_VA + (uint64_t)j * MOS_PAGE_SIZE, 0, 1,
                         MOS_PROT_READ | MOS_PROT_WRITE));
    }
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ep_mid = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE | MOS_RIGHT_REVOKE, 0, 0, 0));
    R.inspect_handle = (mos_handle_t)ep;
    for (unsigned k = 0; k < res->rounds && !res->err; k++) {
        int j = k & 1;
        volatile uint64_t *alias = (volatile uint64_t *)(ALIAS_VA + (uint64_t)j * MOS_PAGE_SIZE);
        alias[0] = tag_of(k);
        long d = mos_cap_transfer(mid[j], MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0);
        long r = d < 0 ? d : mos_mem_map(d, MOS_SELF, RACE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE);
        long de = r < 0 ? r : mos_cap_transfer(ep_mid, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0);
        if (de < 0) {
            res->err = de;
            utest_fail(__FILE__, __LINE__, "round %u: setting up: %s", k, mos_strerror(de));
            break;
        }
        R.ep_handle = (mos_handle_t)de;
        __atomic_store_n(&R.phase, 2ull * k, __ATOMIC_RELEASE);
        if (!wait_acks(2ull * k))
            break;
        let_readers_run(k % 5);
        long n1 = mos_cap_revoke(mid[j]);
        long n2 = mos_cap_revoke(ep_mid);
        __atomic_store_n(&R.phase, 2ull * k + 1, __ATOMIC_RELEASE);
        if (n1 != 1 || n2 != 1) {
            res->err = n1 != 1 ? n1 : n2;
            utest_fail(__FILE__, __LINE__, "round %u: revoke deleted %ld and %ld capabilities, expected 1 and 1",
                       k, n1, n2);
            break;
        }
        if (!wait_acks(2ull * k + 1))
            break;
        res->rounds_done = k + 1;
    }
    __atomic_store_n(&R.phase, STOP_PHASE, __ATOMIC_RELEASE);
    /* Revoking the roots also takes whatever a failed round left. */
    for (int j = 0; j < 2; j++) {
        EXPECT_EQ(mos_mem_unmap(MOS_SELF, ALIAS_VA + (uint64_t)j * MOS_PAGE_SIZE, 1), 1);
        EXPECT(mos_cap_revoke(frame[j]) >= 1);
        EXPECT_EQ(mos_cap_delete(frame[j]), 0);
    }
    EXPECT(mos_cap_revoke(ep) >= 1);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

struct counters {
    uint64_t free_frames, heap_objects, mappings, objects[8];
};

static void snapshot(struct counters *c)
{
    c->free_frames = kinfo->free_frames;
    c->heap_objects = kinfo->heap_objects;
    c->mappings = kinfo->mappings;
    for (int k = 0; k < 8; k++)
        c->objects[k] = kinfo->objects[k];
}

/* One run: readers on every CPU but 0 (or on CPU 0 when it is the only
 * one), the revoker on CPU 0, `rounds` rounds. Sums the readers' counts
 * into *sum; returns the rounds done. */
static unsigned run_race(unsigned rounds, struct reader_stats *sum, uint64_t *first_stale)
{
    unsigned n = ncpus();
    R = (struct race){ .phase = WAIT_PHASE };
    R.sleep = (kinfo->boot_flags & MOS_BOOT_REALTIME) != 0;
    R.nreaders = n > 1 ? (n - 1 < MAX_READERS ? n - 1 : MAX_READERS) : 1;
    if (R.sleep && R.nreaders > REALTIME_READERS)
        R.nreaders = REALTIME_READERS;
    R.yield = n == 1;
    for (unsigned i = 0; i < MAX_READERS; i++)
        R.ack[i] = WAIT_PHASE;
    struct mos_thread rt[MAX_READERS], vt;
    unsigned started = 0;
    for (unsigned i = 0; i < R.nreaders; i++) {
        int cpu = n > 1 ? (int)(1 + i) : 0;
        if (MUST(mos_thread_start(&rt[i], reader, (void *)(uintptr_t)i, 0, cpu)) < 0)
            break;
        started++;
    }
    static struct revoker_result res;
    res = (struct revoker_result){ .rounds = rounds, .err = started == R.nreaders ? 0 : -1 };
    R.nreaders = started;
    if (MUST(mos_thread_start(&vt, revoker, &res, 0, 0)) == 0)
        EXPECTF(mos_thread_join(&vt, 55000 * MS) == 0, "the revoker did not finish");
    __atomic_store_n(&R.phase, STOP_PHASE, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < started; i++)
        EXPECTF(mos_thread_join(&rt[i], 2000 * MS) == 0, "reader %u did not stop", i);
    *sum = (struct reader_stats){ 0 };
    *first_stale = 0;
    for (unsigned i = 0; i < started; i++) {
        struct reader_stats *s = &R.st[i];
        sum->probes += s->probes;
        sum->probes_after += s->probes_after;
        sum->stale_kernel += s->stale_kernel;
        sum->user_reads += s->user_reads;
        sum->stale_user += s->stale_user;
        sum->ep_uses += s->ep_uses;
        sum->ep_after += s->ep_after;
        sum->stale_ep += s->stale_ep;
        if (s->first_stale_round && (!*first_stale || s->first_stale_round < *first_stale))
            *first_stale = s->first_stale_round;
        EXPECTF(s->odd_error == 0, "reader %u: unexpected result %ld (%s)", i, s->odd_error,
                mos_strerror(s->odd_error));
    }
    EXPECTF(res.rounds_done == rounds, "only %u of %u rounds done", res.rounds_done, rounds);
    EXPECTF(sum->probes_after >= 4ull * res.rounds_done * started,
            "only %llu probes after revokes in %u rounds", (unsigned long long)sum->probes_after, res.rounds_done);
    return res.rounds_done;
}

static void expect_no_stale(const struct reader_stats *sum, uint64_t first)
{
    EXPECTF(sum->stale_kernel + sum->stale_user + sum->stale_ep == 0,
            "stale accesses after revoke: %llu kernel probes, %llu user reads, %llu endpoint uses "
            "(first in round %llu)", (unsigned long long)sum->stale_kernel, (unsigned long long)sum->stale_user,
            (unsigned long long)sum->stale_ep, (unsigned long long)(first ? first - 1 : 0));
}

UTEST(no_use_of_a_revoked_mapping_or_endpoint_succeeds_on_any_cpu)
{
    struct reader_stats sum;
    uint64_t first;
    /* Warm-up: the page tables of the windows and thread stacks stay with
     * this process, so the counters are taken after it, once its threads
     * are freed too: a thread that exited is freed when its CPU next idles
     * (thread_reap), which may be after the join saw it dead. */
    uint64_t threads0 = kinfo->objects[MOS_CAP_THREAD];
    run_race((kinfo->boot_flags & MOS_BOOT_REALTIME) ? 1 : 8, &sum, &first);
    expect_no_stale(&sum, first);
    for (int k = 0; k < 2000 && kinfo->objects[MOS_CAP_THREAD] > threads0; k++)
        (void)mos_thread_block(MS);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads0);
    struct counters before, after;
    snapshot(&before);
    uint64_t t0 = utest_now_ns();
    unsigned rounds = (kinfo->boot_flags & MOS_BOOT_REALTIME) ? REALTIME_ROUNDS : RACE_ROUNDS;
    unsigned done = run_race(rounds, &sum, &first);
    uint64_t ms = (utest_now_ns() - t0) / MS;
    expect_no_stale(&sum, first);
    uint64_t deadline = utest_now_ns() + 500 * MS;
    for (;;) {
        snapshot(&after);
        if (memcmp(&before, &after, sizeof before) == 0 || utest_now_ns() >= deadline)
            break;
        (void)mos_thread_block(MS);
    }
    EXPECTF(memcmp(&before, &after, sizeof before) == 0,
            "kernel counters changed: frames %+lld heap objects %+lld mappings %+lld endpoints %+lld "
            "memory objects %+lld threads %+lld", (long long)(after.free_frames - before.free_frames),
            (long long)(after.heap_objects - before.heap_objects), (long long)(after.mappings - before.mappings),
            (long long)(after.objects[MOS_CAP_ENDPOINT] - before.objects[MOS_CAP_ENDPOINT]),
            (long long)(after.objects[MOS_CAP_MEMORY] - before.objects[MOS_CAP_MEMORY]),
            (long long)(after.objects[MOS_CAP_THREAD] - before.objects[MOS_CAP_THREAD]));
    printf("race: %u rounds, %u readers on %u CPUs: %llu kernel probes (%llu after a revoke, %llu stale), "
           "%llu user reads (%llu stale), %llu endpoint uses (%llu after, %llu stale); %llu ms\n",
           done, R.nreaders, ncpus(), (unsigned long long)sum.probes, (unsigned long long)sum.probes_after,
           (unsigned long long)sum.stale_kernel, (unsigned long long)sum.user_reads,
           (unsigned long long)sum.stale_user, (unsigned long long)sum.ep_uses, (unsigned long long)sum.ep_after,
           (unsigned long long)sum.stale_ep, (unsigned long long)ms);
}
