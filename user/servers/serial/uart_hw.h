/* SPDX-License-Identifier: MIT */
/* uart_hw.h - the register map of a 16550A UART (COM1 at 0x3F8, IRQ 4): port
 * offsets from the base and the bits the serial driver uses. Registers
 * 0 and 1 change meaning when LCR.DLAB is set (divisor latch). */
#pragma once

#define UART_COM1_BASE  0x3F8u
#define UART_COM1_IRQ   4u
#define UART_PORTS      8u      /* ports base .. base + 7 */
#define UART_CLOCK_HZ   115200u /* divisor 1 = 115200 baud */
#define UART_FIFO_SIZE  16u     /* transmit and receive FIFO depth of a 16550A */

/* Port offsets. */
#define UART_RBR 0      /* read, DLAB=0: receive buffer */
#define UART_THR 0      /* write, DLAB=0: transmit holding */
#define UART_DLL 0      /* DLAB=1: divisor latch, low byte */
#define UART_IER 1      /* DLAB=0: interrupt enable */
#define UART_DLM 1      /* DLAB=1: divisor latch, high byte */
#define UART_IIR 2      /* read: interrupt identification */
#define UART_FCR 2      /* write: FIFO control */
#define UART_LCR 3      /* line control */
#define UART_MCR 4      /* modem control */
#define UART_LSR 5      /* line status */
#define UART_MSR 6      /* modem status */
#define UART_SCR 7      /* scratch */

/* IER */
#define IER_RX_AVAIL    0x01u   /* received data available (and receive time-out) */
#define IER_THR_EMPTY   0x02u
#define IER_LINE_STATUS 0x04u
#define IER_MODEM       0x08u

/* IIR */
#define IIR_NO_PENDING  0x01u
#define IIR_FIFO_ON     0xC0u   /* both bits set: FIFOs enabled (16550A) */

/* FCR */
#define FCR_ENABLE      0x01u
#define FCR_CLEAR_RX    0x02u
#define FCR_CLEAR_TX    0x04u
#define FCR_TRIGGER_1   0x00u   /* receive interrupt after 1 byte */
#define FCR_TRIGGER_4   0x40u
#define FCR_TRIGGER_8   0x80u
#define FCR_TRIGGER_14  0xC0u

/* LCR */
#define LCR_8BITS       0x03u   /* word length 8 */
#define LCR_STOP2       0x04u
#define LCR_PARITY      0x08u
#define LCR_DLAB        0x80u

/* MCR */
#define MCR_DTR         0x01u
#define MCR_RTS         0x02u
#define MCR_OUT2        0x08u   /* on PCs: connects the UART's interrupt to the IRQ line */
#define MCR_LOOP        0x10u

/* LSR */
#define LSR_DR          0x01u   /* data ready */
#define LSR_OE          0x02u   /* overrun: a byte was lost */
#define LSR_PE          0x04u
#define LSR_FE          0x08u
#define LSR_BI          0x10u   /* break */
#define LSR_THRE        0x20u   /* transmit holding register (FIFO) empty */
#define LSR_TEMT        0x40u
#define LSR_FIFO_ERR    0x80u
