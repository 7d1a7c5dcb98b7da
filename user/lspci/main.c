// SPDX-License-Identifier: MIT
/* lspci - list the PCI functions the pci service found (PCI_LIST), one line
 * each, with their BARs underneath ("-q": the lines without BARs). It needs
 * a capability for the pci service: "pci" in its start block (a manifest
 * line with cap=use:pci), or "init" through which it asks INIT_LOOKUP for
 * "pci" (allowed to control clients and to services that use pci). It
 * holds no port and no device memory: everything comes through the pci
 * service, which alone touches the configuration space. */
#include "mos_lib.h"
#include "proto/init.h"
#include "proto/pci.h"
#include "../servers/pci/pci_scan.h"

static mos_handle_t find_pci(void)
{
    mos_handle_t h = mos_cap_by_name("pci");
    if (h)
        return h;
    mos_handle_t init = mos_cap_by_name("init");
    if (!init)
        return 0;
    struct mos_msg r;
    static const char name[] = "pci";
    long e = mos_call(init, INIT_LOOKUP, NULL, name, sizeof name, NULL, 0, &r);
    if (e == 0)
        e = (int32_t)mos_msg_label(r.info);
    if (e < 0 || mos_msg_ncaps(r.info) < 1) {
        printf("lspci: INIT_LOOKUP pci: %s\n", mos_strerror(e < 0 ? e : -MOS_ENOENT));
        return 0;
    }
    return mos_msg_cap(&r, 0);
}

static void size_text(uint64_t b, char *out, size_t n)
{
    static const char units[] = "BKMGT";
    unsigned u = 0;
    while (u + 1 < sizeof units - 1 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        u++;
    }
    snprintf(out, n, "%llu%c", (unsigned long long)b, units[u]);
}

static void show(const struct pci_dev_info *d, bool quiet)
{
    char irq[8] = "-";
    if (d->irq_pin)
        snprintf(irq, sizeof irq, "%u%c", d->irq_line, "-ABCD"[d->irq_pin]);
    printf("%02x:%02x.%x  %04x:%04x  %-14s %02x.%02x.%02x  irq %-4s%s\n", d->bdf >> 8, (d->bdf >> 3) & 0x1F,
           d->bdf & 7, d->vendor, d->device, pci_class_name(d->class_code, d->subclass), d->class_code,
           d->subclass, d->prog_if, irq, d->claimed ? "  [driver]" : "");
    if (quiet)
        return;
    for (unsigned i = 0; i < d->nbars && i < PCI_MAX_BARS; i++) {
        const struct pci_bar_info *b = &d->bar[i];
        if (b->base == 0 || (b->flags & PCI_BAR_UPPER))
            continue;
        char sz[16] = "?";
        if (!(b->flags & PCI_BAR_UNSIZED))
            size_text(b->size, sz, sizeof sz);
        printf("    bar%u %-5s%s 0x%llx %s%s\n", i,
               (b->flags & PCI_BAR_IO) ? "io" : (b->flags & PCI_BAR_MEM64) ? "mem64" : "mem32",
               (b->flags & PCI_BAR_PREFETCH) ? " pref" : "", (unsigned long long)b->base, sz,
               (b->flags & PCI_BAR_SHARED_PAGE) ? " (shares a page)" : "");
    }
}

int main(int argc, char **argv)
{
    bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    mos_handle_t pci = find_pci();
    if (!pci) {
        printf("lspci: no capability for the pci service (\"pci\", or \"init\" to look it up)\n");
        return 1;
    }
    static struct pci_dev_info devs[PCI_SCAN_MAX];
    uint64_t got = 0, total = 1;
    while (got < total && got < PCI_SCAN_MAX) {
        struct mos_msg r;
        uint64_t w[MOS_MSG_WORDS] = { got };
        long e = mos_call(pci, PCI_LIST, w, NULL, 0, NULL, 0, &r);
        if (e == 0)
            e = (int32_t)mos_msg_label(r.info);
        if (e < 0) {
            printf("lspci: PCI_LIST: %s\n", mos_strerror(e));
            return 1;
        }
        uint64_t n = r.w[0];
        total = r.w[1];
        if (n == 0 || n * sizeof devs[0] != mos_msg_bytes(r.info) || got + n > PCI_SCAN_MAX)
            break;
        memcpy(&devs[got], mos_msg_data(&r), n * sizeof devs[0]);
        got += n;
    }
    for (uint64_t i = 0; i < got; i++)
        show(&devs[i], quiet);
    printf("lspci: %llu function%s\n", (unsigned long long)got, got == 1 ? "" : "s");
    return 0;
}
