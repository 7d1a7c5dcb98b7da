/* SPDX-License-Identifier: MIT */
/* manifest.h - /etc/init.conf: the services init starts, the capabilities
 * each receives and its restart policy (format: user/rootfs/etc/init.conf,
 * docs/protocols/init.md). Pure: no system calls; compiled into init and
 * into tests/host/test_manifest.c.
 *
 * A malformed line is reported (with its line number) and skipped; the
 * rest of the file still counts. After all lines are read, use:SERVICE
 * names (and the "pci" provider of each cap=pci:) are resolved (a service
 * may use one declared later), and the services are put in dependency
 * order: every service comes after the services it uses. A service whose line is bad, that uses an unknown
 * service or one that was skipped, or that lies on a dependency cycle, is
 * reported and skipped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_MAX_SERVICES   32u       /* one exit-notification bit each */
#define MF_NAME_MAX       15u       /* service and endpoint names: [a-z][a-z0-9_-]* */
#define MF_PATH_MAX       63u       /* absolute path in the initrd */
#define MF_MAX_CAPS       16u       /* cap= entries per service */
#define MF_LINE_MAX       511u      /* characters per line, without the newline */

#define MF_PRIO_MIN       1u
#define MF_PRIO_MAX       29u       /* MOS_PRIO_USER_MAX: the kernel refuses ceilings above it */
#define MF_PRIO_DEFAULT   16u
#define MF_QUOTA_MIN      16u       /* pages */
#define MF_QUOTA_MAX      (1u << 20) /* pages (4 GiB) */
#define MF_QUOTA_DEFAULT  1024u
#define MF_SLOTS_MIN      16u       /* capability slots */
#define MF_SLOTS_MAX      65536u
#define MF_SLOTS_DEFAULT  256u
#define MF_RESTARTS_MAX   1000u     /* restart=always:MAX */
#define MF_RESTARTS_DEFAULT 10u
#define MF_BACKOFF_MIN    1u        /* ms */
#define MF_BACKOFF_MAX    60000u
#define MF_BACKOFF_DEFAULT 100u
#define MF_IRQ_MAX        255u      /* irq:LINE */
#define MF_PORT_LIMIT     0x10000u  /* ioport:FIRST:COUNT lies below this */

enum mf_cap_kind {
    MF_CAP_EP = 1,          /* "ep": its own endpoint (READ|WRITE|GRANT) */
    MF_CAP_IOPORT,          /* "ioports": ports first .. first+count-1 */
    MF_CAP_IRQ,             /* "irq": line first (count 1) */
    MF_CAP_INITRD,          /* "initrd": the initrd, read-only */
    MF_CAP_USE,             /* "<name>": a badged client endpoint of another service or init */
    MF_CAP_DEVMEM,          /* "devmem": the device-memory root (READ|WRITE|GRANT) */
    MF_CAP_PCI,             /* "pcidev" + "bar0".."bar5" + "irq": one PCI function, obtained
                             * from the service publishing "pci" when this one starts */
};

#define MF_TARGET_INIT 0xFFFFu  /* mf_cap.target of use:init */
#define MF_PCI_PROVIDER "pci"   /* the published name cap=pci: asks for devices */
#define MF_PCI_INDEX_MAX 255u

struct mf_cap {
    uint16_t kind;          /* enum mf_cap_kind */
    uint16_t target;        /* MF_CAP_USE, MF_CAP_PCI: index in manifest.svc[] of the
                             * service used (pci: the one publishing "pci"), or MF_TARGET_INIT */
    bool control;           /* use:init:control */
    uint32_t first, count;  /* IOPORT: ports; IRQ: line, 1 */
    uint16_t vendor, device;    /* PCI: the IDs */
    uint32_t index;         /* PCI: which of the matching functions (0 = the first) */
    char name[MF_NAME_MAX + 1];   /* the name in the start block */
};

enum mf_restart { MF_RESTART_NEVER = 0, MF_RESTART_ALWAYS };

struct mf_service {
    char name[MF_NAME_MAX + 1];
    char path[MF_PATH_MAX + 1];     /* with its leading '/' */
    char provides[MF_NAME_MAX + 1]; /* the name its endpoint is known by ("" = none);
                                     * provides=yes publishes it under the service's name */
    uint32_t prio, slots;
    uint64_t quota_pages;
    uint32_t restart;               /* enum mf_restart */
    uint32_t max_restarts;          /* restarts in a row before init gives up */
    uint32_t backoff_ms;            /* first restart delay; doubles each time, capped */
    uint32_t backoff_cap_ms;        /* the cap (restart=always:M:B:CAP); 0 = MF_BACKOFF_CAP_MS */
    uint32_t ncaps;
    struct mf_cap caps[MF_MAX_CAPS];
    uint32_t line;                  /* where it was declared */
};

struct manifest {
    uint32_t n;                     /* services kept, in start order */
    struct mf_service svc[MF_MAX_SERVICES];
    uint32_t errors;                /* problems reported */
};

/* Called once per problem: the line it is about (1-based) and the text,
 * e.g. (7, "unknown key 'prioo'"). */
typedef void (*mf_report_fn)(void *ctx, unsigned line, const char *msg);

/* Parse text[0..len) into *m (overwritten). Every problem goes to report
 * (which may be NULL). Returns the number of problems. The services kept
 * in m->svc[] are in a valid start order, and each use: cap's target is an
 * index that comes before its user (or MF_TARGET_INIT). */
unsigned manifest_parse(struct manifest *m, const char *text, size_t len, mf_report_fn report, void *ctx);

/* The service whose endpoint is published under `name` (its own name with
 * provides=yes, or the provides=NAME alias), or -1. */
int manifest_find_endpoint(const struct manifest *m, const char *name);
/* The service called `name`, or -1. */
int manifest_find(const struct manifest *m, const char *name);

/* The restart delay before restart number `attempt` (1-based): backoff_ms
 * doubled for each earlier attempt, capped at backoff_cap_ms (0:
 * MF_BACKOFF_CAP_MS), or at backoff_ms itself when that is larger. */
#define MF_BACKOFF_CAP_MS 10000u
uint32_t manifest_backoff_ms(const struct mf_service *s, uint32_t attempt);
