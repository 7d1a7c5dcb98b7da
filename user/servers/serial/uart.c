// SPDX-License-Identifier: MIT
/* uart.c - the 16550 logic of the serial driver: set-up (115200 8N1, FIFOs,
 * receive interrupt), draining the receive FIFO, polled transmit. The port
 * accesses are plain in/out instructions: the kernel's I/O permission
 * bitmap allows exactly the ports of this process's IOPORT capability, so
 * a port outside it faults (#GP). No state besides struct uart; no locks
 * (the driver is single-threaded). */
#include "uart.h"
#include "uart_hw.h"

#include <mos/errors.h>
#include "user_syscalls.h"

static inline uint8_t port_in(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void port_out(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t reg_in(const struct uart *u, unsigned reg) { return port_in((uint16_t)(u->base + reg)); }
static inline void reg_out(const struct uart *u, unsigned reg, uint8_t v) { port_out((uint16_t)(u->base + reg), v); }

long uart_init(struct uart *u, uint16_t base, bool fresh)
{
    u->base = base;
    u->present = false;
    /* Scratch register round trip: is there a UART at all? */
    reg_out(u, UART_SCR, 0xA5);
    if (reg_in(u, UART_SCR) != 0xA5)
        return -MOS_EIO;
    reg_out(u, UART_IER, 0);                            /* quiet while programming */
    reg_out(u, UART_LCR, LCR_DLAB);
    uint16_t div = (uint16_t)(UART_CLOCK_HZ / 115200u);
    reg_out(u, UART_DLL, (uint8_t)div);
    reg_out(u, UART_DLM, (uint8_t)(div >> 8));
    reg_out(u, UART_LCR, LCR_8BITS);                    /* 8N1, DLAB off */
    reg_out(u, UART_FCR, (uint8_t)(FCR_ENABLE | FCR_TRIGGER_1 | (fresh ? FCR_CLEAR_RX | FCR_CLEAR_TX : 0)));
    reg_out(u, UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    (void)reg_in(u, UART_LSR);                          /* clear stale line status */
    (void)reg_in(u, UART_MSR);
    (void)reg_in(u, UART_IIR);
    reg_out(u, UART_IER, IER_RX_AVAIL);
    u->present = true;
    return 0;
}

bool uart_rx_ready(struct uart *u)
{
    return u->present && (reg_in(u, UART_LSR) & LSR_DR);
}

size_t uart_rx(struct uart *u, uint8_t *buf, size_t max)
{
    size_t n = 0;
    if (!u->present)
        return 0;
    while (n < max) {
        uint8_t lsr = reg_in(u, UART_LSR);
        if (lsr & LSR_OE)
            u->overruns++;
        if (!(lsr & LSR_DR))
            break;
        buf[n++] = reg_in(u, UART_RBR);
    }
    u->rx_bytes += n;
    return n;
}

/* Spins before giving up on one FIFO load (a real UART at 115200 baud drains
 * 16 bytes in 1.4 ms; each spin is a port read, about a microsecond). */
#define TX_SPINS 200000

void uart_tx(struct uart *u, const char *s, size_t n)
{
    if (!u->present)
        return;
    while (n) {
        int spins = 0;
        while (!(reg_in(u, UART_LSR) & LSR_THRE)) {
            if (++spins == TX_SPINS)
                return;                                 /* stuck: drop the rest */
            if (spins % 1024 == 0)
                (void)mos_thread_yield();
        }
        size_t k = n < UART_FIFO_SIZE ? n : UART_FIFO_SIZE;
        for (size_t i = 0; i < k; i++)
            reg_out(u, UART_THR, (uint8_t)s[i]);
        u->tx_bytes += k;
        s += k;
        n -= k;
    }
}
