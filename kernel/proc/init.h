/* SPDX-License-Identifier: MIT */
/* init.h - starting the first process (phase 5). */
#pragma once

#include "lib/types.h"

struct boot_info;

/* Fill the kernel information page and start bin/init from the initrd with
 * the root capabilities. NULL on success, else what went wrong. */
const char *init_start(const struct boot_info *bi, uint64_t boot_flags);
