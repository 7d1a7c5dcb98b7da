// SPDX-License-Identifier: MIT
/* elf_load.c - mos_spawn(): the userspace program loader (the kernel only
 * loads init). Steps, each undone on failure by destroying the child:
 *   1. check the arguments and the image (kernel/lib/elf.c) before creating
 *      anything;
 *   2. proc_create;
 *   3. per PT_LOAD: mem_alloc, map it read-write into ourselves at a scratch
 *      window, copy the file bytes and zero the rest, unmap, map it into the
 *      child with the segment's rights (never W+X: elf_validate refuses it),
 *      move the MEMORY capability into the child;
 *   4. the main stack (mapped in the child and, for now, in our scratch
 *      window) and a trial start block with the widest handles, so step 6
 *      cannot fail for lack of room after capabilities have moved;
 *   5. the IPC buffer;
 *   6. capabilities: "self" and copies first, moves last; then the real start
 *      block; unmap the scratch view; move the stack's MEMORY capability;
 *   7. thread_create.
 * A MEMORY capability's mappings follow it when it moves (kernel cdt_move),
 * so the child ends up owning all its memory; until a move, the capability
 * is ours and deleting it on failure removes its mappings.
 * Scratch windows: MOS_SPAWN_WINDOWS windows of 4 GiB from MOS_SPAWN_SCRATCH;
 * a spawn takes the lowest free one (an atomic bitmap) and gives it back at
 * its end, so concurrent spawns do not share one (unless MOS_SPAWN_WINDOWS of
 * them run at once: then they share, round-robin), and a program that spawns
 * one at a time always reuses window 0: the kernel keeps a space's page
 * tables until the process ends, so visiting a new window per spawn (as a
 * plain round-robin did) grew init by ~2-3 table frames per restart, up to
 * 256 windows' worth (docs/testing.md, "Fault injection"). */
#include "mos_spawn.h"

#include <stdbool.h>
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>
#include <mos/proc.h>
#include "lib/elf.h"
#include "lib/string.h"
#include "mos_start.h"
#include "user_syscalls.h"

#define SPAWN_MAX_MEM (ELF_MAX_SEGMENTS + 2)   /* segments, stack, IPC buffer */
#define SPAWN_PAGE    ((uint64_t)MOS_PAGE_SIZE)

struct spawn {
    mos_handle_t proc;
    uint64_t window;                   /* our scratch window */
    mos_handle_t mem[SPAWN_MAX_MEM];   /* MEMORY caps still ours (0 = moved or unused) */
    unsigned nmem;
};

static uint32_t spawn_seq;
static uint64_t window_busy[MOS_SPAWN_WINDOWS / 64];    /* atomic: windows taken */

/* The lowest free window's index, taken; MOS_SPAWN_WINDOWS + a shared one's
 * index when every window is taken (nothing to give back then). */
static unsigned window_take(void)
{
    for (unsigned w = 0; w < MOS_SPAWN_WINDOWS / 64; w++) {
        uint64_t cur = __atomic_load_n(&window_busy[w], __ATOMIC_RELAXED);
        while (cur != ~0ull) {
            uint64_t bit = 1ull << __builtin_ctzll(~cur);
            if (__atomic_compare_exchange_n(&window_busy[w], &cur, cur | bit, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                return w * 64 + (unsigned)__builtin_ctzll(bit);
        }
    }
    return MOS_SPAWN_WINDOWS + __atomic_fetch_add(&spawn_seq, 1, __ATOMIC_RELAXED) % MOS_SPAWN_WINDOWS;
}

static void window_give(unsigned index)
{
    if (index < MOS_SPAWN_WINDOWS)
        __atomic_fetch_and(&window_busy[index / 64], ~(1ull << (index % 64)), __ATOMIC_RELEASE);
}

static bool spawn_name_ok(const char *name)
{
    if (!name)
        return false;
    size_t n = strnlen(name, MOS_CAP_NAME_MAX + 1);
    return n >= 1 && n <= MOS_CAP_NAME_MAX && !strchr(name, '=');
}

static long spawn_check_args(const struct mos_spawn_args *a)
{
    if (!a || !a->image || !a->name || !a->name[0])
        return -MOS_EINVAL;
    if ((a->argc && !a->argv) || a->ncaps > MOS_SPAWN_MAX_CAPS || (a->ncaps && !a->caps))
        return -MOS_EINVAL;
    if (a->stack_pages > MOS_STACK_REGION / SPAWN_PAGE - 1 || a->prio > 31)
        return -MOS_EINVAL;
    for (uint32_t i = 0; i < a->argc; i++) {
        if (!a->argv[i])
            return -MOS_EINVAL;
    }
    for (uint32_t i = 0; i < a->ncaps; i++) {
        if (!spawn_name_ok(a->caps[i].name) || (a->caps[i].flags & ~MOS_SPAWN_MOVE) ||
            (a->self_rights && strcmp(a->caps[i].name, "self") == 0))
            return -MOS_EINVAL;
    }
    return 0;
}

/* A fresh MEMORY object of `pages` pages, remembered as ours. */
static long spawn_mem_alloc(struct spawn *s, uint64_t pages, unsigned *slot)
{
    long mem = mos_mem_alloc(pages, 0);
    if (mem < 0)
        return mem;
    *slot = s->nmem;
    s->mem[s->nmem++] = (mos_handle_t)mem;
    return mem;
}

/* Move our MEMORY capability mem[slot] into the child, with all its rights. */
static long spawn_mem_give(struct spawn *s, unsigned slot)
{
    struct mos_cap_info info;
    long r = mos_cap_inspect(s->mem[slot], (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
    if (r < 0)
        return r;
    r = mos_cap_transfer(s->mem[slot], s->proc, info.rights | MOS_XFER_MOVE, 0, 0, 0);
    if (r < 0)
        return r;
    s->mem[slot] = 0;
    return 0;
}

static long spawn_segment(struct spawn *s, const uint8_t *image, const struct elf_segment *seg)
{
    uint64_t lo = seg->vaddr & ~(SPAWN_PAGE - 1);
    uint64_t hi = (seg->vaddr + seg->memsz + SPAWN_PAGE - 1) & ~(SPAWN_PAGE - 1);
    if (hi - lo > MOS_SPAWN_WINDOW)
        return -MOS_ERANGE;
    uint64_t pages = (hi - lo) / SPAWN_PAGE;
    unsigned slot;
    long mem = spawn_mem_alloc(s, pages, &slot);
    if (mem < 0)
        return mem;
    long r = mos_mem_map((uint64_t)mem, MOS_SELF, s->window, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        return r;
    uint8_t *dst = (uint8_t *)(uintptr_t)s->window;
    size_t head = (size_t)(seg->vaddr - lo);
    memset(dst, 0, head);
    memcpy(dst + head, image + seg->offset, (size_t)seg->filesz);
    memset(dst + head + seg->filesz, 0, (size_t)(hi - lo) - head - (size_t)seg->filesz);
    r = mos_mem_unmap(MOS_SELF, s->window, pages);
    if (r < 0)
        return r;
    r = mos_mem_map((uint64_t)mem, s->proc, lo, 0, pages, seg->prot);
    if (r < 0)
        return r;
    return spawn_mem_give(s, slot);
}

/* Give the child capability c; returns the child's handle or an error. */
static long spawn_give_cap(struct spawn *s, const struct mos_spawn_cap *c)
{
    uint64_t rights = c->rights | ((c->flags & MOS_SPAWN_MOVE) ? MOS_XFER_MOVE : 0);
    return mos_cap_transfer(c->handle, s->proc, rights, c->badge, 0, 0);
}

/* Deleting a MEMORY capability that is still ours also removes its
 * mappings, scratch ones included. */
static void spawn_undo(struct spawn *s, long err)
{
    for (unsigned i = 0; i < s->nmem; i++) {
        if (s->mem[i])
            (void)mos_cap_delete(s->mem[i]);
    }
    (void)mos_proc_destroy(s->proc, (uint64_t)err);
    (void)mos_cap_delete(s->proc);
}

long mos_spawn(const struct mos_spawn_args *a)
{
    long err = spawn_check_args(a);
    if (err)
        return err;
    const uint8_t *image = a->image;
    struct elf_info ei;
    err = elf_validate(image, a->image_len, &ei);
    if (err)
        return err;

    const char *default_argv[1] = { a->name };
    const char *const *argv = a->argc ? a->argv : default_argv;
    uint32_t argc = a->argc ? a->argc : 1;
    uint64_t stack_pages = a->stack_pages ? a->stack_pages : MOS_MAIN_STACK_PAGES;
    uint64_t stack_bytes = stack_pages * SPAWN_PAGE;
    uint64_t stack_base = MOS_MAIN_STACK_TOP - stack_bytes;

    struct mos_proc_args pa = {
        .quota_pages = a->quota_pages ? a->quota_pages : MOS_SPAWN_DEFAULT_QUOTA,
        .cspace_slots = a->cspace_slots ? a->cspace_slots : MOS_SPAWN_DEFAULT_SLOTS,
        .exit_ep = a->exit_ep,
        .max_prio = a->max_prio,
    };
    size_t nlen = strnlen(a->name, sizeof pa.name - 1);
    memcpy(pa.name, a->name, nlen);
    long proc = mos_proc_create((uint64_t)(uintptr_t)&pa);
    if (proc < 0)
        return proc;

    struct spawn s = { .proc = (mos_handle_t)proc };
    unsigned window = window_take();
    s.window = MOS_SPAWN_SCRATCH + (uint64_t)(window % MOS_SPAWN_WINDOWS) * MOS_SPAWN_WINDOW;

    for (uint32_t i = 0; i < ei.nsegs; i++) {
        err = spawn_segment(&s, image, &ei.seg[i]);
        if (err)
            goto fail;
    }

    /* The main stack, with a trial start block (widest handle numbers). */
    unsigned stack_slot;
    long stack = spawn_mem_alloc(&s, stack_pages, &stack_slot);
    if (stack < 0) {
        err = stack;
        goto fail;
    }
    err = mos_mem_map((uint64_t)stack, s.proc, stack_base, 0, stack_pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (err < 0)
        goto fail;
    err = mos_mem_map((uint64_t)stack, MOS_SELF, s.window, 0, stack_pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (err < 0)
        goto fail;
    const char *names[MOS_SPAWN_MAX_CAPS + 1];
    mos_handle_t handles[MOS_SPAWN_MAX_CAPS + 1];
    uint32_t n = 0;
    if (a->self_rights)
        names[n++] = "self";
    for (uint32_t i = 0; i < a->ncaps; i++)
        names[n++] = a->caps[i].name;
    for (uint32_t i = 0; i < n; i++)
        handles[i] = UINT32_MAX;
    struct mos_start_params sp = {
        .argc = argc,
        .argv = argv,
        .ncaps = n,
        .cap_names = names,
        .cap_handles = handles,
        .flags = a->start_flags,
        .ipc_buffer = MOS_MAIN_IPC_BUFFER,
        .stack_base = stack_base,
    };
    void *view = (void *)(uintptr_t)s.window;
    uint64_t block_va, sp_va;
    err = mos_start_build(view, stack_bytes, MOS_MAIN_STACK_TOP, &sp, &block_va, &sp_va);
    if (err)
        goto fail;

    /* The IPC buffer. */
    unsigned ipc_slot;
    long ipc = spawn_mem_alloc(&s, MOS_IPC_BUFFER_PAGES, &ipc_slot);
    if (ipc < 0) {
        err = ipc;
        goto fail;
    }
    err = mos_mem_map((uint64_t)ipc, s.proc, MOS_MAIN_IPC_BUFFER, 0, MOS_IPC_BUFFER_PAGES,
                      MOS_PROT_READ | MOS_PROT_WRITE);
    if (err < 0)
        goto fail;
    err = spawn_mem_give(&s, ipc_slot);
    if (err)
        goto fail;

    /* Capabilities: "self" and copies, then moves. */
    n = 0;
    if (a->self_rights) {
        long h = mos_cap_transfer(s.proc, s.proc, a->self_rights, 0, 0, 0);
        if (h < 0) {
            err = h;
            goto fail;
        }
        handles[n++] = (mos_handle_t)h;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < a->ncaps; i++) {
            bool move = (a->caps[i].flags & MOS_SPAWN_MOVE) != 0;
            if (move != (pass == 1))
                continue;
            long h = spawn_give_cap(&s, &a->caps[i]);
            if (h < 0) {
                err = h;
                goto fail;
            }
            handles[n + i] = (mos_handle_t)h;
        }
    }
    err = mos_start_build(view, stack_bytes, MOS_MAIN_STACK_TOP, &sp, &block_va, &sp_va);
    if (err)
        goto fail;
    err = mos_mem_unmap(MOS_SELF, s.window, stack_pages);
    if (err < 0)
        goto fail;
    err = spawn_mem_give(&s, stack_slot);
    if (err)
        goto fail;

    uint64_t prio = MOS_THREAD_PRIO(a->prio ? a->prio : MOS_SPAWN_DEFAULT_PRIO);
    if (a->cpu)
        prio |= MOS_THREAD_CPU(a->cpu - 1);
    /* Created suspended: when its handle goes to the child, it must be
     * there before the child's first instruction. */
    long thread = mos_thread_create(s.proc, ei.entry, sp_va, block_va, prio | MOS_THREAD_SUSPENDED,
                                    MOS_MAIN_IPC_BUFFER);
    if (thread < 0) {
        err = thread;
        goto fail;
    }
    if (a->thread_out) {
        *a->thread_out = (mos_handle_t)thread;
        err = (int)mos_thread_wake((mos_handle_t)thread);
    } else {
        /* A copy for the child (same rights), then ours starts the thread
         * and goes. */
        struct mos_cap_info info;
        long given = mos_cap_inspect((mos_handle_t)thread, (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
        if (given >= 0)
            given = mos_cap_transfer((mos_handle_t)thread, s.proc, info.rights, 0, 0, 0);
        err = (int)(given < 0 ? given : mos_thread_wake((mos_handle_t)thread));
        (void)mos_cap_delete((mos_handle_t)thread);
    }
    if (err < 0)
        goto fail;
    window_give(window);                /* unmapped above */
    return proc;

fail:
    spawn_undo(&s, err);                /* its capabilities, and so the window's mappings, go */
    window_give(window);
    return err;
}
