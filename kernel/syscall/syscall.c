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
#include "sched/cpu.h"
#include "arch/x86_64/asm_offsets.h"
#include "debug/kcov.h"
#include "ipc/ipc.h"
#include "sched/sched.h"
#include <mos/errors.h>
#include <mos/syscall.h>

typedef long (*syscall_fn)(struct trap_frame *f);

/* Numbers below SYS_COUNT that syscalls.def leaves unassigned (0). */
static long sys_unassigned(struct trap_frame *f)
{
    (void)f;
    return -MOS_ENOSYS;
}

/* The table syscall.S indexes without a NULL check: every entry below its
 * length must be a function. The range initialiser fills the gaps; the
 * per-call designators then override it (hence the pragma). The length is
 * SYS_COUNT; only the fuzzing build extends it to its own two calls
 * (SYS_fuzz_cov_reset/read, mos/kcov.h), so every other build keeps
 * answering -MOS_ENOSYS for them from syscall.S's bound check. */
#define SYSCALL_TABLE_LEN (CONFIG_KCOV ? SYS_fuzz_cov_read + 1 : SYS_COUNT)
const syscall_fn syscall_table[SYSCALL_TABLE_LEN];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#ifdef __clang__
#pragma GCC diagnostic ignored "-Winitializer-overrides"
#endif
const syscall_fn syscall_table[SYSCALL_TABLE_LEN] = {
    [0 ... SYSCALL_TABLE_LEN - 1] = sys_unassigned,
#define X(name, num, kinds, nargs) [num] = sys_##name,
#include <mos/syscalls.def>
#undef X
#if CONFIG_KCOV
    [SYS_fuzz_cov_reset] = sys_fuzz_cov_reset,
    [SYS_fuzz_cov_read] = sys_fuzz_cov_read,
#endif
};
#pragma GCC diagnostic pop
_Static_assert(SYS_ipc_send == 5 && SYS_ipc_reply_recv == 9 && SYS_ipc_recv == 6 && SYS_ipc_call == 7,
               "syscall.S saves callee-saved registers for numbers 5..9 (the IPC calls that block)");

bool syscall_log_rejects;          /* "debug" on the command line */

/* Work before returning to user mode: a non-canonical return address, a
 * pending preemption, a kill. Out of line: the common case skips it. */
static __attribute__((noinline)) void exit_work(struct trap_frame *f)
{
    console_notify();
    if (f->rip >= USER_TOP) {
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

void syscall_exit_checks(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    if (unlikely(f->rip >= USER_TOP || c->need_resched || c->current->killed))
        exit_work(f);
}

/* Dispatch itself is in syscall.S (the table above, then the same checks as
 * syscall_exit_checks()); these keep its constants honest. */
_Static_assert(SYS_COUNT_ASM == SYSCALL_TABLE_LEN && MOS_ENOSYS_ASM == MOS_ENOSYS, "asm_offsets.h");
_Static_assert(offsetof(struct cpu, need_resched) == CPU_NEED_RESCHED, "asm_offsets.h");
_Static_assert(offsetof(struct cpu, current) == CPU_CURRENT, "asm_offsets.h");
_Static_assert(offsetof(struct thread, killed) == THREAD_KILLED, "asm_offsets.h");
_Static_assert(offsetof(struct trap_frame, rax) == 0x70 && offsetof(struct trap_frame, rip) == 0x88,
               "syscall.S frame offsets");

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
