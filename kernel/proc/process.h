/* SPDX-License-Identifier: MIT */
/* process.h - a process: an address space, a capability space, a memory
 * quota and threads. Its creator holds a PROCESS capability to it. When it
 * dies (exit, kill, or an unhandled fault) its last thread tears it down:
 * every capability deleted, every mapping removed, page tables freed, and
 * the creator's exit endpoint notified; the object itself stays (a zombie
 * that cap_inspect reports on) until the last capability naming it goes,
 * and only then is its quota reservation returned to the creator.
 * Locking: big_lock for everything here. */
#pragma once

#include "lib/types.h"
#include "lib/list.h"
#include "cap/kobj.h"
#include "cap/cap.h"
#include "mm/quota.h"
#include "mm/vmm.h"

struct thread;
struct endpoint;
struct trap_frame;

struct process {
    struct kobj obj;                /* type MOS_CAP_PROCESS; first */
    uint64_t pid;
    char name[32];
    struct vm_space vs;             /* user half private, kernel half shared */
    struct cspace cs;
    struct cap_slot *slots;         /* cs's slot array (charged to quota) */
    struct quota quota;
    struct process *parent;         /* creator, whose quota holds our reservation (a reference) */
    uint64_t reserved;              /* bytes reserved in parent's quota */
    struct list_node threads;       /* struct thread.proc_node */
    uint32_t nthreads;
    struct list_node mappings;      /* struct mapping.in_proc */
    uint32_t state;                 /* MOS_PROC_ALIVE / MOS_PROC_DEAD */
    bool dying;                     /* killed: threads are leaving */
    uint8_t max_prio;               /* ceiling of its threads' priorities (MOS_PRIO_USER_MAX at most) */
    uint32_t exit_reason;           /* enum mos_exit_reason */
    int64_t exit_code;
    uint64_t fault_addr, fault_ip;
    struct endpoint *exit_ep;       /* notified at death (a reference), or NULL */
    uint64_t exit_badge;
    uint8_t *iomap;                 /* I/O permission bitmap (8 KiB, 1 = denied), NULL = no ports */
    uint64_t iomap_gen;             /* bumped on every change */
    struct list_node all_node;      /* every process (process_list) */
    bool gc_mark;                   /* process_collect_orphans() */
    struct process *gc_next;
};

/* The address space of a process, or NULL for kernel threads. */
struct process *process_of(struct thread *t);

/* Create an empty process (no threads, no mappings except the kernel info
 * page) charged to parent's quota (parent NULL: init, quota from the boot
 * memory). Returns 0 and *out, or -MOS_ENOMEM / -MOS_EINVAL. */
__must_check int process_create(struct process *parent, const char *name, uint64_t quota_bytes,
                                uint32_t cspace_slots, struct endpoint *exit_ep, uint64_t exit_badge,
                                struct process **out);

/* Kill p: record why (the first reason wins), make every thread leave at
 * its next return to user mode (blocked ones are woken), tear down at once
 * if it has no threads. */
void process_kill(struct process *p, uint32_t reason, int64_t code, uint64_t addr, uint64_t ip);

/* A user-mode exception on this CPU: kill the current process with the
 * matching reason, then end the current thread (never returns). */
__noreturn void process_fault(struct trap_frame *f);

/* Charge/refund a process's quota (big_lock). */
__must_check int process_charge(struct process *p, uint64_t bytes);
void process_refund(struct process *p, uint64_t bytes);

/* Open or close I/O ports [base, base+count) in p's bitmap per its IOPORT
 * capabilities (recomputed from all of them). */
void process_update_iomap(struct process *p);

/* A PROCESS or THREAD capability to a process without a started thread went
 * away or moved into such a process, or a process's last started thread
 * left: something may have become unreachable (process_note_orphan_candidate).
 * process_collect_orphans() (run after CDT operations, from
 * kobj_run_deferred) then kills every live process that has no
 * threads and is not named, directly or through other such processes, by a
 * process that has threads: nothing could ever run in it again, and it
 * would otherwise keep its memory and its creator's quota forever (e.g. a
 * thread-less process holding a capability to itself). */
/* Can p act? Threads created suspended (MOS_THREAD_SUSPENDED) do not count
 * until started: a process with only those that nobody can wake any more is
 * unreachable like one with no threads. big_lock held (THREAD_NEW ends only
 * under it). */
bool process_has_started_thread(const struct process *p);
void process_note_orphan_candidate(void);
void process_collect_orphans(void);

/* Kernel-lifetime counters for leak tests. */
uint64_t process_count(void);

/* User threads. Create a thread in p that enters user mode at entry with
 * RSP = stack and RDI = arg; charged to p's quota. Started at once. */
__must_check int uthread_create(struct process *p, uint64_t entry, uint64_t stack, uint64_t arg,
                                unsigned prio, int cpu, uint64_t ipc_buf, bool start, struct thread **out);
/* Start a user thread created with start = false (THREAD_NEW); false if it
 * had started already. big_lock held. */
bool uthread_start_suspended(struct thread *t);
/* Make t leave at its next return to user mode (wake it if blocked). */
void uthread_kill(struct thread *t);
/* The current user thread leaves: IPC state cancelled, the process torn
 * down if it was the last one. Never returns. */
__noreturn void uthread_exit(void);
/* Called on every return to user mode (syscall or interrupt). */
void uthread_return_check(void);

/* Print every process (debug). */
void process_dump(void);
