// SPDX-License-Identifier: MIT
/* start_block.c - the start-block convention between a loader and a new
 * process (mos_start.h), as pure functions: mos_start_build() lays out, in a
 * local view of the top of a new stack, from the top down:
 *   struct mos_thread_data      (the last 32 bytes of the stack region)
 *   struct mos_start            (72 bytes; its address goes to RDI)
 *   the argv strings, then the "name=handle" strings
 *   argv[argc + 1], then caps[ncaps + 1] (8-aligned pointer arrays)
 *   256 bytes or more of free stack, from the 16-aligned initial RSP down
 * and mos_caps_lookup() reads the "name=handle" list back. Compiled into the
 * user library and into host tests; no system calls, no state. */
#include "mos_start.h"

#include <stdbool.h>
#include <mos/errors.h>
#include "lib/string.h"

#define START_SPARE 256u     /* bytes left below the initial RSP in the built area */

static bool start_name_ok(const char *name)
{
    if (!name)
        return false;
    size_t n = strnlen(name, MOS_CAP_NAME_MAX + 1);
    return n >= 1 && n <= MOS_CAP_NAME_MAX && !strchr(name, '=');
}

/* Decimal digits of v into out (no NUL); returns the count (1..10). */
static size_t start_utoa(uint32_t v, char *out)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

mos_handle_t mos_caps_lookup(const char *const *caps, const char *name)
{
    if (!caps || !start_name_ok(name))
        return 0;
    size_t nlen = strlen(name);
    for (; *caps; caps++) {
        const char *s = *caps;
        if (strncmp(s, name, nlen) != 0 || s[nlen] != '=')
            continue;
        const char *d = s + nlen + 1;
        uint64_t v = 0;
        size_t digits = 0;
        for (; *d >= '0' && *d <= '9'; d++, digits++) {
            v = v * 10 + (uint64_t)(*d - '0');
            if (v > UINT32_MAX)
                return 0;
        }
        if (digits == 0 || *d != '\0')
            return 0;
        return (mos_handle_t)v;
    }
    return 0;
}

int mos_start_build(void *buf, size_t size, uint64_t top_va, const struct mos_start_params *p,
                    uint64_t *block_va, uint64_t *sp)
{
    if (top_va % MOS_STACK_REGION || top_va < size || (p->argc && !p->argv) ||
        (p->ncaps && (!p->cap_names || !p->cap_handles)))
        return -MOS_EINVAL;

    /* Measure exactly (each sum is checked against size as it grows, so
     * nothing can wrap). */
    uint64_t strings = 0;
    char digits[10];
    for (uint32_t i = 0; i < p->argc; i++) {
        if (!p->argv[i])
            return -MOS_EINVAL;
        strings += strnlen(p->argv[i], size) + 1;
        if (strings > size)
            return -MOS_EOVERFLOW;
    }
    for (uint32_t i = 0; i < p->ncaps; i++) {
        if (!start_name_ok(p->cap_names[i]))
            return -MOS_EINVAL;
        strings += strlen(p->cap_names[i]) + 1 + start_utoa(p->cap_handles[i], digits) + 1;
        if (strings > size)
            return -MOS_EOVERFLOW;
    }
    uint64_t arrays = ((uint64_t)p->argc + 1 + (uint64_t)p->ncaps + 1) * sizeof(uint64_t);
    uint64_t need = sizeof(struct mos_thread_data) + sizeof(struct mos_start) + strings + 8 + arrays + 16 +
                    START_SPARE;
    if (need > size)
        return -MOS_EOVERFLOW;

    /* Offsets count from the start of buf; child address = base_va + off. */
    uint8_t *b = buf;
    uint64_t base_va = top_va - size;
    size_t td_off = size - sizeof(struct mos_thread_data);
    size_t blk_off = td_off - sizeof(struct mos_start);
    size_t argv_off = (size_t)((blk_off - strings) & ~(uint64_t)7) - (size_t)arrays;
    size_t caps_off = argv_off + ((size_t)p->argc + 1) * sizeof(uint64_t);
    size_t at = blk_off;   /* strings are stored downward from here */
    uint64_t va;

    for (uint32_t i = 0; i < p->argc; i++) {
        size_t n = strlen(p->argv[i]) + 1;
        at -= n;
        memcpy(b + at, p->argv[i], n);
        va = base_va + at;
        memcpy(b + argv_off + i * sizeof va, &va, sizeof va);
    }
    for (uint32_t i = 0; i < p->ncaps; i++) {
        size_t nlen = strlen(p->cap_names[i]);
        size_t dlen = start_utoa(p->cap_handles[i], digits);
        at -= nlen + 1 + dlen + 1;
        memcpy(b + at, p->cap_names[i], nlen);
        b[at + nlen] = '=';
        memcpy(b + at + nlen + 1, digits, dlen);
        b[at + nlen + 1 + dlen] = '\0';
        va = base_va + at;
        memcpy(b + caps_off + i * sizeof va, &va, sizeof va);
    }
    va = 0;
    memcpy(b + argv_off + (size_t)p->argc * sizeof va, &va, sizeof va);
    memcpy(b + caps_off + (size_t)p->ncaps * sizeof va, &va, sizeof va);
    uint64_t argv_at = base_va + argv_off, caps_at = base_va + caps_off;
    at = argv_off & ~(size_t)15;

    struct mos_start blk = {
        .magic = MOS_START_MAGIC,
        .size = sizeof(struct mos_start),
        .argc = p->argc,
        .argv = argv_at,
        .caps = caps_at,
        .ncaps = p->ncaps,
        .self_proc = p->self_proc,
        .self_thread = p->self_thread,
        .flags = p->flags,
        .ipc_buffer = p->ipc_buffer,
        .stack_base = p->stack_base,
        .stack_top = top_va,
    };
    memcpy(b + blk_off, &blk, sizeof blk);
    struct mos_thread_data td = {
        .ipc_buffer = p->ipc_buffer,
        .stack_base = p->stack_base,
        .thread = p->self_thread,
    };
    memcpy(b + td_off, &td, sizeof td);

    *block_va = base_va + blk_off;
    *sp = base_va + at;
    return 0;
}
