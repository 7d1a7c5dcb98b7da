// SPDX-License-Identifier: MIT
/* platform.c - phase 4 on x86_64: the TSC clock, ACPI (MADT, FADT), the
 * local APIC of the boot CPU and its timer, the I/O APICs with the legacy
 * PICs masked, interrupt vectors for the timer and IPIs, then the other
 * CPUs. ACPI tables are read through the HHDM, and only where phase 3
 * mapped them: a table pointing elsewhere is refused, never dereferenced. */
#include "arch/arch.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "acpi/acpi.h"
#include "boot/boot_info.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "sched/sched.h"

static struct acpi_madt_info madt;
static bool have_madt;
struct acpi_fadt_info acpi_fadt;
bool acpi_have_fadt;

void acpi_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kprintf("acpi: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
}

static const void *acpi_map(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (len == 0 || pa + len < pa || pa + len > hhdm_offset)
        return NULL;
    for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE)
        if (!vmm_translate(&kernel_vm, (vaddr_t)pa_to_kva(p), NULL, NULL))
            return NULL;
    return pa_to_kva(pa);
}

static void on_timer(struct trap_frame *f) { (void)f; sched_timer_interrupt(); }
static void on_resched(struct trap_frame *f) { (void)f; sched_resched_interrupt(); }
static void on_tlb(struct trap_frame *f) { (void)f; smp_tlb_service(); }
static void on_apic_error(struct trap_frame *f)
{
    (void)f;
    kprintf("apic: error interrupt on CPU %u\n", arch_cpu_id());
}

static void read_acpi(const struct boot_info *bi)
{
    uint64_t pa;
    uint32_t len;
    if (!bi->rsdp_len) {
        kprintf("acpi: no RSDP from the loader: one CPU, default APIC addresses\n");
        return;
    }
    if (acpi_find_table(bi->rsdp, bi->rsdp_len, "APIC", 0, acpi_map, NULL, &pa, &len) == 0 &&
        acpi_parse_madt(acpi_map(pa, len, NULL), len, &madt) == 0)
        have_madt = true;
    else
        kprintf("acpi: no usable MADT: one CPU, default APIC addresses\n");
    if (acpi_find_table(bi->rsdp, bi->rsdp_len, "FACP", 0, acpi_map, NULL, &pa, &len) == 0 &&
        acpi_parse_fadt(acpi_map(pa, len, NULL), len, acpi_map, NULL, &acpi_fadt) == 0)
        acpi_have_fadt = true;
    if (have_madt)
        kprintf("acpi: MADT: %u CPUs, %u I/O APICs, %u overrides, %u NMI entries, LAPIC 0x%llx%s\n",
                madt.ncpus, madt.nioapics, madt.noverrides, madt.nnmis,
                (unsigned long long)madt.lapic_addr, madt.pcat_compat ? ", 8259 present" : "");
}

void arch_platform_init(const struct boot_info *bi, char *summary, size_t len);
void arch_platform_init(const struct boot_info *bi, char *summary, size_t len)
{
    tsc_init();
    read_acpi(bi);
    apic_init_bsp(have_madt ? &madt : NULL);
    apic_init_cpu();
    apic_timer_calibrate();
    if (have_madt)
        ioapic_init(&madt);
    trap_set_handler(VEC_TIMER, on_timer);
    trap_set_handler(VEC_IPI_RESCHED, on_resched);
    trap_set_handler(VEC_IPI_TLB, on_tlb);
    trap_set_handler(VEC_APIC_ERROR, on_apic_error);
    uint64_t mhz = tsc_freq_hz() / 1000000;
    ksnprintf(summary, len, "TSC %llu.%02llu GHz (%s), %s, %s timer, %u I/O APIC%s",
              (unsigned long long)(mhz / 1000), (unsigned long long)(mhz % 1000 / 10), tsc_source(),
              apic_x2apic_mode() ? "x2APIC" : "xAPIC",
              apic_timer_tsc_deadline() ? "TSC-deadline" : "one-shot",
              have_madt ? madt.nioapics : 0, have_madt && madt.nioapics == 1 ? "" : "s");
}

unsigned arch_start_cpus(void);
unsigned arch_start_cpus(void)
{
    return smp_start_aps(have_madt ? &madt : NULL);
}
