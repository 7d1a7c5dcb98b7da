/* SPDX-License-Identifier: MIT */
/* ipc_util.h - helpers shared by the cases of the ipc group: endpoints,
 * sender/receiver threads whose results the case checks afterwards,
 * waiting for a thread to block, children run in the background (so the
 * case's main thread stays free to talk to them), and threads without an
 * IPC buffer. */
#pragma once

#include "utest.h"

/* struct mos_cap_info.u.thread.state */
#define TSTATE_BLOCKED 3u
#define TSTATE_DEAD    4u

#define MS(n) ((uint64_t)(n) * 1000000ull)

/* A new endpoint (all rights); records a failure and returns 0 if none. */
mos_handle_t ipc_new_ep(void);
/* A copy of h in this process with `rights` (and badge, 0 = keep). */
mos_handle_t ipc_derive(mos_handle_t h, uint32_t rights, uint64_t badge);

/* Poll (yielding) until thread th's state is `state`: true, or false after
 * timeout_ns. */
bool ipc_wait_state(mos_handle_t th, uint32_t state, uint64_t timeout_ns);

/* A thread that sends or calls once: set the fields, then ipc_peer_start(). */
struct ipc_peer {
    /* in */
    mos_handle_t ep;
    enum { PEER_SEND, PEER_CALL, PEER_RECV } op;
    uint32_t label;
    uint64_t w[MOS_MSG_WORDS];
    uint64_t timeout;           /* PEER_RECV; 0 here means MOS_TIMEOUT_FOREVER */
    uint32_t flags;             /* PEER_RECV: recv flags; PEER_SEND: MOS_MSG_* flags */
    bool nocopy;                /* PEER_RECV: do not read the IPC buffer afterwards */
    /* out */
    long result;
    struct mos_msg msg;         /* PEER_CALL: the reply; PEER_RECV: the message */
    mos_handle_t caps[MOS_MSG_MAX_CAPS];   /* PEER_RECV: copied from its IPC buffer */
    uint8_t data[64];           /* PEER_RECV: first payload bytes, copied */
    volatile int done;
    struct mos_thread thr;
};
/* Start p's thread (records a failure if it cannot). */
void ipc_peer_start(struct ipc_peer *p);
/* Start it and wait until it is blocked in its IPC call. */
void ipc_peer_start_blocked(struct ipc_peer *p);
/* Wait for its end (at most timeout_ns) and free its stack: true if it ended. */
bool ipc_peer_join(struct ipc_peer *p, uint64_t timeout_ns);

/* utest_run_child() in a thread of its own. */
struct ipc_runner {
    const char *name;
    uint64_t arg;
    struct mos_spawn_cap caps[4];
    uint32_t ncaps;
    uint32_t timeout_ms;
    struct utest_child res;
    volatile int done;
    struct mos_thread thr;
};
void ipc_runner_start(struct ipc_runner *r);
/* Wait until the child is dead (or was killed at its time-out). */
struct utest_child ipc_runner_wait(struct ipc_runner *r);

/* A thread with no IPC buffer (thread_create with ipc buffer 0), in stack
 * region MOS_THREAD_STACKS + (200 + k) regions. */
struct ipc_bare {
    mos_handle_t thread, stack_mem;
    uint64_t base;
};
long ipc_bare_start(struct ipc_bare *b, unsigned k, void (*fn)(void *), void *arg);
/* Wait for it to end, then free it. */
bool ipc_bare_join(struct ipc_bare *b, uint64_t timeout_ns);
