// SPDX-License-Identifier: MIT
/* panic.c - the end of the road for kernel bugs: print the message, this
 * CPU's state and a backtrace, then stop every CPU (or, in test mode, leave
 * QEMU with a failure status so the runner does not wait for a time-out). */
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/log.h"
#include "arch/arch.h"

bool kernel_exit_on_panic;

void kernel_stop(void)
{
    arch_stop_others();
    if (kernel_exit_on_panic)
        arch_qemu_exit(QEMU_EXIT_FAILURE);
    arch_halt();
}

void panic(const char *fmt, ...)
{
    static volatile int depth;
    arch_irq_save();
    if (depth++ > 1)
        arch_halt();
    log_enter_panic();
    va_list ap;
    va_start(ap, fmt);
    kprintf("PANIC on CPU %u: ", arch_cpu_id());
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    arch_dump_state();
    kernel_stop();
}

void assert_fail(const char *expr, const char *file, int line, const char *func)
{
    panic("ASSERTION FAILED: %s at %s:%d in %s()", expr, file, line, func);
}
