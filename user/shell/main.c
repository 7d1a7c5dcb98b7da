// SPDX-License-Identifier: MIT
/* shell - the interactive shell on the serial console. Start-up: the
 * console ("console": raw input, our own echo and line editing), the VFS
 * ("vfs") and init ("init", with control rights); then an input thread that
 * loops on CON_READ and sends what it read to the main thread's endpoint.
 * The main thread waits on that endpoint for both input and children's
 * deaths (their exit endpoint is a badged copy of it, EXIT_BADGE), feeds
 * the bytes to the line editor (lineedit.c), and runs each line: a
 * built-in (builtin.c) or a program from the VFS (jobs.c). A service that
 * dies and is restarted is invisible here: the client libraries retry on
 * -MOS_EDEAD; the input thread keeps retrying if the console stays away. */
#include "mos_lib.h"
#include "console_client.h"
#include "vfs_client.h"
#include "proto/init.h"
#include "lineedit.h"
#include "fmt.h"
#include "shell.h"

#define INPUT_LABEL 1u
#define EXIT_BADGE  2ull                        /* notification bit: a child died */
#define INPUT_MAX   256u
#define RETRY_NS    (100ull * 1000000ull)
/* The input thread runs at the shell's priority (init.conf: prio=12); the
 * shell cannot ask for its own (it holds no handle to its main thread). */
#define INPUT_PRIO  12u

mos_handle_t sh_init_ep;
char sh_cwd[VFS_PATH_MAX] = "/";
mos_handle_t sh_exit_ep;                        /* jobs.c gives it to children */

static mos_handle_t sh_ep;                      /* input and exit notifications */
static struct lineedit editor;
static char typeahead[1024];
static size_t typeahead_len;

int sh_path(const char *cmd, const char *arg, char *out, size_t n)
{
    if (fmt_path_join(out, n, sh_cwd, arg) < 0) {
        printf("%s: %s: %s\n", cmd, arg, mos_strerror(-MOS_ENAMETOOLONG));
        return -1;
    }
    return 0;
}

long sh_call(mos_handle_t ep, uint32_t op, const uint64_t w[4], const void *payload, size_t len,
             struct mos_msg *reply)
{
    long r = mos_call(ep, op, w, payload, len, NULL, 0, reply);
    if (r < 0)
        return r;
    return (int32_t)mos_msg_label(reply->info);
}

/* ---------------------------------------------------------------- input */
/* The input thread calls the main thread with each piece of input, and the
 * main thread answers only when it waits for the next event: so the next
 * CON_READ always comes after the echo, the command's output and the prompt
 * were written, and the driver shows them at once (it sends a client's
 * unfinished line when that client reads). */
static mos_handle_t pending_reply;              /* REPLY handle of the input thread's call */

static void input_thread(void *arg)
{
    (void)arg;
    char buf[INPUT_MAX];
    for (;;) {
        long n = con_read(buf, sizeof buf);
        if (n == -MOS_ECANCELED) {      /* Ctrl-C reported as an event */
            buf[0] = 0x03;
            n = 1;
        }
        if (n <= 0) {                   /* the console is away (restarting): try again */
            (void)mos_thread_block(RETRY_NS);
            continue;
        }
        struct mos_msg reply;
        while (mos_call(sh_ep, INPUT_LABEL, NULL, buf, (size_t)n, NULL, 0, &reply) < 0)
            (void)mos_thread_block(RETRY_NS);
    }
}

static void release_input(void)
{
    if (pending_reply) {
        (void)mos_reply(pending_reply, 0, NULL, NULL, 0, NULL, 0);
        pending_reply = 0;
    }
}

long sh_wait_event(char *buf, size_t max, uint64_t timeout_ns)
{
    release_input();
    for (;;) {
        struct mos_msg m;
        long r = mos_recv(sh_ep, timeout_ns, MOS_MSG_REPLY_SLOT, &m);
        if (r < 0)
            return r;
        if (mos_msg_flags(m.info) & MOS_MSG_NOTIFY)
            return 0;
        if (mos_msg_flags(m.info) & MOS_MSG_CALL)
            pending_reply = mos_ipc_buffer()->reply;
        size_t n = mos_msg_bytes(m.info);
        if (n > max)
            n = max;
        if (mos_msg_label(m.info) != INPUT_LABEL || !n) {
            release_input();
            continue;
        }
        memcpy(buf, mos_msg_data(&m), n);
        return (long)n;
    }
}

void sh_typeahead(const char *buf, size_t n)
{
    if (n > sizeof typeahead - typeahead_len)
        n = sizeof typeahead - typeahead_len;
    memcpy(typeahead + typeahead_len, buf, n);
    typeahead_len += n;
}

static void echo_flush(void)
{
    size_t n;
    const char *out = le_output_take(&editor, &n);
    if (n)
        (void)con_write(out, n);
}

/* ---------------------------------------------------------------- commands */
static void run_line(const char *line)
{
    struct sh_cmd cmd;
    const char *why;
    if (sh_parse(line, &cmd, &why) < 0) {
        printf("shell: %s\n", why);
        return;
    }
    if (cmd.argc == 0)
        return;
    const struct sh_builtin *b = sh_builtin_find(cmd.argv[0]);
    if (b) {                    /* '&' matters only to run */
        if (cmd.redir && b->fn != sh_echo) {
            printf("shell: %s: only echo can be redirected\n", cmd.argv[0]);
            return;
        }
        (void)b->fn(&cmd);
        return;
    }
    if (cmd.redir) {
        printf("shell: %s: programs cannot be redirected\n", cmd.argv[0]);
        return;
    }
    (void)sh_run(&cmd);
}

static void prompt(void)
{
    (void)con_write(SH_PROMPT, sizeof SH_PROMPT - 1);
}

/* Feed bytes to the editor; run every line completed. */
static void feed(const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum le_event ev = le_feed(&editor, (unsigned char)buf[i]);
        if (ev == LE_NONE) {
            if (editor.out_len > LE_OUT_MAX - 4 * LE_LINE_MAX)
                echo_flush();
            continue;
        }
        echo_flush();
        if (ev == LE_LINE)
            run_line(editor.line);
        (void)sh_jobs_reap("");
        prompt();
    }
    echo_flush();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (con_init() < 0)
        mos_abort("shell: no console capability");
    con_use_for_stdout();
    (void)con_set_echo(0);
    if (vfs_init() < 0)
        printf("shell: no VFS capability: file commands will fail\n");
    sh_init_ep = mos_cap_by_name("init");
    long ep = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (ep < 0)
        mos_abort("shell: cannot create its endpoint");
    sh_ep = (mos_handle_t)ep;
    long xep = mos_cap_transfer(sh_ep, MOS_SELF, MOS_RIGHT_WRITE, EXIT_BADGE, 0, 0);
    if (xep < 0)
        mos_abort("shell: cannot derive the exit endpoint");
    sh_exit_ep = (mos_handle_t)xep;
    le_init(&editor);
    static struct mos_thread input;
    long r = mos_thread_start(&input, input_thread, NULL, INPUT_PRIO, -1);
    if (r < 0) {
        printf("shell: cannot start the input thread: %s\n", mos_strerror(r));
        return 1;
    }
    const struct mos_start *sb = mos_start_block();
    printf("\nMinimalOS shell%s. Type 'help' for the commands.\n",
           sb && (sb->flags & MOS_START_RESTART) ? " (restarted)" : "");
    prompt();
    char buf[INPUT_MAX];
    for (;;) {
        if (typeahead_len) {
            char copy[sizeof typeahead];
            size_t n = typeahead_len;
            memcpy(copy, typeahead, n);
            typeahead_len = 0;
            feed(copy, n);
            continue;
        }
        long n = sh_wait_event(buf, sizeof buf, MOS_TIMEOUT_FOREVER);
        if (n > 0) {
            feed(buf, (size_t)n);
        } else if (n < 0) {
            (void)mos_thread_block(RETRY_NS);   /* cannot happen; never spin */
        } else if (n == 0 && sh_jobs_reap("\n")) {
            /* A background job ended while the prompt was up: its report
             * went on a line of its own; show the prompt and the line again. */
            prompt();
            le_redraw(&editor);
            echo_flush();
        }
    }
}
