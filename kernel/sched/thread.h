/* SPDX-License-Identifier: MIT */
/* thread.h - a thread: a kernel stack, saved context, scheduling state.
 * Kernel threads have proc == NULL; user threads (phase 5) belong to a
 * process. State, cpu and the queue links are protected by the scheduler
 * lock of the CPU named by `cpu` (sched.c explains the protocol). */
#pragma once

#include "lib/types.h"
#include "lib/list.h"
#include "mm/kstack.h"
#include "sched/timerq.h"

enum thread_state {
    THREAD_NEW,         /* created, not yet started */
    THREAD_READY,       /* in its CPU's run queue */
    THREAD_RUNNING,     /* current on its CPU */
    THREAD_BLOCKED,     /* waiting: for sched_wake() or its timeout */
    THREAD_DEAD,        /* exited; reaped after its CPU has left its stack */
};

struct process;
struct kcov;

struct thread {
    uint64_t ksp;                   /* saved stack pointer while switched out (switch.S) */
    struct kstack kstack;
    enum thread_state state;        /* cpu's sched lock */
    uint8_t prio;                   /* 1..SCHED_PRIO_MAX (0 = idle only) */
    bool is_idle;
    int16_t pinned;                 /* CPU it must run on, or -1 */
    uint16_t cpu;                   /* CPU whose queues hold it / that runs it */
    struct list_node rq_node;       /* cpu's run queue while READY */
    struct tq_node timer;           /* cpu's timer queue while sleeping with a deadline */
    long wake_reason;               /* what ended the last block: 0, -MOS_ETIMEDOUT, ... */
    bool blocking;                  /* between sched_prepare_block and sched_block */
    bool frame_resume;              /* blocked by the IPC fast path: it has no kernel
                                     * context to return to; resuming it runs
                                     * ipc_frame_resume() and leaves from its frame */
    bool wake_pending;              /* a wake arrived in that window (reason in wake_reason) */
    uint64_t tid;
    char name[24];
    void (*entry)(void *arg);
    void *arg;
    struct process *proc;           /* NULL for kernel threads */
    uint32_t refs;                  /* atomic: the scheduler's + thread_get()s */
    uint64_t runtime_ns;            /* CPU time used (updated at each switch) */
    uint64_t last_run_ns;           /* when it was last switched in */
    uint64_t switches;              /* times switched in */
    struct list_node all_node;      /* global thread list (thread_list_lock) */
    struct list_node reap_node;     /* cpu's reap list once DEAD */
    void *arch_ext;                 /* arch extended state (FPU/SSE) for user threads */

    /* What the CPU needs on a switch to this thread (set by proc code;
     * kernel threads: the kernel's root and no I/O bitmap). */
    uint64_t space_root;            /* what a switch to it loads (vm_space.switch_root) */
    uint8_t *const *iomap;          /* -> its process's I/O bitmap pointer, or NULL */
    const uint64_t *iomap_gen;      /* -> that bitmap's version */

    /* User threads (proc != NULL); big_lock unless noted. */
    struct list_node proc_node;     /* in proc->threads */
    uint64_t ipc_buf;               /* user address of its IPC buffer, 0 = none */
    volatile bool killed;           /* leave at the next return to user mode (any CPU sets it) */
    bool exiting;                   /* uthread_exit has run */
    bool parked;                    /* in thread_block */
    bool wake_pending_user;         /* thread_wake arrived while not parked */

    /* IPC (big_lock). */
    uint8_t ipc_state;              /* IPC_* (ipc/ipc.h) */
    uint32_t ipc_flags;             /* receive flags while RECV_BLOCKED */
    struct list_node ipc_node;      /* in ipc_ep's send or receive queue */
    struct endpoint *ipc_ep;        /* endpoint it is queued on (holds a reference) */
    struct cap_slot *ipc_slot;      /* capability it is queued through */
    uint64_t ipc_badge;             /* send-blocked: the badge of that capability */
    long ipc_result;                /* set by whoever ends the wait (under big_lock) */
    struct thread *reply_to;        /* server: caller waiting for our implicit reply */
    struct thread *replier;         /* caller: server holding our reply right (implicit) */
    struct cap_slot *call_slot;     /* caller in IPC_WAIT_REPLY: the capability it called
                                     * through (revoking it cancels the call) */
    uint64_t obj_id;                /* unique among all objects (cap_inspect's object_id) */
    uint64_t reply_ticket;          /* caller: identifies the current call (REPLY caps) */
    struct kcov *kcov;              /* fuzzing build: its coverage set (debug/kcov.c), NULL
                                     * until first used; only the thread itself touches it */
};

#define THREAD_NO_CPU (-1)

/* Create a kernel thread running fn(arg) at prio, pinned to `cpu` (or -1 to
 * let the scheduler place it). Not started. NULL when out of memory. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, unsigned prio, int cpu);
/* A thread object with a stack but no first frame yet (the caller lays it
 * out: arch_thread_init or arch_user_thread_init). NULL when out of memory. */
struct thread *thread_alloc(const char *name, unsigned prio, int cpu);
/* Make a NEW thread runnable (placement: pinned CPU, else the least loaded). */
void thread_start(struct thread *t);
/* End the calling thread. */
__noreturn void thread_exit(void);
/* Reference counting: the struct stays valid while a reference is held. */
void thread_get(struct thread *t);
void thread_put(struct thread *t);
struct thread *thread_current(void);
/* Number of threads alive (created and not yet freed), for leak tests. */
uint64_t thread_count(void);
/* Free threads that died on this CPU (called where interrupts are on). */
void thread_reap(void);
/* Call fn for every thread (under the thread-list lock: fn must not create
 * or free threads or take the scheduler locks' callers' locks in reverse). */
void thread_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx);
/* Print every thread (debugging, the shell's ps). */
void thread_dump(void);
