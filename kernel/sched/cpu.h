/* SPDX-License-Identifier: MIT */
/* cpu.h - per-CPU data. Each CPU reaches its own struct cpu through %gs
 * (this_cpu()); other CPUs' entries are reached through cpus[] under the
 * locks that protect the fields concerned. */
#pragma once

#include "lib/types.h"
#include "arch/x86_64/arch_cpu.h"

#define MAX_CPUS 64

struct cpu {
    struct arch_cpu arch;       /* must be first: %gs:0 points here */
    unsigned id;                /* == arch.index */
    bool online;
    volatile bool in_panic;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus_online;

static inline struct cpu *this_cpu(void)
{
    return (struct cpu *)arch_this_cpu();
}
