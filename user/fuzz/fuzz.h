/* SPDX-License-Identifier: MIT */
/* fuzz.h - the coverage-guided system-call fuzzer (bin/fuzz; docs/testing.md,
 * "Fuzzing"). One binary, two roles:
 *   the manager (argv[0] "fuzz", started by init in fuzz mode): generates and
 *     mutates typed programs of system calls (gen.c) from the call table that
 *     tools/gen_syscalls.py makes out of syscalls.def, keeps the corpus and
 *     the global coverage set (cover.c), starts executors and accounts for
 *     leaked frames at the end (manager.c);
 *   the executor (argv[0] "fzexec", a child the manager creates, exec.c):
 *     runs one program at a time on its main thread and two workers, with
 *     the kernel's coverage collection on (mos/kcov.h), and hands results and
 *     covered blocks back through a shared memory region.
 * Programs are plain data (struct fz_prog) with a text form (prog.c) that
 * failures print and `make fuzz REPLAY=` reads back. Everything derives from
 * the seed: under -icount the same seed and image give the same run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mos/types.h>

#define FZ_MIN(a, b) ((a) < (b) ? (a) : (b))

/* ---------------------------------------------------------------- programs */
#define FZ_MAX_CALLS    16
#define FZ_DATA_BYTES   512         /* program data, copied to the executor's arena */
#define FZ_WORKERS      2           /* executor threads besides main */
#define FZ_POOL         10          /* handles the executor makes at start (pool.c order) */

/* Pseudo-calls: executor actions that are not system calls (numbers above
 * every system call number). */
#define FZ_P_SETCAPS    0x100       /* a0..a3 -> ipc_buffer.caps[], a4 -> cap_flags */
#define FZ_P_FAULT      0x101       /* a0: which user fault (FZ_FAULT_*): kills the executor */
#define FZ_P_WAIT       0x102       /* a0: worker, a1: ns: wait for its job to finish */
#define FZ_NPSEUDO      3

#define FZ_FAULT_KINDS  6           /* read unmapped, write read-only, ud2, int3, divide, hlt */

/* How an argument is made at execution time (the executor resolves it). */
enum fz_arg_kind {
    FA_CONST = 0,   /* val itself */
    FA_RES,         /* result of call val of this program (0 if not run yet) */
    FA_POOL,        /* pool handle val */
    FA_ARENA,       /* executor arena + val bytes */
    FA_MAP,         /* fuzz mapping area + val pages */
    FA_FUNC,        /* address of the fuzz thread entry (exec.c) */
    FA_STACK,       /* top of fuzz thread stack slot val */
    FA_IPCREPLY,    /* ipc_buffer.reply of the executing thread */
    FA_IPCCAP,      /* ipc_buffer.caps[val & 3] of the executing thread */
    FA_NKINDS
};

struct fz_arg {
    uint32_t kind;                  /* enum fz_arg_kind */
    uint32_t _pad;
    uint64_t val;
};

struct fz_call {
    uint16_t nr;                    /* system call number or FZ_P_* */
    uint8_t thread;                 /* 0: main thread; 1..FZ_WORKERS: that worker (async) */
    uint8_t nargs;
    uint32_t _pad;
    struct fz_arg a[6];
};

struct fz_prog {
    uint32_t ncalls;
    uint32_t fail_skip;             /* failnth phase for MOS_KCOV_ON */
    struct fz_call c[FZ_MAX_CALLS];
    uint8_t data[FZ_DATA_BYTES];
};

/* ---------------------------------------------------------------- layout */
/* The executor's address space besides the usual (mos_start.h). */
#define FZ_SHM_VA       0x0000300000000000ull   /* shared with the manager (same address) */
#define FZ_MAP_VA       0x0000400000000000ull   /* where fuzzed mappings go (FA_MAP) */
#define FZ_MAP_PAGES    64
#define FZ_TSTACK_VA    0x0000410000000000ull   /* stacks of fuzzed threads (FA_STACK) */
#define FZ_TSTACKS      4
#define FZ_TSTACK_PAGES 4
#define FZ_ARENA_BYTES  16384               /* the executor's buffer arena (FA_ARENA) */
/* The manager's private scratch window (filling an executor's pages). */
#define FZ_SCRATCH_VA   0x0000310000000000ull
/* The manager's black box (manager.c): the text of the current executor's
 * programs, in one physically contiguous object that the host runner finds
 * in a dump of guest memory after a kernel crash or hang (fuzz_run.py). */
#define FZ_BBOX_VA      0x0000330000000000ull
#define FZ_BBOX_PAGES   32
struct fz_bbox {
    uint8_t magic[16];              /* "MOSFUZZ-BLACKBOX", made at run time (manager.c) so that
                                     * no other copy of it is in memory */
    uint64_t seed;
    uint64_t executor;              /* M.exec_index of the executor the programs ran on */
    uint64_t first_prog;            /* number of the first program in text */
    uint64_t last_prog;             /* number of the program running now (or last run) */
    uint32_t nprogs;                /* programs in text */
    uint32_t len;                   /* bytes of text */
    uint32_t check;                 /* FZ_BBOX_CHECK(...) of the fields above */
    uint32_t _pad;
    char text[];                    /* replay format (prog.c), programs separated by "---" */
};
#define FZ_BBOX_CHECK(b) ((uint32_t)((b)->executor * 31 + (b)->first_prog * 7 + (b)->last_prog + \
                                     (b)->nprogs * 3 + (b)->len) ^ 0x5A5AA5A5u)
_Static_assert(sizeof(struct fz_bbox) == 64, "fz_bbox header: fuzz_run.py reads it");

/* Results and coverage, executor -> manager. */
#define FZ_COV_MAIN     12288
#define FZ_COV_WORKER   6144
#define FZ_NOT_RUN      ((int64_t)0x7FFFFFFFFFFFFF00ll)   /* result of a call never started */
#define FZ_SKIPPED      ((int64_t)0x7FFFFFFFFFFFFF01ll)   /* worker busy: not posted */

struct fz_shm {
    uint64_t magic;
    uint64_t seq;                   /* program sequence number (manager) */
    struct fz_prog prog;            /* manager -> executor */
    int64_t res[FZ_MAX_CALLS];      /* executor -> manager */
    uint32_t ncalls_done;           /* calls started */
    uint32_t stuck;                 /* a worker did not finish: kill me */
    uint32_t main_thread;           /* manager: the executor's main THREAD handle (its space) */
    uint32_t cov_n;                 /* entries in cov_main */
    uint32_t wcov_n[FZ_WORKERS];
    uint32_t cov_main[FZ_COV_MAIN];
    uint32_t wcov[FZ_WORKERS][FZ_COV_WORKER];
};
#define FZ_SHM_MAGIC    0x4D48535A5A55464Full
#define FZ_SHM_PAGES    ((sizeof(struct fz_shm) + 4095) / 4096)

/* Manager <-> executor messages (labels), through the "ctl" endpoint: the
 * executor calls, the manager replies. */
#define FZ_MSG_READY    1           /* executor: set up, waiting (w0 = pool size) */
#define FZ_MSG_DONE     2           /* executor: program shm.seq finished (w0 = seq) */
#define FZ_CMD_RUN      10          /* manager: run shm.prog (w0 = seq) */
#define FZ_CMD_EXIT     11          /* manager: exit */
#define FZ_EXIT_BADGE   (1ull << 40) /* notification bit: the executor died */
#define FZ_CTL_BADGE    0x46555A5Aull

/* ---------------------------------------------------------------- rng */
struct fz_rng {
    uint64_t s;
};
uint64_t fz_rand(struct fz_rng *r);
uint64_t fz_below(struct fz_rng *r, uint64_t n);      /* [0, n), n > 0 */
bool fz_chance(struct fz_rng *r, unsigned percent);

/* ---------------------------------------------------------------- gen.c */
/* Kind letters of call nr's arguments and result (syscalls.def legend);
 * pseudo-calls included. NULL / 0 for an unknown number. */
const char *fz_call_kinds(unsigned nr);
char fz_call_result(unsigned nr);
const char *fz_call_name(unsigned nr);
unsigned fz_call_by_name(const char *name);            /* 0 if unknown */
unsigned fz_table_calls(void);                         /* system calls in the table */

/* A fresh program. */
void fz_generate(struct fz_rng *r, struct fz_prog *p);
/* Mutate p in place (other: a corpus program to splice from, or NULL). */
void fz_mutate(struct fz_rng *r, struct fz_prog *p, const struct fz_prog *other);

/* ---------------------------------------------------------------- prog.c */
/* Print p as text lines, each through emit(line) without a newline (the
 * format prog.c documents). */
void fz_prog_print(const struct fz_prog *p, void (*emit)(void *ctx, const char *line), void *ctx);
/* Parse programs from text: one call per line, "---" between programs.
 * Fills out[0..max), returns how many, or -1 with *err_line set. */
int fz_prog_parse(const char *text, size_t len, struct fz_prog *out, int max, int *err_line);

/* ---------------------------------------------------------------- cover.c */
/* The manager's global set of covered blocks. */
int fz_cover_init(uint32_t slots_log2);
/* Add n blocks; returns how many were new. */
uint32_t fz_cover_add(const uint32_t *pcs, uint32_t n);
uint32_t fz_cover_count(void);
/* Every covered block, sorted, into out[0..max); returns the count. */
uint32_t fz_cover_sorted(uint32_t *out, uint32_t max);

/* ---------------------------------------------------------------- exec.c */
int fz_executor_main(int argc, char **argv);
/* ---------------------------------------------------------------- manager.c */
int fz_manager_main(int argc, char **argv);
