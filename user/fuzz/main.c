// SPDX-License-Identifier: MIT
/* main.c - bin/fuzz: the manager (started by init in fuzz mode with the
 * kernel command line as argv[1]) or, when started as "fzexec" by the
 * manager, an executor (fuzz.h). */
#include "fuzz.h"

#include "lib/string.h"

int main(int argc, char **argv)
{
    if (argc >= 1 && argv[0] && strcmp(argv[0], "fzexec") == 0)
        return fz_executor_main(argc, argv);
    return fz_manager_main(argc, argv);
}
