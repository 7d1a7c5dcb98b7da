/* SPDX-License-Identifier: MIT */
/* pmm.h - the physical memory manager: one bit per 4 KiB frame (1 = used),
 * covering physical memory only up to the highest usable address. The
 * allocation scan tests 64 frames at a time. Frames below 1 MiB, the kernel
 * image, boot modules, the bitmap itself and every non-USABLE region are
 * marked used at init. Locking: one spinlock inside pmm.c; callable from any
 * context that may take a spinlock. */
#pragma once

#include "lib/types.h"
#include "boot/boot_info.h"

struct phys_range {
    paddr_t  base;
    uint64_t len;
};

struct pmm_plan {
    uint64_t nframes;       /* frames covered: [0, nframes * 4 KiB) */
    paddr_t  bitmap_pa;     /* page-aligned physical address chosen for the bitmap */
    uint64_t bitmap_bytes;  /* a multiple of 8 */
};

/* Pure. From a sanitized memory map, decide the bitmap's size and place: the
 * lowest page-aligned USABLE stretch at or above 1 MiB that overlaps none of
 * the avoid ranges. Returns 0, or -MOS_ENOMEM when nothing fits or there is
 * no usable memory. */
__must_check int pmm_plan(const struct boot_info *bi, const struct phys_range *avoid,
                          size_t navoid, struct pmm_plan *out);

/* Initialise from a plan; bitmap is the plan's bitmap_pa as seen by the
 * kernel (HHDM) or a host buffer of plan->bitmap_bytes. Marks everything
 * used, frees USABLE regions, then re-marks the first 1 MiB, the avoid
 * ranges and the bitmap itself as used. */
void pmm_init(const struct pmm_plan *plan, uint64_t *bitmap, const struct boot_info *bi,
              const struct phys_range *avoid, size_t navoid);

/* One frame; 0 when none is free. The frame's contents are undefined. */
paddr_t pmm_alloc(void);

/* nframes physically contiguous frames whose base is a multiple of align
 * (a power of two >= 4096) and whose end is <= limit (0 = no limit, e.g.
 * 4 GiB for 32-bit DMA). 0 when no such run is free. */
paddr_t pmm_alloc_contig(uint64_t nframes, uint64_t align, paddr_t limit);

/* Free one frame / a run. -MOS_EINVAL (and a log line) for a misaligned or
 * out-of-range address or a frame that is already free (double free); in
 * that case nothing changes. */
__must_check int pmm_free(paddr_t pa);
__must_check int pmm_free_contig(paddr_t pa, uint64_t nframes);

uint64_t pmm_free_frames(void);     /* frames free now */
uint64_t pmm_usable_frames(void);   /* frames that were USABLE in the map (free or not) */
uint64_t pmm_top(void);             /* highest usable address + 1 */

/* Invariant checker: the free counter equals the number of clear bits and
 * no bit beyond nframes is clear. */
bool pmm_check(void);

/* Is pa inside memory that was usable RAM at boot (or the kernel image)?
 * Device capabilities must never map such frames. */
bool pmm_is_ram(paddr_t pa);
