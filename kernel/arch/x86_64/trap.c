// SPDX-License-Identifier: MIT
/* trap.c - what happens after isr.S saved a trap frame: exceptions from the
 * kernel either match a planned-fault test (trap_expect) or an exception
 * table fixup, or end in a crash report and every CPU stopping; interrupts
 * go to their handlers. The report names the CPU, the vector, the decoded
 * error code, RIP with its function, CR2, every register and a frame-pointer
 * backtrace with symbol names. */
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/smp.h"
#include "sched/sched.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/ksyms.h"
#include "lib/lockcheck.h"
#include "lib/log.h"
#include "sched/cpu.h"

static const char *const vector_names[32] = {
    "#DE Divide error", "#DB Debug", "NMI", "#BP Breakpoint", "#OF Overflow",
    "#BR Bound range", "#UD Invalid opcode", "#NM Device not available",
    "#DF Double fault", "Coprocessor overrun", "#TS Invalid TSS", "#NP Segment not present",
    "#SS Stack fault", "#GP General protection", "#PF Page fault", "Reserved 15",
    "#MF x87 floating point", "#AC Alignment check", "#MC Machine check",
    "#XM SIMD floating point", "#VE Virtualization", "#CP Control protection",
    "Reserved 22", "Reserved 23", "Reserved 24", "Reserved 25", "Reserved 26", "Reserved 27",
    "#HV Hypervisor injection", "#VC VMM communication", "#SX Security", "Reserved 31",
};

const char *trap_vector_name(uint64_t v)
{
    if (v < 32)
        return vector_names[v];
    return v == VEC_SPURIOUS ? "spurious" : "interrupt";
}

/* Planned faults, one per CPU (ktests). */
static struct {
    int vector;
    struct arch_jmpbuf *jb;
    struct fault_record *rec;
} expected[MAX_CPUS];

void trap_expect(int vector, struct arch_jmpbuf *jb, struct fault_record *rec)
{
    unsigned id = arch_cpu_id();
    rec->caught = false;
    expected[id].vector = vector;
    expected[id].rec = rec;
    expected[id].jb = jb;
}

void trap_expect_clear(void)
{
    expected[arch_cpu_id()].jb = NULL;
}

static void decode_error(const struct trap_frame *f, char *buf, size_t len)
{
    if (f->vector == VEC_PF) {
        uint64_t e = f->error;
        ksnprintf(buf, len, "[%s %s %s%s%s]",
                  (e & PF_PRESENT) ? "protection-violation" : "not-present",
                  (e & PF_WRITE) ? "write" : "read",
                  (e & PF_USER) ? "user" : "kernel",
                  (e & PF_FETCH) ? " instruction-fetch" : "",
                  (e & PF_RSVD) ? " reserved-bit" : "");
    } else if (f->vector == VEC_GP || f->vector == 10 || f->vector == 11 || f->vector == 12) {
        if (f->error == 0)
            ksnprintf(buf, len, "[no selector]");
        else
            ksnprintf(buf, len, "[selector index 0x%llx%s%s]",
                      (unsigned long long)(f->error >> 3),
                      (f->error & 2) ? " IDT" : ((f->error & 4) ? " LDT" : " GDT"),
                      (f->error & 1) ? " external" : "");
    } else {
        buf[0] = '\0';
    }
}

static bool kernel_addr_ok(uint64_t a)
{
    return a >= HHDM_BASE && (a & 7) == 0;
}

void arch_backtrace(uint64_t rbp, unsigned max_frames)
{
    char sym[96];
    kprintf("  backtrace:\n");
    for (unsigned i = 0; i < max_frames && kernel_addr_ok(rbp); i++) {
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VMA)
            break;
        ksym_format(ret, sym, sizeof sym);
        kprintf("    #%u 0x%016llx <%s>\n", i, (unsigned long long)ret, sym);
        uint64_t next = frame[0];
        if (next <= rbp || next - rbp > MiB(1))
            break;
        rbp = next;
    }
}

void trap_report(const struct trap_frame *f, const char *headline)
{
    char err[96], sym[96];
    decode_error(f, err, sizeof err);
    ksym_format(f->rip, sym, sizeof sym);
    kprintf("%s on CPU %u: %s (vector %llu), error 0x%llx %s\n", headline, arch_cpu_id(),
            trap_vector_name(f->vector), (unsigned long long)f->vector,
            (unsigned long long)f->error, err);
    kprintf("  RIP 0x%016llx <%s>  CS 0x%llx  RFLAGS 0x%llx\n", (unsigned long long)f->rip, sym,
            (unsigned long long)f->cs, (unsigned long long)f->rflags);
    kprintf("  CR2 0x%016llx  CR3 0x%016llx  CR0 0x%llx  CR4 0x%llx\n",
            (unsigned long long)read_cr2(), (unsigned long long)read_cr3(),
            (unsigned long long)read_cr0(), (unsigned long long)read_cr4());
    kprintf("  RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx RDX 0x%016llx\n",
            (unsigned long long)f->rax, (unsigned long long)f->rbx,
            (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    kprintf("  RSI 0x%016llx RDI 0x%016llx RBP 0x%016llx RSP 0x%016llx\n",
            (unsigned long long)f->rsi, (unsigned long long)f->rdi,
            (unsigned long long)f->rbp, (unsigned long long)f->rsp);
    kprintf("  R8  0x%016llx R9  0x%016llx R10 0x%016llx R11 0x%016llx\n",
            (unsigned long long)f->r8, (unsigned long long)f->r9,
            (unsigned long long)f->r10, (unsigned long long)f->r11);
    kprintf("  R12 0x%016llx R13 0x%016llx R14 0x%016llx R15 0x%016llx  SS 0x%llx\n",
            (unsigned long long)f->r12, (unsigned long long)f->r13,
            (unsigned long long)f->r14, (unsigned long long)f->r15, (unsigned long long)f->ss);
    if (f->vector == VEC_DF || (f->vector == VEC_PF && read_cr2() >= KSTACK_REGION &&
                                read_cr2() < KSTACK_REGION_END))
        kprintf("  (a fault in the kernel stack region: probably a stack overflow into a guard page)\n");
    if (f->rip >= KERNEL_VMA)
        kprintf("  at  0x%016llx <%s>\n", (unsigned long long)f->rip, sym);
    arch_backtrace(f->rbp, 16);
}

/* A kernel-mode exception the running test planned: report it, record it,
 * and resume at the test's arch_setjmp with 1. */
static bool catch_planned(struct trap_frame *f)
{
    unsigned id = arch_cpu_id();
    struct arch_jmpbuf *jb = expected[id].jb;
    if (!jb || (expected[id].vector >= 0 && (uint64_t)expected[id].vector != f->vector))
        return false;
    expected[id].jb = NULL;
    trap_report(f, "planned fault (test continues)");
    struct fault_record *rec = expected[id].rec;
    rec->vector = f->vector;
    rec->error = f->error;
    rec->rip = f->rip;
    rec->cr2 = read_cr2();
    rec->caught = true;
    f->rbx = jb->rbx; f->rbp = jb->rbp; f->r12 = jb->r12; f->r13 = jb->r13;
    f->r14 = jb->r14; f->r15 = jb->r15;
    f->rsp = jb->rsp;
    f->rip = jb->rip;
    f->rax = 1;
    return true;
}

static __noreturn void kernel_fault(struct trap_frame *f)
{
    log_enter_panic();
    trap_report(f, "KERNEL FAULT");
    kprintf("KERNEL FAULT: stopping all CPUs\n");
    kernel_stop();
}

static void (*vector_handlers[256])(struct trap_frame *f);

void trap_set_handler(unsigned vector, void (*fn)(struct trap_frame *f))
{
    vector_handlers[vector] = fn;
}

/* A fault inside a user-memory copy routine (uaccess.S) resumes at the
 * routine's fault label, which returns -MOS_EFAULT. */
extern const char arch_copy_user[], arch_copy_user_fault[], arch_copy_user_end[];
extern const char arch_fill_user[], arch_fill_user_fault[], arch_fill_user_end[];

static bool uaccess_fixup(struct trap_frame *f)
{
    if (f->vector != VEC_PF && f->vector != VEC_GP)
        return false;
    if (f->rip >= (uint64_t)arch_copy_user && f->rip < (uint64_t)arch_copy_user_end) {
        f->rip = (uint64_t)arch_copy_user_fault;
        return true;
    }
    if (f->rip >= (uint64_t)arch_fill_user && f->rip < (uint64_t)arch_fill_user_end) {
        f->rip = (uint64_t)arch_fill_user_fault;
        return true;
    }
    return false;
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector == VEC_NMI) {
        smp_nmi();
        return;
    }
    if (f->vector < 32) {
        if (f->cs & 3)
            process_fault(f);         /* kills the process; never returns */
        if (uaccess_fixup(f) || catch_planned(f))
            return;
        kernel_fault(f);
    }
    if (f->vector == VEC_SPURIOUS || (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16))
        return;                       /* spurious (LAPIC or a masked 8259): no EOI */
    void (*fn)(struct trap_frame *) = vector_handlers[f->vector];
    lockcheck_irq_enter();            /* debug kernel: locks below are taken in a handler */
    if (fn)
        fn(f);
    else
        kprintf("unexpected interrupt vector %llu\n", (unsigned long long)f->vector);
    apic_eoi();
    console_notify();
    lockcheck_irq_exit();
    sched_irq_exit();
    if (f->cs & 3)
        uthread_return_check();
}
