// SPDX-License-Identifier: MIT
/* test_ustart.c - the start-block convention (user/lib/start_block.c):
 * mos_start_build() lays thread data, start block, strings and pointer
 * arrays out at the top of a stack image; the test reads the result back
 * as the new process would (translating its addresses into the buffer)
 * and checks every field, the bounds and alignment, that nothing below the
 * reported stack pointer is touched, the exact size limit, and the argument
 * checks. mos_caps_lookup() is checked on well-formed and malformed lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mos/errors.h>
#include "mos_start.h"

#define STACK 16384u
#define TOP   MOS_MAIN_STACK_TOP
#define FILL  0xA5

static uint8_t stack_img[STACK];

/* The buffer byte at child address va (which must lie in the image). */
static void *at_va(uint64_t va, size_t size)
{
    uint64_t base = TOP - size;
    assert_true(va >= base && va < TOP);
    return stack_img + (va - base);
}

static uint64_t read64(uint64_t va, size_t size)
{
    uint64_t v;
    memcpy(&v, at_va(va, size), 8);
    return v;
}

static const char *const argv_in[] = { "prog", "-v", "", "a longer argument with spaces" };
static const char *const names_in[] = { "console", "vfs", "x", "a-name-of-exactly-31-characters" };
static const mos_handle_t handles_in[] = { 12, 0x00300007, 4294967295u, 1 };

static struct mos_start_params params(void)
{
    return (struct mos_start_params){
        .argc = 4,
        .argv = argv_in,
        .ncaps = 4,
        .cap_names = names_in,
        .cap_handles = handles_in,
        .self_proc = 77,
        .self_thread = 78,
        .flags = MOS_START_RESTART,
        .ipc_buffer = MOS_MAIN_IPC_BUFFER,
        .stack_base = TOP - 65536,
    };
}

static void build_and_read_back(void **state)
{
    (void)state;
    memset(stack_img, FILL, sizeof stack_img);
    struct mos_start_params p = params();
    uint64_t block_va = 0, sp = 0;
    assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), 0);

    /* Thread data in the last 32 bytes. */
    struct mos_thread_data td;
    memcpy(&td, at_va(TOP - 32, STACK), sizeof td);
    assert_int_equal(td.ipc_buffer, MOS_MAIN_IPC_BUFFER);
    assert_int_equal(td.stack_base, TOP - 65536);
    assert_int_equal(td.thread, 78);

    /* The block, right below it. */
    assert_int_equal(block_va, TOP - 32 - sizeof(struct mos_start));
    assert_int_equal(block_va % 8, 0);
    struct mos_start b;
    memcpy(&b, at_va(block_va, STACK), sizeof b);
    assert_int_equal(b.magic, MOS_START_MAGIC);
    assert_int_equal(b.size, sizeof(struct mos_start));
    assert_int_equal(b.argc, 4);
    assert_int_equal(b.ncaps, 4);
    assert_int_equal(b.self_proc, 77);
    assert_int_equal(b.self_thread, 78);
    assert_int_equal(b.flags, MOS_START_RESTART);
    assert_int_equal(b.ipc_buffer, MOS_MAIN_IPC_BUFFER);
    assert_int_equal(b.stack_base, TOP - 65536);
    assert_int_equal(b.stack_top, TOP);

    /* argv: pointers into the image, strings intact, NULL-terminated. */
    assert_int_equal(b.argv % 8, 0);
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t s = read64(b.argv + 8 * i, STACK);
        assert_true(s > sp && s < block_va);
        assert_string_equal((const char *)at_va(s, STACK), argv_in[i]);
    }
    assert_int_equal(read64(b.argv + 8 * 4, STACK), 0);

    /* caps: "name=handle" strings, found again by mos_caps_lookup. */
    assert_int_equal(b.caps % 8, 0);
    const char *list[5];
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t s = read64(b.caps + 8 * i, STACK);
        assert_true(s > sp && s < block_va);
        list[i] = at_va(s, STACK);
        char want[64];
        snprintf(want, sizeof want, "%s=%u", names_in[i], handles_in[i]);
        assert_string_equal(list[i], want);
    }
    assert_int_equal(read64(b.caps + 8 * 4, STACK), 0);
    list[4] = NULL;
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(mos_caps_lookup(list, names_in[i]), handles_in[i]);

    /* The stack pointer: aligned, below everything, with room below it;
     * nothing under it was written. */
    assert_int_equal(sp % 16, 0);
    assert_true(sp <= b.argv && sp <= b.caps);
    assert_true(sp - (TOP - STACK) >= 256);
    for (uint64_t va = TOP - STACK; va < sp; va++)
        assert_int_equal(*(uint8_t *)at_va(va, STACK), FILL);
}

static void no_arguments_no_caps(void **state)
{
    (void)state;
    struct mos_start_params p = { .ipc_buffer = 0x1000 };
    uint64_t block_va, sp;
    assert_int_equal(mos_start_build(stack_img, 4096, TOP, &p, &block_va, &sp), 0);
    struct mos_start b;
    memcpy(&b, at_va(block_va, 4096), sizeof b);
    assert_int_equal(b.argc, 0);
    assert_int_equal(read64(b.argv, 4096), 0);
    assert_int_equal(read64(b.caps, 4096), 0);
    assert_int_equal(sp % 16, 0);
}

/* The smallest size that works is exact: one byte less overflows. */
static void size_limit_is_exact(void **state)
{
    (void)state;
    struct mos_start_params p = params();
    uint64_t block_va, sp;
    size_t ok = 0;
    for (size_t size = 0; size <= STACK; size++) {
        if (mos_start_build(stack_img, size, TOP, &p, &block_va, &sp) == 0) {
            ok = size;
            break;
        }
    }
    assert_true(ok > 256);
    assert_int_equal(mos_start_build(stack_img, ok - 1, TOP, &p, &block_va, &sp), -MOS_EOVERFLOW);
    /* Every size from there up works, and leaves its 256 bytes. */
    for (size_t size = ok; size < ok + 64; size++) {
        assert_int_equal(mos_start_build(stack_img, size, TOP, &p, &block_va, &sp), 0);
        assert_true(sp >= TOP - size + 256);
    }
    /* Long argv overflows rather than overrunning. */
    static char huge[20000];
    memset(huge, 'h', sizeof huge - 1);
    const char *argv[] = { huge };
    p.argc = 1;
    p.argv = argv;
    assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), -MOS_EOVERFLOW);
}

static void bad_parameters_rejected(void **state)
{
    (void)state;
    uint64_t block_va, sp;
    struct mos_start_params p = params();
    assert_int_equal(mos_start_build(stack_img, STACK, TOP - 16, &p, &block_va, &sp), -MOS_EINVAL);
    assert_int_equal(mos_start_build(stack_img, STACK, TOP + 4096, &p, &block_va, &sp), -MOS_EINVAL);
    assert_int_equal(mos_start_build(stack_img, STACK, 0, &p, &block_va, &sp), -MOS_EINVAL);

    static const char *const bad_names[] = { "", "a=b", "=", "a-name-of-exactly-32-characters!", NULL };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        p = params();
        const char *names[4] = { names_in[0], names_in[1], bad_names[i], names_in[3] };
        p.cap_names = names;
        assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), -MOS_EINVAL);
    }
    p = params();
    const char *argv[] = { "a", NULL, "c" };
    p.argc = 3;
    p.argv = argv;
    assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), -MOS_EINVAL);
    p = params();
    p.argv = NULL;
    assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), -MOS_EINVAL);
    p = params();
    p.cap_handles = NULL;
    assert_int_equal(mos_start_build(stack_img, STACK, TOP, &p, &block_va, &sp), -MOS_EINVAL);
}

static void caps_lookup_cases(void **state)
{
    (void)state;
    static const char *const list[] = {
        "console=12", "con=7", "consolex=9", "zero=0", "big=4294967295", "over=4294967296",
        "neg=-1", "hex=0x10", "trail=5x", "empty=", "dup=1", "dup=2", "=3", "sp= 4", NULL,
    };
    assert_int_equal(mos_caps_lookup(list, "console"), 12);
    assert_int_equal(mos_caps_lookup(list, "con"), 7);
    assert_int_equal(mos_caps_lookup(list, "consolex"), 9);
    assert_int_equal(mos_caps_lookup(list, "cons"), 0);
    assert_int_equal(mos_caps_lookup(list, "zero"), 0);
    assert_int_equal(mos_caps_lookup(list, "big"), 4294967295u);
    assert_int_equal(mos_caps_lookup(list, "over"), 0);
    assert_int_equal(mos_caps_lookup(list, "neg"), 0);
    assert_int_equal(mos_caps_lookup(list, "hex"), 0);
    assert_int_equal(mos_caps_lookup(list, "trail"), 0);
    assert_int_equal(mos_caps_lookup(list, "empty"), 0);
    assert_int_equal(mos_caps_lookup(list, "dup"), 1);   /* the first wins */
    assert_int_equal(mos_caps_lookup(list, ""), 0);
    assert_int_equal(mos_caps_lookup(list, "sp"), 0);
    assert_int_equal(mos_caps_lookup(list, "missing"), 0);
    assert_int_equal(mos_caps_lookup(list, "con=7"), 0);
    assert_int_equal(mos_caps_lookup(NULL, "console"), 0);
    assert_int_equal(mos_caps_lookup(list, NULL), 0);
    static const char *const none[] = { NULL };
    assert_int_equal(mos_caps_lookup(none, "console"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_and_read_back),
        cmocka_unit_test(no_arguments_no_caps),
        cmocka_unit_test(size_limit_is_exact),
        cmocka_unit_test(bad_parameters_rejected),
        cmocka_unit_test(caps_lookup_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
