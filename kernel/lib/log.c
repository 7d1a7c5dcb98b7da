// SPDX-License-Identifier: MIT
/* log.c - the kernel log: kprintf formats into a per-CPU line buffer and
 * emits whole lines, each with a prefix ("[   1.234567] " once a clock is
 * registered, "[#00012] " before), to COM1 and the framebuffer console under
 * one lock, so lines from different CPUs never interleave mid-line.
 * Interrupts are off while a CPU formats, so a handler on the same CPU cannot
 * interleave either. In panic mode the lock is no longer waited for. */
#include "lib/log.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "arch/arch.h"
#include "dev/fbcon.h"
#include "sched/cpu.h"

#define LINE_MAX 240

static struct spinlock log_lock = SPINLOCK_INIT("log");
static struct {
    char buf[LINE_MAX];
    size_t len;
} lines[MAX_CPUS];
static uint64_t log_seq;                 /* log_lock */

/* The console owner's ring (log_lock). */
#define RING_SIZE 65536u
static char ring[RING_SIZE];
static uint64_t ring_head, ring_tail;    /* bytes written / read, ever */
static const void *console_owner;
static volatile bool owner_notify;
static uint64_t (*log_clock)(void);
static bool log_fb;
static volatile bool log_panic;

void log_set_clock(uint64_t (*now_ns)(void)) { log_clock = now_ns; }
void log_enable_fbcon(bool on) { log_fb = on && fbcon_active(); }
static void serial_write(const char *s, size_t n);

void log_enter_panic(void)
{
    log_panic = true;
    while (ring_tail < ring_head) {             /* lines the console owner never printed */
        char c = ring[ring_tail++ % RING_SIZE];
        serial_write(&c, 1);
    }
}

static void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            arch_serial_putc('\r');
        arch_serial_putc(s[i]);
    }
}

static void ring_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ring[ring_head++ % RING_SIZE] = s[i];
    if (ring_head - ring_tail > RING_SIZE)          /* overrun: drop the oldest */
        ring_tail = ring_head - RING_SIZE;
    owner_notify = true;
    this_cpu()->need_resched = true;    /* so the next exit to user mode notifies the owner */
}

static void sink_write(const char *s, size_t n)
{
    if (console_owner && !log_panic)
        ring_write(s, n);
    else
        serial_write(s, n);
    if (log_fb)
        fbcon_write(s, n);
}

static uint64_t lock_log(void)
{
    uint64_t f = arch_irq_save();
    if (log_panic) {
        for (int i = 0; i < 1000000 && !spin_trylock(&log_lock); i++)
            arch_cpu_relax();
        /* Proceed with or without it: the holder may be a stopped CPU. */
        return f | (1ull << 63);
    }
    spin_lock(&log_lock);
    return f;
}

static void unlock_log(uint64_t f)
{
    if (spin_held(&log_lock))
        spin_unlock(&log_lock);
    arch_irq_restore(f & ~(1ull << 63));
}

static void flush_line(char *buf, size_t len)
{
    char prefix[32];
    uint64_t f = lock_log();
    if (log_clock) {
        uint64_t ns = log_clock();
        ksnprintf(prefix, sizeof prefix, "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000),
                  (unsigned long long)(ns / 1000 % 1000000));
    } else {
        ksnprintf(prefix, sizeof prefix, "[#%05llu] ", (unsigned long long)log_seq);
    }
    log_seq++;
    sink_write(prefix, __builtin_strlen(prefix));
    sink_write(buf, len);
    unlock_log(f);
}

static void line_sink(void *ctx, const char *s, size_t n)
{
    unsigned id = *(unsigned *)ctx;
    for (size_t i = 0; i < n; i++) {
        lines[id].buf[lines[id].len++] = s[i];
        if (s[i] == '\n' || lines[id].len == LINE_MAX - 1) {
            if (s[i] != '\n')
                lines[id].buf[lines[id].len++] = '\n';
            flush_line(lines[id].buf, lines[id].len);
            lines[id].len = 0;
        }
    }
}

int kvprintf(const char *fmt, va_list ap)
{
    uint64_t f = arch_irq_save();
    unsigned id = arch_cpu_id();
    int n = kfmt(line_sink, &id, fmt, ap);
    arch_irq_restore(f);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

void log_claim_console(const void *owner)
{
    uint64_t f = lock_log();
    console_owner = owner;
    unlock_log(f);
}

void log_release_console(const void *owner)
{
    uint64_t f = lock_log();
    if (console_owner == owner) {
        console_owner = NULL;
        while (ring_tail < ring_head) {             /* what it never printed */
            char c = ring[ring_tail++ % RING_SIZE];
            serial_write(&c, 1);
        }
    }
    unlock_log(f);
}

bool log_console_owned_by(const void *owner)
{
    return console_owner == owner;
}

size_t log_drain(char *buf, size_t n)
{
    uint64_t f = lock_log();
    size_t got = 0, last_line = 0;
    while (ring_tail + got < ring_head && got < n) {
        char c = ring[(ring_tail + got) % RING_SIZE];
        buf[got++] = c;
        if (c == '\n')
            last_line = got;
    }
    /* Whole lines only, unless one line is longer than the buffer. */
    size_t take = last_line ? last_line : got;
    ring_tail += take;
    unlock_log(f);
    return take;
}

bool log_take_notify(void)
{
    return __atomic_exchange_n(&owner_notify, false, __ATOMIC_ACQ_REL);
}

void log_write_raw(const char *s, size_t n)
{
    uint64_t f = lock_log();
    sink_write(s, n);
    unlock_log(f);
}
