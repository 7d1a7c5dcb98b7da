/* SPDX-License-Identifier: MIT */
/* tlb.h - keeping TLBs coherent after a mapping is removed or narrowed:
 * this CPU flushes at once; other CPUs that may cache the space are sent a
 * shoot-down IPI and acknowledged before the call returns (smp.c). */
#pragma once

#include "lib/types.h"

struct vm_space;

/* Flush [va, va+len) of vs on every CPU that may have it cached. Context:
 * no spinlock held (it may wait for other CPUs). */
void tlb_flush_range(struct vm_space *vs, vaddr_t va, uint64_t len);

/* Installed by SMP bring-up: flush on other CPUs. NULL while only one runs. */
extern void (*tlb_remote_flush)(struct vm_space *vs, vaddr_t va, uint64_t len);
