/* SPDX-License-Identifier: MIT */
/* klock.h - the big kernel lock: one lock for all object state
 * (capabilities, IPC, processes, memory objects, mappings), as seL4 does on
 * SMP. Scheduler state has its own per-CPU locks below it. Taken with
 * interrupts off; never held across a block (drop it, then sched_block()).
 * Lock order: big_lock -> thread_list_lock -> cpu->lock -> vm_space.lock ->
 * pmm/kheap/kstack; the debug kernel checks it (lib/lockcheck.h: big_lock
 * has the lowest rank and is taken by the IRQ handler). */
#pragma once

#include "lib/spinlock.h"

extern struct spinlock big_lock;

static inline uint64_t klock(void) { return spin_lock_irqsave(&big_lock); }
static inline void kunlock(uint64_t flags) { spin_unlock_irqrestore(&big_lock, flags); }
static inline bool klock_held(void) { return spin_held(&big_lock); }
