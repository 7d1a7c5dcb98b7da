// SPDX-License-Identifier: MIT
/* capglue.c - the kernel's side of capability deletion and copying (see
 * capglue.h). Release never changes the CDT: dropping a process's last
 * reference only queues it (kobj.c), which the caller runs afterwards. */
#include "proc/capglue.h"
#include "proc/process.h"
#include "ipc/ipc.h"
#include "irq/irq.h"
#include "mm/kheap.h"
#include "mm/memobj.h"
#include "arch/arch.h"
#include "lib/assert.h"
#include "lib/klock.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "sched/cpu.h"
#include <mos/errors.h>

void capglue_get(const struct cap *c)
{
    switch (c->type) {
    case MOS_CAP_MEMORY:
    case MOS_CAP_ENDPOINT:
    case MOS_CAP_PROCESS:
        kobj_get(c->obj);
        break;
    case MOS_CAP_THREAD:
        thread_get(c->obj);
        break;
    default:
        break;
    }
}

void capglue_release(struct cap_slot *s, void *ctx)
{
    (void)ctx;
    struct cap *c = &s->cap;
    switch (c->type) {
    case MOS_CAP_MEMORY:
        mapping_release_slot(s);
        kobj_put(c->obj);
        break;
    case MOS_CAP_ENDPOINT:
        ipc_cancel_slot(c->obj, s);
        kobj_put(c->obj);
        break;
    case MOS_CAP_PROCESS: {
        struct process *p = c->obj;
        if (p->state == MOS_PROC_ALIVE && !process_has_started_thread(p))
            process_note_orphan_candidate();
        kobj_put(c->obj);
        break;
    }
    case MOS_CAP_THREAD: {
        struct process *p = ((struct thread *)c->obj)->proc;    /* NULL once it exited */
        if (p && p->state == MOS_PROC_ALIVE && !process_has_started_thread(p))
            process_note_orphan_candidate();          /* nobody may be left to wake it */
        thread_put(c->obj);
        break;
    }
    case MOS_CAP_IRQ:
        irq_release_slot(s);
        break;
    case MOS_CAP_IOPORT:
        capglue_update_iomap(s->cs->owner, s);
        break;
    case MOS_CAP_REPLY:
        ipc_reply_cap_release(s);
        break;
    default:
        break;
    }
    s->ext = NULL;
}

void capglue_update_iomap(struct process *p, struct cap_slot *skip)
{
    if (!p || p->state != MOS_PROC_ALIVE)
        return;
    bool any = false;
    for (uint32_t i = 1; i < p->cs.nslots; i++) {
        struct cap_slot *s = &p->slots[i];
        if (s != skip && s->cap.type == MOS_CAP_IOPORT &&
            (s->cap.rights & (MOS_RIGHT_READ | MOS_RIGHT_WRITE)) && s->cap.count) {
            any = true;
            break;
        }
    }
    if (any && !p->iomap) {
        if (process_charge(p, 8192))
            return;                       /* keep the old bitmap: still only narrower rights */
        p->iomap = kmalloc(8192);
        if (!p->iomap) {
            process_refund(p, 8192);
            return;
        }
    }
    if (p->iomap) {
        memset(p->iomap, 0xFF, 8192);
        for (uint32_t i = 1; any && i < p->cs.nslots; i++) {
            struct cap_slot *s = &p->slots[i];
            if (s == skip || s->cap.type != MOS_CAP_IOPORT ||
                !(s->cap.rights & (MOS_RIGHT_READ | MOS_RIGHT_WRITE)))
                continue;
            for (uint64_t port = s->cap.base; port < s->cap.base + s->cap.count && port < 65536; port++)
                p->iomap[port / 8] &= (uint8_t)~(1u << (port % 8));
        }
    }
    uint8_t *old = NULL;
    if (p->iomap && !any) {
        old = p->iomap;
        p->iomap = NULL;
    }
    static uint64_t iomap_versions;
    __atomic_store_n(&p->iomap_gen, ++iomap_versions, __ATOMIC_RELEASE);   /* unique: CPUs compare it */
    /* Every CPU takes the new bitmap before this returns (the caller's
     * revoke or delete is then complete everywhere, like an unmap), and
     * none can still be copying the old one when it is freed. */
    uint64_t f = arch_irq_save();
    arch_thread_refresh(this_cpu()->current);
    arch_irq_restore(f);
    arch_iomap_sync();
    if (old) {
        kfree(old);
        process_refund(p, 8192);
    }
}

void capglue_move(struct cap_slot *src, struct cap_slot *dst)
{
    struct process *from = src->cs->owner, *to = dst->cs->owner;
    cdt_move(src, dst);
    /* Whatever remembered the old slot now names the new one. */
    switch (dst->cap.type) {
    case MOS_CAP_MEMORY:
        for (struct mapping *m = dst->ext; m; m = m->slot_next)
            m->slot = dst;
        break;
    case MOS_CAP_ENDPOINT:
        ipc_move_slot(dst->cap.obj, src, dst);
        break;
    case MOS_CAP_IRQ:
        irq_move_slot(src, dst);
        break;
    case MOS_CAP_IOPORT:
        capglue_update_iomap(from, NULL);
        if (to != from)
            capglue_update_iomap(to, NULL);
        break;
    case MOS_CAP_PROCESS:
    case MOS_CAP_THREAD:
        /* Into a process that cannot act (e.g. a thread-less process given
         * the only capability to itself): what it names may now be
         * unreachable. A receiver of IPC always has a running thread. */
        if (to != from && !process_has_started_thread(to))
            process_note_orphan_candidate();
        break;
    default:
        break;
    }
}

long capglue_install_root(struct process *p, const struct cap *c)
{
    struct cap_slot *s = cspace_alloc(&p->cs);
    if (!s)
        return -MOS_ENOSPC;
    cdt_insert_child(NULL, s, c);
    if (c->type == MOS_CAP_IOPORT)
        capglue_update_iomap(p, NULL);
    return cspace_handle(s);
}
