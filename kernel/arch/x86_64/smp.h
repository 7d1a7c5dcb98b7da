/* SPDX-License-Identifier: MIT */
/* smp.h - starting the other CPUs, stopping them, and TLB shoot-down. */
#pragma once

#include "lib/types.h"

struct acpi_madt_info;

/* Start every enabled CPU of the MADT (INIT-SIPI-SIPI); returns how many
 * are online afterwards, the boot CPU included. */
unsigned smp_start_aps(const struct acpi_madt_info *madt);
/* Handle a pending shoot-down request for this CPU (IPI handler, and any
 * CPU spinning with interrupts off polls it). */
void smp_tlb_service(void);
/* NMI: a CPU told to stop halts for good. */
void smp_nmi(void);
/* Make every other CPU drop all its non-global TLB entries of every PCID
 * (pcid.c recycling freed PCIDs); returns once each has. */
void smp_flush_all_asids(void);
/* Shoot-downs performed and IPIs sent (tests). */
uint64_t smp_shootdowns(void);
/* Test hook: when false, remote TLB flushes are skipped (the revocation
 * race tests prove they would catch it). */
extern bool smp_shootdown_enabled;
