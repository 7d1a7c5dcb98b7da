/* SPDX-License-Identifier: MIT */
/* mos_string.h - memory and string functions for user programs: the
 * kernel's own implementations (kernel/lib/string.c, compiled into the user
 * library), with the standard C prototypes of kernel/lib/string.h. */
#pragma once

#include "lib/string.h"

#include <stdbool.h>
#include <stdint.h>

/* The whole of s as a decimal number no larger than max (argument
 * parsing): false for an empty string, any other character, or more. */
bool mos_parse_u64(const char *s, uint64_t max, uint64_t *out);
