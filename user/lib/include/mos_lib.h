/* SPDX-License-Identifier: MIT */
/* mos_lib.h - everything the user library offers, for programs that want
 * one include: the ABI (include/mos/), the system-call stubs (generated
 * user_syscalls.h), start-up and process conventions, IPC helpers,
 * formatted output, malloc, strings and the program loader. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mos/caps.h>
#include <mos/errors.h>
#include <mos/init.h>
#include <mos/ipc.h>
#include <mos/kinfo.h>
#include <mos/proc.h>
#include <mos/syscall.h>
#include <mos/types.h>

#include "user_syscalls.h"
#include "mos_ipc.h"
#include "mos_malloc.h"
#include "mos_spawn.h"
#include "mos_start.h"
#include "mos_stdio.h"
#include "mos_string.h"
#include "mos_thread.h"
