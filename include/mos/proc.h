/* SPDX-License-Identifier: MIT */
/* proc.h - creating processes and threads. */
#pragma once

#include <mos/types.h>

/* proc_create's argument. */
struct mos_proc_args {
    uint64_t quota_pages;       /* memory it may use (frames, page tables, kernel
                                 * objects), taken from the creator's own quota */
    uint32_t cspace_slots;      /* capability slots (16..65536) */
    mos_handle_t exit_ep;       /* ENDPOINT (WRITE) notified when it dies, or 0: the
                                 * notification bits are the capability's badge (1 if
                                 * unbadged); cap_inspect of the PROCESS says why */
    char     name[32];          /* for ps and logs (NUL-terminated) */
    uint32_t max_prio;          /* priority ceiling of its threads: 1..the creator's
                                 * own ceiling; 0 = the creator's */
    uint32_t _reserved;         /* must be 0 */
};
_Static_assert(sizeof(struct mos_proc_args) == 56, "ABI: mos_proc_args");

/* The priority ceiling of init (and so of every process): user threads run
 * below the kernel's own threads. */
#define MOS_PRIO_USER_MAX    29

/* thread_create's prio|cpu argument. */
#define MOS_THREAD_PRIO(p)   ((uint64_t)(p) & 0xFF)      /* 1..31 */
#define MOS_THREAD_CPU(c)    (((uint64_t)(c) + 1) << 8)  /* pin to CPU c; 0 = anywhere */
#define MOS_THREAD_SUSPENDED (1ull << 24)                /* created, not started: thread_wake starts it */

/* Memory mapping protections (mem_map). */
#define MOS_PROT_READ   1u
#define MOS_PROT_WRITE  2u
#define MOS_PROT_EXEC   4u
