// SPDX-License-Identifier: MIT
/* quota/neighbours - a process that has used up everything it was given
 * (memory quota, capability space, room for threads) gets errors, and its
 * neighbours do not notice: while a "hog" child sits exhausted, this
 * process allocates and touches memory, creates endpoints, starts threads,
 * makes IPC round trips and runs a second child, all as usual; once the hog
 * is killed, its frames (at least its quota less the kernel heap's share)
 * and every kernel object it held are back. */
#include "kid.h"
#include <mos/kinfo.h>

#define MS 1000000ull
#define NB_VA 0x00004E0000000000ull

static volatile struct mos_kinfo *const nb_kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

#define HOG_CHECK(c) do { if (!(c)) return __LINE__; } while (0)

static void hog_thread(void *arg)
{
    (void)arg;
    (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

/* Use up the quota (memory, then threads and endpoints are refused too),
 * then fill the capability space; tell the parent (notify "ep") and wait
 * to be killed. Exit code: the line of a failed check. */
UTEST_CHILD(hog)
{
    (void)arg;
    mos_handle_t ep = mos_cap_by_name("ep");
    HOG_CHECK(ep != 0);
    long r;
    unsigned blocks = 0, pages = 0, threads = 0;
    static struct mos_thread t[64];
    while (threads < 4 && mos_thread_start(&t[threads], hog_thread, NULL, 0, -1) == 0)
        threads++;
    while ((r = mos_mem_alloc(32, 0)) > 0)
        blocks++;
    HOG_CHECK(r == -MOS_ENOMEM);
    while ((r = mos_mem_alloc(1, 0)) > 0)
        pages++;
    HOG_CHECK(r == -MOS_ENOMEM);
    HOG_CHECK(blocks > 0);
    /* The quota is kept in bytes: endpoints (64 bytes) still fit in what
     * is left of the last page. */
    unsigned eps = 0;
    while ((r = mos_cap_create(MOS_CAP_ENDPOINT, 0)) > 0)
        eps++;
    HOG_CHECK(r == -MOS_ENOMEM);
    HOG_CHECK(eps < 4096 / 16);
    /* Out of quota: every charged object is refused, and nothing is made. */
    uint64_t objects[8];
    for (int k = 0; k < 8; k++)
        objects[k] = nb_kinfo->objects[k];
    HOG_CHECK(mos_cap_create(MOS_CAP_ENDPOINT, 0) == -MOS_ENOMEM);
    HOG_CHECK(mos_thread_create(MOS_SELF, 0x400000, 0x400000, 0, MOS_THREAD_PRIO(1), 0) == -MOS_ENOMEM);
    struct mos_proc_args pa = { .quota_pages = 16, .cspace_slots = 16 };
    HOG_CHECK(mos_proc_create((uint64_t)&pa) == -MOS_ENOMEM);
    HOG_CHECK(mos_thread_start(&t[threads], hog_thread, NULL, 0, -1) < 0);
    HOG_CHECK(nb_kinfo->objects[MOS_CAP_ENDPOINT] == objects[MOS_CAP_ENDPOINT]);
    HOG_CHECK(nb_kinfo->objects[MOS_CAP_PROCESS] == objects[MOS_CAP_PROCESS]);
    /* Fill the capability space with copies (they cost no quota). */
    while ((r = mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0)) > 0)
        ;
    HOG_CHECK(r == -MOS_ENOSPC);
    HOG_CHECK(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0) == -MOS_ENOSPC);
    HOG_CHECK(mos_mem_alloc(1, 0) == -MOS_ENOSPC);
    /* Still alive and able to say so: notify costs nothing. */
    HOG_CHECK(mos_ipc_notify(ep, 1) == 0);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

static void echo(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, MOS_TIMEOUT_FOREVER, 0, &m);
    while (r == 0 && mos_msg_label(m.info) != 2) {
        uint64_t w[4] = { m.w[0] + 1, 0, 0, 0 };
        r = mos_ipc_reply_recv_m(ep, mos_msginfo(1, 0, 0, 0), w, &m);
    }
    if (r == 0)
        (void)mos_ipc_reply(0, mos_msginfo(2, 0, 0, 0), 0, 0, 0, 0);
}

static void idle(void *arg)
{
    (void)arg;
}

UTEST_CHILD(neighbour)
{
    return (long)arg + 1;
}

/* Everything an ordinary process does, each step checked. */
static void ordinary_work(void)
{
    long m = MUST(mos_mem_alloc(512, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, NB_VA, 0, 512, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    for (uint64_t i = 0; i < 512; i++)
        ((volatile uint64_t *)NB_VA)[i * 512] = i;
    for (uint64_t i = 0; i < 512; i++)
        EXPECT_EQ(((volatile uint64_t *)NB_VA)[i * 512], i);
    EXPECT_EQ(mos_cap_delete(m), 0);
    long eps[100];
    for (int k = 0; k < 100; k++)
        eps[k] = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (int k = 0; k < 100; k++)
        EXPECT_EQ(mos_cap_delete(eps[k]), 0);
    struct mos_thread t[4];
    for (int k = 0; k < 4; k++)
        EXPECT_EQ(mos_thread_start(&t[k], idle, NULL, 0, -1), 0);
    for (int k = 0; k < 4; k++)
        EXPECT_EQ(mos_thread_join(&t[k], 2000 * MS), 0);
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_thread et;
    EXPECT_EQ(mos_thread_start(&et, echo, (void *)(uintptr_t)ep, 0, -1), 0);
    for (uint64_t i = 0; i < 500; i++) {
        const uint64_t w[4] = { i, 0, 0, 0 };
        struct mos_msg r;
        long e = mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), w, &r);
        if (e != 0 || r.w[0] != i + 1) {
            EXPECTF(0, "round trip %llu: %s", (unsigned long long)i, mos_strerror(e));
            break;
        }
    }
    struct mos_msg r;
    EXPECT_EQ(mos_ipc_call_m(ep, mos_msginfo(2, 0, 0, 0), NULL, &r), 0);
    EXPECT_EQ(mos_thread_join(&et, 2000 * MS), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    struct kid k;
    EXPECT_EQ(kid_start(&k, "neighbour", 41, NULL, 0), 0);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECTF(c.finished && c.exit_reason == MOS_EXIT_CALLED && c.exit_code == 42,
            "a new child: reason %u code %lld", c.exit_reason, (long long)c.exit_code);
}

/* One round: start the hog, wait until it reports being exhausted, check
 * it is alive and out of quota, work as usual, kill it. */
static void hog_round(mos_handle_t ep)
{
    struct mos_spawn_cap caps[] = { { .handle = ep, .rights = MOS_RIGHT_WRITE, .name = "ep" } };
    struct kid hog;
    EXPECT_EQ(kid_start(&hog, "hog", 0, caps, 1), 0);
    struct mos_msg m;
    long r = mos_ipc_recv_m(ep, 20000 * MS, 0, &m);
    EXPECTF(r == 0, "the hog did not report being exhausted: %s", mos_strerror(r));
    struct mos_cap_info info;
    EXPECT_EQ(mos_cap_inspect(hog.proc, (uint64_t)&info, MOS_SELF, 0), 0);
    EXPECTF(info.u.proc.state == MOS_PROC_ALIVE, "the hog died: reason %u code %lld (its failed check's line)",
            info.u.proc.exit_reason, (long long)info.u.proc.exit_code);
    EXPECTF(info.u.proc.used_pages == info.u.proc.quota_pages, "the hog uses %llu of %llu pages",
            (unsigned long long)info.u.proc.used_pages, (unsigned long long)info.u.proc.quota_pages);
    ordinary_work();                                     /* while it sits exhausted */
    uint64_t during = nb_kinfo->free_frames;
    struct utest_child c = kid_wait(&hog, 10);           /* kills it */
    EXPECTF(c.exit_reason == MOS_EXIT_KILLED, "the hog ended with reason %u", c.exit_reason);
    /* Its frames came back: all but the kernel heap's share of its quota. */
    uint64_t deadline = utest_now_ns() + 500 * MS, want = during + info.u.proc.quota_pages - 32;
    while (nb_kinfo->free_frames < want && utest_now_ns() < deadline)
        (void)mos_thread_block(MS);
    EXPECTF(nb_kinfo->free_frames >= want, "%lld frames came back when the hog died, expected at least %llu",
            (long long)(nb_kinfo->free_frames - during), (unsigned long long)(want - during));
    printf("quota: the hog used %llu of %llu pages; %llu frames came back when it died\n",
           (unsigned long long)info.u.proc.used_pages, (unsigned long long)info.u.proc.quota_pages,
           (unsigned long long)(nb_kinfo->free_frames - during));
}

UTEST(an_exhausted_process_gets_errors_and_its_neighbours_carry_on)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    hog_round((mos_handle_t)ep);                         /* warm-up */
    (void)mos_thread_block(5 * MS);
    uint64_t heap = nb_kinfo->heap_objects, objects[8];
    for (int k = 0; k < 8; k++)
        objects[k] = nb_kinfo->objects[k];
    hog_round((mos_handle_t)ep);
    /* Every kernel object the hog held is gone. (Free frames are not
     * compared exactly: each spawn maps a new scratch window here, whose
     * page tables stay with this process; hog_round checks the hog's own
     * frames came back.) */
    uint64_t deadline = utest_now_ns() + 500 * MS;
    while (nb_kinfo->heap_objects != heap && utest_now_ns() < deadline)
        (void)mos_thread_block(MS);
    EXPECTF(nb_kinfo->heap_objects == heap, "heap objects %llu, were %llu",
            (unsigned long long)nb_kinfo->heap_objects, (unsigned long long)heap);
    for (int k = 0; k < 8; k++)
        EXPECTF(nb_kinfo->objects[k] == objects[k], "objects of type %d: %llu, were %llu", k,
                (unsigned long long)nb_kinfo->objects[k], (unsigned long long)objects[k]);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
