// SPDX-License-Identifier: MIT
/* serial - the console driver: owns COM1 (16550, ports 0x3F8..0x3FF, IRQ 4)
 * and serves the console protocol (proto/console.h) on its endpoint.
 *
 * Start-up: the capabilities come from the start block under the names of
 * /etc/init.conf: "ioports" (COM1's eight ports; also the right to own the
 * kernel log), "irq" (line 4), "ep" (the endpoint init made and keeps, so
 * clients' capabilities survive a restart), "init" (unused here). A restart
 * ("--restart N" in argv, or MOS_START_RESTART) keeps what the UART's FIFOs
 * hold; calls that were in progress failed with -MOS_EDEAD in the clients,
 * which retry (user/lib/console.c), and calls still queued on the endpoint
 * are simply served by this instance.
 *
 * Receive loop: one thread. mos_recv with MOS_MSG_REPLY_SLOT, so a reader's
 * REPLY capability can be kept while others are served (con.c), and a
 * 50 ms time-out as a backstop (poll the UART, drain the log, flush
 * unfinished lines). Notification bits on the same endpoint: NOTE_IRQ (the
 * UART interrupted: drain it, then acknowledge with irq_bind(irq, 0, 0))
 * and NOTE_LOG (the kernel log has lines: log_read them and print them
 * whole, between user lines). */
#include "mos_lib.h"
#include "proto/console.h"
#include "con.h"
#include "uart.h"
#include "uart_hw.h"

#define NOTE_IRQ    0x1ull
#define NOTE_LOG    0x2ull
#define POLL_NS     (50ull * 1000000ull)

struct serial {
    mos_handle_t ioports, irq, ep;
    bool irq_bound;
    struct uart uart;
    uint64_t hw_overruns;   /* uart.overruns already passed to con */
    struct con con;
};

static struct serial sv;
static char log_buf[4096];

/* ---------------------------------------------------------------- time */

static uint64_t now_ms(void)
{
    const struct mos_kinfo *ki = (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t tsc = ((uint64_t)hi << 32 | lo) - ki->tsc_base;
    return (uint64_t)(((unsigned __int128)tsc * ki->tsc_mult) >> 32) / 1000000u;
}

/* ---------------------------------------------------------------- con_ops */

static long op_reply(void *ctx, mos_handle_t reply, int32_t label, const uint64_t w[4], const void *data,
                     size_t n)
{
    (void)ctx;
    return mos_reply(reply, (uint32_t)label, w, data, n, NULL, 0);
}

static void op_emit(void *ctx, const char *bytes, size_t n)
{
    struct serial *s = ctx;
    uart_tx(&s->uart, bytes, n);
}

static void drain_log(struct serial *s)
{
    for (;;) {
        long n = mos_log_read(s->ioports, (uint64_t)(uintptr_t)log_buf, sizeof log_buf, 0, 0);
        if (n <= 0)
            return;
        con_kernel(&s->con, log_buf, (size_t)n);
    }
}

static void op_drain_log(void *ctx)
{
    drain_log(ctx);
}

static const struct con_ops serial_ops = {
    .reply = op_reply,
    .emit = op_emit,
    .drain_log = op_drain_log,
};

/* ---------------------------------------------------------------- device */

static void drain_uart(struct serial *s)
{
    uint8_t buf[256];
    size_t n;
    do {
        n = uart_rx(&s->uart, buf, sizeof buf);
        if (n)
            con_input(&s->con, buf, n);
    } while (n == sizeof buf);
    if (s->uart.overruns != s->hw_overruns) {
        con_add_overruns(&s->con, s->uart.overruns - s->hw_overruns);
        s->hw_overruns = s->uart.overruns;
    }
}

static void on_irq(struct serial *s)
{
    drain_uart(s);
    (void)mos_irq_bind(s->irq, 0, 0);           /* unmask IRQ 4 */
    drain_uart(s);                              /* a byte that came before the unmask */
}

/* ---------------------------------------------------------------- requests */

static void on_message(struct serial *s, const struct mos_msg *m)
{
    struct mos_ipc_buffer *buf = mos_ipc_buffer();
    uint32_t flags = mos_msg_flags(m->info);
    for (unsigned i = 0; i < mos_msg_ncaps(m->info); i++)
        (void)mos_cap_delete(mos_msg_cap(m, i));        /* the protocol carries none */
    struct con_req rq = {
        .badge = m->badge,
        .call = (flags & MOS_MSG_CALL) != 0,
        .reply = (flags & MOS_MSG_CALL) ? buf->reply : 0,
        .op = mos_msg_label(m->info),
        .w = { m->w[0], m->w[1], m->w[2], m->w[3] },
        .data = buf->data,
        .len = mos_msg_bytes(m->info),
    };
    con_request(&s->con, &rq);
}

/* ---------------------------------------------------------------- start-up */

static void say(const char *msg)
{
    /* Through the kernel log: it comes back to us as a whole line. */
    (void)mos_debug_write((uint64_t)(uintptr_t)msg, strlen(msg));
}

int main(int argc, char **argv)
{
    struct serial *s = &sv;
    uint32_t restarts = mos_restarts(argc, argv);
    s->ioports = mos_cap_by_name("ioports");
    s->irq = mos_cap_by_name("irq");
    s->ep = mos_cap_by_name("ep");
    if (!s->ioports || !s->ep) {
        say("serial: missing capability \"ioports\" or \"ep\"");
        return 2;
    }
    if (uart_init(&s->uart, UART_COM1_BASE, restarts == 0) < 0)
        say("serial: no UART at 0x3f8: output is dropped");
    con_init(&s->con, &serial_ops, s);
    con_tick(&s->con, now_ms());

    /* From here on the kernel log comes to us (and only whole lines). */
    long r = mos_log_read(s->ioports, (uint64_t)(uintptr_t)log_buf, sizeof log_buf, s->ep, NOTE_LOG);
    if (r < 0) {
        say("serial: log_read refused: the kernel keeps COM1");
        return 3;
    }
    con_kernel(&s->con, log_buf, (size_t)r);
    if (s->irq) {
        long e = mos_irq_bind(s->irq, s->ep, NOTE_IRQ);
        s->irq_bound = e == 0;
        if (e < 0) {
            char m[96];
            snprintf(m, sizeof m, "serial: irq_bind: %s: polling every 50 ms", mos_strerror(e));
            say(m);
        }
    }
    char m[96];
    snprintf(m, sizeof m, "serial: console on COM1%s%s", s->irq_bound ? ", IRQ 4" : ", polled",
             restarts ? " (restarted)" : "");
    say(m);
    drain_uart(s);

    for (;;) {
        struct mos_msg msg;
        r = mos_recv(s->ep, POLL_NS, MOS_MSG_REPLY_SLOT, &msg);
        con_tick(&s->con, now_ms());
        if (r == -MOS_ETIMEDOUT) {
            drain_uart(s);
            drain_log(s);
            continue;
        }
        if (r < 0) {
            (void)mos_thread_block(POLL_NS);    /* should not happen: do not spin */
            continue;
        }
        if (mos_msg_flags(msg.info) & MOS_MSG_NOTIFY) {
            if (msg.w[0] & NOTE_IRQ)
                on_irq(s);
            if (msg.w[0] & NOTE_LOG)
                drain_log(s);
            continue;
        }
        on_message(s, &msg);
    }
}
