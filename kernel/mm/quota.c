// SPDX-License-Identifier: MIT
/* quota.c - charge and refund (see quota.h). */
#include "mm/quota.h"
#include "lib/assert.h"
#include <mos/errors.h>

int quota_charge(struct quota *q, uint64_t bytes)
{
    if (bytes > q->limit - q->used)
        return -MOS_ENOMEM;
    q->used += bytes;
    return 0;
}

void quota_refund(struct quota *q, uint64_t bytes)
{
    assert(bytes <= q->used);
    q->used -= bytes;
}
