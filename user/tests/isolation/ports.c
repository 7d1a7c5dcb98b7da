// SPDX-License-Identifier: MIT
/* isolation: without an IOPORT capability a process cannot touch a port
 * (the I/O permission bitmap denies every port: in/out raise #GP), and the
 * privileged instructions fault too. The suite holds no IOPORT root (init
 * keeps it), so the positive half (a capability for exactly port 0x80) is
 * not testable here; what is tested is that nobody below init has one and
 * that none is needed to be refused. */
#include "kid.h"

/* Each variant executes one instruction at a global label, so the parent
 * can check the exact faulting instruction. */
extern const char iso_io_0[], iso_io_1[], iso_io_2[], iso_io_3[], iso_io_4[], iso_io_5[], iso_io_6[],
    iso_io_7[];
extern const char iso_priv_0[], iso_priv_1[], iso_priv_2[], iso_priv_3[], iso_priv_4[], iso_priv_5[];

UTEST_CHILD(port_io)
{
    switch (arg) {
    case 0: __asm__ volatile(".globl iso_io_0\niso_io_0: inb $0x80, %%al" ::: "rax"); break;
    case 1: __asm__ volatile(".globl iso_io_1\niso_io_1: outb %%al, $0x80" :: "a"(0)); break;
    case 2: __asm__ volatile(".globl iso_io_2\niso_io_2: inb %%dx, %%al" :: "d"(0x3F8) : "rax"); break;
    case 3: __asm__ volatile(".globl iso_io_3\niso_io_3: outb %%al, %%dx" :: "a"('X'), "d"(0x3F8)); break;
    case 4: __asm__ volatile(".globl iso_io_4\niso_io_4: outl %%eax, %%dx" :: "a"(0x80000000u), "d"(0xCF8)); break;
    case 5: __asm__ volatile(".globl iso_io_5\niso_io_5: inw %%dx, %%ax" :: "d"(0x604) : "rax"); break;
    case 6: __asm__ volatile(".globl iso_io_6\niso_io_6: outw %%ax, %%dx" :: "a"(0x1234), "d"(0x80)); break;
    case 7: {
        uint8_t buf[4];
        __asm__ volatile(".globl iso_io_7\niso_io_7: rep insb" : : "D"(buf), "c"(4), "d"(0x80) : "memory");
        break;
    }
    default: return 100;
    }
    return 0;                                      /* the port access went through */
}

struct variant {
    uint64_t arg;
    const char *ip;
    const char *what;
};

static void expect_gp_for_each(const char *child, const struct variant *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct utest_child c = utest_run_child(child, v[i].arg, NULL, 0, 5000);
        EXPECTF(c.finished, "%s: did not finish", v[i].what);
        EXPECTF(c.exit_reason == MOS_EXIT_GENERAL_PROTECTION, "%s: exit reason %u (code %lld), expected #GP",
                v[i].what, c.exit_reason, (long long)c.exit_code);
        EXPECTF(c.exit_code == 13, "%s: vector %lld", v[i].what, (long long)c.exit_code);
        EXPECTF(c.fault_ip == (uint64_t)(uintptr_t)v[i].ip, "%s: ip 0x%llx, expected 0x%llx", v[i].what,
                (unsigned long long)c.fault_ip, (unsigned long long)(uintptr_t)v[i].ip);
    }
}

UTEST(no_process_here_holds_an_ioport_capability)
{
    mos_handle_t h[512];
    uint32_t n = cspace_enumerate(MOS_SELF, h, 512);
    EXPECT(n > 0 && n <= 512);
    for (uint32_t i = 0; i < n && i < 512; i++)
        EXPECTF(inspect(h[i]).type != MOS_CAP_IOPORT, "handle 0x%x is an IOPORT capability", h[i]);
}

UTEST(inb_without_ioport_cap_faults_gp)
{
    static const struct variant v[] = { { 0, iso_io_0, "inb $0x80" } };
    expect_gp_for_each("port_io", v, 1);
}

UTEST(outb_without_ioport_cap_faults_gp)
{
    static const struct variant v[] = { { 1, iso_io_1, "outb $0x80" } };
    expect_gp_for_each("port_io", v, 1);
}

UTEST(port_io_through_dx_faults_gp)
{
    static const struct variant v[] = {
        { 2, iso_io_2, "inb 0x3f8" }, { 3, iso_io_3, "outb 0x3f8" }, { 4, iso_io_4, "outl 0xcf8" },
        { 5, iso_io_5, "inw 0x604" }, { 6, iso_io_6, "outw 0x80" },
        { 7, iso_io_7, "rep insb 0x80" },
    };
    expect_gp_for_each("port_io", v, sizeof v / sizeof v[0]);
}

UTEST_CHILD(privileged)
{
    uint64_t x = 0;
    switch (arg) {
    case 0: __asm__ volatile(".globl iso_priv_0\niso_priv_0: cli"); break;
    case 1: __asm__ volatile(".globl iso_priv_1\niso_priv_1: hlt"); break;
    case 2: __asm__ volatile(".globl iso_priv_2\niso_priv_2: mov %%cr3, %0" : "=r"(x)); break;
    case 3: __asm__ volatile(".globl iso_priv_3\niso_priv_3: rdmsr" : "=a"(x) : "c"(0xC0000080u) : "rdx"); break;
    case 4: __asm__ volatile(".globl iso_priv_4\niso_priv_4: wbinvd"); break;
    case 5: __asm__ volatile(".globl iso_priv_5\niso_priv_5: invlpg (%0)" :: "r"(0x400000ull) : "memory"); break;
    default: return 100;
    }
    return (long)(x & 0xFF);
}

UTEST(privileged_instructions_fault_gp)
{
    static const struct variant v[] = {
        { 0, iso_priv_0, "cli" }, { 1, iso_priv_1, "hlt" }, { 2, iso_priv_2, "mov %cr3" },
        { 3, iso_priv_3, "rdmsr EFER" }, { 4, iso_priv_4, "wbinvd" }, { 5, iso_priv_5, "invlpg" },
    };
    expect_gp_for_each("privileged", v, sizeof v / sizeof v[0]);
}

UTEST_CHILD(count_ioport_caps)
{
    (void)arg;
    struct mos_cap_info info;
    long n = 0;
    for (uint32_t i = 1; mos_cap_inspect(i, (uint64_t)&info, MOS_SELF, MOS_INSPECT_NEXT) == 0;
         i = MOS_HANDLE_INDEX(info.handle) + 1)
        n += info.type == MOS_CAP_IOPORT;
    return n;
}

UTEST(a_child_starts_without_ioport_capabilities)
{
    struct utest_child c = utest_run_child("count_ioport_caps", 0, NULL, 0, 5000);
    EXPECT(c.finished);
    EXPECT_EQ(c.exit_reason, MOS_EXIT_CALLED);
    EXPECT_EQ(c.exit_code, 0);
}
