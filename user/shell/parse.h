/* SPDX-License-Identifier: MIT */
/* parse.h - splitting a command line into words. Words are separated by
 * spaces and tabs; '...' quotes literally, "..." quotes with \" and \\ as
 * escapes, a backslash outside quotes takes the next byte literally. The
 * operators, recognised only outside quotes and also when glued to a word:
 * "> FILE" and ">> FILE" (one redirection, anywhere in the line), a final
 * "&" (run in the background), and '#' starting a word (a comment to the
 * end of the line). Pure: host-tested by tests/host/test_shell.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SH_MAX_ARGS 32u
#define SH_PARSE_STORE 512u

struct sh_cmd {
    int argc;
    char *argv[SH_MAX_ARGS + 1];    /* argv[argc] == NULL; point into store */
    char *redir;                    /* file after > or >>, or NULL */
    bool append;                    /* >> */
    bool background;                /* trailing & */
    char store[SH_PARSE_STORE];
};

/* Parse line into *cmd. Returns 0 (argc may be 0: an empty line or a
 * comment), or -1 with *why set to a static text: an unterminated quote, a
 * redirection without a file, two redirections, '&' not at the end, too
 * many words, or a line too long. */
int sh_parse(const char *line, struct sh_cmd *cmd, const char **why);
