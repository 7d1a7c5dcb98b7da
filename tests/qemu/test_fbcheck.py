#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_fbcheck.py - unit tests for tests/qemu/fbcheck.py and tools/psf2c.py.

Screens are rendered here, in the test, from the real font table that
tools/psf2c.py generates into a temporary directory, then decoded back.
Run: python3 -m unittest tests/qemu/test_fbcheck.py  (from the repository root,
or anywhere: paths are found relative to this file).
"""

import contextlib
import gzip
import io
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PSF2C = os.path.join(ROOT, "tools", "psf2c.py")
FONT_PSF = "/usr/share/consolefonts/Lat15-VGA16.psf.gz"
sys.path.insert(0, HERE)
import fbcheck  # noqa: E402


def run_psf2c(src, out_dir, name="font"):
    out_c = os.path.join(out_dir, name + ".c")
    out_bin = os.path.join(out_dir, name + ".bin")
    r = subprocess.run([sys.executable, PSF2C, src, out_c, out_bin],
                       capture_output=True, text=True)
    return r, out_c, out_bin


def render(rows, width, height, glyphs, fg=(170, 170, 170), bg=(0, 0, 0), colours=None):
    """RGB pixels of `rows` drawn like fbcon: cell (c,r) at (8c,16r).
    colours: optional {(col,row): fg} overrides."""
    px = bytearray(bytes(bg) * (width * height))
    assert len(rows) <= height // 16 and all(len(t) <= width // 8 for t in rows), "text does not fit"
    for r, text in enumerate(rows):
        for c, ch in enumerate(text):
            glyph = glyphs[ord(ch)]
            ink = bytes((colours or {}).get((c, r), fg))
            for y in range(16):
                for x in range(8):
                    if glyph[y] & (0x80 >> x):
                        o = ((r * 16 + y) * width + c * 8 + x) * 3
                        px[o:o + 3] = ink
    return bytes(px)


def ppm(width, height, rgb, header=None):
    return (header or f"P6\n{width} {height}\n255\n".encode()) + rgb


def ink_bits(text, glyphs):
    return sum(bin(b).count("1") for ch in text for b in glyphs[ord(ch)])


class FontFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        r, cls.font_c, cls.font_bin = run_psf2c(FONT_PSF, cls.tmp.name)
        if r.returncode != 0:
            raise RuntimeError("psf2c failed: " + r.stderr)
        with open(cls.font_bin, "rb") as f:
            cls.glyphs = fbcheck.load_font(f.read())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write_ppm(self, data, name="screen.ppm"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def screen(self, rows, width=640, height=480, **kw):
        return self.write_ppm(ppm(width, height, render(rows, width, height, self.glyphs, **kw)))

    def cli(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = fbcheck.main(list(args))
        return rc, out.getvalue() + err.getvalue()


class DecodeTest(FontFixture):
    def test_round_trip(self):
        text = ["MinimalOS booting", "[#00012] phase 3: ok", "", "  pmm: 65536 frames - {x|y} ~!@$%^&*()_+"]
        rows, ink = fbcheck.decode_screen(self.screen(text), self.font_bin)
        self.assertEqual(len(rows), 30)
        self.assertEqual(rows[:4], text)
        self.assertEqual(rows[4:], [""] * 26)
        self.assertEqual(ink, sum(ink_bits(t, self.glyphs) for t in text))

    def test_every_printable_latin1_character(self):
        chars = "".join(chr(c) for c in fbcheck.PRINTABLE if c not in (0x20, 0xA0, 0xAD))
        lines = [chars[i:i + 80] for i in range(0, len(chars), 80)]
        rows, _ = fbcheck.decode_screen(self.screen(lines), self.font_bin)
        self.assertEqual(rows[:len(lines)], lines)
        self.assertIn("café", fbcheck.decode_screen(self.screen(["un café"]), self.font_bin)[0][0])

    def test_coloured_ink_on_blue_with_margins(self):
        # 645x490: 80x30 cells plus margins; the corner pixel is background.
        colours = {(0, 0): (0, 255, 0), (1, 0): (255, 85, 85)}
        path = self.screen(["ok done", "x"], width=645, height=490, fg=(255, 255, 255),
                           bg=(0, 0, 170), colours=colours)
        rows, ink = fbcheck.decode_screen(path, self.font_bin)
        self.assertEqual(rows[:3], ["ok done", "x", ""])
        self.assertEqual(len(rows), 30)
        self.assertEqual(ink, ink_bits("ok done" + "x", self.glyphs))

    def test_stray_corner_pixel_falls_back_to_black(self):
        w, h = 64, 32
        rgb = bytearray(render(["hello"], w, h, self.glyphs))
        rgb[-3:] = b"\xff\xff\xff"
        rows, ink = fbcheck.decode_screen(self.write_ppm(ppm(w, h, bytes(rgb))), self.font_bin)
        self.assertEqual(rows, ["hello", "       ?"])
        self.assertEqual(ink, ink_bits("hello", self.glyphs) + 1)

    def test_unknown_bitmap_is_question_mark(self):
        w, h = 32, 16
        rgb = bytearray(render(["a b"], w, h, self.glyphs))
        o = (5 * w + 8 + 3) * 3                # one pixel into the blank cell 1
        rgb[o:o + 3] = b"\xaa\xaa\xaa"
        rows, _ = fbcheck.decode_screen(self.write_ppm(ppm(w, h, bytes(rgb))), self.font_bin)
        self.assertEqual(rows, ["a?b"])

    def test_wrong_text_not_found(self):
        rows, _ = fbcheck.decode_screen(self.screen(["phase 2"]), self.font_bin)
        self.assertFalse(any("phase 3" in r for r in rows))

    def test_blank_screen(self):
        rows, ink = fbcheck.decode_screen(self.screen([]), self.font_bin)
        self.assertEqual(rows, [""] * 30)
        self.assertEqual(ink, 0)

    def test_header_comments_and_small_maxval(self):
        rgb = render(["Hi"], 16, 16, self.glyphs, fg=(7, 7, 7))
        path = self.write_ppm(b"P6 # made by hand\n16\t16 # size\n# more\n7\r" + rgb)
        self.assertEqual(fbcheck.decode_screen(path, self.font_bin), (["Hi"], ink_bits("Hi", self.glyphs)))

    def test_bad_ppm_headers(self):
        good = render(["x"], 8, 16, self.glyphs)
        bad = {
            "ascii P3": b"P3\n8 16\n255\n" + good,
            "no magic": b"\x89PNG\r\n" + good,
            "empty": b"",
            "no height": b"P6\n8\n",
            "no maxval": b"P6 8 16",
            "16-bit": b"P6\n8 16\n65535\n" + good * 2,
            "maxval 0": b"P6\n8 16\n0\n" + good,
            "zero width": b"P6\n0 16\n255\n",
            "junk in header": b"P6\n8 x16\n255\n" + good,
            "no separator": b"P6\n8 16\n255",
            "truncated pixels": b"P6\n8 16\n255\n" + good[:-1],
        }
        for why, data in bad.items():
            with self.subTest(why):
                with self.assertRaises(fbcheck.FbcheckError):
                    fbcheck.decode_screen(self.write_ppm(data), self.font_bin)
                rc, out = self.cli(self.write_ppm(data), self.font_bin)
                self.assertEqual(rc, 1)
                self.assertIn("fbcheck:", out)

    def test_bad_font_table(self):
        short = self.write_ppm(b"\0" * 4095, "short.bin")
        with self.assertRaises(fbcheck.FbcheckError):
            fbcheck.decode_screen(self.screen(["x"]), short)


class CliTest(FontFixture):
    def test_all_expected_found(self):
        rc, out = self.cli(self.screen(["MinimalOS", "phase 3 ok"]), self.font_bin,
                           "--expect", "phase 3", "--expect", "MinimalOS")
        self.assertEqual(rc, 0, out)
        self.assertIn("|phase 3 ok", out)

    def test_missing_text_fails(self):
        rc, out = self.cli(self.screen(["MinimalOS", "phase 2 ok"]), self.font_bin,
                           "--expect", "MinimalOS", "--expect", "phase 3")
        self.assertEqual(rc, 1)
        self.assertIn("missing: 'phase 3'", out)
        self.assertNotIn("missing: 'MinimalOS'", out)

    def test_text_split_across_rows_is_missing(self):
        rc, out = self.cli(self.screen(["phase", "3"]), self.font_bin, "--expect", "phase 3")
        self.assertEqual(rc, 1)

    def test_blank_screen_fails_even_without_expectations(self):
        rc, out = self.cli(self.screen([]), self.font_bin)
        self.assertEqual(rc, 1)
        self.assertIn("blank", out)

    def test_missing_file(self):
        rc, out = self.cli(os.path.join(self.tmp.name, "nope.ppm"), self.font_bin)
        self.assertEqual(rc, 1)

    def test_as_a_program(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "fbcheck.py"),
                            self.screen(["boot ok"]), self.font_bin, "--expect", "boot ok"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


def psf1(glyphs, table=None, charsize=16, mode=None):
    n = len(glyphs)
    if mode is None:
        mode = (0x01 if n == 512 else 0) | (0x02 if table is not None else 0)
    data = bytes([0x36, 0x04, mode, charsize]) + b"".join(glyphs)
    if table is not None:
        for cps in table:
            data += b"".join(struct.pack("<H", cp) for cp in cps) + b"\xff\xff"
    return data


def psf2(glyphs, table=None, width=8, height=16, charsize=None):
    charsize = charsize if charsize is not None else height * ((width + 7) // 8)
    hdr = struct.pack("<4sIIIIIII", b"\x72\xb5\x4a\x86", 0, 32, 1 if table is not None else 0,
                      len(glyphs), charsize, height, width)
    data = hdr + b"".join(glyphs)
    if table is not None:
        for cps in table:
            data += "".join(chr(cp) for cp in cps).encode() + b"\xff"
    return data


def distinct_glyphs(n):
    # Glyph i: row 0 = i & 0xff, row 1 = i >> 8, row 2..15 a marker.
    return [bytes([i & 0xFF, i >> 8]) + b"\x5a" * 14 for i in range(n)]


class Psf2cTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def convert(self, data, name="in.psf", compress=False):
        src = os.path.join(self.tmp.name, name)
        with open(src, "wb") as f:
            f.write(gzip.compress(data) if compress else data)
        r, out_c, out_bin = run_psf2c(src, self.tmp.name, "out")
        table = None
        if r.returncode == 0:
            with open(out_bin, "rb") as f:
                table = f.read()
        return r, out_c, table

    def test_real_font_output(self):
        r, out_c, out_bin = run_psf2c(FONT_PSF, self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out_c) as f:
            text = f.read()
        first = text.splitlines()[0]
        self.assertIn("Generated by tools/psf2c.py from " + FONT_PSF, first)
        self.assertIn("DO NOT EDIT", first)
        self.assertIn("const uint8_t font8x16[256][16] = {", text)
        with open(out_bin, "rb") as f:
            blob = f.read()
        self.assertEqual(len(blob), 4096)
        # The .c and the .bin hold the same table.
        rows = [l for l in text.splitlines() if l.strip().startswith("[0x")]
        self.assertEqual(len(rows), 256)
        for c, line in enumerate(rows):
            body = line[line.index("{") + 1:line.index("}")]
            self.assertEqual(bytes(int(v, 16) for v in body.split(",")), blob[c * 16:c * 16 + 16])
        # Same font as plain PSF1 and re-encoded as PSF2 (UTF-8 table): same table.
        with open(FONT_PSF, "rb") as f:
            raw = gzip.decompress(f.read())
        r1, _, t1 = self.convert(raw, "plain.psf")
        self.assertEqual(t1, blob)
        glyphs = [raw[4 + i * 16:4 + i * 16 + 16] for i in range(256)]
        cps, cur, pos = [], [], 4 + 256 * 16
        while pos < len(raw):
            (v,) = struct.unpack_from("<H", raw, pos)
            pos += 2
            if v == 0xFFFF:
                cps.append(cur)
                cur = []
            else:
                cur.append(v)
        r2, _, t2 = self.convert(psf2(glyphs, [[c for c in e if c < 0xFFFE] for e in cps]), "re.psfu")
        self.assertEqual(t2, blob)

    def test_unicode_table_maps_latin1(self):
        glyphs = distinct_glyphs(256)
        table = [[255 - i] for i in range(256)]     # glyph i shows code point 255-i
        table[0] = [0xFFFD]                         # ... except: glyph 0 is the replacement
        table[255] = [0x263A, 0xFFFE, 0x41, 0x301]  # sequences after 0xFFFE are ignored
        for make in (psf1, psf2):
            with self.subTest(make.__name__):
                r, _, blob = self.convert(make(glyphs, table), compress=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                for c in range(256):
                    want = 0 if c in (0, 255) else 255 - c   # U+0000 and U+00FF: not mapped
                    self.assertEqual(blob[c * 16:c * 16 + 16], glyphs[want], hex(c))

    def test_no_unicode_table_is_index_order(self):
        glyphs = distinct_glyphs(512)
        for data in (psf1(glyphs), psf2(glyphs)):
            r, _, blob = self.convert(data)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(blob, b"".join(glyphs[:256]))

    def test_unusable_fonts_rejected(self):
        g16 = distinct_glyphs(256)
        bad = {
            "psf1 8x14": (psf1([g[:14] for g in g16], charsize=14), "8x14"),
            "psf2 9 wide": (psf2([g + g for g in g16], width=9), "9x16"),
            "psf2 8x8": (psf2([g[:8] for g in g16], height=8), "8x8"),
            "psf2 128 glyphs": (psf2(g16[:128]), "128 glyphs"),
            "psf2 bad charsize": (psf2(g16, charsize=15), "charsize"),
            "truncated": (psf2(g16)[:-100], "truncated"),
            "psf1 truncated": (psf1(g16)[:1000], "truncated"),
            "bad magic": (b"\x00\x01" + psf1(g16)[2:], "magic"),
            "empty": (b"", "magic"),
            "short table": (psf1(g16, [[i] for i in range(200)]), "Unicode table"),
        }
        for why, (data, msg) in bad.items():
            with self.subTest(why):
                r, out_c, _ = self.convert(data)
                self.assertEqual(r.returncode, 1)
                self.assertIn(msg, r.stderr)
                self.assertFalse(os.path.exists(out_c))

    def test_bad_gzip_and_usage(self):
        r, _, _ = self.convert(b"\x1f\x8b\x08\x00garbage")
        self.assertEqual(r.returncode, 1)
        self.assertIn("gzip", r.stderr)
        r = subprocess.run([sys.executable, PSF2C, FONT_PSF], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)


if __name__ == "__main__":
    unittest.main()
