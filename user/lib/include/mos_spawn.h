/* SPDX-License-Identifier: MIT */
/* mos_spawn.h - start a program from an ELF image in memory (user/lib/
 * elf_load.c). The new process gets the layout of mos_start.h: its segments
 * at their link addresses, a main stack ending at MOS_MAIN_STACK_TOP with
 * the start block on it, an IPC buffer at MOS_MAIN_IPC_BUFFER, and the
 * capabilities the caller names. Frames for its image, stack and IPC buffer
 * are allocated by (and charged to) the caller, then their MEMORY
 * capabilities are moved into the child, so they are freed with it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>

#define MOS_SPAWN_MAX_CAPS      32u     /* named capabilities per spawn */
#define MOS_SPAWN_DEFAULT_QUOTA 1024u   /* pages, when quota_pages is 0 */
#define MOS_SPAWN_DEFAULT_SLOTS 256u    /* when cspace_slots is 0 */
#define MOS_SPAWN_DEFAULT_PRIO  16u     /* when prio is 0 */

/* One capability handed to the child under a name. */
struct mos_spawn_cap {
    mos_handle_t handle;        /* in the caller's capability space */
    uint32_t rights;            /* MOS_RIGHT_*: a subset of handle's rights */
    uint64_t badge;             /* 0: keep the handle's badge */
    const char *name;           /* 1..MOS_CAP_NAME_MAX chars, no '=' */
    uint32_t flags;             /* MOS_SPAWN_MOVE */
};
#define MOS_SPAWN_MOVE 1u       /* move the capability (the caller's handle dies) */

struct mos_spawn_args {
    const void *image;          /* the ELF file, e.g. in the initrd */
    size_t image_len;
    const char *name;           /* process name (first 31 chars kept) */
    uint32_t argc;              /* 0 with argv NULL: argv = { name } */
    const char *const *argv;
    const struct mos_spawn_cap *caps;
    uint32_t ncaps;             /* <= MOS_SPAWN_MAX_CAPS */
    uint64_t quota_pages;       /* 0: MOS_SPAWN_DEFAULT_QUOTA */
    uint32_t cspace_slots;      /* 0: MOS_SPAWN_DEFAULT_SLOTS */
    uint32_t prio;              /* 1..31; 0: MOS_SPAWN_DEFAULT_PRIO */
    uint32_t max_prio;          /* the child's priority ceiling (mos_proc_args);
                                 * 0: the caller's own */
    uint32_t cpu;               /* 0: any CPU; n: pin to CPU n - 1 */
    uint32_t stack_pages;       /* 0: MOS_MAIN_STACK_PAGES; at most 255 */
    mos_handle_t exit_ep;       /* ENDPOINT notified when the child dies, or 0 */
    uint32_t self_rights;       /* nonzero: give the child a PROCESS handle to itself
                                 * with these rights, named "self" */
    uint32_t start_flags;       /* MOS_START_* for the child's start block */
    mos_handle_t *thread_out;   /* non-NULL: receives the main THREAD handle (the
                                 * caller's); NULL: that handle is moved into the child */
};

/* Validate the image with elf_validate(), create the process, load every
 * segment (copied through a scratch mapping, then mapped into the child
 * with the segment's rights), map its stack and IPC buffer, transfer the
 * named capabilities, write the start block and start the main thread.
 * Returns the new PROCESS handle (>= 0, in the caller's space), or a
 * negative error: -MOS_ENOEXEC (bad image), -MOS_EINVAL (bad arguments),
 * -MOS_EOVERFLOW (argv and names do not fit on the stack), -MOS_ERANGE (a
 * segment above 4 GiB), or whatever a system call returned. On failure the
 * half-built process is destroyed and nothing else is left behind, except
 * that capabilities already moved (MOS_SPAWN_MOVE) are gone with it: moves
 * are done last, just before the thread starts.
 * Context: any thread; concurrent spawns use different scratch windows. */
__attribute__((warn_unused_result)) long mos_spawn(const struct mos_spawn_args *a);
