/* SPDX-License-Identifier: MIT */
/* trap.h - the frame every interrupt and exception entry saves (isr.S), and
 * the kernel's hooks for recovering from faults it planned (ktests) or
 * expected (user copies through the exception table). */
#pragma once

#include "lib/types.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.S relies on this layout");

#define VEC_DE   0
#define VEC_DB   1
#define VEC_NMI  2
#define VEC_BP   3
#define VEC_UD   6
#define VEC_NM   7
#define VEC_DF   8
#define VEC_GP   13
#define VEC_PF   14
#define VEC_MC   18
#define VEC_IRQ_BASE   32   /* legacy PIC remapped here (masked) */
#define VEC_SPURIOUS   0xFF

#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define PF_RSVD    (1u << 3)
#define PF_FETCH   (1u << 4)
#define PF_PK      (1u << 5)

/* Non-local return used by planned-fault tests: arch_setjmp returns 0, and 1
 * again when a fault the test armed with trap_expect() is taken. */
struct arch_jmpbuf {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));

/* What a caught (planned) fault looked like. */
struct fault_record {
    uint64_t vector, error, rip, cr2;
    bool caught;
};

/* Arm this CPU: the next kernel-mode exception with the given vector (or any
 * vector when vector < 0) prints a report marked "planned", fills *rec, and
 * resumes at jb with arch_setjmp returning 1. Disarmed on delivery or by
 * trap_expect_clear(). */
void trap_expect(int vector, struct arch_jmpbuf *jb, struct fault_record *rec);
void trap_expect_clear(void);

/* For kernel tests (needs test/ktest.h): run `stmt` expecting exception
 * `vec`, filling rec; a ktest failure if none came. Evaluates to true when
 * the fault was caught. */
#define KT_EXPECT_FAULT(t, vec, rec, stmt)                                       \
    ({                                                                           \
        struct arch_jmpbuf _jb;                                                  \
        trap_expect((vec), &_jb, &(rec));                                        \
        if (arch_setjmp(&_jb) == 0) {                                            \
            stmt;                                                                \
            trap_expect_clear();                                                 \
            ktest_fail((t), __FILE__, __LINE__, "no fault from %s", #stmt);      \
        }                                                                        \
        (rec).caught;                                                            \
    })

/* Vector names ("#PF Page fault"). */
const char *trap_vector_name(uint64_t vector);

void idt_init(void);     /* build the shared IDT (once) */
void idt_load(void);     /* load it on this CPU */
void trap_dispatch(struct trap_frame *f);
/* Handler for an interrupt vector (>= 32); EOI and preemption follow it. */
void trap_set_handler(unsigned vector, void (*fn)(struct trap_frame *f));

/* Print a full crash report for f (used for fatal and planned faults). */
void trap_report(const struct trap_frame *f, const char *headline);
