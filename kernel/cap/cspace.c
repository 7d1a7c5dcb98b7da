// SPDX-License-Identifier: MIT
/* cspace.c - capability spaces: a caller-provided array of slots, named by
 * handles (gen << 20) | index. Slot 0 is reserved, so handle 0 is never
 * valid, and nslots < 2^20 - 1 keeps every handle different from MOS_SELF.
 * A slot's 12-bit generation is bumped every time it empties (cdt.c), so a
 * handle to an emptied slot stays invalid for the next 4095 refills of that
 * slot; allocation is next fit, spreading refills over the whole space.
 * Filling and emptying (and the used count) belong to cdt.c: this file only
 * finds slots. Locking: none inside; the caller holds the kernel lock. */
#include "cap/cap.h"

#include "lib/assert.h"

void cspace_init(struct cspace *cs, struct cap_slot *slots, uint32_t nslots, void *owner)
{
    assert(slots != NULL);
    assert(nslots >= 1 && nslots <= CSPACE_MAX_SLOTS);
    for (uint32_t i = 0; i < nslots; i++) {
        struct cap_slot *s = &slots[i];
        *s = (struct cap_slot){ .index = i, .cs = cs };
    }
    cs->slots = slots;
    cs->nslots = nslots;
    cs->used = 0;
    cs->hint = 1;
    cs->owner = owner;
}

int cspace_lookup(struct cspace *cs, mos_handle_t h, int type, uint32_t need_rights,
                  struct cap_slot **out)
{
    if (h == 0 || h == MOS_SELF)
        return -MOS_EBADHANDLE;
    uint32_t index = MOS_HANDLE_INDEX(h);
    if (index == 0 || index >= cs->nslots)
        return -MOS_EBADHANDLE;
    struct cap_slot *s = &cs->slots[index];
    if (s->cap.type == MOS_CAP_NONE)
        return -MOS_EBADHANDLE;
    if (MOS_HANDLE_GEN(h) != s->gen)
        return -MOS_EBADHANDLE;
    if (type != -1 && s->cap.type != type)
        return -MOS_EBADTYPE;
    if (!cap_has_rights(&s->cap, need_rights))
        return -MOS_EPERM;
    *out = s;
    return 0;
}

struct cap_slot *cspace_alloc(struct cspace *cs)
{
    uint32_t usable = cs->nslots - 1;
    if (cs->used >= usable)
        return NULL;
    uint32_t i = cs->hint;
    if (i == 0 || i >= cs->nslots)
        i = 1;
    /* Start at the slot returned last time (it may have been filled since). */
    for (uint32_t n = 0; n < usable; n++) {
        if (cs->slots[i].cap.type == MOS_CAP_NONE) {
            cs->hint = i;
            return &cs->slots[i];
        }
        if (++i == cs->nslots)
            i = 1;
    }
    return NULL;   /* only if `used` is wrong; cdt_check() reports that */
}

struct cap_slot *cspace_alloc_at(struct cspace *cs, uint32_t index)
{
    if (index == 0 || index >= cs->nslots)
        return NULL;
    struct cap_slot *s = &cs->slots[index];
    return s->cap.type == MOS_CAP_NONE ? s : NULL;
}

int cspace_next_used(struct cspace *cs, uint32_t from_index, struct cap_slot **out)
{
    for (uint32_t i = from_index ? from_index : 1; i < cs->nslots; i++) {
        if (cs->slots[i].cap.type != MOS_CAP_NONE) {
            *out = &cs->slots[i];
            return 0;
        }
    }
    return -MOS_ENOENT;
}
