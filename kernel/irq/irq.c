// SPDX-License-Identifier: MIT
/* irq.c - interrupt lines bound to endpoints. Vector VEC_DEVICE_BASE+line
 * carries line `line`; its handler masks the line at the I/O APIC and
 * notifies the bound endpoint. The driver acknowledges with irq_bind(irq, 0)
 * which unmasks it (level-triggered lines would otherwise fire again at
 * once). Deleting the capability that made a binding unbinds and masks.
 * Locking: big_lock (the handler takes it; it is never held with interrupts
 * on, so the handler cannot spin on its own CPU's hold). */
#include "irq/irq.h"
#include "ipc/ipc.h"
#include "cap/cap.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/trap.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "sched/cpu.h"
#include <mos/errors.h>

struct binding {
    struct endpoint *ep;            /* a reference, or NULL when unbound */
    struct cap_slot *slot;          /* the IRQ capability that bound it */
    uint64_t bits;
    int gsi;                        /* routed I/O APIC input */
    bool masked;
    uint64_t count;
};

static struct binding bindings[IRQ_LINES];

unsigned irq_line_count(void)
{
    return 24;                      /* the I/O APIC inputs of PC-compatible machines */
}

uint64_t irq_delivered(unsigned line)
{
    return line < IRQ_LINES ? bindings[line].count : 0;
}

static void irq_handler(struct trap_frame *f)
{
    unsigned line = (unsigned)(f->vector - VEC_DEVICE_BASE);
    uint64_t fl = klock();
    struct binding *b = &bindings[line];
    if (b->gsi >= 0)
        ioapic_mask((uint32_t)b->gsi);
    b->masked = true;
    b->count++;
    if (b->ep)
        endpoint_notify(b->ep, b->bits);
    kunlock(fl);
}

long irq_bind(struct cap_slot *irq, struct cap_slot *ep_slot, uint64_t bits)
{
    if (irq->cap.count != 1 || irq->cap.base >= irq_line_count())
        return -MOS_EINVAL;
    unsigned line = (unsigned)irq->cap.base;
    struct binding *b = &bindings[line];
    if (!ep_slot) {                                     /* acknowledge */
        if (b->slot != irq)
            return -MOS_EINVAL;
        if (b->masked && b->gsi >= 0) {
            b->masked = false;
            ioapic_unmask((uint32_t)b->gsi);
        }
        return 0;
    }
    if (!bits)
        return -MOS_EINVAL;
    if (b->slot && b->slot != irq)
        return -MOS_EBUSY;
    if (!b->slot) {
        uint8_t vector = (uint8_t)(VEC_DEVICE_BASE + line);
        uint32_t dest = cpus[0].arch.apic_id;
        int gsi = line < 16 ? ioapic_route_isa(line, vector, dest)
                            : ioapic_route_gsi(line, true, true, vector, dest);
        if (gsi < 0)
            return -MOS_EINVAL;
        trap_set_handler(vector, irq_handler);
        b->gsi = gsi;
    } else {
        kobj_put(&b->ep->obj);                          /* rebinding: replace the endpoint */
    }
    b->ep = ep_slot->cap.obj;
    kobj_get(&b->ep->obj);
    b->slot = irq;
    b->bits = bits;
    b->masked = false;
    ioapic_unmask((uint32_t)b->gsi);
    return 0;
}

void irq_release_slot(struct cap_slot *s)
{
    for (unsigned i = 0; i < IRQ_LINES; i++) {
        struct binding *b = &bindings[i];
        if (b->slot != s)
            continue;
        if (b->gsi >= 0)
            ioapic_mask((uint32_t)b->gsi);
        kobj_put(&b->ep->obj);
        b->ep = NULL;
        b->slot = NULL;
        b->masked = true;
    }
}

void irq_move_slot(struct cap_slot *from, struct cap_slot *to)
{
    for (unsigned i = 0; i < IRQ_LINES; i++)
        if (bindings[i].slot == from)
            bindings[i].slot = to;
}
