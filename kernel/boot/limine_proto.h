/* SPDX-License-Identifier: MIT */
/* limine_proto.h - the facts of the Limine boot protocol that MinimalOS uses,
 * at base revision 2 as Limine 8.x serves it: magic numbers, request ids, and
 * the layout of each request and response. Written from the protocol's
 * specification (PROTOCOL.md of Limine 8.x; see docs/architecture.md,
 * "Booting with Limine"); nothing here is copied from limine.h.
 *
 * How the protocol works: the kernel image carries requests (an id, a
 * revision and a response pointer the loader fills in); the loader scans the
 * loaded image for them at 8-byte aligned offsets, between the start and end
 * markers when they are present (which base revision 2 obliges it to honour).
 * A request the loader does not know or cannot serve keeps its NULL response.
 *
 * Every pointer the loader writes (response pointers and the pointers inside
 * responses) is a virtual address inside the loader's higher-half direct map
 * (HHDM), i.e. physical + the HHDM offset. They are kept as uint64_t here so
 * no code can follow one without the checks in limine.c. All fields are
 * little-endian and naturally aligned; every structure is a multiple of
 * 8 bytes. The _Static_asserts pin the layouts the parser relies on. */
#pragma once

#include "lib/types.h"

/* ------------------------------------------------------------ tags */

/* Words 0 and 1 of every request id. */
#define LIMINE_COMMON_MAGIC0  0xc7b1dd30df4c8b88ull
#define LIMINE_COMMON_MAGIC1  0x0a82e883a194f07bull
#define LIMINE_ID(w2, w3)     { LIMINE_COMMON_MAGIC0, LIMINE_COMMON_MAGIC1, (w2), (w3) }

/* Base revision tag: three words { MAGIC0, MAGIC1, wanted revision }. A
 * loader that supports the wanted revision sets word 2 to 0 (that is the
 * acceptance signal); one that does not leaves word 2 as it was. Loaders that
 * know base revision 3 or later also overwrite word 1 with the revision they
 * actually used. Without a tag, revision 0 is assumed. */
#define LIMINE_BASE_REVISION_MAGIC0  0xf9562b2d5c95a6c8ull
#define LIMINE_BASE_REVISION_MAGIC1  0x6a7b384944536bdcull
#define LIMINE_BASE_REVISION_WANTED  2

/* Requests are looked for between the last start marker and the first end
 * marker (both on 8-byte boundaries). */
#define LIMINE_REQUESTS_START_MARKER \
    { 0xf6b8f4b39de7d1aeull, 0xfab91a6940fcb9cfull, 0x785c6ed015d3e316ull, 0x181e920a7852b9d9ull }
#define LIMINE_REQUESTS_END_MARKER   { 0xadc0e0531bb10d03ull, 0x9572709f31764c62ull }

/* Request ids (words 2 and 3 after the common magic). Later versions of the
 * specification call the kernel file/address features "executable file" and
 * "executable address"; the ids and layouts are the same. */
#define LIMINE_BOOTLOADER_INFO_ID  LIMINE_ID(0xf55038d8e2a1202full, 0x279426fcf5f59740ull)
#define LIMINE_STACK_SIZE_ID       LIMINE_ID(0x224ef0460a8e8926ull, 0xe1cb0fc25f46ea3dull)
#define LIMINE_HHDM_ID             LIMINE_ID(0x48dcf1cb8ad2b852ull, 0x63984e959a98244bull)
#define LIMINE_FRAMEBUFFER_ID      LIMINE_ID(0x9d5827dcd881dd75ull, 0xa3148604f6fab11bull)
#define LIMINE_PAGING_MODE_ID      LIMINE_ID(0x95c1a0edab0944cbull, 0xa4e5cb3842f7488aull)
#define LIMINE_MEMMAP_ID           LIMINE_ID(0x67cf3d9d378a806full, 0xe304acdfc50c3c62ull)
#define LIMINE_KERNEL_FILE_ID      LIMINE_ID(0xad97e90e83f1ed67ull, 0x31eb5d1c5ff23b69ull)
#define LIMINE_MODULE_ID           LIMINE_ID(0x3e7e279702be32afull, 0xca1c4f3bd1280ceeull)
#define LIMINE_RSDP_ID             LIMINE_ID(0xc5e77b6b397e7b43ull, 0x27637845accdcf3cull)
#define LIMINE_KERNEL_ADDRESS_ID   LIMINE_ID(0x71ba76863cc55f63ull, 0xb2644a48c516a487ull)

/* ------------------------------------------------------------ requests */

/* The three members every request starts with. */
struct limine_request {
    uint64_t id[4];
    uint64_t revision;          /* of the request layout, 0 unless noted */
    uint64_t response;          /* HHDM pointer written by the loader, or 0 */
};
_Static_assert(sizeof(struct limine_request) == 48, "Limine: request header");

/* Stack size (not requested by MinimalOS: limine_entry.S leaves the loader's
 * stack at its first instruction, so its default size is enough). */
struct limine_stack_size_request {
    struct limine_request hdr;
    uint64_t stack_size;        /* bytes */
};

/* Paging mode, request revision 1: the preferred mode and the range the
 * kernel accepts (a revision-0 loader reads only `mode`). */
struct limine_paging_mode_request {
    struct limine_request hdr;
    uint64_t mode;
    uint64_t max_mode;
    uint64_t min_mode;
};
_Static_assert(sizeof(struct limine_paging_mode_request) == 72, "Limine: paging mode request");
#define LIMINE_PAGING_MODE_X86_64_4LVL  0
#define LIMINE_PAGING_MODE_X86_64_5LVL  1

/* Modules, request revision 1 adds internal modules (unused: count 0). */
struct limine_module_request {
    struct limine_request hdr;
    uint64_t internal_module_count;
    uint64_t internal_modules;
};
_Static_assert(sizeof(struct limine_module_request) == 64, "Limine: module request");

/* ------------------------------------------------------------ responses */

/* Every response starts with its revision. */

struct limine_bootloader_info_response {
    uint64_t revision;
    uint64_t name;              /* -> NUL-terminated ASCII */
    uint64_t version;           /* -> NUL-terminated ASCII */
};
_Static_assert(sizeof(struct limine_bootloader_info_response) == 24, "Limine: info");

struct limine_hhdm_response {
    uint64_t revision;
    uint64_t offset;            /* virtual = physical + offset */
};
_Static_assert(sizeof(struct limine_hhdm_response) == 16, "Limine: hhdm");

struct limine_paging_mode_response {
    uint64_t revision;
    uint64_t mode;              /* the mode actually enabled */
};
_Static_assert(sizeof(struct limine_paging_mode_response) == 16, "Limine: paging mode");

/* Memory map: an array of entry_count pointers to entries, sorted by base.
 * USABLE and BOOTLOADER_RECLAIMABLE entries are 4 KiB aligned and overlap
 * nothing; other entries carry no alignment or overlap guarantee. At base
 * revisions <= 2 the first page (0-0x1000) is never USABLE. */
struct limine_memmap_response {
    uint64_t revision;
    uint64_t entry_count;
    uint64_t entries;           /* -> uint64_t[entry_count], each -> entry */
};
_Static_assert(sizeof(struct limine_memmap_response) == 24, "Limine: memmap");

struct limine_memmap_entry {
    uint64_t base;              /* physical */
    uint64_t length;            /* bytes */
    uint64_t type;              /* LIMINE_MEMMAP_* */
};
_Static_assert(sizeof(struct limine_memmap_entry) == 24, "Limine: memmap entry");

#define LIMINE_MEMMAP_USABLE                  0
#define LIMINE_MEMMAP_RESERVED                1
#define LIMINE_MEMMAP_ACPI_RECLAIMABLE        2
#define LIMINE_MEMMAP_ACPI_NVS                3
#define LIMINE_MEMMAP_BAD_MEMORY              4
#define LIMINE_MEMMAP_BOOTLOADER_RECLAIMABLE  5   /* responses, loader page tables, stack */
#define LIMINE_MEMMAP_EXECUTABLE_AND_MODULES  6   /* "kernel and modules" before Limine 8 */
#define LIMINE_MEMMAP_FRAMEBUFFER             7

/* Framebuffers: an array of framebuffer_count pointers. No response at all
 * when there is no framebuffer. */
struct limine_framebuffer_response {
    uint64_t revision;
    uint64_t framebuffer_count;
    uint64_t framebuffers;      /* -> uint64_t[count], each -> limine_framebuffer */
};
_Static_assert(sizeof(struct limine_framebuffer_response) == 24, "Limine: fb response");

/* Response revision 1 appends mode_count and modes (16 bytes), unused here:
 * only the first LIMINE_FRAMEBUFFER_SIZE0 bytes are ever read. */
struct limine_framebuffer {
    uint64_t address;           /* HHDM pointer to the first pixel */
    uint64_t width, height;     /* pixels */
    uint64_t pitch;             /* bytes per line */
    uint16_t bpp;               /* bits per pixel */
    uint8_t  memory_model;      /* LIMINE_FRAMEBUFFER_RGB is the only model defined */
    uint8_t  red_mask_size, red_mask_shift;
    uint8_t  green_mask_size, green_mask_shift;
    uint8_t  blue_mask_size, blue_mask_shift;
    uint8_t  unused[7];
    uint64_t edid_size;
    uint64_t edid;              /* HHDM pointer or 0 */
};
#define LIMINE_FRAMEBUFFER_SIZE0  64
_Static_assert(sizeof(struct limine_framebuffer) == LIMINE_FRAMEBUFFER_SIZE0, "Limine: fb");
_Static_assert(offsetof(struct limine_framebuffer, bpp) == 32, "Limine: fb bpp");
_Static_assert(offsetof(struct limine_framebuffer, edid_size) == 48, "Limine: fb edid");
#define LIMINE_FRAMEBUFFER_RGB  1

/* A file the loader loaded (the kernel, or a module). */
struct limine_uuid {
    uint32_t a;
    uint16_t b, c;
    uint8_t  d[8];
};
struct limine_file {
    uint64_t revision;
    uint64_t address;           /* HHDM pointer, 4 KiB aligned */
    uint64_t size;              /* bytes */
    uint64_t path;              /* -> path within the volume, with a leading '/' */
    uint64_t string;            /* -> the file's string (named `cmdline` in older
                                   texts): the kernel's command line, or the
                                   module's string from the configuration */
    uint32_t media_type;
    uint32_t unused;
    uint32_t tftp_ip;
    uint32_t tftp_port;
    uint32_t partition_index;
    uint32_t mbr_disk_id;
    struct limine_uuid gpt_disk_uuid, gpt_part_uuid, part_uuid;
};
_Static_assert(sizeof(struct limine_file) == 112, "Limine: file");
/* The parser reads only the first five words. */
#define LIMINE_FILE_READ_SIZE  (offsetof(struct limine_file, media_type))

struct limine_kernel_file_response {
    uint64_t revision;
    uint64_t kernel_file;       /* -> limine_file */
};
_Static_assert(sizeof(struct limine_kernel_file_response) == 16, "Limine: kernel file");

/* Modules: an array of module_count pointers to files. No response when
 * there are no modules. */
struct limine_module_response {
    uint64_t revision;
    uint64_t module_count;
    uint64_t modules;           /* -> uint64_t[count], each -> limine_file */
};
_Static_assert(sizeof(struct limine_module_response) == 24, "Limine: modules");

/* RSDP: `address` is an HHDM pointer at base revisions 0-2 (physical only at
 * base revision 3). No response without ACPI. */
struct limine_rsdp_response {
    uint64_t revision;
    uint64_t address;
};
_Static_assert(sizeof(struct limine_rsdp_response) == 16, "Limine: rsdp");

/* Where the loader put the image: the image is physically contiguous and
 * mapped with one offset, so physical = physical_base + (va - virtual_base).
 * virtual_base is the image's lowest loaded address. */
struct limine_kernel_address_response {
    uint64_t revision;
    uint64_t physical_base;
    uint64_t virtual_base;
};
_Static_assert(sizeof(struct limine_kernel_address_response) == 24, "Limine: kernel address");

/* ------------------------------------------------------------ HHDM extent */

/* At base revisions 1 and 2 the HHDM maps physical 0-4 GiB unconditionally,
 * plus every memory-map entry above 4 GiB except RESERVED and BAD_MEMORY.
 * (Revision 3 drops the unconditional 4 GiB; revision 0 maps everything.) */
#define LIMINE_HHDM_GUARANTEED  GiB(4)
