// SPDX-License-Identifier: MIT
/* limshim.c - a test-only stand-in for Limine (docs/limine.md, "Testing
 * without Limine"): GRUB boots it by Multiboot2 with kernel.elf and the
 * initrd as modules (each module's string: "<path> [<string>]"; the first is
 * the kernel, its string the command line), and it starts the kernel at its
 * ELF entry as a Limine 8.x loader serving base revision 2 would. Options:
 * base=<n> (physical base, default LIMSHIM_DEFAULT_BASE, moved up 1 MiB at a
 * time past anything in the way), hhdm=<n> (1 GiB-aligned offset), and
 * break=hhdm,kaddr,memmap,revision,paging (withhold the HHDM or kernel
 * address response, claim 100000 map entries, leave the base revision
 * unaccepted, claim 5-level paging). The protocol facts are written out here
 * from the specification, not taken from kernel/boot/limine_proto.h.
 * Invariants: everything handed to the kernel (tables, responses, strings,
 * stack) is in the shim's own .bss, reported bootloader-reclaimable; one CPU,
 * interrupts off; any problem ends the run with "limshim: cannot load: ...",
 * QEMU status 35. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIMSHIM_DEFAULT_BASE  0x1055000ull      /* page-aligned, not 2 MiB-aligned */
#define LIMSHIM_DEFAULT_HHDM  0xffff800000000000ull
#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

/* ------------------------------------------------------------ Limine facts */
#define LIM_MAGIC0 0xc7b1dd30df4c8b88ull            /* words 0-1 of every request id */
#define LIM_MAGIC1 0x0a82e883a194f07bull
#define LIM_REV_MAGIC0 0xf9562b2d5c95a6c8ull        /* base revision tag: magic, magic, N */
#define LIM_REV_MAGIC1 0x6a7b384944536bdcull
static const uint64_t lim_start_marker[4] = { 0xf6b8f4b39de7d1aeull, 0xfab91a6940fcb9cfull,
                                              0x785c6ed015d3e316ull, 0x181e920a7852b9d9ull };
static const uint64_t lim_end_marker[2] = { 0xadc0e0531bb10d03ull, 0x9572709f31764c62ull };
enum { REQ_INFO, REQ_STACK, REQ_HHDM, REQ_FB, REQ_PAGING, REQ_MEMMAP, REQ_KFILE, REQ_MODULES,
       REQ_RSDP, REQ_KADDR, REQ_COUNT };
static const struct { uint64_t w2, w3; const char *name; } lim_ids[REQ_COUNT] = {
    [REQ_INFO]    = { 0xf55038d8e2a1202full, 0x279426fcf5f59740ull, "bootloader info" },
    [REQ_STACK]   = { 0x224ef0460a8e8926ull, 0xe1cb0fc25f46ea3dull, "stack size" },
    [REQ_HHDM]    = { 0x48dcf1cb8ad2b852ull, 0x63984e959a98244bull, "HHDM" },
    [REQ_FB]      = { 0x9d5827dcd881dd75ull, 0xa3148604f6fab11bull, "framebuffer" },
    [REQ_PAGING]  = { 0x95c1a0edab0944cbull, 0xa4e5cb3842f7488aull, "paging mode" },
    [REQ_MEMMAP]  = { 0x67cf3d9d378a806full, 0xe304acdfc50c3c62ull, "memory map" },
    [REQ_KFILE]   = { 0xad97e90e83f1ed67ull, 0x31eb5d1c5ff23b69ull, "kernel file" },
    [REQ_MODULES] = { 0x3e7e279702be32afull, 0xca1c4f3bd1280ceeull, "modules" },
    [REQ_RSDP]    = { 0xc5e77b6b397e7b43ull, 0x27637845accdcf3cull, "RSDP" },
    [REQ_KADDR]   = { 0x71ba76863cc55f63ull, 0xb2644a48c516a487ull, "kernel address" },
};
/* Memory-map types. */
enum { LM_USABLE, LM_RESERVED, LM_ACPI_RECLAIM, LM_ACPI_NVS, LM_BAD, LM_LOADER, LM_KERNEL_MODS,
       LM_FRAMEBUFFER };
/* Which type wins where ranges overlap (higher wins). */
static const uint8_t lm_rank[] = { [LM_USABLE] = 0, [LM_LOADER] = 1, [LM_KERNEL_MODS] = 2,
                                   [LM_FRAMEBUFFER] = 3, [LM_ACPI_RECLAIM] = 4,
                                   [LM_ACPI_NVS] = 5, [LM_RESERVED] = 6, [LM_BAD] = 7 };
#define LIM_FILE_SIZE 112                           /* struct limine_file */

/* ------------------------------------------------------------ freestanding basics */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
    void *r = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    return r;
}
void *memset(void *d, int c, size_t n)
{
    void *r = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}
static bool mem_eq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return false;
    return true;
}
static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* COM1 at 115200 8N1, polled. */
static void put_char(char ch)
{
    if (ch == '\n')
        put_char('\r');
    for (int i = 0; i < 100000 && !(inb(0x3F8 + 5) & 0x20); i++)
        ;
    outb(0x3F8, (uint8_t)ch);
}
static void put_num(uint64_t v, unsigned base)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        put_char(buf[--n]);
}
/* printf for %s, %u (uint64_t), %x (uint64_t, printed 0x...). */
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = "limshim: "; *p; p++)
        put_char(*p);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put_char(*fmt);
            continue;
        }
        char k = *++fmt;
        if (k == 's') {
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put_char(*s);
        } else if (k == 'u') {
            put_num(va_arg(ap, uint64_t), 10);
        } else if (k == 'x') {
            put_char('0');
            put_char('x');
            put_num(va_arg(ap, uint64_t), 16);
        } else {
            put_char(k);
        }
    }
    put_char('\n');
    va_end(ap);
}
#define U(x) ((uint64_t)(x))

static __attribute__((noreturn)) void die(const char *why, uint64_t val)
{
    say("cannot load: %s (%x)", why, val);
    __asm__ volatile("outl %0, %1" :: "a"(0x11u), "Nd"((uint16_t)0xF4));   /* isa-debug-exit */
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ------------------------------------------------------------ the arena */
/* Everything handed to the kernel. Identity-mapped, so a pointer's value is
 * its physical address; hv() gives the HHDM address the kernel sees. */
static uint8_t arena[MiB(1)] __attribute__((aligned(4096)));
static uint64_t arena_used;
static uint64_t hhdm = LIMSHIM_DEFAULT_HHDM;

static void *alloc(uint64_t size, uint64_t align)
{
    uint64_t at = ALIGN_UP(arena_used, align);
    if (at + size > sizeof arena)
        die("arena exhausted", size);
    arena_used = at + size;
    return memset(arena + at, 0, size);
}
static uint64_t hv(const void *p) { return (uint64_t)(uintptr_t)p + hhdm; }
/* A pointer to a fixed physical address (hidden from the compiler's bounds
 * reasoning about literal addresses). */
static void *phys(uint64_t pa)
{
    __asm__("" : "+r"(pa));
    return (void *)(uintptr_t)pa;
}
static char *copy_str(const char *s, size_t n)
{
    char *d = alloc(n + 1, 1);
    memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------ Multiboot2 */
struct mod { uint64_t start, end; const char *path, *string; size_t path_len, string_len; };
static struct mb2 {
    const char *cmdline;
    struct mod mods[8];
    unsigned nmods;
    const uint8_t *mmap;
    uint32_t mmap_len, mmap_entsz;
    const uint8_t *fb;
    const uint8_t *rsdp;
    uint32_t rsdp_len;
    uint64_t info, info_len;        /* the structure itself: the image must avoid it */
} mb;

/* "<path> [<string>]": split at the first space. */
static void split_mod(struct mod *m, const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != ' ')
        n++;
    m->path = s;
    m->path_len = n;
    m->string = s[n] ? s + n + 1 : s + n;
    m->string_len = str_len(m->string);
}

static void mb2_parse(uint32_t magic, uint64_t info)
{
    if (magic != 0x36d76289)
        die("not started by a Multiboot2 loader", magic);
    uint32_t total = *(const uint32_t *)(uintptr_t)info;
    mb.info = info;
    mb.info_len = total;
    for (uint64_t at = info + 8; at + 8 <= info + total;) {
        const uint8_t *t = (const uint8_t *)(uintptr_t)at;
        uint32_t type = *(const uint32_t *)t, size = *(const uint32_t *)(t + 4);
        if (type == 0 || size < 8)
            break;
        if (type == 1) {
            mb.cmdline = (const char *)(t + 8);
        } else if (type == 3) {
            if (mb.nmods == sizeof mb.mods / sizeof mb.mods[0])
                die("too many modules", mb.nmods);
            struct mod *m = &mb.mods[mb.nmods++];
            m->start = *(const uint32_t *)(t + 8);
            m->end = *(const uint32_t *)(t + 12);
            split_mod(m, (const char *)(t + 16));
        } else if (type == 6) {
            mb.mmap_entsz = *(const uint32_t *)(t + 8);
            mb.mmap = t + 16;
            mb.mmap_len = size - 16;
        } else if (type == 8) {
            mb.fb = t;
        } else if ((type == 14 && !mb.rsdp) || type == 15) {
            mb.rsdp = t + 8;
            mb.rsdp_len = size - 8 < 36 ? size - 8 : 36;
        }
        at += ALIGN_UP(size, 8);
    }
    if (!mb.mmap || mb.mmap_entsz < 24)
        die("no Multiboot2 memory map", 0);
    if (mb.nmods == 0)
        die("no modules: the first must be the kernel", 0);
}

/* ------------------------------------------------------------ options */
enum { BRK_HHDM = 1, BRK_KADDR = 2, BRK_MEMMAP = 4, BRK_REVISION = 8, BRK_PAGING = 16 };
static unsigned brk;
static uint64_t opt_base = LIMSHIM_DEFAULT_BASE;

static uint64_t parse_num(const char *s, const char **end)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
            d = (unsigned)((*s | 0x20) - 'a' + 10);
        else
            break;
        v = v * base + d;
    }
    *end = s;
    return v;
}
static bool word_is(const char *s, const char *w)
{
    size_t n = str_len(w);
    return mem_eq(s, w, n) && (s[n] == ',' || s[n] == ' ' || s[n] == '\0');
}
static void parse_options(const char *s)
{
    static const struct { const char *name; unsigned bit; } brks[] = {
        { "hhdm", BRK_HHDM }, { "kaddr", BRK_KADDR }, { "memmap", BRK_MEMMAP },
        { "revision", BRK_REVISION }, { "paging", BRK_PAGING },
    };
    while (s && *s) {
        if (*s == ' ') {
            s++;
        } else if (mem_eq(s, "base=", 5)) {
            opt_base = parse_num(s + 5, &s);
        } else if (mem_eq(s, "hhdm=", 5)) {
            hhdm = parse_num(s + 5, &s);
        } else if (mem_eq(s, "break=", 6)) {
            s += 6;
            while (*s && *s != ' ') {
                unsigned i;
                for (i = 0; i < sizeof brks / sizeof brks[0] && !word_is(s, brks[i].name); i++)
                    ;
                if (i == sizeof brks / sizeof brks[0])
                    die("unknown break= item", (uint64_t)(s - mb.cmdline));
                brk |= brks[i].bit;
                s += str_len(brks[i].name);
                if (*s == ',')
                    s++;
            }
        } else {
            die("unknown option at command line offset", (uint64_t)(s - mb.cmdline));
        }
    }
    if (opt_base % KiB(4) || hhdm % GiB(1) || hhdm < 0xffff800000000000ull)
        die("base must be page-aligned, hhdm 1 GiB-aligned in the upper half", opt_base);
}

/* ------------------------------------------------------------ the memory map */
struct range { uint64_t base, end; uint32_t type; };
static struct range in[96], out[96];
static unsigned nin, nout;

static void add_range(uint64_t base, uint64_t end, uint32_t type)
{
    if (end <= base)
        return;
    if (nin == sizeof in / sizeof in[0])
        die("too many memory ranges", nin);
    in[nin++] = (struct range){ base, end, type };
}

static uint32_t mb2_to_limine(uint32_t t)
{
    switch (t) {
    case 1: return LM_USABLE;
    case 3: return LM_ACPI_RECLAIM;
    case 4: return LM_ACPI_NVS;
    case 5: return LM_BAD;
    default: return LM_RESERVED;
    }
}

/* in[] (overlapping, any order) -> out[]: sorted, disjoint, each piece of
 * the type ranked highest among the ranges covering it, neighbours of one
 * type merged; usable and reclaimable entries page-aligned; page 0 never
 * usable (what base revision 2 promises). */
static void build_map(void)
{
    uint64_t pts[2 * sizeof in / sizeof in[0]];
    unsigned np = 0;
    for (unsigned i = 0; i < nin; i++) {
        pts[np++] = in[i].base;
        pts[np++] = in[i].end;
    }
    for (unsigned i = 1; i < np; i++)                   /* insertion sort */
        for (unsigned j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            uint64_t t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    nout = 0;
    for (unsigned i = 0; i + 1 < np; i++) {
        uint64_t a = pts[i], b = pts[i + 1];
        int best = -1;
        if (a == b)
            continue;
        for (unsigned k = 0; k < nin; k++)
            if (in[k].base <= a && b <= in[k].end &&
                (best < 0 || lm_rank[in[k].type] > lm_rank[in[best].type]))
                best = (int)k;
        if (best < 0)
            continue;
        uint32_t type = in[best].type;
        if (nout && out[nout - 1].end == a && out[nout - 1].type == type)
            out[nout - 1].end = b;
        else
            out[nout++] = (struct range){ a, b, type };
    }
    unsigned n = 0;
    for (unsigned i = 0; i < nout; i++) {
        struct range r = out[i];
        if (r.type == LM_USABLE || r.type == LM_LOADER) {
            r.base = ALIGN_UP(r.base, KiB(4));
            r.end = ALIGN_DOWN(r.end, KiB(4));
            if (r.type == LM_USABLE && r.base < KiB(4))
                r.base = KiB(4);
        }
        if (r.end > r.base)
            out[n++] = r;
    }
    nout = n;
}

/* ------------------------------------------------------------ the kernel ELF */
struct phdr { uint32_t type, flags; uint64_t offset, vaddr, paddr, filesz, memsz, align; };
static struct image {
    const uint8_t *elf;
    uint64_t size, entry, vbase, vend, pbase;
    const struct phdr *ph;
    unsigned nph;
} img;

static void elf_check(const struct mod *k)
{
    const uint8_t *e = (const uint8_t *)(uintptr_t)k->start;
    img.elf = e;
    img.size = k->end - k->start;
    if (img.size < 64 || !mem_eq(e, "\x7f" "ELF", 4) || e[4] != 2 || e[5] != 1 ||
        *(const uint16_t *)(e + 18) != 62)
        die("the kernel module is not a little-endian x86-64 ELF64 file", img.size);
    img.entry = *(const uint64_t *)(e + 24);
    uint64_t phoff = *(const uint64_t *)(e + 32);
    img.nph = *(const uint16_t *)(e + 56);
    if (*(const uint16_t *)(e + 54) != sizeof(struct phdr) || phoff > img.size ||
        img.nph * sizeof(struct phdr) > img.size - phoff)
        die("bad ELF program headers", phoff);
    img.ph = (const struct phdr *)(e + phoff);
    img.vbase = UINT64_MAX;
    img.vend = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < img.nph; i++) {
        const struct phdr *p = &img.ph[i];
        if (p->type != 1 || p->memsz == 0)
            continue;
        if (p->vaddr < 0xffffffff80000000ull || p->memsz > UINT64_MAX - p->vaddr ||
            p->filesz > p->memsz || p->offset > img.size || p->filesz > img.size - p->offset)
            die("a PT_LOAD segment is out of bounds or below 0xffffffff80000000", p->vaddr);
        img.vbase = ALIGN_DOWN(p->vaddr, KiB(4)) < img.vbase ? ALIGN_DOWN(p->vaddr, KiB(4))
                                                               : img.vbase;
        img.vend = ALIGN_UP(p->vaddr + p->memsz, KiB(4)) > img.vend
                       ? ALIGN_UP(p->vaddr + p->memsz, KiB(4)) : img.vend;
        if ((p->flags & 1) && img.entry >= p->vaddr && img.entry - p->vaddr < p->memsz)
            entry_ok = true;
    }
    if (img.vend == 0 || !entry_ok)
        die("no loadable segment, or the entry point is in none that is executable", img.entry);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

extern char __shim_start[], __shim_end[];

/* The first base from opt_base upwards (1 MiB steps) inside usable memory
 * and clear of the shim, the modules and the Multiboot2 information. */
static void choose_base(void)
{
    uint64_t span = img.vend - img.vbase;
    for (uint64_t base = opt_base; base < opt_base + GiB(4); base += MiB(1)) {
        bool ok = false;
        for (uint32_t off = 0; off + mb.mmap_entsz <= mb.mmap_len; off += mb.mmap_entsz) {
            const uint8_t *e = mb.mmap + off;
            uint64_t b = *(const uint64_t *)e, l = *(const uint64_t *)(e + 8);
            if (*(const uint32_t *)(e + 16) == 1 && base >= b && base + span <= b + l)
                ok = true;
        }
        ok = ok && !overlaps(base, span, (uint64_t)(uintptr_t)__shim_start,
                             (uint64_t)(__shim_end - __shim_start)) &&
             !overlaps(base, span, mb.info, mb.info_len);
        for (unsigned i = 0; ok && i < mb.nmods; i++)
            ok = !overlaps(base, span, mb.mods[i].start, mb.mods[i].end - mb.mods[i].start);
        if (ok) {
            img.pbase = base;
            return;
        }
    }
    die("no room for the kernel image from base", opt_base);
}

/* ------------------------------------------------------------ page tables */
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PWT 0x8ull
#define PTE_PS 0x80ull
#define PTE_PAT_2M 0x1000ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Map one page of `size` (4 KiB or 2 MiB) at va -> pa in the tree at root. */
static void map_page(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags, uint64_t size)
{
    uint64_t *table = root;
    int leaf_level = size == MiB(2) ? 2 : 1;
    for (int level = 4; level > leaf_level; level--) {
        uint64_t *e = &table[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(*e & PTE_P))
            *e = (uint64_t)(uintptr_t)alloc(KiB(4), KiB(4)) | PTE_P | PTE_W;
        else if (*e & PTE_PS)
            die("mapping conflicts with a large page at", va);
        table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
    }
    uint64_t *e = &table[(va >> (12 + 9 * (leaf_level - 1))) & 511];
    uint64_t want = pa | flags | PTE_P | (leaf_level == 2 ? PTE_PS : 0);
    if ((*e & PTE_P) && (*e & PTE_ADDR) != pa)
        die("two mappings for one page at", va);
    if (*e & PTE_P)     /* two segments share the page: the union of their rights */
        want = (want | (*e & PTE_W)) & ~((*e & PTE_NX) ? 0 : PTE_NX);
    *e = want;
}

static uint64_t *final_root, *boot_root;
static bool have_nx;

/* Limine's tables at base revision 2: physical 0..top at the HHDM (RWX,
 * write-back but write-combining over the framebuffer [fb, fb_end)), and each PT_LOAD segment at its link address with its
 * rights (W if PF_W, NX unless PF_X). No lower half. The boot tables are the
 * same plus an identity map of 0..top, for the shim itself until handoff. */
static void build_tables(uint64_t top, uint64_t fb, uint64_t fb_end)
{
    final_root = alloc(KiB(4), KiB(4));
    for (uint64_t pa = 0; pa < top; pa += MiB(2)) {
        bool wc = pa < fb_end && fb < pa + MiB(2);      /* PAT entry 5: PAT, PWT */
        map_page(final_root, hhdm + pa, pa, PTE_W | (wc ? PTE_PAT_2M | PTE_PWT : 0), MiB(2));
    }
    for (unsigned i = 0; i < img.nph; i++) {
        const struct phdr *p = &img.ph[i];
        if (p->type != 1 || p->memsz == 0)
            continue;
        uint64_t flags = ((p->flags & 2) ? PTE_W : 0) | ((!(p->flags & 1) && have_nx) ? PTE_NX : 0);
        for (uint64_t va = ALIGN_DOWN(p->vaddr, KiB(4)); va < p->vaddr + p->memsz; va += KiB(4))
            map_page(final_root, va, img.pbase + (va - img.vbase), flags, KiB(4));
    }
    boot_root = alloc(KiB(4), KiB(4));
    memcpy(boot_root, final_root, KiB(4));
    for (uint64_t pa = 0; pa < top; pa += MiB(2))
        map_page(boot_root, pa, pa, PTE_W, MiB(2));
}

/* ------------------------------------------------------------ responses */
static uint64_t *find_request(uint64_t **reqs, unsigned n, int which)
{
    for (unsigned i = 0; i < n; i++)
        if (reqs[i][2] == lim_ids[which].w2 && reqs[i][3] == lim_ids[which].w3)
            return reqs[i];
    return NULL;
}

/* A struct limine_file for a module. */
static uint64_t make_file(const struct mod *m, const char *string, size_t string_len)
{
    uint64_t *f = alloc(LIM_FILE_SIZE, 8);
    f[0] = 0;                                       /* revision */
    f[1] = m->start + hhdm;                         /* address */
    f[2] = m->end - m->start;                       /* size */
    f[3] = hv(copy_str(m->path, m->path_len));      /* path */
    f[4] = hv(copy_str(string, string_len));        /* string (command line) */
    ((uint32_t *)f)[10] = 1;                        /* media_type: optical */
    return hv(f);
}

/* The RSDP GRUB copied: point at the original in the BIOS areas if it is
 * there (base revision 2: an HHDM pointer), else at a copy of our own. */
static uint64_t rsdp_address(void)
{
    uint64_t ebda = (uint64_t)*(const uint16_t *)phys(0x40E) << 4;
    for (int area = 0; area < 2; area++) {
        uint64_t lo = area ? 0xE0000 : ebda, hi = area ? 0x100000 : ebda + 1024;
        for (uint64_t p = lo; lo && p + 20 <= hi; p += 16)
            if (mem_eq(phys(p), mb.rsdp, 20))
                return p + hhdm;
    }
    return hv(memcpy(alloc(36, 16), mb.rsdp, mb.rsdp_len));
}

static void respond(uint64_t *req, int which, const void *resp)
{
    if (!req)
        return;
    if (!resp) {
        say("withholding the %s response", lim_ids[which].name);
        return;
    }
    req[5] = hv(resp);
}

/* Find the requests between the markers and answer each. */
static void serve_requests(void)
{
    uint64_t *w = (uint64_t *)(uintptr_t)img.pbase;
    uint64_t nw = (img.vend - img.vbase) / 8, from = 0, to = nw;
    uint64_t *reqs[64];
    unsigned nreq = 0;

    for (uint64_t i = 0; i + 3 <= nw; i++) {            /* the base revision tag */
        if (w[i] != LIM_REV_MAGIC0 || w[i + 1] != LIM_REV_MAGIC1)
            continue;
        uint64_t wanted = w[i + 2];
        if (brk & BRK_REVISION) {
            say("leaving base revision %u unaccepted", wanted);
        } else if (wanted <= 2) {
            w[i + 2] = 0;                               /* accepted */
            w[i + 1] = wanted;                          /* the revision in use */
            say("base revision %u accepted", wanted);
        } else {
            say("base revision %u is newer than this loader's 2", wanted);
        }
        break;
    }
    for (uint64_t i = 0; i + 4 <= nw; i++)
        if (mem_eq(&w[i], lim_start_marker, sizeof lim_start_marker))
            from = i + 4;                               /* the last start marker */
    for (uint64_t i = from; i + 2 <= nw; i++)
        if (mem_eq(&w[i], lim_end_marker, sizeof lim_end_marker)) {
            to = i;
            break;
        }
    for (uint64_t i = from; i + 6 <= to; i++) {
        if (w[i] != LIM_MAGIC0 || w[i + 1] != LIM_MAGIC1)
            continue;
        for (unsigned j = 0; j < nreq; j++)
            if (reqs[j][2] == w[i + 2] && reqs[j][3] == w[i + 3])
                die("two requests with one id", w[i + 2]);
        if (nreq == 64)
            die("too many requests", nreq);
        reqs[nreq++] = &w[i];
    }
    say("%u requests between the markers (words %u to %u)", U(nreq), from, to);
    for (unsigned j = 0; j < nreq; j++) {
        int k;
        for (k = 0; k < REQ_COUNT && !(reqs[j][2] == lim_ids[k].w2 && reqs[j][3] == lim_ids[k].w3); k++)
            ;
        if (k == REQ_COUNT)
            say("request %x %x is not one this loader serves", reqs[j][2], reqs[j][3]);
    }

    uint64_t *r;
    r = alloc(24, 8);                                   /* bootloader info */
    r[1] = hv(copy_str("limshim", 7));
    r[2] = hv(copy_str("1.0", 3));
    respond(find_request(reqs, nreq, REQ_INFO), REQ_INFO, r);

    r = alloc(16, 8);                                   /* HHDM */
    r[1] = hhdm;
    respond(find_request(reqs, nreq, REQ_HHDM), REQ_HHDM, (brk & BRK_HHDM) ? NULL : r);

    r = alloc(24, 8);                                   /* kernel address */
    r[1] = img.pbase;
    r[2] = img.vbase;
    respond(find_request(reqs, nreq, REQ_KADDR), REQ_KADDR, (brk & BRK_KADDR) ? NULL : r);

    r = alloc(16, 8);                                   /* paging mode: 4-level */
    r[1] = (brk & BRK_PAGING) ? 1 : 0;
    respond(find_request(reqs, nreq, REQ_PAGING), REQ_PAGING, r);

    r = alloc(16, 8);                                   /* kernel file */
    r[1] = make_file(&mb.mods[0], mb.mods[0].string, mb.mods[0].string_len);
    respond(find_request(reqs, nreq, REQ_KFILE), REQ_KFILE, r);

    if (mb.nmods > 1) {                                 /* modules */
        uint64_t *arr = alloc(8 * (mb.nmods - 1), 8);
        for (unsigned i = 1; i < mb.nmods; i++)
            arr[i - 1] = make_file(&mb.mods[i], mb.mods[i].string, mb.mods[i].string_len);
        r = alloc(24, 8);
        r[1] = mb.nmods - 1;
        r[2] = hv(arr);
        respond(find_request(reqs, nreq, REQ_MODULES), REQ_MODULES, r);
    }
    if (mb.rsdp) {                                      /* RSDP */
        r = alloc(16, 8);
        r[1] = rsdp_address();
        respond(find_request(reqs, nreq, REQ_RSDP), REQ_RSDP, r);
    }
    const uint8_t *fb = mb.fb;                          /* framebuffer, RGB only */
    if (fb && fb[29] == 1) {
        uint64_t *f = alloc(80, 8);
        uint8_t *fb8 = (uint8_t *)f;
        f[0] = *(const uint64_t *)(fb + 8) + hhdm;      /* address */
        f[1] = *(const uint32_t *)(fb + 20);            /* width */
        f[2] = *(const uint32_t *)(fb + 24);            /* height */
        f[3] = *(const uint32_t *)(fb + 16);            /* pitch */
        *(uint16_t *)(fb8 + 32) = fb[28];               /* bpp */
        fb8[34] = 1;                                    /* memory model: RGB */
        fb8[35] = fb[33]; fb8[36] = fb[32];             /* red size, shift */
        fb8[37] = fb[35]; fb8[38] = fb[34];             /* green */
        fb8[39] = fb[37]; fb8[40] = fb[36];             /* blue */
        uint64_t *arr = alloc(8, 8);
        arr[0] = hv(f);
        r = alloc(24, 8);
        r[1] = 1;
        r[2] = hv(arr);
        respond(find_request(reqs, nreq, REQ_FB), REQ_FB, r);
    }
    uint64_t *sz = find_request(reqs, nreq, REQ_STACK);  /* stack size: 64 KiB is the minimum */
    if (sz)
        respond(sz, REQ_STACK, alloc(8, 8));

    /* The memory map comes last: every allocation above is in the shim's
     * range, already in in[]. */
    build_map();
    uint64_t *arr = alloc(8 * nout, 8);
    for (unsigned i = 0; i < nout; i++) {
        uint64_t *e = alloc(24, 8);
        e[0] = out[i].base;
        e[1] = out[i].end - out[i].base;
        e[2] = out[i].type;
        arr[i] = hv(e);
        say("  map %x-%x type %u", out[i].base, out[i].end, U(out[i].type));
    }
    r = alloc(24, 8);
    r[1] = (brk & BRK_MEMMAP) ? 100000 : nout;
    r[2] = hv(arr);
    if (brk & BRK_MEMMAP)
        say("claiming 100000 memory map entries");
    respond(find_request(reqs, nreq, REQ_MEMMAP), REQ_MEMMAP, r);
}

/* ------------------------------------------------------------ the machine */
/* PIC and I/O APIC inputs (fixed and lowest-priority ones) masked, PAT as
 * the protocol lays it out (0 WB, 1 WT, 2 UC-, 3 UC, 4 WP, 5 WC). */
static void machine_state(void)
{
    uint32_t a, b, c, d;
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    volatile uint32_t *ioapic = phys(0xFEC00000);
    ioapic[0] = 1;
    unsigned max = (ioapic[4] >> 16) & 0xFF;
    for (unsigned i = 0; i <= max && max < 240; i++) {
        ioapic[0] = 0x10 + 2 * i;
        uint32_t low = ioapic[4];
        if (((low >> 8) & 7) <= 1)                      /* fixed or lowest priority */
            ioapic[4] = low | (1u << 16);
    }
    cpuid(1, &a, &b, &c, &d);
    if (d & (1u << 16))
        wrmsr(0x277, 0x0000010500070406ull);
}

void limshim_main(uint32_t magic, uint64_t info);
void limshim_handoff(uint64_t boot_cr3, uint64_t final_cr3, uint64_t gdtr, uint64_t stack,
                     uint64_t entry);

void limshim_main(uint32_t magic, uint64_t info)
{
    uint32_t a, b, c, d;
    outb(0x3F8 + 1, 0x00);                              /* COM1: 115200 8N1, no IRQs */
    outb(0x3F8 + 3, 0x80);
    outb(0x3F8 + 0, 0x01);
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x03);
    outb(0x3F8 + 2, 0xC7);
    mb2_parse(magic, info);
    parse_options(mb.cmdline);
    say("test stand-in for a Limine 8.x loader, base revision 2 (options \"%s\")",
        mb.cmdline ? mb.cmdline : "");
    cpuid(0x80000001, &a, &b, &c, &d);
    have_nx = d & (1u << 20);

    bool shim_ok = false;                               /* GRUB put us in usable RAM? */
    for (uint32_t off = 0; off + mb.mmap_entsz <= mb.mmap_len; off += mb.mmap_entsz) {
        const uint8_t *e = mb.mmap + off;
        uint64_t b = *(const uint64_t *)e, l = *(const uint64_t *)(e + 8);
        shim_ok |= *(const uint32_t *)(e + 16) == 1 && (uintptr_t)__shim_start >= b &&
                   (uintptr_t)__shim_end <= b + l;
    }
    if (!shim_ok)
        die("the shim's own image is not in usable memory", (uint64_t)(uintptr_t)__shim_start);
    elf_check(&mb.mods[0]);
    choose_base();
    uint64_t span = img.vend - img.vbase;
    say("kernel %x-%x (entry %x) at physical %x; HHDM at %x", img.vbase, img.vend, img.entry,
        img.pbase, hhdm);

    /* The memory map, less what is decided later (the response memory is
     * all inside the shim's range). */
    uint64_t top = GiB(4);
    for (uint32_t off = 0; off + mb.mmap_entsz <= mb.mmap_len; off += mb.mmap_entsz) {
        const uint8_t *e = mb.mmap + off;
        uint64_t base = *(const uint64_t *)e, len = *(const uint64_t *)(e + 8);
        uint32_t type = mb2_to_limine(*(const uint32_t *)(e + 16));
        add_range(base, base + len, type);
        if (type != LM_RESERVED && type != LM_BAD && base + len > top)
            top = base + len;
    }
    add_range(ALIGN_DOWN((uint64_t)(uintptr_t)__shim_start, KiB(4)),
              ALIGN_UP((uint64_t)(uintptr_t)__shim_end, KiB(4)), LM_LOADER);
    add_range(img.pbase, img.pbase + span, LM_KERNEL_MODS);
    for (unsigned i = 0; i < mb.nmods; i++) {
        if (mb.mods[i].start % KiB(4))
            die("GRUB placed a module off a page boundary", mb.mods[i].start);
        add_range(mb.mods[i].start, ALIGN_UP(mb.mods[i].end, KiB(4)), LM_KERNEL_MODS);
    }
    uint64_t fb = 0, fb_end = 0;
    if (mb.fb && mb.fb[29] == 1) {
        fb = *(const uint64_t *)(mb.fb + 8);
        fb_end = fb + (uint64_t)*(const uint32_t *)(mb.fb + 16) * *(const uint32_t *)(mb.fb + 24);
        add_range(fb, fb_end, LM_FRAMEBUFFER);
        if (fb_end > top)
            top = fb_end;
    }
    top = ALIGN_UP(top, GiB(1));
    if (top > GiB(64))
        die("memory beyond 64 GiB is not supported by this shim", top);

    build_tables(top, fb, fb_end);
    __asm__ volatile("mov %0, %%cr3" :: "r"((uint64_t)(uintptr_t)boot_root) : "memory");

    /* Load the image: zero it whole (.bss), then copy each segment. */
    memset((void *)(uintptr_t)img.pbase, 0, span);
    for (unsigned i = 0; i < img.nph; i++) {
        const struct phdr *p = &img.ph[i];
        if (p->type == 1 && p->memsz)
            memcpy((void *)(uintptr_t)(img.pbase + (p->vaddr - img.vbase)), img.elf + p->offset,
                   p->filesz);
    }
    serve_requests();

    uint64_t stack_size = KiB(64);
    uint8_t *stack = alloc(stack_size, KiB(4));
    uint64_t *gdt = alloc(7 * 8, 16);
    gdt[1] = 0x00009A000000FFFFull;                     /* 0x08: 16-bit code */
    gdt[2] = 0x000092000000FFFFull;                     /* 0x10: 16-bit data */
    gdt[3] = 0x00CF9A000000FFFFull;                     /* 0x18: 32-bit code */
    gdt[4] = 0x00CF92000000FFFFull;                     /* 0x20: 32-bit data */
    gdt[5] = 0x00AF9B000000FFFFull;                     /* 0x28: 64-bit code */
    gdt[6] = 0x00CF93000000FFFFull;                     /* 0x30: 64-bit data */
    uint8_t *gdtr = alloc(16, 16);
    *(uint16_t *)gdtr = 7 * 8 - 1;
    *(uint64_t *)(gdtr + 2) = hv(gdt);
    machine_state();
    say("entering the kernel at %x (stack %x, %u KiB of the arena used)", img.entry,
        hv(stack + stack_size), arena_used >> 10);
    void (*handoff)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) =
        (void (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t))(uintptr_t)
            hv((const void *)(uintptr_t)limshim_handoff);
    handoff((uint64_t)(uintptr_t)boot_root, (uint64_t)(uintptr_t)final_root, hv(gdtr),
            hv(stack + stack_size), img.entry);
    die("the handoff returned", 0);
}
