/* SPDX-License-Identifier: MIT */
/* string.h for lwIP: the user library's memory and string functions
 * (kernel/lib/string.c). This port directory comes first on the include
 * path of lwIP and the netstack, so the host C library's headers are never
 * read. */
#pragma once

#include "lib/string.h"
