// SPDX-License-Identifier: MIT
/* sys_misc.c - irq_bind and debug_write. */
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "arch/x86_64/trap.h"
#include "irq/irq.h"
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
