// SPDX-License-Identifier: MIT
/* isolation: user code cannot read, write or execute kernel memory (the
 * kernel half is supervisor-only; a non-canonical address is a #GP), pages
 * that hold data are never executable, and the kernel information page is
 * readable but not writable, and cannot be unmapped or mapped over. */
#include "kid.h"

#define VA_DATA 0x0000400000000000ull
#define KERNEL_IMAGE 0xFFFFFFFF80200000ull
#define KERNEL_BASE  0xFFFFFFFF80000000ull
#define HHDM         0xFFFF800000000000ull

UTEST_CHILD(kread)
{
    return (long)(*(volatile uint8_t *)arg);
}

UTEST_CHILD(kwrite)
{
    *(volatile uint64_t *)arg = 0;
    return 0;
}

UTEST_CHILD(kexec)
{
    ((void (*)(void))(uintptr_t)arg)();
    return 0;
}

static const uint64_t kernel_addrs[] = {
    KERNEL_IMAGE,                   /* kernel text */
    KERNEL_IMAGE + 0x1000,
    KERNEL_BASE,
    HHDM,                           /* physical page 0 through the direct map */
    HHDM + 0x200000,                /* the kernel image's frames through the direct map */
    HHDM + 0x100000,
    0xFFFFFFFFFFFFF000ull,          /* the very top */
};
#define NKADDR (sizeof kernel_addrs / sizeof kernel_addrs[0])

UTEST(user_cannot_read_kernel_memory)
{
    for (unsigned i = 0; i < NKADDR; i++) {
        struct utest_child c = utest_run_child("kread", kernel_addrs[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_PAGE_FAULT && c.fault_addr == kernel_addrs[i],
                "read of 0x%llx: reason %u code %lld address 0x%llx", (unsigned long long)kernel_addrs[i],
                c.exit_reason, (long long)c.exit_code, (unsigned long long)c.fault_addr);
    }
}

UTEST(user_cannot_write_kernel_memory)
{
    for (unsigned i = 0; i < NKADDR; i++) {
        struct utest_child c = utest_run_child("kwrite", kernel_addrs[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_PAGE_FAULT && c.fault_addr == kernel_addrs[i],
                "write of 0x%llx: reason %u code %lld address 0x%llx", (unsigned long long)kernel_addrs[i],
                c.exit_reason, (long long)c.exit_code, (unsigned long long)c.fault_addr);
    }
}

UTEST(user_cannot_execute_kernel_addresses)
{
    for (unsigned i = 0; i < NKADDR; i++) {
        struct utest_child c = utest_run_child("kexec", kernel_addrs[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_PAGE_FAULT && c.fault_addr == kernel_addrs[i] &&
                    c.fault_ip == kernel_addrs[i],
                "jump to 0x%llx: reason %u code %lld address 0x%llx ip 0x%llx",
                (unsigned long long)kernel_addrs[i], c.exit_reason, (long long)c.exit_code,
                (unsigned long long)c.fault_addr, (unsigned long long)c.fault_ip);
    }
}

UTEST(noncanonical_access_faults_gp)
{
    static const uint64_t addrs[] = { 0x0000800000000000ull, 0x8000000000000000ull, 0xFFFF7FFFFFFFF000ull };
    for (unsigned i = 0; i < 3; i++) {
        struct utest_child c = utest_run_child("kread", addrs[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_GENERAL_PROTECTION,
                "read of 0x%llx: reason %u code %lld", (unsigned long long)addrs[i], c.exit_reason,
                (long long)c.exit_code);
        c = utest_run_child("kwrite", addrs[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_GENERAL_PROTECTION,
                "write of 0x%llx: reason %u code %lld", (unsigned long long)addrs[i], c.exit_reason,
                (long long)c.exit_code);
    }
}

static const uint8_t ret_in_rodata[16] = { 0xC3, 0xC3, 0xC3, 0xC3 };
static uint8_t ret_in_data[16] = { 0xC3, 0xC3, 0xC3, 0xC3 };

/* Executes a `ret` placed in a data page: mapped memory (0), the stack (1),
 * read-only data (2), writable data (3). */
UTEST_CHILD(exec_data)
{
    if (arg == 0) {
        long m = mos_mem_alloc(1, 0);
        if (m < 0 || mos_mem_map(m, MOS_SELF, VA_DATA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE) != 0)
            return 60;
        *(volatile uint8_t *)VA_DATA = 0xC3;
        ((void (*)(void))VA_DATA)();
    } else if (arg == 1) {
        /* Written at run time and laundered through asm so no compiler
         * can fold the array into .rodata (clang did). */
        uint8_t code[16];
        void *p = code;
        *(volatile uint8_t *)p = 0xC3;
        __asm__ volatile("" : "+r"(p) : : "memory");
        ((void (*)(void))p)();
    } else if (arg == 2) {
        ((void (*)(void))(uintptr_t)ret_in_rodata)();
    } else {
        ((void (*)(void))(uintptr_t)ret_in_data)();
    }
    return 0;                                      /* it ran: W^X broken */
}

UTEST(data_pages_are_not_executable)
{
    const uint64_t where[4] = { VA_DATA, 0, (uint64_t)(uintptr_t)ret_in_rodata, (uint64_t)(uintptr_t)ret_in_data };
    for (unsigned i = 0; i < 4; i++) {
        struct utest_child c = utest_run_child("exec_data", i, NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_PAGE_FAULT, "variant %u: reason %u code %lld", i,
                c.exit_reason, (long long)c.exit_code);
        EXPECTF(c.fault_ip == c.fault_addr, "variant %u: ip 0x%llx address 0x%llx", i,
                (unsigned long long)c.fault_ip, (unsigned long long)c.fault_addr);
        if (i == 1)
            EXPECTF(c.fault_addr >= MOS_MAIN_STACK_TOP - MOS_STACK_REGION && c.fault_addr < MOS_MAIN_STACK_TOP,
                    "stack variant faulted at 0x%llx", (unsigned long long)c.fault_addr);
        else
            EXPECTF(c.fault_addr == where[i], "variant %u: address 0x%llx, expected 0x%llx", i,
                    (unsigned long long)c.fault_addr, (unsigned long long)where[i]);
    }
    /* And a mapping can never be asked for as writable and executable. */
    long m = MUST(mos_mem_alloc(1, 0));
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, VA_DATA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE | MOS_PROT_EXEC), MOS_EINVAL);
    EXPECT_EQ(mos_cap_delete(m), 0);
}

/* ------------------------------------------------------- kernel info page */

UTEST(kinfo_page_is_readable)
{
    const volatile struct mos_kinfo *k = (const volatile struct mos_kinfo *)MOS_KINFO_ADDR;
    EXPECT_EQ(k->magic, MOS_KINFO_MAGIC);
    EXPECT_EQ(k->page_size, MOS_PAGE_SIZE);
    EXPECT(k->ncpus >= 1 && k->ncpus <= 256);
    EXPECT(k->tsc_hz > 0);
    EXPECT(k->total_frames > 0 && k->free_frames <= k->total_frames);
    EXPECT(k->boot_flags & MOS_BOOT_TEST);
    /* The whole page reads (past the structure too). */
    const volatile uint8_t *b = (const volatile uint8_t *)MOS_KINFO_ADDR;
    unsigned sum = 0;
    for (unsigned i = 0; i < MOS_PAGE_SIZE; i++)
        sum += b[i];
    EXPECT(sum > 0);
    /* A child sees the same page. */
    struct utest_child c = utest_run_child("kread", MOS_KINFO_ADDR, NULL, 0, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, MOS_KINFO_MAGIC & 0xFF);
}

UTEST(kinfo_page_write_faults)
{
    static const uint64_t at[] = { MOS_KINFO_ADDR, MOS_KINFO_ADDR + 0x40, MOS_KINFO_ADDR + MOS_PAGE_SIZE - 8 };
    for (unsigned i = 0; i < 3; i++) {
        struct utest_child c = utest_run_child("kwrite", at[i], NULL, 0, 5000);
        EXPECTF(c.finished && c.exit_reason == MOS_EXIT_PAGE_FAULT && c.fault_addr == at[i],
                "write of 0x%llx: reason %u address 0x%llx", (unsigned long long)at[i], c.exit_reason,
                (unsigned long long)c.fault_addr);
    }
    EXPECT_EQ(((const volatile struct mos_kinfo *)MOS_KINFO_ADDR)->magic, MOS_KINFO_MAGIC);
}

UTEST(kinfo_page_cannot_be_unmapped_or_mapped_over)
{
    const uint64_t K = MOS_KINFO_ADDR, P = MOS_PAGE_SIZE;
    long m = MUST(mos_mem_alloc(2, 0));
    struct mos_proc_args pa = { .quota_pages = 64, .cspace_slots = 32, .name = "target" };
    long p = MUST(mos_proc_create((uint64_t)&pa));
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, K, 1), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, K - P, 2), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(MOS_SELF, K - 16 * P, 32), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, K, 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, K - P, 0, 2, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_map(m, MOS_SELF, K, 0, 2, MOS_PROT_READ | MOS_PROT_WRITE), MOS_EINVAL);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, K - P, 1), 0);          /* the refused map left nothing */
    /* Nor in another process. */
    EXPECT_ERR(mos_mem_map(m, p, K, 0, 1, MOS_PROT_READ), MOS_EINVAL);
    EXPECT_ERR(mos_mem_unmap(p, K, 1), MOS_EINVAL);
    EXPECT_ERR(mos_mem_grant(m, p, 0, 1, MOS_RIGHT_READ, K), MOS_EINVAL);
    EXPECT_ERR(mos_mem_grant(m, p, 0, 2, MOS_RIGHT_READ, K - P), MOS_EINVAL);
    EXPECT_EQ(cspace_enumerate(p, NULL, 0), 0);               /* the refused grants left nothing */
    EXPECT_EQ(mos_cap_revoke(m), 0);
    /* Still there, still the kernel's. */
    EXPECT_EQ(((const volatile struct mos_kinfo *)K)->magic, MOS_KINFO_MAGIC);
    /* Right next to it is ordinary user space. */
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, K - P, 0, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_map(m, MOS_SELF, K + P, 1, 1, MOS_PROT_READ), 0);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, K - P, 1), 1);
    EXPECT_EQ(mos_mem_unmap(MOS_SELF, K + P, 1), 1);
    EXPECT_EQ(((const volatile struct mos_kinfo *)K)->magic, MOS_KINFO_MAGIC);
    EXPECT_EQ(mos_cap_delete(p), 0);
    EXPECT_EQ(mos_cap_delete(m), 0);
}
