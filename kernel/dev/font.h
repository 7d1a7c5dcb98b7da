/* SPDX-License-Identifier: MIT */
/* font.h - the kernel's built-in 8x16 console font. The table is generated
 * at build time by tools/psf2c.py (build/gen/font8x16.c) from the PSF font
 * named by FONT_PSF in kernel/dev/module.mk. Entry c is the glyph for byte c
 * read as Latin-1 (control codes hold the font's replacement glyph); each
 * glyph is FONT_HEIGHT rows of one byte, bit 7 = leftmost pixel.
 * Read-only after build: no locking. */
#pragma once

#include "lib/types.h"

#define FONT_WIDTH   8      /* pixels per glyph row (one byte) */
#define FONT_HEIGHT  16     /* rows per glyph */
#define FONT_GLYPHS  256

extern const uint8_t font8x16[FONT_GLYPHS][FONT_HEIGHT];
