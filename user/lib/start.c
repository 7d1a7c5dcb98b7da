// SPDX-License-Identifier: MIT
/* start.c - from crt0 to main and back: __mos_start() tells a start block
 * (MOS_START_MAGIC, left by mos_spawn) from init's block (MOS_INIT_MAGIC,
 * left by the kernel), finds argv and the named capabilities, makes sure
 * the thread data at the top of the stack region is there (init's kernel-
 * built stack has none, so it is written here), runs .init_array, calls
 * main and ends the process with main's result.
 * If the stack does not end on a MOS_STACK_REGION boundary where the
 * convention puts it (a loader that does not follow mos_start.h), the
 * thread data lives in a static instead, which is right only while the
 * process has one thread. State here is written once, before main. */
#include "mos_start.h"

#include <stdbool.h>
#include <mos/ipc.h>
#include "mos_string.h"
#include "user_syscalls.h"

#define START_STR_(x) #x
#define START_STR(x)  START_STR_(x)

__attribute__((noreturn)) void __mos_start(void *block);
int main(int argc, char **argv);

static const struct mos_start *start_block;
static struct mos_init_info init_info;
static bool is_init;
static const char *const *start_caps;
static struct mos_thread_data fallback_td;
static bool use_fallback_td;

static char init_name[] = "init";
static char *init_argv[] = { init_name, NULL };
static char *no_argv[] = { NULL };
static const char *const init_caps[] = {
    "self=" START_STR(MOS_INIT_SELF),
    "initrd=" START_STR(MOS_INIT_INITRD),
    "ioports=" START_STR(MOS_INIT_IOPORTS),
    "irqs=" START_STR(MOS_INIT_IRQS),
    "devmem=" START_STR(MOS_INIT_DEVMEM),
    "thread=" START_STR(MOS_INIT_MAIN_THREAD),
    NULL,
};

/* Constructors (user/lib/user.ld provides the bounds). */
typedef void (*start_ctor_t)(void);
extern start_ctor_t __init_array_start[], __init_array_end[];

static uintptr_t start_sp(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    return sp;
}

/* The end of the stack region the stack pointer is in. */
static uintptr_t start_region_top(uintptr_t sp)
{
    return (sp | (MOS_STACK_REGION - 1)) + 1;
}

struct mos_thread_data *mos_thread_data(void)
{
    if (use_fallback_td)
        return &fallback_td;
    return (struct mos_thread_data *)start_region_top(start_sp()) - 1;
}

void __mos_start(void *block)
{
    int argc = 0;
    char **argv = no_argv;
    const uint64_t *magic = block;
    uintptr_t top = start_region_top(start_sp());

    if (magic && *magic == MOS_START_MAGIC) {
        start_block = block;
        argc = (int)start_block->argc;
        argv = (char **)(uintptr_t)start_block->argv;
        start_caps = (const char *const *)(uintptr_t)start_block->caps;
        if (start_block->stack_top != top) {
            use_fallback_td = true;
            fallback_td.ipc_buffer = start_block->ipc_buffer;
            fallback_td.stack_base = start_block->stack_base;
            fallback_td.thread = start_block->self_thread;
        }
    } else if (magic && *magic == MOS_INIT_MAGIC) {
        /* Copy the block first: the thread data may overwrite its end. */
        memcpy(&init_info, block, sizeof init_info);
        is_init = true;
        argc = 1;
        argv = init_argv;
        start_caps = init_caps;
        struct mos_thread_data td = {
            .ipc_buffer = MOS_MAIN_IPC_BUFFER,
            .thread = MOS_INIT_MAIN_THREAD,
        };
        /* The kernel puts the block in the top page of init's stack; if
         * that page ends a stack region, the region convention holds. */
        uintptr_t b = (uintptr_t)block;
        if (b < top && top - b <= MOS_PAGE_SIZE) {
            memcpy((struct mos_thread_data *)top - 1, &td, sizeof td);
        } else {
            fallback_td = td;
            use_fallback_td = true;
        }
    } else {
        use_fallback_td = true;   /* unknown loader: no IPC buffer known */
    }

    for (start_ctor_t *c = __init_array_start; c < __init_array_end; c++)
        (*c)();
    mos_exit(main(argc, argv));
}

mos_handle_t mos_cap_by_name(const char *name)
{
    return mos_caps_lookup(start_caps, name);
}

const struct mos_start *mos_start_block(void)
{
    return start_block;
}

uint32_t mos_restarts(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        uint64_t n;
        if (strcmp(argv[i], "--restart") == 0)
            return mos_parse_u64(argv[i + 1], UINT32_MAX, &n) && n ? (uint32_t)n : 1;
    }
    const struct mos_start *sb = mos_start_block();
    return sb && (sb->flags & MOS_START_RESTART) ? 1 : 0;
}

const struct mos_init_info *mos_init_block(void)
{
    return is_init ? &init_info : NULL;
}

void mos_exit(long code)
{
    (void)mos_proc_destroy(MOS_SELF, (uint64_t)code);
    for (;;)
        (void)mos_thread_block(MOS_TIMEOUT_FOREVER);
}

void mos_abort(const char *why)
{
    static const char prefix[] = "abort: ";
    (void)mos_debug_write((uint64_t)(uintptr_t)prefix, sizeof prefix - 1);
    (void)mos_debug_write((uint64_t)(uintptr_t)why, strlen(why));
    (void)mos_debug_write((uint64_t)(uintptr_t)"\n", 1);
    mos_exit(MOS_EXIT_ABORTED);
}
