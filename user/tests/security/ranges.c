// SPDX-License-Identifier: MIT
/* security/ranges - length and offset arithmetic. Every call that takes an
 * address with a length, or a first element with a count, is given ranges
 * that wrap around 2^64, whose end lands in the kernel half or past the top
 * of user space, whose page count times 4096 overflows (to 0, or to one
 * page), and whose first + count wraps: each is refused with its
 * documented error and leaves no trace (no mapping, no capability, no
 * kernel object). Pairs: mem_map (va, pages) and (first, pages), mem_unmap
 * (va, pages), mem_grant (first, pages) and va, cap_transfer (base, count),
 * debug_write (buf, len), cap_inspect (out, 184), proc_create (args, 48),
 * thread_create (entry, stack, ipc buffer). log_read (buf, len) needs an
 * IOPORT capability for COM1, which no test process holds; its range check
 * is the same user_range_ok() as debug_write's. */
#include "kid.h"
#include <mos/kinfo.h>

#define USER_TOP   0x0000800000000000ull
#define KHALF      0xFFFF800000000000ull
#define KIMAGE     0xFFFFFFFF80200000ull
#define TOP64      0xFFFFFFFFFFFFF000ull    /* the last page of the address space */
#define VA         0x0000490000000000ull
#define RW         (MOS_PROT_READ | MOS_PROT_WRITE)

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

struct trace {
    uint64_t mappings, objects[8], free_frames;
    uint32_t caps;
};

static void trace_take(struct trace *t)
{
    t->mappings = kinfo->mappings;
    for (int k = 0; k < 8; k++)
        t->objects[k] = kinfo->objects[k];
    t->free_frames = kinfo->free_frames;
    t->caps = cspace_enumerate(MOS_SELF, NULL, 0);
}

/* Nothing the refused calls could have made exists. */
static void expect_no_trace(const struct trace *before, const char *what)
{
    struct trace now;
    trace_take(&now);
    EXPECTF(now.mappings == before->mappings, "%s: mapping records %llu -> %llu", what,
            (unsigned long long)before->mappings, (unsigned long long)now.mappings);
    EXPECTF(memcmp(now.objects, before->objects, sizeof now.objects) == 0, "%s: kernel objects changed", what);
    EXPECTF(now.free_frames == before->free_frames, "%s: free frames %llu -> %llu", what,
            (unsigned long long)before->free_frames, (unsigned long long)now.free_frames);
    EXPECTF(now.caps == before->caps, "%s: capabilities %u -> %u", what, before->caps, now.caps);
}

struct va_case {
    uint64_t va, pages;
    const char *why;
    bool page_bad;              /* even one page at va is refused */
};

/* (va, pages) pairs every page-range call must refuse with -MOS_EINVAL. */
static const struct va_case bad_va[] = {
    { VA, 1ull << 52, "pages * 4096 wraps to 0", false },
    { VA, (1ull << 52) + 1, "pages * 4096 wraps to one page", false },
    { VA, 1ull << 63, "pages * 4096 wraps to 0 (bit 63)", false },
    { VA, UINT64_MAX, "all-ones page count", false },
    { VA, (USER_TOP - VA) / MOS_PAGE_SIZE + 1, "ends one page past the user half", false },
    { USER_TOP - MOS_PAGE_SIZE, 2, "last user page plus one", false },
    { USER_TOP, 1, "first page of the hole", true },
    { KHALF, 1, "kernel half (HHDM)", true },
    { KIMAGE, 1, "kernel image", true },
    { TOP64, 1, "last page of the address space", true },
    { TOP64, 2, "wraps around 2^64 to page 0", true },
    { TOP64, 0x11, "wraps around 2^64 into user space", true },
    { MOS_KINFO_ADDR - MOS_PAGE_SIZE, 2, "runs into the kernel information page", false },
    { MOS_KINFO_ADDR, 1, "the kernel information page", true },
    { 0, 1, "page 0", true },
};

UTEST(page_ranges_that_wrap_or_leave_user_space_are_refused_everywhere)
{
    long mem = MUST(mos_mem_alloc(4, 0));
    struct trace before;
    trace_take(&before);
    for (size_t i = 0; i < sizeof bad_va / sizeof bad_va[0]; i++) {
        const struct va_case *c = &bad_va[i];
        EXPECTF(mos_mem_map(mem, MOS_SELF, c->va, 0, c->pages, RW) == -MOS_EINVAL, "mem_map 0x%llx+%llu (%s)",
                (unsigned long long)c->va, (unsigned long long)c->pages, c->why);
        EXPECTF(mos_mem_unmap(MOS_SELF, c->va, c->pages) == -MOS_EINVAL, "mem_unmap 0x%llx+%llu (%s)",
                (unsigned long long)c->va, (unsigned long long)c->pages, c->why);
        /* A one-page mapping at a bad place, from a valid page of the capability. */
        if (c->page_bad)
            EXPECTF(mos_mem_map(mem, MOS_SELF, c->va, 0, 1, MOS_PROT_READ) == -MOS_EINVAL,
                    "mem_map read-only 0x%llx (%s)", (unsigned long long)c->va, c->why);
    }
    expect_no_trace(&before, "mem_map/mem_unmap");
    EXPECT_EQ(mos_cap_delete(mem), 0);
}

UTEST(first_plus_count_that_wraps_or_overruns_is_erange)
{
    long mem = MUST(mos_mem_alloc(4, 0));
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 16 };
    long proc = MUST(mos_proc_create((uint64_t)&pa));
    static const struct { uint64_t first, count; } bad[] = {
        { UINT64_MAX, 1 }, { UINT64_MAX, 2 }, { 4, 1 }, { 3, 2 }, { 1, 4 },
        { 1ull << 63, 1ull << 63 }, { 2, UINT64_MAX - 1 }, { 0, 5 },
    };
    struct mos_cap_info pi;
    EXPECT_EQ(mos_cap_inspect(proc, (uint64_t)&pi, MOS_SELF, 0), 0);
    struct trace before;
    trace_take(&before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t f = bad[i].first, n = bad[i].count;
        /* mem_map checks the page count against the address space first:
         * only counts that fit there reach the capability's range. */
        long r = mos_mem_map(mem, MOS_SELF, VA, f, n, RW);
        long want = n > (USER_TOP - VA) / MOS_PAGE_SIZE ? -MOS_EINVAL : -MOS_ERANGE;
        EXPECTF(r == want, "mem_map first %llu count %llu: %ld, expected %ld", (unsigned long long)f,
                (unsigned long long)n, r, want);
        EXPECTF(mos_mem_grant(mem, proc, f, n, MOS_RIGHT_READ, 0) == -MOS_ERANGE,
                "mem_grant first %llu count %llu", (unsigned long long)f, (unsigned long long)n);
        EXPECTF(mos_mem_grant(mem, proc, f, n, MOS_RIGHT_READ, VA) == -MOS_ERANGE,
                "mem_grant (mapped) first %llu count %llu", (unsigned long long)f, (unsigned long long)n);
        EXPECTF(mos_cap_transfer(mem, MOS_SELF, MOS_RIGHT_READ, 0, f, n) == -MOS_ERANGE,
                "cap_transfer base %llu count %llu", (unsigned long long)f, (unsigned long long)n);
    }
    /* A grant inside the range but mapped at a bad address leaves nothing,
     * in the target either. */
    for (size_t i = 0; i < sizeof bad_va / sizeof bad_va[0]; i++)
        if (bad_va[i].page_bad && bad_va[i].va != 0)   /* va 0 means "do not map" */
            EXPECTF(mos_mem_grant(mem, proc, 0, 1, MOS_RIGHT_READ, bad_va[i].va) == -MOS_EINVAL,
                    "mem_grant at 0x%llx (%s)", (unsigned long long)bad_va[i].va, bad_va[i].why);
    expect_no_trace(&before, "ranges");
    struct mos_cap_info after;
    EXPECT_EQ(mos_cap_inspect(proc, (uint64_t)&after, MOS_SELF, 0), 0);
    EXPECT_EQ(after.u.proc.caps_used, pi.u.proc.caps_used);
    /* count 0 means "the whole range": base is then ignored, whatever it is. */
    long whole = mos_cap_transfer(mem, MOS_SELF, MOS_RIGHT_READ, 0, UINT64_MAX, 0);
    EXPECTF(whole > 0, "cap_transfer count 0: %ld", whole);
    struct mos_cap_info wi = inspect((mos_handle_t)whole);
    EXPECT_EQ(wi.base, 0);
    EXPECT_EQ(wi.count, 4);
    EXPECT_EQ(mos_cap_delete(whole), 0);
    EXPECT_EQ(mos_proc_destroy(proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(proc), 0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
}

UTEST(user_buffers_that_wrap_or_reach_the_kernel_are_efault)
{
    static const struct { uint64_t va; const char *why; } bad[] = {
        { USER_TOP - 16, "crosses the top of user space" },
        { USER_TOP, "the hole" },
        { KHALF, "HHDM" },
        { KHALF + 0x100000, "HHDM, 1 MiB in" },
        { KIMAGE, "kernel image" },
        { UINT64_MAX - 15, "wraps around 2^64" },
        { UINT64_MAX - 7, "wraps around 2^64 within 8 bytes" },
    };
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct trace before;
    trace_take(&before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t va = bad[i].va;
        EXPECTF(mos_debug_write(va, 32) == -MOS_EFAULT, "debug_write 0x%llx (%s)", (unsigned long long)va,
                bad[i].why);
        EXPECTF(mos_cap_inspect(ep, va, MOS_SELF, 0) == -MOS_EFAULT, "cap_inspect out 0x%llx (%s)",
                (unsigned long long)va, bad[i].why);
        EXPECTF(mos_proc_create(va) == -MOS_EFAULT, "proc_create args 0x%llx (%s)", (unsigned long long)va,
                bad[i].why);
    }
    /* Lengths: too long is -MOS_EINVAL before any address is looked at. */
    char buf[8] = "x";
    EXPECT_EQ(mos_debug_write((uint64_t)buf, 4097), -MOS_EINVAL);
    EXPECT_EQ(mos_debug_write((uint64_t)buf, UINT64_MAX), -MOS_EINVAL);
    EXPECT_EQ(mos_debug_write((uint64_t)buf, 1ull << 63), -MOS_EINVAL);
    EXPECT_EQ(mos_debug_write(USER_TOP - 4096, 4096), -MOS_EFAULT);      /* in range, not mapped */
    EXPECT_EQ(mos_debug_write(0, 0), 0);                                 /* nothing to read */
    expect_no_trace(&before, "user buffers");
    EXPECT_EQ(mos_cap_delete(ep), 0);
}

UTEST(thread_addresses_outside_user_space_are_refused)
{
    static const struct { uint64_t entry, stack, ipc; const char *why; } bad[] = {
        { USER_TOP, 0x0000400000000000ull, 0, "entry at the top of user space" },
        { UINT64_MAX - 15, 0x0000400000000000ull, 0, "entry near 2^64" },
        { KIMAGE, 0x0000400000000000ull, 0, "entry in the kernel image" },
        { 0xFFF, 0x0000400000000000ull, 0, "entry in page 0" },
        { 0x400000, USER_TOP + 8, 0, "stack above user space" },
        { 0x400000, UINT64_MAX - 7, 0, "stack near 2^64" },
        { 0x400000, KHALF, 0, "stack in the kernel half" },
        { 0x400000, 0x0000400000000000ull, USER_TOP - 4096, "IPC buffer's second page past the top" },
        { 0x400000, 0x0000400000000000ull, UINT64_MAX - 8191, "IPC buffer wrapping around 2^64" },
        { 0x400000, 0x0000400000000000ull, KHALF, "IPC buffer in the kernel half" },
        { 0x400000, 0x0000400000000000ull, 0x0000400000000800ull, "IPC buffer not page-aligned" },
    };
    struct trace before;
    trace_take(&before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECTF(mos_thread_create(MOS_SELF, bad[i].entry, bad[i].stack, 0, MOS_THREAD_PRIO(1), bad[i].ipc) ==
                    -MOS_EINVAL, "thread_create: %s", bad[i].why);
    expect_no_trace(&before, "thread_create");
}
