/* SPDX-License-Identifier: MIT */
/* multiboot2.h - the Multiboot2 boot information (what GRUB hands the kernel
 * in %ebx) and its parser into struct boot_info. Layout facts follow the
 * Multiboot2 specification, section 3.6 "Boot information": an 8-byte header
 * {u32 total_size, u32 reserved}, then tags {u32 type, u32 size, payload},
 * each starting 8-byte aligned, ending with a tag of type 0. All multi-byte
 * fields are little-endian. The parser is pure (no hardware, no heap): the
 * host tests compile it natively. */
#pragma once

#include "lib/types.h"
#include "boot/boot_info.h"

/* %eax at kernel entry when a Multiboot2 loader started us. */
#define MB2_BOOTLOADER_MAGIC  0x36d76289

/* Tag types the parser knows (the specification defines more). */
enum mb2_tag_type {
    MB2_TAG_END          = 0,
    MB2_TAG_CMDLINE      = 1,   /* NUL-terminated string */
    MB2_TAG_LOADER_NAME  = 2,   /* NUL-terminated string */
    MB2_TAG_MODULE       = 3,   /* u32 mod_start, u32 mod_end (exclusive), string */
    MB2_TAG_BASIC_MEMINFO = 4,  /* ignored: the memory map says more */
    MB2_TAG_MMAP         = 6,   /* u32 entry_size, u32 entry_version, entries */
    MB2_TAG_FRAMEBUFFER  = 8,
    MB2_TAG_ACPI_OLD     = 14,  /* a copy of the ACPI 1.0 RSDP (20 bytes) */
    MB2_TAG_ACPI_NEW     = 15,  /* a copy of the ACPI 2.0+ RSDP (36 bytes) */
};

/* Sizes and offsets the parser relies on (bytes, from the tag's start). */
#define MB2_INFO_HEADER_SIZE   8    /* total_size, reserved */
#define MB2_TAG_HEADER_SIZE    8    /* type, size */
#define MB2_TAG_ALIGN          8
#define MB2_MODULE_HEADER_SIZE 16   /* tag header, mod_start, mod_end */
#define MB2_MMAP_HEADER_SIZE   16   /* tag header, entry_size, entry_version */
#define MB2_MMAP_ENTRY_MIN     24   /* u64 base, u64 length, u32 type, u32 reserved */
#define MB2_FB_COMMON_SIZE     32   /* addr u64 @8, pitch @16, width @20, height @24,
                                       bpp u8 @28, type u8 @29, reserved u16 @30 */
#define MB2_FB_RGB_SIZE        38   /* common + 6 colour bytes @32..37 */
#define MB2_RSDP_V1_SIZE       20
#define MB2_RSDP_V2_SIZE       36

/* Memory map entry types (anything else means reserved). */
#define MB2_MEM_AVAILABLE        1
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS              4
#define MB2_MEM_BADRAM           5

/* Framebuffer types. Only direct RGB at 16/24/32 bpp is accepted. */
#define MB2_FB_TYPE_INDEXED  0
#define MB2_FB_TYPE_RGB      1
#define MB2_FB_TYPE_EGA_TEXT 2

/* Parse the boot information at `info` into *bi.
 * `info` is where the kernel can read the structure (HHDM or identity map);
 * at most `avail` bytes from it are ever read (the kernel passes total_size
 * capped at 1 MiB; tests pass the real buffer size).
 * *bi is zeroed first; then protocol = "multiboot2", loader = "unknown"
 * unless a loader-name tag says otherwise. hhdm_offset, kernel_phys_base,
 * kernel_phys_end and rsdp_addr are not known to Multiboot2 and stay 0: the
 * caller fills them. The memory map is copied as the loader gave it (types
 * translated, empty entries dropped): call bootmem_sanitize() afterwards.
 * Returns 0, or -MOS_EINVAL when the header itself is unusable (NULL or
 * misaligned pointer, avail < 8, total_size < 16 or > avail); then *bi holds
 * nothing but protocol, loader "unknown" and warnings = 1.
 * Every malformed tag is reported through boot_warn() ("multiboot2: tag T at
 * +0xOFF: ...") and counted in bi->warnings, then skipped; parsing goes on
 * with the next tag when the bad tag's size is usable, and stops otherwise.
 * bi->warnings always equals the number of boot_warn() calls made.
 * A missing memory map is a warning; a missing framebuffer or RSDP is not.
 * Strings longer than their field are truncated (and warned about; a module
 * with a truncated name is still kept); an empty loader name leaves
 * "unknown". When a cmdline, loader-name or framebuffer tag appears twice,
 * the later valid one wins; modules and memory-map entries accumulate. A
 * valid ACPI_NEW tag wins over ACPI_OLD whatever their order.
 * Context: boot, single CPU; reads only [info, info + avail). */
__must_check int mb2_parse(const void *info, size_t avail, struct boot_info *bi);
