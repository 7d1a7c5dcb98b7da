// SPDX-License-Identifier: MIT
/* ioprobe - least privilege, seen from a program the shell started: it
 * lists the capabilities it holds (only "console" and "vfs", and the
 * memory its loader gave it), shows that it holds no PROCESS capability
 * (so no other address space can even be named), and then breaks a rule
 * the hardware enforces, which must get it killed:
 *   ioprobe [io]  executes `inb $0x80` without an IOPORT capability
 *                 -> general protection fault;
 *   ioprobe mem   reads the kernel's direct map of RAM (where every other
 *                 process's frames are) at 0xffff800000000000 -> page fault.
 * If it survives, it says so and exits with 1. And one thing it may do but
 * that must not hurt anyone else:
 *   ioprobe spin  loops forever in user mode: the others keep running (the
 *                 scheduler preempts it) and the shell's Ctrl-C kills it. */
#include "mos_lib.h"
#include "console_client.h"

#define KERNEL_DIRECT_MAP 0xFFFF800000000000ull

static unsigned list_caps(void)
{
    unsigned n = 0, procs = 0, ioports = 0;
    struct mos_cap_info info;
    uint64_t index = 1;
    while (mos_cap_inspect((mos_handle_t)index, (uint64_t)(uintptr_t)&info, MOS_SELF,
                           MOS_INSPECT_NEXT) == 0) {
        index = MOS_HANDLE_INDEX(info.handle) + 1ull;
        n++;
        procs += info.type == MOS_CAP_PROCESS;
        ioports += info.type == MOS_CAP_IOPORT;
    }
    printf("ioprobe: %u capabilities, %u PROCESS, %u IOPORT (console 0x%x, vfs 0x%x)\n", n,
           procs, ioports, mos_cap_by_name("console"), mos_cap_by_name("vfs"));
    return procs + ioports;
}

int main(int argc, char **argv)
{
    if (con_init() == 0)
        con_use_for_stdout();
    const char *mode = argc > 1 ? argv[1] : "io";
    if (list_caps())
        printf("ioprobe: holds more than it should\n");
    if (strcmp(mode, "mem") == 0) {
        printf("ioprobe: reading kernel memory at 0x%llx\n", KERNEL_DIRECT_MAP);
        volatile const uint64_t *p = (volatile const uint64_t *)(uintptr_t)KERNEL_DIRECT_MAP;
        uint64_t v = *p;
        printf("ioprobe: read 0x%llx there: memory is NOT protected\n", (unsigned long long)v);
        return 1;
    }
    if (strcmp(mode, "spin") == 0) {
        printf("ioprobe: spinning\n");
        for (volatile uint64_t n = 0;; n++)
            ;
    }
    if (strcmp(mode, "io") != 0) {
        printf("usage: ioprobe [io|mem|spin]\n");
        return 2;
    }
    printf("ioprobe: trying inb $0x80\n");
    uint8_t v;
    __asm__ volatile("inb $0x80, %0" : "=a"(v));
    printf("ioprobe: inb $0x80 gave 0x%x: I/O ports are NOT protected\n", v);
    return 1;
}
