/* SPDX-License-Identifier: MIT */
/* config.h - build switches. Each is always defined as 0 or 1 and used in
 * ordinary if()s so both branches keep compiling (-Wundef catches typos).
 * Override on the make command line, e.g. make KDEFS=-DCONFIG_KHEAP_DEBUG=0 (or FASTPATH=0). */
#pragma once

#ifndef CONFIG_KHEAP_DEBUG
#define CONFIG_KHEAP_DEBUG 1      /* poison freed objects, check red zones */
#endif

#ifndef CONFIG_IPC_FASTPATH
#define CONFIG_IPC_FASTPATH 1     /* call/reply_recv fast path (ipc/fastpath.c) */
#endif

#ifndef CONFIG_DEBUG_LOCKS
#define CONFIG_DEBUG_LOCKS 0      /* check lock ownership on release (debug kernel: 1) */
#endif
