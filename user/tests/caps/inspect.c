// SPDX-License-Identifier: MIT
/* caps: cap_inspect reports every field of every capability type (and
 * zeroes the rest), MOS_INSPECT_NEXT walks the whole space, and a bad out
 * pointer is refused with -MOS_EFAULT without writing anything. */
#include "kid.h"

#define VA_A 0x0000400000000000ull
#define EP_RIGHTS (MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC)
#define SEC 1000000000ull
#define GIB4 0x100000000ull

static bool tail_zero(const struct mos_cap_info *i, size_t from)
{
    return bytes_all((const uint8_t *)&i->u + from, sizeof i->u - from, 0);
}

static struct mos_cap_info inspect_in(mos_handle_t h, mos_handle_t proc)
{
    struct mos_cap_info info;
    memset(&info, 0xAA, sizeof info);              /* every byte must be written */
    if (mos_cap_inspect(h, (uint64_t)&info, proc, 0) != 0)
        memset(&info, 0, sizeof info);
    return info;
}

UTEST(inspect_memory_reports_every_field)
{
    long m = MUST(mos_mem_alloc(3, MOS_MEM_CONTIG));
    struct mos_cap_info i = inspect_in(m, MOS_SELF);
    EXPECT_EQ(i.handle, m);
    EXPECT_EQ(i.type, MOS_CAP_MEMORY);
    EXPECT_EQ(i.rights, MOS_RIGHTS_ALL);
    EXPECT_EQ(i.flags, MOS_MEM_CONTIG);
    EXPECT_EQ(i.badge, 0);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 3);
    EXPECT(i.object_id != 0);
    EXPECT(i.phys != 0 && i.phys % MOS_PAGE_SIZE == 0);
    EXPECT(tail_zero(&i, 0));
    uint64_t phys = i.phys, id = i.object_id;
    /* A sub-range: phys is that of its first page. */
    long d = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0x99, 1, 2));
    i = inspect_in(d, MOS_SELF);
    EXPECT_EQ(i.handle, d);
    EXPECT_EQ(i.type, MOS_CAP_MEMORY);
    EXPECT_EQ(i.rights, MOS_RIGHT_READ);
    EXPECT_EQ(i.flags, MOS_MEM_CONTIG);
    EXPECT_EQ(i.badge, 0x99);
    EXPECT_EQ(i.base, 1);
    EXPECT_EQ(i.count, 2);
    EXPECT_EQ(i.object_id, id);
    EXPECT_EQ(i.phys, phys + MOS_PAGE_SIZE);
    EXPECT(tail_zero(&i, 0));
    /* Not contiguous: no physical address. */
    long n = MUST(mos_mem_alloc(2, 0));
    i = inspect_in(n, MOS_SELF);
    EXPECT_EQ(i.type, MOS_CAP_MEMORY);
    EXPECT_EQ(i.flags, 0);
    EXPECT_EQ(i.count, 2);
    EXPECT_EQ(i.phys, 0);
    EXPECT(i.object_id != 0 && i.object_id != id);
    EXPECT(tail_zero(&i, 0));
    /* DMA32: contiguous and below 4 GiB. */
    long dm = MUST(mos_mem_alloc(2, MOS_MEM_DMA32));
    i = inspect_in(dm, MOS_SELF);
    EXPECT_EQ(i.flags, MOS_MEM_DMA32 | MOS_MEM_CONTIG);
    EXPECT(i.phys != 0 && i.phys % MOS_PAGE_SIZE == 0 && i.phys + 2 * MOS_PAGE_SIZE <= GIB4);
    EXPECT(tail_zero(&i, 0));
    EXPECT_EQ(mos_cap_delete(d), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(n), 0);
    EXPECT_EQ(mos_cap_delete(dm), 0);
}

UTEST(inspect_endpoint_reports_every_field)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ep2 = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_cap_info i = inspect_in(ep, MOS_SELF);
    EXPECT_EQ(i.handle, ep);
    EXPECT_EQ(i.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(i.rights, EP_RIGHTS);
    EXPECT_EQ(i.flags, 0);
    EXPECT_EQ(i.badge, 0);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 0);
    EXPECT(i.object_id != 0);
    EXPECT_EQ(i.phys, 0);
    EXPECT(tail_zero(&i, 0));
    uint64_t id = i.object_id;
    EXPECT(inspect_in(ep2, MOS_SELF).object_id != id);
    long b = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0xDEADBEEF00000001ull, 0, 0));
    i = inspect_in(b, MOS_SELF);
    EXPECT_EQ(i.handle, b);
    EXPECT_EQ(i.type, MOS_CAP_ENDPOINT);
    EXPECT_EQ(i.rights, MOS_RIGHT_WRITE);
    EXPECT_EQ(i.badge, 0xDEADBEEF00000001ull);
    EXPECT_EQ(i.object_id, id);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 0);
    EXPECT_EQ(i.phys, 0);
    EXPECT(tail_zero(&i, 0));
    EXPECT_EQ(mos_cap_delete(b), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(ep2), 0);
}

UTEST(inspect_process_reports_every_field)
{
    long e = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long eb = MUST(mos_cap_transfer(e, MOS_SELF, MOS_RIGHT_WRITE, 0x40, 0, 0));
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 32, .exit_ep = (mos_handle_t)eb,
                                .name = "inspected" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    struct mos_cap_info i = inspect_in(p, MOS_SELF);
    EXPECT_EQ(i.handle, p);
    EXPECT_EQ(i.type, MOS_CAP_PROCESS);
    EXPECT_EQ(i.rights, EP_RIGHTS);
    EXPECT_EQ(i.flags, 0);
    EXPECT_EQ(i.badge, 0);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 0);
    EXPECT(i.object_id != 0);
    EXPECT_EQ(i.phys, 0);
    EXPECT(i.u.proc.pid != 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_NONE);
    EXPECT_EQ(i.u.proc.exit_code, 0);
    EXPECT_EQ(i.u.proc.fault_addr, 0);
    EXPECT_EQ(i.u.proc.fault_ip, 0);
    EXPECT_EQ(i.u.proc.quota_pages, 64);
    EXPECTF(i.u.proc.used_pages > 0 && i.u.proc.used_pages <= 16, "used %llu pages",
            (unsigned long long)i.u.proc.used_pages);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(i.u.proc.caps_used, 0);
    EXPECT_EQ(i.u.proc.main_prio, 0);
    EXPECT_EQ(i.u.proc.main_cpu, 0);
    EXPECT(strcmp(i.u.proc.name, "inspected") == 0);
    EXPECT(bytes_all(i.u.proc.name + 9, sizeof i.u.proc.name - 9, 0));
    EXPECT(tail_zero(&i, offsetof(struct mos_cap_info, u.proc.name) - offsetof(struct mos_cap_info, u) + 32));
    uint64_t pid = i.u.proc.pid;
    /* Another process: another pid and object. */
    pa.exit_ep = 0;
    long q = MUST(mos_proc_create((uint64_t)&pa));
    struct mos_cap_info j = inspect_in(q, MOS_SELF);
    EXPECT(j.u.proc.pid != pid);
    EXPECT(j.object_id != i.object_id);
    EXPECT_EQ(mos_cap_delete(q), 0);
    /* Its capabilities are counted. */
    long there = MUST(mos_cap_transfer(e, p, MOS_RIGHT_READ, 0, 0, 0));
    (void)there;
    EXPECT_EQ(inspect_in(p, MOS_SELF).u.proc.caps_used, 1);
    /* Killed: the reason and code are kept, the exit endpoint hears the badge. */
    EXPECT_EQ(mos_proc_destroy(p, 42), 0);
    i = inspect_in(p, MOS_SELF);
    EXPECT_EQ(i.type, MOS_CAP_PROCESS);
    EXPECT_EQ(i.u.proc.pid, pid);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_DEAD);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, 42);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(i.u.proc.caps_used, 0);
    EXPECT(strcmp(i.u.proc.name, "inspected") == 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(e, MOS_TIMEOUT_POLL, 0, &msg), 0);
    EXPECT(mos_msg_flags(msg.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(msg.w[0], 0x40);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(eb), 0);
    EXPECT_EQ(mos_cap_delete(e), 0);
}

struct waiter {
    mos_handle_t ep;
    long result;
};

static void wait_on(void *arg)
{
    struct waiter *w = arg;
    uint64_t x = 0;
    for (int i = 0; i < 100000; i++)                /* run for a while first */
        __asm__ volatile("" : "+r"(x));
    w->result = mos_ipc_recv_m(w->ep, 10 * SEC, 0, NULL);
}

UTEST(inspect_thread_reports_every_field)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    static struct waiter w;
    w = (struct waiter){ .ep = (mos_handle_t)ep, .result = 1 };
    struct mos_thread t;
    EXPECT_EQ(mos_thread_start(&t, wait_on, &w, 20, 0), 0);
    EXPECT(thread_wait_blocked(t.handle, 1000));
    struct mos_cap_info i = inspect_in(t.handle, MOS_SELF);
    EXPECT_EQ(i.handle, t.handle);
    EXPECT_EQ(i.type, MOS_CAP_THREAD);
    EXPECT_EQ(i.rights, EP_RIGHTS);
    EXPECT_EQ(i.flags, 0);
    EXPECT_EQ(i.badge, 0);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 0);
    EXPECT_EQ(i.phys, 0);
    EXPECT(i.u.thread.tid != 0);
    EXPECT(i.object_id != 0);               /* unique among all objects, not the tid */
    struct mos_cap_info again = inspect_in(t.handle, MOS_SELF);
    EXPECT_EQ(again.object_id, i.object_id);
    EXPECT_EQ(i.u.thread.state, 3);                 /* blocked */
    EXPECT_EQ(i.u.thread.prio, 20);
    EXPECT_EQ(i.u.thread.cpu, 0);
    EXPECT_EQ(i.u.thread._pad, 0);
    EXPECT(i.u.thread.runtime_ns > 0);
    EXPECT(tail_zero(&i, sizeof i.u.thread));
    /* Another handle to the same thread names the same object. */
    long t2 = MUST(mos_cap_transfer(t.handle, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(inspect_in(t2, MOS_SELF).object_id, i.object_id);
    EXPECT_EQ(inspect_in(t2, MOS_SELF).rights, MOS_RIGHT_READ);
    EXPECT(inspect_in(first_of_type(MOS_CAP_THREAD), MOS_SELF).u.thread.tid != i.u.thread.tid);
    EXPECT_EQ(mos_ipc_notify(ep, 1), 0);
    struct mos_cap_info d;
    for (int k = 0; k < 1000; k++) {
        d = inspect_in(t2, MOS_SELF);
        if (d.u.thread.state == 4)
            break;
        (void)mos_thread_block(1000000);
    }
    EXPECT_EQ(d.u.thread.state, 4);                 /* dead */
    EXPECT_EQ(w.result, 0);
    EXPECT_EQ(mos_cap_delete(t2), 0);
    EXPECT_EQ(mos_thread_join(&t, SEC), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(inspect_next_enumerates_the_whole_cspace)
{
    static mos_handle_t before[512], after[512];
    uint32_t n0 = cspace_enumerate(MOS_SELF, before, 512);
    EXPECT(n0 > 0 && n0 < 512);
    /* What we started with: the named capabilities and the main thread at least. */
    const struct mos_start *sb = mos_start_block();
    EXPECT(sb != NULL && n0 >= sb->ncaps + 1);
    mos_handle_t made[10];
    for (int k = 0; k < 4; k++)
        made[k] = (mos_handle_t)MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (int k = 4; k < 7; k++)
        made[k] = (mos_handle_t)MUST(mos_mem_alloc(1, 0));
    made[7] = (mos_handle_t)MUST(mos_cap_transfer(made[0], MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    made[8] = (mos_handle_t)MUST(mos_cap_transfer(made[4], MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    struct mos_proc_args pa = { .quota_pages = 32, .cspace_slots = 16, .name = "counted" };
    made[9] = (mos_handle_t)MUST(mos_proc_create((uint64_t)&pa));
    uint32_t n1 = cspace_enumerate(MOS_SELF, after, 512);
    EXPECT_EQ(n1, n0 + 10);
    for (int k = 0; k < 10; k++) {
        int seen = 0;
        for (uint32_t j = 0; j < n1 && j < 512; j++)
            seen += after[j] == made[k];
        EXPECTF(seen == 1, "handle 0x%x seen %d times", made[k], seen);
    }
    for (uint32_t j = 0; j < n0; j++) {
        int seen = 0;
        for (uint32_t x = 0; x < n1 && x < 512; x++)
            seen += after[x] == before[j];
        EXPECTF(seen == 1, "old handle 0x%x seen %d times", before[j], seen);
    }
    /* In index order, each reporting its current handle. */
    for (uint32_t j = 1; j < n1 && j < 512; j++)
        EXPECT(MOS_HANDLE_INDEX(after[j]) > MOS_HANDLE_INDEX(after[j - 1]));
    for (uint32_t j = 0; j < n1 && j < 512; j++)
        EXPECT_EQ(inspect_in(after[j], MOS_SELF).handle, after[j]);
    /* Index 0 starts at the first slot; past the last one there is nothing. */
    struct mos_cap_info i;
    EXPECT_EQ(mos_cap_inspect(0, (uint64_t)&i, MOS_SELF, MOS_INSPECT_NEXT), 0);
    EXPECT_EQ(i.handle, after[0]);
    EXPECT_ERR(mos_cap_inspect(MOS_HANDLE_INDEX(after[n1 - 1]) + 1, (uint64_t)&i, MOS_SELF, MOS_INSPECT_NEXT),
               MOS_ENOENT);
    EXPECT_ERR(mos_cap_inspect(0xFFFFF, (uint64_t)&i, MOS_SELF, MOS_INSPECT_NEXT), MOS_ENOENT);
    EXPECT_ERR(mos_cap_inspect(after[0], (uint64_t)&i, MOS_SELF, 2), MOS_EINVAL);
    /* Deleting shows too. */
    EXPECT_EQ(mos_cap_delete(made[1]), 0);
    EXPECT_EQ(mos_cap_delete(made[5]), 0);
    EXPECT_EQ(mos_cap_delete(made[9]), 0);
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n0 + 7);
    /* Another process's space, counted exactly: empty, then what we put there. */
    long p = MUST(mos_proc_create((uint64_t)&pa));
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 0);
    EXPECT_ERR(mos_cap_inspect(0, (uint64_t)&i, p, MOS_INSPECT_NEXT), MOS_ENOENT);
    mos_handle_t there[5], seen[8];
    for (int k = 0; k < 5; k++)
        there[k] = (mos_handle_t)MUST(mos_cap_transfer(made[k < 2 ? 0 : 6], p, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(cspace_enumerate(p, seen, 8), 5);
    for (int k = 0; k < 5; k++)
        EXPECT_EQ(seen[k], there[k]);
    EXPECT_EQ(inspect_in(p, MOS_SELF).u.proc.caps_used, 5);
    EXPECT_EQ(mos_cap_delete(p), 0);
    for (int k = 0; k < 9; k++)
        if (k != 1 && k != 5)
            (void)mos_cap_delete(made[k]);
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n0);
}

UTEST_CHILD(wait_for_kill)
{
    (void)arg;
    mos_handle_t ctl = mos_cap_by_name("ctl");
    (void)mos_ipc_recv_m(ctl, 10 * SEC, 0, NULL);
    return 1;
}

UTEST(inspect_next_walks_a_running_process)
{
    long ctl = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_spawn_cap caps[] = { { .handle = ctl, .rights = MOS_RIGHT_READ, .name = "ctl" } };
    struct kid k;
    EXPECT_EQ(kid_start(&k, "wait_for_kill", 0, caps, 1), 0);
    /* Wait until it sits in its receive. */
    struct mos_cap_info i;
    for (int n = 0; n < 1000; n++) {
        i = inspect_in(k.proc, MOS_SELF);
        if (i.u.proc.threads == 1) {
            mos_handle_t th = 0;
            struct mos_cap_info x;
            for (uint32_t j = 1; mos_cap_inspect(j, (uint64_t)&x, k.proc, MOS_INSPECT_NEXT) == 0;
                 j = MOS_HANDLE_INDEX(x.handle) + 1)
                if (x.type == MOS_CAP_THREAD)
                    th = x.handle;
            if (th && mos_cap_inspect(th, (uint64_t)&x, k.proc, 0) == 0 && x.u.thread.state == 3)
                break;
        }
        (void)mos_thread_block(1000000);
    }
    i = inspect_in(k.proc, MOS_SELF);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(i.u.proc.threads, 1);
    EXPECT_EQ(i.u.proc.main_prio, MOS_SPAWN_DEFAULT_PRIO);
    EXPECT(strcmp(i.u.proc.name, "wait_for_kill") == 0);
    EXPECT(i.u.proc.caps_used >= 3);                 /* initrd, ctl, its thread, ... */
    EXPECT_EQ(cspace_enumerate(k.proc, NULL, 0), i.u.proc.caps_used);
    /* Without READ on the process capability, nothing can be looked at. */
    long blind = MUST(mos_cap_transfer(k.proc, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    EXPECT_ERR(mos_cap_inspect(1, (uint64_t)&i, blind, MOS_INSPECT_NEXT), MOS_EPERM);
    EXPECT_EQ(mos_cap_delete(blind), 0);
    EXPECT_EQ(mos_proc_destroy(k.proc, 9), 0);
    struct utest_child c = kid_wait(&k, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(c.exit_code, 9);
    EXPECT_EQ(mos_cap_delete(ctl), 0);
}

UTEST(inspect_bad_out_pointer_faults_and_writes_nothing)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    uint32_t n = cspace_enumerate(MOS_SELF, NULL, 0);
    static const uint64_t bad[] = {
        0, 8, 0xFFFF800000000000ull, 0xFFFFFFFF80200000ull, 0x0000800000000000ull,
        0x00007FFFFFFFFFF8ull, 0x0000500000000000ull, ~0ull - 63,
    };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        EXPECTF(mos_cap_inspect(ep, bad[k], MOS_SELF, 0) == -MOS_EFAULT, "out 0x%llx",
                (unsigned long long)bad[k]);
        EXPECTF(mos_cap_inspect(1, bad[k], MOS_SELF, MOS_INSPECT_NEXT) == -MOS_EFAULT, "next, out 0x%llx",
                (unsigned long long)bad[k]);
    }
    /* Read-only pages: a read-only mapping, the kernel info page, our own code. */
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ), 0);
    EXPECT_ERR(mos_cap_inspect(ep, VA_A + 64, MOS_SELF, 0), MOS_EFAULT);
    EXPECT(bytes_all((const void *)VA_A, MOS_PAGE_SIZE, 0));
    const struct mos_kinfo *ki = (const struct mos_kinfo *)MOS_KINFO_ADDR;
    EXPECT_ERR(mos_cap_inspect(ep, MOS_KINFO_ADDR, MOS_SELF, 0), MOS_EFAULT);
    EXPECT_EQ(ki->magic, MOS_KINFO_MAGIC);
    EXPECT_EQ(ki->page_size, MOS_PAGE_SIZE);
    const uint8_t *code = (const uint8_t *)(uintptr_t)&inspect_in;
    uint8_t copy[sizeof(struct mos_cap_info)];
    memcpy(copy, code, sizeof copy);
    EXPECT_ERR(mos_cap_inspect(ep, (uint64_t)(uintptr_t)code, MOS_SELF, 0), MOS_EFAULT);
    EXPECT(memcmp(copy, code, sizeof copy) == 0);
    /* The capability and the space are as they were. */
    EXPECT_EQ(inspect(ep).handle, ep);
    EXPECT_EQ(cspace_enumerate(MOS_SELF, NULL, 0), n + 1);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* A buffer whose first bytes are mapped and the rest not: the call fails
 * and must not have written the part it could reach ("validate, then
 * commit": a failed call leaves no trace). */
UTEST(inspect_out_pointer_straddling_unmapped_page_writes_nothing)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA_A, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE), 0);
    uint8_t *page = (uint8_t *)VA_A;
    memset(page, 0x5A, MOS_PAGE_SIZE);
    EXPECT_ERR(mos_cap_inspect(ep, VA_A + MOS_PAGE_SIZE - 64, MOS_SELF, 0), MOS_EFAULT);
    EXPECTF(bytes_all(page + MOS_PAGE_SIZE - 64, 64, 0x5A), "the mapped part was written: handle 0x%x",
            *(uint32_t *)(page + MOS_PAGE_SIZE - 64));
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA_A, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* A thread that ends at once without touching its stack. */
__asm__(".text\n"
        ".globl caps_thread_exit_now\n"
        "caps_thread_exit_now:\n"
        "    mov $" "19" ", %eax\n"            /* SYS_thread_destroy */
        "    mov $0xFFFFFFFF, %edi\n"          /* MOS_SELF */
        "    syscall\n"
        "1:  mov $" "21" ", %eax\n"            /* SYS_thread_block */
        "    mov $-1, %rdi\n"
        "    syscall\n"
        "    jmp 1b\n");
extern const char caps_thread_exit_now[];
_Static_assert(SYS_thread_destroy == 19 && SYS_thread_block == 21, "numbers used in the asm above");

/* mos_cap_info.object_id: "same object <=> same id", whatever the type.
 * Thread ids and object ids advance at different rates; walk the thread
 * ids across the ids of the objects we hold and look for a clash. */
UTEST(object_ids_differ_between_objects_of_different_types)
{
    static uint8_t stack[256] __attribute__((aligned(16)));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    static uint64_t held[512];
    mos_handle_t hs[512];
    uint32_t n = cspace_enumerate(MOS_SELF, hs, 512), nh = 0;
    uint64_t max_id = 0;
    for (uint32_t i = 0; i < n && i < 512; i++) {
        struct mos_cap_info x = inspect(hs[i]);
        if (x.type != MOS_CAP_THREAD) {
            held[nh++] = x.object_id;
            if (x.object_id > max_id)
                max_id = x.object_id;
        }
    }
    unsigned made = 0;
    for (; made < 4000; made++) {
        long t = mos_thread_create(MOS_SELF, (uint64_t)(uintptr_t)caps_thread_exit_now,
                                   (uint64_t)(uintptr_t)(stack + sizeof stack), 0, MOS_THREAD_PRIO(16), 0);
        if (t < 0) {
            EXPECTF(false, "thread_create: %s", mos_strerror(t));
            break;
        }
        struct mos_cap_info x = inspect((mos_handle_t)t);
        EXPECT_EQ(mos_cap_delete(t), 0);
        for (uint32_t i = 0; i < nh; i++)
            EXPECTF(held[i] != x.object_id, "a thread and another object share object id %llu",
                    (unsigned long long)x.object_id);
        if (x.object_id > max_id)
            break;
        if (made % 64 == 63)
            (void)mos_thread_block(1000000);         /* let the exited ones be reaped */
    }
    EXPECT(made < 4000);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
