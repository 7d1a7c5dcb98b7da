/* SPDX-License-Identifier: MIT */
/* irq.h - routing hardware interrupts to capability holders: an IRQ line
 * bound to an endpoint ORs the binding's bits into the endpoint's
 * notification word and stays masked until the holder acknowledges it
 * (irq_bind with no endpoint). Lines 0-15 are ISA IRQs (the MADT's overrides
 * applied), 16 and up are GSIs. Locking: big_lock. */
#pragma once

#include "lib/types.h"

struct cap_slot;

#define IRQ_LINES 64

/* Bind the IRQ capability's line (its count must be 1) to the endpoint
 * capability ep (NULL: acknowledge, i.e. unmask). */
__must_check long irq_bind(struct cap_slot *irq, struct cap_slot *ep, uint64_t bits);
/* The IRQ capability s is deleted: undo its binding, if any. */
void irq_release_slot(struct cap_slot *s);
/* The binding capability moved to another slot. */
void irq_move_slot(struct cap_slot *from, struct cap_slot *to);
/* Lines that exist on this machine (for init's root capability). */
unsigned irq_line_count(void);
/* Interrupts delivered per line (tests). */
uint64_t irq_delivered(unsigned line);
