// SPDX-License-Identifier: MIT
/* console.c - the client side of the console protocol (console_client.h,
 * proto/console.h). Each call is one ipc_call on the "console" endpoint;
 * a call that fails with -MOS_EDEAD (the driver died with it in hand) is
 * made again after a short pause, a few times, since init restarts the
 * driver on the same endpoint. Output is not buffered here: the driver
 * keeps each client's unfinished line until its newline (or until the
 * client reads, which shows a prompt), so nothing is lost when a program
 * exits without a newline. The handle is looked up once; calls from
 * several threads are fine (each thread stages in its own IPC buffer). */
#include "console_client.h"

#include <mos/errors.h>
#include "mos_ipc.h"
#include "mos_start.h"
#include "mos_stdio.h"
#include "lib/string.h"
#include "proto/console.h"
#include "user_syscalls.h"

#define CON_TRIES       8               /* attempts when the driver died */
#define CON_PAUSE_NS    25000000ull     /* first pause 25 ms, doubling, at most 400 ms */
#define CON_PAUSE_MAX   400000000ull

static mos_handle_t con_ep;

long con_init(void)
{
    if (con_ep)
        return 0;
    mos_handle_t h = mos_cap_by_name("console");
    if (!h)
        return -MOS_ENOENT;
    con_ep = h;
    return 0;
}

mos_handle_t con_handle(void)
{
    return con_ep;
}

/* One request, retried while the driver is being restarted. Returns the
 * reply's label (0 or -MOS_E*) or the call's own error. */
static long con_call(uint32_t op, uint64_t w0, const void *data, size_t len, struct mos_msg *reply)
{
    long r = con_init();
    if (r)
        return r;
    const uint64_t w[MOS_MSG_WORDS] = { w0, 0, 0, 0 };
    uint64_t pause = CON_PAUSE_NS;
    for (int i = 0;; i++) {
        r = mos_call(con_ep, op, w, data, len, NULL, 0, reply);
        if (r != -MOS_EDEAD || i + 1 == CON_TRIES)
            break;
        (void)mos_thread_block(pause);
        pause = pause * 2 > CON_PAUSE_MAX ? CON_PAUSE_MAX : pause * 2;
    }
    if (r < 0)
        return r;
    return (int32_t)mos_msg_label(reply->info);
}

long con_write(const char *s, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > CON_MAX_IO ? CON_MAX_IO : n - done;
        struct mos_msg m;
        long r = con_call(CON_WRITE, 0, s + done, k, &m);
        if (r < 0)
            return done ? (long)done : r;
        done += k;
    }
    return (long)done;
}

/* Copy a reply's payload out of the IPC buffer (the next call reuses it). */
static size_t con_take(const struct mos_msg *m, char *buf, size_t max)
{
    size_t n = m->w[0];
    if (n > mos_msg_bytes(m->info))
        n = mos_msg_bytes(m->info);
    if (n > max)
        n = max;
    memcpy(buf, mos_msg_data(m), n);
    return n;
}

long con_read_line(char *buf, size_t max)
{
    if (!buf || max < 2)
        return -MOS_EINVAL;
    size_t want = max - 1 > CON_MAX_IO ? CON_MAX_IO : max - 1;  /* room for the '\0' */
    struct mos_msg m;
    long r = con_call(CON_READ_LINE, want, NULL, 0, &m);
    if (r < 0)
        return r;
    size_t n = con_take(&m, buf, want);
    buf[n] = '\0';
    return (long)n;
}

long con_read(char *buf, size_t max)
{
    if (!buf || !max)
        return -MOS_EINVAL;
    size_t want = max > CON_MAX_IO ? CON_MAX_IO : max;
    struct mos_msg m;
    long r = con_call(CON_READ, want, NULL, 0, &m);
    if (r < 0)
        return r;
    return (long)con_take(&m, buf, want);
}

long con_set_echo(int on)
{
    struct mos_msg m;
    long r = con_call(CON_SET_ECHO, on ? 1 : 0, NULL, 0, &m);
    return r < 0 ? r : 0;
}

/* printf's writer: to the console; to the kernel log if there is none. */
static void con_stdout(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (con_write(s, n) < 0)
        (void)mos_debug_write((uint64_t)(uintptr_t)s, n);
}

void con_use_for_stdout(void)
{
    if (con_init() == 0)
        mos_set_writer(con_stdout, NULL);
}
