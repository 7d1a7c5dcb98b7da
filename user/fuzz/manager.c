// SPDX-License-Identifier: MIT
/* manager.c - the fuzzer's manager: one session of `calls=` fuzzed system
 * calls from `seed=` (init passes the kernel command line as argv[1]).
 *   set-up      map the initrd, find bin/fuzz, copy its read-only segments
 *               once into memory objects every executor shares, make the
 *               shared region and the "ctl" endpoint, size the corpus and the
 *               coverage set (all allocation happens here, before the
 *               baseline);
 *   baseline    run one executor through an empty program and let it die,
 *               so every lazily made kernel structure exists; wait until its
 *               threads are reaped; MOS_KCOV_QUIESCE -> free frames, and the
 *               kernel information page's object counters;
 *   loop        make a program (fresh, or a mutated corpus program), hand it
 *               to the executor, wait (time-out: the executor is killed);
 *               a program that reached kernel blocks never seen before joins
 *               the corpus. Executors are replaced every EXEC_PROGRAMS
 *               programs, when stuck and when a program killed them;
 *   leak check  the last executor exits; once its threads are reaped,
 *               QUIESCE again and compare with the baseline.
 *   per executor after each executor is gone: settle and QUIESCE again and
 *               compare with the baseline: a difference is a leak, reported
 *               with the programs that executor ran ("fuzz: LEAK" lines, the
 *               black box's text), and becomes the new baseline.
 * Before each program runs, its text is appended to the black box (struct
 * fz_bbox), which holds the programs of the current executor: after a kernel
 * crash or hang the host runner finds it in a dump of guest memory, so the
 * failing programs come from the very run that failed, not a re-run.
 * It prints "fuzz: progress ..." every PROGRESS_CALLS calls (the host runner,
 * tools/fuzz_run.py, watches them for hangs), with trace=<n> every program
 * from number n on, and ends with the line
 *   fuzz: done: <calls> calls, <leaked> leaked frames, <blocks> kernel blocks covered, <n> leak reports
 * from which the host runner makes the session's final line (crashes and
 * hangs are the host's to see). replay runs the programs of etc/fuzz.replay
 * instead (repeat=<n> times); cover prints every covered block at the end
 * ("fuzz: cover" lines, fuzz_run.py --cover reads them).
 * Exit status 0 when nothing leaked. Single-threaded. */
#include "fuzz.h"

#include "mos_lib.h"
#include <mos/kcov.h>
#include "lib/cmdline.h"
#include "lib/elf.h"
#include "lib/tar.h"

#define INITRD_VA        0x0000320000000000ull
#define EXEC_QUOTA       2048u       /* pages */
#define EXEC_SLOTS       512u
#define EXEC_PRIO        16u
#define EXEC_MEMS        (ELF_MAX_SEGMENTS + 2)
#define EXEC_PROGRAMS    32u         /* programs per executor */
#define EXEC_TIMEOUT     30000000ull   /* ns of guest time per program */
#define DEATH_TIMEOUT    1000000000ull
#define PROGRESS_CALLS   2000u
#define LEAK_PRINT_MAX   3u          /* leak reports that print their programs */
#define CORPUS_MAX       2048u
#define REPLAY_MAX       64
#define CHECK_EVERY      1000u       /* programs between invariant checks */
#define COVER_LOG2       16

/* ---------------------------------------------------------------- state */
struct shared_seg {
    mos_handle_t mem;
    uint64_t lo, pages;
    uint32_t prot;
};

/* The kernel's counters (leak accounting): free frames after QUIESCE and
 * the kernel information page's counters. */
struct snapshot {
    uint64_t free_frames, heap_objects, heap_bytes, mappings;
    uint64_t objects[8];
};

struct data_seg {
    uint64_t lo, pages, head;        /* head: bytes before vaddr in its first page */
    const uint8_t *bytes;
    uint64_t filesz;
};

static struct {
    uint64_t seed, target_calls, trace_from, repeat;
    bool replay, cover;
    struct fz_prog *replay_progs;    /* replay: the programs of etc/fuzz.replay */
    int replay_n;
    struct fz_rng rng;
    /* set-up */
    const uint8_t *image;
    size_t image_len;
    uint64_t entry;
    struct shared_seg shared[ELF_MAX_SEGMENTS];
    unsigned nshared;
    struct data_seg data[ELF_MAX_SEGMENTS];
    unsigned ndata;
    mos_handle_t shm_mem, ctl, exit_cap;
    long failnth;
    /* the executor */
    mos_handle_t proc;               /* 0: none */
    mos_handle_t exec_mem[EXEC_MEMS];    /* its data, stack and IPC buffer objects */
    unsigned nexec_mem;
    unsigned exec_programs;
    uint64_t exec_index;
    /* corpus */
    struct fz_prog *corpus;
    unsigned ncorpus;
    /* black box and leak accounting */
    struct fz_bbox *bbox;
    struct snapshot base;            /* the state every executor must leave behind */
    bool checking;                   /* base is set: check after every executor */
    bool broken;                     /* executors cannot be started: end the session */
    struct mos_cap_info last_exit;   /* the last executor's PROCESS information when it ended */
    uint64_t leaked_frames, leak_reports;
    /* counters */
    uint64_t calls, programs, spawns, timeouts, deaths, stuck, next_progress;
    uint64_t deaths_by[MOS_EXIT_NO_THREADS + 1];
} M;

static struct fz_shm *const shm = (struct fz_shm *)FZ_SHM_VA;

static const struct mos_kinfo *kinfo(void)
{
    return (const struct mos_kinfo *)(uintptr_t)MOS_KINFO_ADDR;
}

static uint64_t now_ns(void)
{
    const struct mos_kinfo *k = kinfo();
    uint64_t tsc = __builtin_ia32_rdtsc();
    return (uint64_t)(((unsigned __int128)(tsc - k->tsc_base) * k->tsc_mult) >> 32);
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

static uint64_t arg_u64(const char *cmdline, const char *key, uint64_t dflt)
{
    char buf[32];
    return cmdline_get(cmdline, key, buf, sizeof buf) ? parse_u64(buf) : dflt;
}

/* One line straight to the kernel log (printf would cut long lines). */
static void say(const char *line)
{
    (void)mos_debug_write((uint64_t)(uintptr_t)line, strlen(line));
}

/* ---------------------------------------------------------------- set-up */
static long map_initrd(void)
{
    mos_handle_t h = mos_cap_by_name("initrd");
    struct mos_cap_info info;
    if (!h || mos_cap_inspect(h, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0)
        return -MOS_EBADHANDLE;
    long r = mos_mem_map(h, MOS_SELF, INITRD_VA, 0, info.count, MOS_PROT_READ);
    if (r < 0)
        return r;
    M.image_len = info.count * MOS_PAGE_SIZE;       /* the archive ends with zero blocks */
    return 0;
}

static const void *initrd_file(const char *path, size_t *len)
{
    struct tar_entry e;
    if (tar_find((const void *)(uintptr_t)INITRD_VA, M.image_len, path, &e) != 0 ||
        e.type != TAR_FILE)
        return NULL;
    *len = (size_t)e.size;
    return e.data;
}

/* Copy pages [lo, lo + pages) of a segment into a fresh memory object,
 * through our scratch window. Returns the MEMORY handle or an error. */
static long fill_object(uint64_t pages, uint64_t head, const uint8_t *bytes, uint64_t filesz)
{
    long mem = mos_mem_alloc(pages, 0);
    if (mem < 0)
        return mem;
    long r = mos_mem_map((uint64_t)mem, MOS_SELF, FZ_SCRATCH_VA, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r >= 0) {
        memcpy((uint8_t *)(uintptr_t)FZ_SCRATCH_VA + head, bytes, (size_t)filesz);
        r = mos_mem_unmap(MOS_SELF, FZ_SCRATCH_VA, pages);
    }
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)mem);
        return r;
    }
    return mem;
}

static long load_image(void)
{
    size_t len;
    const uint8_t *img = initrd_file("bin/fuzz", &len);
    if (!img)
        return -MOS_ENOENT;
    struct elf_info ei;
    if (elf_validate(img, len, &ei) != 0)
        return -MOS_ENOEXEC;
    M.image = img;
    M.entry = ei.entry;
    for (unsigned i = 0; i < ei.nsegs; i++) {
        const struct elf_segment *s = &ei.seg[i];
        uint64_t lo = s->vaddr & ~4095ull;
        uint64_t hi = (s->vaddr + s->memsz + 4095) & ~4095ull;
        if (s->prot & MOS_PROT_WRITE) {
            M.data[M.ndata++] = (struct data_seg){
                .lo = lo, .pages = (hi - lo) / 4096, .head = s->vaddr - lo,
                .bytes = img + s->offset, .filesz = s->filesz,
            };
            continue;
        }
        long mem = fill_object((hi - lo) / 4096, s->vaddr - lo, img + s->offset, s->filesz);
        if (mem < 0)
            return mem;
        M.shared[M.nshared++] = (struct shared_seg){
            .mem = (mos_handle_t)mem, .lo = lo, .pages = (hi - lo) / 4096, .prot = s->prot,
        };
    }
    return 0;
}

/* ---------------------------------------------------------------- black box */
#define BBOX_TEXT_MAX (FZ_BBOX_PAGES * MOS_PAGE_SIZE - sizeof(struct fz_bbox))

static void bbox_seal(void)
{
    struct fz_bbox *b = M.bbox;
    b->check = FZ_BBOX_CHECK(b);
}

/* The text of the black box; each byte of the magic is stored XORed with a
 * key the compiler cannot see, so the plain magic exists only in the box. */
static long bbox_setup(void)
{
    static const uint8_t magic_x[16] = {
        'M' ^ 0xA5, 'O' ^ 0xA5, 'S' ^ 0xA5, 'F' ^ 0xA5, 'U' ^ 0xA5, 'Z' ^ 0xA5, 'Z' ^ 0xA5, '-' ^ 0xA5,
        'B' ^ 0xA5, 'L' ^ 0xA5, 'A' ^ 0xA5, 'C' ^ 0xA5, 'K' ^ 0xA5, 'B' ^ 0xA5, 'O' ^ 0xA5, 'X' ^ 0xA5,
    };
    static volatile uint8_t key = 0xA5;
    long mem = mos_mem_alloc(FZ_BBOX_PAGES, MOS_MEM_CONTIG);
    if (mem < 0)
        return mem;
    long r = mos_mem_map((uint64_t)mem, MOS_SELF, FZ_BBOX_VA, 0, FZ_BBOX_PAGES,
                         MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        return r;
    M.bbox = (struct fz_bbox *)(uintptr_t)FZ_BBOX_VA;
    M.bbox->seed = M.seed;
    bbox_seal();
    for (unsigned i = 0; i < 16; i++)
        M.bbox->magic[i] = magic_x[i] ^ key;
    return 0;
}

/* A new executor: the box starts empty. */
static void bbox_reset(void)
{
    M.bbox->executor = M.exec_index;
    M.bbox->nprogs = 0;
    M.bbox->len = 0;
    M.bbox->first_prog = M.bbox->last_prog = M.programs;
    bbox_seal();
}

struct bbox_put {
    char *buf;
    uint32_t len, max;
    bool full;
};

static void bbox_emit(void *ctx, const char *line)
{
    struct bbox_put *o = ctx;
    size_t n = strlen(line);
    if (o->full || o->len + n + 1 > o->max) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, line, n);
    o->buf[o->len + n] = '\n';
    o->len += (uint32_t)n + 1;
}

/* Append program idx (about to run). When the box is full it keeps only
 * this program: the last one matters most. */
static void bbox_append(uint64_t idx, const struct fz_prog *p)
{
    struct fz_bbox *b = M.bbox;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct bbox_put o = { .buf = b->text, .len = b->len, .max = (uint32_t)BBOX_TEXT_MAX };
        char head[64];
        snprintf(head, sizeof head, "%s# program %llu", b->nprogs ? "---\n" : "",
                 (unsigned long long)idx);
        bbox_emit(&o, head);
        fz_prog_print(p, bbox_emit, &o);
        if (!o.full) {
            if (!b->nprogs)
                b->first_prog = idx;
            b->len = o.len;
            b->nprogs++;
            b->last_prog = idx;
            bbox_seal();
            return;
        }
        b->nprogs = 0;
        b->len = 0;
    }
}

static long setup(void)
{
    long r = mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_OFF, 0, 0, 0, 0, 0);
    if (r < 0) {
        printf("fuzz: this kernel has no coverage calls (%s): build it with make fuzz\n",
               mos_strerror(r));
        return r;
    }
    if ((r = bbox_setup()) < 0) {
        printf("fuzz: cannot make the black box: %s\n", mos_strerror(r));
        return r;
    }
    if ((r = map_initrd()) < 0 || (r = load_image()) < 0) {
        printf("fuzz: cannot load bin/fuzz from the initrd: %s\n", mos_strerror(r));
        return r;
    }
    r = mos_mem_alloc(FZ_SHM_PAGES, 0);
    if (r < 0)
        return r;
    M.shm_mem = (mos_handle_t)r;
    r = mos_mem_map(M.shm_mem, MOS_SELF, FZ_SHM_VA, 0, FZ_SHM_PAGES, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0)
        return r;
    shm->magic = FZ_SHM_MAGIC;
    r = mos_cap_create(MOS_CAP_ENDPOINT, 0);
    if (r < 0)
        return r;
    M.ctl = (mos_handle_t)r;
    r = mos_cap_transfer(M.ctl, MOS_SELF, MOS_RIGHT_WRITE, FZ_EXIT_BADGE, 0, 0);
    if (r < 0)
        return r;
    M.exit_cap = (mos_handle_t)r;
    if (fz_cover_init(COVER_LOG2) < 0)
        return -MOS_ENOMEM;
    M.corpus = malloc(CORPUS_MAX * sizeof *M.corpus);
    if (!M.corpus)
        return -MOS_ENOMEM;
    memset(M.corpus, 0, CORPUS_MAX * sizeof *M.corpus);
    return 0;
}

/* ---------------------------------------------------------------- executors */
static long move_into(mos_handle_t h, mos_handle_t proc)
{
    struct mos_cap_info info;
    long r = mos_cap_inspect(h, (uint64_t)(uintptr_t)&info, MOS_SELF, 0);
    if (r < 0)
        return r;
    return mos_cap_transfer(h, proc, info.rights | MOS_XFER_MOVE, 0, 0, 0);
}

/* A fresh memory object mapped into proc at va (read-write). We keep the
 * capability (exec_mem[]), so a program cannot delete its own executor's
 * memory; it goes when the executor is retired. */
static long give_memory(mos_handle_t proc, long mem, uint64_t va, uint64_t pages)
{
    if (mem < 0)
        return mem;
    long r = mos_mem_map((uint64_t)mem, proc, va, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0 || M.nexec_mem >= EXEC_MEMS) {
        (void)mos_cap_delete((mos_handle_t)mem);
        return r < 0 ? r : -MOS_ENOSPC;
    }
    M.exec_mem[M.nexec_mem++] = (mos_handle_t)mem;
    return 0;
}

static void drop_exec_memory(void)
{
    for (unsigned i = 0; i < M.nexec_mem; i++)
        (void)mos_cap_delete(M.exec_mem[i]);
    M.nexec_mem = 0;
}

/* The executor's main stack with its start block: argv {"fzexec"} and the
 * capability "ctl". Returns the initial stack pointer and block address. */
static long give_stack(mos_handle_t proc, mos_handle_t ctl_in_child, uint64_t *sp, uint64_t *block)
{
    const uint64_t pages = MOS_MAIN_STACK_PAGES, bytes = pages * MOS_PAGE_SIZE;
    long mem = mos_mem_alloc(pages, 0);
    if (mem < 0)
        return mem;
    long r = mos_mem_map((uint64_t)mem, MOS_SELF, FZ_SCRATCH_VA, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r >= 0) {
        static const char *const argv[] = { "fzexec" };
        static const char *const names[] = { "ctl" };
        struct mos_start_params sp_params = {
            .argc = 1, .argv = argv, .ncaps = 1, .cap_names = names,
            .cap_handles = &ctl_in_child, .ipc_buffer = MOS_MAIN_IPC_BUFFER,
            .stack_base = MOS_MAIN_STACK_TOP - bytes,
        };
        r = mos_start_build((void *)(uintptr_t)FZ_SCRATCH_VA, bytes, MOS_MAIN_STACK_TOP, &sp_params,
                            block, sp);
        long u = mos_mem_unmap(MOS_SELF, FZ_SCRATCH_VA, pages);
        if (r >= 0)
            r = u;
    }
    if (r < 0) {
        (void)mos_cap_delete((mos_handle_t)mem);
        return r;
    }
    return give_memory(proc, mem, MOS_MAIN_STACK_TOP - bytes, pages);
}

static long spawn_executor(void)
{
    shm->magic = FZ_SHM_MAGIC;      /* programs can write anywhere in shared memory */
    struct mos_proc_args pa = {
        .quota_pages = EXEC_QUOTA, .cspace_slots = EXEC_SLOTS, .exit_ep = M.exit_cap,
    };
    memcpy(pa.name, "fzexec", 7);
    long proc = mos_proc_create((uint64_t)(uintptr_t)&pa);
    if (proc < 0)
        return proc;
    mos_handle_t p = (mos_handle_t)proc;
    long r = 0;
    for (unsigned i = 0; i < M.nshared && r >= 0; i++) {
        const struct shared_seg *s = &M.shared[i];
        r = mos_mem_map(s->mem, p, s->lo, 0, s->pages, s->prot);
    }
    for (unsigned i = 0; i < M.ndata && r >= 0; i++) {
        const struct data_seg *d = &M.data[i];
        r = give_memory(p, fill_object(d->pages, d->head, d->bytes, d->filesz), d->lo, d->pages);
    }
    if (r >= 0)
        r = mos_mem_map(M.shm_mem, p, FZ_SHM_VA, 0, FZ_SHM_PAGES, MOS_PROT_READ | MOS_PROT_WRITE);
    long ctl = r >= 0 ? mos_cap_transfer(M.ctl, p, MOS_RIGHT_WRITE, FZ_CTL_BADGE, 0, 0) : r;
    uint64_t sp = 0, block = 0;
    r = ctl < 0 ? ctl : give_stack(p, (mos_handle_t)ctl, &sp, &block);
    if (r >= 0)
        r = give_memory(p, mos_mem_alloc(MOS_IPC_BUFFER_PAGES, 0), MOS_MAIN_IPC_BUFFER,
                        MOS_IPC_BUFFER_PAGES);
    long th = r >= 0 ? mos_thread_create(p, M.entry, sp, block, MOS_THREAD_PRIO(EXEC_PRIO),
                                         MOS_MAIN_IPC_BUFFER) : r;
    if (th >= 0) {
        shm->main_thread = 0;
        r = move_into((mos_handle_t)th, p);
        if (r >= 0)
            shm->main_thread = (uint32_t)r;
        else
            (void)mos_cap_delete((mos_handle_t)th);
    } else {
        r = th;
    }
    if (r < 0) {
        (void)mos_proc_destroy(p, 0);
        (void)mos_cap_delete(p);
        drop_exec_memory();
        printf("fuzz: cannot start an executor: %s\n", mos_strerror(r));
        return r;
    }
    M.proc = p;
    M.exec_programs = 0;
    M.exec_index++;
    M.spawns++;
    bbox_reset();
    return 0;
}

enum { EV_READY, EV_DONE, EV_DEAD, EV_TIMEOUT };

static bool executor_dead(void)
{
    struct mos_cap_info info;
    return mos_cap_inspect(M.proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) < 0 ||
           info.u.proc.state == MOS_PROC_DEAD;
}

/* The executor's next message. On EV_READY/EV_DONE we hold its reply right
 * and must answer before the next receive. Messages that are not the
 * protocol's (a fuzzed call can send through its ctl capability) are
 * dropped. */
static int wait_executor(uint64_t timeout, uint64_t seq)
{
    uint64_t deadline = now_ns() + timeout;
    for (;;) {
        uint64_t now = now_ns();
        struct mos_msg m;
        long r = mos_ipc_recv_m(M.ctl, now < deadline ? deadline - now : 0, 0, &m);
        if (r == -MOS_ETIMEDOUT)
            return EV_TIMEOUT;
        if (r < 0) {
            printf("fuzz: receive on ctl failed: %s\n", mos_strerror(r));
            return EV_TIMEOUT;
        }
        uint32_t label = mos_msg_label(m.info);
        if (mos_msg_flags(m.info) & MOS_MSG_NOTIFY) {
            if ((m.w[0] & FZ_EXIT_BADGE) && executor_dead())
                return EV_DEAD;
            continue;
        }
        if (m.badge != FZ_CTL_BADGE || !(mos_msg_flags(m.info) & MOS_MSG_CALL))
            continue;
        if (label == FZ_MSG_READY && m.w[0] == FZ_POOL)
            return EV_READY;
        if (label == FZ_MSG_DONE && m.w[0] == seq)
            return EV_DONE;
    }
}

static void check_executor_leaks(void);

/* The executor is gone or must go: kill it if needed, wait for its death,
 * count why it died, drop our handle, and check that it left nothing
 * behind. */
static void retire_executor(bool kill)
{
    if (!M.proc)
        return;
    if (kill)
        (void)mos_proc_destroy(M.proc, 0);
    bool told = false;
    while (!executor_dead()) {
        if (wait_executor(DEATH_TIMEOUT, UINT64_MAX) == EV_TIMEOUT && !told) {
            printf("fuzz: executor %llu does not die\n", (unsigned long long)M.exec_index);
            told = true;
        }
    }
    struct mos_cap_info info;
    if (mos_cap_inspect(M.proc, (uint64_t)(uintptr_t)&info, MOS_SELF, 0) == 0) {
        M.last_exit = info;
        if (info.u.proc.exit_reason <= MOS_EXIT_NO_THREADS)
            M.deaths_by[info.u.proc.exit_reason]++;
    }
    (void)mos_cap_delete(M.proc);
    drop_exec_memory();
    M.proc = 0;
    if (M.checking)
        check_executor_leaks();
}

/* Tell a waiting executor (we hold its reply right) what to do next. */
static void command(uint32_t cmd, uint64_t seq)
{
    (void)mos_ipc_reply(0, mos_msginfo(cmd, 0, 0, 0), seq, 0, 0, 0);
}

/* An executor that has called READY, or 0 if none could be started. */
static bool ensure_executor(void)
{
    static const char *const evname[] = { "ready", "done", "died", "no answer" };
    long err = 0;
    int ev = EV_TIMEOUT;
    for (unsigned tries = 0; !M.proc && tries < 8; tries++) {
        if ((err = spawn_executor()) < 0)
            continue;
        ev = wait_executor(EXEC_TIMEOUT, UINT64_MAX);
        if (ev == EV_READY)
            return true;
        retire_executor(ev != EV_DEAD);
        M.deaths++;
    }
    if (M.proc)
        return true;
    /* Eight in a row: something is wrong (with the kernel, or here). Say
     * what, and end the session: the host sees too few calls. */
    const struct mos_cap_info *x = &M.last_exit;
    printf("fuzz: FAIL: cannot start an executor (8 tries; last: %s%s, %s, exit reason %u code %lld, "
           "fault ip 0x%llx addr 0x%llx, %llu of %llu pages used)\n",
           err < 0 ? "spawn error " : "", err < 0 ? mos_strerror(err) : "", evname[ev],
           x->u.proc.exit_reason, (long long)x->u.proc.exit_code, (unsigned long long)x->u.proc.fault_ip,
           (unsigned long long)x->u.proc.fault_addr, (unsigned long long)x->u.proc.used_pages,
           (unsigned long long)x->u.proc.quota_pages);
    M.broken = true;
    return false;
}

/* ---------------------------------------------------------------- leak check */
/* Wait (at most 5 s of guest time) until there are no more processes and
 * threads than `want` says, then give empty slabs back and read the
 * counters. */
static void settle(struct snapshot *s, const struct snapshot *want)
{
    const struct mos_kinfo *k = kinfo();
    for (unsigned i = 0; i < 5000; i++) {
        if (want && k->objects[MOS_CAP_PROCESS] <= want->objects[MOS_CAP_PROCESS] &&
            k->objects[MOS_CAP_THREAD] <= want->objects[MOS_CAP_THREAD])
            break;
        if (!want && i >= 20)
            break;
        (void)mos_thread_block(1000000);
    }
    long f = mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_QUIESCE, 0, 0, 0, 0, 0);
    s->free_frames = f > 0 ? (uint64_t)f : k->free_frames;
    s->heap_objects = k->heap_objects;
    s->heap_bytes = k->heap_bytes;
    s->mappings = k->mappings;
    for (unsigned i = 0; i < 8; i++)
        s->objects[i] = k->objects[i];
}

static bool snapshot_same(const struct snapshot *a, const struct snapshot *b)
{
    bool same = a->heap_objects == b->heap_objects && a->heap_bytes == b->heap_bytes &&
                a->mappings == b->mappings && a->free_frames == b->free_frames;
    for (unsigned i = 0; i < 8; i++)
        same = same && a->objects[i] == b->objects[i];
    return same;
}

/* "fuzz: <what>: free frames a -> b, ..." */
static void leak_line(const char *what, const struct snapshot *a, const struct snapshot *b)
{
    printf("fuzz: %s: free frames %llu -> %llu, heap objects %llu -> %llu, heap bytes "
           "%llu -> %llu, mappings %llu -> %llu, memory objects %llu -> %llu, endpoints %llu -> "
           "%llu, processes %llu -> %llu, threads %llu -> %llu\n", what,
           (unsigned long long)a->free_frames, (unsigned long long)b->free_frames,
           (unsigned long long)a->heap_objects, (unsigned long long)b->heap_objects,
           (unsigned long long)a->heap_bytes, (unsigned long long)b->heap_bytes,
           (unsigned long long)a->mappings, (unsigned long long)b->mappings,
           (unsigned long long)a->objects[MOS_CAP_MEMORY], (unsigned long long)b->objects[MOS_CAP_MEMORY],
           (unsigned long long)a->objects[MOS_CAP_ENDPOINT], (unsigned long long)b->objects[MOS_CAP_ENDPOINT],
           (unsigned long long)a->objects[MOS_CAP_PROCESS], (unsigned long long)b->objects[MOS_CAP_PROCESS],
           (unsigned long long)a->objects[MOS_CAP_THREAD], (unsigned long long)b->objects[MOS_CAP_THREAD]);
}

static void emit_leak(void *ctx, const char *line)
{
    (void)ctx;
    char buf[400];
    snprintf(buf, sizeof buf, "fuzz: leak-prog: %s", line);
    say(buf);
}

/* After an executor is gone (M.base set): is everything back to the
 * baseline? If not, report the leak with the programs the executor ran
 * (the black box), count the frames, and take the state as the new
 * baseline, so one leak is reported once. */
static void check_executor_leaks(void)
{
    struct snapshot now;
    settle(&now, &M.base);
    if (snapshot_same(&M.base, &now))
        return;
    M.leak_reports++;
    if (now.free_frames < M.base.free_frames)
        M.leaked_frames += M.base.free_frames - now.free_frames;
    char what[96];
    snprintf(what, sizeof what, "LEAK after executor %llu (programs %llu..%llu)",
             (unsigned long long)M.bbox->executor, (unsigned long long)M.bbox->first_prog,
             (unsigned long long)M.bbox->last_prog);
    leak_line(what, &M.base, &now);
    if (M.leak_reports <= LEAK_PRINT_MAX) {
        /* The text is in the replay format: fuzz_run.py collects these lines. */
        const char *t = M.bbox->text;
        uint32_t len = M.bbox->len, i = 0;
        char line[320];
        while (i < len) {
            uint32_t k = 0;
            while (i < len && t[i] != '\n' && k + 1 < sizeof line)
                line[k++] = t[i++];
            line[k] = '\0';
            while (i < len && t[i] != '\n')
                i++;
            i++;
            emit_leak(NULL, line);
        }
        say("fuzz: leak-prog end");
    }
    M.base = now;
}

/* ---------------------------------------------------------------- programs */
static void emit_trace(void *ctx, const char *line)
{
    char buf[400];
    snprintf(buf, sizeof buf, "fuzz: prog %llu: %s", (unsigned long long)*(const uint64_t *)ctx, line);
    say(buf);
}

static void print_results(uint64_t idx, const struct fz_prog *p)
{
    char buf[400];
    size_t k = (size_t)snprintf(buf, sizeof buf, "fuzz: prog %llu: # results", (unsigned long long)idx);
    for (unsigned i = 0; i < p->ncalls && k < sizeof buf - 32; i++) {
        int64_t v = shm->res[i];
        if (v == FZ_NOT_RUN)
            k += (size_t)snprintf(buf + k, sizeof buf - k, " r%u=-", i);
        else if (v == FZ_SKIPPED)
            k += (size_t)snprintf(buf + k, sizeof buf - k, " r%u=busy", i);
        else if (v < 0 && v > -64)
            k += (size_t)snprintf(buf + k, sizeof buf - k, " r%u=%s", i, mos_strerror(v));
        else
            k += (size_t)snprintf(buf + k, sizeof buf - k, " r%u=0x%llx", i, (unsigned long long)v);
    }
    say(buf);
}

static unsigned calls_started(const struct fz_prog *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < shm->ncalls_done && i < p->ncalls; i++) {
        if (p->c[i].nr < FZ_P_SETCAPS)
            n++;
    }
    return n;
}

/* Run p on the executor. Returns the number of new blocks it reached. */
static uint32_t run_one(const struct fz_prog *p, bool trace)
{
    uint64_t idx = M.programs++;
    if (!ensure_executor())
        return 0;
    if (trace) {
        char line[96];
        snprintf(line, sizeof line, "fuzz: prog %llu: # executor %llu, program %u of it",
                  (unsigned long long)idx, (unsigned long long)M.exec_index, M.exec_programs + 1);
        say(line);
        fz_prog_print(p, emit_trace, &idx);
    }
    bbox_append(idx, p);
    memcpy(&shm->prog, p, sizeof *p);
    shm->seq = idx + 1;
    shm->ncalls_done = 0;
    shm->cov_n = 0;
    for (unsigned w = 0; w < FZ_WORKERS; w++)
        shm->wcov_n[w] = 0;
    command(FZ_CMD_RUN, idx + 1);
    int ev = wait_executor(EXEC_TIMEOUT, idx + 1);
    M.exec_programs++;
    M.calls += calls_started(p);
    uint32_t fresh = fz_cover_add(shm->cov_main, FZ_MIN(shm->cov_n, (uint32_t)FZ_COV_MAIN));
    for (unsigned w = 0; w < FZ_WORKERS; w++)
        fresh += fz_cover_add(shm->wcov[w], FZ_MIN(shm->wcov_n[w], (uint32_t)FZ_COV_WORKER));
    if (trace)
        print_results(idx, p);
    if (ev == EV_DONE && !shm->stuck && M.exec_programs < EXEC_PROGRAMS)
        return fresh;
    /* Replace it: used up (exit), stuck or silent (kill), or dead. */
    if (ev == EV_DONE && !shm->stuck) {
        command(FZ_CMD_EXIT, 0);
        retire_executor(false);
    } else {
        if (ev == EV_DONE)
            M.stuck++;
        else if (ev == EV_TIMEOUT)
            M.timeouts++;
        else
            M.deaths++;
        retire_executor(ev != EV_DEAD);
    }
    return fresh;
}

static void progress(void)
{
    const struct mos_kinfo *k = kinfo();
    printf("fuzz: progress %llu calls, prog %llu, %u blocks, corpus %u, executors %llu, "
           "deaths %llu, timeouts %llu; kernel: %llu processes, %llu threads, %llu free frames\n",
           (unsigned long long)M.calls, (unsigned long long)M.programs, fz_cover_count(), M.ncorpus,
           (unsigned long long)M.spawns, (unsigned long long)M.deaths, (unsigned long long)M.timeouts,
           (unsigned long long)k->objects[MOS_CAP_PROCESS], (unsigned long long)k->objects[MOS_CAP_THREAD],
           (unsigned long long)k->free_frames);
}

static void fuzz_loop(void)
{
    static struct fz_prog p;
    uint64_t since_check = 0;
    M.next_progress = PROGRESS_CALLS;
    while (M.calls < M.target_calls && !M.broken) {
        if (!M.ncorpus || fz_chance(&M.rng, 25)) {
            fz_generate(&M.rng, &p);
        } else {
            p = M.corpus[fz_below(&M.rng, M.ncorpus)];
            fz_mutate(&M.rng, &p, &M.corpus[fz_below(&M.rng, M.ncorpus)]);
        }
        bool trace = M.programs >= M.trace_from;
        if (run_one(&p, trace) > 0) {
            if (M.ncorpus < CORPUS_MAX)
                M.corpus[M.ncorpus++] = p;
            else
                M.corpus[fz_below(&M.rng, CORPUS_MAX)] = p;
        }
        if (M.calls >= M.next_progress) {
            progress();
            M.next_progress += PROGRESS_CALLS;
        }
        if (++since_check >= CHECK_EVERY) {
            (void)mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_CHECK, 0, 0, 0, 0, 0);
            since_check = 0;
        }
    }
}

/* Read and parse etc/fuzz.replay into M.replay_progs. Called before the
 * baseline: the parse buffer comes from the heap, whose growth would
 * otherwise look like a leak of the first executor. */
static int replay_load(void)
{
    size_t len;
    const char *text = initrd_file("etc/fuzz.replay", &len);
    if (!text) {
        printf("fuzz: replay: no etc/fuzz.replay in the initrd\n");
        return -1;
    }
    M.replay_progs = malloc(REPLAY_MAX * sizeof *M.replay_progs);
    int err_line = 0;
    int n = M.replay_progs ? fz_prog_parse(text, len, M.replay_progs, REPLAY_MAX, &err_line) : -1;
    if (n <= 0) {
        printf("fuzz: replay: etc/fuzz.replay line %d: cannot parse\n", err_line);
        return -1;
    }
    M.replay_n = n;
    return 0;
}

static void replay_loop(void)
{
    int n = M.replay_n;
    printf("fuzz: replay: %d program%s, %llu time%s\n", n, n == 1 ? "" : "s",
           (unsigned long long)M.repeat, M.repeat == 1 ? "" : "s");
    for (uint64_t k = 0; k < M.repeat; k++) {
        for (int i = 0; i < n; i++)
            (void)run_one(&M.replay_progs[i], true);
    }
}

static void print_cover(void)
{
    uint32_t n = fz_cover_count();
    uint32_t *pcs = malloc((n + 1) * sizeof *pcs);
    if (!pcs)
        return;
    n = fz_cover_sorted(pcs, n);
    /* Deltas in hex, 32 a line: "fuzz: cover <first index> <delta> ...". */
    char line[400];
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i += 32) {
        size_t k = (size_t)snprintf(line, sizeof line, "fuzz: cover %u", i);
        for (uint32_t j = i; j < n && j < i + 32; j++) {
            k += (size_t)snprintf(line + k, sizeof line - k, " %x", pcs[j] - prev);
            prev = pcs[j];
        }
        say(line);
    }
    printf("fuzz: cover end %u blocks\n", n);
    free(pcs);
}

/* ---------------------------------------------------------------- main */
int fz_manager_main(int argc, char **argv)
{
    const char *cmdline = argc > 1 ? argv[1] : "";
    M.seed = arg_u64(cmdline, "seed", 1);
    M.target_calls = arg_u64(cmdline, "calls", 100000);
    M.trace_from = arg_u64(cmdline, "trace", UINT64_MAX);
    M.repeat = arg_u64(cmdline, "repeat", 1);
    M.replay = cmdline_has(cmdline, "replay");
    M.cover = cmdline_has(cmdline, "cover");
    M.rng.s = M.seed;
    if (setup() < 0 || (M.replay && replay_load() < 0))
        return 1;
    const struct mos_kinfo *k = kinfo();
    struct snapshot before_warmup = { 0 };
    before_warmup.objects[MOS_CAP_PROCESS] = k->objects[MOS_CAP_PROCESS];
    before_warmup.objects[MOS_CAP_THREAD] = k->objects[MOS_CAP_THREAD];

    /* Warm-up: one executor through an empty program. */
    M.failnth = mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_ON, 0, 0, 0, 0, 0);
    (void)mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_OFF, 0, 0, 0, 0, 0);
    static struct fz_prog empty;
    (void)run_one(&empty, false);
    if (M.proc) {
        command(FZ_CMD_EXIT, 0);
        retire_executor(false);
    }
    struct snapshot end;
    settle(&M.base, &before_warmup);
    M.checking = !cmdline_has(cmdline, "nocheck");
    M.programs = M.calls = M.spawns = M.deaths = M.timeouts = M.stuck = 0;
    memset(M.deaths_by, 0, sizeof M.deaths_by);
    printf("fuzz: seed %llu, %s%llu calls, failnth %ld, %u calls in the table, %llu frames free\n",
           (unsigned long long)M.seed, M.replay ? "replay, " : "",
           (unsigned long long)M.target_calls, M.failnth, fz_table_calls(),
           (unsigned long long)M.base.free_frames);

    if (M.replay)
        replay_loop();
    else
        fuzz_loop();
    if (M.proc) {
        /* It waits for a command only after a finished program. */
        command(FZ_CMD_EXIT, 0);
        retire_executor(false);
    }
    M.checking = false;
    settle(&end, &M.base);
    (void)mos_syscall6(SYS_fuzz_cov_reset, MOS_KCOV_CHECK, 0, 0, 0, 0, 0);
    bool clean = snapshot_same(&M.base, &end) && !M.leak_reports;
    if (!snapshot_same(&M.base, &end)) {
        M.leak_reports++;
        if (end.free_frames < M.base.free_frames)
            M.leaked_frames += M.base.free_frames - end.free_frames;
    }
    leak_line("leak check (last baseline -> end)", &M.base, &end);
    printf("fuzz: %llu programs, %llu executors (ended: %llu exited, %llu killed, %llu faulted, "
           "%llu thread-less), %llu stuck, %llu timed out, corpus %u\n",
           (unsigned long long)M.programs, (unsigned long long)M.spawns,
           (unsigned long long)M.deaths_by[MOS_EXIT_CALLED], (unsigned long long)M.deaths_by[MOS_EXIT_KILLED],
           (unsigned long long)(M.deaths_by[MOS_EXIT_PAGE_FAULT] + M.deaths_by[MOS_EXIT_GENERAL_PROTECTION] +
                                M.deaths_by[MOS_EXIT_INVALID_OPCODE] + M.deaths_by[MOS_EXIT_DIVIDE_ERROR] +
                                M.deaths_by[MOS_EXIT_BAD_RETURN] + M.deaths_by[MOS_EXIT_OTHER_FAULT]),
           (unsigned long long)M.deaths_by[MOS_EXIT_NO_THREADS], (unsigned long long)M.stuck,
           (unsigned long long)M.timeouts, M.ncorpus);
    if (M.cover)
        print_cover();
    printf("fuzz: done: %llu calls, %llu leaked frames, %u kernel blocks covered, %llu leak reports\n",
           (unsigned long long)M.calls, (unsigned long long)M.leaked_frames, fz_cover_count(),
           (unsigned long long)M.leak_reports);
    return clean ? 0 : 1;
}
