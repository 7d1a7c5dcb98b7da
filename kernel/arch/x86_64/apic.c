// SPDX-License-Identifier: MIT
/* apic.c - local APIC: x2APIC (MSR 0x800+reg/16) when CPUID says so, else
 * xAPIC MMIO at the MADT's address mapped uncached. Every CPU enables its own
 * LAPIC (spurious vector 0xFF, LINT0 masked, LINT1 NMI per the MADT, error
 * vector), sends IPIs through the ICR, and drives its one-shot timer: in
 * TSC-deadline mode the deadline MSR takes an absolute TSC value; otherwise
 * the initial-count register takes a count derived from the TSC deadline
 * with the rate measured at boot. No locks: each CPU touches only its LAPIC. */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "acpi/acpi.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "mm/vmm.h"

#define LAPIC_ID        0x020
#define LAPIC_VER       0x030
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0B0
#define LAPIC_LDR       0x0D0
#define LAPIC_DFR       0x0E0
#define LAPIC_SVR       0x0F0
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3E0

#define LVT_MASKED        (1u << 16)
#define LVT_TSC_DEADLINE  (2u << 17)
#define LVT_NMI           (4u << 8)
#define ICR_INIT          (5u << 8)
#define ICR_STARTUP       (6u << 8)
#define ICR_NMI           (4u << 8)
#define ICR_LEVEL_ASSERT  (1u << 14)
#define ICR_PENDING       (1u << 12)
#define ICR_ALL_BUT_SELF  (3u << 18)

static bool x2apic;
static bool tsc_deadline;
static volatile uint32_t *xapic;
static uint64_t lapic_phys = 0xFEE00000;
static uint8_t nmi_lint = 1;
static uint64_t timer_hz;                    /* LAPIC timer counts per second (divide by 1) */
static uint64_t timer_per_tsc_fp;            /* timer counts per TSC tick, 32.32 */

static uint32_t rd(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return xapic[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        xapic[reg / 4] = v;
}

bool apic_x2apic_mode(void) { return x2apic; }
bool apic_timer_tsc_deadline(void) { return tsc_deadline; }

uint32_t apic_id(void)
{
    return x2apic ? rd(LAPIC_ID) : rd(LAPIC_ID) >> 24;
}

void apic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

static void pic_mask_all(void)
{
    /* Remap the 8259s to 0x20/0x28 (so a stray interrupt is recognisable),
     * then mask every line. */
    outb(0x20, 0x11); io_wait(); outb(0xA0, 0x11); io_wait();
    outb(0x21, VEC_PIC_BASE); io_wait(); outb(0xA1, VEC_PIC_BASE + 8); io_wait();
    outb(0x21, 4); io_wait(); outb(0xA1, 2); io_wait();
    outb(0x21, 1); io_wait(); outb(0xA1, 1); io_wait();
    outb(0x21, 0xFF); outb(0xA1, 0xFF);
}

void apic_init_bsp(const struct acpi_madt_info *madt)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    x2apic = (c >> 21) & 1;
    tsc_deadline = (c >> 24) & 1;
    if (madt && madt->lapic_addr)
        lapic_phys = madt->lapic_addr;
    for (uint32_t i = 0; madt && i < madt->nnmis; i++)
        nmi_lint = madt->nmis[i].lint;
    pic_mask_all();
    if (!x2apic) {
        xapic = vmm_map_device(lapic_phys, PAGE_SIZE, VM_NOCACHE);
        if (!xapic)
            panic("apic: cannot map the local APIC at 0x%llx", (unsigned long long)lapic_phys);
    }
}

void apic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    base |= 1ull << 11;                                /* global enable */
    if (x2apic)
        base |= 1ull << 10;                            /* x2APIC mode */
    wrmsr(MSR_APIC_BASE, base);
    if (!x2apic) {
        wr(LAPIC_DFR, 0xFFFFFFFF);                     /* flat model */
        wr(LAPIC_LDR, (rd(LAPIC_LDR) & 0x00FFFFFF) | 1);
    }
    wr(LAPIC_TPR, 0);
    wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    wr(LAPIC_LVT_LINT0, LVT_MASKED);
    wr(nmi_lint ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0, LVT_NMI);
    wr(LAPIC_LVT_ERROR, VEC_APIC_ERROR);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);               /* software enable */
    apic_eoi();
}

static void icr_wait(void)
{
    if (x2apic)
        return;                                        /* x2APIC ICR writes do not pend */
    for (int i = 0; i < 1000000 && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
        cpu_relax();
}

static void icr_send(uint32_t dest, uint32_t lo)
{
    if (x2apic) {
        wrmsr(0x830, ((uint64_t)dest << 32) | lo);
        return;
    }
    icr_wait();
    wr(LAPIC_ICR_HI, dest << 24);
    wr(LAPIC_ICR_LO, lo);
    icr_wait();
}

void apic_send_ipi(uint32_t dest, uint8_t vector) { icr_send(dest, vector | ICR_LEVEL_ASSERT); }
void apic_send_ipi_all_but_self(uint8_t vector) { icr_send(0, vector | ICR_LEVEL_ASSERT | ICR_ALL_BUT_SELF); }
void apic_send_nmi_all_but_self(void) { icr_send(0, ICR_NMI | ICR_LEVEL_ASSERT | ICR_ALL_BUT_SELF); }
void apic_send_init(uint32_t dest) { icr_send(dest, ICR_INIT | ICR_LEVEL_ASSERT); }
void apic_send_startup(uint32_t dest, uint8_t page) { icr_send(dest, ICR_STARTUP | ICR_LEVEL_ASSERT | page); }

void apic_timer_calibrate(void)
{
    if (tsc_deadline)
        return;
    /* Count the LAPIC timer down (divide by 1) for 10 ms of TSC time. */
    wr(LAPIC_TIMER_DIV, 0xB);
    wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    wr(LAPIC_TIMER_INIT, 0xFFFFFFFF);
    uint64_t t0 = rdtsc(), span = tsc_freq_hz() / 100;
    while (rdtsc() - t0 < span)
        cpu_relax();
    uint32_t elapsed = 0xFFFFFFFF - rd(LAPIC_TIMER_CUR);
    wr(LAPIC_TIMER_INIT, 0);
    timer_hz = (uint64_t)elapsed * 100;
    if (!timer_hz)
        panic("apic: the LAPIC timer does not count");
    timer_per_tsc_fp = fp_ratio(timer_hz, tsc_freq_hz());
}


void apic_timer_arm(uint64_t deadline)
{
    if (tsc_deadline) {
        wr(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
        wrmsr(MSR_TSC_DEADLINE, deadline ? deadline : 1);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t delta = deadline > now ? deadline - now : 1;
    /* counts = delta * timer_hz / tsc_hz, saturating at 32 bits. */
    unsigned __int128 counts = ((unsigned __int128)delta * timer_per_tsc_fp) >> 32;
    uint32_t init = counts == 0 ? 1 : (counts > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)counts);
    wr(LAPIC_LVT_TIMER, VEC_TIMER);                   /* one-shot, unmasked */
    wr(LAPIC_TIMER_INIT, init);
}

void apic_timer_disarm(void)
{
    if (tsc_deadline) {
        wrmsr(MSR_TSC_DEADLINE, 0);
    } else {
        wr(LAPIC_TIMER_INIT, 0);
    }
    wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER | (tsc_deadline ? LVT_TSC_DEADLINE : 0));
}
