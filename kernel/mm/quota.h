/* SPDX-License-Identifier: MIT */
/* quota.h - per-process memory accounting, in bytes: frames, page tables,
 * kernel objects and stacks a process causes the kernel to allocate are
 * charged to its quota, whose limit its creator set (and reserved out of its
 * own quota). A charge that would pass the limit fails with -MOS_ENOMEM and
 * changes nothing. Under the big lock. */
#pragma once

#include "lib/types.h"

struct quota {
    uint64_t limit;         /* bytes */
    uint64_t used;          /* bytes, <= limit */
};

__must_check int quota_charge(struct quota *q, uint64_t bytes);
void quota_refund(struct quota *q, uint64_t bytes);
