/* SPDX-License-Identifier: MIT */
/* apic.h - the local APIC of each CPU (x2APIC through MSRs when the CPU has
 * it, xAPIC through MMIO otherwise), the I/O APIC, and the vector plan. */
#pragma once

#include "lib/types.h"

/* Vector plan (the IDT is shared; the LAPIC priority classes follow it). */
#define VEC_PIC_BASE     0x20   /* 0x20-0x2F: legacy 8259 (masked; spurious only) */
#define VEC_DEVICE_BASE  0x30   /* 0x30-0xDF: device interrupts via the I/O APIC */
#define VEC_DEVICE_END   0xE0
#define VEC_TIMER        0xE0
#define VEC_IPI_RESCHED  0xF0
#define VEC_IPI_TLB      0xF1
#define VEC_IPI_CALL     0xF2
#define VEC_APIC_ERROR   0xFE
/* VEC_SPURIOUS 0xFF is in trap.h */

struct acpi_madt_info;

/* Boot CPU: choose the mode, map the xAPIC if needed, mask the PICs. */
void apic_init_bsp(const struct acpi_madt_info *madt);
/* Every CPU (BSP included): enable its LAPIC, program LVTs. */
void apic_init_cpu(void);
uint32_t apic_id(void);
bool apic_x2apic_mode(void);
void apic_eoi(void);
/* Send a fixed IPI to one APIC id / to all but self; an NMI to all but self. */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
void apic_send_ipi_all_but_self(uint8_t vector);
void apic_send_nmi_all_but_self(void);
/* INIT and STARTUP IPIs for SMP bring-up. */
void apic_send_init(uint32_t apic_id);
void apic_send_startup(uint32_t apic_id, uint8_t page);

/* LAPIC timer. TSC-deadline mode when present, one-shot otherwise (the
 * LAPIC timer's rate measured against the TSC at boot). */
bool apic_timer_tsc_deadline(void);
void apic_timer_calibrate(void);             /* BSP, after tsc_init */
void apic_timer_arm(uint64_t deadline_tsc);  /* fire once at that TSC value (or asap) */
void apic_timer_disarm(void);

/* I/O APIC routing. */
void ioapic_init(const struct acpi_madt_info *madt);
/* Route ISA IRQ (overrides applied) or GSI to vector on the CPU with apic id
 * dest; masked until ioapic_unmask. Returns the GSI, or -1. */
int ioapic_route_isa(unsigned isa_irq, uint8_t vector, uint32_t dest);
int ioapic_route_gsi(uint32_t gsi, bool level, bool active_low, uint8_t vector, uint32_t dest);
void ioapic_mask(uint32_t gsi);
void ioapic_unmask(uint32_t gsi);
