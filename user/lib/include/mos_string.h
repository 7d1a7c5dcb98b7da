/* SPDX-License-Identifier: MIT */
/* mos_string.h - memory and string functions for user programs: the
 * kernel's own implementations (kernel/lib/string.c, compiled into the user
 * library), with the standard C prototypes of kernel/lib/string.h. */
#pragma once

#include "lib/string.h"
