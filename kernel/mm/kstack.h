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
uint64_t kstack_in_use(void);
