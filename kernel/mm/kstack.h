/* SPDX-License-Identifier: MIT */
/* kstack.h - kernel stacks in their own region of the kernel half
 * (memlayout.h), each KSTACK_SIZE bytes with an unmapped guard page below,
 * so an overflow faults instead of corrupting the neighbour. */
#pragma once

#include "lib/types.h"

struct kstack {
    vaddr_t base;   /* lowest mapped byte */
    vaddr_t top;    /* one past the highest byte: the initial stack pointer */
};

/* Allocate and map a stack; false when out of memory or slots. */
__must_check bool kstack_alloc(struct kstack *ks);
void kstack_free(struct kstack *ks);
/* The guard page of the stack that contains (or ends at) addr, or 0. */
vaddr_t kstack_guard_of(vaddr_t addr);
/* Slots in use, cached free stacks included. */
uint64_t kstack_in_use(void);
/* Unmap and free every cached stack; returns how many. */
unsigned kstack_drain(void);
/* Highest slot number ever used + 1 (its page tables stay allocated). */
uint64_t kstack_high_water(void);
