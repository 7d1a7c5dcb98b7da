// SPDX-License-Identifier: MIT
/* uart.c - the boot-time serial log on COM1 (16550 at 0x3F8), 115200 8N1,
 * polled transmit. This is phase 1: it needs nothing else and works from the
 * first instruction of kmain, in interrupt handlers and in panic. Once the
 * userspace serial driver owns COM1's receive side, the kernel still writes
 * its log here (lines are atomic under the log lock). */
#include "arch/arch.h"
#include "arch/x86_64/cpu.h"

#define COM1        0x3F8
#define UART_DATA   0       /* DLAB=0: THR/RBR; DLAB=1: divisor low */
#define UART_IER    1       /* DLAB=1: divisor high */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_SCR    7
#define LSR_THRE    0x20

static bool uart_present;

bool arch_serial_init(void)
{
    /* Scratch register round trip: is there a UART at all? */
    outb(COM1 + UART_SCR, 0x5A);
    if (inb(COM1 + UART_SCR) != 0x5A)
        return false;
    outb(COM1 + UART_IER, 0x00);        /* no interrupts (the kernel polls) */
    outb(COM1 + UART_LCR, 0x80);        /* DLAB on */
    outb(COM1 + UART_DATA, 1);          /* divisor 1 = 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, 0x03);        /* 8 bits, no parity, one stop bit */
    outb(COM1 + UART_FCR, 0xC7);        /* FIFOs on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x0B);        /* DTR, RTS, OUT2 (IRQ line enabled) */
    uart_present = true;
    return true;
}

void arch_serial_putc(char c)
{
    if (!uart_present)
        return;
    for (int spins = 0; spins < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); spins++)
        cpu_relax();
    outb(COM1 + UART_DATA, (uint8_t)c);
}
