/* SPDX-License-Identifier: MIT */
/* init.h - what the kernel gives init, the first process. The root handles
 * are at fixed slots; the start-up block (struct mos_init_info) is at the top
 * of init's stack and its address arrives as init's first argument (RDI). */
#pragma once

#include <mos/types.h>

/* Root capabilities in init's capability space (all rights). */
#define MOS_INIT_SELF       1   /* PROCESS: init itself */
#define MOS_INIT_INITRD     2   /* MEMORY: the initrd (USTAR archive), read-only */
#define MOS_INIT_IOPORTS    3   /* IOPORT: ports 0x0000-0xFFFF */
#define MOS_INIT_IRQS       4   /* IRQ: GSIs 0..n-1 */
#define MOS_INIT_DEVMEM     5   /* MEMORY (DEVICE): the physical address space (RAM in it is never mappable) */
#define MOS_INIT_MAIN_THREAD 6  /* THREAD: init's first thread */
#define MOS_INIT_FIRST_FREE 7

struct mos_init_info {
    uint64_t magic;             /* MOS_INIT_MAGIC */
    uint64_t initrd_size;       /* bytes */
    uint64_t initrd_va;         /* where the kernel mapped it in init (read-only) */
    uint64_t quota_pages;       /* init's memory quota */
    uint64_t irq_count;
    uint64_t devmem_base;       /* physical address of MOS_INIT_DEVMEM's page 0 */
    uint64_t fb_phys;           /* framebuffer, 0 if none */
    uint32_t fb_width, fb_height, fb_pitch, fb_bpp;
    char     cmdline[256];      /* the kernel command line */
    /* ACPI power-off (S5): write (slp_typ_s5 << 10) | (1 << 13) to the
     * PM1a control port (0 = unknown: no ACPI power-off). */
    uint32_t acpi_pm1a_cnt;
    uint32_t acpi_slp_typ_s5;
    uint64_t ncpus;
};
_Static_assert(sizeof(struct mos_init_info) == 344, "ABI: mos_init_info");
#define MOS_INIT_MAGIC 0x54494E49534F4Dull  /* "MOSINIT" */
