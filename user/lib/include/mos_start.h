/* SPDX-License-Identifier: MIT */
/* mos_start.h - how a process starts: the address-space layout every loader
 * (mos_spawn, and the kernel's init loader) follows, the start block a
 * loader leaves at the top of the main thread's stack, per-thread data, and
 * the program's entry points (main, exit, capabilities by name).
 *
 * Layout of a process (user half, 0x1000 .. 0x800000000000):
 *   0x0000000000400000  the program (user/lib/user.ld), text/rodata/data on own pages
 *   0x0000010000000000  malloc heap, grows upward to MOS_HEAP_LIMIT (1 TiB)
 *   0x00005F0000000000  mos_spawn's scratch windows (temporary mappings)
 *   0x00007F0000000000  stack regions of further threads (MOS_STACK_REGION each)
 *   0x00007FFFFFE00000  the main thread's stack region; its stack is the top
 *                       MOS_MAIN_STACK_PAGES pages below MOS_MAIN_STACK_TOP,
 *                       the rest of the region stays unmapped (guard)
 *   0x00007FFFFFF10000  the main thread's IPC buffer (MOS_IPC_BUFFER_PAGES)
 *   0x00007FFFFFFF0000  the kernel information page (mos/kinfo.h)
 *
 * Per-thread data: every thread's stack lies in its own MOS_STACK_REGION-
 * sized, -aligned region whose last bytes hold struct mos_thread_data, so a
 * thread finds its data (its IPC buffer) from its stack pointer alone: no
 * FS/GS base and no system call needed. Stacks are therefore at most
 * MOS_STACK_REGION - one guard page. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include <mos/init.h>

#define MOS_USER_IMAGE_BASE   0x0000000000400000ull
#define MOS_HEAP_BASE         0x0000010000000000ull
#define MOS_HEAP_LIMIT        0x0000020000000000ull
#define MOS_SPAWN_SCRATCH     0x00005F0000000000ull
#define MOS_SPAWN_WINDOW      0x0000000100000000ull    /* 4 GiB per window */
#define MOS_SPAWN_WINDOWS     256u
#define MOS_THREAD_STACKS     0x00007F0000000000ull
#define MOS_STACK_REGION      0x0000000000100000ull    /* 1 MiB */
#define MOS_MAIN_STACK_TOP    0x00007FFFFFF00000ull
#define MOS_MAIN_STACK_PAGES  16u                      /* 64 KiB by default */
#define MOS_MAIN_IPC_BUFFER   0x00007FFFFFF10000ull

_Static_assert(MOS_MAIN_STACK_TOP % MOS_STACK_REGION == 0, "stack top ends a region");

/* At the top of each thread's stack region (the last 32 bytes). Written by
 * whoever creates the thread, before it runs; read by mos_thread_data(). */
struct mos_thread_data {
    uint64_t ipc_buffer;      /* address of this thread's struct mos_ipc_buffer */
    uint64_t stack_base;      /* lowest mapped byte of its stack */
    mos_handle_t thread;      /* its THREAD handle, 0 if unknown (use MOS_SELF) */
    uint32_t _pad;
    uint64_t user;            /* free for the library (e.g. a thread id) */
};
_Static_assert(sizeof(struct mos_thread_data) == 32, "mos_thread_data layout");

/* The start block, which a loader places below the thread data on the new
 * process's stack; its address arrives in RDI. All addresses are the new
 * process's. The strings and arrays it points to lie on the same stack. */
#define MOS_START_MAGIC 0x5452415453534F4Dull    /* "MOSSTART" */
struct mos_start {
    uint64_t magic;           /* MOS_START_MAGIC */
    uint32_t size;            /* sizeof(struct mos_start): later fields are appended */
    uint32_t argc;
    uint64_t argv;            /* char *[argc + 1], NULL-terminated */
    uint64_t caps;            /* char *[ncaps + 1]: "name=handle" (decimal), NULL-terminated */
    uint32_t ncaps;
    mos_handle_t self_proc;   /* a PROCESS handle to itself, 0 if not given */
    mos_handle_t self_thread; /* a THREAD handle to its main thread, 0 if not given */
    uint32_t flags;           /* MOS_START_* */
    uint64_t ipc_buffer;      /* the main thread's IPC buffer */
    uint64_t stack_base;      /* lowest mapped byte of the main stack */
    uint64_t stack_top;       /* end of the main stack (a MOS_STACK_REGION boundary) */
};
_Static_assert(sizeof(struct mos_start) == 72, "mos_start layout");

#define MOS_START_RESTART 1u  /* started again by init after a crash */

#define MOS_CAP_NAME_MAX 31u  /* longest capability name */

/* The program defines int main(int argc, char **argv): argv[argc] is NULL,
 * the return value is the exit code (declared in start.c only, so host
 * tests can include this header). */

/* The handle given to this process under `name` ("console", ...), or 0.
 * Init has "self", "initrd", "ioports", "irqs", "devmem" and "thread" (the
 * fixed root slots of mos/init.h). */
mos_handle_t mos_cap_by_name(const char *name);

/* The start block, or NULL in init (which has mos_init_block() instead). */
const struct mos_start *mos_start_block(void);
/* How many times init has restarted this service: N from "--restart N" in
 * argv (at least 1), else 1 if the start block says MOS_START_RESTART, else
 * 0 (a first start). */
uint32_t mos_restarts(int argc, char **argv);
/* What the kernel gave init, or NULL in any other process. */
const struct mos_init_info *mos_init_block(void);

/* The calling thread's data (from its stack pointer; see above). */
struct mos_thread_data *mos_thread_data(void);

/* End the process with `code` (proc_destroy(MOS_SELF, code)). */
__attribute__((noreturn)) void mos_exit(long code);
/* Print "abort: <why>" and exit with MOS_EXIT_ABORTED. */
__attribute__((noreturn)) void mos_abort(const char *why);
#define MOS_EXIT_ABORTED 134

/* ---- pure helpers (also compiled into host tests) ---- */

/* Look `name` up in a NULL-terminated "name=handle" list: the handle, or 0
 * if absent or malformed (handle not decimal, 0, or above 32 bits). */
mos_handle_t mos_caps_lookup(const char *const *caps, const char *name);

/* What a loader puts on a new stack. */
struct mos_start_params {
    uint32_t argc;
    const char *const *argv;          /* argc strings */
    uint32_t ncaps;
    const char *const *cap_names;     /* ncaps names: 1..MOS_CAP_NAME_MAX chars, no '=' */
    const mos_handle_t *cap_handles;  /* ncaps handles (in the new process) */
    mos_handle_t self_proc, self_thread;
    uint32_t flags;
    uint64_t ipc_buffer;
    uint64_t stack_base;
};

/* Build thread data, start block, strings and pointer arrays in buf, a local
 * view of the top `size` bytes of the new stack, whose end is the new
 * process's address top_va (a MOS_STACK_REGION boundary). Stores the start
 * block's address and the initial stack pointer (16-aligned, below
 * everything written) in *block_va and *sp. Returns 0, -MOS_EINVAL (bad
 * capability name, NULL string, misaligned top_va) or -MOS_EOVERFLOW (does
 * not fit in size bytes with 256 bytes to spare for the first frames). buf
 * is untouched below what it reports. Pure. */
__attribute__((warn_unused_result))
int mos_start_build(void *buf, size_t size, uint64_t top_va, const struct mos_start_params *p,
                    uint64_t *block_va, uint64_t *sp);
