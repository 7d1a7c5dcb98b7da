#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fbcheck.py - read the text back off a screenshot of the framebuffer console.

    fbcheck.py screen.ppm font.bin --expect "phase 3" [--expect ...]

screen.ppm is a binary P6 PPM as QEMU's `screendump` writes it; font.bin is
the 4096-byte glyph table tools/psf2c.py writes next to build/gen/font8x16.c
(entry c = glyph for Latin-1 code point c, 16 rows, bit 7 = leftmost pixel).
The console (kernel/dev/fbcon.c) draws 8x16 cells from pixel (0,0), so cell
(col,row) covers x = col*8..+7, y = row*16..+15.

Decoding: the background is the colour of the bottom-right pixel, or black
if that reads more of the screen (a stray ink pixel in the corner). A pixel
is ink when it differs from the background, whatever its colour. A cell is
' ' when it has no ink, the printable Latin-1 character whose glyph matches
its ink exactly (the lowest code if several do), else '?'. Cells drawn with
a non-background background colour therefore read as '?'.
The CLI prints the decoded screen and exits 0 only if every --expect string
occurs within some row and at least one pixel is ink; otherwise it says what
is missing and exits 1 (also for unreadable input). Python 3 stdlib only.
"""

import argparse
import sys

CELL_W = 8
CELL_H = 16
FONT_GLYPHS = 256
FONT_BYTES = FONT_GLYPHS * CELL_H
PRINTABLE = list(range(0x20, 0x7F)) + list(range(0xA0, 0x100))   # Latin-1, no controls
BLACK = (0, 0, 0)


class FbcheckError(ValueError):
    """Input that cannot be decoded (bad PPM, bad font table)."""


def parse_ppm(data):
    """Return (width, height, rgb bytes) of a binary P6 PPM with maxval <= 255."""
    if data[:2] != b"P6":
        raise FbcheckError("not a binary PPM (magic is not P6)")
    pos, fields = 2, []
    while len(fields) < 3:
        if pos >= len(data):
            raise FbcheckError("PPM header truncated")
        c = data[pos:pos + 1]
        if c.isspace():
            pos += 1
        elif c == b"#":
            end = data.find(b"\n", pos)
            if end < 0:
                raise FbcheckError("PPM header truncated in a comment")
            pos = end + 1
        elif c.isdigit():
            start = pos
            while pos < len(data) and data[pos:pos + 1].isdigit():
                pos += 1
            fields.append(int(data[start:pos]))
        else:
            raise FbcheckError(f"bad character {c!r} in PPM header at byte {pos}")
    if pos >= len(data) or not data[pos:pos + 1].isspace():
        raise FbcheckError("PPM header not followed by a whitespace byte")
    pos += 1
    width, height, maxval = fields
    if width <= 0 or height <= 0:
        raise FbcheckError(f"PPM size {width}x{height} is empty")
    if not 0 < maxval < 256:
        raise FbcheckError(f"PPM maxval {maxval} unsupported (need 1..255)")
    need = width * height * 3
    if len(data) - pos < need:
        raise FbcheckError(f"PPM pixel data truncated: {len(data) - pos} of {need} bytes")
    return width, height, data[pos:pos + need]


def load_font(data):
    """Split a psf2c .bin into 256 glyphs of 16 bytes."""
    if len(data) != FONT_BYTES:
        raise FbcheckError(f"font table is {len(data)} bytes, want {FONT_BYTES}")
    return [bytes(data[i * CELL_H:(i + 1) * CELL_H]) for i in range(FONT_GLYPHS)]


def glyph_lookup(glyphs):
    """Bitmap -> character, for the printable Latin-1 codes (lowest code wins)."""
    table = {}
    for c in PRINTABLE:
        table.setdefault(glyphs[c], chr(c))
    table[bytes(CELL_H)] = " "
    return table


def _decode(width, height, rgb, lookup, bg):
    """Decode with one background colour: (rows, ink pixels, unknown cells)."""
    bgpx = bytes(bg)
    stride = width * 3
    bg_line, bg_run = bgpx * width, bgpx * CELL_W

    ink = 0
    for y in range(height):
        line = rgb[y * stride:(y + 1) * stride]
        if line != bg_line:
            ink += sum(1 for x in range(0, stride, 3) if line[x:x + 3] != bgpx)

    rows, unknown = [], 0
    for row in range(height // CELL_H):
        chars = []
        for col in range(width // CELL_W):
            bitmap = bytearray(CELL_H)
            base = row * CELL_H * stride + col * CELL_W * 3
            for y in range(CELL_H):
                run = rgb[base + y * stride:base + y * stride + CELL_W * 3]
                if run == bg_run:
                    continue
                bits = 0
                for x in range(CELL_W):
                    if run[3 * x:3 * x + 3] != bgpx:
                        bits |= 0x80 >> x
                bitmap[y] = bits
            ch = lookup.get(bytes(bitmap))
            if ch is None:
                ch = "?"
                unknown += 1
            chars.append(ch)
        rows.append("".join(chars).rstrip())
    return rows, ink, unknown


def decode_image(width, height, rgb, glyphs, background=None):
    """Decode raw RGB pixels. Returns (rows, ink_pixels, background)."""
    lookup = glyph_lookup(glyphs)
    if background is not None:
        candidates = [tuple(background)]
    else:
        corner = (height * width - 1) * 3
        candidates = [tuple(rgb[corner:corner + 3])]
        if candidates[0] != BLACK:
            candidates.append(BLACK)
    best = None
    for bg in candidates:
        rows, ink, unknown = _decode(width, height, rgb, lookup, bg)
        if best is None or unknown < best[2]:
            best = (rows, ink, unknown, bg)
    return best[0], best[1], best[3]


def decode_screen(ppm_path, font_bin_path):
    """Decode a screenshot. Returns (rows, ink_pixels): one right-stripped
    string per text row (height // 16 of them), and how many pixels differ
    from the background. Raises FbcheckError for bad input, OSError if a
    file cannot be read."""
    with open(ppm_path, "rb") as f:
        width, height, rgb = parse_ppm(f.read())
    with open(font_bin_path, "rb") as f:
        glyphs = load_font(f.read())
    rows, ink, _ = decode_image(width, height, rgb, glyphs)
    return rows, ink


def main(argv=None):
    ap = argparse.ArgumentParser(description="Decode the text console from a screenshot.")
    ap.add_argument("ppm", help="binary P6 PPM screenshot (QEMU screendump)")
    ap.add_argument("font", help="4096-byte font table from tools/psf2c.py")
    ap.add_argument("--expect", action="append", default=[], metavar="TEXT",
                    help="text that must appear within one decoded row (repeatable)")
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")

    try:
        rows, ink = decode_screen(args.ppm, args.font)
    except (OSError, FbcheckError) as e:
        print(f"fbcheck: {e}", file=sys.stderr)
        return 1

    shown = len(rows)
    while shown and not rows[shown - 1]:
        shown -= 1
    print(f"--- decoded screen: {len(rows)} rows, {ink} ink pixels ---")
    for r in rows[:shown]:
        print("|" + r)
    if shown < len(rows):
        print(f"({len(rows) - shown} blank rows)")
    print("--- end ---")

    problems = []
    if ink == 0:
        problems.append("no ink: the screen is blank")
    for text in args.expect:
        if not any(text in r for r in rows):
            problems.append(f"missing: {text!r}")
    for p in problems:
        print(f"fbcheck: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
