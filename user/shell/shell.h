/* SPDX-License-Identifier: MIT */
/* shell.h - what the shell's files share: the state set up in main.c, the
 * built-in table (builtin.c, builtin_fs.c, builtin_sys.c) and the jobs
 * (jobs.c: programs the shell started). The shell is one main thread that
 * runs commands, plus an input thread that only reads the console and
 * forwards the bytes to the main thread's endpoint (main.c), so the main
 * thread waits in one place for typing and for its children's deaths. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>
#include <mos/caps.h>
#include "parse.h"
#include "proto/vfs.h"

#define SH_PROMPT "mos$ "

/* main.c */
extern mos_handle_t sh_init_ep;         /* "init" (control): ps, caps, kill, shutdown */
extern char sh_cwd[VFS_PATH_MAX];       /* normalised, absolute */

/* cwd-relative arg as an absolute path in out; prints "<cmd>: <arg>: name
 * too long" and returns -1 if it does not fit. */
int sh_path(const char *cmd, const char *arg, char *out, size_t n);
/* Call an init/service endpoint: the system call's error, else the reply
 * label (0 or -MOS_E*). */
long sh_call(mos_handle_t ep, uint32_t op, const uint64_t w[4], const void *payload, size_t len,
             struct mos_msg *reply);

/* Wait for the next event: input bytes (copied to buf, count returned) or a
 * child's death (0 returned); -MOS_ETIMEDOUT after timeout_ns. Input that
 * arrives while a program runs is kept for the line editor (sh_typeahead). */
long sh_wait_event(char *buf, size_t max, uint64_t timeout_ns);
void sh_typeahead(const char *buf, size_t n);

/* builtin.c: the table. A built-in returns its status (0 = success). */
struct sh_builtin {
    const char *name;
    int (*fn)(struct sh_cmd *c);
    const char *usage;
    const char *help;
};
const struct sh_builtin *sh_builtin_find(const char *name);

/* builtin_fs.c */
int sh_ls(struct sh_cmd *c);
int sh_cat(struct sh_cmd *c);
int sh_echo(struct sh_cmd *c);
int sh_mkdir(struct sh_cmd *c);
int sh_rm(struct sh_cmd *c);
int sh_cd(struct sh_cmd *c);
int sh_pwd(struct sh_cmd *c);

/* builtin_sys.c */
int sh_ps(struct sh_cmd *c);
int sh_caps(struct sh_cmd *c);
int sh_kill(struct sh_cmd *c);
int sh_mem(struct sh_cmd *c);
int sh_uptime(struct sh_cmd *c);
int sh_shutdown(struct sh_cmd *c);

/* jobs.c: running programs. */
#define SH_MAX_JOBS 8u
struct sh_job {
    bool used;
    bool background;
    unsigned id;                /* 1.. for messages "[1]" */
    mos_handle_t proc;          /* PROCESS capability */
    uint64_t pid;
    uint64_t vfs_badge;         /* its VFS session, closed when it died */
    char name[32];
};
/* run PROGRAM [ARGS] or a program by path/bare name (argv[0]). */
int sh_run(struct sh_cmd *c);
/* jobs: list the background jobs. */
int sh_jobs(struct sh_cmd *c);
/* Collect dead children: close their sessions, report background ones
 * (printing `before` ahead of the first report). Returns how many were
 * reported. */
unsigned sh_jobs_reap(const char *before);
extern mos_handle_t sh_exit_ep;         /* main.c: the badged endpoint children notify */
/* The live job with this pid, or NULL. */
struct sh_job *sh_job_by_pid(uint64_t pid);
/* Walk the live jobs (for ps). */
struct sh_job *sh_job_at(unsigned i);
