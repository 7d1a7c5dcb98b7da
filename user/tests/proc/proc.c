// SPDX-License-Identifier: MIT
/* proc - processes and threads from ring 3: proc_create's checks, killing a
 * child through its PROCESS capability, exit codes and the exit endpoint,
 * cap_inspect of a PROCESS, thread_create's checks, and the thread calls
 * (destroy, block, wake, yield). Semantics: kernel/syscall/sys_proc.c,
 * kernel/proc/process.c and uthread.c. */
#include "utest.h"
#include "childproc.h"

#define PG MOS_PAGE_SIZE
#define RW (MOS_PROT_READ | MOS_PROT_WRITE)
#define MS 1000000ull

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

static struct mos_proc_args proc_args(uint64_t quota, uint32_t slots, mos_handle_t exit_ep)
{
    struct mos_proc_args a = { .quota_pages = quota, .cspace_slots = slots, .exit_ep = exit_ep };
    strncpy(a.name, "child", sizeof a.name - 1);
    return a;
}

static long create(uint64_t quota, uint32_t slots, mos_handle_t exit_ep)
{
    struct mos_proc_args a = proc_args(quota, slots, exit_ep);
    return mos_proc_create((uint64_t)&a);
}

/* The number of capabilities this process holds. */
static uint32_t my_caps(void)
{
    uint32_t n = 0;
    struct mos_cap_info i;
    for (uint32_t idx = 1; mos_cap_inspect(idx, (uint64_t)&i, MOS_SELF, MOS_INSPECT_NEXT) == 0; idx = MOS_HANDLE_INDEX(i.handle) + 1)
        n++;
    return n;
}

/* This process's main THREAD handle (the spawner moved it here). */
static mos_handle_t own_thread(void)
{
    struct mos_cap_info i;
    for (uint32_t idx = 1; mos_cap_inspect(idx, (uint64_t)&i, MOS_SELF, MOS_INSPECT_NEXT) == 0;
         idx = MOS_HANDLE_INDEX(i.handle) + 1)
        if (i.type == MOS_CAP_THREAD)
            return i.handle;
    return 0;
}

/* The CPU this thread runs on. */
static uint32_t my_cpu(void)
{
    mos_handle_t me = own_thread();
    struct mos_cap_info i;
    EXPECT_EQ(inspect(me, &i), 0);
    return i.u.thread.cpu;
}

/* ---------------------------------------------------------- proc_create */

UTEST(proc_create_bad_pointer_is_efault)
{
    uint32_t caps = my_caps();
    uint64_t procs = kinfo->objects[MOS_CAP_PROCESS];
    EXPECT_ERR(mos_proc_create(0), MOS_EFAULT);
    EXPECT_ERR(mos_proc_create(0xFFFF800000000000ull), MOS_EFAULT);          /* kernel half */
    EXPECT_ERR(mos_proc_create(0xFFFFFFFF80200000ull), MOS_EFAULT);          /* kernel image */
    EXPECT_ERR(mos_proc_create(0x0000500000000000ull), MOS_EFAULT);          /* unmapped */
    EXPECT_ERR(mos_proc_create(0x00007FFFFFFFFFF0ull), MOS_EFAULT);          /* runs past user space */
    /* The last 16 bytes of a mapping, followed by nothing. */
    long m = MUST(mos_mem_alloc(1, 0));
    uint64_t va = 0x0000400000000000ull;
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, va, 0, 1, RW), 0);
    struct mos_proc_args a = proc_args(64, 16, 0);
    memcpy((void *)(va + PG - 16), &a, 16);
    EXPECT_ERR(mos_proc_create(va + PG - 16), MOS_EFAULT);
    /* Readable is enough: a read-only mapping of valid arguments works. */
    memcpy((void *)va, &a, sizeof a);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, va, 1), 1);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, va, 0, 1, MOS_PROT_READ), 0);
    long p = mos_proc_create(va);
    EXPECTF(p > 0, "proc_create from a read-only page: %ld", p);
    EXPECT_EQ(my_caps(), caps + 2);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs + 1);
    if (p > 0)
        EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs);
}

UTEST(proc_create_zero_quota_is_einval)
{
    uint32_t caps = my_caps();
    EXPECT_ERR(create(0, 16, 0), MOS_EINVAL);
    EXPECT_ERR(create(1ull << 40, 16, 0), MOS_EINVAL);                        /* absurd */
    EXPECT_ERR(create(UINT64_MAX, 16, 0), MOS_EINVAL);
    EXPECT_EQ(my_caps(), caps);
}

UTEST(proc_create_quota_beyond_own_is_enomem)
{
    uint32_t caps = my_caps();
    uint64_t procs = kinfo->objects[MOS_CAP_PROCESS];
    EXPECT_ERR(create(4096, 16, 0), MOS_ENOMEM);        /* all of the case's quota: some is used */
    EXPECT_ERR(create(8192, 16, 0), MOS_ENOMEM);        /* twice the case's quota */
    EXPECT_ERR(create(1ull << 27, 16, 0), MOS_ENOMEM);
    EXPECT_ERR(create(1, 16, 0), MOS_ENOMEM);           /* too small for its own structures */
    EXPECT_EQ(my_caps(), caps);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs);
    /* What was refused left nothing charged: most of the quota can still go. */
    long p = create(3000, 16, 0);
    EXPECTF(p > 0, "proc_create(3000 pages): %ld", p);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.u.proc.quota_pages, 3000);
    EXPECT_ERR(create(1096, 16, 0), MOS_ENOMEM);        /* the child's quota came out of ours */
    EXPECT_EQ(mos_cap_delete(p), 0);                    /* ... and goes back with it */
    p = create(3000, 16, 0);
    EXPECT(p > 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
}

UTEST(proc_create_cspace_slots_out_of_range_is_einval)
{
    uint32_t caps = my_caps();
    uint32_t bad[] = { 0, 1, 15, 65537, 1u << 20, UINT32_MAX };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        EXPECTF(create(64, bad[k], 0) == -MOS_EINVAL, "%u slots", bad[k]);
    EXPECT_EQ(my_caps(), caps);
    /* Both ends of 16..65536 are accepted (the slots are charged to the
     * child's quota: 65536 need a big one). */
    long p = create(64, 16, 0);
    EXPECTF(p > 0, "16 slots: %ld", p);
    EXPECT_EQ(mos_cap_delete(p), 0);
    p = create(3000, 65536, 0);
    EXPECTF(p > 0, "65536 slots: %ld", p);
    if (p > 0)
        EXPECT_EQ(mos_cap_delete(p), 0);
}

UTEST(proc_create_exit_endpoint_must_be_a_writable_endpoint)
{
    uint32_t caps = my_caps();
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long ro = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_ERR(create(64, 16, m), MOS_EBADTYPE);
    long p = create(64, 16, 0);
    EXPECT(p > 0);
    EXPECT_ERR(create(64, 16, p), MOS_EBADTYPE);                /* a PROCESS is no endpoint */
    EXPECT_ERR(create(64, 16, ro), MOS_EPERM);                  /* notifying needs WRITE */
    EXPECT_ERR(create(64, 16, 0x000FFFFFu), MOS_EBADHANDLE);
    EXPECT_ERR(create(64, 16, ep ^ 0x00100000u), MOS_EBADHANDLE);   /* stale generation */
    EXPECT_ERR(create(64, 16, MOS_SELF), MOS_EBADHANDLE);
    EXPECT_EQ(my_caps(), caps + 4);
    long q = create(64, 16, ep);
    EXPECT(q > 0);
    EXPECT_EQ(mos_cap_delete(q), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(proc_create_gives_process_cap_and_name)
{
    struct mos_proc_args a = proc_args(64, 16, 0);
    strncpy(a.name, "a-name-of-exactly-31-characters", sizeof a.name);
    long p = MUST(mos_proc_create((uint64_t)&a));
    memset(a.name, 'x', sizeof a.name);                 /* not NUL-terminated: cut at 31 */
    long q = MUST(mos_proc_create((uint64_t)&a));
    struct mos_cap_info i, j;
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(inspect(q, &j), 0);
    EXPECT_EQ(i.type, MOS_CAP_PROCESS);
    EXPECT_EQ(i.rights, MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC);
    EXPECT(strcmp(i.u.proc.name, "a-name-of-exactly-31-characters") == 0);
    EXPECT_EQ(strlen(j.u.proc.name), 31);
    EXPECT(i.u.proc.pid != 0 && j.u.proc.pid != 0 && i.u.proc.pid != j.u.proc.pid);
    EXPECT(i.object_id != j.object_id);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(q), 0);
}

/* --------------------------------------------------------- proc_destroy */

UTEST(proc_destroy_kills_looping_child_and_notifies_exit_endpoint)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long bep = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0x40, 0, 0));   /* badge = the bit */
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)bep, "looper", code, false), 0);
    long t = MUST(raw_child_thread(&c, raw_spin, 0, 16));
    /* Let it spin for a while. */
    struct mos_cap_info i;
    EXPECT_EQ(mos_thread_block(5 * MS), -MOS_ETIMEDOUT);
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_NONE);
    EXPECT_EQ(i.u.proc.threads, 1);
    struct mos_msg msg;
    EXPECT_ERR(mos_ipc_recv_m(ep, MOS_TIMEOUT_POLL, 0, &msg), MOS_ETIMEDOUT);   /* no news yet */
    EXPECT_EQ(mos_proc_destroy(c.proc, -4242), 0);
    /* The exit endpoint hears of it, with the badge as the bits. */
    EXPECT_EQ(mos_ipc_recv_m(ep, 1000 * MS, 0, &msg), 0);
    EXPECT(mos_msg_flags(msg.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(msg.w[0], 0x40);
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_DEAD);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, -4242);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    /* It is dead: a second kill and new threads are refused. */
    EXPECT_ERR(mos_proc_destroy(c.proc, 1), MOS_EDEAD);
    EXPECT_ERR(raw_child_thread(&c, raw_spin, 0, 16), MOS_EDEAD);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(bep), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST_CHILD(spin_forever)
{
    for (volatile uint64_t n = arg;; n++)
        ;
    return 0;
}

UTEST(proc_destroy_kills_spawned_child_in_infinite_loop)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct spawn_opts o = { .exit_ep = (mos_handle_t)ep };
    long p = spawn_self("spin_forever", 0, &o);
    EXPECTF(p > 0, "spawn: %ld", p);
    if (p <= 0)
        return;
    struct mos_cap_info i;
    /* Wait until it runs (its main thread has used CPU time). */
    EXPECT_EQ(mos_thread_block(10 * MS), -MOS_ETIMEDOUT);
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(i.u.proc.threads, 1);
    EXPECT(strcmp(i.u.proc.name, "spin_forever") == 0);
    EXPECT_EQ(mos_proc_destroy(p, 99), 0);
    struct mos_msg msg;
    EXPECT_EQ(mos_ipc_recv_m(ep, 1000 * MS, 0, &msg), 0);
    EXPECT(mos_msg_flags(msg.info) & MOS_MSG_NOTIFY);
    EXPECT_EQ(msg.w[0], 1);                             /* unbadged: bit 0 */
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_DEAD);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, 99);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(proc_destroy_needs_a_writable_process_cap)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "victim", code, false), 0);
    long t = MUST(raw_child_thread(&c, raw_block_forever, 0, 16));
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);
    long ro = MUST(mos_cap_transfer(c.proc, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_proc_destroy(ro, 1), MOS_EPERM);
    EXPECT_ERR(mos_proc_destroy(ep, 1), MOS_EBADTYPE);
    EXPECT_ERR(mos_proc_destroy(t, 1), MOS_EBADTYPE);
    EXPECT_ERR(mos_proc_destroy(0, 1), MOS_EBADHANDLE);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(ro, &i), 0);                      /* READ is enough to look */
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    /* A blocked child dies as well as a running one. */
    EXPECT_EQ(mos_proc_destroy(c.proc, 5), 0);
    EXPECT_EQ(wait_dead(c.proc, 0, 1000, &i), 0);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, 5);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(proc_destroy_before_its_thread_first_runs_ends_process)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "early-victim", code, false), 0);
    /* The child's thread gets the lowest priority on this CPU, so it has
     * not run when the process is destroyed. */
    long t = MUST(mos_thread_create(c.proc, raw_entry(raw_block_forever), 0, 0,
                                    MOS_THREAD_PRIO(1) | MOS_THREAD_CPU(my_cpu()), 0));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(t, &i), 0);
    EXPECT_EQ(i.u.thread.state, 1);
    EXPECT_EQ(mos_proc_destroy(c.proc, 6), 0);
    EXPECT_EQ(wait_dead(c.proc, (mos_handle_t)ep, 1000, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_DEAD);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, 6);
    EXPECT_EQ(mos_proc_destroy(c.proc, 6), -MOS_EDEAD);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* ----------------------------------------------------------- exit codes */

UTEST_CHILD(return_arg)
{
    return (long)arg;
}

UTEST(exit_codes_arrive)
{
    /* Through main's return value (an int in the library)... */
    uint64_t codes[] = { 0, 1, 42, 255, 256, 0x7FFFFFFF, (uint64_t)-1, (uint64_t)-1000 };
    for (unsigned k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        struct utest_child c = utest_run_child("return_arg", codes[k], NULL, 0, 10000);
        EXPECT(c.finished);
        EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
        EXPECTF(c.exit_code == (int64_t)(int32_t)codes[k], "code %lld arrived as %lld", (long long)codes[k],
                (long long)c.exit_code);
    }
    /* ... and all 64 bits of proc_destroy(MOS_SELF, code). */
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    int64_t big[] = { 0x123456789ABCDEF0ll, INT64_MIN, -1, 0 };
    for (unsigned k = 0; k < 4; k++) {
        struct raw_child c = { 0 };
        EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "exiter", code, false), 0);
        long t = MUST(raw_child_thread(&c, raw_exit_code, (uint64_t)big[k], 16));
        struct mos_cap_info i;
        EXPECT_EQ(wait_dead(c.proc, (mos_handle_t)ep, 1000, &i), 0);
        EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_CALLED);
        EXPECTF(i.u.proc.exit_code == big[k], "code 0x%llx arrived as 0x%llx", (unsigned long long)big[k],
                (unsigned long long)i.u.proc.exit_code);
        EXPECT_EQ(i.u.proc.fault_addr, 0);
        EXPECT_EQ(i.u.proc.fault_ip, 0);
        EXPECT_EQ(mos_cap_delete(t), 0);
        EXPECT_EQ(mos_cap_delete(c.proc), 0);
    }
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(last_thread_exit_ends_process_with_no_threads)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "lastthread", code, true), 0);
    long t1 = MUST(raw_child_thread(&c, raw_block_forever, 0, 16));
    long t2 = MUST(raw_child_thread(&c, raw_stack_exit_thread, 0, 16));
    EXPECT_EQ(wait_thread_state(t2, 4, 1000), 0);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);          /* one thread left */
    EXPECT_EQ(i.u.proc.threads, 1);
    EXPECT_EQ(mos_thread_destroy(t1), 0);
    EXPECT_EQ(wait_dead(c.proc, (mos_handle_t)ep, 1000, &i), 0);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_NO_THREADS);
    EXPECT_EQ(mos_cap_delete(t1), 0);
    EXPECT_EQ(mos_cap_delete(t2), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* ------------------------------------------------ cap_inspect of PROCESS */

UTEST(inspect_process_shows_state_threads_and_quota)
{
    long code = MUST(raw_code_cap());
    struct mos_proc_args a = proc_args(100, 32, 0);
    strncpy(a.name, "inspected", sizeof a.name - 1);
    long p = MUST(mos_proc_create((uint64_t)&a));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.type, MOS_CAP_PROCESS);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_ALIVE);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_NONE);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(i.u.proc.caps_used, 0);
    EXPECT_EQ(i.u.proc.quota_pages, 100);
    EXPECT(i.u.proc.used_pages >= 1 && i.u.proc.used_pages < 100);   /* its own structures */
    EXPECT(strcmp(i.u.proc.name, "inspected") == 0);
    uint64_t used0 = i.u.proc.used_pages;
    /* Mapping into it charges its page tables to it. */
    EXPECT_EQ(mos_mem_map(code, p, RAW_CODE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT(i.u.proc.used_pages > used0);
    uint64_t used1 = i.u.proc.used_pages;
    /* A thread counts, and costs. */
    long t = MUST(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0, MOS_THREAD_PRIO(7), 0));
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.u.proc.threads, 1);
    EXPECT(i.u.proc.used_pages > used1);
    EXPECT_EQ(i.u.proc.main_prio, 7);
    /* Capabilities given to it count. */
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT(mos_cap_transfer(ep, p, MOS_RIGHT_WRITE, 0, 0, 0) > 0);
    EXPECT_EQ(inspect(p, &i), 0);
    EXPECT_EQ(i.u.proc.caps_used, 1);
    /* The thread's own view matches. */
    struct mos_cap_info ti;
    EXPECT_EQ(inspect(t, &ti), 0);
    EXPECT_EQ(ti.type, MOS_CAP_THREAD);
    EXPECT_EQ(ti.u.thread.state, 3);
    EXPECT_EQ(ti.u.thread.prio, 7);
    EXPECT(ti.u.thread.tid != 0);
    EXPECT_EQ(mos_proc_destroy(p, 3), 0);
    EXPECT_EQ(wait_dead(p, 0, 1000, &i), 0);
    EXPECT_EQ(i.u.proc.state, MOS_PROC_DEAD);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(i.u.proc.caps_used, 0);
    EXPECT_EQ(i.u.proc.exit_reason, MOS_EXIT_KILLED);
    EXPECT_EQ(i.u.proc.exit_code, 3);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* -------------------------------------------------------- thread_create */

#define TSTACK_VA 0x0000410000000000ull      /* stacks of raw threads in this process */
#define TIPC_VA   0x0000420000000000ull      /* an IPC buffer for them */

static volatile uint64_t seen_arg[8];
static volatile uint64_t spin_count;
static volatile long block_result = 1;
static volatile int block_done;

/* Raw thread entries in this process: no thread data, no IPC buffer use. */
__attribute__((noreturn)) static void raw_record_arg(uint64_t arg)
{
    seen_arg[arg & 7] = arg;
    (void)mos_thread_destroy(MOS_SELF);
    for (;;)
        ;
}

__attribute__((noreturn)) static void raw_counting_spin(uint64_t arg)
{
    (void)arg;
    for (;;)
        spin_count++;
}

__attribute__((noreturn)) static void raw_block_once(uint64_t timeout)
{
    block_result = mos_thread_block(timeout);
    block_done = 1;
    (void)mos_thread_destroy(MOS_SELF);
    for (;;)
        ;
}

/* Stack k (64 KiB each, 16 of them) for raw threads of this process. */
static uint64_t stack_top(unsigned k)
{
    static long mem;
    if (!mem) {
        mem = MUST(mos_mem_alloc(16 * 16, 0));
        EXPECT_EQ(mos_mem_map(mem, MOS_SELF, TSTACK_VA, 0, 16 * 16, RW), 0);
        long ipc = MUST(mos_mem_alloc(MOS_IPC_BUFFER_PAGES, 0));
        EXPECT_EQ(mos_mem_map(ipc, MOS_SELF, TIPC_VA, 0, MOS_IPC_BUFFER_PAGES, RW), 0);
    }
    return TSTACK_VA + (uint64_t)(k + 1) * 16 * PG - 8;    /* as after a call */
}

static long start(void (*fn)(uint64_t), unsigned k, uint64_t arg, uint64_t prio_cpu)
{
    return mos_thread_create(MOS_SELF, (uint64_t)fn, stack_top(k), arg, prio_cpu, TIPC_VA);
}

UTEST(thread_create_bad_entry_is_einval)
{
    uint64_t sp = stack_top(0), threads = kinfo->objects[MOS_CAP_THREAD];
    uint64_t bad[] = { 0, 1, 0xFFF, 0x0000800000000000ull, 0xFFFF800000000000ull, 0xFFFFFFFF80200000ull,
                       UINT64_MAX };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        EXPECTF(mos_thread_create(MOS_SELF, bad[k], sp, 0, MOS_THREAD_PRIO(16), TIPC_VA) == -MOS_EINVAL,
                "entry 0x%llx", (unsigned long long)bad[k]);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
}

UTEST(thread_create_bad_stack_is_einval)
{
    uint64_t threads = kinfo->objects[MOS_CAP_THREAD];
    uint64_t bad[] = { 0x0000800000000008ull, 0xFFFF800000001000ull, 0xFFFFFFFF80200000ull, UINT64_MAX };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        EXPECTF(mos_thread_create(MOS_SELF, (uint64_t)raw_record_arg, bad[k], 0, MOS_THREAD_PRIO(16), TIPC_VA) ==
                    -MOS_EINVAL, "stack 0x%llx", (unsigned long long)bad[k]);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
}

UTEST(thread_create_bad_ipc_buffer_is_einval)
{
    uint64_t sp = stack_top(0), threads = kinfo->objects[MOS_CAP_THREAD];
    uint64_t bad[] = { TIPC_VA + 8, TIPC_VA + PG / 2, TIPC_VA + PG - 1,
                       0x0000800000000000ull - PG,                /* only one page before the end */
                       0x0000800000000000ull, 0xFFFF800000000000ull, 0x100 };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        EXPECTF(mos_thread_create(MOS_SELF, (uint64_t)raw_record_arg, sp, 0, MOS_THREAD_PRIO(16), bad[k]) ==
                    -MOS_EINVAL, "IPC buffer 0x%llx", (unsigned long long)bad[k]);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
}

UTEST(thread_create_bad_priority_is_einval)
{
    uint64_t sp = stack_top(0), threads = kinfo->objects[MOS_CAP_THREAD];
    uint64_t bad[] = { 0, 32, 33, 255, MOS_THREAD_PRIO(16) | (1ull << 25), MOS_THREAD_PRIO(16) | (1ull << 63) };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        EXPECTF(mos_thread_create(MOS_SELF, (uint64_t)raw_record_arg, sp, 0, bad[k], TIPC_VA) == -MOS_EINVAL,
                "prio|cpu 0x%llx", (unsigned long long)bad[k]);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
    /* 1 and the ceiling (MOS_PRIO_USER_MAX, the test's own: init's) are
     * the ends of the range; above the ceiling is refused. */
    for (unsigned prio = 30; prio <= 31; prio++)
        EXPECT_ERR(mos_thread_create(MOS_SELF, (uint64_t)raw_record_arg, sp, 0, MOS_THREAD_PRIO(prio), TIPC_VA),
                   MOS_EPERM);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
    for (unsigned prio = 1; prio <= MOS_PRIO_USER_MAX; prio += MOS_PRIO_USER_MAX - 1) {
        seen_arg[prio & 7] = 0;
        long t = start(raw_record_arg, prio & 7, prio, MOS_THREAD_PRIO(prio));
        EXPECTF(t > 0, "prio %u: %ld", prio, t);
        EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
        EXPECT_EQ(seen_arg[prio & 7], prio);
        EXPECT_EQ(mos_cap_delete(t), 0);
    }
}

/* The priority ceiling: a child's ceiling is at most its creator's; its
 * threads cannot go above it, whoever creates them. */
UTEST(priority_ceiling_is_inherited_and_never_raised)
{
    struct mos_proc_args a = proc_args(64, 16, 0);
    a.max_prio = MOS_PRIO_USER_MAX + 1;
    EXPECT_ERR(mos_proc_create((uint64_t)&a), MOS_EINVAL);
    a.max_prio = 5;
    a._reserved = 1;
    EXPECT_ERR(mos_proc_create((uint64_t)&a), MOS_EINVAL);
    a._reserved = 0;
    long code = MUST(raw_code_cap());
    long p = MUST(mos_proc_create((uint64_t)&a));
    EXPECT_EQ(mos_mem_map(code, p, RAW_CODE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    /* The creator holds the PROCESS capability with every right, yet
     * cannot put a thread above the child's ceiling. */
    EXPECT_ERR(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0, MOS_THREAD_PRIO(6), 0), MOS_EPERM);
    long t = MUST(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0, MOS_THREAD_PRIO(5), 0));
    struct mos_cap_info i;
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);
    EXPECT_EQ(inspect(t, &i), 0);
    EXPECT_EQ(i.u.thread.prio, 5);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_proc_destroy(p, 0), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* MOS_THREAD_SUSPENDED: the thread exists but does not run until
 * thread_wake; a process whose only thread never started still dies
 * cleanly when destroyed. */
UTEST(suspended_thread_starts_only_when_woken)
{
    long code = MUST(raw_code_cap());
    struct mos_proc_args a = proc_args(64, 16, 0);
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    a.exit_ep = (mos_handle_t)ep;
    long p = MUST(mos_proc_create((uint64_t)&a));
    EXPECT_EQ(mos_mem_map(code, p, RAW_CODE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    long t = MUST(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0,
                                    MOS_THREAD_PRIO(20) | MOS_THREAD_SUSPENDED, 0));
    struct mos_cap_info i;
    (void)mos_thread_block(MS * 20);
    EXPECT_EQ(inspect(t, &i), 0);
    EXPECT_EQ(i.u.thread.state, 0);                          /* not started */
    EXPECT_EQ(mos_thread_wake(t), 0);
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);             /* ran, now blocked */
    long t2 = MUST(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0,
                                     MOS_THREAD_PRIO(20) | MOS_THREAD_SUSPENDED, 0));
    EXPECT_EQ(mos_proc_destroy(p, 7), 0);                    /* one never-started thread */
    struct mos_cap_info pi;
    EXPECT_EQ(wait_dead(p, ep, 2000, &pi), 0);
    EXPECT_EQ(pi.u.proc.threads, 0);
    EXPECT_EQ(wait_thread_state(t2, 4, 1000), 0);
    /* The flag is the only new bit: others beyond the CPU field still fail. */
    EXPECT_ERR(mos_thread_create(MOS_SELF, raw_entry(raw_block_forever), 0, 0,
                                 MOS_THREAD_PRIO(5) | (MOS_THREAD_SUSPENDED << 1), 0), MOS_EINVAL);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(t2), 0);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* A raw child with the code page and one suspended thread (blocks forever
 * once started); *t gets the THREAD handle. Returns the PROCESS handle. */
static long child_with_suspended_thread(long code, long *t)
{
    struct mos_proc_args a = proc_args(64, 16, 0);
    long p = MUST(mos_proc_create((uint64_t)&a));
    EXPECT_EQ(mos_mem_map(code, p, RAW_CODE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    *t = MUST(mos_thread_create(p, raw_entry(raw_block_forever), 0, 0,
                                MOS_THREAD_PRIO(20) | MOS_THREAD_SUSPENDED, 0));
    return p;
}

/* Move our capability h, as it is, into process p. */
static void move_into(long h, long p)
{
    struct mos_cap_info i;
    EXPECT_EQ(inspect(h, &i), 0);
    EXPECT(mos_cap_transfer(h, p, i.rights | MOS_XFER_MOVE, 0, 0, 0) > 0);
}

/* Wait (at most ms) until the live process and thread counts are back to
 * procs and threads (a killed process's suspended thread is reaped once it
 * runs), then check them. */
static void expect_counts_back(uint64_t procs, uint64_t threads, unsigned ms)
{
    for (unsigned k = 0; k < ms / 10 && (kinfo->objects[MOS_CAP_PROCESS] != procs
                                         || kinfo->objects[MOS_CAP_THREAD] != threads); k++)
        (void)mos_thread_block(MS * 10);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
}

/* A process whose only thread was created suspended is collected once
 * nobody can wake it: while the creator holds the THREAD capability it
 * stays (that holder may still start it), and when that goes too the
 * process, its thread and its memory are released like any orphan. */
UTEST(unreachable_process_with_only_a_suspended_thread_is_collected)
{
    uint64_t procs = kinfo->objects[MOS_CAP_PROCESS], threads = kinfo->objects[MOS_CAP_THREAD];
    long code = MUST(raw_code_cap()), t;
    long p = child_with_suspended_thread(code, &t);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs + 1);
    EXPECT_EQ(mos_cap_delete(p), 0);                 /* still reachable through t */
    (void)mos_thread_block(MS * 20);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs + 1);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(t, &i), 0);
    EXPECT_EQ(i.u.thread.state, 0);                  /* alive, not started */
    EXPECT_EQ(mos_cap_delete(t), 0);                 /* now nobody can start it */
    expect_counts_back(procs, threads, 2000);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* The collector also runs when a move, not a delete, takes away the last
 * way in: the only PROCESS capability moved into the thread-less process
 * itself (which also holds the only capability to its suspended thread)
 * leaves nothing anyone could run or name: the transfer kills it (its
 * suspended thread is reaped as soon as it runs), not some later collection
 * that nothing here would start. */
UTEST(moving_the_last_capability_into_an_idle_process_collects_it)
{
    uint64_t procs = kinfo->objects[MOS_CAP_PROCESS], threads = kinfo->objects[MOS_CAP_THREAD];
    long code = MUST(raw_code_cap()), t;
    long p = child_with_suspended_thread(code, &t);
    move_into(t, p);
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs + 1);     /* we still hold p */
    move_into(p, p);
    expect_counts_back(procs, threads, 2000);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* ... and when a process's last started thread ends while a suspended one
 * remains that nobody can start: the process held its own capabilities
 * only, so it is collected as that thread leaves. */
UTEST(last_running_thread_leaving_only_a_suspended_one_collects_the_process)
{
    uint64_t procs = kinfo->objects[MOS_CAP_PROCESS], threads = kinfo->objects[MOS_CAP_THREAD];
    long code = MUST(raw_code_cap()), t;
    long p = child_with_suspended_thread(code, &t);
    move_into(t, p);
    long run = MUST(mos_thread_create(p, raw_entry(raw_sleep_exit_thread), 0, MS * 300,
                                      MOS_THREAD_PRIO(20), 0));
    EXPECT_EQ(mos_cap_delete(run), 0);
    move_into(p, p);
    /* The sleeping thread still runs there: nothing is collected yet. */
    EXPECT_EQ(kinfo->objects[MOS_CAP_PROCESS], procs + 1);
    expect_counts_back(procs, threads, 3000);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(thread_create_cpu_out_of_range_is_einval)
{
    uint64_t sp = stack_top(0), threads = kinfo->objects[MOS_CAP_THREAD];
    uint32_t n = kinfo->ncpus;
    EXPECT(n >= 1);
    EXPECT_ERR(start(raw_record_arg, 0, 0, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(n)), MOS_EINVAL);
    EXPECT_ERR(start(raw_record_arg, 0, 0, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(n + 1)), MOS_EINVAL);
    EXPECT_ERR(start(raw_record_arg, 0, 0, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(255)), MOS_EINVAL);
    EXPECT_ERR(start(raw_record_arg, 0, 0, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(0xFFFE)), MOS_EINVAL);
    EXPECT_ERR(mos_thread_create(MOS_SELF, (uint64_t)raw_record_arg, sp, 0, MOS_THREAD_PRIO(16) | (0xFFFFull << 8),
                                 TIPC_VA), MOS_EINVAL);
    EXPECT_EQ(kinfo->objects[MOS_CAP_THREAD], threads);
    /* Every existing CPU is accepted, and the thread runs there. */
    for (uint32_t cpu = 0; cpu < n && cpu < 8; cpu++) {
        seen_arg[cpu] = 0;
        long t = start(raw_record_arg, cpu, 0x100 + cpu, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(cpu));
        EXPECTF(t > 0, "cpu %u: %ld", cpu, t);
        struct mos_cap_info i;
        EXPECT_EQ(inspect(t, &i), 0);
        EXPECT_EQ(i.u.thread.cpu, cpu);
        EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
        EXPECT_EQ(seen_arg[cpu], 0x100 + cpu);
        EXPECT_EQ(mos_cap_delete(t), 0);
    }
}

UTEST(thread_create_in_other_process_needs_write_right)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "threadless", code, false), 0);
    long ro = MUST(mos_cap_transfer(c.proc, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_thread_create(ro, raw_entry(raw_spin), 0, 0, MOS_THREAD_PRIO(16), 0), MOS_EPERM);
    EXPECT_ERR(mos_thread_create(ep, raw_entry(raw_spin), 0, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_thread_create(0, raw_entry(raw_spin), 0, 0, MOS_THREAD_PRIO(16), 0), MOS_EBADHANDLE);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECT_EQ(i.u.proc.threads, 0);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(threads_run_and_see_their_argument)
{
    uint64_t args[4] = { 0xDEADBEEF00000000ull, 0x0123456789ABCDE1ull, 2, 0xFFFFFFFFFFFFFFF3ull };
    long t[4];
    for (unsigned k = 0; k < 4; k++) {
        seen_arg[args[k] & 7] = 0;
        t[k] = start(raw_record_arg, k, args[k], MOS_THREAD_PRIO(16));
        EXPECTF(t[k] > 0, "thread %u: %ld", k, t[k]);
        struct mos_cap_info i;
        EXPECT_EQ(inspect(t[k], &i), 0);
        EXPECT_EQ(i.type, MOS_CAP_THREAD);
        EXPECT_EQ(i.rights, MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC);
    }
    for (unsigned k = 0; k < 4; k++) {
        EXPECT_EQ(wait_thread_state(t[k], 4, 1000), 0);
        EXPECTF(seen_arg[args[k] & 7] == args[k], "thread %u saw 0x%llx", k,
                (unsigned long long)seen_arg[args[k] & 7]);
        EXPECT_EQ(mos_cap_delete(t[k]), 0);
    }
}

/* ------------------------------------------------------- thread_destroy */

UTEST(thread_destroy_ends_another_thread)
{
    spin_count = 0;
    long t = MUST(start(raw_counting_spin, 1, 0, MOS_THREAD_PRIO(16)));
    uint64_t deadline = utest_now_ns() + 1000 * MS;
    while (spin_count == 0 && utest_now_ns() < deadline)
        (void)mos_thread_block(MS);
    EXPECT(spin_count != 0);
    EXPECT_EQ(mos_thread_destroy(t), 0);
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    uint64_t n = spin_count;
    EXPECT_EQ(mos_thread_block(5 * MS), -MOS_ETIMEDOUT);
    EXPECT_EQ(spin_count, n);                           /* it does not run any more */
    EXPECT_EQ(mos_thread_destroy(t), 0);                /* already dead: nothing to do */
    /* A blocked thread ends too. */
    block_done = 0;
    long b = MUST(start(raw_block_once, 2, MOS_TIMEOUT_FOREVER, MOS_THREAD_PRIO(16)));
    EXPECT_EQ(wait_thread_state(b, 3, 1000), 0);
    EXPECT_EQ(mos_thread_destroy(b), 0);
    EXPECT_EQ(wait_thread_state(b, 4, 1000), 0);
    EXPECT_EQ(block_done, 0);                           /* it never returned to user mode */
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(b), 0);
}

UTEST(thread_destroy_before_first_run_ends_thread)
{
    /* Lowest priority on this CPU: it cannot have run before the destroy. */
    block_done = 0;
    spin_count = 0;
    long t = MUST(start(raw_block_once, 1, MOS_TIMEOUT_FOREVER, MOS_THREAD_PRIO(1) | MOS_THREAD_CPU(my_cpu())));
    long s = MUST(start(raw_counting_spin, 2, 0, MOS_THREAD_PRIO(1) | MOS_THREAD_CPU(my_cpu())));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(t, &i), 0);
    EXPECT_EQ(i.u.thread.state, 1);                     /* ready, never ran */
    EXPECT_EQ(mos_thread_destroy(t), 0);
    EXPECT_EQ(mos_thread_destroy(s), 0);
    /* Both must end without running user code (a killed thread never
     * returns to user mode): the first would block forever, the second
     * spin forever. */
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    EXPECT_EQ(wait_thread_state(s, 4, 1000), 0);
    EXPECT_EQ(spin_count, 0);
    EXPECT_EQ(block_done, 0);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(s), 0);
}

UTEST(thread_destroy_checks_its_handle)
{
    long t = MUST(start(raw_block_once, 1, MOS_TIMEOUT_FOREVER, MOS_THREAD_PRIO(16)));
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);
    long ro = MUST(mos_cap_transfer(t, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_thread_destroy(ro), MOS_EPERM);
    EXPECT_ERR(mos_thread_destroy(ep), MOS_EBADTYPE);
    EXPECT_ERR(mos_thread_destroy(0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_wake(ro), MOS_EPERM);
    EXPECT_ERR(mos_thread_wake(ep), MOS_EBADTYPE);
    EXPECT_ERR(mos_thread_wake(0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_thread_wake(MOS_SELF), MOS_EBADHANDLE);
    EXPECT_EQ(mos_thread_destroy(t), 0);
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(t), 0);
}

/* ------------------------------------------------ block, wake and yield */

UTEST(thread_block_poll_is_etimedout)
{
    uint64_t t0 = utest_now_ns();
    EXPECT_ERR(mos_thread_block(MOS_TIMEOUT_POLL), MOS_ETIMEDOUT);
    EXPECT_ERR(mos_thread_block(MOS_TIMEOUT_POLL), MOS_ETIMEDOUT);
    /* Under plain QEMU the host may deschedule a vCPU for tens of ms: the
     * bound there only says the polls did not sleep for a real time-out. */
    EXPECT(utest_now_ns() - t0 < (utest_realtime() ? 500 : 10) * MS);
}

UTEST(thread_block_times_out_after_at_least_20ms)
{
    for (int k = 0; k < 3; k++) {
        uint64_t t0 = utest_now_ns();
        EXPECT_ERR(mos_thread_block(20 * MS), MOS_ETIMEDOUT);
        uint64_t dt = utest_now_ns() - t0;
        EXPECTF(dt >= 20 * MS, "woke after %llu ns", (unsigned long long)dt);
        EXPECTF(dt < 1000 * MS, "woke only after %llu ns", (unsigned long long)dt);
    }
    uint64_t t0 = utest_now_ns();
    EXPECT_ERR(mos_thread_block(1), MOS_ETIMEDOUT);             /* 1 ns */
    EXPECT(utest_now_ns() - t0 < 100 * MS);
}

UTEST(thread_wake_wakes_a_blocked_thread)
{
    block_done = 0;
    block_result = 1;
    long t = MUST(start(raw_block_once, 1, MOS_TIMEOUT_FOREVER, MOS_THREAD_PRIO(16)));
    EXPECT_EQ(wait_thread_state(t, 3, 1000), 0);
    EXPECT_EQ(mos_thread_block(5 * MS), -MOS_ETIMEDOUT);
    EXPECT_EQ(block_done, 0);                           /* still waiting */
    EXPECT_EQ(mos_thread_wake(t), 0);
    uint64_t deadline = utest_now_ns() + 1000 * MS;
    while (!block_done && utest_now_ns() < deadline)
        (void)mos_thread_block(MS);
    EXPECT_EQ(block_done, 1);
    EXPECT_EQ(block_result, 0);
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    /* A timed block is cut short the same way. */
    block_done = 0;
    block_result = 1;
    long u = MUST(start(raw_block_once, 2, 10000 * MS, MOS_THREAD_PRIO(16)));
    EXPECT_EQ(wait_thread_state(u, 3, 1000), 0);
    uint64_t t0 = utest_now_ns();
    EXPECT_EQ(mos_thread_wake(u), 0);
    while (!block_done && utest_now_ns() < t0 + 1000 * MS)
        (void)mos_thread_block(MS);
    EXPECT_EQ(block_done, 1);
    EXPECT_EQ(block_result, 0);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(wait_thread_state(u, 4, 1000), 0);
    EXPECT_EQ(mos_cap_delete(u), 0);
}

UTEST(thread_wake_before_block_makes_next_block_return_at_once)
{
    mos_handle_t me = own_thread();
    EXPECT(me != 0);
    EXPECT_EQ(mos_thread_wake(me), 0);
    uint64_t t0 = utest_now_ns();
    EXPECT_EQ(mos_thread_block(500 * MS), 0);                   /* the pending wake */
    EXPECTF(utest_now_ns() - t0 < 100 * MS, "took %llu ns", (unsigned long long)(utest_now_ns() - t0));
    /* It was used up: the next block waits again. */
    EXPECT_ERR(mos_thread_block(MOS_TIMEOUT_POLL), MOS_ETIMEDOUT);
    /* Wakes do not add up. */
    EXPECT_EQ(mos_thread_wake(me), 0);
    EXPECT_EQ(mos_thread_wake(me), 0);
    EXPECT_EQ(mos_thread_block(MOS_TIMEOUT_POLL), 0);
    EXPECT_ERR(mos_thread_block(MOS_TIMEOUT_POLL), MOS_ETIMEDOUT);
    /* The same from another thread, before this one blocks. */
    block_done = 0;
    block_result = 1;
    struct mos_cap_info mi;
    EXPECT_EQ(inspect(me, &mi), 0);
    /* Lowest priority, on this CPU: it cannot run before this thread waits. */
    long t = MUST(start(raw_block_once, 1, 500 * MS, MOS_THREAD_PRIO(1) | MOS_THREAD_CPU(mi.u.thread.cpu)));
    struct mos_cap_info ti;
    EXPECT_EQ(inspect(t, &ti), 0);
    EXPECT(ti.u.thread.state == 1 || ti.u.thread.state == 0);     /* ready (or not started): not blocked */
    EXPECT_EQ(mos_thread_wake(t), 0);
    t0 = utest_now_ns();
    while (!block_done && utest_now_ns() < t0 + 1000 * MS)
        (void)mos_thread_block(MS);
    EXPECT_EQ(block_done, 1);
    EXPECT_EQ(block_result, 0);
    EXPECTF(utest_now_ns() - t0 < 400 * MS, "took %llu ns", (unsigned long long)(utest_now_ns() - t0));
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    EXPECT_EQ(mos_cap_delete(t), 0);
}

UTEST(thread_yield_returns_zero)
{
    for (int k = 0; k < 10; k++)
        EXPECT_EQ(mos_thread_yield(), 0);
    /* Also with another thread of the same priority ready to run. */
    spin_count = 0;
    /* On this CPU: only a yield lets it run. */
    long t = MUST(start(raw_counting_spin, 1, 0, MOS_THREAD_PRIO(16) | MOS_THREAD_CPU(my_cpu())));
    for (int k = 0; k < 1000 && spin_count == 0; k++)
        EXPECT_EQ(mos_thread_yield(), 0);
    EXPECT(spin_count != 0);
    EXPECT_EQ(mos_thread_destroy(t), 0);
    EXPECT_EQ(wait_thread_state(t, 4, 1000), 0);
    EXPECT_EQ(mos_cap_delete(t), 0);
}
