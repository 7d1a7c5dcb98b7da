// SPDX-License-Identifier: MIT
/* thread.c - starting and joining threads of the calling process (see
 * mos_thread.h). Regions are handed out from a small bitmap; a region is
 * reused only after its thread was joined. Not thread-safe: start and join
 * threads from one thread. */
#include "mos_lib.h"
#include "mos_thread.h"
#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/ipc.h>
#include <mos/proc.h>

#define MAX_THREADS 256
#define STACK_PAGES 16

static uint8_t region_used[MAX_THREADS];

struct start {
    void (*fn)(void *);
    void *arg;
};

static void thread_entry(struct start *s)
{
    s->fn(s->arg);
    (void)mos_thread_destroy(MOS_SELF);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

long mos_thread_start(struct mos_thread *t, void (*fn)(void *), void *arg, unsigned prio, int cpu)
{
    unsigned k = 0;
    while (k < MAX_THREADS && region_used[k])
        k++;
    if (k == MAX_THREADS)
        return -MOS_ENOSPC;
    uint64_t base = MOS_THREAD_STACKS + (uint64_t)k * MOS_STACK_REGION;
    uint64_t top = base + MOS_STACK_REGION;
    long sm = mos_mem_alloc(STACK_PAGES, 0);
    if (sm < 0)
        return sm;
    long im = mos_mem_alloc(MOS_IPC_BUFFER_PAGES, 0);
    long r = im;
    if (im < 0)
        goto fail_stack;
    r = mos_mem_map((mos_handle_t)sm, MOS_SELF, top - STACK_PAGES * MOS_PAGE_SIZE, 0, STACK_PAGES,
                    MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        goto fail_ipc;
    r = mos_mem_map((mos_handle_t)im, MOS_SELF, base, 0, MOS_IPC_BUFFER_PAGES, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        goto fail_unmap;
    struct mos_thread_data *td = (struct mos_thread_data *)(top - sizeof *td);
    td->ipc_buffer = base;
    td->stack_base = top - STACK_PAGES * MOS_PAGE_SIZE;
    td->thread = 0;
    struct start *s = (struct start *)(top - sizeof *td - 64);
    s->fn = fn;
    s->arg = arg;
    uint64_t sp = (uint64_t)s - 8;                  /* (sp + 8) % 16 == 0 at a function entry */
    uint64_t pc = MOS_THREAD_PRIO(prio ? prio : 16) | (cpu >= 0 ? MOS_THREAD_CPU(cpu) : 0);
    r = mos_thread_create(MOS_SELF, (uint64_t)thread_entry, sp, (uint64_t)s, pc, base);
    if (r < 0)
        goto fail_unmap2;
    td->thread = (mos_handle_t)r;
    region_used[k] = 1;
    *t = (struct mos_thread){ .handle = (mos_handle_t)r, .stack_mem = (mos_handle_t)sm,
                              .ipc_mem = (mos_handle_t)im, .slot = k };
    return 0;
fail_unmap2:
    (void)mos_mem_unmap(MOS_SELF, base, MOS_IPC_BUFFER_PAGES);
fail_unmap:
    (void)mos_mem_unmap(MOS_SELF, top - STACK_PAGES * MOS_PAGE_SIZE, STACK_PAGES);
fail_ipc:
    (void)mos_cap_delete((mos_handle_t)im);
fail_stack:
    (void)mos_cap_delete((mos_handle_t)sm);
    return r;
}

long mos_thread_join(struct mos_thread *t, uint64_t timeout_ns)
{
    struct mos_cap_info info;
    uint64_t waited = 0;
    while (mos_cap_inspect(t->handle, (uint64_t)&info, MOS_SELF, 0) == 0 && info.u.thread.state != 4) {
        if (waited >= timeout_ns)
            return -MOS_ETIMEDOUT;
        (void)mos_thread_block(1000000);
        waited += 1000000;
    }
    (void)mos_cap_delete(t->handle);
    (void)mos_cap_delete(t->stack_mem);            /* deleting the caps unmaps the memory */
    (void)mos_cap_delete(t->ipc_mem);
    region_used[t->slot] = 0;
    return 0;
}
