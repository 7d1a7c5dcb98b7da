/* SPDX-License-Identifier: MIT */
/* uart.h - the 16550 device logic of the serial driver (uart.c): set-up,
 * draining received bytes, polled transmit. The caller must hold an IOPORT
 * capability covering the UART's eight ports (the kernel then lets this
 * process use in/out on them). Single-threaded: one caller at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uart {
    uint16_t base;          /* first port (0x3F8 for COM1) */
    bool present;           /* the scratch-register test passed */
    uint64_t overruns;      /* bytes the UART reported lost (LSR.OE) */
    uint64_t rx_bytes, tx_bytes;
};

/* Program 115200 8N1, FIFOs on, receive interrupts on (IER bit 0) from the
 * first byte (a console wants each key at once; a higher trigger level
 * leaves short input to the FIFO time-out, about 15 ms later under QEMU),
 * OUT2 so the interrupt reaches IRQ 4. A restart
 * (`fresh` false) keeps what the FIFOs hold; a fresh start clears them.
 * Returns 0, or -MOS_EIO when no UART answers at `base`. */
__attribute__((warn_unused_result)) long uart_init(struct uart *u, uint16_t base, bool fresh);

/* Read received bytes into buf (at most max) while the UART has data
 * (LSR.DR); reading RBR until empty also clears the receive interrupt.
 * Returns the number read. */
size_t uart_rx(struct uart *u, uint8_t *buf, size_t max);

/* True when a received byte is waiting. */
bool uart_rx_ready(struct uart *u);

/* Send s[0..n) by polling LSR.THRE, a FIFO load (16 bytes) at a time.
 * Gives up on a byte after a bounded wait (a UART that never drains). */
void uart_tx(struct uart *u, const char *s, size_t n);
