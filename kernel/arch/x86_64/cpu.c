// SPDX-License-Identifier: MIT
/* cpu.c - small CPU services behind arch.h: the interrupt flag, halting,
 * leaving QEMU. Stopping the other CPUs uses an NMI broadcast once the
 * LAPIC is up (apic.c registers it); before that only this CPU stops. */
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"

void (*arch_stop_others_hook)(void);

bool arch_irqs_enabled(void)
{
    return read_rflags() & RFLAGS_IF;
}

void arch_halt(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void arch_stop_others(void)
{
    if (arch_stop_others_hook)
        arch_stop_others_hook();
}

void arch_dump_state(void)
{
    kprintf("  CPU %u  RSP 0x%016llx  RBP 0x%016llx  RFLAGS 0x%llx\n", arch_cpu_id(),
            (unsigned long long)read_rsp(), (unsigned long long)read_rbp(),
            (unsigned long long)read_rflags());
    kprintf("  CR0 0x%llx  CR2 0x%llx  CR3 0x%llx  CR4 0x%llx\n",
            (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
            (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    arch_backtrace(read_rbp(), 16);
}

void arch_qemu_exit(unsigned code)
{
    outl(0xF4, code);     /* isa-debug-exit: QEMU exits with (code << 1) | 1 */
    arch_halt();
}

uint64_t arch_fault_address(void)
{
    return read_cr2();
}
