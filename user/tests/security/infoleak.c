// SPDX-License-Identifier: MIT
/* security/infoleak - nothing of the kernel's (stack contents, pointers,
 * other processes' data) reaches userspace:
 *  - cap_inspect writes every byte of its 184-byte record: output buffers
 *    pre-filled with a pattern come back with every byte outside the
 *    fields of that capability type zero (padding, the rest of the union,
 *    the name after its NUL), for every type, for another process's space
 *    too;
 *  - the kernel information page holds its 152-byte structure and zeros;
 *  - received messages: notifications carry only their bits, reserved info
 *    bits are 0, the unused caps[] slots of the receiver's IPC buffer are
 *    zeroed;
 *  - after a system call every register but RAX, RCX and R11 (and the
 *    message registers of a received message) holds what it held before,
 *    XMM registers included: no kernel value leaks through a register;
 *  - memory is zero when allocated, after other allocations were filled
 *    and freed and after kernel objects (processes, threads with their
 *    kernel stacks, page tables, capability slots) were created and freed. */
#include "kid.h"
#include <mos/kinfo.h>

#define MS 1000000ull
#define VA 0x00004D0000000000ull
#define FILL 0xAA

/* Bytes [from, to) of the record are zero. */
static bool zero_range(const struct mos_cap_info *i, size_t from, size_t to)
{
    return bytes_all((const uint8_t *)i + from, to - from, 0);
}

#define OFF(f) offsetof(struct mos_cap_info, f)
#define UOFF(f) (OFF(u) + offsetof(__typeof__(((struct mos_cap_info *)0)->u), f))

/* Inspect h (in proc) into a buffer full of FILL; check the bytes the type
 * does not use are zero. */
static void check_record(mos_handle_t h, mos_handle_t proc, uint32_t type, const char *what)
{
    static struct mos_cap_info info;
    memset(&info, FILL, sizeof info);
    long r = mos_cap_inspect(h, (uint64_t)&info, proc, 0);
    EXPECTF(r == 0, "%s: %s", what, mos_strerror(r));
    if (r != 0)
        return;
    EXPECTF(info.type == type, "%s: type %u", what, info.type);
    bool ranged = type == MOS_CAP_MEMORY || type == MOS_CAP_IOPORT || type == MOS_CAP_IRQ;
    if (!ranged)
        EXPECTF(zero_range(&info, OFF(base), OFF(object_id)), "%s: base/count not zero", what);
    if (type != MOS_CAP_MEMORY)
        EXPECTF(info.flags == 0 && info.phys == 0, "%s: flags 0x%x phys 0x%llx", what, info.flags,
                (unsigned long long)info.phys);
    else if (!(info.flags & (MOS_MEM_CONTIG | MOS_MEM_DEVICE)))
        EXPECTF(info.phys == 0, "%s: phys 0x%llx of a scattered object", what, (unsigned long long)info.phys);
    size_t used_to = OFF(u);
    if (type == MOS_CAP_PROCESS) {
        used_to = UOFF(proc.name) + sizeof info.u.proc.name;
        size_t len = strnlen(info.u.proc.name, sizeof info.u.proc.name);
        EXPECTF(len < sizeof info.u.proc.name, "%s: name not terminated", what);
        EXPECTF(zero_range(&info, UOFF(proc.name) + len, used_to), "%s: bytes after the name's NUL", what);
    } else if (type == MOS_CAP_THREAD) {
        used_to = UOFF(thread.runtime_ns) + sizeof info.u.thread.runtime_ns;
        EXPECTF(info.u.thread._pad == 0, "%s: thread _pad 0x%x", what, info.u.thread._pad);
    }
    EXPECTF(zero_range(&info, used_to, sizeof info), "%s: bytes %zu..%zu of the record are not zero", what,
            used_to, sizeof info);
}

static void caller_thread(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_msg r;
    (void)mos_ipc_call_m(ep, mos_msginfo(1, 0, 0, 0), NULL, &r);
}

UTEST(inspect_records_have_no_stale_bytes_for_any_type)
{
    long mem = MUST(mos_mem_alloc(2, 0));
    long contig = MUST(mos_mem_alloc(2, MOS_MEM_CONTIG));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    long badged = MUST(mos_cap_transfer(ep, MOS_SELF, MOS_RIGHT_WRITE, 0x1234, 0, 0));
    check_record((mos_handle_t)mem, MOS_SELF, MOS_CAP_MEMORY, "memory");
    check_record((mos_handle_t)contig, MOS_SELF, MOS_CAP_MEMORY, "contiguous memory");
    check_record((mos_handle_t)ep, MOS_SELF, MOS_CAP_ENDPOINT, "endpoint");
    check_record((mos_handle_t)badged, MOS_SELF, MOS_CAP_ENDPOINT, "badged endpoint");
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 16 };
    memcpy(pa.name, "x\0yyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 32);   /* bytes after the NUL must not show */
    long proc = MUST(mos_proc_create((uint64_t)&pa));
    check_record((mos_handle_t)proc, MOS_SELF, MOS_CAP_PROCESS, "process (no threads)");
    /* A capability in another process's space, looked up through it. */
    long there = MUST(mos_cap_transfer(ep, proc, MOS_RIGHT_READ, 0, 0, 0));
    check_record((mos_handle_t)there, (mos_handle_t)proc, MOS_CAP_ENDPOINT, "endpoint in another space");
    /* A thread, and a REPLY capability. */
    struct mos_thread t;
    if (MUST(mos_thread_start(&t, caller_thread, (void *)(uintptr_t)ep, 0, -1)) == 0) {
        check_record(t.handle, MOS_SELF, MOS_CAP_THREAD, "thread");
        struct mos_msg m;
        EXPECT_EQ(mos_ipc_recv_m((mos_handle_t)ep, 5000 * MS, MOS_MSG_REPLY_SLOT, &m), 0);
        mos_handle_t reply = mos_ipc_buffer()->reply;
        check_record(reply, MOS_SELF, MOS_CAP_REPLY, "reply");
        EXPECT_EQ(mos_ipc_reply(reply, mos_msginfo(1, 0, 0, 0), 0, 0, 0, 0), 0);
        EXPECT_EQ(mos_thread_join(&t, 2000 * MS), 0);
    }
    EXPECT_EQ(mos_proc_destroy(proc, 0), 0);
    check_record((mos_handle_t)proc, MOS_SELF, MOS_CAP_PROCESS, "dead process");
    EXPECT_EQ(mos_cap_delete(proc), 0);
    EXPECT_EQ(mos_cap_delete(badged), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(contig), 0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
}

UTEST(kernel_information_page_holds_nothing_but_its_structure)
{
    const volatile uint8_t *page = (const volatile uint8_t *)MOS_KINFO_ADDR;
    const volatile struct mos_kinfo *k = (const volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    size_t nonzero = 0, first = 0;
    for (size_t i = sizeof(struct mos_kinfo); i < MOS_PAGE_SIZE; i++)
        if (page[i] != 0 && nonzero++ == 0)
            first = i;
    EXPECTF(nonzero == 0, "%zu bytes after the structure are not zero (first at %zu)", nonzero, first);
    EXPECT_EQ(k->magic, MOS_KINFO_MAGIC);
    EXPECT_EQ(k->page_size, MOS_PAGE_SIZE);
    /* Entries documented as unused stay 0. */
    EXPECT_EQ(k->objects[MOS_CAP_NONE], 0);
    EXPECT_EQ(k->objects[MOS_CAP_IRQ], 0);
    EXPECT_EQ(k->objects[MOS_CAP_IOPORT], 0);
    EXPECT_EQ(k->objects[MOS_CAP_REPLY], 0);
}

/* ---- messages ---- */

static void send_one_cap(void *arg)
{
    mos_handle_t ep = (mos_handle_t)(uintptr_t)arg;
    struct mos_ipc_buffer *b = mos_ipc_buffer();
    b->caps[0] = ep;
    b->caps[1] = 0xDEADBEEF;                        /* not sent: ncaps is 1 */
    b->cap_flags = 0;
    (void)mos_ipc_send(ep, mos_msginfo(3, 0, 1, 0), 0x11, 0x22, 0x33, 0x44);
}

UTEST(received_messages_carry_nothing_stale)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct mos_ipc_buffer *b = mos_ipc_buffer();
    /* A notification: only its bits. */
    EXPECT_EQ(mos_ipc_notify(ep, 0x50), 0);
    struct mos_msg m;
    memset(&m, FILL, sizeof m);
    EXPECT_EQ(mos_ipc_recv_m((mos_handle_t)ep, MOS_TIMEOUT_POLL, 0, &m), 0);
    EXPECT_EQ(m.info, mos_msginfo(0, 0, 0, MOS_MSG_NOTIFY));
    EXPECT_EQ(m.badge, 0);
    EXPECT_EQ(m.w[0], 0x50);
    EXPECT(m.w[1] == 0 && m.w[2] == 0 && m.w[3] == 0);
    /* A message with one capability: caps[1..3] are zeroed, reserved info
     * bits are 0. */
    memset(b->caps, FILL, sizeof b->caps);
    struct mos_thread t;
    if (MUST(mos_thread_start(&t, send_one_cap, (void *)(uintptr_t)ep, 0, -1)) == 0) {
        memset(&m, FILL, sizeof m);
        EXPECT_EQ(mos_ipc_recv_m((mos_handle_t)ep, 5000 * MS, 0, &m), 0);
        EXPECT_EQ(m.info, mos_msginfo(3, 0, 1, 0));
        EXPECT_EQ(m.info & 0xF8E000ull, 0);             /* bits 13..15 and 19..23 */
        EXPECT(m.w[0] == 0x11 && m.w[1] == 0x22 && m.w[2] == 0x33 && m.w[3] == 0x44);
        EXPECT(b->caps[0] != 0);
        EXPECT(b->caps[1] == 0 && b->caps[2] == 0 && b->caps[3] == 0);
        if (b->caps[0])
            EXPECT_EQ(mos_cap_delete(b->caps[0]), 0);
        EXPECT_EQ(mos_thread_join(&t, 2000 * MS), 0);
    }
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* ---- registers after system calls ---- */

struct sysregs {
    uint64_t gpr[16];                   /* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
    uint64_t xmm[16][2];
    uint64_t ret_addr;                  /* where the syscall returns */
};

/* void sec_syscall_regs(const uint64_t in[16], struct sysregs *out): load
 * every register from in[] (RAX = number, RDI..R9 = arguments, the others
 * any value; RSP is left alone), XMM n = in[n] in both halves, syscall,
 * store every register and the return address. */
__asm__(".text\n"
        ".globl sec_syscall_regs\n"
        "sec_syscall_regs:\n"
        "    push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "    push %rsi\n"                                   /* out */
        "    movq 0(%rdi), %xmm0\n  punpcklqdq %xmm0, %xmm0\n"
        "    movq 8(%rdi), %xmm1\n  punpcklqdq %xmm1, %xmm1\n"
        "    movq 16(%rdi), %xmm2\n  punpcklqdq %xmm2, %xmm2\n"
        "    movq 24(%rdi), %xmm3\n  punpcklqdq %xmm3, %xmm3\n"
        "    movq 32(%rdi), %xmm4\n  punpcklqdq %xmm4, %xmm4\n"
        "    movq 40(%rdi), %xmm5\n  punpcklqdq %xmm5, %xmm5\n"
        "    movq 48(%rdi), %xmm6\n  punpcklqdq %xmm6, %xmm6\n"
        "    movq 56(%rdi), %xmm7\n  punpcklqdq %xmm7, %xmm7\n"
        "    movq 64(%rdi), %xmm8\n  punpcklqdq %xmm8, %xmm8\n"
        "    movq 72(%rdi), %xmm9\n  punpcklqdq %xmm9, %xmm9\n"
        "    movq 80(%rdi), %xmm10\n  punpcklqdq %xmm10, %xmm10\n"
        "    movq 88(%rdi), %xmm11\n  punpcklqdq %xmm11, %xmm11\n"
        "    movq 96(%rdi), %xmm12\n  punpcklqdq %xmm12, %xmm12\n"
        "    movq 104(%rdi), %xmm13\n  punpcklqdq %xmm13, %xmm13\n"
        "    movq 112(%rdi), %xmm14\n  punpcklqdq %xmm14, %xmm14\n"
        "    movq 120(%rdi), %xmm15\n  punpcklqdq %xmm15, %xmm15\n"
        "    mov 0(%rdi), %rax\n  mov 8(%rdi), %rbx\n  mov 16(%rdi), %rcx\n  mov 24(%rdi), %rdx\n"
        "    mov 32(%rdi), %rsi\n  mov 48(%rdi), %rbp\n  mov 64(%rdi), %r8\n  mov 72(%rdi), %r9\n"
        "    mov 80(%rdi), %r10\n  mov 88(%rdi), %r11\n  mov 96(%rdi), %r12\n  mov 104(%rdi), %r13\n"
        "    mov 112(%rdi), %r14\n  mov 120(%rdi), %r15\n  mov 40(%rdi), %rdi\n"
        "    syscall\n"
        "sec_syscall_ret:\n"
        "    push %rdi\n"
        "    mov 8(%rsp), %rdi\n"                           /* out */
        "    mov %rax, 0(%rdi)\n  mov %rbx, 8(%rdi)\n  mov %rcx, 16(%rdi)\n  mov %rdx, 24(%rdi)\n"
        "    mov %rsi, 32(%rdi)\n  popq 40(%rdi)\n  mov %rbp, 48(%rdi)\n  mov %rsp, 56(%rdi)\n"
        "    mov %r8, 64(%rdi)\n  mov %r9, 72(%rdi)\n  mov %r10, 80(%rdi)\n  mov %r11, 88(%rdi)\n"
        "    mov %r12, 96(%rdi)\n  mov %r13, 104(%rdi)\n  mov %r14, 112(%rdi)\n  mov %r15, 120(%rdi)\n"
        "    movdqu %xmm0, 128(%rdi)\n  movdqu %xmm1, 144(%rdi)\n  movdqu %xmm2, 160(%rdi)\n"
        "    movdqu %xmm3, 176(%rdi)\n  movdqu %xmm4, 192(%rdi)\n  movdqu %xmm5, 208(%rdi)\n"
        "    movdqu %xmm6, 224(%rdi)\n  movdqu %xmm7, 240(%rdi)\n  movdqu %xmm8, 256(%rdi)\n"
        "    movdqu %xmm9, 272(%rdi)\n  movdqu %xmm10, 288(%rdi)\n  movdqu %xmm11, 304(%rdi)\n"
        "    movdqu %xmm12, 320(%rdi)\n  movdqu %xmm13, 336(%rdi)\n  movdqu %xmm14, 352(%rdi)\n"
        "    movdqu %xmm15, 368(%rdi)\n"
        "    leaq sec_syscall_ret(%rip), %rax\n  mov %rax, 384(%rdi)\n"
        "    add $8, %rsp\n"
        "    pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
        "    ret\n");
void sec_syscall_regs(const uint64_t in[16], struct sysregs *out);
_Static_assert(offsetof(struct sysregs, xmm) == 128 && offsetof(struct sysregs, ret_addr) == 384, "asm");

static const char *const reg_names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };

/* Make system call nr with args (RDI RSI RDX R10 R8 R9) and patterned
 * other registers; check every register but RAX RCX R11 RSP came back
 * unchanged, RCX is the return address; returns RAX. */
static long call_and_check(uint64_t nr, const uint64_t args[6], const char *what)
{
    static const int argreg[6] = { 5, 4, 3, 10, 8, 9 };
    uint64_t in[16];
    for (int r = 0; r < 16; r++)
        in[r] = 0xC0DE000000000000ull | ((uint64_t)r << 32) | nr;
    in[0] = nr;
    for (int a = 0; a < 6; a++)
        in[argreg[a]] = args[a];
    static struct sysregs out;
    sec_syscall_regs(in, &out);
    for (int r = 0; r < 16; r++) {
        if (r == 0 || r == 2 || r == 7 || r == 11)
            continue;
        EXPECTF(out.gpr[r] == in[r], "%s: %s 0x%llx -> 0x%llx", what, reg_names[r], (unsigned long long)in[r],
                (unsigned long long)out.gpr[r]);
    }
    EXPECTF(out.gpr[2] == out.ret_addr, "%s: rcx 0x%llx, the return address is 0x%llx", what,
            (unsigned long long)out.gpr[2], (unsigned long long)out.ret_addr);
    EXPECTF((out.gpr[11] & 0x202) == 0x202 && out.gpr[11] < 0x400000, "%s: r11 0x%llx is not an RFLAGS value",
            what, (unsigned long long)out.gpr[11]);
    for (int x = 0; x < 16; x++)
        EXPECTF(out.xmm[x][0] == in[x] && out.xmm[x][1] == in[x], "%s: xmm%d changed", what, x);
    return (long)out.gpr[0];
}

UTEST(system_calls_leave_no_kernel_value_in_any_register)
{
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    static struct mos_cap_info info;
    struct {
        uint64_t nr, args[6];
        long want;
        const char *what;
    } calls[] = {
        { 0, { 0 }, -MOS_ENOSYS, "syscall 0" },
        { 99, { 1, 2, 3, 4, 5, 6 }, -MOS_ENOSYS, "syscall 99" },
        { 0x100000007ull, { (uint64_t)ep, 0, 0, 0, 0, 0 }, -MOS_ENOSYS, "syscall 2^32 + 7" },
        { 1, { 0, 0 }, -MOS_EINVAL, "mem_alloc 0 pages" },
        { 2, { 0x1234, MOS_SELF, VA, 0, 1, 1 }, -MOS_EBADHANDLE, "mem_map, bad handle" },
        { 11, { MOS_CAP_MEMORY, 0 }, -MOS_EINVAL, "cap_create of memory" },
        { 12, { 0x5555 }, -MOS_EBADHANDLE, "cap_delete, bad handle" },
        { 15, { (uint64_t)ep, (uint64_t)&info, MOS_SELF, 0 }, 0, "cap_inspect" },
        { 15, { (uint64_t)ep, 0xFFFF800000000000ull, MOS_SELF, 0 }, -MOS_EFAULT, "cap_inspect into the kernel" },
        { 16, { 0xFFFF800000000000ull }, -MOS_EFAULT, "proc_create from the kernel" },
        { 20, { 0 }, 0, "thread_yield" },
        { 21, { MOS_TIMEOUT_POLL }, -MOS_ETIMEDOUT, "thread_block poll" },
        { 24, { 0, 0 }, 0, "debug_write of nothing" },
        { 6, { (uint64_t)ep, MOS_TIMEOUT_POLL, 0 }, -MOS_ETIMEDOUT, "ipc_recv poll" },
        { 5, { (uint64_t)ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 1, 2, 3, 4 }, -MOS_EAGAIN,
          "ipc_send nonblocking" },
        { 7, { (uint64_t)ep, mos_msginfo(1, 0, 0, MOS_MSG_NONBLOCK), 1, 2, 3, 4 }, -MOS_EAGAIN,
          "ipc_call nonblocking" },
        { 8, { 0, mos_msginfo(1, 0, 0, 0), 1, 2, 3, 4 }, -MOS_ENOENT, "ipc_reply without a call" },
        { 10, { (uint64_t)ep, 0 }, 0, "ipc_notify of nothing" },
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        long r = call_and_check(calls[i].nr, calls[i].args, calls[i].what);
        EXPECTF(r == calls[i].want, "%s: %ld, expected %ld", calls[i].what, r, calls[i].want);
    }
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

/* ---- memory comes zeroed ---- */

static uint64_t nonzero_qwords(const volatile uint64_t *p, size_t n)
{
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += p[i] != 0;
    return bad;
}

UTEST(allocated_memory_is_zero_after_fills_and_frees)
{
    enum { PAGES = 64, ROUNDS = 24 };
    for (unsigned round = 0; round < ROUNDS; round++) {
        long m = MUST(mos_mem_alloc(PAGES, round % 3 == 2 ? MOS_MEM_CONTIG : 0));
        if (m < 0)
            return;
        EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, PAGES, MOS_PROT_READ | MOS_PROT_WRITE), 0);
        volatile uint64_t *p = (volatile uint64_t *)VA;
        uint64_t bad = nonzero_qwords(p, PAGES * MOS_PAGE_SIZE / 8);
        EXPECTF(bad == 0, "round %u: %llu non-zero words in fresh memory", round, (unsigned long long)bad);
        for (size_t i = 0; i < PAGES * MOS_PAGE_SIZE / 8; i++)
            p[i] = 0x5A5A5A5A5A5A5A5Aull ^ i;
        EXPECT_EQ(mos_cap_delete(m), 0);              /* unmaps and frees */
    }
}

UTEST(allocated_memory_is_zero_after_kernel_objects_were_freed)
{
    /* Processes with threads (kernel stacks, FXSAVE areas), page tables
     * (mappings spread over many tables) and capability slots, freed. */
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (unsigned i = 0; i < 16; i++) {
        /* Quota comes back when the zombie is freed, which can wait for
         * its thread to be reaped: 16 x 96 pages fit this case's quota. */
        struct mos_proc_args pa = { .quota_pages = 96, .cspace_slots = 1024 };
        long p = MUST(mos_proc_create((uint64_t)&pa));
        if (p < 0)
            break;
        long m = MUST(mos_mem_alloc(1, 0));
        for (uint64_t k = 0; k < 8; k++)                 /* a page table per 1 GiB */
            EXPECT_EQ(mos_mem_map(m, p, 0x0000500000000000ull + (k << 30), 0, 1, MOS_PROT_READ), 0);
        for (unsigned k = 0; k < 20; k++)
            (void)mos_cap_transfer(ep, p, MOS_RIGHT_WRITE, k + 1, 0, 0);
        /* Suspended: started, it would fault at once (its entry is not
         * executable) and, on another CPU, could kill p before the
         * proc_destroy below (-MOS_EDEAD, seen on 4 CPUs in real time). */
        long t = mos_thread_create(p, 0x0000500000000000ull, 0x0000500000001000ull, 0,
                                   MOS_THREAD_PRIO(1) | MOS_THREAD_SUSPENDED, 0);
        EXPECTF(t > 0, "thread_create: %s", mos_strerror(t));
        EXPECT_EQ(mos_proc_destroy(p, 0), 0);
        if (t > 0)
            EXPECT_EQ(mos_cap_delete(t), 0);
        EXPECT_EQ(mos_cap_delete(p), 0);
        EXPECT_EQ(mos_cap_delete(m), 0);
    }
    (void)mos_thread_block(5 * MS);                     /* let dead threads be reaped */
    enum { PAGES = 1024 };
    long m = MUST(mos_mem_alloc(PAGES, 0));
    if (m < 0)
        return;
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, PAGES, MOS_PROT_READ), 0);
    uint64_t bad = nonzero_qwords((const volatile uint64_t *)VA, PAGES * MOS_PAGE_SIZE / 8);
    EXPECTF(bad == 0, "%llu non-zero words in 4 MiB of fresh memory", (unsigned long long)bad);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
}
