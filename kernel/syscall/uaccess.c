// SPDX-License-Identifier: MIT
/* uaccess.c - range checks in front of the arch copy routines (uaccess.S).
 * The copy is done once into kernel memory; callers validate the kernel
 * copy, never the user buffer (no time-of-check/time-of-use window). */
#include "config.h"
#include "syscall/uaccess.h"
#include "arch/x86_64/memlayout.h"
#include "arch/arch.h"
#include "mm/vmm.h"
#include <mos/errors.h>

long arch_copy_user(void *dst, const void *src, size_t n);
long arch_fill_user(void *dst, int byte, size_t n);

bool user_range_ok(uint64_t va, uint64_t len)
{
    return va <= USER_TOP && len <= USER_TOP - va;
}

/* The test kernel's time-of-check/time-of-use probe (CONFIG_UACCESS_SCRAMBLE,
 * user/tests/scramble): once copied, the bytes of [va, va+len) that lie in
 * the test window are overwritten with 0xA5, so a system call that read
 * them again would see other data. Outside the window nothing changes. */
#define UACCESS_SCRAMBLE_VA 0x00004F8000000000ull   /* one page; nothing else uses it */

static void uaccess_scramble(uint64_t va, uint64_t len)
{
    uint64_t lo = va > UACCESS_SCRAMBLE_VA ? va : UACCESS_SCRAMBLE_VA;
    uint64_t hi = va + len < UACCESS_SCRAMBLE_VA + PAGE_SIZE ? va + len : UACCESS_SCRAMBLE_VA + PAGE_SIZE;
    if (lo < hi)
        (void)arch_fill_user((void *)lo, 0xA5, hi - lo);
}

int copy_from_user(void *dst, uptr_t src, size_t len)
{
    if (!user_range_ok(src.va, len))
        return -MOS_EFAULT;
    if (!len)
        return 0;
    int r = (int)arch_copy_user(dst, (const void *)src.va, len);
    if (CONFIG_UACCESS_SCRAMBLE && r == 0)
        uaccess_scramble(src.va, len);
    return r;
}

/* Every page after the first of [va, va+len) mapped user-writable? (A
 * fault in the first page happens before any byte is written; checking the
 * rest first means a failed copy writes nothing.) */
static bool rest_writable(uint64_t va, uint64_t len)
{
    paddr_t root = arch_mmu_current();
    for (uint64_t p = ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE; p < va + len; p += PAGE_SIZE) {
        unsigned prot;
        if (!arch_mmu_query(root, p, NULL, &prot) || !(prot & VM_USER) || !(prot & VM_WRITE))
            return false;
    }
    return true;
}

int copy_to_user(uptr_t dst, const void *src, size_t len)
{
    if (!user_range_ok(dst.va, len))
        return -MOS_EFAULT;
    if (!len)
        return 0;
    if (!rest_writable(dst.va, len))
        return -MOS_EFAULT;
    return (int)arch_copy_user((void *)dst.va, src, len);
}

int clear_user(uptr_t dst, size_t len)
{
    if (!user_range_ok(dst.va, len))
        return -MOS_EFAULT;
    if (!len)
        return 0;
    return (int)arch_fill_user((void *)dst.va, 0, len);
}

int copy_string_from_user(char *dst, uptr_t src, size_t max)
{
    /* Chunked so a string near the end of a mapping does not fault on the
     * bytes past its NUL. */
    size_t got = 0;
    while (got < max) {
        size_t chunk = MIN((size_t)64, max - got);
        uint64_t page_left = PAGE_SIZE - ((src.va + got) & (PAGE_SIZE - 1));
        chunk = MIN(chunk, (size_t)page_left);
        int err = copy_from_user(dst + got, uptr(src.va + got), chunk);
        if (err)
            return err;
        for (size_t i = got; i < got + chunk; i++)
            if (dst[i] == '\0')
                return 0;
        got += chunk;
    }
    dst[max - 1] = '\0';
    return -MOS_ENAMETOOLONG;
}
