/* SPDX-License-Identifier: MIT */
/* kinfo.h - the kernel information page: read-only, mapped at MOS_KINFO_ADDR
 * in every process. Time: now_ns = (rdtsc() - tsc_base) * tsc_mult >> 32. */
#pragma once

#include <mos/types.h>

#define MOS_KINFO_ADDR  0x00007FFFFFFF0000ull
#define MOS_KINFO_MAGIC 0x4F464E494B534F4Dull   /* "MOSKINFO" */

struct mos_kinfo {
    uint64_t magic;
    uint64_t tsc_hz;
    uint64_t tsc_mult;          /* ns per TSC tick, 32.32 fixed point */
    uint64_t tsc_base;          /* 0: time counts from CPU reset, like the kernel log */
    uint32_t ncpus;
    uint32_t page_size;
    uint64_t total_frames;
    uint64_t boot_flags;        /* MOS_BOOT_* */
    /* Live counters, updated by the kernel as they change (for the shell's
     * `mem`, and for leak tests). A value may be stale by one operation. */
    volatile uint64_t free_frames;      /* physical frames free */
    volatile uint64_t heap_bytes;       /* kernel heap bytes in use */
    volatile uint64_t heap_objects;     /* kernel heap allocations live */
    volatile uint64_t objects[8];       /* live kernel objects by enum mos_cap_type
                                         * (MEMORY, ENDPOINT, PROCESS; THREAD: threads) */
    volatile uint64_t mappings;         /* mapping records */
    /* Where the frames that are not free are (docs/testing.md, "Fault
     * injection"): from phase 5 on, free_frames + heap_pages + kstack_frames
     * + table_frames + ktable_frames + memobj_frames stays constant (the
     * rest is fixed at boot: what the PMM never hands out, this page). */
    volatile uint64_t heap_pages;       /* kernel heap: slabs (empty ones kept) + large blocks */
    volatile uint64_t kstack_frames;    /* mapped kernel stacks, cached free ones included */
    volatile uint64_t table_frames;     /* processes' page tables, their roots included */
    volatile uint64_t ktable_frames;    /* the kernel's page tables (grow with stack slots
                                         * and device mappings; never freed) */
    volatile uint64_t memobj_frames;    /* RAM owned by memory objects */
};
_Static_assert(sizeof(struct mos_kinfo) == 192, "ABI: mos_kinfo");

#define MOS_BOOT_TEST      1u   /* booted with "test": init runs the test suite */
#define MOS_BOOT_REALTIME  2u   /* time follows a preemptible host (see docs/testing.md) */
#define MOS_BOOT_BENCH     4u
#define MOS_BOOT_FUZZ      8u
