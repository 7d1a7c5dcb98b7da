/* SPDX-License-Identifier: MIT */
/* boot_info.h - what the boot loader told us, in one loader-independent form.
 * Filled by exactly one entry path (multiboot2.c today, limine.c later);
 * nothing past the boot code knows which loader ran. All addresses are
 * physical; the structure itself lives in kernel .bss (no pointers into
 * loader memory survive phase 2). */
#pragma once

#include "lib/types.h"

enum mem_type {
    MEM_USABLE = 1,         /* free RAM */
    MEM_RESERVED,           /* firmware / unknown: never touch */
    MEM_ACPI_RECLAIMABLE,   /* ACPI tables: keep until parsed */
    MEM_ACPI_NVS,
    MEM_BAD,
    MEM_BOOTLOADER,         /* loader data, reclaimable after boot */
    MEM_KERNEL_AND_MODULES,
    MEM_FRAMEBUFFER,
};

struct mem_region {
    paddr_t  base;          /* page-aligned after bootmem_sanitize() */
    uint64_t len;           /* bytes */
    uint32_t type;          /* enum mem_type */
    uint32_t _pad;
};

#define BOOT_MAX_REGIONS  128
#define BOOT_MAX_MODULES  16
#define BOOT_CMDLINE_MAX  256
#define BOOT_MODNAME_MAX  64

struct boot_module {
    paddr_t  start;
    uint64_t size;
    char     name[BOOT_MODNAME_MAX];   /* the module's command line */
};

enum fb_format {
    FB_NONE = 0,
    FB_RGB,                 /* direct colour, masks below */
};

struct boot_fb {
    paddr_t  addr;
    uint32_t width, height; /* pixels */
    uint32_t pitch;         /* bytes per scan line */
    uint8_t  bpp;           /* bits per pixel: 16, 24 or 32 */
    uint8_t  format;        /* enum fb_format; FB_NONE = no usable framebuffer */
    uint8_t  red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
    char     loader[64];              /* loader name as reported, or "unknown" */
    const char *protocol;             /* "multiboot2" or "limine" */
    char     cmdline[BOOT_CMDLINE_MAX];
    uint64_t hhdm_offset;             /* virtual = physical + hhdm_offset */
    paddr_t  kernel_phys_base;        /* physical address of the image's first byte */
    paddr_t  kernel_phys_end;         /* one past the image's last byte (incl. .bss) */

    uint32_t nregions;
    struct mem_region regions[BOOT_MAX_REGIONS];

    uint32_t nmodules;
    struct boot_module modules[BOOT_MAX_MODULES];

    struct boot_fb fb;

    uint8_t  rsdp[36];                /* a copy of the ACPI RSDP (20 bytes v1, 36 v2) */
    uint8_t  rsdp_len;                /* 0 = none found */
    paddr_t  rsdp_addr;               /* where the loader found it, if known (0 otherwise) */

    uint32_t warnings;                /* malformed items reported and skipped */
};

/* The kernel's copy, filled in phase 2 (kernel/main.c). */
extern struct boot_info boot_info;

/* Report a problem with boot data ("multiboot2: tag 6 at +0x48 truncated").
 * The kernel prints it; host tests capture it. Counts into bi->warnings is
 * the caller's job. */
__printf(1, 2) void boot_warn(const char *fmt, ...);

/* Sort the memory map by base, merge adjacent regions of the same type,
 * resolve overlaps (the more restrictive type wins: anything beats USABLE),
 * and shrink USABLE regions inward to page boundaries (dropping empty ones).
 * Reports each overlap through boot_warn() and counts it in bi->warnings. */
void bootmem_sanitize(struct boot_info *bi);

/* Highest address + 1 of any USABLE region (0 if none). */
paddr_t bootmem_usable_top(const struct boot_info *bi);

/* Name of a mem_type for logs. */
const char *bootmem_type_name(uint32_t type);
