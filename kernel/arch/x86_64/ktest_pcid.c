// SPDX-License-Identifier: MIT
/* ktest_pcid.c - address-space tags as the kernel uses them: with PCID on,
 * every CPU runs with CR4.PCIDE, each process's space has its own nonzero
 * PCID and its threads load CR3 = root | PCID | no-flush, and a dead
 * space's PCID waits (dirty) for the next flush of all CPUs; with PCID off
 * (QEMU's TCG offers no PCID), no CPU has CR4.PCIDE, every space has tag 0
 * and its threads load the bare root. The allocator itself is host-tested
 * (tests/host/test_pcid.c). */
#include "test/ktest.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pcid.h"
#include "cap/kobj.h"
#include "lib/klock.h"
#include "proc/process.h"
#include "sched/clock.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include "sched/thread.h"

static volatile uint64_t cr4_seen[MAX_CPUS];
static volatile bool cr4_done[MAX_CPUS];

static void read_cr4_here(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    cr4_seen[i] = read_cr4();
    __atomic_store_n(&cr4_done[i], true, __ATOMIC_RELEASE);
}

KTEST(pcid_every_cpu_agrees_with_the_mode)
{
    bool on = pcid_enabled();
    for (unsigned i = 0; i < ncpus_online; i++) {
        cr4_done[i] = false;
        struct thread *th = thread_create("cr4", read_cr4_here, (void *)(uintptr_t)i, 4, (int)i);
        KT_EXPECT(t, th != NULL);
        if (!th)
            return;
        thread_start(th);
    }
    for (unsigned i = 0; i < ncpus_online; i++) {
        KT_EXPECT(t, WAIT_UNTIL(__atomic_load_n(&cr4_done[i], __ATOMIC_ACQUIRE), 2000));
        KT_EXPECTF(t, !!(cr4_seen[i] & CR4_PCIDE) == on, "CPU %u: CR4.PCIDE %s, PCID mode %s", i,
                   cr4_seen[i] & CR4_PCIDE ? "set" : "clear", on ? "on" : "off");
    }
}

#define SPACES 3

KTEST(pcid_each_space_has_its_own_tag_and_gives_it_back)
{
    bool on = pcid_enabled();
    struct process *p[SPACES] = { 0 };
    uint64_t fl = klock();
    struct pcid_stats before = pcid_stats();
    for (unsigned i = 0; i < SPACES; i++) {
        int err = process_create(NULL, "pcidtest", 64 * PAGE_SIZE, 16, NULL, 0, &p[i]);
        KT_EXPECT_EQ(t, err, 0);
        if (err)
            break;
        struct vm_space *vs = &p[i]->vs;
        if (on) {
            KT_EXPECTF(t, vs->asid != 0 && vs->asid < PCID_COUNT, "space %u: PCID %u", i, vs->asid);
            KT_EXPECT_EQ(t, vs->switch_root, vs->root | vs->asid | CR3_NOFLUSH);
            for (unsigned j = 0; j < i; j++)
                KT_EXPECTF(t, p[j]->vs.asid != vs->asid, "spaces %u and %u share PCID %u", j, i, vs->asid);
        } else {
            KT_EXPECT_EQ(t, vs->asid, 0);
            KT_EXPECT_EQ(t, vs->switch_root, vs->root);
        }
    }
    struct pcid_stats mid = pcid_stats();
    if (on)
        KT_EXPECT_EQ(t, mid.used, before.used + SPACES);
    else
        KT_EXPECT_EQ(t, mid.used, 0);
    for (unsigned i = 0; i < SPACES; i++) {
        if (!p[i])
            continue;
        process_kill(p[i], MOS_EXIT_KILLED, 0, 0, 0);      /* no threads: torn down now */
        KT_EXPECT_EQ(t, p[i]->vs.asid, 0);
        kobj_put(&p[i]->obj);
    }
    kobj_run_deferred();
    struct pcid_stats after = pcid_stats();
    kunlock(fl);
    KT_EXPECT_EQ(t, after.used, before.used);
    if (on)     /* (a flush round in between would have cleaned them) */
        KT_EXPECT(t, after.dirty == before.dirty + SPACES || after.flushes > before.flushes);
}
