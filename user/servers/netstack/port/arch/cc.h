/* SPDX-License-Identifier: MIT */
/* arch/cc.h - lwIP's compiler and platform port for the netstack: x86_64,
 * little endian, gcc or clang, no C library headers beyond the freestanding
 * ones (stdint, stddef, limits) and the port's own string.h/stdlib.h.
 * Diagnostics go to the netstack's log; a failed lwIP assertion ends the
 * netstack (init restarts it), because lwIP's state can no longer be
 * trusted. Randomness (TCP initial sequence numbers, DNS ids, DHCP xid and
 * local ports) comes from netstack_rand() (lwip_port.c). */
#pragma once

#include <limits.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN

/* No <inttypes.h>, <ctype.h>, <unistd.h> in a freestanding build. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1
#define LWIP_NO_UNISTD_H   1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"
/* lwIP takes ssize_t from <unistd.h> when <limits.h> has SSIZE_MAX. */
#ifdef SSIZE_MAX
typedef long ssize_t;
#endif

void netstack_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void netstack_assert_fail(const char *msg, int line, const char *file) __attribute__((noreturn));
uint32_t netstack_rand(void);

#define LWIP_PLATFORM_DIAG(x)   do { netstack_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) netstack_assert_fail((x), __LINE__, __FILE__)
#define LWIP_RAND()             netstack_rand()
