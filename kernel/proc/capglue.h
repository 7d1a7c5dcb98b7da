/* SPDX-License-Identifier: MIT */
/* capglue.h - what capabilities mean to the rest of the kernel: taking an
 * object reference when a capability is copied, undoing a capability's
 * effects when it is deleted (mappings, IRQ bindings, blocked threads, I/O
 * ports), and the I/O permission bitmap computed from IOPORT capabilities.
 * Locking: big_lock. */
#pragma once

#include "cap/cap.h"

struct process;

/* A new slot now names c's object: take the reference it holds. */
void capglue_get(const struct cap *c);
/* cdt_release_fn for every deletion in the kernel. */
void capglue_release(struct cap_slot *s, void *ctx);
/* Recompute p's I/O bitmap from its IOPORT capabilities, ignoring `skip`
 * (a slot being deleted); CPUs running p's threads reload it at once. */
void capglue_update_iomap(struct process *p, struct cap_slot *skip);
/* Move a capability between slots (cdt_move), re-pointing what remembered
 * the old slot (mapping records, queued threads, IRQ bindings) and updating
 * I/O bitmaps. */
void capglue_move(struct cap_slot *src, struct cap_slot *dst);
/* Place a new root capability (a fresh object) into p's space; the slot's
 * handle, or -MOS_ENOSPC. The object reference passes to the slot. */
__must_check long capglue_install_root(struct process *p, const struct cap *c);
