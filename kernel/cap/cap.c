// SPDX-License-Identifier: MIT
/* cap.c - rights and range arithmetic: the only place that decides whether
 * one capability may be derived from another. Derivation only narrows: a
 * child's rights are a subset of its parent's, its range (MEMORY pages,
 * IOPORT ports, IRQ lines) lies inside the parent's, a badged parent's badge
 * is passed on unchanged, and REPLY caps are never derived. Ranges are
 * compared without ever computing base + count of an unchecked range, so no
 * sum can wrap. Pure: no state, no locking, any context. */
#include "cap/cap.h"

bool cap_rights_subset(uint32_t child, uint32_t parent)
{
    return (child & ~parent) == 0;
}

/* Does [base, base + count) lie inside [pbase, pbase + pcount)? Written with
 * subtractions only: pcount - count is evaluated only when count <= pcount,
 * base - pbase only when base >= pbase. */
static bool range_inside(uint64_t base, uint64_t count, uint64_t pbase, uint64_t pcount)
{
    return base >= pbase && count <= pcount && base - pbase <= pcount - count;
}

bool cap_is_valid(const struct cap *c)
{
    if (c->type == MOS_CAP_NONE || c->type >= MOS_CAP_TYPE_COUNT)
        return false;
    if (c->rights & ~MOS_RIGHTS_ALL)
        return false;
    if (c->_pad != 0)
        return false;
    if (!cap_type_has_range(c->type) && (c->base != 0 || c->count != 0))
        return false;
    if (c->base + c->count < c->base)                /* a range may not wrap */
        return false;
    return true;
}

int cap_narrow(const struct cap *parent, uint32_t rights, uint64_t badge,
               uint64_t base, uint64_t count, struct cap *out)
{
    if (!cap_is_valid(parent))
        return -MOS_EINVAL;
    if (parent->type == MOS_CAP_REPLY)
        return -MOS_EPERM;
    if (!cap_rights_subset(rights, parent->rights))
        return -MOS_EPERM;
    if (parent->badge != 0 && badge != 0 && badge != parent->badge)
        return -MOS_EPERM;

    uint64_t new_base = parent->base, new_count = parent->count;
    if (!cap_type_has_range(parent->type)) {
        if (base != 0 || count != 0)
            return -MOS_EINVAL;
    } else if (count != 0) {
        if (base + count < base)                     /* wraps past 2^64 */
            return -MOS_ERANGE;
        if (!range_inside(base, count, parent->base, parent->count))
            return -MOS_ERANGE;
        new_base = base;
        new_count = count;
    }

    /* Everything checked: now write *out. */
    out->type = parent->type;
    out->rights = (uint8_t)rights;
    out->flags = parent->flags;
    out->_pad = 0;
    out->badge = parent->badge != 0 ? parent->badge : badge;
    out->obj = parent->obj;
    out->base = new_base;
    out->count = new_count;
    return 0;
}

bool cap_within(const struct cap *child, const struct cap *parent)
{
    if (!cap_is_valid(child) || !cap_is_valid(parent))
        return false;
    if (parent->type == MOS_CAP_REPLY)
        return false;
    if (child->type != parent->type || child->obj != parent->obj || child->flags != parent->flags)
        return false;
    if (!cap_rights_subset(child->rights, parent->rights))
        return false;
    if (parent->badge != 0 && child->badge != parent->badge)
        return false;
    if (cap_type_has_range(parent->type) &&
        !range_inside(child->base, child->count, parent->base, parent->count))
        return false;
    return true;
}
