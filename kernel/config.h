/* SPDX-License-Identifier: MIT */
/* config.h - build switches. Each is always defined as 0 or 1 and used in
 * ordinary if()s so both branches keep compiling (-Wundef catches typos).
 * Override on the make command line, e.g. make KDEFS=-DCONFIG_KHEAP_DEBUG=1. */
#pragma once

#ifndef CONFIG_KHEAP_DEBUG
#define CONFIG_KHEAP_DEBUG 1      /* poison freed objects, check red zones */
#endif
