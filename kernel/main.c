// SPDX-License-Identifier: MIT
/* main.c - the five boot phases, in order, each logging one line when done:
 *   1 Deaf and Blind  COM1, kprintf, this CPU's GDT/TSS/IDT (fault reports)
 *   2 Can See         boot info parsed and shown, framebuffer console
 *   3 Can Remember    PMM, kernel page tables (W^X), heap, guarded stacks
 *   4 Can Think       interrupts, timers, scheduler, SMP         (next issue)
 *   5 Alive           ring 3 and init                            (next issue)
 * Each loader has its own entry (kmain_multiboot2, kmain_limine) that fills
 * struct boot_info; from kernel_main on, nothing knows which loader ran. */
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "boot/boot_info.h"
#include "boot/limine.h"
#include "boot/multiboot2.h"
#include "dev/fbcon.h"
#include "lib/assert.h"
#include "lib/cmdline.h"
#include "lib/kprintf.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/kheap.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "proc/init.h"
#include <mos/kinfo.h>

extern bool syscall_log_rejects;

struct cpu cpus[MAX_CPUS];
unsigned ncpus_online = 1;
struct boot_info boot_info;

void boot_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kprintf("boot: warning: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
}

static void phase1(void)
{
    cpus[0].id = 0;
    arch_percpu_early(&cpus[0]);
    bool uart = arch_serial_init();
    cpus[0].online = true;
    idt_init();
    arch_cpu_init(&cpus[0]);
    kprintf("MinimalOS booting\n");
    kprintf("phase 1 (Deaf and Blind): ok — %s, CPU tables loaded\n",
            uart ? "COM1 115200 8N1" : "no UART found");
}

static void show_boot_info(const struct boot_info *bi)
{
    uint64_t usable = 0;
    kprintf("boot: loader \"%s\" (%s), command line \"%s\"\n", bi->loader, bi->protocol,
            bi->cmdline);
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == MEM_USABLE)
            usable += r->len;
        kprintf("  mem %016llx-%016llx %s\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->len - 1), bootmem_type_name(r->type));
    }
    kprintf("  %u regions, %llu MiB usable, top of usable memory 0x%llx\n", bi->nregions,
            (unsigned long long)(usable >> 20), (unsigned long long)bootmem_usable_top(bi));
    if (bi->fb.format != FB_NONE)
        kprintf("  framebuffer %ux%ux%u at 0x%llx, pitch %u\n", bi->fb.width, bi->fb.height,
                bi->fb.bpp, (unsigned long long)bi->fb.addr, bi->fb.pitch);
    else
        kprintf("  no framebuffer: serial console only\n");
    if (bi->rsdp_len)
        kprintf("  ACPI RSDP revision %u%s\n", bi->rsdp[15], bi->rsdp_len >= 36 ? " (XSDT)" : "");
    else
        kprintf("  no ACPI RSDP\n");
    for (uint32_t i = 0; i < bi->nmodules; i++)
        kprintf("  module \"%s\" at 0x%llx, %llu bytes\n", bi->modules[i].name,
                (unsigned long long)bi->modules[i].start, (unsigned long long)bi->modules[i].size);
    if (bi->warnings)
        kprintf("  %u malformed boot items were skipped (see above)\n", bi->warnings);
}

static const char *phase2_console(const struct boot_info *bi)
{
    if (bi->fb.format == FB_NONE)
        return "no framebuffer";
    uint64_t end = bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height;
    if (end > GiB(4))
        return "framebuffer above 4 GiB: console after phase 3";
    if (fbcon_init(&bi->fb, pa_to_kva(bi->fb.addr)) != 0)
        return "framebuffer format not supported";
    log_enable_fbcon(true);
    return "framebuffer console";
}

static void phase3_on_kernel_stack(void *arg);
static __noreturn void phase4(struct boot_info *bi);
static struct kstack boot_kstack;     /* becomes CPU 0's idle thread stack */

static void phase3(struct boot_info *bi)
{
    struct phys_range avoid[BOOT_MAX_MODULES + 1];
    size_t navoid = 0;
    avoid[navoid++] = (struct phys_range){ bi->kernel_phys_base,
                                           bi->kernel_phys_end - bi->kernel_phys_base };
    for (uint32_t i = 0; i < bi->nmodules; i++)
        avoid[navoid++] = (struct phys_range){ bi->modules[i].start, bi->modules[i].size };

    struct pmm_plan plan;
    if (pmm_plan(bi, avoid, navoid, &plan))
        panic("phase 3: no usable memory for the frame bitmap");
    pmm_init(&plan, pa_to_kva(plan.bitmap_pa), bi, avoid, navoid);
    kprintf("pmm: %llu frames usable, %llu free, bitmap %llu bytes at 0x%llx\n",
            (unsigned long long)pmm_usable_frames(), (unsigned long long)pmm_free_frames(),
            (unsigned long long)plan.bitmap_bytes, (unsigned long long)plan.bitmap_pa);

    vmm_init(bi);
    kprintf("vmm: kernel page tables live (HHDM at 0x%llx, image W^X)\n",
            (unsigned long long)hhdm_offset);
    if (bi->fb.format != FB_NONE && !fbcon_active() &&
        fbcon_init(&bi->fb, pa_to_kva(bi->fb.addr)) == 0)
        log_enable_fbcon(true);

    /* Guarded IST stacks for the boot CPU, then leave the boot stack. */
    for (unsigned i = 1; i <= IST_COUNT; i++) {
        struct kstack ist;
        if (!kstack_alloc(&ist))
            panic("phase 3: no memory for IST stacks");
        arch_set_ist(&cpus[0], i, ist.top);
    }
    if (!kstack_alloc(&boot_kstack))
        panic("phase 3: no memory for the kernel stack");
    arch_run_on_stack(boot_kstack.top, phase3_on_kernel_stack, bi);
}

static void phase3_on_kernel_stack(void *arg)
{
    struct boot_info *bi = arg;
    void *probe = kmalloc(64);
    if (!probe)
        panic("phase 3: kernel heap does not work");
    kfree(probe);
    uint64_t free_mib = pmm_free_frames() * PAGE_SIZE >> 20;
    uint64_t total_mib = pmm_usable_frames() * PAGE_SIZE >> 20;
    kprintf("phase 3 (Can Remember): ok — %llu MiB free of %llu MiB, heap, W^X, guarded stacks\n",
            (unsigned long long)free_mib, (unsigned long long)total_mib);

    phase4(bi);
}

static const char *user_cpu_features;   /* set up on the boot CPU in phase 4 */

static void phase5(struct boot_info *bi, uint64_t flags)
{
    kprintf("ring 3: SYSCALL/SYSRET, %s, FPU/SSE state per thread\n", user_cpu_features);
    const char *err = init_start(bi, flags);
    if (err)
        panic("phase 5 (Alive): FAILED — %s", err);
    kprintf("phase 5 (Alive): ok — init started\n");
}

/* The rest of boot runs as a kernel thread, so it can block and sleep. In
 * test mode the in-kernel tests run first, on a quiet system; then init
 * runs the userspace suite and ends the run. */
static void kmain_thread(void *arg)
{
    struct boot_info *bi = arg;
    uint64_t flags = 0;
    syscall_log_rejects = cmdline_has(bi->cmdline, "debug");
    if (cmdline_has(bi->cmdline, "test")) {
        char filter[64] = "";
        flags |= MOS_BOOT_TEST;
        cmdline_get(bi->cmdline, "test", filter, sizeof filter);
        ktest_exact_time = !cmdline_has(bi->cmdline, "realtime");
        if (!ktest_exact_time)
            flags |= MOS_BOOT_REALTIME;
        unsigned failed = ktest_run_all(filter);
        if (failed || cmdline_has(bi->cmdline, "kernel-only"))
            arch_qemu_exit(failed ? QEMU_EXIT_FAILURE : QEMU_EXIT_SUCCESS);
    }
    phase5(bi, flags);
}

void arch_platform_init(const struct boot_info *bi, char *summary, size_t len);
unsigned arch_start_cpus(void);

static __noreturn void phase4(struct boot_info *bi)
{
    char summary[160];
    arch_platform_init(bi, summary, sizeof summary);
    sched_init_cpu(&cpus[0], &boot_kstack);
    /* Ring-3 support (SYSCALL MSRs, SMEP/SMAP, SSE) is per CPU: set it up
     * here, on the boot CPU itself, as each AP does in smp_ap_entry (kmain
     * is an ordinary thread and may run elsewhere by phase 5). */
    user_cpu_features = arch_user_cpu_init();
    unsigned n = arch_start_cpus();
    kprintf("phase 4 (Can Think): ok — %u CPU%s, %s\n", n, n == 1 ? "" : "s", summary);
    struct thread *t = thread_create("kmain", kmain_thread, bi, SCHED_PRIO_MAX - 1, -1);
    if (!t)
        panic("phase 4: cannot create the kmain thread");
    thread_start(t);
    sched_idle_loop();
}

static __noreturn void kernel_main(struct boot_info *bi)
{
    kernel_exit_on_panic = cmdline_has(bi->cmdline, "test");
    const char *console = phase2_console(bi);
    show_boot_info(bi);
    kprintf("phase 2 (Can See): ok — %s via %s, %s\n", bi->protocol, bi->loader, console);
    phase3(bi);
    for (;;)
        arch_halt();
}

/* Entered from boot.S in long mode on the boot stack and boot page tables. */
__noreturn void kmain_multiboot2(uint32_t magic, uint32_t info_pa);
void kmain_multiboot2(uint32_t magic, uint32_t info_pa)
{
    phase1();
    if (magic != MB2_BOOTLOADER_MAGIC)
        panic("not started by a Multiboot2 loader (EAX 0x%x)", magic);
    const void *info = pa_to_kva(info_pa);
    uint32_t total = *(const uint32_t *)info;
    if (mb2_parse(info, MIN(total, (uint32_t)MiB(1)), &boot_info) != 0)
        panic("Multiboot2 information at 0x%x is unusable", info_pa);
    boot_info.hhdm_offset = HHDM_BASE;
    boot_info.kernel_phys_base = KERNEL_LINK_PHYS;
    boot_info.kernel_phys_end = KERNEL_LINK_PHYS + ((uint64_t)__kernel_end - KERNEL_LINK);
    bootmem_sanitize(&boot_info);
    kernel_main(&boot_info);
}

/* limine_parse() refused: say why on serial and, when a framebuffer was
 * found, on screen; then stop (a test boot ends QEMU with the failure
 * status rather than hang until the runner's timeout). */
static __noreturn void limine_stop(struct boot_info *bi)
{
    if (bi->fb.format != FB_NONE && bi->hhdm_offset) {
        hhdm_offset = bi->hhdm_offset;
        if (fbcon_init(&bi->fb, pa_to_kva(bi->fb.addr)) == 0)
            log_enable_fbcon(true);
    }
    kprintf("MinimalOS: cannot boot from this Limine: %s\n", limine_refusal());
    kprintf("phase 2 (Can See): FAILED — the Limine boot information is unusable\n");
    if (cmdline_has(bi->cmdline, "test"))
        arch_qemu_exit(QEMU_EXIT_FAILURE);
    arch_halt();
}

/* Entered from limine_entry.S in long mode on the boot stack, still on
 * Limine's page tables: its HHDM maps all RAM, so pa_to_kva() works through
 * it until vmm_init() switches to the kernel's own tables in phase 3. The
 * image may sit at any physical address; limine_parse() takes it from the
 * kernel address response. The other CPUs are left alone (no MP request):
 * phase 4 starts them with INIT-SIPI-SIPI as on the Multiboot2 path. */
__noreturn void kmain_limine(void);
void kmain_limine(void)
{
    phase1();
    if (limine_parse(&boot_info) != 0)
        limine_stop(&boot_info);
    hhdm_offset = boot_info.hhdm_offset;
    bootmem_sanitize(&boot_info);
    kernel_main(&boot_info);
}
