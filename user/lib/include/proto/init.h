/* SPDX-License-Identifier: MIT */
/* proto/init.h - what init offers the processes it starts (the "init"
 * capability in their start block): process information for ps/caps, kill,
 * shutdown, and the lookup of a service's endpoint. Requests are ipc_calls; the reply's
 * label is 0 or -MOS_E*. The badge identifies the caller; which operations a
 * caller may use is set in the manifest ("control" flag). docs/services.md. */
#pragma once

#include <stdint.h>

enum init_op {
    INIT_PS = 1,        /* reply: payload = struct init_proc[n], w0 = n */
    INIT_CAPS,          /* w0 = pid. reply: payload = struct init_cap[n], w0 = n,
                         * w1 = total (only the first 4096/sizeof entries travel) */
    INIT_KILL,          /* w0 = pid: kill that process (control) */
    INIT_SHUTDOWN,      /* power off through ACPI S5 (control) */
    INIT_LOOKUP,        /* payload: a service name. reply carries capability 0, the
                         * service's endpoint for this caller (as the manifest allows) */
};

struct init_proc {
    uint64_t pid;
    char name[32];
    uint32_t state;             /* MOS_PROC_* */
    uint32_t threads;
    uint32_t prio, cpu;         /* of its first thread */
    uint64_t used_pages, quota_pages;
    uint32_t restarts;          /* services: times restarted */
    uint32_t _pad;
};
_Static_assert(sizeof(struct init_proc) == 80, "proto: init_proc");

struct init_cap {
    uint32_t handle, type, rights;
    uint32_t flags;             /* MEMORY: MOS_MEM_* of its object (DEVICE, DMA32, ...) */
    uint64_t badge, base, count;
};
_Static_assert(sizeof(struct init_cap) == 40, "proto: init_cap");
