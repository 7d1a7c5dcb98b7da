/* SPDX-License-Identifier: MIT */
/* errors.h - error codes of the MinimalOS ABI. A call that fails returns the
 * negative of one of these; success is 0 or a non-negative count/handle. */
#pragma once

enum mos_error {
    MOS_OK = 0,
#define X(name, val, text) MOS_##name = (val),
#include <mos/errors.def>
#undef X
    MOS_ERROR_MAX
};

/* The text of an error code (positive or negative); "unknown error" otherwise. */
const char *mos_strerror(long err);
