// SPDX-License-Identifier: MIT
/* ksyms.c - address -> function name lookup over the generated, sorted
 * symbol table (binary search). Pure and lock-free: crash reports call it
 * with every other CPU possibly stopped mid-operation. */
#include "lib/ksyms.h"
#include "lib/kprintf.h"
#include "lib/string.h"

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    uint32_t lo = 0, hi = ksym_count;
    if (ksym_count == 0 || addr < ksym_table[0].addr)
        return NULL;
    while (hi - lo > 1) {               /* invariant: table[lo].addr <= addr */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ksym_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    const struct ksym *s = &ksym_table[lo];
    uint64_t end = s->size ? s->addr + s->size
                           : (lo + 1 < ksym_count ? ksym_table[lo + 1].addr : s->addr + 1);
    if (addr >= end)
        return NULL;
    if (offset)
        *offset = addr - s->addr;
    return &ksym_names[s->name];
}

uint64_t ksym_address(const char *name)
{
    for (uint32_t i = 0; i < ksym_count; i++)
        if (strcmp(&ksym_names[ksym_table[i].name], name) == 0)
            return ksym_table[i].addr;
    return 0;
}

void ksym_format(uint64_t addr, char *buf, size_t len)
{
    uint64_t off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        ksnprintf(buf, len, "%s+0x%llx", name, (unsigned long long)off);
    else
        ksnprintf(buf, len, "?");
}
