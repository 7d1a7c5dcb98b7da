/* SPDX-License-Identifier: MIT */
/* types.h - basic types of the MinimalOS ABI (fixed width only; shared by
 * the kernel, userspace and host tests). */
#pragma once

#include <stdint.h>

/* A capability handle: slot index (low 20 bits) and the slot's generation
 * (high 12 bits), so a handle to a slot that was emptied and refilled no
 * longer works. 0 is never a valid handle. */
typedef uint32_t mos_handle_t;

#define MOS_HANDLE_INDEX_BITS 20
#define MOS_HANDLE_INDEX(h)   ((h) & ((1u << MOS_HANDLE_INDEX_BITS) - 1))
#define MOS_HANDLE_GEN(h)     ((h) >> MOS_HANDLE_INDEX_BITS)

/* "The calling process / thread": accepted where a call acts on oneself
 * (mem_map, mem_unmap, cap_transfer, cap_inspect, thread_create into one's
 * own process, proc_destroy to exit, thread_destroy to end the caller). */
#define MOS_SELF ((mos_handle_t)0xFFFFFFFFu)

/* Time-outs, in nanoseconds relative to the call. */
#define MOS_TIMEOUT_POLL    0ull
#define MOS_TIMEOUT_FOREVER UINT64_MAX

#define MOS_PAGE_SIZE 4096u
