/* SPDX-License-Identifier: MIT */
/* ksyms.h - the kernel's own symbol table (generated at build time by
 * tools/mksyms.py from the first link, placed in .ksyms), for crash reports. */
#pragma once

#include "lib/types.h"

struct ksym {
    uint64_t addr;
    uint32_t name;      /* offset into ksym_names */
    uint32_t size;      /* bytes, 0 if unknown */
};

extern const struct ksym ksym_table[];
extern const uint32_t ksym_count;
extern const char ksym_names[];

/* The function containing addr: its name and addr's offset in it; NULL when
 * addr lies outside the kernel's text. Pure, lock-free, safe in panic. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* Address of a function by name, 0 if absent (tests use it). */
uint64_t ksym_address(const char *name);

/* "name+0x1c" or "?" into buf. */
void ksym_format(uint64_t addr, char *buf, size_t len);
