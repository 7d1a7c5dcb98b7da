// SPDX-License-Identifier: MIT
/* fmt.c - the shell's formatting helpers (see fmt.h). Pure: formats with
 * the kernel's ksnprintf, which is in the user library and in host tests. */
#include "fmt.h"

#include "lib/kprintf.h"
#include "lib/string.h"
#include "proto/vfs.h"

const char *fmt_cap_type(uint32_t type)
{
    static const char *const names[MOS_CAP_TYPE_COUNT] = {
        [MOS_CAP_NONE] = "none",         [MOS_CAP_MEMORY] = "memory",
        [MOS_CAP_ENDPOINT] = "endpoint", [MOS_CAP_IRQ] = "irq",
        [MOS_CAP_PROCESS] = "process",   [MOS_CAP_THREAD] = "thread",
        [MOS_CAP_IOPORT] = "ioport",     [MOS_CAP_REPLY] = "reply",
    };
    return type < MOS_CAP_TYPE_COUNT ? names[type] : "?";
}

void fmt_rights(uint32_t rights, char out[6])
{
    static const char letters[] = "rwxgR";
    for (unsigned i = 0; i < 5; i++)
        out[i] = rights & (1u << i) ? letters[i] : '-';
    out[5] = 0;
}

void fmt_exit(char *buf, size_t n, uint32_t reason, int64_t code, uint64_t fault_addr,
              uint64_t fault_ip)
{
    unsigned long long ip = fault_ip, addr = fault_addr;
    switch (reason) {
    case MOS_EXIT_NONE:
        ksnprintf(buf, n, "running");
        break;
    case MOS_EXIT_CALLED:
        ksnprintf(buf, n, "exited with code %lld", (long long)code);
        break;
    case MOS_EXIT_KILLED:
        ksnprintf(buf, n, "killed");
        break;
    case MOS_EXIT_PAGE_FAULT:
        ksnprintf(buf, n, "killed: page fault at address 0x%llx (ip 0x%llx)", addr, ip);
        break;
    case MOS_EXIT_GENERAL_PROTECTION:
        ksnprintf(buf, n, "killed: general protection at ip 0x%llx", ip);
        break;
    case MOS_EXIT_INVALID_OPCODE:
        ksnprintf(buf, n, "killed: invalid opcode at ip 0x%llx", ip);
        break;
    case MOS_EXIT_DIVIDE_ERROR:
        ksnprintf(buf, n, "killed: divide error at ip 0x%llx", ip);
        break;
    case MOS_EXIT_BAD_RETURN:
        ksnprintf(buf, n, "killed: bad return address from a system call");
        break;
    case MOS_EXIT_OTHER_FAULT:
        ksnprintf(buf, n, "killed: exception %lld at ip 0x%llx", (long long)code, ip);
        break;
    case MOS_EXIT_NO_THREADS:
        ksnprintf(buf, n, "ended: its last thread ended");
        break;
    default:
        ksnprintf(buf, n, "ended (reason %u)", reason);
        break;
    }
}

void fmt_duration(char *buf, size_t n, uint64_t ns)
{
    uint64_t ms = ns / 1000000u, s = ms / 1000u;
    unsigned long long days = s / 86400u;
    unsigned h = (unsigned)(s / 3600u % 24u), m = (unsigned)(s / 60u % 60u);
    unsigned sec = (unsigned)(s % 60u), milli = (unsigned)(ms % 1000u);
    if (days)
        ksnprintf(buf, n, "%llud %02u:%02u:%02u.%03u", days, h, m, sec, milli);
    else
        ksnprintf(buf, n, "%02u:%02u:%02u.%03u", h, m, sec, milli);
}

void fmt_mode(uint32_t type, uint32_t mode, char out[11])
{
    static const char rwx[] = "rwx";
    out[0] = type == VFS_TYPE_DIR ? 'd' : '-';
    for (unsigned i = 0; i < 9; i++)
        out[1 + i] = mode & (0400u >> i) ? rwx[i % 3] : '-';
    out[10] = 0;
}

const char *fmt_proc_state(uint32_t state)
{
    return state == MOS_PROC_ALIVE ? "alive" : state == MOS_PROC_DEAD ? "dead" : "?";
}

uint64_t fmt_tsc_to_ns(const struct mos_kinfo *k, uint64_t tsc)
{
    uint64_t ticks = tsc > k->tsc_base ? tsc - k->tsc_base : 0;
    return (uint64_t)(((unsigned __int128)ticks * k->tsc_mult) >> 32);
}

int fmt_path_join(char *out, size_t n, const char *cwd, const char *path)
{
    int len;
    if (path[0] == '/')
        len = ksnprintf(out, n, "%s", path);
    else if (!path[0])
        len = ksnprintf(out, n, "%s", cwd);
    else
        len = ksnprintf(out, n, "%s%s%s", cwd, cwd[0] && cwd[strlen(cwd) - 1] == '/' ? "" : "/",
                        path);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

void fmt_path_normalize(char *path)
{
    /* Components are copied down to w; w never passes r. */
    char *w = path;
    const char *r = path;
    while (*r) {
        while (*r == '/')
            r++;
        if (!*r)
            break;
        const char *end = r;
        while (*end && *end != '/')
            end++;
        size_t len = (size_t)(end - r);
        if (len == 1 && r[0] == '.') {
            /* nothing */
        } else if (len == 2 && r[0] == '.' && r[1] == '.') {
            while (w > path && *--w != '/')
                ;
        } else {
            *w++ = '/';
            memmove(w, r, len);
            w += len;
        }
        r = end;
    }
    if (w == path)
        *w++ = '/';
    *w = 0;
}
