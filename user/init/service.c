// SPDX-License-Identifier: MIT
/* service.c - start, supervise and restart the services of /etc/init.conf.
 *
 * Made once, at set-up, and kept for init's lifetime (so clients'
 * capabilities stay valid across restarts):
 *   - init's endpoint (init_ep): its protocol, and the exit notifications;
 *   - per service: its endpoint (provides=), a badged WRITE copy of init_ep
 *     for its exit notification (badge = bit 1 << index), the ioport:/irq:
 *     capabilities cut from init's roots, and one badge per use: entry.
 * Per incarnation: the PROCESS handle (and the main THREAD handle, which
 * stays with init so the service holds nothing it was not granted).
 * On a death: cap_inspect says why; the restart policy decides between a
 * restart after a back-off (a timer: the main loop's receive time-out) and
 * giving up. 10 s of uptime before a death resets the count.
 * A cap=pci: service gets its device from the pci service when it first
 * starts (svc_claim_pci: PCI_CLAIM, PCI_BAR per BAR, its IRQ cut from
 * init's root here); init keeps those capabilities for later restarts.
 * init only ever calls the pci service with MOS_MSG_NONBLOCK, so a pci
 * service that is busy, dead or restarting delays the start (a deferred
 * retry, not a restart) but can never block init. */
#include "service.h"

#include "mos_lib.h"
#include "lib/cmdline.h"
#include "lib/tar.h"
#include "proto/pci.h"
#include "proto/net.h"
#include "proto/vfs.h"

struct manifest svc_manifest;
struct svc svcs[MF_MAX_SERVICES];
unsigned nsvcs;
mos_handle_t init_ep;
struct init_client init_clients[MF_MAX_SERVICES * MF_MAX_CAPS];
unsigned ninit_clients;
bool svc_shutting_down;
const struct mos_init_info *svc_ii;

static uint64_t next_badge = 0x100;

uint64_t svc_now_ns(void)
{
    const struct mos_kinfo *k = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint64_t tsc = __builtin_ia32_rdtsc();
    return (uint64_t)(((unsigned __int128)(tsc - k->tsc_base) * k->tsc_mult) >> 32);
}

uint64_t svc_new_badge(void)
{
    return next_badge++;
}

static void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

/* ---------------------------------------------------------------- set-up */

static char conf_path[MF_PATH_MAX + 1] = "/etc/init.conf";

static void report(void *ctx, unsigned line, const char *msg)
{
    (void)ctx;
    printf("init: %s:%u: %s\n", conf_path, line, msg);
}

/* The handles that never change for service i; false (logged) if one
 * cannot be made: the service is then never started. */
static bool svc_prepare(unsigned i)
{
    struct svc *s = &svcs[i];
    const struct mf_service *mf = s->mf;
    long r = mos_cap_transfer(init_ep, MOS_SELF, MOS_RIGHT_WRITE, 1ull << i, 0, 0);
    if (r < 0) {
        printf("init: %s: cannot make its exit endpoint: %s\n", mf->name, mos_strerror(r));
        return false;
    }
    s->exit_cap = (mos_handle_t)r;
    if (mf->provides[0]) {
        r = mos_cap_create(MOS_CAP_ENDPOINT, 0);
        if (r < 0) {
            printf("init: %s: cannot create its endpoint: %s\n", mf->name, mos_strerror(r));
            return false;
        }
        s->ep = (mos_handle_t)r;
    }
    for (unsigned c = 0; c < mf->ncaps; c++) {
        const struct mf_cap *mc = &mf->caps[c];
        switch (mc->kind) {
        case MF_CAP_IOPORT:
            r = mos_cap_transfer(MOS_INIT_IOPORTS, MOS_SELF,
                                 MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, mc->first, mc->count);
            if (r < 0) {
                printf("init: %s: cap=ioport:0x%x:%u: %s\n", mf->name, mc->first, mc->count, mos_strerror(r));
                return false;
            }
            s->narrowed[c] = (mos_handle_t)r;
            break;
        case MF_CAP_IRQ:
            r = mos_cap_transfer(MOS_INIT_IRQS, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0,
                                 mc->first, 1);
            if (r < 0) {
                printf("init: %s: cap=irq:%u: %s (this machine has %llu lines)\n", mf->name, mc->first,
                       mos_strerror(r), (unsigned long long)svc_ii->irq_count);
                return false;
            }
            s->narrowed[c] = (mos_handle_t)r;
            break;
        case MF_CAP_USE:
            s->badge[c] = svc_new_badge();
            if (mc->target == MF_TARGET_INIT) {
                init_clients[ninit_clients++] = (struct init_client){
                    .badge = s->badge[c], .svc = (int)i, .control = mc->control,
                };
            }
            break;
        default:
            break;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- start */

static void svc_failed(struct svc *s, const char *what, const char *why, bool permanent);

/* ---------------------------------------------------------------- PCI devices */

/* One call to the pci service, never waiting for it to be ready: a
 * receiver that is not waiting gives -MOS_EAGAIN at once (retried a few
 * times, 1 ms apart). Returns the reply's label (0 or -MOS_E*) or the call's
 * error; *cap gets the capability the reply carried (0 if none). */
static long pci_call(mos_handle_t ep, uint32_t op, uint64_t w0, uint64_t w1, struct mos_msg *r, mos_handle_t *cap,
                     unsigned tries)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    uint64_t w[MOS_MSG_WORDS] = { w0, w1 };
    long e = -MOS_EAGAIN;
    *cap = 0;
    for (unsigned t = 0; t < tries && e == -MOS_EAGAIN; t++) {
        if (t)
            (void)mos_thread_block(1000000ull);
        mos_msginfo_t info;
        int se = mos_ipc_stage(buf, op, NULL, 0, NULL, 0, 0, MOS_MSG_NONBLOCK, &info);
        e = se ? se : mos_ipc_call_m(ep, info, w, r);
    }
    if (e < 0)
        return e;
    e = (int32_t)mos_msg_label(r->info);
    if (mos_msg_ncaps(r->info) >= 1)
        *cap = buf->caps[0];
    if (e < 0 && *cap) {
        (void)mos_cap_delete(*cap);
        *cap = 0;
    }
    return e;
}

static void svc_pci_release(struct svc_pci *p)
{
    if (p->dev)
        (void)mos_cap_delete(p->dev);
    for (unsigned b = 0; b < PCI_MAX_BARS; b++)
        if (p->bar[b])
            (void)mos_cap_delete(p->bar[b]);
    if (p->irq)
        (void)mos_cap_delete(p->irq);
    memset(p, 0, sizeof *p);
}

/* Who else was given interrupt line `line`: a cap=irq: line or another
 * claimed device. NULL if nobody. */
static const char *irq_taken_by(const struct svc *me, unsigned line)
{
    for (unsigned i = 0; i < nsvcs; i++) {
        const struct svc *o = &svcs[i];
        if (o == me)
            continue;
        for (unsigned c = 0; c < o->mf->ncaps; c++)
            if (o->mf->caps[c].kind == MF_CAP_IRQ && o->mf->caps[c].first == line)
                return o->mf->name;
        if (o->pci.claimed && o->pci.irq && o->pci.irq_line == line)
            return o->mf->name;
    }
    return NULL;
}

/* The pci service is not answering (yet): try s again in SVC_DEFER_NS, as
 * a deferred start, not a restart; give up after SVC_DEFER_MAX tries.
 * Returns 1 (deferred) or -1 (given up). */
static int svc_defer(struct svc *s)
{
    if (++s->defer_tries > SVC_DEFER_MAX) {
        char why[64];
        snprintf(why, sizeof why, "the pci service did not answer for %u ms",
                 SVC_DEFER_MAX * (unsigned)(SVC_DEFER_NS / 1000000ull));
        svc_failed(s, "not started", why, true);
        return -1;
    }
    s->state = SVC_WAITING;
    s->deferred = true;
    s->restart_at_ns = svc_now_ns() + SVC_DEFER_NS;
    return 1;
}

/* Get the device of s's cap=pci: from the pci service. 0: claimed (or
 * already); 1: deferred (the pci service is not listening yet: s is
 * waiting for a retry); -1: s cannot start (logged, state set). */
static int svc_claim_pci(struct svc *s, const struct mf_cap *mc)
{
    struct svc_pci *p = &s->pci;
    if (p->claimed)
        return 0;
    const struct mf_service *mf = s->mf;
    struct svc *pci = &svcs[mc->target];
    char why[112];
    if (pci->state != SVC_RUNNING && pci->state != SVC_WAITING) {
        snprintf(why, sizeof why, "its device %04x:%04x needs the pci service, which is not running", mc->vendor,
                 mc->device);
        svc_failed(s, "not started", why, true);
        return -1;
    }
    struct mos_msg r;
    mos_handle_t cap;
    long e = pci->state == SVC_RUNNING
             ? pci_call(pci->ep, PCI_CLAIM, mc->vendor | (uint64_t)mc->device << 16, mc->index, &r, &cap, 3)
             : -MOS_EAGAIN;
    if (e == -MOS_EAGAIN || e == -MOS_EDEAD)
        return svc_defer(s);                    /* busy, or died while answering */
    if (e == -MOS_ENOENT) {
        s->state = SVC_FAILED;
        printf("init: service %s not started: no PCI device %04x:%04x%s on this machine\n", mf->name, mc->vendor,
               mc->device, mc->index ? " (of that index)" : "");
        return -1;
    }
    if (e < 0 || !cap) {
        snprintf(why, sizeof why, "PCI_CLAIM %04x:%04x: %s", mc->vendor, mc->device,
                 mos_strerror(e < 0 ? e : -MOS_EIO));
        svc_failed(s, "not started", why, true);
        return -1;
    }
    p->dev = cap;
    p->bdf = (uint16_t)r.w[0];
    uint64_t mask = r.w[1];
    p->irq_line = (uint8_t)r.w[2];
    p->irq_pin = (uint8_t)(r.w[2] >> 8);
    char got[96] = "";
    size_t glen = 0;
    for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
        if (!(mask & (1u << b)))
            continue;
        e = pci_call(pci->ep, PCI_BAR, p->bdf, b, &r, &cap, 50);
        if (e == -MOS_EAGAIN || e == -MOS_EDEAD) {
            svc_pci_release(p);
            return svc_defer(s);
        }
        if (e < 0 || !cap) {
            snprintf(why, sizeof why, "PCI_BAR %u of %04x:%04x: %s", b, mc->vendor, mc->device,
                     mos_strerror(e < 0 ? e : -MOS_EIO));
            svc_pci_release(p);
            svc_failed(s, "not started", why, true);
            return -1;
        }
        p->bar[b] = cap;
        glen += (size_t)snprintf(got + glen, sizeof got - glen, " bar%u", b);
    }
    if (glen >= sizeof got - 40)
        glen = sizeof got - 40;                 /* room for the interrupt's words */
    const char *taken = NULL;
    if (p->irq_pin >= 1 && p->irq_pin <= 4 && p->irq_line < svc_ii->irq_count && p->irq_line != 2 &&
        p->irq_line != 0 && !(taken = irq_taken_by(s, p->irq_line))) {
        long h = mos_cap_transfer(MOS_INIT_IRQS, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0,
                                  p->irq_line, 1);
        if (h > 0)
            p->irq = (mos_handle_t)h;
    }
    if (p->irq)
        glen += (size_t)snprintf(got + glen, sizeof got - glen, " irq %u", p->irq_line);
    else if (taken)
        glen += (size_t)snprintf(got + glen, sizeof got - glen, " (irq %u is %s's: none)", p->irq_line, taken);
    else
        glen += (size_t)snprintf(got + glen, sizeof got - glen, " (no routed interrupt)");
    p->claimed = true;
    printf("init: %s: PCI %04x:%04x at %02x:%02x.%x:%s\n", mf->name, mc->vendor, mc->device, p->bdf >> 8,
           (p->bdf >> 3) & 0x1F, p->bdf & 7, got);
    return 0;
}

/* ---------------------------------------------------------------- start */

#define SVC_SPAWN_CAPS (MF_MAX_CAPS + PCI_MAX_BARS + 2)

static void svc_start(struct svc *s)
{
    const struct mf_service *mf = s->mf;
    struct tar_entry e;
    int tr = tar_find((const void *)(uintptr_t)svc_ii->initrd_va, svc_ii->initrd_size, mf->path, &e);
    if (tr != 0 || e.type != TAR_FILE) {
        char why[96];
        snprintf(why, sizeof why, "%s is not in the initrd", mf->path);
        svc_failed(s, "cannot start", why, true);
        return;
    }
    for (unsigned c = 0; c < mf->ncaps; c++) {
        if (mf->caps[c].kind == MF_CAP_PCI && svc_claim_pci(s, &mf->caps[c]) != 0)
            return;                             /* deferred, or cannot start */
    }
    s->defer_tries = 0;
    static const char *const bar_names[PCI_MAX_BARS] = { "bar0", "bar1", "bar2", "bar3", "bar4", "bar5" };
    struct mos_spawn_cap caps[SVC_SPAWN_CAPS];
    unsigned ncaps = 0;
    char names[SVC_SPAWN_CAPS * (MF_NAME_MAX + 2)] = "";
    size_t nlen = 0;
    for (unsigned c = 0; c < mf->ncaps; c++) {
        const struct mf_cap *mc = &mf->caps[c];
        if (mc->kind == MF_CAP_PCI) {
            const struct svc_pci *p = &s->pci;
            for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
                if (p->bar[b]) {
                    caps[ncaps++] = (struct mos_spawn_cap){ .handle = p->bar[b], .name = bar_names[b],
                                                            .rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE };
                    nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, " %s", bar_names[b]);
                }
            }
            if (p->irq) {
                caps[ncaps++] = (struct mos_spawn_cap){ .handle = p->irq, .name = "irq",
                                                        .rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE };
                nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, " irq");
            }
            caps[ncaps++] = (struct mos_spawn_cap){ .handle = p->dev, .name = "pcidev", .rights = MOS_RIGHT_WRITE };
            nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, " pcidev");
            continue;
        }
        struct mos_spawn_cap *sc = &caps[ncaps++];
        *sc = (struct mos_spawn_cap){ .name = mc->name };
        switch (mc->kind) {
        case MF_CAP_EP:
            sc->handle = s->ep;
            sc->rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT;
            break;
        case MF_CAP_IOPORT:
        case MF_CAP_IRQ:
            sc->handle = s->narrowed[c];
            sc->rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE;
            break;
        case MF_CAP_INITRD:
            sc->handle = MOS_INIT_INITRD;
            sc->rights = MOS_RIGHT_READ;
            break;
        case MF_CAP_DEVMEM:
            /* GRANT: the pci service passes BAR pieces on (to init, for drivers). */
            sc->handle = MOS_INIT_DEVMEM;
            sc->rights = MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT;
            break;
        default:                                /* MF_CAP_USE */
            sc->handle = mc->target == MF_TARGET_INIT ? init_ep : svcs[mc->target].ep;
            sc->rights = MOS_RIGHT_WRITE | MOS_RIGHT_GRANT;
            sc->badge = s->badge[c];
            break;
        }
        nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, " %s", mc->name);
    }
    bool restart = s->restarts > 0;
    char nbuf[12];
    snprintf(nbuf, sizeof nbuf, "%u", s->restarts);
    const char *argv[] = { mf->name, "--restart", nbuf, NULL };
    mos_handle_t thread = 0;
    struct mos_spawn_args a = {
        .image = e.data,
        .image_len = (size_t)e.size,
        .name = mf->name,
        .argc = restart ? 3 : 1,
        .argv = argv,
        .caps = caps,
        .ncaps = ncaps,
        .quota_pages = mf->quota_pages,
        .cspace_slots = mf->slots,
        .prio = mf->prio,
        .max_prio = mf->prio,               /* a service cannot raise itself */
        .exit_ep = s->exit_cap,
        .start_flags = restart ? MOS_START_RESTART : 0,
        .thread_out = &thread,
    };
    long proc = mos_spawn(&a);
    if (proc < 0) {
        bool permanent = proc == -MOS_ENOEXEC || proc == -MOS_EINVAL || proc == -MOS_ERANGE;
        svc_failed(s, "cannot start", mos_strerror(proc), permanent);
        return;
    }
    struct mos_cap_info info;
    s->proc = (mos_handle_t)proc;
    s->thread = thread;
    s->pid = mos_cap_inspect(s->proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) == 0 ? info.u.proc.pid : ~0ull;
    s->state = SVC_RUNNING;
    s->started_ns = svc_now_ns();
    s->kill_requested = false;
    if (restart && !svc_quiet(s))           /* deep in a streak: see svc_quiet() */
        printf("init: started %s (pid %llu, restart %u) with caps%s\n", mf->name, (unsigned long long)s->pid,
               s->restarts, nlen ? names : " (none)");
    else if (!restart)
        printf("init: started %s (pid %llu) with caps%s\n", mf->name, (unsigned long long)s->pid,
               nlen ? names : " (none)");
}

long svc_setup(const struct mos_init_info *ii)
{
    svc_ii = ii;
    long r = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (r < 0) {
        printf("init: cannot create its endpoint: %s\n", mos_strerror(r));
        return r;
    }
    init_ep = (mos_handle_t)r;
    /* "initconf=/etc/other.conf" on the kernel command line picks another
     * manifest (test images use it). */
    char want[MF_PATH_MAX + 1];
    if (cmdline_get(ii->cmdline, "initconf", want, sizeof want) && want[0] == '/' && want[1])
        memcpy(conf_path, want, sizeof conf_path);
    struct tar_entry e;
    int tr = tar_find((const void *)(uintptr_t)ii->initrd_va, ii->initrd_size, conf_path + 1, &e);
    if (tr != 0 || e.type != TAR_FILE) {
        printf("init: %s: %s; no services\n", conf_path, tr == -MOS_EINVAL ? "the initrd is malformed"
                                                                            : "not found");
        return 0;
    }
    unsigned errors = manifest_parse(&svc_manifest, e.data, (size_t)e.size, report, NULL);
    if (errors)
        printf("init: %s: %u problem%s, %u service%s kept\n", conf_path, errors, errors == 1 ? "" : "s",
               svc_manifest.n, svc_manifest.n == 1 ? "" : "s");
    nsvcs = svc_manifest.n;
    for (unsigned i = 0; i < nsvcs; i++) {
        svcs[i].mf = &svc_manifest.svc[i];
        if (!svc_prepare(i))
            svcs[i].state = SVC_FAILED;
    }
    for (unsigned i = 0; i < nsvcs; i++) {
        if (svcs[i].state == SVC_IDLE)
            svc_start(&svcs[i]);
    }
    return 0;
}

/* ---------------------------------------------------------------- deaths */

static void describe(const struct mos_cap_info *info, bool killed_by_request, char *buf, size_t n)
{
    const typeof(info->u.proc) *p = &info->u.proc;
    unsigned long long ip = (unsigned long long)p->fault_ip;
    switch (p->exit_reason) {
    case MOS_EXIT_CALLED:
        snprintf(buf, n, "exited with code %lld", (long long)p->exit_code);
        break;
    case MOS_EXIT_KILLED:
        if (killed_by_request)
            snprintf(buf, n, "killed on request");
        else
            snprintf(buf, n, "killed (code %lld)", (long long)p->exit_code);
        break;
    case MOS_EXIT_PAGE_FAULT:
        snprintf(buf, n, "page fault at 0x%llx ip 0x%llx", (unsigned long long)p->fault_addr, ip);
        break;
    case MOS_EXIT_GENERAL_PROTECTION:
        snprintf(buf, n, "general protection fault at ip 0x%llx", ip);
        break;
    case MOS_EXIT_INVALID_OPCODE:
        snprintf(buf, n, "invalid opcode at ip 0x%llx", ip);
        break;
    case MOS_EXIT_DIVIDE_ERROR:
        snprintf(buf, n, "divide error at ip 0x%llx", ip);
        break;
    case MOS_EXIT_BAD_RETURN:
        snprintf(buf, n, "system call returning to a bad address");
        break;
    case MOS_EXIT_OTHER_FAULT:
        snprintf(buf, n, "exception %lld at ip 0x%llx", (long long)p->exit_code, ip);
        break;
    case MOS_EXIT_NO_THREADS:
        snprintf(buf, n, "its last thread ended");
        break;
    default:
        snprintf(buf, n, "reason %u", p->exit_reason);
        break;
    }
}

/* It is not running (died, or could not start): apply its restart policy.
 * what/why make the log line: "init: service X <what> (<why>); ...". */
static void svc_failed(struct svc *s, const char *what, const char *why, bool permanent)
{
    const struct mf_service *mf = s->mf;
    uint64_t now = svc_now_ns();
    if (s->started_ns && now - s->started_ns >= SVC_STABLE_NS)
        s->streak = 0;
    if (svc_shutting_down) {
        s->state = SVC_HALTED;
        printf("init: service %s stopped\n", mf->name);
    } else if (permanent) {
        s->state = SVC_FAILED;
        printf("init: service %s %s (%s); not restarted\n", mf->name, what, why);
    } else if (mf->restart == MF_RESTART_NEVER) {
        s->state = SVC_FAILED;
        printf("init: service %s %s (%s); not restarted (restart=never)\n", mf->name, what, why);
    } else if (s->streak >= mf->max_restarts) {
        s->state = SVC_FAILED;
        printf("init: service %s %s (%s); giving up after %u restart%s in a row\n", mf->name, what, why,
               s->streak, s->streak == 1 ? "" : "s");
    } else {
        s->streak++;
        uint32_t ms = manifest_backoff_ms(mf, s->streak);
        s->state = SVC_WAITING;
        s->restart_at_ns = now + (uint64_t)ms * 1000000ull;
        if (!svc_quiet(s))
            printf("init: service %s %s (%s); restarting (%u/%u) in %u ms\n", mf->name, what, why, s->streak,
                   mf->max_restarts, ms);
    }
}

/* The sessions a dead client held in the services that keep state per
 * client (the VFS's open handles, the netstack's sockets) are ended: its
 * next incarnation gets the same badge and must start clean. One-way
 * sends from init's own unbadged endpoint capability, which both protocols
 * accept; never blocking (the server may be the one that died, or busy):
 * an end that cannot be delivered now is retried by svc_run_timers(). */
#define SVC_END_RETRY_NS  (50ull * 1000000ull)
#define SVC_END_TRIES     200u                  /* 10 s */

struct pending_end {
    int target;                 /* index in svcs[] */
    uint32_t op;
    uint64_t badge;
    uint32_t tries;
};
static struct pending_end pending_ends[MF_MAX_SERVICES * MF_MAX_CAPS];
static unsigned npending_ends;
static uint64_t next_end_retry_ns;

static bool end_session_now(const struct pending_end *e)
{
    const struct svc *t = &svcs[e->target];
    if (!t->ep || t->state != SVC_RUNNING)
        return false;
    const uint64_t w[MOS_MSG_WORDS] = { e->badge, 0, 0, 0 };
    long r = mos_ipc_send(t->ep, mos_msginfo(e->op, 0, 0, MOS_MSG_NONBLOCK), w[0], w[1], w[2], w[3]);
    return r != -MOS_EAGAIN;            /* delivered, or refused for good */
}

static void svc_end_sessions(const struct svc *s)
{
    const struct mf_service *mf = s->mf;
    for (unsigned c = 0; c < mf->ncaps; c++) {
        const struct mf_cap *mc = &mf->caps[c];
        if (mc->kind != MF_CAP_USE || mc->target == MF_TARGET_INIT)
            continue;
        const char *what = svcs[mc->target].mf->provides;
        struct pending_end e = { .target = mc->target, .badge = s->badge[c] };
        if (strcmp(what, "vfs") == 0)
            e.op = VFS_DISCONNECT;
        else if (strcmp(what, "net") == 0)
            e.op = NET_SESSION_END;
        else
            continue;
        if (!end_session_now(&e) && npending_ends < sizeof pending_ends / sizeof pending_ends[0]) {
            pending_ends[npending_ends++] = e;
            next_end_retry_ns = svc_now_ns() + SVC_END_RETRY_NS;
        }
    }
}

static void svc_retry_ends(uint64_t now)
{
    if (!npending_ends || now < next_end_retry_ns)
        return;
    unsigned kept = 0;
    for (unsigned i = 0; i < npending_ends; i++) {
        struct pending_end e = pending_ends[i];
        if (end_session_now(&e))
            continue;
        if (++e.tries >= SVC_END_TRIES) {
            printf("init: could not end the %s session of badge 0x%llx\n", svcs[e.target].mf->name,
                   (unsigned long long)e.badge);
            continue;
        }
        pending_ends[kept++] = e;
    }
    npending_ends = kept;
    next_end_retry_ns = now + SVC_END_RETRY_NS;
}

static void svc_died(struct svc *s, const struct mos_cap_info *info)
{
    char why[96];
    describe(info, s->kill_requested, why, sizeof why);
    (void)mos_cap_delete(s->proc);
    if (s->thread)
        (void)mos_cap_delete(s->thread);
    s->proc = s->thread = 0;
    svc_end_sessions(s);
    svc_failed(s, "died", why, false);
}

void svc_reap(void)
{
    for (unsigned i = 0; i < nsvcs; i++) {
        struct svc *s = &svcs[i];
        if (s->state != SVC_RUNNING)
            continue;
        struct mos_cap_info info;
        long r = mos_cap_inspect(s->proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
        if (r < 0) {                            /* cannot happen: init never gives it away */
            printf("init: service %s: its process handle is gone (%s)\n", s->mf->name, mos_strerror(r));
            memset(&info, 0, sizeof info);
            svc_died(s, &info);
        } else if (info.u.proc.state == MOS_PROC_DEAD) {
            svc_died(s, &info);
        }
    }
}

uint64_t svc_run_timers(void)
{
    uint64_t now = svc_now_ns(), next = UINT64_MAX;
    svc_retry_ends(now);
    if (npending_ends)
        next = next_end_retry_ns;
    for (unsigned i = 0; i < nsvcs; i++) {
        struct svc *s = &svcs[i];
        if (s->state != SVC_WAITING)
            continue;
        if (s->restart_at_ns <= now) {
            if (!s->deferred)
                s->restarts++;                  /* a deferred first start is no restart */
            s->deferred = false;
            svc_start(s);
            now = svc_now_ns();
        }
        if (s->state == SVC_WAITING && s->restart_at_ns < next)
            next = s->restart_at_ns;
    }
    if (next == UINT64_MAX)
        return MOS_TIMEOUT_FOREVER;
    return next > now ? next - now : 0;
}

struct svc *svc_by_pid(uint64_t pid)
{
    for (unsigned i = 0; i < nsvcs; i++) {
        if (svcs[i].state == SVC_RUNNING && svcs[i].pid == pid)
            return &svcs[i];
    }
    return NULL;
}

bool svc_quiet(const struct svc *s)
{
    return s->streak > SVC_LOG_STREAK && s->streak % SVC_LOG_EVERY != 0;
}

long svc_kill(struct svc *s)
{
    long r = mos_proc_destroy(s->proc, SVC_KILL_CODE);
    if (r == 0 || r == -MOS_EDEAD)
        s->kill_requested = true;
    return r == -MOS_EDEAD ? 0 : r;             /* already dying: the same outcome */
}

/* ---------------------------------------------------------------- shutdown */

void svc_shutdown(void)
{
    const struct mos_init_info *ii = svc_ii;
    svc_shutting_down = true;
    printf("init: shutting down\n");
    if (ii->acpi_pm1a_cnt && ii->acpi_pm1a_cnt <= 0xFFFF) {
        (void)mos_thread_block(200ull * 1000000ull);    /* let the console print the log */
        outw((uint16_t)ii->acpi_pm1a_cnt, (uint16_t)((ii->acpi_slp_typ_s5 << 10) | (1u << 13)));
        (void)mos_thread_block(500ull * 1000000ull);
        printf("init: cannot power off: ACPI S5 (port 0x%x) had no effect; halting the services\n",
               ii->acpi_pm1a_cnt);
    } else {
        printf("init: cannot power off: no ACPI S5; halting the services\n");
    }
    (void)mos_thread_block(100ull * 1000000ull);
    for (unsigned i = nsvcs; i-- > 0;) {
        struct svc *s = &svcs[i];
        if (s->state == SVC_RUNNING) {
            (void)mos_proc_destroy(s->proc, 0);
        } else if (s->state == SVC_WAITING || s->state == SVC_IDLE) {
            s->state = SVC_HALTED;
        }
    }
    for (unsigned tries = 0; tries < 100; tries++) {
        svc_reap();
        bool any = false;
        for (unsigned i = 0; i < nsvcs; i++)
            any |= svcs[i].state == SVC_RUNNING;
        if (!any)
            break;
        (void)mos_thread_block(10ull * 1000000ull);
    }
    printf("init: services halted\n");
}
