// SPDX-License-Identifier: MIT
/* smp.c - the other CPUs. Bring-up: the real-mode trampoline is copied to
 * TRAMPOLINE_PA, a temporary root table maps the kernel half plus the first
 * 2 MiB identity, and each enabled MADT CPU gets INIT, a 10 ms wait, then up
 * to two STARTUP IPIs; CPUs start one at a time so ids stay dense. Stopping:
 * an NMI to all others, whose handler halts. TLB shoot-down: one request at
 * a time under sd_lock; targets are IPI'd and the requester waits until each
 * has flushed. Any CPU that spins with interrupts off (spinlocks, the
 * requester itself) services pending requests while it waits, so two CPUs
 * can never wait on each other's acknowledgement. */
#include "arch/x86_64/smp.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "acpi/acpi.h"
#include "arch/arch.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/tlb.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "sched/sched.h"

#define TRAMPOLINE_PA 0x8000

extern const char trampoline_start[], trampoline_end[];
extern char tr_cr3[], tr_stack[], tr_entry[], tr_cpu[], tr_started[];

extern void (*arch_stop_others_hook)(void);
extern void (*spin_wait_hook)(void);

static volatile bool stopping;
static struct kstack idle_stacks[MAX_CPUS];

/* Shoot-down request (sd_lock): a TLB range of one space to flush, the
 * I/O permission bitmap of the running thread to reload, or every PCID's
 * entries to drop. */
static struct spinlock sd_lock = SPINLOCK_INIT("shootdown");
enum sd_kind { SD_RANGE, SD_IOMAP, SD_ALL_ASIDS };
static struct {
    enum sd_kind kind;
    vaddr_t va;
    uint64_t len;
    paddr_t root;
    uint16_t asid;              /* the space's PCID (0: none) */
    bool kernel;
} sd_req;
static volatile uint64_t sd_pending;        /* CPUs that still have to flush */
static uint64_t sd_count;
bool smp_shootdown_enabled = CONFIG_SMP_SHOOTDOWN;

static void *tramp_field(const char *sym)
{
    return pa_to_kva(TRAMPOLINE_PA + (uint64_t)(sym - trampoline_start));
}

static void delay_us(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_ns_to_ticks(us * 1000);
    while (rdtsc() < end)
        cpu_relax();
}

void smp_tlb_service(void)
{
    unsigned me = arch_cpu_id();
    uint64_t bit = 1ull << me;
    if (!(__atomic_load_n(&sd_pending, __ATOMIC_ACQUIRE) & bit))
        return;
    if (sd_req.kind == SD_IOMAP) {
        arch_thread_refresh(this_cpu()->current);
    } else if (sd_req.kind == SD_ALL_ASIDS) {
        invpcid(INVPCID_ALL_NONGLOBAL, 0, 0);
    } else if (sd_req.kernel || (read_cr3() & ~0xFFFull) == sd_req.root) {
        if (sd_req.len > 32 * PAGE_SIZE) {
            arch_tlb_flush_all_local();
        } else {
            for (uint64_t off = 0; off < sd_req.len; off += PAGE_SIZE)
                invlpg(sd_req.va + off);
        }
    } else {
        /* Not running here, but it may have run here: its PCID's entries
         * survived the switch away. */
        arch_tlb_flush_asid_local(sd_req.asid);
    }
    __atomic_fetch_and(&sd_pending, ~bit, __ATOMIC_RELEASE);
}

static void spin_wait_service(void)
{
    if (sd_pending)
        smp_tlb_service();
}

/* Post the request to every other CPU and wait until each has done it. */
static void remote_request(enum sd_kind kind, vaddr_t va, uint64_t len, paddr_t root, uint16_t asid, bool kernel)
{
    uint64_t f = arch_irq_save();
    while (!spin_trylock(&sd_lock)) {
        smp_tlb_service();
        cpu_relax();
    }
    unsigned me = arch_cpu_id();
    sd_req.kind = kind;
    sd_req.va = va;
    sd_req.len = len;
    sd_req.root = root;
    sd_req.asid = asid;
    sd_req.kernel = kernel;
    uint64_t targets = 0;
    for (unsigned i = 0; i < ncpus_online; i++)
        if (i != me && cpus[i].online)
            targets |= 1ull << i;
    __atomic_store_n(&sd_pending, targets, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < ncpus_online; i++)
        if (targets & (1ull << i))
            apic_send_ipi(cpus[i].arch.apic_id, VEC_IPI_TLB);
    while (__atomic_load_n(&sd_pending, __ATOMIC_ACQUIRE))
        cpu_relax();
    if (kind == SD_RANGE)
        sd_count++;
    spin_unlock(&sd_lock);
    arch_irq_restore(f);
}

static void remote_flush(struct vm_space *vs, vaddr_t va, uint64_t len)
{
    if (ncpus_online < 2 || !smp_shootdown_enabled)
        return;
    remote_request(SD_RANGE, va, len, vs->root, vs->asid, vs == &kernel_vm);
}

void arch_iomap_sync(void)
{
    if (ncpus_online >= 2)
        remote_request(SD_IOMAP, 0, 0, 0, 0, false);
}

void smp_flush_all_asids(void)
{
    if (ncpus_online >= 2)
        remote_request(SD_ALL_ASIDS, 0, 0, 0, 0, false);
}

uint64_t smp_shootdowns(void)
{
    return sd_count;
}

static void stop_others(void)
{
    stopping = true;
    if (ncpus_online > 1)
        apic_send_nmi_all_but_self();
}

void smp_nmi(void)
{
    if (stopping)
        arch_halt();
    kprintf("NMI on CPU %u (not a stop request): ignored\n", arch_cpu_id());
}

__noreturn void smp_ap_entry(struct cpu *c);
void smp_ap_entry(struct cpu *c)
{
    arch_percpu_early(c);
    arch_cpu_init(c);
    arch_mmu_cpu_init();
    arch_mmu_switch(kernel_vm.root);
    arch_user_cpu_init();
    apic_init_cpu();
    sched_init_cpu(c, &idle_stacks[c->id]);
    c->online = true;
    sched_idle_loop();
}

/* A root table for the trampoline: the kernel half plus 0-2 MiB identity. */
static paddr_t ap_boot_root(paddr_t *pdpt, paddr_t *pd)
{
    paddr_t root = pmm_alloc_contig(1, PAGE_SIZE, GiB(4));
    *pdpt = pmm_alloc_contig(1, PAGE_SIZE, GiB(4));
    *pd = pmm_alloc_contig(1, PAGE_SIZE, GiB(4));
    if (!root || !*pdpt || !*pd)
        panic("smp: no memory for the trampoline page tables");
    uint64_t *r = pa_to_kva(root), *p = pa_to_kva(*pdpt), *d = pa_to_kva(*pd);
    memset(r, 0, PAGE_SIZE);
    memset(p, 0, PAGE_SIZE);
    memset(d, 0, PAGE_SIZE);
    arch_mmu_share_kernel(root, kernel_vm.root);
    r[0] = *pdpt | 3;
    p[0] = *pd | 3;
    d[0] = 0 | 3 | 0x80;                         /* 2 MiB page at 0, present + writable */
    return root;
}

static bool start_one(struct cpu *c, uint32_t apic, paddr_t root)
{
    struct kstack ist;
    if (!kstack_alloc(&idle_stacks[c->id]))
        return false;
    for (unsigned i = 1; i <= IST_COUNT; i++) {
        if (!kstack_alloc(&ist))
            return false;
        c->arch.ist_top[i] = ist.top;
    }
    c->arch.apic_id = apic;
    *(uint64_t *)tramp_field(tr_cr3) = root;
    *(uint64_t *)tramp_field(tr_stack) = idle_stacks[c->id].top - 16;
    *(uint64_t *)tramp_field(tr_entry) = (uint64_t)smp_ap_entry;
    *(uint64_t *)tramp_field(tr_cpu) = (uint64_t)c;
    *(volatile uint32_t *)tramp_field(tr_started) = 0;

    apic_send_init(apic);
    delay_us(10000);
    for (int attempt = 0; attempt < 2; attempt++) {
        apic_send_startup(apic, TRAMPOLINE_PA >> 12);
        delay_us(1000);
        if (*(volatile uint32_t *)tramp_field(tr_started))
            break;
    }
    for (int i = 0; i < 2000 && !c->online; i++)
        delay_us(100);
    return c->online;
}

unsigned smp_start_aps(const struct acpi_madt_info *madt)
{
    arch_stop_others_hook = stop_others;
    spin_wait_hook = spin_wait_service;
    tlb_remote_flush = remote_flush;
    cpus[0].arch.apic_id = apic_id();
    if (!madt)
        return 1;

    size_t size = (size_t)(trampoline_end - trampoline_start);
    memcpy(pa_to_kva(TRAMPOLINE_PA), trampoline_start, size);
    paddr_t pdpt, pd, root = ap_boot_root(&pdpt, &pd);

    unsigned next = 1;
    for (uint32_t i = 0; i < madt->ncpus && next < MAX_CPUS; i++) {
        const struct acpi_cpu *mc = &madt->cpus[i];
        if (!mc->enabled || mc->apic_id == cpus[0].arch.apic_id)
            continue;
        struct cpu *c = &cpus[next];
        c->id = next;
        if (start_one(c, mc->apic_id, root)) {
            __atomic_store_n(&ncpus_online, next + 1, __ATOMIC_RELEASE);
            next++;
        } else {
            kprintf("smp: CPU with APIC id %u did not start\n", mc->apic_id);
        }
    }
    int e1 = pmm_free(root), e2 = pmm_free(pdpt), e3 = pmm_free(pd);
    assert(!e1 && !e2 && !e3);
    return next;
}
