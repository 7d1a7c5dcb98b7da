// SPDX-License-Identifier: MIT
/* sys_mem.c - mem_alloc, mem_map, mem_unmap, mem_grant. Mapping rights are
 * bounded by the MEMORY capability's rights, W+X is always refused, device
 * memory never maps RAM, and every mapping is recorded against the
 * capability it was made through (so revoking it unmaps everywhere). */
#include "syscall/syscall.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "lib/klock.h"
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "proc/capglue.h"
#include "proc/process.h"
#include "sched/sched.h"
#include <mos/errors.h>
#include <mos/kinfo.h>
#include <mos/proc.h>

static struct process *self(void)
{
    return thread_current()->proc;
}

/* [va, va + pages) is a page-aligned user range that wraps nowhere and
 * stays clear of page 0 and the kernel information page. */
static bool user_pages_ok(uint64_t va, uint64_t pages)
{
    if (!IS_ALIGNED(va, PAGE_SIZE) || pages == 0 || pages > (USER_TOP >> PAGE_SHIFT))
        return false;
    uint64_t len = pages << PAGE_SHIFT;
    if (va < USER_BASE || va > USER_TOP || len > USER_TOP - va)
        return false;
    return va + len <= MOS_KINFO_ADDR || va >= MOS_KINFO_ADDR + PAGE_SIZE;
}

long sys_mem_alloc(struct trap_frame *f)
{
    uint64_t pages = f->rdi, flags = f->rsi;
    if (pages == 0 || pages > (1ull << 24) || flags & ~(uint64_t)(MOS_MEM_CONTIG | MOS_MEM_DMA32))
        return reject(-MOS_EINVAL, "mem_alloc: %llu pages, flags 0x%llx", (unsigned long long)pages,
                      (unsigned long long)flags);
    uint64_t fl = klock();
    struct process *p = self();
    struct memobj *m;
    long r = cspace_free_count(&p->cs) ? memobj_create(p, pages, (uint32_t)flags, &m) : -MOS_ENOSPC;
    if (!r) {
        struct cap c = { .type = MOS_CAP_MEMORY, .rights = MOS_RIGHTS_ALL, .flags = (uint16_t)m->flags,
                         .obj = m, .base = 0, .count = pages };
        r = capglue_install_root(p, &c);
    }
    kunlock(fl);
    return r;
}

static unsigned vm_prot(uint64_t prot)
{
    return VM_READ | ((prot & MOS_PROT_WRITE) ? VM_WRITE : 0) | ((prot & MOS_PROT_EXEC) ? VM_EXEC : 0);
}

/* Map pages [first, first+pages) of the capability (relative to its range)
 * into p at va with prot. Validated by the callers except for these checks. */
static long map_through(struct process *p, struct cap_slot *s, uint64_t va, uint64_t first,
                        uint64_t pages, uint64_t prot)
{
    if (prot == 0 || prot & ~(uint64_t)(MOS_PROT_READ | MOS_PROT_WRITE | MOS_PROT_EXEC))
        return reject(-MOS_EINVAL, "mem_map: prot 0x%llx", (unsigned long long)prot);
    if ((prot & MOS_PROT_WRITE) && (prot & MOS_PROT_EXEC))
        return reject(-MOS_EINVAL, "mem_map: writable and executable");
    uint32_t need = MOS_RIGHT_READ | ((prot & MOS_PROT_WRITE) ? MOS_RIGHT_WRITE : 0) |
                    ((prot & MOS_PROT_EXEC) ? MOS_RIGHT_EXEC : 0);
    if (!cap_has_rights(&s->cap, need))
        return reject(-MOS_EPERM, "mem_map: capability rights 0x%x, need 0x%x", s->cap.rights, need);
    if (!user_pages_ok(va, pages))
        return reject(-MOS_EINVAL, "mem_map: bad range 0x%llx + %llu pages", (unsigned long long)va,
                      (unsigned long long)pages);
    if (first >= s->cap.count || pages > s->cap.count - first)
        return reject(-MOS_ERANGE, "mem_map: pages %llu+%llu outside the capability's %llu",
                      (unsigned long long)first, (unsigned long long)pages, (unsigned long long)s->cap.count);
    struct memobj *m = s->cap.obj;
    if (m->flags & MOS_MEM_DEVICE) {
        for (uint64_t i = 0; i < pages; i++)
            if (pmm_is_ram(memobj_frame(m, s->cap.base + first + i)))
                return reject(-MOS_EPERM, "mem_map: device capability over RAM");
    }
    return mapping_create(p, s, va, s->cap.base + first, pages, vm_prot(prot));
}

long sys_mem_map(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct process *p;
    struct cap_slot *s;
    long r = syscall_target((mos_handle_t)f->rsi, MOS_RIGHT_WRITE, &p);
    if (!r)
        r = cspace_lookup(&self()->cs, (mos_handle_t)f->rdi, MOS_CAP_MEMORY, 0, &s);
    if (!r)
        r = map_through(p, s, f->rdx, f->r10, f->r8, f->r9);
    kunlock(fl);
    return r;
}

long sys_mem_unmap(struct trap_frame *f)
{
    uint64_t va = f->rsi, pages = f->rdx;
    if (!user_pages_ok(va, pages))
        return reject(-MOS_EINVAL, "mem_unmap: bad range");
    uint64_t fl = klock();
    struct process *p;
    long r = syscall_target((mos_handle_t)f->rdi, MOS_RIGHT_WRITE, &p);
    if (!r)
        r = mapping_unmap_range(p, va, pages);
    kunlock(fl);
    return r;
}

long sys_mem_grant(struct trap_frame *f)
{
    mos_handle_t mh = (mos_handle_t)f->rdi, ph = (mos_handle_t)f->rsi;
    uint64_t first = f->rdx, pages = f->r10, rights = f->r8, va = f->r9;
    if (rights & ~(uint64_t)MOS_RIGHTS_ALL || pages == 0)
        return reject(-MOS_EINVAL, "mem_grant: rights 0x%llx, %llu pages", (unsigned long long)rights,
                      (unsigned long long)pages);
    uint64_t fl = klock();
    struct process *me = self(), *to;
    struct cap_slot *src, *dst;
    struct cap nc;
    /* A grant goes to another process: MOS_SELF is not a PROCESS handle here
     * (cap_transfer derives within one's own space). */
    long r = ph == MOS_SELF ? -MOS_EBADHANDLE : syscall_target(ph, MOS_RIGHT_WRITE, &to);
    if (!r)
        r = cspace_lookup(&me->cs, mh, MOS_CAP_MEMORY, MOS_RIGHT_GRANT, &src);
    if (!r && (first >= src->cap.count || pages > src->cap.count - first))
        r = reject(-MOS_ERANGE, "mem_grant: outside the capability");
    if (!r)
        r = cap_narrow(&src->cap, (uint32_t)rights, 0, src->cap.base + first, pages, &nc);
    if (!r && !(dst = cspace_alloc(&to->cs)))
        r = -MOS_ENOSPC;
    if (r)
        goto out;
    cdt_insert_child(src, dst, &nc);
    capglue_get(&nc);
    if (va) {
        uint64_t prot = rights & (MOS_PROT_READ | MOS_PROT_WRITE | MOS_PROT_EXEC);
        if ((prot & MOS_PROT_WRITE) && (prot & MOS_PROT_EXEC))
            prot &= ~(uint64_t)MOS_PROT_EXEC;         /* a W+X grant maps read-write */
        r = map_through(to, dst, va, 0, pages, prot ? prot : MOS_PROT_READ);
        if (r) {                                      /* undo: nothing remains */
            cdt_delete(dst, capglue_release, NULL);
            kobj_run_deferred();
            goto out;
        }
    }
    r = cspace_handle(dst);
out:
    kunlock(fl);
    return r;
}
