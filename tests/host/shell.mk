# SPDX-License-Identifier: MIT
# The shell's pure parts: the line editor (with a terminal model and a seeded
# random run, SHELL_SEED=n repeats one), the command-line parser, and the
# formatting helpers (exit reasons, rights, durations, paths).
HOST_TESTS += test_shell
test_shell_SRCS := tests/host/test_shell.c user/shell/lineedit.c user/shell/parse.c \
                   user/shell/fmt.c kernel/lib/kprintf.c
test_shell_CFLAGS := -Iuser/shell -Iuser/lib/include
