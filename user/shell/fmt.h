/* SPDX-License-Identifier: MIT */
/* fmt.h - what the shell prints, as pure functions (host-tested by
 * tests/host/test_shell.c): capability type names and rights letters, how a
 * process ended, durations, file modes, kernel time from the TSC, and path
 * joining. Buffers are NUL-terminated and truncated to their size. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <mos/caps.h>
#include <mos/kinfo.h>

/* "memory", "endpoint", ... ("?" for an unknown type). */
const char *fmt_cap_type(uint32_t type);
/* Rights as five letters "rwxgR" (read write exec grant revoke), '-' where
 * missing; out has room for 6 bytes. */
void fmt_rights(uint32_t rights, char out[6]);
/* How a dead process ended, from its cap_inspect fields: "exited with code
 * 3", "killed", "killed: general protection at ip 0x401020", "killed: page
 * fault at address 0x0 (ip 0x401020)", ... */
void fmt_exit(char *buf, size_t n, uint32_t reason, int64_t code, uint64_t fault_addr,
              uint64_t fault_ip);
/* Nanoseconds as "1d 02:03:04.567" (days only when nonzero). */
void fmt_duration(char *buf, size_t n, uint64_t ns);
/* "drwxr-xr-x"-style text for a VFS type and permission bits; out has room for 11 bytes. */
void fmt_mode(uint32_t type, uint32_t mode, char out[11]);
/* "MOS_PROC_*" as "alive" / "dead" / "?". */
const char *fmt_proc_state(uint32_t state);
/* Nanoseconds since boot from a TSC reading, as kinfo.h defines it. */
uint64_t fmt_tsc_to_ns(const struct mos_kinfo *k, uint64_t tsc);
/* path if absolute, else cwd "/" path; -1 if it does not fit in n bytes. */
int fmt_path_join(char *out, size_t n, const char *cwd, const char *path);
/* Normalise an absolute path in place: repeated '/', "." and ".."
 * components removed (".." at the root stays at the root), no trailing '/'
 * except for "/" itself. */
void fmt_path_normalize(char *path);
