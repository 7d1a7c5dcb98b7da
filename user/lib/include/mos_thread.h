/* SPDX-License-Identifier: MIT */
/* mos_thread.h - more threads in the calling process. Each gets its own
 * 1 MiB stack region at MOS_THREAD_STACKS + k * MOS_STACK_REGION (a 64 KiB
 * stack at the top, its IPC buffer at the bottom, unmapped guard between),
 * so mos_thread_data() works in it. */
#pragma once

#include <stdint.h>
#include <mos/types.h>

struct mos_thread {
    mos_handle_t handle;        /* THREAD capability */
    mos_handle_t stack_mem, ipc_mem;   /* MEMORY capabilities of its stack and IPC buffer */
    unsigned slot;              /* stack region index */
};

/* Start fn(arg) in a new thread at prio (0 = default 16) pinned to cpu
 * (-1 = anywhere). Returns 0 or -MOS_E*. */
long mos_thread_start(struct mos_thread *t, void (*fn)(void *), void *arg, unsigned prio, int cpu);
/* Wait until the thread has ended (polling every millisecond, at most
 * timeout_ns), then free its stack; 0, or -MOS_ETIMEDOUT. */
long mos_thread_join(struct mos_thread *t, uint64_t timeout_ns);
