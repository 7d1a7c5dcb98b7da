/* SPDX-License-Identifier: MIT */
/* kcov.h - the two system calls of the fuzzing build (make fuzz; every other
 * build returns -MOS_ENOSYS for their numbers, mos/syscall.h):
 *
 *   long fuzz_cov_reset(uint64_t op, uint64_t fail_skip)   SYS_fuzz_cov_reset (64)
 *     MOS_KCOV_ON       empty the calling thread's coverage set and start
 *                       collecting into it (the set is allocated on first use,
 *                       MOS_KCOV_CHARGE bytes charged to the caller's quota);
 *                       -> N of failnth=N on the kernel command line (0: no
 *                       injection). While collecting with N > 0, the thread's
 *                       allocations (frames, page tables, heap objects), counted
 *                       from 1 after this call, fail when (count + fail_skip)
 *                       is a multiple of N. -MOS_ENOMEM: quota or heap.
 *     MOS_KCOV_OFF      stop collecting (and injecting) -> 0
 *     MOS_KCOV_QUIESCE  for leak accounting: give empty heap slabs and cached
 *                       kernel stacks back to the frame allocator -> free
 *                       frames, counting the page tables the kernel keeps for
 *                       kernel-stack slots (a bounded cache) as free
 *     MOS_KCOV_CHECK    check the heap and frame allocator invariants (a
 *                       broken one panics: the host runner sees it) -> 0
 *   long fuzz_cov_read(uint32_t *pcs, uint64_t max)         SYS_fuzz_cov_read (65)
 *     stop collecting; copy up to max of the collected block addresses, each
 *     as a 32-bit offset from MOS_KCOV_PC_BASE, in no particular order ->
 *     how many distinct blocks were collected (at most MOS_KCOV_MAX; a set
 *     that is (nearly) full drops further blocks).
 *     -MOS_EFAULT: bad buffer. A thread that never collected reads 0.
 * Coverage is per thread and deduplicated: each basic block of the kernel's
 * instrumented code is reported once per MOS_KCOV_ON, however often it ran. */
#pragma once

#include <mos/types.h>

#define MOS_KCOV_OFF      0u
#define MOS_KCOV_ON       1u
#define MOS_KCOV_QUIESCE  2u
#define MOS_KCOV_CHECK    3u

#define MOS_KCOV_MAX      12288u                    /* distinct blocks per set */
#define MOS_KCOV_PC_BASE  0xFFFFFFFF80000000ull     /* the kernel's link base (-2 GiB) */
