// SPDX-License-Identifier: MIT
/* mem - the memory system calls from ring 3: mem_alloc, mem_map, mem_unmap
 * and mem_grant, each success path and each error the kernel documents
 * (kernel/syscall/sys_mem.c), plus the faults that the protections promise
 * (checked in helper children, since a fault ends the process). */
#include "utest.h"
#include "../proc/childproc.h"

#define VA   0x0000400000000000ull     /* a free region of the case's address space */
#define PG   MOS_PAGE_SIZE
#define RW   (MOS_PROT_READ | MOS_PROT_WRITE)

static volatile struct mos_kinfo *const kinfo = (volatile struct mos_kinfo *)MOS_KINFO_ADDR;

static uint64_t words_not_zero(uint64_t va, uint64_t pages)
{
    const volatile uint64_t *p = (const volatile uint64_t *)va;
    uint64_t bad = 0;
    for (uint64_t i = 0; i < pages * PG / 8; i++)
        bad += p[i] != 0;
    return bad;
}

/* ------------------------------------------------------------ mem_alloc */

UTEST(alloc_zero_pages_is_einval)
{
    EXPECT_ERR(mos_mem_alloc(0, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(0, MOS_MEM_CONTIG), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(0, MOS_MEM_DMA32), MOS_EINVAL);
}

UTEST(alloc_absurd_sizes_are_einval)
{
    uint64_t objects = kinfo->objects[MOS_CAP_MEMORY];
    EXPECT_ERR(mos_mem_alloc((1ull << 24) + 1, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1ull << 32, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1ull << 52, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1ull << 63, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(UINT64_MAX, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(UINT64_MAX, MOS_MEM_CONTIG), MOS_EINVAL);
    EXPECT_EQ(kinfo->objects[MOS_CAP_MEMORY], objects);
}

UTEST(alloc_beyond_quota_is_enomem)
{
    /* The case's quota is 4096 pages: sizes that are sane but do not fit. */
    uint64_t objects = kinfo->objects[MOS_CAP_MEMORY];
    EXPECT_ERR(mos_mem_alloc(4097, 0), MOS_ENOMEM);
    EXPECT_ERR(mos_mem_alloc(1ull << 24, 0), MOS_ENOMEM);
    EXPECT_ERR(mos_mem_alloc(8192, MOS_MEM_CONTIG), MOS_ENOMEM);
    EXPECT_EQ(kinfo->objects[MOS_CAP_MEMORY], objects);
    long m = MUST(mos_mem_alloc(16, 0));           /* nothing was left charged */
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(alloc_unknown_flags_are_einval)
{
    EXPECT_ERR(mos_mem_alloc(1, MOS_MEM_DEVICE), MOS_EINVAL);   /* device memory is not allocated */
    EXPECT_ERR(mos_mem_alloc(1, MOS_MEM_WC), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1, 0x10), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1, 1ull << 31), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1, 1ull << 32), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1, MOS_MEM_CONTIG | 0x100), MOS_EINVAL);
    EXPECT_ERR(mos_mem_alloc(1, UINT64_MAX), MOS_EINVAL);
}

UTEST(alloc_returns_memory_cap_with_all_rights)
{
    long m = MUST(mos_mem_alloc(5, 0));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(m, &i), 0);
    EXPECT_EQ(i.handle, m);
    EXPECT_EQ(i.type, MOS_CAP_MEMORY);
    EXPECT_EQ(i.rights, MOS_RIGHTS_ALL);
    EXPECT_EQ(i.flags, 0);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 5);
    EXPECT_EQ(i.phys, 0);                        /* not contiguous: no physical address */
    long m2 = MUST(mos_mem_alloc(1, 0));
    struct mos_cap_info i2;
    EXPECT_EQ(inspect(m2, &i2), 0);
    EXPECT(i2.object_id != i.object_id);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(m2), 0);
}

/* Every page of a contiguous capability sits at phys + k pages: checked on
 * one-page capabilities derived from each page. */
static void check_contiguous(long m, uint64_t pages, uint64_t phys)
{
    for (uint64_t k = 0; k < pages; k++) {
        long sub = mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, k, 1);
        EXPECTF(sub > 0, "deriving page %llu: %ld", (unsigned long long)k, sub);
        struct mos_cap_info i;
        EXPECT_EQ(inspect(sub, &i), 0);
        EXPECT_EQ(i.base, k);
        EXPECT_EQ(i.count, 1);
        EXPECTF(i.phys == phys + k * PG, "page %llu at 0x%llx, expected 0x%llx", (unsigned long long)k,
                (unsigned long long)i.phys, (unsigned long long)(phys + k * PG));
        EXPECT_EQ(mos_cap_delete(sub), 0);
    }
}

UTEST(alloc_contig_is_physically_contiguous)
{
    long m = MUST(mos_mem_alloc(32, MOS_MEM_CONTIG));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(m, &i), 0);
    EXPECT(i.flags & MOS_MEM_CONTIG);
    EXPECT_EQ(i.flags & MOS_MEM_DEVICE, 0);
    EXPECT_EQ(i.count, 32);
    EXPECT(i.phys != 0);
    EXPECT_EQ(i.phys % PG, 0);
    EXPECT(i.phys + 32 * PG <= kinfo->total_frames * PG);
    check_contiguous(m, 32, i.phys);
    /* Two live contiguous objects never overlap. */
    long m2 = MUST(mos_mem_alloc(32, MOS_MEM_CONTIG));
    struct mos_cap_info i2;
    EXPECT_EQ(inspect(m2, &i2), 0);
    EXPECT(i2.phys + 32 * PG <= i.phys || i.phys + 32 * PG <= i2.phys);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 32, RW), 0);
    EXPECT_EQ(words_not_zero(VA, 32), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(m2), 0);
}

UTEST(alloc_dma32_is_contiguous_below_4gib)
{
    long m = MUST(mos_mem_alloc(16, MOS_MEM_DMA32));
    struct mos_cap_info i;
    EXPECT_EQ(inspect(m, &i), 0);
    EXPECT_EQ(i.flags & (MOS_MEM_DMA32 | MOS_MEM_CONTIG), MOS_MEM_DMA32 | MOS_MEM_CONTIG);
    EXPECT(i.phys != 0);
    EXPECT_EQ(i.phys % PG, 0);
    EXPECTF(i.phys + 16 * PG <= (4ull << 30), "DMA32 memory at 0x%llx", (unsigned long long)i.phys);
    check_contiguous(m, 16, i.phys);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 16, RW), 0);
    EXPECT_EQ(words_not_zero(VA, 16), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(alloc_memory_arrives_zeroed)
{
    uint64_t flags[] = { 0, MOS_MEM_CONTIG, MOS_MEM_DMA32 };
    for (unsigned f = 0; f < 3; f++) {
        long m = MUST(mos_mem_alloc(64, flags[f]));
        EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 64, RW), 0);
        EXPECTF(words_not_zero(VA, 64) == 0, "flags 0x%llx: fresh memory not zeroed", (unsigned long long)flags[f]);
        memset((void *)VA, 0xA5, 64 * PG);
        EXPECT_EQ(mos_cap_delete(m), 0);         /* unmaps, frees the frames */
        /* The frames just freed are the lowest free ones: the next
         * allocation takes them again, and must see zeros. */
        m = MUST(mos_mem_alloc(64, flags[f]));
        EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 64, RW), 0);
        EXPECTF(words_not_zero(VA, 64) == 0, "flags 0x%llx: reused memory not zeroed", (unsigned long long)flags[f]);
        EXPECT_EQ(mos_cap_delete(m), 0);
    }
}

/* Child: allocate arg pages (flags in the top byte), fill them with a
 * pattern, then free them (bit 62 set: exit still holding them, so they go
 * with the process). Exit code: the physical address of contiguous memory,
 * else 0; a failed check exits with its line. */
#define FILL_KEEP (1ull << 62)
UTEST_CHILD(fill_and_free)
{
    uint64_t pages = arg & 0xFFFFFF, flags = (arg >> 56) & 0x3F;
    long m = mos_mem_alloc(pages, flags);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, VA, 0, pages, RW) == 0);
    for (uint64_t i = 0; i < pages * PG / 8; i++)
        ((volatile uint64_t *)VA)[i] = 0xDEADBEEFCAFEF00Dull ^ i;
    struct mos_cap_info info;
    CHECK(inspect(m, &info) == 0);
    if (!(arg & FILL_KEEP))
        CHECK(mos_cap_delete(m) == 0);
    return (long)info.phys;
}

/* Child: allocate arg pages (flags in the top byte) and count the words
 * that are not zero: exit code = that count, or -line of a failed check. */
UTEST_CHILD(count_nonzero)
{
    uint64_t pages = arg & 0xFFFFFF, flags = (arg >> 56) & 0x3F;
    long m = mos_mem_alloc(pages, flags);
    if (m <= 0)
        return -__LINE__;
    if (mos_mem_map(m, MOS_SELF, VA, 0, pages, MOS_PROT_READ) != 0)
        return -__LINE__;
    return (long)words_not_zero(VA, pages);
}

UTEST(alloc_is_zeroed_after_another_process_freed_its_pages)
{
    /* Plain pages: the second child asks for twice as many, so it covers
     * the frames the first one gave back (the allocator takes the lowest). */
    struct utest_child a = utest_run_child("fill_and_free", 256, NULL, 0, 10000);
    EXPECT(a.finished);
    EXPECT_EQ(a.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(a.exit_code, 0);
    struct utest_child b = utest_run_child("count_nonzero", 512, NULL, 0, 10000);
    EXPECT(b.finished);
    EXPECT_EQ(b.exit_reason, MOS_EXIT_CALLED);
    EXPECTF(b.exit_code == 0, "%lld words not zero in memory freed by another process", (long long)b.exit_code);
    /* The same, with the pages freed by the death of their owner. */
    a = utest_run_child("fill_and_free", 256 | FILL_KEEP, NULL, 0, 10000);
    EXPECT_EQ(a.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(a.exit_code, 0);
    b = utest_run_child("count_nonzero", 512, NULL, 0, 10000);
    EXPECT_EQ(b.exit_reason, MOS_EXIT_CALLED);
    EXPECTF(b.exit_code == 0, "%lld words not zero in memory of a dead process", (long long)b.exit_code);
}

UTEST(alloc_contig_is_zeroed_after_another_process_freed_it)
{
    for (int keep = 0; keep < 2; keep++) {
        uint64_t arg = 64 | ((uint64_t)MOS_MEM_CONTIG << 56) | (keep ? FILL_KEEP : 0);
        struct utest_child a = utest_run_child("fill_and_free", arg, NULL, 0, 10000);
        EXPECT(a.finished);
        EXPECT_EQ(a.exit_reason, MOS_EXIT_CALLED);
        EXPECT(a.exit_code > 0 && a.exit_code % PG == 0);
        /* Physical addresses prove the reuse: take contiguous blocks until
         * one covers the first child's block (or memory runs short). */
        long m[64];
        int n = 0;
        bool covered = false;
        for (; n < 64 && !covered; n++) {
            m[n] = mos_mem_alloc(64, MOS_MEM_CONTIG);
            if (m[n] < 0)
                break;
            struct mos_cap_info i;
            EXPECT_EQ(inspect(m[n], &i), 0);
            if (i.phys < (uint64_t)a.exit_code + 64 * PG && (uint64_t)a.exit_code < i.phys + 64 * PG) {
                covered = true;
                EXPECT_EQ(mos_mem_map(m[n], MOS_SELF, VA, 0, 64, MOS_PROT_READ), 0);
                EXPECTF(words_not_zero(VA, 64) == 0, "contiguous memory freed by another process (%s) not zeroed",
                        keep ? "dead" : "deleted");
                EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 64), 64);
            }
        }
        EXPECTF(covered, "never got the frames at 0x%llx back", (unsigned long long)a.exit_code);
        while (n-- > 0)
            if (m[n] > 0)
                EXPECT_EQ(mos_cap_delete(m[n]), 0);
    }
}

/* ------------------------------------------------------------- mem_map */

UTEST(map_misaligned_va_is_einval)
{
    long m = MUST(mos_mem_alloc(2, 0));
    uint64_t bad[] = { VA + 1, VA + 8, VA + PG / 2, VA + PG - 1 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT_ERR(mos_mem_map(m, MOS_SELF, bad[i], 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 2), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_at_va_zero_is_einval)
{
    long m = MUST(mos_mem_alloc(2, 0));
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, 0, 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, 0, 0, 2, MOS_PROT_READ), MOS_EINVAL);   /* page 0 and 1 */
    /* Page 1 is fine: only page 0 is never mapped. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, PG, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, PG, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_in_kernel_half_is_einval)
{
    long m = MUST(mos_mem_alloc(1, 0));
    uint64_t bad[] = { 0xFFFF800000000000ull, 0xFFFFFFFF80200000ull, 0xFFFFFFFFFFFFF000ull,
                       0x0000800000000000ull /* first non-user address */, 0x0001000000000000ull,
                       0x8000000000000000ull /* non-canonical */ };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECTF(mos_mem_map(m, MOS_SELF, bad[i], 0, 1, MOS_PROT_READ) == -MOS_EINVAL, "va 0x%llx",
                (unsigned long long)bad[i]);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_range_wrapping_or_past_user_space_is_einval)
{
    long m = MUST(mos_mem_alloc(4, 0));
    uint64_t top = 0x0000800000000000ull;
    /* Runs past the end of user space. */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, top - PG, 0, 2, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, top - 3 * PG, 0, 4, MOS_PROT_READ), MOS_EINVAL);
    /* Lengths whose end wraps around 2^64. */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1ull << 52, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, top - PG, 0, top >> 12, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, UINT64_MAX, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1ull << 63, MOS_PROT_READ), MOS_EINVAL);
    /* Over the kernel information page. */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, MOS_KINFO_ADDR, 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, MOS_KINFO_ADDR - PG, 0, 2, MOS_PROT_READ), MOS_EINVAL);
    /* 0 pages. */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 0, MOS_PROT_READ), MOS_EINVAL);
    /* Right up to the information page, and right after it, is fine. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, MOS_KINFO_ADDR - 2 * PG, 0, 2, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, MOS_KINFO_ADDR + PG, 0, 2, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, MOS_KINFO_ADDR - 2 * PG, 2), 2);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, MOS_KINFO_ADDR + PG, 2), 2);
    EXPECT_EQ(((volatile struct mos_kinfo *)MOS_KINFO_ADDR)->magic, MOS_KINFO_MAGIC);
    /* The last page of user space itself is fine. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, top - PG, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(*(volatile uint64_t *)(top - 8), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, top - PG, 1), 1);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_pages_outside_the_capability_is_erange)
{
    long m = MUST(mos_mem_alloc(4, 0));
    uint64_t mappings = kinfo->mappings;
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 4, 1, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 5, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 3, 2, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, UINT64_MAX, 1, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 1ull << 40, 2, MOS_PROT_READ), MOS_ERANGE);
    /* The range is the capability's, not the object's: pages 1..2 only. */
    long sub = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL, 0, 1, 2));
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA, 2, 1, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_ERR(mos_mem_map(sub, MOS_SELF, VA, 0, 3, MOS_PROT_READ), MOS_ERANGE);
    EXPECT_EQ(kinfo->mappings, mappings);
    /* Page k of sub is page 1 + k of the object. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 4, RW), 0);
    for (int k = 0; k < 4; k++)
        *(volatile uint64_t *)(VA + (uint64_t)k * PG) = 100 + (uint64_t)k;
    EXPECT_EQ(mos_mem_map(sub, MOS_SELF, VA + 16 * PG, 0, 2, MOS_PROT_READ), 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 16 * PG), 101);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 17 * PG), 102);
    EXPECT_EQ(mos_mem_map(sub, MOS_SELF, VA + 32 * PG, 1, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 32 * PG), 102);
    EXPECT_EQ(mos_cap_delete(sub), 0);                 /* its two mappings go */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + 16 * PG, 32), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_write_and_exec_is_einval)
{
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1, MOS_PROT_WRITE | MOS_PROT_EXEC), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE | MOS_PROT_EXEC), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1, 0), MOS_EINVAL);               /* no access at all */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1, 8), MOS_EINVAL);               /* unknown bit */
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA, 0, 1, MOS_PROT_READ | (1ull << 40)), MOS_EINVAL);
    /* Each of them alone is fine. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 1, RW), 0);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA + PG, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 2), 2);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_prot_beyond_capability_rights_is_eperm)
{
    long m = MUST(mos_mem_alloc(1, 0));
    long r = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long rw = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0, 0, 0));
    long rx = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_EXEC, 0, 0, 0));
    long w = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_WRITE, 0, 0, 0));
    long g = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_ERR(mos_mem_map(r, MOS_SELF, VA, 0, 1, RW), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(r, MOS_SELF, VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(rw, MOS_SELF, VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(rx, MOS_SELF, VA, 0, 1, RW), MOS_EPERM);
    /* Every mapping can be read: a capability without READ maps nothing. */
    EXPECT_ERR(mos_mem_map(w, MOS_SELF, VA, 0, 1, MOS_PROT_WRITE), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(w, MOS_SELF, VA, 0, 1, MOS_PROT_READ), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(g, MOS_SELF, VA, 0, 1, MOS_PROT_READ), MOS_EPERM);
    /* What the rights allow works. */
    EXPECT_EQ(mos_mem_map(r, MOS_SELF, VA, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_map(rw, MOS_SELF, VA + PG, 0, 1, RW), 0);
    EXPECT_EQ(mos_mem_map(rx, MOS_SELF, VA + 2 * PG, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 3), 3);
    EXPECT_EQ(mos_cap_revoke(m), 5);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_over_existing_mapping_is_eexist_and_changes_nothing)
{
    long a = MUST(mos_mem_alloc(1, 0));
    long b = MUST(mos_mem_alloc(3, 0));
    EXPECT_EQ(mos_mem_map(a, MOS_SELF, VA + PG, 0, 1, RW), 0);
    *(volatile uint64_t *)(VA + PG) = 0x1111;
    uint64_t mappings = kinfo->mappings, frames = kinfo->free_frames;
    /* b would cover VA (free), VA + PG (taken) and VA + 2 PG (free). */
    EXPECT_ERR(mos_mem_map(b, MOS_SELF, VA, 0, 3, RW), MOS_EEXIST);
    EXPECT_ERR(mos_mem_map(b, MOS_SELF, VA + PG, 0, 1, MOS_PROT_READ), MOS_EEXIST);
    EXPECT_ERR(mos_mem_map(a, MOS_SELF, VA + PG, 0, 1, RW), MOS_EEXIST);     /* even the same page */
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(kinfo->free_frames, frames);
    /* a's page is untouched and still writable. */
    EXPECT_EQ(*(volatile uint64_t *)(VA + PG), 0x1111);
    *(volatile uint64_t *)(VA + PG) = 0x2222;
    /* Nothing of b stayed at VA or VA + 2 PG: both can be mapped now. */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 0);
    EXPECT_EQ(mos_mem_map(b, MOS_SELF, VA, 0, 1, RW), 0);
    EXPECT_EQ(mos_mem_map(b, MOS_SELF, VA + 2 * PG, 2, 1, RW), 0);
    EXPECT_EQ(*(volatile uint64_t *)VA, 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + PG), 0x2222);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 3), 3);
    EXPECT_EQ(mos_cap_delete(a), 0);
    EXPECT_EQ(mos_cap_delete(b), 0);
}

UTEST(map_eexist_needing_new_page_table_leaves_no_trace)
{
    /* In a child, so its quota use can be read: a is mapped at X (a 2 MiB
     * boundary); b would cover X - PG (whose page table does not exist yet)
     * and X. The refused call must not keep anything: no mapping, no page
     * table, no frame, no quota. */
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "eexist", code, false), 0);
    uint64_t x = 0x0000004000200000ull;
    long a = MUST(mos_mem_alloc(1, 0));
    long b = MUST(mos_mem_alloc(2, 0));
    EXPECT_EQ(mos_mem_map(a, c.proc, x, 0, 1, MOS_PROT_READ), 0);
    struct mos_cap_info i;
    EXPECT_EQ(inspect(c.proc, &i), 0);
    uint64_t used = i.u.proc.used_pages, frames = kinfo->free_frames, mappings = kinfo->mappings;
    EXPECT_ERR(mos_mem_map(b, c.proc, x - PG, 0, 2, MOS_PROT_READ), MOS_EEXIST);
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(mos_mem_unmap(c.proc, x - PG, 1), 0);
    EXPECT_EQ(inspect(c.proc, &i), 0);
    EXPECTF(i.u.proc.used_pages == used, "the refused mem_map left %lld pages charged to the process",
            (long long)(i.u.proc.used_pages - used));
    EXPECTF(kinfo->free_frames == frames, "the refused mem_map kept %lld frames",
            (long long)(frames - kinfo->free_frames));
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(a), 0);
    EXPECT_EQ(mos_cap_delete(b), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(map_with_wrong_handle_types_is_ebadtype)
{
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_mem_map(ep, MOS_SELF, VA, 0, 1, MOS_PROT_READ), MOS_EBADTYPE);      /* not MEMORY */
    EXPECT_ERR(mos_mem_map(m, ep, VA, 0, 1, MOS_PROT_READ), MOS_EBADTYPE);             /* not PROCESS */
    EXPECT_ERR(mos_mem_map(m, m, VA, 0, 1, MOS_PROT_READ), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_unmap(ep, VA, 1), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_unmap(m, VA, 1), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_map(0, MOS_SELF, VA, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_map(m, 0, VA, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_map(m ^ 0x00100000u, MOS_SELF, VA, 0, 1, MOS_PROT_READ), MOS_EBADHANDLE);  /* stale */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(map_into_process_without_write_right_is_eperm)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "mapped-into", code, false), 0);
    long m = MUST(mos_mem_alloc(2, 0));
    long ro = MUST(mos_cap_transfer(c.proc, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    long rg = MUST(mos_cap_transfer(c.proc, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_ERR(mos_mem_map(m, ro, VA, 0, 1, MOS_PROT_READ), MOS_EPERM);
    EXPECT_ERR(mos_mem_map(m, rg, VA, 0, 1, MOS_PROT_READ), MOS_EPERM);
    EXPECT_ERR(mos_mem_unmap(ro, RAW_CODE_VA, 1), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(m, ro, 0, 1, MOS_RIGHT_READ, 0), MOS_EPERM);
    /* With WRITE it works, and unmap reports the pages. */
    EXPECT_EQ(mos_mem_map(m, c.proc, VA, 0, 2, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(c.proc, VA, 2), 2);
    EXPECT_EQ(mos_mem_unmap(c.proc, RAW_CODE_VA, 1), 1);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    /* A dead process takes no mappings. */
    EXPECT_ERR(mos_mem_map(m, c.proc, VA, 0, 1, MOS_PROT_READ), MOS_EDEAD);
    EXPECT_EQ(mos_cap_delete(ro), 0);
    EXPECT_EQ(mos_cap_delete(rg), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(map_exec_mapping_runs_code)
{
    static const uint8_t ret42[] = { 0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3 };   /* mov $42, %eax; ret */
    long m = MUST(childproc_page_with(ret42, sizeof ret42, 1));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC), 0);
    int (*fn)(void) = (int (*)(void))VA;
    EXPECT_EQ(fn(), 42);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

/* ----------------------------------------------------------- mem_unmap */

UTEST(unmap_middle_splits_mapping_and_returns_pages)
{
    long m = MUST(mos_mem_alloc(5, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 5, RW), 0);
    for (uint64_t k = 0; k < 5; k++)
        *(volatile uint64_t *)(VA + k * PG) = 0x500 + k;
    uint64_t mappings = kinfo->mappings;
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + PG, 2), 2);
    EXPECT_EQ(kinfo->mappings, mappings + 1);          /* one record became two */
    /* Both remaining parts still work, each at its own pages. */
    EXPECT_EQ(*(volatile uint64_t *)VA, 0x500);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 3 * PG), 0x503);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 4 * PG), 0x504);
    *(volatile uint64_t *)VA = 0x600;
    *(volatile uint64_t *)(VA + 4 * PG) = 0x604;
    /* The hole is free: other memory maps there. */
    long h = MUST(mos_mem_alloc(2, 0));
    EXPECT_EQ(mos_mem_map(h, MOS_SELF, VA + PG, 0, 2, RW), 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + PG), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + PG, 2), 2);
    /* The object still has the middle pages: map them again. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA + 8 * PG, 1, 2, MOS_PROT_READ), 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 8 * PG), 0x501);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 9 * PG), 0x502);
    /* Unmapping all of it counts only the pages that were mapped. */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 10), 5);
    EXPECT_EQ(kinfo->mappings, mappings - 1);
    EXPECT_EQ(mos_cap_delete(h), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(deleting_cap_removes_both_parts_of_a_split_mapping)
{
    uint64_t mappings = kinfo->mappings;
    long m = MUST(mos_mem_alloc(6, 0));
    long alias = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 6, RW), 0);
    EXPECT_EQ(mos_mem_map(alias, MOS_SELF, VA + 8 * PG, 0, 6, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + 2 * PG, 2), 2);             /* m's mapping splits in two */
    EXPECT_EQ(kinfo->mappings, mappings + 3);
    EXPECT_EQ(mos_cap_delete(m), 0);                                  /* both parts go, the alias stays */
    EXPECT_EQ(kinfo->mappings, mappings + 1);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 6), 0);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 8 * PG), 0);                /* the alias still maps the object */
    /* The pages are free: other memory maps there. */
    long n = MUST(mos_mem_alloc(6, 0));
    EXPECT_EQ(mos_mem_map(n, MOS_SELF, VA, 0, 6, RW), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 6), 6);
    /* Deleting the alias (now a root of its own) unmaps its mapping. */
    EXPECT_EQ(mos_cap_delete(alias), 0);
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + 8 * PG, 6), 0);
    EXPECT_EQ(mos_cap_delete(n), 0);
}

UTEST(unmap_across_mappings_trims_each)
{
    long a = MUST(mos_mem_alloc(3, 0));
    long b = MUST(mos_mem_alloc(3, 0));
    EXPECT_EQ(mos_mem_map(a, MOS_SELF, VA, 0, 3, RW), 0);
    EXPECT_EQ(mos_mem_map(b, MOS_SELF, VA + 3 * PG, 0, 3, RW), 0);
    *(volatile uint64_t *)VA = 1;
    *(volatile uint64_t *)(VA + 5 * PG) = 2;
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + PG, 4), 4);       /* a's tail, b's head */
    EXPECT_EQ(*(volatile uint64_t *)VA, 1);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 5 * PG), 2);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 6), 2);
    EXPECT_EQ(mos_cap_delete(a), 0);
    EXPECT_EQ(mos_cap_delete(b), 0);
}

UTEST(unmap_of_nothing_returns_zero)
{
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1000), 0);
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA + PG, 1), 0);        /* just next to it */
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA - PG, 1), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 1);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, VA, 1), 0);             /* twice */
    EXPECT_EQ(mos_cap_delete(m), 0);
}

UTEST(unmap_bad_ranges_are_einval)
{
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, VA + 1, 1), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, VA, 0), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, 0, 1), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, 0xFFFF800000000000ull, 1), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, 0x00007FFFFFFFF000ull, 2), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, VA, UINT64_MAX), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, MOS_KINFO_ADDR, 1), MOS_EINVAL);    /* the info page stays */
    EXPECT_EQ(kinfo->magic, MOS_KINFO_MAGIC);
}

/* Child: map 3 pages, unmap the middle one, use both ends, then touch the
 * middle (which must fault at VA + PG). */
UTEST_CHILD(touch_unmapped_middle)
{
    (void)arg;
    long m = mos_mem_alloc(3, 0);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, VA, 0, 3, RW) == 0);
    for (uint64_t k = 0; k < 3; k++)
        *(volatile uint64_t *)(VA + k * PG) = 7 + k;
    CHECK(mos_mem_unmap(MOS_SELF, VA + PG, 1) == 1);
    CHECK(*(volatile uint64_t *)VA == 7);
    CHECK(*(volatile uint64_t *)(VA + 2 * PG) == 9);
    *(volatile uint64_t *)(VA + 2 * PG) = 10;
    CHECK(*(volatile uint64_t *)(VA + 2 * PG) == 10);
    (void)*(volatile uint64_t *)(VA + PG + 16);
    return 1000;                                /* not reached */
}

UTEST(unmapped_middle_of_a_split_mapping_faults)
{
    struct utest_child c = utest_run_child("touch_unmapped_middle", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == MOS_EXIT_PAGE_FAULT, "child ended with reason %u code %lld", c.exit_reason,
            (long long)c.exit_code);
    EXPECT_EQ(c.fault_addr, VA + PG + 16);
}

/* ----------------------------------------------------------- mem_grant */

UTEST(grant_subrange_with_narrower_rights_into_child)
{
    long code = MUST(raw_code_cap());
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(4, 0));
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, VA, 0, 4, RW), 0);
    for (uint64_t k = 0; k < 4; k++)
        *(volatile uint64_t *)(VA + k * PG) = 0xA000 + k;
    struct mos_cap_info mine;
    EXPECT_EQ(inspect(m, &mine), 0);
    /* Pages 1..2, read-only, mapped in the child at 0x20000000. */
    uint64_t cva = 0x20000000ull;
    long g = mos_mem_grant(m, c.proc, 1, 2, MOS_RIGHT_READ, cva);
    EXPECTF(g > 0, "mem_grant: %ld", g);
    struct mos_cap_info i;
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&i, c.proc, 0), 0);
    EXPECT_EQ(i.type, MOS_CAP_MEMORY);
    EXPECT_EQ(i.rights, MOS_RIGHT_READ);
    EXPECT_EQ(i.base, 1);
    EXPECT_EQ(i.count, 2);
    EXPECT_EQ(i.object_id, mine.object_id);
    /* The child reads page 1 of the object at cva (and exits with it). */
    long t = MUST(raw_child_thread(&c, raw_load_exit, cva + PG, 16));
    struct mos_cap_info pi;
    EXPECT_EQ(wait_dead(c.proc, (mos_handle_t)ep, 2000, &pi), 0);
    EXPECT_EQ(pi.u.proc.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(pi.u.proc.exit_code, 0xA002);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);

    /* A second child writes into a read-only grant: that faults. */
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "grantee2", code, false), 0);
    g = mos_mem_grant(m, c.proc, 3, 1, MOS_RIGHT_READ, cva);
    EXPECT(g > 0);
    t = MUST(raw_child_thread(&c, raw_store_exit, cva, 16));
    EXPECT_EQ(wait_dead(c.proc, (mos_handle_t)ep, 2000, &pi), 0);
    EXPECT_EQ(pi.u.proc.exit_reason, MOS_EXIT_PAGE_FAULT);
    EXPECT_EQ(pi.u.proc.fault_addr, cva);
    EXPECT_EQ(*(volatile uint64_t *)(VA + 3 * PG), 0xA003);
    EXPECT_EQ(mos_cap_delete(t), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);

    /* A writable grant without a mapping: the handle only. */
    EXPECT_EQ(raw_child_create(&c, 64, 16, (mos_handle_t)ep, "grantee3", code, false), 0);
    uint64_t mappings = kinfo->mappings;
    g = mos_mem_grant(m, c.proc, 0, 4, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0);
    EXPECT(g > 0);
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&i, c.proc, 0), 0);
    EXPECT_EQ(i.rights, MOS_RIGHT_READ | MOS_RIGHT_WRITE);
    EXPECT_EQ(i.base, 0);
    EXPECT_EQ(i.count, 4);
    /* Revoking the source takes the grant back from the child. */
    EXPECT_EQ(mos_cap_revoke(m), 1);
    EXPECT_ERR(mos_cap_inspect(g, (uint64_t)&i, c.proc, 0), MOS_EBADHANDLE);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(grant_wider_rights_than_source_is_eperm)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(2, 0));
    long rg = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0, 0, 0));
    EXPECT_ERR(mos_mem_grant(rg, c.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(rg, c.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_EXEC, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(rg, c.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_REVOKE, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(rg, c.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_WRITE, 0x20000000), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(rg, c.proc, 0, 1, 0x20, 0), MOS_EINVAL);         /* not a right at all */
    struct mos_cap_info pi;
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 0);                /* nothing arrived */
    /* Equal or narrower rights are fine. */
    EXPECT(mos_mem_grant(rg, c.proc, 0, 1, MOS_RIGHT_READ | MOS_RIGHT_GRANT, 0) > 0);
    EXPECT(mos_mem_grant(rg, c.proc, 1, 1, MOS_RIGHT_READ, 0) > 0);
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 2);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(rg), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(grant_without_grant_right_is_eperm)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(2, 0));
    long rw = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_EXEC |
                                   MOS_RIGHT_REVOKE, 0, 0, 0));
    EXPECT_ERR(mos_mem_grant(rw, c.proc, 0, 1, MOS_RIGHT_READ, 0), MOS_EPERM);
    EXPECT_ERR(mos_mem_grant(rw, c.proc, 0, 2, MOS_RIGHT_READ, 0x20000000), MOS_EPERM);
    struct mos_cap_info pi;
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 0);
    EXPECT_EQ(mos_mem_unmap(c.proc, 0x20000000, 2), 0);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(rw), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(grant_outside_the_capability_is_erange)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(4, 0));
    EXPECT_ERR(mos_mem_grant(m, c.proc, 4, 1, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 3, 2, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 5, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, c.proc, UINT64_MAX, 2, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 1, UINT64_MAX, MOS_RIGHT_READ, 0), MOS_ERANGE);
    /* Relative to a sub-range capability. */
    long sub = MUST(mos_cap_transfer(m, MOS_SELF, MOS_RIGHTS_ALL, 0, 2, 2));
    EXPECT_ERR(mos_mem_grant(sub, c.proc, 2, 1, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(sub, c.proc, 1, 2, MOS_RIGHT_READ, 0), MOS_ERANGE);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 0, MOS_RIGHT_READ, 0), MOS_EINVAL);          /* 0 pages */
    struct mos_cap_info pi;
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 0);
    long g = mos_mem_grant(sub, c.proc, 1, 1, MOS_RIGHT_READ, 0);
    EXPECT(g > 0);
    struct mos_cap_info i;
    EXPECT_EQ(mos_cap_inspect(g, (uint64_t)&i, c.proc, 0), 0);
    EXPECT_EQ(i.base, 3);
    EXPECT_EQ(i.count, 1);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(sub), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(grant_with_wrong_handle_types_is_ebadtype)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(1, 0));
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    EXPECT_ERR(mos_mem_grant(ep, c.proc, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_grant(m, ep, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_grant(m, m, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADTYPE);
    EXPECT_ERR(mos_mem_grant(0, c.proc, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    EXPECT_ERR(mos_mem_grant(m, 0, 0, 1, MOS_RIGHT_READ, 0), MOS_EBADHANDLE);
    struct mos_cap_info pi;
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 0);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

UTEST(grant_with_bad_mapping_address_leaves_nothing)
{
    long code = MUST(raw_code_cap());
    struct raw_child c = { 0 };
    EXPECT_EQ(raw_child_create(&c, 64, 16, 0, "grantee", code, false), 0);
    long m = MUST(mos_mem_alloc(2, 0));
    uint64_t mappings = kinfo->mappings;
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 1, MOS_RIGHT_READ, 0x20000001), MOS_EINVAL);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 1, MOS_RIGHT_READ, 0xFFFF800000000000ull), MOS_EINVAL);
    EXPECT_ERR(mos_mem_grant(m, c.proc, 0, 1, MOS_RIGHT_READ, RAW_CODE_VA), MOS_EEXIST);  /* code is there */
    struct mos_cap_info pi;
    EXPECT_EQ(inspect(c.proc, &pi), 0);
    EXPECT_EQ(pi.u.proc.caps_used, 0);
    EXPECT_EQ(kinfo->mappings, mappings);
    EXPECT_EQ(mos_proc_destroy(c.proc, 0), 0);
    EXPECT_EQ(mos_cap_delete(c.proc), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
    EXPECT_EQ(mos_cap_delete(code), 0);
}

/* ---------------------------------------------- protections that fault */

/* Child: call into a page mapped without EXEC (arg 0: read+write, 1: read
 * only), holding a `ret`. */
UTEST_CHILD(exec_non_exec_mapping)
{
    static const uint8_t ret[] = { 0xC3 };
    long m = childproc_page_with(ret, sizeof ret, 1);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, VA, 0, 1, arg ? MOS_PROT_READ : RW) == 0);
    CHECK(*(volatile uint8_t *)VA == 0xC3);
    ((void (*)(void))VA)();
    return 1000;                                /* not reached */
}

UTEST(executing_a_mapping_without_exec_faults)
{
    for (uint64_t ro = 0; ro < 2; ro++) {
        struct utest_child c = utest_run_child("exec_non_exec_mapping", ro, NULL, 0, 10000);
        EXPECT(c.finished);
        EXPECTF(c.exit_reason == MOS_EXIT_PAGE_FAULT, "%s page: reason %u code %lld", ro ? "read-only" : "read-write",
                c.exit_reason, (long long)c.exit_code);
        EXPECT_EQ(c.fault_addr, VA);
        EXPECT_EQ(c.fault_ip, VA);
    }
}

/* Child: write into a read-only mapping (arg 1: a read+exec one). */
UTEST_CHILD(write_read_only_mapping)
{
    long m = mos_mem_alloc(1, 0);
    CHECK(m > 0);
    CHECK(mos_mem_map(m, MOS_SELF, VA, 0, 1, arg ? MOS_PROT_READ | MOS_PROT_EXEC : MOS_PROT_READ) == 0);
    CHECK(*(volatile uint64_t *)(VA + 64) == 0);
    *(volatile uint64_t *)(VA + 64) = 1;
    return 1000;                                /* not reached */
}

UTEST(writing_a_read_only_mapping_faults)
{
    for (uint64_t x = 0; x < 2; x++) {
        struct utest_child c = utest_run_child("write_read_only_mapping", x, NULL, 0, 10000);
        EXPECT(c.finished);
        EXPECTF(c.exit_reason == MOS_EXIT_PAGE_FAULT, "%s page: reason %u code %lld", x ? "read+exec" : "read-only",
                c.exit_reason, (long long)c.exit_code);
        EXPECT_EQ(c.fault_addr, VA + 64);
    }
}

/* Child: a read-only capability mapped read-only, even though the object
 * is writable through another capability: writes fault. */
UTEST_CHILD(write_through_read_only_cap)
{
    (void)arg;
    long m = mos_mem_alloc(1, 0);
    CHECK(m > 0);
    long ro = mos_cap_transfer(m, MOS_SELF, MOS_RIGHT_READ, 0, 0, 0);
    CHECK(ro > 0);
    CHECK(mos_mem_map(m, MOS_SELF, VA, 0, 1, RW) == 0);
    CHECK(mos_mem_map(ro, MOS_SELF, VA + PG, 0, 1, MOS_PROT_READ) == 0);
    *(volatile uint64_t *)VA = 77;
    CHECK(*(volatile uint64_t *)(VA + PG) == 77);     /* same frame */
    *(volatile uint64_t *)(VA + PG) = 78;
    return 1000;                                /* not reached */
}

UTEST(writing_through_a_read_only_alias_faults)
{
    struct utest_child c = utest_run_child("write_through_read_only_cap", 0, NULL, 0, 10000);
    EXPECT(c.finished);
    EXPECTF(c.exit_reason == MOS_EXIT_PAGE_FAULT, "reason %u code %lld", c.exit_reason, (long long)c.exit_code);
    EXPECT_EQ(c.fault_addr, VA + PG);
}
