/* SPDX-License-Identifier: MIT */
/* elf.h - a pure validator for static x86_64 ELF executables, shared by the
 * kernel's init loader, the user library's loader (user/lib/elf_load.c) and
 * host tests. elf_validate() reads nothing outside [img, img + len), trusts
 * no field, and either rejects the image with a reason or describes its
 * loadable segments in a form a loader can map without further checks.
 * Freestanding; no state, no locks, any context. */
#pragma once

#include "lib/types.h"

/* ELF64 on-disk layouts (little-endian; the image need not be aligned, so
 * elf.c copies headers out with memcpy before reading them). */
struct elf64_ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");

/* e_ident indices and values. */
#define ELF_EI_CLASS    4
#define ELF_EI_DATA     5
#define ELF_EI_VERSION  6
#define ELF_CLASS64     2
#define ELF_DATA2LSB    1
#define ELF_EV_CURRENT  1
#define ELF_ET_EXEC     2
#define ELF_EM_X86_64   62

/* Program header types and flags. */
#define ELF_PT_NULL     0
#define ELF_PT_LOAD     1
#define ELF_PT_DYNAMIC  2
#define ELF_PT_INTERP   3
#define ELF_PT_TLS      7
#define ELF_PF_X        1u
#define ELF_PF_W        2u
#define ELF_PF_R        4u

/* Limits the validator enforces. */
#define ELF_MAX_SEGMENTS 16
#define ELF_USER_MIN     0x1000ull               /* page 0 is never mapped */
#define ELF_USER_END     0x0000800000000000ull   /* end of the canonical lower half */
#define ELF_PAGE         4096ull

/* One loadable segment, as a loader maps it: pages
 * [ALIGN_DOWN(vaddr), ALIGN_UP(vaddr + memsz)) get prot; bytes
 * [vaddr, vaddr + filesz) come from the image at offset, the rest is zero. */
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;          /* > 0 (empty PT_LOADs are dropped) */
    uint64_t offset;         /* file offset of vaddr's byte */
    uint64_t filesz;         /* <= memsz */
    uint32_t prot;           /* MOS_PROT_READ/WRITE/EXEC; never WRITE|EXEC */
};

struct elf_info {
    uint64_t entry;                          /* inside an executable segment */
    uint32_t nsegs;                          /* 1..ELF_MAX_SEGMENTS */
    struct elf_segment seg[ELF_MAX_SEGMENTS];/* in program-header order */
    const char *why;                         /* on failure: a static reason; else NULL */
};

/* Validate the ELF image [img, img + len) and describe it in *out.
 * Accepts only a little-endian ELF64 ET_EXEC for x86_64 whose program
 * headers lie in the file, with 1..16 non-empty PT_LOAD segments that each:
 * have filesz <= memsz; lie in the file (offset + filesz); lie in
 * [ELF_USER_MIN, ELF_USER_END) (vaddr + memsz, no wrap); satisfy
 * vaddr % 4096 == offset % 4096; are not writable and executable at once;
 * and share no page with another segment. The entry point must lie in an
 * executable segment. PT_INTERP, PT_DYNAMIC and PT_TLS are refused (no
 * dynamic linking, no thread-local storage); other types are ignored.
 * Returns 0, or -MOS_ENOEXEC with out->why set (out is always written).
 * Pure: any context, no allocation. */
__must_check int elf_validate(const void *img, size_t len, struct elf_info *out);
