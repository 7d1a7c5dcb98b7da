/* SPDX-License-Identifier: MIT */
/* kobj.h - the header every capability-named kernel object starts with: a
 * reference count (one per capability slot naming it, plus internal users
 * such as a thread blocked on an endpoint) and a type. The object is
 * destroyed when the last reference goes (kobj_put). Under the big lock. */
#pragma once

#include "lib/types.h"

struct kobj {
    uint32_t refs;          /* big_lock */
    uint8_t  type;          /* enum mos_cap_type */
    uint64_t id;            /* unique, never reused (cap_inspect's object_id) */
};

void kobj_init(struct kobj *o, unsigned type);
/* A fresh object id (also for threads, which are not struct kobj). */
uint64_t kobj_new_id(void);
void kobj_get(struct kobj *o);
/* Drop a reference; the last one destroys the object (type's destructor). */
void kobj_put(struct kobj *o);
/* Destroy the processes whose last reference went during a CDT operation
 * (see kobj.c). Call with the big lock held, outside CDT operations. */
void kobj_run_deferred(void);
/* Objects alive, per type (leak tests). */
uint64_t kobj_count(unsigned type);
