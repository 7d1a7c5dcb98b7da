// SPDX-License-Identifier: MIT
/* sys_misc.c - irq_bind and debug_write. */
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "arch/x86_64/trap.h"
#include "irq/irq.h"
#include "ipc/ipc.h"
#include "lib/log.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc/process.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include <mos/errors.h>

long sys_irq_bind(struct trap_frame *f)
{
    uint64_t fl = klock();
    struct process *p = thread_current()->proc;
    struct cap_slot *irq, *ep = NULL;
    long r = cspace_lookup(&p->cs, (mos_handle_t)f->rdi, MOS_CAP_IRQ, MOS_RIGHT_WRITE, &irq);
    if (!r && f->rsi)
        r = cspace_lookup(&p->cs, (mos_handle_t)f->rsi, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &ep);
    if (!r)
        r = irq_bind(irq, ep, f->rdx);
    kunlock(fl);
    return r;
}

/* The console owner (the serial driver): its endpoint is notified when the
 * kernel log has lines for it. big_lock. */
static struct process *log_owner;
static struct endpoint *log_ep;
static uint64_t log_bits;

long sys_log_read(struct trap_frame *f)
{
    uint64_t len = MIN(f->rdx, (uint64_t)4096);
    uint64_t fl = klock();
    struct process *p = thread_current()->proc;
    struct cap_slot *io, *ep = NULL;
    long r = cspace_lookup(&p->cs, (mos_handle_t)f->rdi, MOS_CAP_IOPORT, MOS_RIGHT_WRITE, &io);
    if (!r && !(io->cap.base <= 0x3F8 && 0x3F8 - io->cap.base < io->cap.count))
        r = reject(-MOS_EPERM, "log_read: the IOPORT capability does not cover COM1");
    if (!r && f->r10)
        r = cspace_lookup(&p->cs, (mos_handle_t)f->r10, MOS_CAP_ENDPOINT, MOS_RIGHT_WRITE, &ep);
    if (!r && !user_range_ok(f->rsi, len))
        r = -MOS_EFAULT;
    if (r) {
        kunlock(fl);
        return r;
    }
    if (ep) {
        if (log_ep)
            kobj_put(&log_ep->obj);
        log_ep = ep->cap.obj;
        kobj_get(&log_ep->obj);
        log_bits = f->r8 ? f->r8 : 1;
    }
    if (log_owner != p) {
        log_owner = p;
        log_claim_console(p);
    }
    kunlock(fl);
    static char buf[MAX_CPUS][4096];
    char *b = buf[this_cpu()->id];
    size_t n = log_drain(b, len);
    int err = copy_to_user(uptr(f->rsi), b, n);
    return err ? err : (long)n;
}

void console_owner_exit(struct process *p)
{
    if (log_owner != p)
        return;
    log_owner = NULL;
    log_release_console(p);
    if (log_ep) {
        kobj_put(&log_ep->obj);
        log_ep = NULL;
    }
}

void console_notify(void)
{
    if (!log_take_notify())
        return;
    uint64_t fl = klock();
    if (log_ep)
        endpoint_notify(log_ep, log_bits);
    kunlock(fl);
}

/* The kernel log, for debugging and tests: whole lines, each with the
 * log prefix and the writer's pid. At most 4096 bytes per call. */
long sys_debug_write(struct trap_frame *f)
{
    uint64_t len = f->rsi;
    if (len > 4096)
        return reject(-MOS_EINVAL, "debug_write: %llu bytes", (unsigned long long)len);
    static char buf[MAX_CPUS][4097];
    char *b = buf[this_cpu()->id];
    int err = copy_from_user(b, uptr(f->rdi), len);
    if (err)
        return err;
    b[len] = '\0';
    uint64_t pid = thread_current()->proc->pid;
    /* One log line per text line; a line without '\n' is still ended. */
    for (char *line = b; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        kprintf("[%llu] %.*s\n", (unsigned long long)pid, (int)n, line);
        line += n + (nl ? 1 : 0);
    }
    return (long)len;
}
