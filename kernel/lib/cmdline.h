/* SPDX-License-Identifier: MIT */
/* cmdline.h - the kernel command line: space-separated words, each either
 * a flag ("test") or key=value ("test=pmm_"). */
#pragma once

#include "lib/types.h"

/* True when `key` appears as a flag or as key=value. */
bool cmdline_has(const char *cmdline, const char *key);
/* Copy the value of key=value into buf (NUL-terminated); false if absent
 * or given as a bare flag. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
