/* SPDX-License-Identifier: MIT */
/* service.h - init's service manager: the services of /etc/init.conf,
 * started with exactly the capabilities their lines grant, supervised and
 * restarted (service.c), and init's own protocol, proto/init.h, served on
 * init's endpoint (init_ipc.c). One thread does everything: it waits on
 * init's endpoint for requests and for the exit notifications of its
 * services, with a time-out that is the next scheduled restart. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <mos/caps.h>
#include <mos/init.h>
#include <mos/types.h>
#include "manifest.h"

#define SVC_STABLE_NS   (10ull * 1000000000ull)   /* this much uptime resets the restart count */
#define SVC_KILL_CODE   9                          /* proc_destroy code of INIT_KILL */

enum svc_state {
    SVC_IDLE = 0,       /* not started (yet) */
    SVC_RUNNING,        /* proc is alive (or its death is not yet handled) */
    SVC_WAITING,        /* dead; restart at restart_at */
    SVC_FAILED,         /* dead for good: restart=never, too many restarts, no image */
    SVC_HALTED,         /* stopped by INIT_SHUTDOWN */
};

/* The PCI function of a cap=pci: service, claimed from the pci service
 * the first time the service starts and kept across its restarts (so a
 * driver restarts even while the pci service is down). */
struct svc_pci {
    bool claimed;
    uint16_t bdf;
    uint8_t irq_line, irq_pin;
    mos_handle_t dev;               /* "pcidev": ENDPOINT, device badge, WRITE|GRANT */
    mos_handle_t bar[6];            /* "barN": MEMORY (device), READ|WRITE|GRANT, or 0 */
    mos_handle_t irq;               /* "irq": cut from init's root, or 0 (not routed / taken) */
};

#define SVC_DEFER_NS    (20ull * 1000000ull)      /* retry while the pci service is busy */
#define SVC_DEFER_MAX   250u                       /* 5 s of retries, then give up */

struct svc {
    const struct mf_service *mf;
    uint32_t state;                 /* enum svc_state */
    mos_handle_t ep;                /* its endpoint (provides=), made once, kept across restarts */
    mos_handle_t exit_cap;          /* WRITE copy of init's endpoint, badge = 1 << index */
    mos_handle_t narrowed[MF_MAX_CAPS];  /* ioport:/irq: copies cut from init's roots, made once */
    uint64_t badge[MF_MAX_CAPS];    /* use: the badge minted for this client (stable) */
    mos_handle_t proc;              /* PROCESS handle of the current incarnation, or 0 */
    mos_handle_t thread;            /* its main THREAD handle (kept by init), or 0 */
    uint64_t pid;                   /* current or last incarnation, 0 if never started */
    uint64_t started_ns, restart_at_ns;
    uint32_t restarts;              /* times restarted, all in all */
    uint32_t streak;                /* restarts since it last stayed up SVC_STABLE_NS */
    bool kill_requested;            /* INIT_KILL: say so in the log */
    bool deferred;                  /* SVC_WAITING for a busy pci service, not a restart */
    uint32_t defer_tries;
    struct svc_pci pci;             /* cap=pci: */
};

/* A client of init's own protocol: the badge of its "init" capability. */
struct init_client {
    uint64_t badge;
    int svc;                        /* index in svcs[] */
    bool control;                   /* may use INIT_KILL and INIT_SHUTDOWN */
};

/* ---- state (service.c) ---- */
extern struct manifest svc_manifest;
extern struct svc svcs[MF_MAX_SERVICES];
extern unsigned nsvcs;
extern mos_handle_t init_ep;        /* init's endpoint: requests and exit notifications */
extern struct init_client init_clients[MF_MAX_SERVICES * MF_MAX_CAPS];
extern unsigned ninit_clients;
extern bool svc_shutting_down;
extern const struct mos_init_info *svc_ii;

uint64_t svc_now_ns(void);
uint64_t svc_new_badge(void);

/* Read and parse /etc/init.conf, make the endpoints and capabilities, start
 * every service in order. Returns 0 or -MOS_E* (init cannot work at all). */
long svc_setup(const struct mos_init_info *ii);
/* Look at every running service; handle the ones that died. */
void svc_reap(void);
/* Start the services whose restart time has come; returns the time-out (ns)
 * until the next one, or MOS_TIMEOUT_FOREVER. */
uint64_t svc_run_timers(void);
/* The service with this pid (current incarnation, running), or NULL. */
struct svc *svc_by_pid(uint64_t pid);
/* INIT_KILL: kill it; the death is handled as any other. */
long svc_kill(struct svc *s);
/* Deep in a restart streak (more than SVC_LOG_STREAK restarts in a row):
 * its kill, death and restart lines are logged only every SVC_LOG_EVERY-th
 * time (a crash loop, or the fault injector's 1,000 kills, would otherwise
 * spend most of its time printing; giving up is always logged). */
#define SVC_LOG_STREAK  10u
#define SVC_LOG_EVERY   100u
bool svc_quiet(const struct svc *s);
/* INIT_SHUTDOWN: power off through ACPI S5; when that is impossible, log it
 * and stop every service (none restarts). Returns only in that case. */
void svc_shutdown(void);

/* ---- init's protocol (init_ipc.c) ---- */
/* Serve requests and supervise, forever. */
__attribute__((noreturn)) void init_serve(void);
