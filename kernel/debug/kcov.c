// SPDX-License-Identifier: MIT
/* kcov.c - kernel coverage and allocation-failure injection for the fuzzer
 * (the fuzzing build, CONFIG_KCOV; ABI in mos/kcov.h). mk/fuzz.mk compiles
 * the kernel with -fsanitize-coverage=trace-pc, so gcc calls
 * __sanitizer_cov_trace_pc() at the start of every basic block; while the
 * current thread collects, the hook adds the block (its return address, as
 * an offset from MOS_KCOV_PC_BASE) to the thread's set. A set is
 * deduplicated: a bitmap over the kernel text says what is in its list, so
 * the hook costs a few instructions and emptying costs what was collected.
 * With failnth=N on the command line, every Nth allocation attempt of a
 * collecting thread fails (pmm.c and kheap.c ask kcov_should_fail()).
 * Invariants: a set belongs to one thread and only that thread touches it:
 * the hook runs for the CPU's current thread, reset/read are its own system
 * calls, and kcov_thread_exit() runs as that thread (clearing t->kcov before
 * freeing). An interrupt nested in the hook may lose or duplicate an entry
 * of the same set, never write outside it. Locking: none for sets
 * (per-thread); kcov_setup() publishes the sizes once under its lock. This
 * file is never instrumented (mk/fuzz.mk): the hook must not call itself. */
#include "debug/kcov.h"
#include "arch/x86_64/trap.h"
#include "boot/boot_info.h"
#include "lib/assert.h"
#include "lib/cmdline.h"
#include "lib/klock.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "arch/x86_64/asm_offsets.h"
#include "arch/x86_64/memlayout.h"
#include "mm/kheap.h"
#include "mm/kstack.h"
#include "mm/vmm.h"
#include "mm/pmm.h"
#include "proc/process.h"
#include "sched/cpu.h"
#include "sched/thread.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include <mos/errors.h>
#include <mos/kcov.h>

#define KCOV_CHUNK      128u                    /* entries per copy_to_user */

struct kcov {
    bool collecting;                /* between MOS_KCOV_ON and OFF or a read */
    uint32_t count;                 /* entries in pcs[] */
    uint64_t allocs;                /* allocation attempts since MOS_KCOV_ON */
    uint64_t fail_skip;             /* failnth phase (mos/kcov.h) */
    uint32_t pcs[MOS_KCOV_MAX];     /* the blocks collected, as offsets from MOS_KCOV_PC_BASE */
    uint64_t seen[];                /* one bit per 4 bytes of kernel text: in pcs[] already.
                                     * Two call sites are at least 5 bytes apart (a call is 5
                                     * bytes), so no two return addresses share a bit. */
};

static uint64_t kcov_text_bits;     /* bits in a set's seen[] (written once, before use) */

static size_t kcov_bytes(void)
{
    return sizeof(struct kcov) + ALIGN_UP(kcov_text_bits, 64ull) / 8;
}

/* What a set costs its process: kmalloc's large blocks are whole pages
 * behind a 64-byte header. */
static uint64_t kcov_charge(void)
{
    return ALIGN_UP(kcov_bytes() + 64, (size_t)PAGE_SIZE);
}


static bool kcov_enabled;           /* some thread collected: the hook looks further */
static uint64_t kcov_failnth;       /* failnth=N (0: no injection), parsed once */

/* The running thread (struct cpu's current, one %gs-relative load). */
static inline struct thread *kcov_thread(void)
{
    struct thread *t;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(CPU_CURRENT));
    return t;
}

static struct kcov *kcov_current(void)
{
    struct thread *t = kcov_thread();
    struct kcov *k = t ? t->kcov : NULL;
    return k && k->collecting ? k : NULL;
}

void __sanitizer_cov_trace_pc(void)
{
    if (!__atomic_load_n(&kcov_enabled, __ATOMIC_RELAXED))
        return;
    struct kcov *k = kcov_current();
    if (!k)
        return;
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    uint64_t idx = (pc - (uintptr_t)__text_start) >> 2;
    if (idx >= kcov_text_bits)
        return;
    uint64_t *w = &k->seen[idx >> 6], bit = 1ull << (idx & 63);
    uint32_t n = k->count;
    if ((*w & bit) || n >= MOS_KCOV_MAX)
        return;
    *w |= bit;
    k->pcs[n] = (uint32_t)(pc - MOS_KCOV_PC_BASE);
    k->count = n + 1;
}

bool kcov_should_fail(void)
{
    if (!__atomic_load_n(&kcov_enabled, __ATOMIC_RELAXED) || !kcov_failnth)
        return false;
    struct kcov *k = kcov_current();
    if (!k)
        return false;
    k->allocs++;
    return (k->allocs + k->fail_skip) % kcov_failnth == 0;
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9' && v < UINT64_MAX / 10)
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

/* Size the sets and read failnth=N, once, on the first MOS_KCOV_ON (every
 * caller returns only when both are set). */
static void kcov_setup(void)
{
    static struct spinlock lock = SPINLOCK_INIT("kcov");
    static bool ready;
    if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
        return;
    bool first = false;
    uint64_t fl = spin_lock_irqsave(&lock);
    if (!ready) {
        kcov_text_bits = ((uintptr_t)__text_end - (uintptr_t)__text_start + 3) / 4;
        char buf[24];
        if (cmdline_get(boot_info.cmdline, "failnth", buf, sizeof buf))
            kcov_failnth = parse_u64(buf);
        __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
        first = true;
    }
    spin_unlock_irqrestore(&lock, fl);
    if (first)
        kprintf("kcov: coverage on (%u blocks per thread), allocation failure injection %s%llu\n",
                MOS_KCOV_MAX, kcov_failnth ? "every " : "off, failnth=",
                (unsigned long long)kcov_failnth);
}

/* Page-table pages the kernel keeps for kernel-stack slots [0, hw): kstack.c
 * maps slots of a guard page and KSTACK_SIZE bytes upward from KSTACK_REGION
 * (1 TiB aligned, its top-level entry made at boot) in 4 KiB pages, lowest
 * free slot first, and never frees their tables (kstack.h). So every slot
 * below the high-water mark was used and one page table per 2 MiB and one
 * page directory per 1 GiB of [0, hw) slots exist. QUIESCE counts them as
 * free: they are a bounded cache, and a leak check must not depend on the
 * highest number of threads alive at once. */
static uint64_t kstack_tables(uint64_t hw)
{
    if (!hw)
        return 0;
    uint64_t last = hw * (KSTACK_SIZE + PAGE_SIZE) - 1;      /* offset of the last mapped byte */
    return (last >> 21) + 1 + (last >> 30) + 1;
}

/* The calling thread's set, allocated and charged on first use. */
static long kcov_get(struct thread *t, struct kcov **out)
{
    if (t->kcov) {
        *out = t->kcov;
        return 0;
    }
    uint64_t fl = klock();
    int err = process_charge(t->proc, kcov_charge());
    kunlock(fl);
    if (err)
        return -MOS_ENOMEM;
    struct kcov *k = kmalloc(kcov_bytes());  /* zeroed: nothing seen */
    if (!k) {
        fl = klock();
        process_refund(t->proc, kcov_charge());
        kunlock(fl);
        return -MOS_ENOMEM;
    }
    t->kcov = k;
    *out = k;
    return 0;
}

long sys_fuzz_cov_reset(struct trap_frame *f)
{
    struct thread *t = thread_current();
    switch (f->rdi) {
    case MOS_KCOV_OFF:
        if (t->kcov)
            t->kcov->collecting = false;
        return 0;
    case MOS_KCOV_ON: {
        kcov_setup();
        struct kcov *k;
        long err = kcov_get(t, &k);
        if (err)
            return err;
        k->collecting = false;
        for (uint32_t i = 0; i < k->count; i++) {
            uint64_t idx = (k->pcs[i] + MOS_KCOV_PC_BASE - (uintptr_t)__text_start) >> 2;
            k->seen[idx >> 6] &= ~(1ull << (idx & 63));
        }
        k->count = 0;
        k->allocs = 0;
        k->fail_skip = kcov_failnth ? f->rsi % kcov_failnth : 0;
        __atomic_store_n(&kcov_enabled, true, __ATOMIC_RELAXED);
        k->collecting = true;
        return (long)kcov_failnth;
    }
    case MOS_KCOV_QUIESCE:
        kcache_shrink(NULL);
        kstack_drain();
        return (long)(pmm_free_frames() + kstack_tables(kstack_high_water()));
    case MOS_KCOV_CHECK:
        if (!kheap_check() || !pmm_check())
            panic("kcov: kernel heap or frame allocator invariants broken (see above)");
        return 0;
    default:
        return reject(-MOS_EINVAL, "fuzz_cov_reset: op %llu", (unsigned long long)f->rdi);
    }
}

long sys_fuzz_cov_read(struct trap_frame *f)
{
    struct kcov *k = thread_current()->kcov;
    if (!k)
        return 0;
    k->collecting = false;
    uint32_t n = MIN(k->count, MOS_KCOV_MAX);
    uint64_t ncopy = MIN(f->rsi, (uint64_t)n);
    if (!user_range_ok(f->rdi, ncopy * sizeof(uint32_t)))
        return -MOS_EFAULT;
    uint32_t chunk[KCOV_CHUNK];
    for (uint64_t i = 0; i < ncopy; i += KCOV_CHUNK) {
        uint64_t m = MIN((uint64_t)KCOV_CHUNK, ncopy - i);
        for (uint64_t j = 0; j < m; j++)
            chunk[j] = k->pcs[i + j];
        int err = copy_to_user(uptr(f->rdi + i * sizeof(uint32_t)), chunk, m * sizeof(uint32_t));
        if (err)
            return err;
    }
    return (long)n;
}

void kcov_thread_exit(struct thread *t)
{
    assert(klock_held() && t == thread_current() && t->proc);
    struct kcov *k = t->kcov;
    if (!k)
        return;
    k->collecting = false;
    __atomic_store_n(&t->kcov, NULL, __ATOMIC_RELAXED);
    __asm__ volatile("" ::: "memory");      /* cleared before kfree's own blocks are traced */
    process_refund(t->proc, kcov_charge());
    kfree(k);
}
