/* SPDX-License-Identifier: MIT */
/* limine.h - the Limine boot protocol entry: the requests the kernel image
 * carries and the parser that turns the loader's responses into struct
 * boot_info. The parser is pure (no hardware; loader memory is reached only
 * through limine_read), so the host tests compile it natively. */
#pragma once

#include "lib/types.h"
#include "boot/boot_info.h"
#include "boot/limine_proto.h"

/* The base revision tag and every request, in one object in section
 * .limine_requests (kernel/kernel.ld keeps it between the start and end
 * markers, which limine.c places in .limine_requests_start/_end). The loader
 * writes the response pointers and the tag before the kernel runs, hence
 * volatile. Host tests write them to play the loader. */
struct limine_requests {
    uint64_t base_revision[3];
    struct limine_request bootloader_info;
    struct limine_request hhdm;
    struct limine_request memmap;
    struct limine_request kernel_address;
    struct limine_request kernel_file;
    struct limine_paging_mode_request paging_mode;
    struct limine_module_request modules;
    struct limine_request framebuffer;
    struct limine_request rsdp;
};
extern volatile struct limine_requests limine_requests;

/* How limine.c reads loader memory: a pointer through which the `len` bytes
 * at loader (HHDM) virtual address `va` can be read, or NULL. limine.c calls
 * it only after checking that [va, va + len) lies in the part of the HHDM
 * the protocol guarantees to be mapped. The kernel's default returns va
 * itself (the loader's page tables are still live); host tests redirect it
 * onto a buffer that plays physical memory. */
extern const void *(*limine_read)(uint64_t va, size_t len);

/* Limits beyond which a response is malformed rather than merely large. */
#define LIMINE_MAX_MEMMAP_ENTRIES  1024
#define LIMINE_MAX_MODULES         64
#define LIMINE_MAX_FRAMEBUFFERS    16
#define LIMINE_MAX_STRING          4096     /* bytes, including the NUL */

/* The initrd is the module with this path, or with the string "initrd". */
#define LIMINE_INITRD_PATH    "/boot/initrd.tar"
#define LIMINE_INITRD_STRING  "initrd"

/* Translate the loader's responses into *bi (zeroed first).
 * Needs: the base revision tag accepted (revision 2), and the HHDM, memory
 * map, kernel address and paging mode (4-level) responses; without any of
 * these it returns -MOS_EINVAL. Optional: bootloader info (else loader
 * "unknown"), kernel file (the command line; else empty), modules (the
 * initrd is moved to modules[0] and named "initrd"), framebuffer (the first
 * one the console can drive), RSDP (copied, with rsdp_addr).
 * Every pointer is checked to lie in the guaranteed part of the HHDM before
 * it is followed; every count against a limit; every string for a NUL within
 * LIMINE_MAX_STRING bytes. Each problem is reported through boot_warn()
 * ("limine: ...") in plain words and counted in bi->warnings; a problem with
 * an optional response drops that response (or that item) and goes on.
 * Memory-map entries are copied with types translated, in the loader's order,
 * with unsorted or overlapping entries reported; the kernel image and the
 * modules are added as KERNEL_AND_MODULES regions. Call bootmem_sanitize()
 * afterwards. kernel_phys_base comes from the kernel address response (never
 * assumed), kernel_phys_end = base + (__kernel_end - __kernel_start).
 * On failure *bi still holds whatever was valid (the framebuffer, say, so the
 * caller can show the reason on screen); limine_refusal() says why.
 * Context: boot, one CPU, before phase 2; reads only through limine_read. */
__must_check int limine_parse(struct boot_info *bi);

/* The first reason limine_parse() gave for refusing, in plain words, or ""
 * if it did not refuse. Valid until the next limine_parse(). */
const char *limine_refusal(void);
