/* SPDX-License-Identifier: MIT */
/* ubsan.h - the debug kernel's UndefinedBehaviorSanitizer runtime
 * (lib/ubsan.c). With -fsanitize=... (mk/debug.mk) gcc and clang insert a
 * check before each operation that could be undefined and call one of the
 * __ubsan_handle_* functions below when it fails, passing a static
 * descriptor (source location, type descriptors) and the operands. The
 * layouts are the compilers' shared ABI (the same for gcc and clang, as in
 * compiler-rt's ubsan_handlers.h); the handler set covers what gcc 12 and
 * clang 14 emit for C with the checks the debug build enables, in both
 * their recoverable and _abort forms. Each handler prints
 *     UBSAN: <kind> at <file>:<line>:<col>
 * and the values involved, then panics, unless a test planned it
 * (lib/kcheck.h), in which case it returns and the program goes on. */
#pragma once

#include "lib/types.h"

struct ubsan_source_location {
    const char *file;           /* NULL or "<unknown>" when the compiler had none */
    uint32_t line;
    uint32_t column;
};

#define UBSAN_TYPE_INTEGER 0x0000   /* info = log2(bit width) << 1 | signed */
#define UBSAN_TYPE_FLOAT   0x0001   /* info = bit width */
#define UBSAN_TYPE_UNKNOWN 0xffff

struct ubsan_type_descriptor {
    uint16_t kind;
    uint16_t info;
    char name[];                /* quoted, e.g. "'int'" */
};

/* A value: inline when it fits in a pointer, else a pointer to it. */
typedef uintptr_t ubsan_value_t;

struct ubsan_overflow_data {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *type;
};

struct ubsan_shift_data {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *lhs_type;
    const struct ubsan_type_descriptor *rhs_type;
};

struct ubsan_out_of_bounds_data {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *array_type;
    const struct ubsan_type_descriptor *index_type;
};

/* type_check_kind: index into "load of", "store to", ... (ubsan.c). */
struct ubsan_type_mismatch_data_v1 {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *type;
    uint8_t log_alignment;
    uint8_t type_check_kind;
};

struct ubsan_vla_bound_data {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *type;
};

struct ubsan_invalid_value_data {
    struct ubsan_source_location loc;
    const struct ubsan_type_descriptor *type;
};

struct ubsan_nonnull_arg_data {
    struct ubsan_source_location loc;
    struct ubsan_source_location attr_loc;
    int arg_index;              /* 1-based */
};

struct ubsan_nonnull_return_data {
    struct ubsan_source_location attr_loc;
};

struct ubsan_unreachable_data {
    struct ubsan_source_location loc;
};

struct ubsan_pointer_overflow_data {
    struct ubsan_source_location loc;
};

#define UBSAN_BUILTIN_CTZ 0
#define UBSAN_BUILTIN_CLZ 1
struct ubsan_invalid_builtin_data {
    struct ubsan_source_location loc;
    uint8_t kind;
};

struct ubsan_alignment_assumption_data {
    struct ubsan_source_location loc;
    struct ubsan_source_location assumption_loc;
    const struct ubsan_type_descriptor *type;
};

/* Reports printed since boot (planned ones included). */
unsigned ubsan_report_count(void);

/* The entry points the compilers call (one declaration per handler and
 * its _abort twin, for -Wmissing-prototypes). */
#define UBSAN_HANDLER_PAIR(name, params)                 \
    void __ubsan_handle_##name params;                   \
    __noreturn void __ubsan_handle_##name##_abort params;

UBSAN_HANDLER_PAIR(add_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs))
UBSAN_HANDLER_PAIR(sub_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs))
UBSAN_HANDLER_PAIR(mul_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs))
UBSAN_HANDLER_PAIR(negate_overflow, (struct ubsan_overflow_data *d, ubsan_value_t old))
UBSAN_HANDLER_PAIR(divrem_overflow, (struct ubsan_overflow_data *d, ubsan_value_t lhs, ubsan_value_t rhs))
UBSAN_HANDLER_PAIR(shift_out_of_bounds, (struct ubsan_shift_data *d, ubsan_value_t lhs, ubsan_value_t rhs))
UBSAN_HANDLER_PAIR(out_of_bounds, (struct ubsan_out_of_bounds_data *d, ubsan_value_t index))
UBSAN_HANDLER_PAIR(type_mismatch_v1, (struct ubsan_type_mismatch_data_v1 *d, ubsan_value_t ptr))
UBSAN_HANDLER_PAIR(vla_bound_not_positive, (struct ubsan_vla_bound_data *d, ubsan_value_t bound))
UBSAN_HANDLER_PAIR(load_invalid_value, (struct ubsan_invalid_value_data *d, ubsan_value_t val))
UBSAN_HANDLER_PAIR(nonnull_arg, (struct ubsan_nonnull_arg_data *d))
UBSAN_HANDLER_PAIR(nonnull_return_v1, (struct ubsan_nonnull_return_data *d,
                                       struct ubsan_source_location *loc))
UBSAN_HANDLER_PAIR(pointer_overflow, (struct ubsan_pointer_overflow_data *d, ubsan_value_t base,
                                      ubsan_value_t result))
UBSAN_HANDLER_PAIR(invalid_builtin, (struct ubsan_invalid_builtin_data *d))
UBSAN_HANDLER_PAIR(alignment_assumption, (struct ubsan_alignment_assumption_data *d,
                                          ubsan_value_t ptr, ubsan_value_t alignment,
                                          ubsan_value_t offset))
#undef UBSAN_HANDLER_PAIR

/* No _abort form: it never returns. */
__noreturn void __ubsan_handle_builtin_unreachable(struct ubsan_unreachable_data *d);
