// SPDX-License-Identifier: MIT
/* syscall.c - dispatch: the table generated from syscalls.def, the checks
 * every return to user mode makes (a non-canonical return address kills the
 * process instead of reaching SYSRET; a pending preemption switches; a
 * killed thread leaves), and small helpers shared by the handlers. */
#include "syscall/syscall.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "proc/process.h"
#include "sched/sched.h"
#include <mos/errors.h>
#include <mos/syscall.h>

typedef long (*syscall_fn)(struct trap_frame *f);

static const syscall_fn syscall_table[SYS_COUNT] = {
#define X(name, num, kinds, nargs) [num] = sys_##name,
#include <mos/syscalls.def>
#undef X
};

static uint64_t calls[SYS_COUNT];
bool syscall_log_rejects;          /* "debug" on the command line */

void syscall_dispatch(struct trap_frame *f);
void syscall_dispatch(struct trap_frame *f)
{
    uint64_t nr = f->rax;
    long r;
    if (likely(nr < SYS_COUNT && syscall_table[nr])) {
        calls[nr]++;
        r = syscall_table[nr](f);
    } else {
        r = -MOS_ENOSYS;
    }
    f->rax = (uint64_t)r;
    if (unlikely(f->rip >= USER_TOP)) {
        /* SYSRET would fault in ring 0 on some CPUs (CVE-2012-0217). */
        struct thread *t = thread_current();
        uint64_t fl = klock();
        process_kill(t->proc, MOS_EXIT_BAD_RETURN, 0, f->rip, f->rip);
        kunlock(fl);
        uthread_exit();
    }
    sched_irq_exit();
    uthread_return_check();
}

uint64_t syscall_count(unsigned nr)
{
    return nr < SYS_COUNT ? calls[nr] : 0;
}

long reject(long err, const char *fmt, ...)
{
    if (syscall_log_rejects) {
        va_list ap;
        va_start(ap, fmt);
        kprintf("syscall refused (%s): ", mos_strerror(err));
        kvprintf(fmt, ap);
        kprintf("\n");
        va_end(ap);
    }
    return err;
}

long syscall_target(mos_handle_t h, uint32_t rights, struct process **out)
{
    struct process *self = thread_current()->proc;
    if (h == MOS_SELF) {
        *out = self;
        return 0;
    }
    struct cap_slot *s;
    long err = cspace_lookup(&self->cs, h, MOS_CAP_PROCESS, rights, &s);
    if (err)
        return err;
    struct process *p = s->cap.obj;
    if (p->state != MOS_PROC_ALIVE || p->dying)
        return -MOS_EDEAD;
    *out = p;
    return 0;
}
