// SPDX-License-Identifier: MIT
/* elf.c - elf_validate(): the checks every ELF image passes before anything
 * is mapped, in the order they are listed in elf.h. Every field is read from
 * a copy (memcpy, so the image may be unaligned) and every offset and
 * address sum is checked for wrap-around before it is used, so a hostile
 * image can make this fail but never read outside [img, img + len).
 * Segment overlap is checked at page granularity, because a loader maps
 * whole pages and two segments sharing a page could not both keep their own
 * rights. Pure: no state, no locks; the kernel, the user library and host
 * tests all compile this same file. */
#include "lib/elf.h"
#include "lib/string.h"

#include <mos/errors.h>
#include <mos/proc.h>

static int elf_reject(struct elf_info *out, const char *why)
{
    out->why = why;
    out->nsegs = 0;
    return -MOS_ENOEXEC;
}

/* Does [a, a + n) fit in [0, limit) without wrapping? */
static bool elf_range_ok(uint64_t a, uint64_t n, uint64_t limit)
{
    return a <= limit && n <= limit - a;
}

static uint64_t elf_page_down(uint64_t a)
{
    return a & ~(ELF_PAGE - 1);
}

/* Round up; callers ensure a < ELF_USER_END, so this cannot wrap. */
static uint64_t elf_page_up(uint64_t a)
{
    return (a + ELF_PAGE - 1) & ~(ELF_PAGE - 1);
}

static int elf_check_header(const uint8_t *p, size_t len, struct elf64_ehdr *eh, struct elf_info *out)
{
    if (len < sizeof *eh)
        return elf_reject(out, "truncated ELF header");
    memcpy(eh, p, sizeof *eh);
    if (eh->e_ident[0] != 0x7F || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F')
        return elf_reject(out, "bad magic");
    if (eh->e_ident[ELF_EI_CLASS] != ELF_CLASS64)
        return elf_reject(out, "not ELFCLASS64");
    if (eh->e_ident[ELF_EI_DATA] != ELF_DATA2LSB)
        return elf_reject(out, "not little-endian");
    if (eh->e_ident[ELF_EI_VERSION] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
        return elf_reject(out, "bad ELF version");
    if (eh->e_machine != ELF_EM_X86_64)
        return elf_reject(out, "not x86_64");
    if (eh->e_type != ELF_ET_EXEC)
        return elf_reject(out, "not ET_EXEC");
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        return elf_reject(out, "bad e_phentsize");
    if (eh->e_phnum == 0)
        return elf_reject(out, "no program headers");
    /* phnum <= 0xFFFF and phentsize == 56: the product cannot overflow. */
    uint64_t phbytes = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
    if (!elf_range_ok(eh->e_phoff, phbytes, len))
        return elf_reject(out, "program headers outside the file");
    return 0;
}

/* Check one PT_LOAD and append it to out (unless empty). */
static int elf_add_load(const struct elf64_phdr *ph, size_t len, struct elf_info *out)
{
    if (ph->p_filesz > ph->p_memsz)
        return elf_reject(out, "segment filesz > memsz");
    if (!elf_range_ok(ph->p_offset, ph->p_filesz, len))
        return elf_reject(out, "segment outside the file");
    if (ph->p_memsz == 0)
        return 0;   /* maps nothing */
    if (ph->p_vaddr < ELF_USER_MIN || !elf_range_ok(ph->p_vaddr, ph->p_memsz, ELF_USER_END))
        return elf_reject(out, "segment outside user space");
    if ((ph->p_vaddr & (ELF_PAGE - 1)) != (ph->p_offset & (ELF_PAGE - 1)))
        return elf_reject(out, "segment vaddr and offset not congruent");
    if ((ph->p_flags & ELF_PF_W) && (ph->p_flags & ELF_PF_X))
        return elf_reject(out, "segment writable and executable");
    if (out->nsegs == ELF_MAX_SEGMENTS)
        return elf_reject(out, "too many PT_LOAD segments");

    uint64_t lo = elf_page_down(ph->p_vaddr), hi = elf_page_up(ph->p_vaddr + ph->p_memsz);
    for (uint32_t i = 0; i < out->nsegs; i++) {
        const struct elf_segment *s = &out->seg[i];
        uint64_t slo = elf_page_down(s->vaddr), shi = elf_page_up(s->vaddr + s->memsz);
        if (lo < shi && slo < hi)
            return elf_reject(out, "segments overlap");
    }

    struct elf_segment *s = &out->seg[out->nsegs++];
    s->vaddr = ph->p_vaddr;
    s->memsz = ph->p_memsz;
    s->offset = ph->p_offset;
    s->filesz = ph->p_filesz;
    s->prot = ((ph->p_flags & ELF_PF_R) ? MOS_PROT_READ : 0) |
              ((ph->p_flags & ELF_PF_W) ? MOS_PROT_WRITE : 0) |
              ((ph->p_flags & ELF_PF_X) ? MOS_PROT_EXEC : 0);
    return 0;
}

int elf_validate(const void *img, size_t len, struct elf_info *out)
{
    const uint8_t *p = img;
    struct elf64_ehdr eh;
    memset(out, 0, sizeof *out);
    int err = elf_check_header(p, len, &eh, out);
    if (err)
        return err;

    for (uint32_t i = 0; i < eh.e_phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, p + eh.e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        switch (ph.p_type) {
        case ELF_PT_LOAD:
            err = elf_add_load(&ph, len, out);
            if (err)
                return err;
            break;
        case ELF_PT_INTERP:
        case ELF_PT_DYNAMIC:
            return elf_reject(out, "dynamically linked");
        case ELF_PT_TLS:
            return elf_reject(out, "thread-local storage unsupported");
        default:
            break;   /* PT_NOTE, PT_GNU_STACK, PT_PHDR, ...: nothing to map */
        }
    }
    if (out->nsegs == 0)
        return elf_reject(out, "no loadable segment");

    for (uint32_t i = 0; i < out->nsegs; i++) {
        const struct elf_segment *s = &out->seg[i];
        if ((s->prot & MOS_PROT_EXEC) && eh.e_entry >= s->vaddr && eh.e_entry - s->vaddr < s->memsz) {
            out->entry = eh.e_entry;
            return 0;
        }
    }
    return elf_reject(out, "entry point not in an executable segment");
}
