// SPDX-License-Identifier: MIT
/* process.c - process objects: creation (address space with the kernel
 * info page, capability space, quota reserved from the creator), death
 * (kill -> threads leave -> the last one tears down), and the final release
 * of the zombie. Locking: big_lock for all process state. */
#include "proc/process.h"
#include "proc/capglue.h"
#include "ipc/ipc.h"
#include "syscall/syscall.h"
#include "mm/kheap.h"
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "lib/assert.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "sched/sched.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/kinfo.h>

static struct list_node process_list = LIST_INIT(process_list);    /* big_lock */
static uint64_t next_pid = 1;
static uint64_t processes_alive;
paddr_t kinfo_frame;                       /* the kernel info page (kinfo.c fills it) */

#define MAP_KINFO_PROT (VM_READ | VM_USER)

struct process *process_of(struct thread *t)
{
    return t ? t->proc : NULL;
}

uint64_t process_count(void)
{
    return processes_alive;
}

int process_charge(struct process *p, uint64_t bytes)
{
    return quota_charge(&p->quota, bytes);
}

void process_refund(struct process *p, uint64_t bytes)
{
    quota_refund(&p->quota, bytes);
}

static void free_table(paddr_t pa)
{
    int err = pmm_free(pa);
    assert(err == 0);
    vmm_tables_changed(-1);
}

static uint64_t cspace_bytes(uint32_t slots)
{
    return (uint64_t)slots * sizeof(struct cap_slot);
}

int process_create(struct process *parent, const char *name, uint64_t quota_bytes, uint32_t slots,
                   struct endpoint *exit_ep, uint64_t exit_badge, struct process **out)
{
    if (slots < 16 || slots > 65536)
        return -MOS_EINVAL;
    uint64_t own = sizeof(struct process) + cspace_bytes(slots) + PAGE_SIZE;   /* + root table */
    if (quota_bytes < own + 4 * PAGE_SIZE)
        return -MOS_ENOMEM;
    if (parent && process_charge(parent, quota_bytes))
        return -MOS_ENOMEM;
    struct process *p = kmalloc(sizeof *p);
    struct cap_slot *sl = kmalloc(cspace_bytes(slots));
    paddr_t root = pmm_alloc();
    if (root)
        vmm_tables_changed(1);          /* free_table() undoes it */
    if (!p || !sl || !root)
        goto fail;
    memset(pa_to_kva(root), 0, PAGE_SIZE);
    arch_mmu_share_kernel(root, kernel_vm.root);
    p->pid = next_pid++;
    strncpy(p->name, name, sizeof p->name - 1);
    p->vs.root = root;
    spin_init(&p->vs.lock, "vm_space");
    p->vs.owner = p;
    p->vs.quota = &p->quota;
    p->slots = sl;
    cspace_init(&p->cs, sl, slots, p);
    p->quota.limit = quota_bytes;
    p->quota.used = own;
    p->parent = parent;
    p->reserved = parent ? quota_bytes : 0;
    if (parent)
        kobj_get(&parent->obj);
    list_init(&p->threads);
    list_init(&p->mappings);
    p->state = MOS_PROC_ALIVE;
    if (exit_ep) {
        p->exit_ep = exit_ep;
        p->exit_badge = exit_badge;
        kobj_get(&exit_ep->obj);
    }
    if (vmm_map(&p->vs, MOS_KINFO_ADDR, kinfo_frame, PAGE_SIZE, MAP_KINFO_PROT)) {
        /* Only a page table could not be had: undo everything. */
        arch_mmu_free_user_tables(root, free_table);
        goto fail_obj;
    }
    /* Counted as alive only now: the failure paths above free p without
     * kobj_put, so an earlier kobj_init left the object count one too high
     * (found by the fuzzer's allocation-failure injection). */
    kobj_init(&p->obj, MOS_CAP_PROCESS);
    p->vs.asid = arch_asid_alloc();
    p->vs.switch_root = arch_mmu_switch_value(root, p->vs.asid);
    list_push_back(&process_list, &p->all_node);
    processes_alive++;
    *out = p;
    return 0;
fail_obj:
    if (exit_ep)
        kobj_put(&exit_ep->obj);
    if (parent)
        kobj_put(&parent->obj);
fail:
    if (root)
        free_table(root);
    kfree(sl);
    kfree(p);
    if (parent)
        process_refund(parent, quota_bytes);
    return -MOS_ENOMEM;
}

/* Everything a process owns goes; the object stays as a zombie. */
static void teardown_body(struct process *p)
{
    assert(klock_held() && p->nthreads == 0 && p->state == MOS_PROC_ALIVE);
    p->state = MOS_PROC_DEAD;
    p->dying = true;
    if (!p->exit_reason)
        p->exit_reason = MOS_EXIT_NO_THREADS;

    struct cap_slot *s;
    while (cspace_next_used(&p->cs, 1, &s) == 0)
        cdt_delete(s, capglue_release, NULL);
    mapping_release_process(p);

    if (arch_mmu_current() == p->vs.root)
        arch_mmu_switch(kernel_vm.root);
    arch_mmu_free_user_tables(p->vs.root, free_table);
    process_refund(p, p->vs.table_pages * PAGE_SIZE);
    p->vs.table_pages = 0;
    free_table(p->vs.root);
    p->vs.root = 0;
    arch_asid_free(p->vs.asid);         /* reused only after every CPU dropped its entries */
    p->vs.asid = 0;
    p->vs.switch_root = 0;
    if (p->iomap) {
        kfree(p->iomap);
        p->iomap = NULL;
        process_refund(p, 8192);
    }

    console_owner_exit(p);
    if (p->exit_ep) {
        endpoint_notify(p->exit_ep, p->exit_badge ? p->exit_badge : 1);
        kobj_put(&p->exit_ep->obj);
        p->exit_ep = NULL;
    }
}

static void process_teardown(struct process *p)
{
    kobj_get(&p->obj);                      /* deleting its caps may drop the last reference */
    teardown_body(p);
    kobj_put(&p->obj);
    kobj_run_deferred();
}

/* Its last thread left (uthread_exit). */
void process_last_thread_gone(struct process *p);
void process_last_thread_gone(struct process *p)
{
    if (p->state != MOS_PROC_ALIVE)
        return;
    if (!p->dying) {
        p->dying = true;
        p->exit_reason = MOS_EXIT_NO_THREADS;
    }
    process_teardown(p);
}

/* The last reference to the (dead) process went: return its reservation. */
void process_destroy_obj(struct process *p);
void process_destroy_obj(struct process *p)
{
    if (p->state == MOS_PROC_ALIVE)         /* created, never ran: nothing refers to it */
        teardown_body(p);
    processes_alive--;
    kfree(p->slots);
    if (p->parent) {
        process_refund(p->parent, p->reserved);
        kobj_put(&p->parent->obj);
    }
    kfree(p);
}

void process_kill(struct process *p, uint32_t reason, int64_t code, uint64_t addr, uint64_t ip)
{
    assert(klock_held());
    if (p->dying || p->state != MOS_PROC_ALIVE)
        return;
    p->dying = true;
    p->exit_reason = reason;
    p->exit_code = code;
    p->fault_addr = addr;
    p->fault_ip = ip;
    if (p->nthreads == 0) {
        process_teardown(p);
        return;
    }
    list_for_each(pos, &p->threads)
        uthread_kill(list_entry(pos, struct thread, proc_node));
}

static uint32_t reason_for_vector(uint64_t v)
{
    switch (v) {
    case VEC_PF: return MOS_EXIT_PAGE_FAULT;
    case VEC_GP: return MOS_EXIT_GENERAL_PROTECTION;
    case VEC_UD: return MOS_EXIT_INVALID_OPCODE;
    case VEC_DE: return MOS_EXIT_DIVIDE_ERROR;
    default:     return MOS_EXIT_OTHER_FAULT;
    }
}

void process_fault(struct trap_frame *f)
{
    struct thread *t = thread_current();
    struct process *p = t->proc;
    assert(p);
    uint64_t addr = f->vector == VEC_PF ? arch_fault_address() : 0;
    uint64_t fl = klock();
    kprintf("process %llu (%s): %s at ip 0x%llx, address 0x%llx: killed\n",
            (unsigned long long)p->pid, p->name, trap_vector_name(f->vector),
            (unsigned long long)f->rip, (unsigned long long)addr);
    process_kill(p, reason_for_vector(f->vector), (int64_t)f->vector, addr, f->rip);
    kunlock(fl);
    uthread_exit();
}

static bool orphan_check_pending, orphan_collecting;

void process_note_orphan_candidate(void)
{
    orphan_check_pending = true;
}

/* Mark p and everything it names through PROCESS and THREAD capabilities. */
static void gc_mark_from(struct process *root)
{
    struct process *work = root;
    root->gc_mark = true;
    root->gc_next = NULL;
    while (work) {
        struct process *p = work;
        work = p->gc_next;
        for (uint32_t i = 1; p->state == MOS_PROC_ALIVE && i < p->cs.nslots; i++) {
            struct cap_slot *s = &p->slots[i];
            struct process *q;
            if (s->cap.type == MOS_CAP_PROCESS)
                q = s->cap.obj;
            else if (s->cap.type == MOS_CAP_THREAD)     /* it can wake a suspended thread */
                q = ((struct thread *)s->cap.obj)->proc;
            else
                continue;
            if (q && !q->gc_mark) {
                q->gc_mark = true;
                q->gc_next = work;
                work = q;
            }
        }
    }
}

bool process_has_started_thread(const struct process *p)
{
    list_for_each(pos, &p->threads) {
        if (list_entry(pos, struct thread, proc_node)->state != THREAD_NEW)
            return true;
    }
    return false;
}

void process_collect_orphans(void)
{
    if (orphan_collecting)
        return;
    orphan_collecting = true;
    while (orphan_check_pending) {
        orphan_check_pending = false;
        list_for_each(pos, &process_list)
            list_entry(pos, struct process, all_node)->gc_mark = false;
        list_for_each(pos, &process_list) {
            struct process *p = list_entry(pos, struct process, all_node);
            if (!p->gc_mark && process_has_started_thread(p))
                gc_mark_from(p);
        }
        list_for_each(pos, &process_list) {
            struct process *p = list_entry(pos, struct process, all_node);
            if (!p->gc_mark && p->state == MOS_PROC_ALIVE && !p->dying && !process_has_started_thread(p)) {
                process_kill(p, MOS_EXIT_KILLED, 0, 0, 0);
                orphan_check_pending = true;     /* the list changed: look again */
                break;
            }
        }
    }
    orphan_collecting = false;
}

void process_update_iomap(struct process *p)
{
    capglue_update_iomap(p, NULL);
}

void process_dump(void)
{
    list_for_each(pos, &process_list) {
        struct process *p = list_entry(pos, struct process, all_node);
        kprintf("  process %llu %-16s %s threads %u quota %llu/%llu KiB caps %u\n",
                (unsigned long long)p->pid, p->name, p->state == MOS_PROC_ALIVE ? "alive" : "dead",
                p->nthreads, (unsigned long long)(p->quota.used >> 10),
                (unsigned long long)(p->quota.limit >> 10), p->cs.used);
    }
}
