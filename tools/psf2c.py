#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psf2c.py - turn a PSF1/PSF2 console font into the kernel's 8x16 font table.

Usage: psf2c.py FONT.psf[.gz] OUT.c OUT.bin

Reads a PC Screen Font (version 1 or 2, gzip-compressed or not), checks that
its glyphs are 8 pixels wide and 16 high and that it has at least 256 of them,
and writes:
  OUT.c    `const uint8_t font8x16[256][16]` (kernel/dev/font.h); first line
           says the file is generated and must not be edited.
  OUT.bin  the same table as 4096 raw bytes (glyph c at offset 16*c), for
           host tools such as tests/qemu/fbcheck.py.
Each glyph is 16 rows of one byte; bit 7 is the leftmost pixel.

Which glyph goes to byte value c: the table is Latin-1. If the font has a
Unicode table, entry c is the glyph the font lists for code point U+00XX
(so 'A' = U+0041 and 0xE9 = 'é' whatever order the font stores them in).
Code points the font has no glyph for (the C0/C1 control ranges, in
practice) get the font's replacement glyph (U+FFFD, else '?'), so stray
bytes are visible rather than blank. A font without a Unicode table is
taken in glyph-index order (entry c = glyph c).
Python 3 standard library only.
"""

import gzip
import os
import struct
import sys

PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODEHASSEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HEADER = struct.Struct("<4sIIIIIII")   # magic version headersize flags length charsize height width
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE

WIDTH = 8
HEIGHT = 16
NCHARS = 256
REPLACEMENT = 0xFFFD


class FontError(Exception):
    """The input is not a usable font; the message says why."""


class Font:
    """glyphs: list of HEIGHT-byte bitmaps; unicode: code point -> first glyph index, or None."""

    def __init__(self, fmt, glyphs, unicode):
        self.fmt = fmt
        self.glyphs = glyphs
        self.unicode = unicode


def _add_mapping(table, cp, glyph):
    # The first glyph listed for a code point wins.
    table.setdefault(cp, glyph)


def _parse_psf1(data):
    if len(data) < 4:
        raise FontError("PSF1 header truncated")
    mode, charsize = data[2], data[3]
    count = 512 if mode & PSF1_MODE512 else 256
    if charsize != HEIGHT:
        raise FontError(f"PSF1 font is 8x{charsize}, need 8x{HEIGHT}")
    end = 4 + count * charsize
    if len(data) < end:
        raise FontError(f"PSF1 font truncated: {count} glyphs need {end} bytes, file has {len(data)}")
    glyphs = [data[4 + i * charsize:4 + (i + 1) * charsize] for i in range(count)]
    unicode = None
    if mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ):
        unicode = {}
        table = data[end:]
        if len(table) % 2:
            raise FontError("PSF1 Unicode table has an odd length")
        glyph, in_seq = 0, False
        for (value,) in struct.iter_unpack("<H", table):
            if glyph >= count:
                break
            if value == PSF1_SEPARATOR:
                glyph, in_seq = glyph + 1, False
            elif value == PSF1_STARTSEQ:
                in_seq = True            # combining sequences: not single code points
            elif not in_seq:
                _add_mapping(unicode, value, glyph)
        if glyph < count:
            raise FontError(f"PSF1 Unicode table ends after {glyph} of {count} glyphs")
    return Font("PSF1", glyphs, unicode)


def _parse_psf2(data):
    if len(data) < PSF2_HEADER.size:
        raise FontError("PSF2 header truncated")
    _, version, headersize, flags, count, charsize, height, width = PSF2_HEADER.unpack_from(data)
    if width != WIDTH or height != HEIGHT:
        raise FontError(f"PSF2 font is {width}x{height}, need {WIDTH}x{HEIGHT}")
    if charsize != height * ((width + 7) // 8):
        raise FontError(f"PSF2 charsize {charsize} does not match {width}x{height}")
    if headersize < PSF2_HEADER.size:
        raise FontError(f"PSF2 headersize {headersize} is smaller than the header")
    if count < NCHARS:
        raise FontError(f"PSF2 font has {count} glyphs, need at least {NCHARS}")
    end = headersize + count * charsize
    if len(data) < end:
        raise FontError(f"PSF2 font truncated: {count} glyphs need {end} bytes, file has {len(data)}")
    glyphs = [data[headersize + i * charsize:headersize + (i + 1) * charsize] for i in range(count)]
    unicode = None
    if flags & PSF2_HAS_UNICODE_TABLE:
        unicode = {}
        pos = end
        for glyph in range(count):
            stop = data.find(bytes([PSF2_SEPARATOR]), pos)
            if stop < 0:
                raise FontError(f"PSF2 Unicode table ends after {glyph} of {count} glyphs")
            entry = data[pos:stop]
            pos = stop + 1
            singles = entry.split(bytes([PSF2_STARTSEQ]), 1)[0]   # sequences follow 0xFE
            try:
                text = singles.decode("utf-8")
            except UnicodeDecodeError as e:
                raise FontError(f"PSF2 Unicode table entry for glyph {glyph} is not UTF-8: {e}") from None
            for ch in text:
                _add_mapping(unicode, ord(ch), glyph)
    return Font("PSF2", glyphs, unicode)


def parse_font(data):
    """Parse PSF1/PSF2 bytes (gzip-compressed or not). Raises FontError."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise FontError(f"bad gzip data: {e}") from None
    if data[:2] == PSF1_MAGIC:
        font = _parse_psf1(data)
    elif data[:4] == PSF2_MAGIC:
        font = _parse_psf2(data)
    else:
        raise FontError("not a PSF1 or PSF2 font (bad magic)")
    if len(font.glyphs) < NCHARS:
        raise FontError(f"font has {len(font.glyphs)} glyphs, need at least {NCHARS}")
    return font


def build_table(font):
    """The 256 glyphs of the kernel table (see the module docstring)."""
    if font.unicode is None:
        return [bytes(font.glyphs[c]) for c in range(NCHARS)]
    fallback = font.unicode.get(REPLACEMENT, font.unicode.get(ord("?")))
    table = []
    for c in range(NCHARS):
        glyph = font.unicode.get(c, fallback)
        if glyph is None:
            glyph = c
        table.append(bytes(font.glyphs[glyph]))
    return table


def _label(c, has_unicode):
    # Comments stay ASCII: only printable ASCII is shown as itself.
    if not has_unicode:
        return f"glyph {c}"
    if 0x21 <= c < 0x7F:
        return f"U+{c:04X} {chr(c)}"
    if c == 0x20 or c >= 0xA0:
        return f"U+{c:04X}"
    return f"U+{c:04X} (control: replacement glyph)"


def render_c(table, source, has_unicode):
    lines = [
        f"/* Generated by tools/psf2c.py from {source.replace('*/', '*_/')}. DO NOT EDIT: edit the font or the tool. */",
        "/* SPDX-License-Identifier: MIT */",
        "/* font8x16.c - 256 glyphs of 8x16 pixels, one byte per row, bit 7 = leftmost pixel.",
        " * " + ("Entry c is the glyph for Latin-1 code point c (from the font's Unicode table)."
                 if has_unicode else "Entry c is the font's glyph c (the font has no Unicode table).") + " */",
        '#include "dev/font.h"',
        "",
        f"const uint8_t font8x16[{NCHARS}][{HEIGHT}] = {{",
    ]
    for c, glyph in enumerate(table):
        body = ", ".join(f"0x{b:02x}" for b in glyph)
        lines.append(f"    [0x{c:02x}] = {{ {body} }}, /* {_label(c, has_unicode)} */")
    lines.append("};")
    return "\n".join(lines) + "\n"


def _write(path, data, mode):
    # Write then rename, so a failed run never leaves a half-written output.
    tmp = path + ".tmp"
    with open(tmp, mode) as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 4:
        print("usage: psf2c.py FONT.psf[.gz] OUT.c OUT.bin", file=sys.stderr)
        return 2
    src, out_c, out_bin = argv[1:]
    try:
        with open(src, "rb") as f:
            data = f.read()
        font = parse_font(data)
    except OSError as e:
        print(f"psf2c: {src}: {e.strerror or e}", file=sys.stderr)
        return 1
    except FontError as e:
        print(f"psf2c: {src}: {e}", file=sys.stderr)
        return 1
    table = build_table(font)
    blob = b"".join(table)
    assert len(blob) == NCHARS * HEIGHT
    _write(out_c, render_c(table, src, font.unicode is not None), "w")
    _write(out_bin, blob, "wb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
