// SPDX-License-Identifier: MIT
/* builtin.c - the table of built-in commands and `help`. A name that is
 * not here is looked up as a program in /bin (jobs.c). */
#include "mos_lib.h"
#include "shell.h"

static int sh_help(struct sh_cmd *c);

static const struct sh_builtin builtins[] = {
    { "help",     sh_help,     "help",                       "this list" },
    { "ls",       sh_ls,       "ls [-l] [PATH...]",          "list a directory (-l: mode, size)" },
    { "cat",      sh_cat,      "cat FILE...",                "print files" },
    { "echo",     sh_echo,     "echo [ARGS] [> FILE|>> FILE]", "print, or write/append to a file" },
    { "mkdir",    sh_mkdir,    "mkdir DIR...",               "make directories (in /tmp)" },
    { "rm",       sh_rm,       "rm PATH...",                 "remove files or empty directories" },
    { "cd",       sh_cd,       "cd [DIR]",                   "change the current directory" },
    { "pwd",      sh_pwd,      "pwd",                        "print the current directory" },
    { "ps",       sh_ps,       "ps",                         "list processes" },
    { "caps",     sh_caps,     "caps [PID]",                 "capabilities of a process (default: the shell)" },
    { "kill",     sh_kill,     "kill PID...",                "kill processes (init restarts services)" },
    { "run",      sh_run,      "run PROGRAM [ARGS] [&]",     "run a program (also: /bin/x, or a bare name)" },
    { "jobs",     sh_jobs,     "jobs",                       "programs running in the background" },
    { "mem",      sh_mem,      "mem",                        "physical memory and kernel heap" },
    { "uptime",   sh_uptime,   "uptime",                     "time since boot" },
    { "shutdown", sh_shutdown, "shutdown",                   "power off" },
};

const struct sh_builtin *sh_builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

static int sh_help(struct sh_cmd *c)
{
    (void)c;
    printf("built-in commands:\n");
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        printf("  %-30s %s\n", builtins[i].usage, builtins[i].help);
    printf("other names run /bin/NAME. Keys: arrows (history, cursor), Backspace, Ctrl-U,\n"
           "Ctrl-W, Ctrl-C (cancel the line, or kill the running program).\n");
    return 0;
}
