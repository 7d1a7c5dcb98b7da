// SPDX-License-Identifier: MIT
/* init.c - phase 5's last step: the kernel information page, and the first
 * process. The kernel's only ELF loader runs here: bin/init from the initrd
 * (a USTAR boot module), validated by lib/elf.c, loaded into fresh memory
 * objects; init receives the root capabilities at the slots include/mos/init.h
 * names, its stack with a struct mos_init_info at the top, an IPC buffer,
 * and the initrd mapped read-only. Everything else is started by init. */
#include "proc/init.h"
#include "proc/capglue.h"
#include "proc/process.h"
#include "arch/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/tsc.h"
#include "boot/boot_info.h"
#include "irq/irq.h"
#include "acpi/acpi.h"
#include "lib/assert.h"
#include "lib/cmdline.h"
#include "lib/elf.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "lib/tar.h"
#include "mm/memobj.h"
#include "mm/kheap.h"
#include "mm/kstack.h"
#include "mm/page.h"
#include "lib/kstats.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "sched/cpu.h"
#include "sched/sched.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/init.h>
#include <mos/ipc.h>
#include <mos/kinfo.h>
#include <mos/proc.h>

extern paddr_t kinfo_frame;

#define INIT_STACK_TOP   0x00007FFFFFE00000ull
#define INIT_STACK_PAGES 16
#define INIT_IPCBUF      0x00007FFFFFF10000ull   /* user/lib/README.md: the main IPC buffer */
#define INIT_INITRD_VA   0x0000100000000000ull
#define KERNEL_RESERVE   (MiB(8))
#define INIT_PRIO        24                      /* above every service (init.conf) */

static void kinfo_init(uint64_t boot_flags)
{
    kinfo_frame = pmm_alloc();
    if (!kinfo_frame)
        panic("phase 5: no memory for the kernel information page");
    struct mos_kinfo *k = pa_to_kva(kinfo_frame);
    memset(k, 0, PAGE_SIZE);
    k->magic = MOS_KINFO_MAGIC;
    k->tsc_hz = tsc_freq_hz();
    k->tsc_mult = fp_ratio(1000000000, tsc_freq_hz());
    k->tsc_base = 0;
    k->ncpus = ncpus_online;
    k->page_size = PAGE_SIZE;
    k->total_frames = pmm_usable_frames();
    k->boot_flags = boot_flags;
    k->free_frames = pmm_free_frames();
    k->mappings = mapping_count();
    for (unsigned t = 0; t < 8; t++)
        k->objects[t] = t == MOS_CAP_THREAD ? thread_count() : kobj_count(t);
    struct kheap_stats hs;
    kheap_get_stats(&hs);
    k->heap_bytes = hs.bytes_in_use;
    k->heap_objects = hs.objects_in_use;
    k->heap_pages = page_held();
    k->kstack_frames = kstack_in_use() * (KSTACK_SIZE / PAGE_SIZE);
    k->table_frames = vmm_table_frames();
    k->ktable_frames = vmm_kernel_table_frames();
    k->memobj_frames = memobj_ram_frames();
    kstats = k;                             /* from now on the counters follow */
}

static void install_at(struct process *p, uint32_t index, const struct cap *c)
{
    struct cap_slot *s = cspace_alloc_at(&p->cs, index);
    assert(s);
    cdt_insert_child(NULL, s, c);
    if (c->type == MOS_CAP_IOPORT)
        capglue_update_iomap(p, NULL);
}

/* New zeroed memory mapped at va in init, through a MEMORY capability of
 * its own (so init can later unmap or share it), in slots from
 * MOS_INIT_FIRST_FREE on (the fixed root slots stay where init.h says). */
static uint32_t next_slot = MOS_INIT_FIRST_FREE;

static struct memobj *map_new(struct process *p, vaddr_t va, uint64_t pages, uint32_t prot)
{
    struct memobj *m;
    if (memobj_create(p, pages, 0, &m))
        panic("phase 5: init does not fit in memory");
    uint32_t rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE |
                      ((prot & MOS_PROT_WRITE) ? MOS_RIGHT_WRITE : 0) |
                      ((prot & MOS_PROT_EXEC) ? MOS_RIGHT_EXEC : 0);
    struct cap c = { .type = MOS_CAP_MEMORY, .rights = (uint8_t)rights, .obj = m, .count = pages };
    struct cap_slot *s = cspace_alloc_at(&p->cs, next_slot++);
    assert(s);
    cdt_insert_child(NULL, s, &c);
    unsigned vm = VM_READ | ((prot & MOS_PROT_WRITE) ? VM_WRITE : 0) | ((prot & MOS_PROT_EXEC) ? VM_EXEC : 0);
    if (mapping_create(p, s, va, 0, pages, vm))
        panic("phase 5: cannot map init's memory at 0x%llx", (unsigned long long)va);
    return m;
}

/* Copy bytes into an object at byte offset `off` (through the HHDM). */
static void memobj_write(struct memobj *m, uint64_t off, const void *src, uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint64_t page = off / PAGE_SIZE, in = off % PAGE_SIZE, n = MIN(len, PAGE_SIZE - in);
        memcpy((uint8_t *)pa_to_kva(memobj_frame(m, page)) + in, s, n);
        s += n;
        off += n;
        len -= n;
    }
}

static const struct boot_module *find_initrd(const struct boot_info *bi)
{
    for (uint32_t i = 0; i < bi->nmodules; i++)
        if (cmdline_has(bi->modules[i].name, "initrd"))
            return &bi->modules[i];
    return bi->nmodules ? &bi->modules[0] : NULL;
}

const char *init_start(const struct boot_info *bi, uint64_t boot_flags)
{
    kinfo_init(boot_flags);
    const struct boot_module *mod = find_initrd(bi);
    if (!mod)
        return "no initrd module";
    const void *arch = pa_to_kva(mod->start);
    struct tar_entry e;
    if (tar_find(arch, mod->size, "bin/init", &e) || e.type != TAR_FILE)
        return "bin/init not found in the initrd";
    struct elf_info elf;
    if (elf_validate(e.data, e.size, &elf)) {
        kprintf("init: bin/init rejected: %s\n", elf.why);
        return "bin/init is not a valid executable";
    }

    uint64_t fl = klock();
    uint64_t free_bytes = pmm_free_frames() * PAGE_SIZE;
    uint64_t quota = free_bytes > 2 * KERNEL_RESERVE ? free_bytes - KERNEL_RESERVE : free_bytes / 2;
    struct process *p;
    if (process_create(NULL, "init", quota, 4096, NULL, 0, &p))
        panic("phase 5: cannot create init");
    p->max_prio = MOS_PRIO_USER_MAX;
    /* init supervises: it runs above the services it starts (their
     * ceilings come from the manifest), so a busy service cannot keep it
     * from restarting another. */

    /* Root capabilities at their fixed slots. */
    struct memobj *initrd, *devmem;
    /* MOS_INIT_DEVMEM spans the CPU's whole physical address space (RAM in
     * it cannot be mapped: mem_map refuses device capabilities over RAM),
     * so 64-bit PCI BARs placed high by the firmware are inside. */
    uint64_t devmem_pages = arch_phys_limit() >> PAGE_SHIFT;
    paddr_t rd_base = ALIGN_DOWN(mod->start, PAGE_SIZE);
    uint64_t rd_pages = (ALIGN_UP(mod->start + mod->size, PAGE_SIZE) - rd_base) / PAGE_SIZE;
    if (memobj_create_phys(rd_base, rd_pages, 0, &initrd) ||
        memobj_create_phys(0, devmem_pages, MOS_MEM_DEVICE, &devmem))
        panic("phase 5: no memory for root objects");
    kobj_get(&p->obj);
    install_at(p, MOS_INIT_SELF, &(struct cap){ .type = MOS_CAP_PROCESS,
               .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .obj = p });
    install_at(p, MOS_INIT_INITRD, &(struct cap){ .type = MOS_CAP_MEMORY,
               .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE, .obj = initrd,
               .flags = (uint16_t)initrd->flags, .count = rd_pages });
    install_at(p, MOS_INIT_IOPORTS, &(struct cap){ .type = MOS_CAP_IOPORT,
               .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .count = 65536 });
    install_at(p, MOS_INIT_IRQS, &(struct cap){ .type = MOS_CAP_IRQ,
               .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .count = irq_line_count() });
    install_at(p, MOS_INIT_DEVMEM, &(struct cap){ .type = MOS_CAP_MEMORY,
               .rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT | MOS_RIGHT_REVOKE,
               .obj = devmem, .flags = (uint16_t)devmem->flags, .count = devmem_pages });

    /* The initrd, read-only, where init_info says. */
    struct cap_slot *rd_slot;
    int lr = cspace_lookup(&p->cs, cspace_handle(&p->slots[MOS_INIT_INITRD]), MOS_CAP_MEMORY, 0, &rd_slot);
    assert(lr == 0);
    if (mapping_create(p, rd_slot, INIT_INITRD_VA, 0, rd_pages, VM_READ))
        panic("phase 5: cannot map the initrd into init");

    /* The program. */
    for (uint32_t i = 0; i < elf.nsegs; i++) {
        const struct elf_segment *sg = &elf.seg[i];
        vaddr_t lo = ALIGN_DOWN(sg->vaddr, PAGE_SIZE), hi = ALIGN_UP(sg->vaddr + sg->memsz, PAGE_SIZE);
        struct memobj *m = map_new(p, lo, (hi - lo) / PAGE_SIZE, sg->prot);
        memobj_write(m, sg->vaddr - lo, (const uint8_t *)e.data + sg->offset, sg->filesz);
    }

    /* Stack (with the start-up block on top) and IPC buffer. */
    struct memobj *stack = map_new(p, INIT_STACK_TOP - INIT_STACK_PAGES * PAGE_SIZE, INIT_STACK_PAGES,
                                   MOS_PROT_READ | MOS_PROT_WRITE);
    map_new(p, INIT_IPCBUF, MOS_IPC_BUFFER_PAGES, MOS_PROT_READ | MOS_PROT_WRITE);
    struct mos_init_info info = {
        .magic = MOS_INIT_MAGIC, .initrd_size = mod->size,
        .initrd_va = INIT_INITRD_VA + (mod->start - rd_base), .quota_pages = quota / PAGE_SIZE,
        .irq_count = irq_line_count(), .devmem_base = 0,
        .fb_phys = bi->fb.format != FB_NONE ? bi->fb.addr : 0, .fb_width = bi->fb.width,
        .fb_height = bi->fb.height, .fb_pitch = bi->fb.pitch, .fb_bpp = bi->fb.bpp,
    };
    strncpy(info.cmdline, bi->cmdline, sizeof info.cmdline - 1);
    extern struct acpi_fadt_info acpi_fadt;
    extern bool acpi_have_fadt;
    if (acpi_have_fadt && acpi_fadt.slp_typ_s5a != 0xFFFF) {
        info.acpi_pm1a_cnt = acpi_fadt.pm1a_cnt;
        info.acpi_slp_typ_s5 = acpi_fadt.slp_typ_s5a;
    }
    info.ncpus = ncpus_online;
    uint64_t info_off = INIT_STACK_PAGES * PAGE_SIZE - ALIGN_UP(sizeof info, 64);
    memobj_write(stack, info_off, &info, sizeof info);
    uint64_t info_va = INIT_STACK_TOP - INIT_STACK_PAGES * PAGE_SIZE + info_off;

    struct thread *t;
    if (uthread_create(p, elf.entry, info_va - 64, info_va, INIT_PRIO, -1, INIT_IPCBUF, true, &t))
        panic("phase 5: cannot start init's thread");
    thread_get(t);
    install_at(p, MOS_INIT_MAIN_THREAD, &(struct cap){ .type = MOS_CAP_THREAD,
               .rights = MOS_RIGHTS_ALL & ~MOS_RIGHT_EXEC, .obj = t });
    kunlock(fl);
    return NULL;
}
