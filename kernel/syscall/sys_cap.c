// SPDX-License-Identifier: MIT
/* sys_cap.c - cap_create, cap_delete, cap_transfer, cap_revoke,
 * cap_inspect. Rights only narrow (cap_narrow); a capability leaves its
 * process only with GRANT; deletion and revocation undo their effects at
 * once (capglue_release). Big lock held throughout. */
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "arch/x86_64/trap.h"
#include "ipc/ipc.h"
#include "lib/klock.h"
#include "lib/string.h"
#include "mm/memobj.h"
#include "proc/capglue.h"
#include "proc/process.h"
#include "sched/sched.h"
#include <mos/errors.h>

static struct process *self(void)
{
    return thread_current()->proc;
}

long sys_cap_create(struct trap_frame *f)
{
    if (f->rdi != MOS_CAP_ENDPOINT || f->rsi != 0)
        return reject(-MOS_EINVAL, "cap_create: type %llu", (unsigned long long)f->rdi);
    uint64_t fl = klock();
    struct process *p = self();
    long r = -MOS_ENOSPC;
    struct endpoint *ep;
    if (cspace_free_count(&p->cs) == 0)
        goto out;
    r = endpoint_create(p, &ep);
    if (r)
        goto out;
    struct cap c = { .type = MOS_CAP_ENDPOINT, .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .obj = ep };
    r = capglue_install_root(p, &c);
out:
    kunlock(fl);
    return r;
}

long sys_cap_delete(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct cap_slot *s;
    long r = cspace_lookup(&self()->cs, (mos_handle_t)f->rdi, -1, 0, &s);
    if (!r) {
        cdt_delete(s, capglue_release, NULL);
        kobj_run_deferred();
    }
    kunlock(fl);
    return r;
}

long sys_cap_transfer(struct trap_frame *f)
{
    mos_handle_t src_h = (mos_handle_t)f->rdi, to = (mos_handle_t)f->rsi;
    uint64_t rights = f->rdx & 0xFFFFFFFFull, flags = f->rdx >> 32, badge = f->r10;
    uint64_t base = f->r8, count = f->r9;
    if (rights & ~(uint64_t)MOS_RIGHTS_ALL || flags & ~(MOS_XFER_MOVE >> 32))
        return reject(-MOS_EINVAL, "cap_transfer: rights/flags 0x%llx", (unsigned long long)f->rdx);
    bool move = flags & (MOS_XFER_MOVE >> 32);
    uint64_t fl = klock();
    struct process *me = self(), *dest;
    struct cap_slot *src, *dst;
    struct cap nc;
    long r = syscall_target(to, MOS_RIGHT_WRITE, &dest);
    if (r)
        goto out;
    r = cspace_lookup(&me->cs, src_h, -1, dest == me ? 0 : MOS_RIGHT_GRANT, &src);
    if (r)
        goto out;
    if (src->cap.type == MOS_CAP_REPLY) {
        r = reject(-MOS_EPERM, "cap_transfer: reply capabilities stay where they are");
        goto out;
    }
    if (!move) {
        r = cap_narrow(&src->cap, (uint32_t)rights, badge, base, count, &nc);
        if (r)
            goto out;
    } else if (rights != src->cap.rights || badge || base || count) {
        r = reject(-MOS_EINVAL, "cap_transfer: a move keeps the capability as it is");
        goto out;
    }
    dst = cspace_alloc(&dest->cs);
    if (!dst) {
        r = -MOS_ENOSPC;
        goto out;
    }
    if (move) {
        capglue_move(src, dst);
        kobj_run_deferred();                /* the move may have left an orphan */
    } else {
        cdt_insert_child(src, dst, &nc);
        capglue_get(&nc);
        if (nc.type == MOS_CAP_IOPORT)
            capglue_update_iomap(dest, NULL);
    }
    r = cspace_handle(dst);
out:
    kunlock(fl);
    return r;
}

long sys_cap_revoke(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct cap_slot *s;
    long r = cspace_lookup(&self()->cs, (mos_handle_t)f->rdi, -1, MOS_RIGHT_REVOKE, &s);
    if (!r) {
        r = (long)cdt_revoke(s, capglue_release, NULL);
        kobj_run_deferred();
    }
    kunlock(fl);
    return r;
}

static void fill_info(const struct cap_slot *s, struct mos_cap_info *out)
{
    const struct cap *c = &s->cap;
    memset(out, 0, sizeof *out);
    out->handle = cspace_handle(s);
    out->type = c->type;
    out->rights = c->rights;
    out->flags = c->flags;
    out->badge = c->badge;
    out->base = c->base;
    out->count = c->count;
    switch (c->type) {
    case MOS_CAP_MEMORY: {
        const struct memobj *m = c->obj;
        out->object_id = m->obj.id;
        out->flags = m->flags;
        if (m->flags & (MOS_MEM_CONTIG | MOS_MEM_DEVICE))
            out->phys = memobj_frame(m, c->base);
        break;
    }
    case MOS_CAP_ENDPOINT:
        out->object_id = ((const struct endpoint *)c->obj)->obj.id;
        break;
    case MOS_CAP_PROCESS: {
        const struct process *p = c->obj;
        out->object_id = p->obj.id;
        out->u.proc.pid = p->pid;
        out->u.proc.state = p->state;
        out->u.proc.exit_reason = p->exit_reason;
        out->u.proc.exit_code = p->exit_code;
        out->u.proc.fault_addr = p->fault_addr;
        out->u.proc.fault_ip = p->fault_ip;
        out->u.proc.quota_pages = p->quota.limit / PAGE_SIZE;
        out->u.proc.used_pages = (p->quota.used + PAGE_SIZE - 1) / PAGE_SIZE;
        out->u.proc.threads = p->nthreads;
        out->u.proc.caps_used = p->cs.used;
        if (!list_empty(&p->threads)) {
            const struct thread *t = list_entry(p->threads.next, struct thread, proc_node);
            out->u.proc.main_prio = t->prio;
            out->u.proc.main_cpu = t->cpu;
        }
        memcpy(out->u.proc.name, p->name, sizeof out->u.proc.name);
        out->u.proc.name[sizeof out->u.proc.name - 1] = '\0';
        break;
    }
    case MOS_CAP_THREAD: {
        const struct thread *t = c->obj;
        out->object_id = t->obj_id;
        out->u.thread.tid = t->tid;
        out->u.thread.state = t->state;
        out->u.thread.prio = t->prio;
        out->u.thread.cpu = t->cpu;
        out->u.thread.runtime_ns = t->runtime_ns;
        break;
    }
    default:
        break;
    }
}

long sys_cap_inspect(struct trap_frame *f)
{
    mos_handle_t h = (mos_handle_t)f->rdi;
    uptr_t out = uptr(f->rsi);
    uint64_t flags = f->r10;
    if (flags & ~(uint64_t)MOS_INSPECT_NEXT)
        return -MOS_EINVAL;
    if (!user_range_ok(out.va, sizeof(struct mos_cap_info)))
        return -MOS_EFAULT;
    struct mos_cap_info info;
    uint64_t fl = klock();
    struct process *p;
    struct cap_slot *s;
    long r = (mos_handle_t)f->rdx == MOS_SELF ? (p = self(), 0)
                                               : syscall_target((mos_handle_t)f->rdx, MOS_RIGHT_READ, &p);
    if (!r)
        r = (flags & MOS_INSPECT_NEXT) ? cspace_next_used(&p->cs, MOS_HANDLE_INDEX(h), &s)
                                       : cspace_lookup(&p->cs, h, -1, 0, &s);
    if (!r)
        fill_info(s, &info);
    kunlock(fl);
    if (r)
        return r;
    return copy_to_user(out, &info, sizeof info);
}
