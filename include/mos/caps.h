/* SPDX-License-Identifier: MIT */
/* caps.h - capability types, rights, and what cap_inspect reports.
 * The meaning of each right per type: docs/capabilities.md. */
#pragma once

#include <mos/types.h>

enum mos_cap_type {
    MOS_CAP_NONE     = 0,
    MOS_CAP_MEMORY   = 1,   /* a range of physical pages: RAM or device memory */
    MOS_CAP_ENDPOINT = 2,   /* IPC rendezvous point and notification word */
    MOS_CAP_IRQ      = 3,   /* a range of interrupt lines (GSIs) */
    MOS_CAP_PROCESS  = 4,
    MOS_CAP_THREAD   = 5,
    MOS_CAP_IOPORT   = 6,   /* a range of x86 I/O ports */
    MOS_CAP_REPLY    = 7,   /* one-shot reply right kept by a server (ipc_reply only) */
    MOS_CAP_TYPE_COUNT
};

#define MOS_RIGHT_READ   0x01u
#define MOS_RIGHT_WRITE  0x02u
#define MOS_RIGHT_EXEC   0x04u
#define MOS_RIGHT_GRANT  0x08u
#define MOS_RIGHT_REVOKE 0x10u
#define MOS_RIGHTS_ALL   0x1Fu

/* cap_transfer flags (bits 32.. of its rights argument). */
#define MOS_XFER_MOVE    (1ull << 32)   /* move instead of copy (the source slot empties) */

/* Memory object flags reported by cap_inspect (and mem_alloc flags). */
#define MOS_MEM_CONTIG   0x01u          /* physically contiguous */
#define MOS_MEM_DMA32    0x02u          /* below 4 GiB (implies CONTIG) */
#define MOS_MEM_DEVICE   0x04u          /* device registers: mapped uncached, never RAM */
#define MOS_MEM_WC       0x08u          /* map write-combining (framebuffers) */

/* Process states. */
#define MOS_PROC_ALIVE   1
#define MOS_PROC_DEAD    2

/* Why a process ended (struct mos_cap_info.proc.exit_reason). */
enum mos_exit_reason {
    MOS_EXIT_NONE = 0,          /* still alive */
    MOS_EXIT_CALLED,            /* proc_destroy(MOS_SELF, code) */
    MOS_EXIT_KILLED,            /* proc_destroy by a holder of its PROCESS cap */
    MOS_EXIT_PAGE_FAULT,        /* fault_addr = the address, fault_ip = the instruction */
    MOS_EXIT_GENERAL_PROTECTION,
    MOS_EXIT_INVALID_OPCODE,
    MOS_EXIT_DIVIDE_ERROR,
    MOS_EXIT_BAD_RETURN,        /* a system call would have returned to a non-canonical address */
    MOS_EXIT_OTHER_FAULT,       /* any other exception: fault_code = the vector */
    MOS_EXIT_NO_THREADS,        /* its last thread ended */
};

/* cap_inspect output. Every byte is written (padding zeroed). */
struct mos_cap_info {
    mos_handle_t handle;        /* the slot's current handle */
    uint32_t type;              /* enum mos_cap_type */
    uint32_t rights;
    uint32_t flags;             /* MOS_MEM_* for MEMORY */
    uint64_t badge;
    uint64_t base;              /* MEMORY: first page (offset into its object, pages)
                                 * IOPORT: first port; IRQ: first GSI */
    uint64_t count;             /* MEMORY: pages; IOPORT: ports; IRQ: lines */
    uint64_t object_id;         /* same object <=> same id */
    uint64_t phys;              /* MEMORY, CONTIG/DMA32/DEVICE only: physical address of base */
    union {
        struct {                /* PROCESS */
            uint64_t pid;
            uint32_t state;     /* MOS_PROC_* */
            uint32_t exit_reason;
            int64_t  exit_code; /* proc_destroy code, or the fault vector */
            uint64_t fault_addr;
            uint64_t fault_ip;
            uint64_t quota_pages, used_pages;
            uint32_t threads, caps_used;
            uint32_t main_prio, main_cpu;
            char     name[32];
        } proc;
        struct {                /* THREAD */
            uint64_t tid;
            uint32_t state;     /* 1 ready, 2 running, 3 blocked, 4 dead */
            uint32_t prio, cpu, _pad;
            uint64_t runtime_ns;
        } thread;
        uint8_t _raw[128];
    } u;
};
_Static_assert(sizeof(struct mos_cap_info) == 184, "ABI: mos_cap_info");

/* cap_inspect flags. */
#define MOS_INSPECT_NEXT 1u   /* handle is an index: report the first used slot at or after it */
