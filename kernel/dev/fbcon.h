/* SPDX-License-Identifier: MIT */
/* fbcon.h - the framebuffer text console: an output-only terminal of 8x16
 * cells drawn on a linear framebuffer with the built-in font (dev/font.h).
 * Cell (col,row) covers pixels x = col*8..col*8+7, y = row*16..row*16+15;
 * pixels right of or below the last whole cell keep the colour they were
 * cleared to at init. Default colours: light grey 0xAAAAAA on black
 * 0x000000 (tests/qemu/fbcheck.py takes the colour of the bottom-right pixel,
 * or black, as the background). No visible cursor.
 * Locking: none inside. The caller (the kernel log) serialises every call;
 * nothing here blocks or allocates, so it may run in any context, including
 * phase 2 before the allocator exists and panic. */
#pragma once

#include "lib/types.h"
#include "boot/boot_info.h"

#define FBCON_MAX_COLS  256     /* wider screens use only the left 256*8 pixels */
#define FBCON_MAX_ROWS  128     /* taller screens use only the top 128*16 pixels */

#define FBCON_DEFAULT_FG  0xAAAAAAu     /* light grey */
#define FBCON_DEFAULT_BG  0x000000u     /* black */

/* Start (or restart) the console on the framebuffer `fb` describes, already
 * mapped writable at `va` (at least pitch*height bytes). Accepts fb->format
 * FB_RGB with bpp 16, 24 or 32, non-zero width and height, pitch >=
 * width*bytes-per-pixel, colour fields of 1..8 bits inside the pixel, and
 * room for at least one 8x16 cell. Returns 0 and clears the whole screen to
 * the default background with the cursor at (0,0); or -MOS_EINVAL, leaving
 * any console already running untouched. Colours set with fbcon_set_colors()
 * survive a restart. Never reads the framebuffer. */
__must_check int fbcon_init(const struct boot_fb *fb, void *va);

/* Write n bytes. Printable bytes (0x20..0x7E, 0xA0..0xFF as Latin-1; 0x80..0x9F
 * show the replacement glyph) go at the cursor, wrapping at the right edge
 * and scrolling at the bottom. Controls: \n (to column 0 of the next line),
 * \r, \t (next multiple of 8, at most the last column), \b (one column left,
 * stops at column 0, erases nothing); other control bytes are ignored.
 * ANSI CSI sequences (ESC [ params final), which may span calls:
 *   m  SGR: 0/none reset to the default colours, 30-37/90-97 foreground,
 *      40-47/100-107 background, 39/49 default fg/bg; others ignored
 *      (38/48 end the parameter list, so 38;2;r;g;b cannot be misread).
 *   H, f  cursor to row;col (1-based, clamped)    J  0: to end, 1: to
 *   cursor, 2/3: whole screen    K  0: to end of line, 1: to cursor, 2: line
 * Erased cells take the current background colour. Anything else is
 * consumed and ignored: other CSI finals, private ones (ESC[?25l), other
 * ESC sequences (ESC ( B), and OSC/DCS strings (ESC ] ... BEL). A control
 * byte inside a sequence ends it and then acts as usual. Does nothing
 * before a successful fbcon_init(). */
void fbcon_write(const char *s, size_t n);

/* Colours (0xRRGGBB) for text written from now on, which ESC[0m, 39 and 49
 * also return to. Up to 64 distinct colours (the 16 ANSI ones included)
 * are kept exactly; beyond that the nearest kept colour is used. Callable
 * before fbcon_init(). */
void fbcon_set_colors(uint32_t fg_rgb, uint32_t bg_rgb);

/* True once fbcon_init() has succeeded. */
bool fbcon_active(void);

/* Size of the text grid in cells; 0x0 before fbcon_init(). */
void fbcon_get_geometry(unsigned *cols, unsigned *rows);
