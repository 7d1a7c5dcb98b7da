// SPDX-License-Identifier: MIT
/* test_manifest.c - init's manifest parser (user/init/manifest.c): the real
 * /etc/init.conf, defaults and every value, each error path (reported with
 * its line, the line skipped, the rest kept), the limits on names, paths,
 * numbers, capabilities and services, use: resolution (forward references,
 * unknown or skipped services, aliases), dependency order and cycles, and
 * the restart back-off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "manifest.h"

static struct manifest m;

#define MAX_MSGS 64
static char msgs[MAX_MSGS][200];
static unsigned nmsgs;

static void collect(void *ctx, unsigned line, const char *msg)
{
    (void)ctx;
    assert_true(nmsgs < MAX_MSGS);
    snprintf(msgs[nmsgs++], sizeof msgs[0], "%u: %s", line, msg);
}

static unsigned parse(const char *text)
{
    nmsgs = 0;
    unsigned e = manifest_parse(&m, text, strlen(text), collect, NULL);
    assert_int_equal(e, nmsgs);
    assert_int_equal(m.errors, nmsgs);
    return e;
}

/* Exactly one problem, with this text; `kept` services survive. */
static void expect_one(const char *text, const char *msg, unsigned kept)
{
    unsigned e = parse(text);
    if (e != 1 || strcmp(msgs[0], msg) != 0) {
        for (unsigned i = 0; i < nmsgs; i++)
            fprintf(stderr, "  got: %s\n", msgs[i]);
        fprintf(stderr, "  want: %s\n", msg);
        fail();
    }
    assert_int_equal(m.n, kept);
}

static const struct mf_cap *cap(const struct mf_service *s, const char *name)
{
    for (unsigned i = 0; i < s->ncaps; i++) {
        if (strcmp(s->caps[i].name, name) == 0)
            return &s->caps[i];
    }
    fail_msg("no cap %s in %s", name, s->name);
    return NULL;
}

/* ---------------------------------------------------------------- good files */

static void read_file(const char *path, char *text, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t n = fread(text, 1, size - 1, f);
    fclose(f);
    text[n] = '\0';
}

static const struct mf_service *svc(const char *name)
{
    int i = manifest_find(&m, name);
    if (i < 0)
        fail_msg("no service %s", name);
    return &m.svc[i];
}

/* The real /etc/init.conf: services looked up by name (other services may
 * be added), their order by dependency. */
static void test_real_file(void **state)
{
    (void)state;
    static char text[16384];
    read_file(INIT_CONF_PATH, text, sizeof text);
    assert_int_equal(parse(text), 0);
    assert_true(m.n >= 5);
    const struct mf_service *serial = svc("serial"), *vfs = svc("vfs"), *shell = svc("shell");
    assert_string_equal(serial->name, "serial");
    assert_string_equal(serial->path, "/bin/serial");
    assert_string_equal(serial->provides, "console");
    assert_int_equal(serial->prio, 20);
    assert_int_equal(serial->quota_pages, 256);
    assert_int_equal(serial->restart, MF_RESTART_ALWAYS);
    assert_int_equal(serial->max_restarts, 10);
    assert_int_equal(serial->backoff_ms, 100);
    assert_int_equal(serial->ncaps, 4);
    assert_string_equal(serial->caps[0].name, "ep");
    assert_string_equal(serial->caps[1].name, "ioports");
    assert_int_equal(serial->caps[1].first, 0x3f8);
    assert_int_equal(serial->caps[1].count, 8);
    assert_string_equal(serial->caps[2].name, "irq");
    assert_int_equal(serial->caps[2].first, 4);
    assert_string_equal(serial->caps[3].name, "init");
    assert_int_equal(serial->caps[3].target, MF_TARGET_INIT);
    assert_false(serial->caps[3].control);

    assert_string_equal(vfs->name, "vfs");
    assert_string_equal(vfs->provides, "vfs");
    assert_int_equal(cap(vfs, "initrd")->kind, MF_CAP_INITRD);
    assert_int_equal(cap(vfs, "console")->target, manifest_find(&m, "serial"));

    assert_string_equal(shell->name, "shell");
    assert_string_equal(shell->provides, "");
    assert_int_equal(shell->max_restarts, 100);
    assert_int_equal(shell->backoff_ms, 500);
    assert_int_equal(cap(shell, "console")->target, manifest_find(&m, "serial"));
    assert_int_equal(cap(shell, "vfs")->target, manifest_find(&m, "vfs"));
    assert_true(cap(shell, "init")->control);
    assert_int_equal(cap(shell, "init")->target, MF_TARGET_INIT);

    /* The PCI service: the configuration ports and the device memory only. */
    const struct mf_service *pci = svc("pci"), *nic = svc("virtio-net");
    assert_string_equal(pci->provides, "pci");
    assert_int_equal(pci->ncaps, 3);
    assert_int_equal(cap(pci, "ioports")->first, 0xCF8);
    assert_int_equal(cap(pci, "ioports")->count, 8);
    assert_int_equal(cap(pci, "devmem")->kind, MF_CAP_DEVMEM);
    assert_int_equal(pci->restart, MF_RESTART_ALWAYS);
    /* The driver: its endpoint (published as "netdev") and its device. */
    assert_string_equal(nic->provides, "netdev");
    assert_int_equal(nic->ncaps, 2);
    const struct mf_cap *dev = cap(nic, "pcidev");
    assert_int_equal(dev->kind, MF_CAP_PCI);
    assert_int_equal(dev->vendor, 0x1AF4);
    assert_int_equal(dev->device, 0x1041);
    assert_int_equal(dev->index, 0);
    assert_int_equal(dev->target, manifest_find(&m, "pci"));
    assert_true(manifest_find(&m, "pci") < manifest_find(&m, "virtio-net"));
    assert_int_equal(manifest_find_endpoint(&m, "netdev"), manifest_find(&m, "virtio-net"));
    for (unsigned i = 0; i < m.n; i++) {                /* nobody else reaches devices */
        if (&m.svc[i] == pci || &m.svc[i] == nic)
            continue;
        for (unsigned c = 0; c < m.svc[i].ncaps; c++) {
            assert_int_not_equal(m.svc[i].caps[c].kind, MF_CAP_DEVMEM);
            assert_int_not_equal(m.svc[i].caps[c].kind, MF_CAP_PCI);
        }
    }

    assert_int_equal(manifest_find_endpoint(&m, "console"), manifest_find(&m, "serial"));
    assert_int_equal(manifest_find_endpoint(&m, "serial"), -1);
    assert_int_equal(manifest_find_endpoint(&m, "vfs"), manifest_find(&m, "vfs"));
    assert_int_equal(manifest_find_endpoint(&m, "shell"), -1);
    assert_true(manifest_find(&m, "shell") >= 0);
    assert_int_equal(manifest_find(&m, "console"), -1);
    assert_int_equal(manifest_find(&m, "nosuch"), -1);
}

/* The driver test image's manifest (/etc/nettest.conf) parses cleanly too. */
static void test_nettest_file(void **state)
{
    (void)state;
    static char path[512], text[16384];
    snprintf(path, sizeof path, "%s", INIT_CONF_PATH);
    char *slash = strrchr(path, '/');
    assert_non_null(slash);
    snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "nettest.conf");
    read_file(path, text, sizeof text);
    assert_int_equal(parse(text), 0);
    const struct mf_service *t = svc("nettest");
    assert_int_equal(cap(t, "netdev")->target, manifest_find(&m, "virtio-net"));
    assert_int_equal(cap(t, "pci")->target, manifest_find(&m, "pci"));
    assert_true(cap(t, "init")->control);
    assert_true(manifest_find(&m, "virtio-net") < manifest_find(&m, "nettest"));
}

/* cap=devmem and cap=pci:VENDOR:DEVICE[:INDEX]. */
static void test_pci_caps(void **state)
{
    (void)state;
    /* The driver is declared first: it still starts after the pci service. */
    assert_int_equal(parse("service nic /bin/nic provides=netdev cap=ep cap=pci:1AF4:0x1041:2\n"
                           "service pci /bin/pci provides=yes cap=ep cap=ioport:0xcf8:8 cap=devmem\n"), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.svc[0].name, "pci");
    assert_int_equal(cap(&m.svc[0], "devmem")->kind, MF_CAP_DEVMEM);
    const struct mf_cap *c = cap(&m.svc[1], "pcidev");
    assert_int_equal(c->kind, MF_CAP_PCI);
    assert_int_equal(c->vendor, 0x1AF4);
    assert_int_equal(c->device, 0x1041);
    assert_int_equal(c->index, 2);
    assert_int_equal(c->target, 0);
    assert_int_equal(parse("service pci /bin/pci provides=yes cap=ep\nservice d /bin/d cap=pci:0:ffff cap=use:pci\n"), 0);
    assert_int_equal(cap(&m.svc[1], "pcidev")->device, 0xFFFF);
    assert_int_equal(cap(&m.svc[1], "pcidev")->vendor, 0);
    /* An alias: whoever publishes "pci". */
    assert_int_equal(parse("service bus /bin/bus provides=pci cap=ep\nservice d /bin/d cap=pci:8086:100e\n"), 0);
    assert_int_equal(cap(&m.svc[1], "pcidev")->target, 0);

    const char *pci = "service pci /bin/pci provides=yes cap=ep\n";
    char text[512];
    static const struct { const char *spec, *msg; } bad[] = {
        { "pci:1af4", "2: bad capability 'pci:1af4' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci", "2: bad capability 'pci' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:1af4:", "2: bad capability 'pci:1af4:' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:xyz:1041", "2: bad capability 'pci:xyz:1041' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:12345:1041", "2: bad capability 'pci:12345:1041' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:0x:1041", "2: bad capability 'pci:0x:1041' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:ffff:1041", "2: bad capability 'pci:ffff:1041' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:1af4:1041:256", "2: bad capability 'pci:1af4:1041:256' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:1af4:1041:x", "2: bad capability 'pci:1af4:1041:x' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "pci:1af4:1041:1:2", "2: bad capability 'pci:1af4:1041:1:2' (pci:VENDOR:DEVICE[:INDEX], hex IDs, INDEX 0..255)" },
        { "devmem:1", "2: unknown capability 'devmem:1'" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%sservice d /bin/d cap=%s\n", pci, bad[i].spec);
        expect_one(text, bad[i].msg, 1);
    }
    /* One device per service; its names are reserved. */
    snprintf(text, sizeof text, "%sservice d /bin/d cap=pci:1af4:1041 cap=pci:1af4:1000\n", pci);
    expect_one(text, "2: duplicate capability 'pcidev'", 1);
    snprintf(text, sizeof text, "%sservice d /bin/d cap=irq:11 cap=pci:1af4:1041\n", pci);
    expect_one(text, "2: capability 'irq' clashes with the names cap=pci gives (pcidev, bar0..bar5, irq)", 1);
    snprintf(text, sizeof text, "%sservice d /bin/d cap=pci:1af4:1041 cap=irq:11\n", pci);
    expect_one(text, "2: capability 'irq' clashes with the names cap=pci gives (pcidev, bar0..bar5, irq)", 1);
    snprintf(text, sizeof text, "service bar4 /bin/x provides=yes cap=ep\n%s"
                                "service d /bin/d cap=use:bar4 cap=pci:1af4:1041\n", pci);
    expect_one(text, "3: capability 'bar4' clashes with the names cap=pci gives (pcidev, bar0..bar5, irq)", 2);
    snprintf(text, sizeof text, "service bar6 /bin/x provides=yes cap=ep\n%s"
                                "service d /bin/d cap=use:bar6 cap=pci:1af4:1041\n", pci);
    assert_int_equal(parse(text), 0);                   /* bar6 is no BAR name */
    /* Nobody publishes "pci"; or the pci service wants a device itself. */
    expect_one("service d /bin/d cap=pci:1af4:1041\n", "1: d: cap=pci:1af4:1041, but no service publishes 'pci'", 0);
    expect_one("service pci /bin/pci provides=yes cap=ep cap=pci:1af4:1041\n", "1: pci: uses itself", 0);
    /* A skipped pci service takes its drivers with it. */
    unsigned e = parse("service pci /bin/pci provides=yes cap=ep prio=99\nservice d /bin/d cap=pci:1af4:1041\n");
    assert_int_equal(e, 2);
    assert_int_equal(m.n, 0);
}

static void test_defaults_and_syntax(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(m.n, 0);
    assert_int_equal(parse("# only a comment\n\n   \t\n"), 0);
    assert_int_equal(m.n, 0);
    /* no trailing newline, CRLF, tabs, trailing comment */
    assert_int_equal(parse("service a /bin/a # comment cap=bogus\r\n\tservice\tb\t/b/c  prio=29"), 0);
    assert_int_equal(m.n, 2);
    const struct mf_service *a = &m.svc[0];
    assert_string_equal(a->name, "a");
    assert_string_equal(a->path, "/bin/a");
    assert_int_equal(a->prio, MF_PRIO_DEFAULT);
    assert_int_equal(a->quota_pages, MF_QUOTA_DEFAULT);
    assert_int_equal(a->slots, MF_SLOTS_DEFAULT);
    assert_int_equal(a->restart, MF_RESTART_NEVER);
    assert_int_equal(a->ncaps, 0);
    assert_string_equal(a->provides, "");
    assert_int_equal(a->line, 1);
    assert_int_equal(m.svc[1].prio, 29);
    assert_int_equal(m.svc[1].line, 2);

    /* every key, limits inclusive, hex */
    assert_int_equal(parse("service x /x prio=1 quota=0x10 slots=65536 restart=always provides=no\n"
                           "service y /y prio=29 quota=1048576 slots=16 restart=always:0\n"
                           "service z /z restart=always:1000:60000 provides=yes cap=ep\n"
                           "service w /w restart=always:5:1 provides=zz cap=ep cap=ioport:0xffff:1 "
                           "cap=irq:255 cap=initrd\n"
                           "service v /v cap=ioport:0:0x10000 cap=irq:0 restart=never prio=0X1D quota=0xAbC\n"),
                     0);
    assert_int_equal(m.n, 5);
    assert_int_equal(m.svc[4].prio, 29);
    assert_int_equal(m.svc[4].quota_pages, 0xabc);
    assert_int_equal(m.svc[0].prio, 1);
    assert_int_equal(m.svc[0].quota_pages, 16);
    assert_int_equal(m.svc[0].slots, 65536);
    assert_int_equal(m.svc[0].restart, MF_RESTART_ALWAYS);
    assert_int_equal(m.svc[0].max_restarts, MF_RESTARTS_DEFAULT);
    assert_int_equal(m.svc[0].backoff_ms, MF_BACKOFF_DEFAULT);
    assert_int_equal(m.svc[1].quota_pages, 1048576);
    assert_int_equal(m.svc[1].slots, 16);
    assert_int_equal(m.svc[1].max_restarts, 0);
    assert_int_equal(m.svc[2].max_restarts, 1000);
    assert_int_equal(m.svc[2].backoff_ms, 60000);
    assert_string_equal(m.svc[2].provides, "z");
    assert_string_equal(m.svc[3].provides, "zz");
    assert_int_equal(cap(&m.svc[3], "ioports")->first, 0xffff);
    assert_int_equal(cap(&m.svc[3], "ioports")->count, 1);
    assert_int_equal(cap(&m.svc[3], "irq")->first, 255);
    assert_int_equal(cap(&m.svc[3], "irq")->count, 1);
    assert_int_equal(cap(&m.svc[4], "ioports")->first, 0);
    assert_int_equal(cap(&m.svc[4], "ioports")->count, 0x10000);
    assert_int_equal(m.svc[4].restart, MF_RESTART_NEVER);

    /* longest name, path and line */
    char text[1024];
    char path[MF_PATH_MAX + 1];
    memset(path, 'p', MF_PATH_MAX);
    path[0] = '/';
    path[MF_PATH_MAX] = '\0';
    snprintf(text, sizeof text, "service abcdefghijklmno %s", path);
    size_t n = strlen(text);
    memset(text + n, ' ', MF_LINE_MAX - n);
    text[MF_LINE_MAX] = '\0';
    assert_int_equal(parse(text), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.svc[0].name, "abcdefghijklmno");
    assert_string_equal(m.svc[0].path, path);

    /* names may use digits, '_' and '-' after the first letter */
    assert_int_equal(parse("service a-b_9 /a provides=c-d_0 cap=ep\nservice b /b cap=use:c-d_0\n"), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(cap(&m.svc[1], "c-d_0")->name, "c-d_0");
}

static void test_max_caps_and_services(void **state)
{
    (void)state;
    char text[8192] = "";
    size_t n = 0;
    /* MF_MAX_CAPS capabilities: ep, initrd, irq, ioports, init, and 11 services */
    for (unsigned i = 0; i < 11; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "service s%u /s provides=yes cap=ep\n", i);
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "service big /big provides=yes cap=ep cap=initrd cap=irq:1 cap=ioport:1:1 cap=use:init");
    for (unsigned i = 0; i < 11; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, " cap=use:s%u", i);
    n += (size_t)snprintf(text + n, sizeof text - n, "\n");
    assert_int_equal(parse(text), 0);
    assert_int_equal(m.n, 12);
    assert_int_equal(m.svc[11].ncaps, MF_MAX_CAPS);

    /* one more */
    text[n - 1] = '\0';
    strcat(text, " cap=use:s0:control\n");
    /* (the 17th cap is rejected before its own checks) */
    expect_one(text, "12: too many capabilities (max 16)", 11);

    /* MF_MAX_SERVICES services, then one more */
    n = 0;
    for (unsigned i = 0; i < MF_MAX_SERVICES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "service s%u /s\n", i);
    assert_int_equal(parse(text), 0);
    assert_int_equal(m.n, MF_MAX_SERVICES);
    snprintf(text + n, sizeof text - n, "service extra /s\n");
    expect_one(text, "33: too many services (max 32)", MF_MAX_SERVICES);
}

/* ---------------------------------------------------------------- line errors */

struct bad_line {
    const char *line;
    const char *msg;
};

/* Each bad line sits on line 2, between two good services; both good ones
 * survive and exactly one problem is reported. */
static const struct bad_line bad_lines[] = {
    { "servce x /x", "unknown directive 'servce'" },
    { "service", "service: missing name and path" },
    { "service x", "service: missing path" },
    { "service X /x", "bad service name 'X' (1..15 of a-z 0-9 _ -, first a letter)" },
    { "service 1x /x", "bad service name '1x' (1..15 of a-z 0-9 _ -, first a letter)" },
    { "service a.b /x", "bad service name 'a.b' (1..15 of a-z 0-9 _ -, first a letter)" },
    { "service abcdefghijklmnop /x", "bad service name 'abcdefghijklmnop' (1..15 of a-z 0-9 _ -, first a letter)" },
    { "service init /x", "the name 'init' is reserved" },
    { "service first /x", "duplicate name 'first' (line 1)" },
    { "service x bin/x", "bad path 'bin/x' (absolute, a file, at most 63 characters)" },
    { "service x /", "bad path '/' (absolute, a file, at most 63 characters)" },
    { "service x /bin/", "bad path '/bin/' (absolute, a file, at most 63 characters)" },
    { "service x /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "bad path '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (absolute, a file, at most 63 characters)" },
    { "service x /x prio", "expected key=value, got 'prio'" },
    { "service x /x =5", "expected key=value, got '=5'" },
    { "service x /x prioo=5", "unknown key 'prioo'" },
    { "service x /x prio=5 prio=6", "duplicate key 'prio'" },
    { "service x /x restart=never restart=never", "duplicate key 'restart'" },
    { "service x /x prio=0", "bad value for prio: '0' (1..29)" },
    { "service x /x prio=30", "bad value for prio: '30' (1..29)" },
    { "service x /x prio=", "bad value for prio: '' (1..29)" },
    { "service x /x prio=-1", "bad value for prio: '-1' (1..29)" },
    { "service x /x prio=1x", "bad value for prio: '1x' (1..29)" },
    { "service x /x prio=0x", "bad value for prio: '0x' (1..29)" },
    { "service x /x prio=0x1g", "bad value for prio: '0x1g' (1..29)" },
    { "service x /x prio=99999999999999999999999", "bad value for prio: '99999999999999999999999' (1..29)" },
    { "service x /x quota=15", "bad value for quota: '15' (16..1048576)" },
    { "service x /x quota=1048577", "bad value for quota: '1048577' (16..1048576)" },
    { "service x /x quota=18446744073709551616", "bad value for quota: '18446744073709551616' (16..1048576)" },
    { "service x /x slots=15", "bad value for slots: '15' (16..65536)" },
    { "service x /x slots=65537", "bad value for slots: '65537' (16..65536)" },
    { "service x /x restart=sometimes", "bad restart policy 'sometimes' (never | always[:max[:backoff_ms[:cap_ms]]])" },
    { "service x /x restart=never:3", "bad restart policy 'never:3' (never | always[:max[:backoff_ms[:cap_ms]]])" },
    { "service x /x restart=always:1:2:3:4", "bad restart policy 'always:1:2:3:4' (never | always[:max[:backoff_ms[:cap_ms]]])" },
    { "service x /x restart=always:5:10:9", "bad value for restart cap_ms: '9' (10..60000)" },
    { "service x /x restart=always:5:10:60001", "bad value for restart cap_ms: '60001' (10..60000)" },
    { "service x /x restart=always:1001", "bad value for restart max: '1001' (0..1000)" },
    { "service x /x restart=always:", "bad value for restart max: '' (0..1000)" },
    { "service x /x restart=always:5:0", "bad value for restart backoff_ms: '0' (1..60000)" },
    { "service x /x restart=always:5:60001", "bad value for restart backoff_ms: '60001' (1..60000)" },
    { "service x /x restart=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "bad restart policy 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (never | always[:max[:backoff_ms[:cap_ms]]])" },
    { "service x /x provides=Maybe cap=ep", "bad value for provides: 'Maybe' (yes, no or a name)" },
    { "service x /x provides=init cap=ep", "bad value for provides: 'init' (yes, no or a name)" },
    { "service x /x provides=first cap=ep", "duplicate name 'first' (line 1)" },
    { "service x /x provides=yes", "provides=x without cap=ep: nobody would serve it" },
    { "service x /x cap=ep", "cap=ep needs provides=yes (or provides=NAME)" },
    { "service x /x cap=ep provides=no", "cap=ep needs provides=yes (or provides=NAME)" },
    { "service x /x cap=disk", "unknown capability 'disk'" },
    { "service x /x cap=", "unknown capability ''" },
    { "service x /x cap=ep:1", "unknown capability 'ep:1'" },
    { "service x /x cap=initrd:rw", "unknown capability 'initrd:rw'" },
    { "service x /x cap=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "unknown capability 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
    { "service x /x cap=ioport", "bad capability 'ioport' (ioport:FIRST:COUNT)" },
    { "service x /x cap=ioport:0x3f8", "bad capability 'ioport:0x3f8' (ioport:FIRST:COUNT)" },
    { "service x /x cap=ioport:1:2:3", "bad capability 'ioport:1:2:3' (ioport:FIRST:COUNT)" },
    { "service x /x cap=ioport:0x3f8:0", "bad capability 'ioport:0x3f8:0' (ports 0..0xffff, COUNT >= 1)" },
    { "service x /x cap=ioport:0x10000:1", "bad capability 'ioport:0x10000:1' (ports 0..0xffff, COUNT >= 1)" },
    { "service x /x cap=ioport:0xffff:2", "bad capability 'ioport:0xffff:2' (ports 0..0xffff, COUNT >= 1)" },
    { "service x /x cap=ioport:1:0x10000", "bad capability 'ioport:1:0x10000' (ports 0..0xffff, COUNT >= 1)" },
    { "service x /x cap=ioport:a:1", "bad capability 'ioport:a:1' (ports 0..0xffff, COUNT >= 1)" },
    { "service x /x cap=irq", "bad capability 'irq' (irq:LINE, LINE 0..255)" },
    { "service x /x cap=irq:256", "bad capability 'irq:256' (irq:LINE, LINE 0..255)" },
    { "service x /x cap=irq:4:5", "bad capability 'irq:4:5' (irq:LINE, LINE 0..255)" },
    { "service x /x cap=use", "bad capability 'use' (use:SERVICE[:control])" },
    { "service x /x cap=use:", "bad capability 'use:' (use:SERVICE[:control])" },
    { "service x /x cap=use:Vfs", "bad capability 'use:Vfs' (use:SERVICE[:control])" },
    { "service x /x cap=use:init:admin", "bad capability 'use:init:admin' (use:SERVICE[:control])" },
    { "service x /x cap=use:init:control:x", "bad capability 'use:init:control:x' (use:SERVICE[:control])" },
    { "service x /x cap=use:first:control", "bad capability 'use:first:control': only use:init takes :control" },
    { "service x /x cap=irq:3 cap=irq:4", "duplicate capability 'irq'" },
    { "service x /x cap=use:init cap=use:init:control", "duplicate capability 'init'" },
    { "service x /x cap=use:first cap=use:first", "duplicate capability 'first'" },
    { "service x /x\x01", "invalid character 0x01 in column 13" },
    { "service x /x \xc3\xa9", "invalid character 0xc3 in column 14" },
    { "service x /x\x7f", "invalid character 0x7f in column 13" },
};

static void test_bad_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        char text[1024], want[300];
        snprintf(text, sizeof text, "service first /f provides=yes cap=ep\n%s\nservice last /l cap=use:first\n",
                 bad_lines[i].line);
        snprintf(want, sizeof want, "2: %s", bad_lines[i].msg);
        expect_one(text, want, 2);
        assert_string_equal(m.svc[0].name, "first");
        assert_string_equal(m.svc[1].name, "last");
    }
}

static void test_line_too_long(void **state)
{
    (void)state;
    char text[2048];
    int n = snprintf(text, sizeof text, "service a /a\nservice b /b");
    memset(text + n, ' ', MF_LINE_MAX + 1 - (size_t)(n - 13));
    snprintf(text + 13 + MF_LINE_MAX + 1, sizeof text - 13 - MF_LINE_MAX - 1, "\nservice c /c\n");
    expect_one(text, "2: line too long (max 511 characters)", 2);
    assert_string_equal(m.svc[0].name, "a");
    assert_string_equal(m.svc[1].name, "c");
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "service a /a\nservice b /b\0x\nservice c /c\n";
    nmsgs = 0;
    assert_int_equal(manifest_parse(&m, text, sizeof text - 1, collect, NULL), 1);
    assert_string_equal(msgs[0], "2: invalid character 0x00 in column 13");
    assert_int_equal(m.n, 2);
    /* report may be NULL */
    assert_int_equal(manifest_parse(&m, text, sizeof text - 1, NULL, NULL), 1);
    assert_int_equal(m.errors, 1);
}

static void test_several_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("service a /a prioo=1\n"
                           "\n"
                           "service b /b\n"
                           "bogus\n"
                           "service c /c quota=1\n"
                           "service b /b2\n"),
                     4);
    assert_string_equal(msgs[0], "1: unknown key 'prioo'");
    assert_string_equal(msgs[1], "4: unknown directive 'bogus'");
    assert_string_equal(msgs[2], "5: bad value for quota: '1' (16..1048576)");
    assert_string_equal(msgs[3], "6: duplicate name 'b' (line 3)");
    assert_int_equal(m.n, 1);
    assert_string_equal(m.svc[0].path, "/b");
}

/* ---------------------------------------------------------------- names, order */

static void test_resolution_errors(void **state)
{
    (void)state;
    expect_one("service a /a cap=use:nobody\nservice b /b\n", "1: a: unknown service 'nobody' in use:nobody", 1);
    assert_string_equal(m.svc[0].name, "b");
    expect_one("service a /a\nservice b /b cap=use:a\n", "2: b: use:a, but 'a' provides no endpoint", 1);
    expect_one("service ser /s provides=console cap=ep\nservice b /b cap=use:ser\n",
               "2: b: use:ser, but 'ser' publishes its endpoint as 'console'", 1);
    expect_one("service a /a provides=yes cap=ep cap=use:a\n", "1: a: uses itself", 0);
    /* an alias must not be another service's name, in either order */
    expect_one("service a /a provides=b cap=ep\nservice b /b\n", "2: duplicate name 'b' (line 1)", 1);
    expect_one("service b /b\nservice a /a provides=b cap=ep\n", "2: duplicate name 'b' (line 1)", 1);
    expect_one("service a /a provides=x cap=ep\nservice b /b provides=x cap=ep\n",
               "2: duplicate name 'x' (line 1)", 1);
}

static void test_skipped_dependency_cascades(void **state)
{
    (void)state;
    /* c uses b uses a (declared in reverse); a's line is bad */
    assert_int_equal(parse("service c /c cap=use:b\n"
                           "service b /b provides=yes cap=ep cap=use:a\n"
                           "service a /a provides=yes cap=ep prio=99\n"
                           "service d /d cap=use:init\n"),
                     3);
    assert_string_equal(msgs[0], "3: bad value for prio: '99' (1..29)");
    assert_string_equal(msgs[1], "2: b: unknown service 'a' in use:a");
    assert_string_equal(msgs[2], "1: c: skipped, because it uses 'b' (line 2), which was skipped");
    assert_int_equal(m.n, 1);
    assert_string_equal(m.svc[0].name, "d");
}

static void test_dependency_order(void **state)
{
    (void)state;
    /* shell first in the file, its servers later and in reverse */
    assert_int_equal(parse("service shell /shell cap=use:vfs cap=use:console cap=use:init:control\n"
                           "service other /other\n"
                           "service vfs /vfs provides=yes cap=ep cap=use:console\n"
                           "service serial /serial provides=console cap=ep\n"),
                     0);
    assert_int_equal(m.n, 4);
    assert_string_equal(m.svc[0].name, "other");
    assert_string_equal(m.svc[1].name, "serial");
    assert_string_equal(m.svc[2].name, "vfs");
    assert_string_equal(m.svc[3].name, "shell");
    assert_int_equal(cap(&m.svc[2], "console")->target, 1);
    assert_int_equal(cap(&m.svc[3], "console")->target, 1);
    assert_int_equal(cap(&m.svc[3], "vfs")->target, 2);
    assert_int_equal(cap(&m.svc[3], "init")->target, MF_TARGET_INIT);
    /* every target comes before its user */
    for (unsigned k = 0; k < m.n; k++) {
        for (unsigned i = 0; i < m.svc[k].ncaps; i++) {
            const struct mf_cap *c = &m.svc[k].caps[i];
            if (c->kind == MF_CAP_USE && c->target != MF_TARGET_INIT)
                assert_true(c->target < k);
        }
    }
    /* file order is kept when there are no dependencies */
    assert_int_equal(parse("service c /c\nservice a /a\nservice b /b\n"), 0);
    assert_string_equal(m.svc[0].name, "c");
    assert_string_equal(m.svc[1].name, "a");
    assert_string_equal(m.svc[2].name, "b");
}

static void test_cycles(void **state)
{
    (void)state;
    /* a <-> b, c uses a, d independent, e -> f -> g -> e */
    assert_int_equal(parse("service a /a provides=yes cap=ep cap=use:b\n"
                           "service b /b provides=yes cap=ep cap=use:a\n"
                           "service c /c cap=use:a\n"
                           "service d /d provides=yes cap=ep\n"
                           "service e /e provides=yes cap=ep cap=use:f cap=use:d\n"
                           "service f /f provides=yes cap=ep cap=use:g\n"
                           "service g /g provides=yes cap=ep cap=use:e\n"
                           "service h /h cap=use:d\n"),
                     3);
    assert_string_equal(msgs[0], "1: dependency cycle: a -> b -> a");
    assert_string_equal(msgs[1], "3: c: skipped, because it uses 'a' (line 1), which was skipped");
    assert_string_equal(msgs[2], "5: dependency cycle: e -> f -> g -> e");
    assert_int_equal(m.n, 2);
    assert_string_equal(m.svc[0].name, "d");
    assert_string_equal(m.svc[1].name, "h");
    assert_int_equal(cap(&m.svc[1], "d")->target, 0);
}

static void test_cycle_entered_from_outside(void **state)
{
    (void)state;
    /* x waits on the cycle y <-> z: the cycle is reported, x cascades */
    assert_int_equal(parse("service x /x cap=use:y\n"
                           "service y /y provides=yes cap=ep cap=use:z\n"
                           "service z /z provides=yes cap=ep cap=use:y\n"),
                     2);
    assert_string_equal(msgs[0], "2: dependency cycle: y -> z -> y");
    assert_string_equal(msgs[1], "1: x: skipped, because it uses 'y' (line 2), which was skipped");
    assert_int_equal(m.n, 0);
}

static void test_backoff(void **state)
{
    (void)state;
    struct mf_service s = { .backoff_ms = 100 };
    assert_int_equal(manifest_backoff_ms(&s, 1), 100);
    assert_int_equal(manifest_backoff_ms(&s, 2), 200);
    assert_int_equal(manifest_backoff_ms(&s, 3), 400);
    assert_int_equal(manifest_backoff_ms(&s, 7), 6400);
    assert_int_equal(manifest_backoff_ms(&s, 8), MF_BACKOFF_CAP_MS);
    assert_int_equal(manifest_backoff_ms(&s, 1000), MF_BACKOFF_CAP_MS);
    assert_int_equal(manifest_backoff_ms(&s, 0xFFFFFFFFu), MF_BACKOFF_CAP_MS);
    s.backoff_ms = 60000;                       /* a base above the cap stays */
    assert_int_equal(manifest_backoff_ms(&s, 1), 60000);
    assert_int_equal(manifest_backoff_ms(&s, 5), 60000);
    s.backoff_ms = 1;
    assert_int_equal(manifest_backoff_ms(&s, 0), 1);
    assert_int_equal(manifest_backoff_ms(&s, 14), 8192);
    assert_int_equal(manifest_backoff_ms(&s, 15), MF_BACKOFF_CAP_MS);
    s.backoff_cap_ms = 1;                       /* restart=always:M:1:1: fixed (the chaos test) */
    assert_int_equal(manifest_backoff_ms(&s, 1), 1);
    assert_int_equal(manifest_backoff_ms(&s, 1000), 1);
    s.backoff_ms = 5;
    s.backoff_cap_ms = 40;
    assert_int_equal(manifest_backoff_ms(&s, 4), 40);
    assert_int_equal(manifest_backoff_ms(&s, 5), 40);
    struct manifest m;
    assert_int_equal(manifest_parse(&m, "service x /x restart=always:1000:2:2\n", 37, NULL, NULL), 0);
    assert_int_equal(m.svc[0].max_restarts, 1000);
    assert_int_equal(m.svc[0].backoff_cap_ms, 2);
    assert_int_equal(manifest_backoff_ms(&m.svc[0], 900), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_file),
        cmocka_unit_test(test_defaults_and_syntax),
        cmocka_unit_test(test_max_caps_and_services),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_several_errors),
        cmocka_unit_test(test_resolution_errors),
        cmocka_unit_test(test_skipped_dependency_cascades),
        cmocka_unit_test(test_dependency_order),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_cycle_entered_from_outside),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_nettest_file),
        cmocka_unit_test(test_pci_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
