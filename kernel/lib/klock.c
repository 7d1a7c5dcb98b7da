// SPDX-License-Identifier: MIT
/* klock.c - the big kernel lock (klock.h). */
#include "lib/klock.h"

struct spinlock big_lock = SPINLOCK_INIT_CLASS("big", LOCK_CLASS_BIG);
