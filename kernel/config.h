/* SPDX-License-Identifier: MIT */
/* config.h - build switches. Each is always defined as 0 or 1 and used in
 * ordinary if()s so both branches keep compiling (-Wundef catches typos).
 * Override on the make command line, e.g. make KDEFS=-DCONFIG_KHEAP_DEBUG=0 (or FASTPATH=0).
 * The debug kernel (make DEBUG=1, mk/debug.mk; built by make test into
 * build/variants/debug) sets CONFIG_DEBUG, CONFIG_DEBUG_LOCKS and
 * CONFIG_DEBUG_HEAP to 1 and compiles the kernel with UBSan. */
#pragma once

#ifndef CONFIG_KHEAP_DEBUG
#define CONFIG_KHEAP_DEBUG 1      /* poison freed objects, check red zones */
#endif

#ifndef CONFIG_IPC_FASTPATH
#define CONFIG_IPC_FASTPATH 1     /* call/reply_recv fast path (ipc/fastpath.c) */
#endif

#ifndef CONFIG_DEBUG
#define CONFIG_DEBUG 0            /* the debug kernel: UBSan runtime (lib/ubsan.c), debug ktests */
#endif

#ifndef CONFIG_DEBUG_LOCKS
#define CONFIG_DEBUG_LOCKS 0      /* lock order, ownership and interrupt-state checks (lib/lockcheck.h) */
#endif

#ifndef CONFIG_DEBUG_HEAP
#define CONFIG_DEBUG_HEAP 0       /* red zones around every heap object, a quarantine of freed
                                     objects, callers in reports, periodic heap checks (mm/kheap.c) */
#endif

#if CONFIG_DEBUG_HEAP && !CONFIG_KHEAP_DEBUG
#error "CONFIG_DEBUG_HEAP builds on CONFIG_KHEAP_DEBUG (poison and kmalloc red zones)"
#endif

#ifndef CONFIG_KCOV
#define CONFIG_KCOV 0             /* the fuzzing build (make fuzz, mk/fuzz.mk): coverage system
                                     calls 64/65, failnth= allocation-failure injection (debug/kcov.c) */
#endif

#ifndef CONFIG_SMP_SHOOTDOWN
#define CONFIG_SMP_SHOOTDOWN 1    /* TLB shoot-down IPIs (arch/x86_64/smp.c). 0 is deliberately broken: the
                                     race-noshootdown scenario (mk/security.mk) checks the race test catches it */
#endif

#ifndef CONFIG_UACCESS_SCRAMBLE
#define CONFIG_UACCESS_SCRAMBLE 0 /* test kernel only (mk/security.mk, variant sectest): copy_from_user
                                     overwrites what it read from the test window (syscall/uaccess.c), so a
                                     second read of user memory sees other data: the scramble test group */
#endif
