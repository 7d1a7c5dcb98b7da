/* SPDX-License-Identifier: MIT */
/* string.h - the kernel's memory and string primitives (kernel/lib/string.c),
 * with the standard C prototypes and semantics. Freestanding. Host tests get
 * the C library's instead, so code compiled there calls the host versions. */
#pragma once

#ifdef HOST_TEST
#include <string.h>
#else
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strnlen(const char *s, size_t maxlen);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *h, const char *n);
#endif
