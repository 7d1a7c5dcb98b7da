/* SPDX-License-Identifier: MIT */
/* uaccess.h - reaching user memory. A user pointer has its own type that
 * cannot be dereferenced; only copy_from_user/copy_to_user open it. Both
 * check that [va, va+len) lies in the user half without wrapping, copy once,
 * and return 0 or -MOS_EFAULT (also when a page is missing or lacks the
 * access right: the copy routine's fault is caught, never fatal). */
#pragma once

#include "lib/types.h"

typedef struct { uintptr_t va; } uptr_t;

static inline uptr_t uptr(uint64_t va) { return (uptr_t){ va }; }

/* Is [va, va+len) entirely inside user space (no wrap)? len 0 is fine. */
bool user_range_ok(uint64_t va, uint64_t len);

__must_check int copy_from_user(void *dst, uptr_t src, size_t len);
__must_check int copy_to_user(uptr_t dst, const void *src, size_t len);
__must_check int clear_user(uptr_t dst, size_t len);
/* Copy a NUL-terminated string of at most max-1 characters; -MOS_EFAULT,
 * or -MOS_ENAMETOOLONG when no NUL is found within max bytes. */
__must_check int copy_string_from_user(char *dst, uptr_t src, size_t max);
