/* SPDX-License-Identifier: MIT */
/* cpu.h - small named wrappers around x86_64 instructions. The only place
 * (with the .S files) where inline assembly lives; everything here is
 * static inline and has no state. */
#pragma once

#include "lib/types.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void io_wait(void) { outb(0x80, 0); }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n) \
    static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }
static inline uint64_t read_rbp(void) { uint64_t v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }
static inline uint64_t read_rsp(void) { uint64_t v; __asm__ volatile("mov %%rsp, %0" : "=r"(v)); return v; }
static inline void invlpg(vaddr_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
/* INVPCID types: one address of one PCID, one PCID, everything, everything but global. */
#define INVPCID_ADDR       0
#define INVPCID_SINGLE     1
#define INVPCID_ALL        2
#define INVPCID_ALL_NONGLOBAL 3
static inline void invpcid(uint64_t type, uint16_t pcid, vaddr_t va)
{
    struct { uint64_t pcid, va; } d = { pcid, va };
    __asm__ volatile("invpcid %0, %1" :: "m"(d), "r"(type) : "memory");
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void stac(void) { __asm__ volatile("stac" ::: "memory", "cc"); }
static inline void clac(void) { __asm__ volatile("clac" ::: "memory", "cc"); }

#define RFLAGS_IF   (1ull << 9)
#define RFLAGS_AC   (1ull << 18)

#define CR0_WP      (1ull << 16)
#define CR4_PGE     (1ull << 7)
#define CR4_OSFXSR  (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE   (1ull << 17)
#define CR3_NOFLUSH (1ull << 63)          /* with CR4.PCIDE: keep the new PCID's TLB entries */
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP    (1ull << 20)
#define CR4_SMAP    (1ull << 21)

#define MSR_EFER          0xC0000080
#define MSR_STAR          0xC0000081
#define MSR_LSTAR         0xC0000082
#define MSR_FMASK         0xC0000084
#define MSR_FS_BASE       0xC0000100
#define MSR_GS_BASE       0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_TSC_DEADLINE  0x6E0
#define MSR_APIC_BASE     0x1B
#define MSR_PAT           0x277
#define EFER_SCE  (1ull << 0)
#define EFER_LME  (1ull << 8)
#define EFER_NXE  (1ull << 11)
