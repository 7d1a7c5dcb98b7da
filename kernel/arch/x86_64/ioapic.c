// SPDX-License-Identifier: MIT
/* ioapic.c - I/O APIC routing. Each GSI belongs to the I/O APIC whose range
 * contains it; a redirection entry names a vector, the destination APIC id,
 * trigger and polarity, and a mask bit. ISA IRQs go through the MADT's
 * interrupt source overrides (ISA default: edge, active high). Every entry
 * starts masked. Locking: ioapic_lock around the index/data register pair. */
#include "arch/x86_64/apic.h"
#include "acpi/acpi.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "mm/vmm.h"

#define IOREGSEL   0x00
#define IOWIN      0x10
#define IOAPICVER  0x01
#define IOREDTBL   0x10

#define RTE_MASKED      (1u << 16)
#define RTE_LEVEL       (1u << 15)
#define RTE_ACTIVE_LOW  (1u << 13)

struct ioapic {
    volatile uint32_t *regs;
    uint32_t gsi_base, count, id;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;
static struct acpi_override overrides[ACPI_MAX_OVERRIDES];
static unsigned noverrides;
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t io_read(struct ioapic *io, uint32_t reg)
{
    io->regs[IOREGSEL / 4] = reg;
    return io->regs[IOWIN / 4];
}

static void io_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->regs[IOREGSEL / 4] = reg;
    io->regs[IOWIN / 4] = v;
}

static struct ioapic *owner(uint32_t gsi)
{
    for (unsigned i = 0; i < nioapics; i++)
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].count)
            return &ioapics[i];
    return NULL;
}

void ioapic_init(const struct acpi_madt_info *madt)
{
    for (uint32_t i = 0; i < madt->nioapics && nioapics < ACPI_MAX_IOAPICS; i++) {
        struct ioapic *io = &ioapics[nioapics];
        io->regs = vmm_map_device(madt->ioapics[i].addr, PAGE_SIZE, VM_NOCACHE);
        if (!io->regs) {
            kprintf("ioapic: cannot map I/O APIC %u at 0x%llx; skipped\n", madt->ioapics[i].id,
                    (unsigned long long)madt->ioapics[i].addr);
            continue;
        }
        io->gsi_base = madt->ioapics[i].gsi_base;
        io->id = madt->ioapics[i].id;
        io->count = ((io_read(io, IOAPICVER) >> 16) & 0xFF) + 1;
        for (uint32_t p = 0; p < io->count; p++) {
            io_write(io, IOREDTBL + 2 * p, RTE_MASKED);
            io_write(io, IOREDTBL + 2 * p + 1, 0);
        }
        kprintf("ioapic: id %u at 0x%llx, GSIs %u-%u\n", io->id,
                (unsigned long long)madt->ioapics[i].addr, io->gsi_base, io->gsi_base + io->count - 1);
        nioapics++;
    }
    noverrides = madt->noverrides;
    for (unsigned i = 0; i < noverrides; i++)
        overrides[i] = madt->overrides[i];
}

int ioapic_route_gsi(uint32_t gsi, bool level, bool active_low, uint8_t vector, uint32_t dest)
{
    struct ioapic *io = owner(gsi);
    if (!io)
        return -1;
    uint32_t pin = gsi - io->gsi_base;
    uint32_t lo = vector | RTE_MASKED | (level ? RTE_LEVEL : 0) | (active_low ? RTE_ACTIVE_LOW : 0);
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    io_write(io, IOREDTBL + 2 * pin + 1, dest << 24);
    io_write(io, IOREDTBL + 2 * pin, lo);
    spin_unlock_irqrestore(&ioapic_lock, f);
    return (int)gsi;
}

int ioapic_route_isa(unsigned irq, uint8_t vector, uint32_t dest)
{
    uint32_t gsi = irq;
    bool level = false, low = false;
    for (unsigned i = 0; i < noverrides; i++) {
        if (overrides[i].bus == 0 && overrides[i].source == irq) {
            gsi = overrides[i].gsi;
            unsigned pol = overrides[i].flags & 3, trig = (overrides[i].flags >> 2) & 3;
            low = pol == 3;
            level = trig == 3;
        }
    }
    return ioapic_route_gsi(gsi, level, low, vector, dest);
}

static void set_mask(uint32_t gsi, bool masked)
{
    struct ioapic *io = owner(gsi);
    if (!io)
        return;
    uint32_t pin = gsi - io->gsi_base;
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    uint32_t lo = io_read(io, IOREDTBL + 2 * pin);
    io_write(io, IOREDTBL + 2 * pin, masked ? (lo | RTE_MASKED) : (lo & ~RTE_MASKED));
    spin_unlock_irqrestore(&ioapic_lock, f);
}

void ioapic_mask(uint32_t gsi) { set_mask(gsi, true); }
void ioapic_unmask(uint32_t gsi) { set_mask(gsi, false); }
