/* SPDX-License-Identifier: MIT */
/* childproc.h - helpers shared by the proc, mem, quota and leak test groups
 * for building child processes by hand, so a case holds the child's PROCESS
 * capability while it runs (utest_run_child only reports after the death):
 *  - raw children: proc_create + one code page (a few hand-written routines,
 *    below) + one stack page, threads started with thread_create at a
 *    routine; cheap enough for thousands of cycles;
 *  - spawned children: this very test program started with mos_spawn as
 *    "<self> --child <name> <arg>" (handled by UTEST_CHILD functions), with
 *    the quota, capability-space size and self capability the case chooses.
 * Include it once per test program (it defines assembly labels). */
#pragma once

#include "utest.h"
#include "lib/tar.h"
#include <mos/kinfo.h>

/* Where a raw child's code and stack live (in the child). */
#define RAW_CODE_VA  0x0000000010000000ull
#define RAW_STACK_VA 0x0000000010010000ull
#define RAW_STACK_TOP (RAW_STACK_VA + MOS_PAGE_SIZE)
/* Where this process maps a page to fill it before handing it out. */
#define RAW_SCRATCH_VA 0x0000600000000000ull
/* Where this process maps the initrd a second time (the harness has its own). */
#define SELF_INITRD_VA 0x0000310000000000ull

/* The routines a raw child runs (position independent: copied to a page).
 * Each ends in a loop that only a kernel bug would reach. */
__asm__(".pushsection .rodata.childproc, \"a\"\n"
        ".balign 64\n"
        ".globl raw_code_start\n"
        "raw_code_start:\n"
        /* thread_destroy(MOS_SELF) */
        ".globl raw_exit_thread\n"
        "raw_exit_thread:\n"
        "    mov $19, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* push onto the stack (it must be mapped), then thread_destroy(MOS_SELF) */
        ".globl raw_stack_exit_thread\n"
        "raw_stack_exit_thread:\n"
        "    push %rdi\n"
        "    pop %rsi\n"
        "    mov $19, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* thread_block(arg ns), then thread_destroy(MOS_SELF) */
        ".globl raw_sleep_exit_thread\n"
        "raw_sleep_exit_thread:\n"
        "    mov $21, %eax\n"
        "    syscall\n"
        "    mov $19, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* proc_destroy(MOS_SELF, arg) */
        ".globl raw_exit_code\n"
        "raw_exit_code:\n"
        "    mov %rdi, %rsi\n"
        "    mov $17, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* proc_destroy(MOS_SELF, *(uint64_t *)arg) */
        ".globl raw_load_exit\n"
        "raw_load_exit:\n"
        "    mov (%rdi), %rsi\n"
        "    mov $17, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* *(uint64_t *)arg = arg, then proc_destroy(MOS_SELF, 0) */
        ".globl raw_store_exit\n"
        "raw_store_exit:\n"
        "    mov %rdi, (%rdi)\n"
        "    xor %esi, %esi\n"
        "    mov $17, %eax\n"
        "    mov $0xFFFFFFFF, %edi\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        /* an endless loop that makes no system call */
        ".globl raw_spin\n"
        "raw_spin:\n"
        "1:  jmp 1b\n"
        /* thread_block(MOS_TIMEOUT_FOREVER), forever */
        ".globl raw_block_forever\n"
        "raw_block_forever:\n"
        "1:  mov $21, %eax\n"
        "    mov $-1, %rdi\n"
        "    syscall\n"
        "    jmp 1b\n"
        ".globl raw_code_end\n"
        "raw_code_end:\n"
        ".popsection\n");

extern const char raw_code_start[], raw_code_end[];
extern const char raw_exit_thread[], raw_stack_exit_thread[], raw_sleep_exit_thread[], raw_exit_code[], raw_load_exit[],
    raw_store_exit[], raw_spin[], raw_block_forever[];

/* The child's address of one of the routines above. */
static inline uint64_t raw_entry(const char *routine)
{
    return RAW_CODE_VA + (uint64_t)(routine - raw_code_start);
}

/* Fill `pages` fresh pages with bytes [src, src + len) (the rest zero)
 * through a temporary mapping at RAW_SCRATCH_VA; returns the MEMORY handle
 * (all rights) or an error. */
static inline long childproc_page_with(const void *src, size_t len, uint64_t pages)
{
    long m = mos_mem_alloc(pages, 0);
    if (m < 0)
        return m;
    long r = mos_mem_map((mos_handle_t)m, MOS_SELF, RAW_SCRATCH_VA, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)m);
        return r;
    }
    memcpy((void *)RAW_SCRATCH_VA, src, len);
    r = mos_mem_unmap(MOS_SELF, RAW_SCRATCH_VA, pages);
    if (r != (long)pages) {
        (void)mos_cap_delete((mos_handle_t)m);
        return r < 0 ? r : -MOS_EINVAL;
    }
    return m;
}

/* A page holding the raw routines (MEMORY handle, all rights). */
static inline long raw_code_cap(void)
{
    return childproc_page_with(raw_code_start, (size_t)(raw_code_end - raw_code_start), 1);
}

struct raw_child {
    mos_handle_t proc;          /* PROCESS, all rights the kernel gives */
};

/* proc_create with these arguments; map `code` (from raw_code_cap) at
 * RAW_CODE_VA read+exec and, if with_stack, a fresh stack page at
 * RAW_STACK_VA (its MEMORY capability moved into the child, so it is freed
 * with it). Returns 0 or the first error (nothing is left behind then). */
static inline long raw_child_create(struct raw_child *c, uint64_t quota_pages, uint32_t slots,
                                    mos_handle_t exit_ep, const char *name, mos_handle_t code,
                                    bool with_stack)
{
    struct mos_proc_args a = { .quota_pages = quota_pages, .cspace_slots = slots, .exit_ep = exit_ep };
    strncpy(a.name, name, sizeof a.name - 1);
    long p = mos_proc_create((uint64_t)&a);
    if (p < 0)
        return p;
    c->proc = (mos_handle_t)p;
    long r = mos_mem_map(code, c->proc, RAW_CODE_VA, 0, 1, MOS_PROT_READ | MOS_PROT_EXEC);
    if (r == 0 && with_stack) {
        long s = mos_mem_alloc(1, 0);
        r = s < 0 ? s : mos_mem_map((mos_handle_t)s, c->proc, RAW_STACK_VA, 0, 1, MOS_PROT_READ | MOS_PROT_WRITE);
        if (r == 0)
            r = mos_cap_transfer((mos_handle_t)s, c->proc, MOS_RIGHTS_ALL | MOS_XFER_MOVE, 0, 0, 0);
        if (r < 0 && s >= 0)
            (void)mos_cap_delete((mos_handle_t)s);
    }
    if (r < 0) {
        (void)mos_proc_destroy(c->proc, 0);
        (void)mos_cap_delete(c->proc);
        return r;
    }
    return 0;
}

/* Start a thread of the raw child at `routine` with argument arg (RDI) and
 * priority prio; returns the THREAD handle or an error. */
static inline long raw_child_thread(const struct raw_child *c, const char *routine, uint64_t arg, unsigned prio)
{
    return mos_thread_create(c->proc, raw_entry(routine), RAW_STACK_TOP, arg, MOS_THREAD_PRIO(prio), 0);
}

/* Inspect a PROCESS (or any) capability; returns the call's result. */
static inline long inspect(mos_handle_t h, struct mos_cap_info *info)
{
    return mos_cap_inspect(h, (uint64_t)info, MOS_SELF, 0);
}

/* Wait until the process is dead (its exit endpoint `ep`, if not 0, is
 * received on meanwhile) or timeout_ms passed; fills *info. Returns 0 when
 * dead, -MOS_ETIMEDOUT otherwise. */
static inline long wait_dead(mos_handle_t proc, mos_handle_t ep, uint32_t timeout_ms, struct mos_cap_info *info)
{
    uint64_t deadline = utest_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        if (inspect(proc, info) == 0 && info->u.proc.state == MOS_PROC_DEAD)
            return 0;
        uint64_t now = utest_now_ns();
        if (now >= deadline)
            return -MOS_ETIMEDOUT;
        uint64_t wait = deadline - now < 1000000ull ? deadline - now : 1000000ull;
        if (ep) {
            struct mos_msg m;
            (void)mos_ipc_recv_m(ep, wait, 0, &m);
        } else {
            (void)mos_thread_block(wait);
        }
    }
}

/* Wait until the thread's state (cap_inspect) is `state` (3 blocked, 4
 * dead); 0 or -MOS_ETIMEDOUT. */
static inline long wait_thread_state(mos_handle_t thread, uint32_t state, uint32_t timeout_ms)
{
    uint64_t deadline = utest_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    struct mos_cap_info info;
    while (inspect(thread, &info) == 0 && info.u.thread.state != state) {
        if (utest_now_ns() >= deadline)
            return -MOS_ETIMEDOUT;
        (void)mos_thread_block(200000);
    }
    return info.u.thread.state == state ? 0 : -MOS_EBADHANDLE;
}

/* ---- spawned children: this program again, in --child mode ---- */

struct spawn_opts {
    uint64_t quota_pages;       /* 0: the library's default */
    uint32_t cspace_slots;      /* 0: the library's default */
    uint32_t self_rights;       /* nonzero: the child gets "self" */
    mos_handle_t exit_ep;
    const struct mos_spawn_cap *caps;   /* more named capabilities */
    uint32_t ncaps;
};

/* Start "<self> --child <fn> <arg>"; returns the PROCESS handle or an error. */
static inline long spawn_self(const char *fn, uint64_t arg, const struct spawn_opts *o)
{
    static const void *image;
    static size_t image_len;
    static mos_handle_t initrd;
    const struct mos_start *sb = mos_start_block();
    if (!sb || sb->argc < 1)
        return -MOS_EINVAL;
    const char *self_path = ((const char *const *)sb->argv)[0];
    if (!image) {
        struct mos_cap_info info;
        initrd = mos_cap_by_name("initrd");
        long r = initrd ? inspect(initrd, &info) : -MOS_EBADHANDLE;
        if (r == 0)
            r = mos_mem_map(initrd, MOS_SELF, SELF_INITRD_VA, 0, info.count, MOS_PROT_READ);
        if (r < 0)
            return r;
        struct tar_entry e;
        const char *path = self_path[0] == '/' ? self_path + 1 : self_path;
        r = tar_find((const void *)SELF_INITRD_VA, info.count * MOS_PAGE_SIZE, path, &e);
        if (r < 0)
            return r;
        image = e.data;
        image_len = e.size;
    }
    char argbuf[24];
    snprintf(argbuf, sizeof argbuf, "%llu", (unsigned long long)arg);
    const char *argv[] = { self_path, "--child", fn, argbuf, NULL };
    struct mos_spawn_cap caps[MOS_SPAWN_MAX_CAPS];
    uint32_t n = 0;
    caps[n++] = (struct mos_spawn_cap){ .handle = initrd, .rights = MOS_RIGHT_READ | MOS_RIGHT_GRANT,
                                        .name = "initrd" };
    for (uint32_t i = 0; i < o->ncaps && n < MOS_SPAWN_MAX_CAPS; i++)
        caps[n++] = o->caps[i];
    struct mos_spawn_args a = {
        .image = image, .image_len = image_len, .name = fn, .argc = 4, .argv = argv,
        .caps = caps, .ncaps = n, .exit_ep = o->exit_ep, .quota_pages = o->quota_pages,
        .cspace_slots = o->cspace_slots, .self_rights = o->self_rights,
    };
    return mos_spawn(&a);
}

/* In a child function: stop at the first failed check, exiting with its
 * line number (the parent expects exit code 0 and so reports the line). */
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)
