// SPDX-License-Identifier: MIT
/* strerror.c - mos_strerror(): the text of a MinimalOS error code, generated
 * from include/mos/errors.def so names, numbers and texts are written once.
 * The table is indexed by error value; gaps in the numbering stay NULL and
 * read as unknown, and a value listed twice fails the build (-Woverride-init,
 * clang's -Winitializer-overrides). Pure, stateless, callable in any context. */
#include <mos/errors.h>

#include "lib/types.h"

static const char *const mos_error_text[MOS_ERROR_MAX] = {
    [MOS_OK] = "success",
#define X(name, val, text) [MOS_##name] = text,
#include <mos/errors.def>
#undef X
};

/* Accepts an error code as a syscall returns it (-MOS_EPERM) or as named
 * (MOS_EPERM). 0 gives "success"; any value outside the list, including
 * LONG_MIN, gives "unknown error". The result is a static string. */
const char *mos_strerror(long err)
{
    /* Negate in unsigned arithmetic so LONG_MIN cannot overflow. */
    unsigned long code = err < 0 ? 0ul - (unsigned long)err : (unsigned long)err;
    if (code >= ARRAY_SIZE(mos_error_text) || !mos_error_text[code])
        return "unknown error";
    return mos_error_text[code];
}
