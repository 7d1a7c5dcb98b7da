// SPDX-License-Identifier: MIT
/* quota - running out fails cleanly: memory past the quota is -MOS_ENOMEM
 * (and freeing makes room again), a full capability space is -MOS_ENOSPC,
 * threads and page tables past a process's quota are -MOS_ENOMEM, a
 * child's quota comes out of its creator's, and the system stays healthy.
 * Charging rules: DESIGN.md section 3, kernel/mm/memobj.c, vmm.c,
 * kernel/proc/process.c and uthread.c. */
#include "utest.h"
#include "../proc/childproc.h"

#define PG  MOS_PAGE_SIZE
#define RW  (MOS_PROT_READ | MOS_PROT_WRITE)
#define VA  0x0000400000000000ull
#define MS  1000000ull

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

/* Child (quota 1024 pages): allocate 32-page blocks, then single pages,
 * until the quota refuses; check that the refusals leave nothing behind,
 * that mapping (page tables) is refused too, and that freeing makes room. */
UTEST_CHILD(exhaust_memory_quota)
{
    (void)arg;
    static long big[64], small[64];
    int nbig = 0, nsmall = 0;
    long r;
    while ((r = mos_mem_alloc(32, 0)) > 0 && nbig < 64)
        big[nbig++] = r;
    CHECK(r == -MOS_ENOMEM);
    CHECK(nbig >= 20 && nbig < 32);                  /* 1024 pages hold fewer than 32 such blocks */
    while ((r = mos_mem_alloc(1, 0)) > 0 && nsmall < 64)
        small[nsmall++] = r;
    CHECK(r == -MOS_ENOMEM);
    /* A refused call changes nothing, whatever its size or flags. */
    uint64_t objects = kinfo->objects[MOS_CAP_MEMORY], frames = kinfo->free_frames;
    uint64_t heap = kinfo->heap_objects;
    CHECK(mos_mem_alloc(1, 0) == -MOS_ENOMEM);
    CHECK(mos_mem_alloc(1, MOS_MEM_CONTIG) == -MOS_ENOMEM);
    CHECK(mos_mem_alloc(1, MOS_MEM_DMA32) == -MOS_ENOMEM);
    CHECK(mos_mem_alloc(1000, 0) == -MOS_ENOMEM);
    CHECK(kinfo->objects[MOS_CAP_MEMORY] == objects);
    CHECK(kinfo->free_frames == frames);
    CHECK(kinfo->heap_objects == heap);
    /* Mapping where new page tables are needed is refused as well, and
     * leaves no mapping behind. */
    uint64_t mappings = kinfo->mappings;
    long pages_left_for_tables = 0;
    for (uint64_t k = 0; k < 16; k++) {
        r = mos_mem_map(big[0], MOS_SELF, VA + k * (1ull << 39), 0, 1, RW);   /* one PML4 slot each */
        if (r < 0)
            break;
        pages_left_for_tables++;
    }
    CHECK(r == -MOS_ENOMEM);
    CHECK(kinfo->mappings == mappings + (uint64_t)pages_left_for_tables);
    /* Memory already had is fully usable. */
    CHECK(mos_mem_map(big[1], MOS_SELF, VA + 16 * PG, 0, 32, RW) == 0 || pages_left_for_tables == 0);
    /* Freeing a block makes room for exactly such a block again. */
    CHECK(mos_cap_delete(big[nbig - 1]) == 0);
    r = mos_mem_alloc(32, 0);
    CHECK(r > 0);
    CHECK(mos_mem_alloc(32, 0) == -MOS_ENOMEM);
    CHECK(mos_cap_delete(r) == 0);
    for (int k = 0; k < nsmall; k++)
        CHECK(mos_cap_delete(small[k]) == 0);
    for (int k = 0; k < 4; k++)
        CHECK(mos_cap_delete(big[k]) == 0);          /* unmaps what was mapped through them */
    /* With room again, mapping works where it was refused. */
    r = mos_mem_alloc(8, 0);
    CHECK(r > 0);
    CHECK(mos_mem_map(r, MOS_SELF, VA + 15 * (1ull << 39), 0, 8, RW) == 0);
    for (uint64_t i = 0; i < 8 * PG / 8; i++)
        ((volatile uint64_t *)(VA + 15 * (1ull << 39)))[i] = i;
    return 0;
}

UTEST(alloc_past_quota_fails_cleanly_with_enomem)
{
    struct utest_child c = utest_run_child("exhaust_memory_quota", 0, NULL, 0, 20000);
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == MOS_EXIT_CALLED, "child died: reason %u at 0x%llx", c.exit_reason,
            (unsigned long long)c.fault_ip);
    EXPECTF(c.exit_code == 0, "child's check at quota.c line %lld failed", (long long)c.exit_code);
    /* The system is fine: this process allocates and uses memory normally. */
    long m = MUST(mos_mem_alloc(1024, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 1024, RW), 0);
    for (uint64_t i = 0; i < 1024; i++)
        *(volatile uint64_t *)(VA + i * PG) = i;
    for (uint64_t i = 0; i < 1024; i++)
        EXPECT_EQ(*(volatile uint64_t *)(VA + i * PG), i);
    EXPECT_EQ(mos_cap_delete(m), 0);
    /* And a second child can use the whole quota again. */
    c = utest_run_child("exhaust_memory_quota", 0, NULL, 0, 20000);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}

/* Child with a 16-slot capability space (and "self"): create endpoints
 * until the space is full. */
UTEST_CHILD(fill_cspace)
{
    (void)arg;
    mos_handle_t self = mos_cap_by_name("self");
    CHECK(self != 0);
    struct mos_cap_info i;
    CHECK(mos_cap_inspect(self, (uint64_t)&i, MOS_SELF, 0) == 0);
    uint32_t used0 = i.u.proc.caps_used;
    CHECK(used0 < 15);
    long eps[16], r;
    int n = 0;
    while ((r = mos_cap_create(MOS_CAP_ENDPOINT, 0)) > 0 && n < 16)
        eps[n++] = r;
    CHECK(r == -MOS_ENOSPC);
    CHECK(n == (int)(15 - used0));                   /* slot 0 is never used: 15 usable */
    CHECK(mos_cap_inspect(self, (uint64_t)&i, MOS_SELF, 0) == 0);
    CHECK(i.u.proc.caps_used == 15);
    /* Everything that needs a new slot says so, and changes nothing. */
    uint64_t objects = kinfo->objects[MOS_CAP_MEMORY];
    CHECK(mos_mem_alloc(1, 0) == -MOS_ENOSPC);
    CHECK(kinfo->objects[MOS_CAP_MEMORY] == objects);
    CHECK(mos_cap_transfer(eps[0], MOS_SELF, MOS_RIGHT_READ, 0, 0, 0) == -MOS_ENOSPC);
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16 };
    CHECK(mos_proc_create((uint64_t)&pa) == -MOS_ENOSPC);
    uint64_t threads = kinfo->objects[MOS_CAP_THREAD];
    CHECK(mos_thread_create(MOS_SELF, 0x400000, 0, 0, MOS_THREAD_PRIO(1), 0) == -MOS_ENOSPC);
    CHECK(kinfo->objects[MOS_CAP_THREAD] == threads);
    CHECK(mos_cap_create(MOS_CAP_ENDPOINT, 0) == -MOS_ENOSPC);
    /* A freed slot can be used again, once. */
    CHECK(mos_cap_delete(eps[n - 1]) == 0);
    r = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    CHECK(r > 0);
    CHECK(mos_cap_create(MOS_CAP_ENDPOINT, 0) == -MOS_ENOSPC);
    CHECK(mos_cap_delete(r) == 0);
    CHECK(mos_cap_delete(eps[0]) == 0);
    return 0;
}

UTEST(full_capability_space_gives_enospc)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct spawn_opts o = { .cspace_slots = 16, .self_rights = MOS_RIGHT_READ, .exit_ep = (mos_handle_t)ep };
    long p = spawn_self("fill_cspace", 0, &o);
    EXPECTF(p > 0, "spawn: %ld", p);
    if (p <= 0)
        return;
    struct mos_cap_info i;
    EXPECT_EQ(wait_dead(p, ep, 10000, &i), 0);
    EXPECTF(i.u.proc.exit_reason == MOS_EXIT_CALLED, "reason %u", i.u.proc.exit_reason);
    EXPECTF(i.u.proc.exit_code == 0, "child's check at quota.c line %lld failed", (long long)i.u.proc.exit_code);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(cap_transfer_into_full_capability_space_gives_enospc)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "full", code, false), 0);
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    int n = 0;
    long r;
    while ((r = mos_cap_transfer(ep, c.proc, MOS_RIGHT_WRITE, 0, 0, 0)) > 0 && n < 20)
        n++;
    EXPECT_ERR(r, MOS_ENOSPC);
    EXPECT_EQ(n, 15);
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 1, MOS_RIGHT_READ, 0), MOS_ENOSPC);
    uint64_t mappings = kinfo->mappings;
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 1, MOS_RIGHT_READ, 0x20000000), MOS_ENOSPC);
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(mos_mem_unmap(c.proc, 0x20000000, 1), 0);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.caps_used, 15);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(thread_creation_past_quota_is_enomem)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 48, 16, 0, "threads", code, false), 0);
    long t[64], r;
    int n = 0;
    while ((r = raw_child_thread(&c, raw_block_forever, 0, 16)) > 0 && n < 64)
        t[n++] = r;
    EXPECT_ERR(r, MOS_ENOMEM);
    EXPECTF(n >= 2 && n < 48, "%d threads in 48 pages", n);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.threads, (uint32_t)n);
    EXPECT(i.u.proc.used_pages <= i.u.proc.quota_pages);
    uint64_t threads = kinfo->objects[MOS_CAP_THREAD];
    EXPECT_ERR(raw_child_thread(&c, raw_block_forever, 0, 16), MOS_ENOMEM);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);       /* nothing half made */
    /* A thread that ends gives its share back. */
    for (int k = 0; k < n; k++)                       /* all started and waiting */
        EXPECT_EQ(wait_thread_state(t[k], 3, 1000), 0);
    EXPECT_EQ(mos_thread_destroy(t[0]), 0);
    EXPECT_EQ(wait_thread_state(t[0], 4, 1000), 0);
    EXPECT_EQ(mos_cap_delete(t[0]), 0);
    r = raw_child_thread(&c, raw_block_forever, 0, 16);
    EXPECTF(r > 0, "after one thread ended: %ld", r);
    EXPECT_ERR(raw_child_thread(&c, raw_block_forever, 0, 16), MOS_ENOMEM);
    if (r > 0)
        EXPECT_EQ(wait_thread_state(r, 3, 1000), 0);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(wait_dead(c.proc, 0, 2000, &i), 0);
    for (int k = 1; k < n; k++)
        EXPECT_EQ(mos_cap_delete(t[k]), 0);
    if (r > 0)
        EXPECT_EQ(mos_cap_delete(r), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(page_tables_past_quota_are_enomem)
{
    long code = MUST(raw_code_cap());
    uint64_t mappings0 = kinfo->mappings;
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 16, 16, 0, "tables", code, false), 0);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    uint64_t used = i.u.proc.used_pages;
    long m = MUST(mos_mem_alloc(1, 0));
    /* Each mapping in its own 512 GiB slot needs three new tables. */
    int n = 0;
    long r = 0;
    uint64_t mappings = kinfo->mappings;
    for (uint64_t k = 1; k < 64; k++) {
        r = mos_mem_map(m, c.proc, k << 39, 0, 1, MOS_PROT_READ);
        if (r < 0)
            break;
        n++;
        EXPECT_EQ(inspect(c.proc, &i), 0);
        EXPECTF(i.u.proc.used_pages >= used + 3 * (uint64_t)n, "%llu pages used after %d mappings",
                (unsigned long long)i.u.proc.used_pages, n);
        EXPECT(i.u.proc.used_pages <= 16);
    }
    EXPECT_ERR(r, MOS_ENOMEM);
    EXPECT(n >= 1 && n < 5);
    EXPECT_EQ(kinfo->mappings, mappings + (uint64_t)n);        /* the refused one left nothing */
    /* Unmapping does not free the tables (they stay for reuse), so the same
     * slot maps again without new charges. */
    EXPECT_EQ(mos_mem_unmap(c.proc, 1ull << 39, 1), 1);
    EXPECT_EQ(mos_mem_map(m, c.proc, 1ull << 39, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(kinfo->mappings, mappings0);                     /* dead: all gone */
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* Child (quota 1024): a grandchild's quota comes out of the child's. */
UTEST_CHILD(quota_is_taken_from_creator)
{
    (void)arg;
    struct mos_proc_args pa = { .quota_pages = 1024, .cspace_slots = 16 };
    CHECK(mos_proc_create((uint64_t)&pa) == -MOS_ENOMEM);     /* all of it: some is used */
    pa.quota_pages = 600;
    long g = mos_proc_create((uint64_t)&pa);
    CHECK(g > 0);
    CHECK(mos_mem_alloc(600, 0) == -MOS_ENOMEM);               /* 600 + 600 > 1024 */
    long m = mos_mem_alloc(300, 0);
    CHECK(m > 0);
    CHECK(mos_cap_delete(m) == 0);
    CHECK(mos_cap_delete(g) == 0);                              /* the reservation returns */
    m = mos_mem_alloc(600, 0);
    CHECK(m > 0);
    CHECK(mos_cap_delete(m) == 0);
    /* A grandchild that is killed returns it as well. */
    g = mos_proc_create((uint64_t)&pa);
    CHECK(g > 0);
    CHECK(mos_proc_destroy(g, 0) == 0);
    CHECK(mos_cap_delete(g) == 0);
    m = mos_mem_alloc(600, 0);
    CHECK(m > 0);
    return 0;
}

UTEST(child_quota_comes_out_of_creators_quota)
{
    struct utest_child c = utest_run_child("quota_is_taken_from_creator", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECTF(c.exit_code == 0, "child's check at quota.c line %lld failed", (long long)c.exit_code);
}

/* This process's quota use in pages ("self" capability). */
static uint64_t used_pages(mos_handle_t self)
{
    struct mos_cap_info i;
    if (mos_cap_inspect(self, (uint64_t)&i, MOS_SELF, 0) != 0)
        return UINT64_MAX;
    return i.u.proc.used_pages;
}

static void idle_thread(void *arg)
{
    (void)arg;
}

/* One round of everything that charges this process's quota, each undone. */
static long charge_and_refund_round(mos_handle_t code)
{
    for (int k = 0; k < 100; k++) {
        long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        CHECK(ep > 0);
        CHECK(mos_cap_delete(ep) == 0);
    }
    for (int k = 0; k < 20; k++) {
        long m = mos_mem_alloc(3, k & 1 ? MOS_MEM_CONTIG : 0);
        CHECK(m > 0);
        CHECK(mos_mem_map(m, MOS_SELF, VA, 0, 3, RW) == 0);
        *(volatile uint64_t *)(VA + 2 * PG) = 1;
        CHECK(mos_cap_delete(m) == 0);
    }
    for (int k = 0; k < 5; k++) {
        struct mos_thread t;
        CHECK(mos_thread_start(&t, idle_thread, NULL, 0, -1) == 0);
        CHECK(mos_thread_join(&t, 1000 * MS) == 0);
    }
    for (int k = 0; k < 5; k++) {
        long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        CHECK(ep > 0);
        struct raw_child c;
        CHECK(raw_child_create(&c, 40, 16, (mos_handle_t)ep, "grandchild", code, true) == 0);
        long m = mos_mem_alloc(2, 0);
        CHECK(m > 0);
        CHECK(mos_mem_grant(m, c.proc, 0, 2, MOS_RIGHT_READ, 0x20000000) > 0);
        long t = raw_child_thread(&c, raw_stack_exit_thread, 0, 16);
        CHECK(t > 0);
        struct mos_cap_info i;
        CHECK(wait_dead(c.proc, (mos_handle_t)ep, 1000, &i) == 0);
        CHECK(mos_cap_delete(t) == 0);
        CHECK(mos_cap_delete(c.proc) == 0);
        CHECK(mos_cap_delete(m) == 0);
        CHECK(mos_cap_delete(ep) == 0);
    }
    return 0;
}

/* Child with "self": the quota use comes back to the page after rounds of
 * charging and refunding (a leaked charge of even a few bytes per endpoint
 * would add up over the hundreds made). */
UTEST_CHILD(quota_use_returns_exactly)
{
    (void)arg;
    mos_handle_t self = mos_cap_by_name("self");
    CHECK(self != 0);
    long code = raw_code_cap();
    CHECK(code > 0);
    long r = charge_and_refund_round((mos_handle_t)code);      /* warm-up: page tables stay */
    if (r)
        return r;
    (void)mos_thread_block(2 * MS);
    uint64_t base = used_pages(self);
    CHECK(base != UINT64_MAX);
    for (int round = 0; round < 3; round++) {
        r = charge_and_refund_round((mos_handle_t)code);
        if (r)
            return r;
    }
    (void)mos_thread_block(2 * MS);
    if (used_pages(self) != base)
        return 100000 + (long)(used_pages(self) - base);       /* pages leaked */
    /* Charges are real: 200 live endpoints use pages, and give them back. */
    long eps[200];
    for (int k = 0; k < 200; k++) {
        eps[k] = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        CHECK(eps[k] > 0);
    }
    CHECK(used_pages(self) > base);
    for (int k = 0; k < 200; k++)
        CHECK(mos_cap_delete(eps[k]) == 0);
    CHECK(used_pages(self) == base);
    return 0;
}

UTEST(quota_use_returns_exactly_after_charges_are_refunded)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct spawn_opts o = { .self_rights = MOS_RIGHT_READ, .exit_ep = (mos_handle_t)ep, .cspace_slots = 512 };
    long p = spawn_self("quota_use_returns_exactly", 0, &o);
    EXPECTF(p > 0, "spawn: %ld", p);
    if (p <= 0)
        return;
    struct mos_cap_info i;
    EXPECT_EQ(wait_dead(p, ep, 20000, &i), 0);
    EXPECTF(i.u.proc.exit_reason == MOS_EXIT_CALLED, "reason %u at 0x%llx", i.u.proc.exit_reason,
            (unsigned long long)i.u.proc.fault_ip);
    EXPECTF(i.u.proc.exit_code < 100000, "%lld pages of quota not given back", (long long)i.u.proc.exit_code - 100000);
    EXPECTF(i.u.proc.exit_code == 0 || i.u.proc.exit_code >= 100000, "child's check at quota.c line %lld failed",
            (long long)i.u.proc.exit_code);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
