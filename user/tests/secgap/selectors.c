// SPDX-License-Identifier: MIT
/* secgap/selectors - a known gap, kept as a test: the DS, ES, FS and GS
 * selectors pass from one process to another. The kernel neither saves nor
 * reloads them when it switches threads (SYSCALL/SYSRET and interrupts
 * leave them alone), so a thread sees whatever the previous thread on its
 * CPU loaded, and a fresh thread starts with the CPU's leftovers (0, or the
 * kernel's 0x10 on an AP). Every descriptor a user can load has base 0, so
 * this is a channel of a few bits per register between cooperating
 * processes, not a way to reach memory. The fix (save the outgoing user
 * thread's selectors, reload the incoming one's when they differ, GS
 * between two SWAPGS) costs instructions on every thread switch, the IPC
 * fast path's included: docs/testing.md, "Security tests".
 * This group is in no normal image (user/tests_security.mk): the scenario
 * secgap-selectors runs it and passes only while this case FAILS with a
 * selector mismatch, so the day a kernel change closes the gap the
 * scenario fails, and this case moves back to the security group. */
#include "../security/regs.h"

static void check_entry_selectors(const struct regdump *d, const volatile struct shared *s)
{
    static const char *const seg[4] = { "DS", "ES", "FS", "GS" };
    for (int k = 0; k < 4; k++)
        EXPECTF(d->sel[k] == s->entry_sel[k], "at entry %s = 0x%x, a fresh thread has 0x%x (the polluter "
                "loaded 0x%llx)", seg[k], d->sel[k], s->entry_sel[k], (unsigned long long)s->polluted_sel);
}

static void check_held_selectors(unsigned i, const struct regdump *d, const struct regdump *entry)
{
    for (int k = 0; k < 4; k++)
        EXPECTF(d->sel[k] == entry->sel[k], "check %u: selector %d = 0x%x after a switch, was 0x%x", i, k,
                d->sel[k], entry->sel[k]);
}

/* The DS/ES/FS/GS selectors (16 bits each; every descriptor a user can
 * load has base 0, so they carry no authority, but they are state one
 * process can set and another can read). */
UTEST(segment_selectors_do_not_pass_between_processes)
{
    static const uint64_t spins[] = { 0 };
    uint64_t top = 0;
    if (!pollute_and_check(spins, 1, &top))
        return;
    check_entry_selectors(&ck.entry, &ck.polluter);
    for (unsigned i = 0; i < ck.n; i++)
        check_held_selectors(i, &ck.held[i], &ck.entry);
}

