// SPDX-License-Identifier: MIT
/* scramble - the kernel reads a user structure once, proved without relying
 * on timing: on the test kernel (variant sectest, CONFIG_UACCESS_SCRAMBLE),
 * copy_from_user overwrites with 0xA5 whatever it has just copied out of
 * the one-page window at SCRAMBLE_VA. A system call that checked its copy
 * and then read the user memory again would see 0xA5 bytes; so every
 * outcome here must be that of the original arguments. (security/toctou.c
 * tries the same with a second thread, which only a truly parallel run can
 * make land inside the kernel's window.) This group is only in the long
 * variant's initrd (user/tests_security.mk); the scenario sectest runs it.
 * proc_create is the only system call that copies a structure it
 * interprets from user memory (docs/testing.md, "Security tests"). */
#include "utest.h"

#define SCRAMBLE_VA 0x00004F8000000000ull     /* = UACCESS_SCRAMBLE_VA in kernel/syscall/uaccess.c */

static struct mos_proc_args *window(void)
{
    return (struct mos_proc_args *)SCRAMBLE_VA;
}

static bool scrambled(size_t n)
{
    const uint8_t *p = (const uint8_t *)SCRAMBLE_VA;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xA5)
            return false;
    return true;
}

UTEST(proc_create_reads_its_arguments_once)
{
    long mem = MUST(mos_mem_alloc(1, 0));
    if (mem < 0 || MUST(mos_mem_map(mem, MOS_SELF, SCRAMBLE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE)) < 0)
        return;
    long ep = MUST(mos_cap_create(MOS_CAP_ENDPOINT, 0));
    for (unsigned round = 0; round < 64; round++) {
        struct mos_proc_args a = { .quota_pages = 16 + round, .cspace_slots = 16 + round, .exit_ep = (mos_handle_t)ep,
                                   .max_prio = 0 };
        snprintf(a.name, sizeof a.name, "scrambled-%u", round);
        *window() = a;
        long p = mos_proc_create(SCRAMBLE_VA);
        EXPECTF(scrambled(sizeof a), "round %u: the window was not overwritten: not the sectest kernel", round);
        if (p < 0) {
            EXPECTF(0, "round %u: proc_create: %s", round, mos_strerror(p));
            break;
        }
        struct mos_cap_info i;
        EXPECT_EQ(mos_cap_inspect(p, (uint64_t)&i, MOS_SELF, 0), 0);
        EXPECTF(i.u.proc.quota_pages == a.quota_pages && strcmp(i.u.proc.name, a.name) == 0,
                "round %u: a process with quota %llu pages, name '%.31s': not the arguments given", round,
                (unsigned long long)i.u.proc.quota_pages, i.u.proc.name);
        EXPECT_EQ(mos_proc_destroy(p, 0), 0);
        EXPECT_EQ(mos_cap_delete(p), 0);
    }
    /* Refusals are decided on the copy too: an invalid block stays invalid. */
    struct mos_proc_args bad = { .quota_pages = 0, .cspace_slots = 16 };
    *window() = bad;
    EXPECT_ERR(mos_proc_create(SCRAMBLE_VA), MOS_EINVAL);
    EXPECT(scrambled(sizeof bad));
    bad = (struct mos_proc_args){ .quota_pages = 16, .cspace_slots = 16, ._reserved = 1 };
    *window() = bad;
    EXPECT_ERR(mos_proc_create(SCRAMBLE_VA), MOS_EINVAL);
    EXPECT_EQ(mos_cap_delete(ep), 0);
    EXPECT_EQ(mos_cap_delete(mem), 0);
}
