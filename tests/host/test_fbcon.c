// SPDX-License-Identifier: MIT
/* test_fbcon.c - the framebuffer console against in-memory framebuffers of
 * several geometries and pixel formats. The checks decode pixels back to RGB
 * with the test's own unpacking and compare whole 8x16 cells with the font
 * table, so they see exactly what a screen would show. The console has
 * global state and no reset call: each test starts with fbcon_init(), and
 * the two order-dependent tests (never-initialised first, palette overflow
 * last) say so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev/fbcon.h"
#include "dev/font.h"
#include <mos/errors.h>

#define CANARY 0x5A

struct fmt {
    uint8_t bpp;
    uint8_t rpos, rsize, gpos, gsize, bpos, bsize;
};

static const struct fmt XRGB8888 = { 32, 16, 8, 8, 8, 0, 8 };
static const struct fmt BGR888   = { 24, 0, 8, 8, 8, 16, 8 };
static const struct fmt RGB888   = { 24, 16, 8, 8, 8, 0, 8 };
static const struct fmt RGB565   = { 16, 11, 5, 5, 6, 0, 5 };
static const struct fmt XRGB1555 = { 16, 10, 5, 5, 5, 0, 5 };

struct tfb {
    struct boot_fb fb;
    uint8_t *mem;           /* exactly pitch*height bytes, so ASan sees overruns */
    size_t size;
};

static struct tfb T, T2;

static void tfb_make(struct tfb *t, uint32_t w, uint32_t h, uint32_t pitch, const struct fmt *f)
{
    memset(t, 0, sizeof *t);
    t->fb = (struct boot_fb){
        .addr = 0xFD000000, .width = w, .height = h, .pitch = pitch, .bpp = f->bpp,
        .format = FB_RGB, .red_pos = f->rpos, .red_size = f->rsize,
        .green_pos = f->gpos, .green_size = f->gsize, .blue_pos = f->bpos, .blue_size = f->bsize,
    };
    t->size = (size_t)pitch * h;
    t->mem = malloc(t->size ? t->size : 1);
    assert_non_null(t->mem);
    memset(t->mem, CANARY, t->size);
}

static void tfb_free(struct tfb *t)
{
    free(t->mem);
    t->mem = NULL;
}

/* Make T, start the console on it with the default colours. */
static void start(uint32_t w, uint32_t h, uint32_t pitch, const struct fmt *f)
{
    tfb_make(&T, w, h, pitch, f);
    fbcon_set_colors(FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_int_equal(fbcon_init(&T.fb, T.mem), 0);
}

static void put(const char *s)
{
    fbcon_write(s, strlen(s));
}

/* ---------------------------------------------------------------- reading pixels */

static uint32_t raw_pixel(const struct tfb *t, uint32_t x, uint32_t y)
{
    const uint8_t *p = t->mem + (size_t)y * t->fb.pitch + (size_t)x * (t->fb.bpp / 8);
    uint32_t v = 0;
    for (unsigned i = 0; i < t->fb.bpp / 8u; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint32_t field(uint32_t px, uint8_t pos, uint8_t size)
{
    return ((px >> pos) & ((1u << size) - 1)) << (8 - size);
}

/* The RGB a pixel shows, with the low bits the format cannot hold as 0. */
static uint32_t pixel_rgb(const struct tfb *t, uint32_t x, uint32_t y)
{
    uint32_t px = raw_pixel(t, x, y);
    return field(px, t->fb.red_pos, t->fb.red_size) << 16 |
           field(px, t->fb.green_pos, t->fb.green_size) << 8 |
           field(px, t->fb.blue_pos, t->fb.blue_size);
}

/* An RGB value as the format can represent it. */
static uint32_t quant(const struct tfb *t, uint32_t rgb)
{
    uint32_t r = (rgb >> 16) & (0xFFu << (8 - t->fb.red_size)) & 0xFF;
    uint32_t g = (rgb >> 8) & (0xFFu << (8 - t->fb.green_size)) & 0xFF;
    uint32_t b = rgb & (0xFFu << (8 - t->fb.blue_size)) & 0xFF;
    return r << 16 | g << 8 | b;
}

/* Number of pixels of cell (col,row) that differ from glyph ch in fg on bg. */
static int cell_mismatches(const struct tfb *t, unsigned col, unsigned row, uint8_t ch,
                           uint32_t fg, uint32_t bg)
{
    int bad = 0;
    for (unsigned y = 0; y < 16; y++)
        for (unsigned x = 0; x < 8; x++) {
            bool ink = font8x16[ch][y] & (0x80 >> x);
            if (pixel_rgb(t, col * 8 + x, row * 16 + y) != quant(t, ink ? fg : bg))
                bad++;
        }
    return bad;
}

#define assert_cell(t, col, row, ch, fg, bg) \
    assert_int_equal(cell_mismatches((t), (col), (row), (uint8_t)(ch), (fg), (bg)), 0)

/* Decode one text row, assuming background `bg` and any ink colour; '?' for
 * a cell that is no printable glyph. Trailing blanks are stripped. */
static const char *row_text(const struct tfb *t, unsigned row, uint32_t bg)
{
    static char buf[FBCON_MAX_COLS + 1];
    unsigned cols = t->fb.width / 8, n = 0;
    if (cols > FBCON_MAX_COLS)
        cols = FBCON_MAX_COLS;
    for (unsigned c = 0; c < cols; c++) {
        uint8_t bits[16] = { 0 };
        for (unsigned y = 0; y < 16; y++)
            for (unsigned x = 0; x < 8; x++)
                if (pixel_rgb(t, c * 8 + x, row * 16 + y) != quant(t, bg))
                    bits[y] |= (uint8_t)(0x80 >> x);
        char ch = '?';
        for (unsigned g = 0x20; g < 0x7F; g++)
            if (memcmp(font8x16[g], bits, 16) == 0) {
                ch = (char)g;
                break;
            }
        buf[n++] = ch;
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

#define assert_row(t, row, text) assert_string_equal(row_text((t), (row), FBCON_DEFAULT_BG), (text))

/* Every pixel in [x0,x1) x [y0,y1) shows rgb. */
static void assert_area(const struct tfb *t, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
                        uint32_t rgb)
{
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++)
            if (pixel_rgb(t, x, y) != quant(t, rgb))
                fail_msg("pixel (%u,%u) is %06x, want %06x", x, y, pixel_rgb(t, x, y), quant(t, rgb));
}

/* Bytes past width*bpp in each line (the pitch padding) were never written. */
static void assert_padding_untouched(const struct tfb *t)
{
    size_t used = (size_t)t->fb.width * (t->fb.bpp / 8);
    for (uint32_t y = 0; y < t->fb.height; y++)
        for (size_t i = used; i < t->fb.pitch; i++)
            if (t->mem[(size_t)y * t->fb.pitch + i] != CANARY)
                fail_msg("padding byte %zu of line %u was written", i, y);
}

/* ---------------------------------------------------------------- tests */

/* Must run first: nothing has initialised the console yet. */
static void inactive_before_init_and_write_is_noop(void **state)
{
    (void)state;
    unsigned cols = 99, rows = 99;
    assert_false(fbcon_active());
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, 0);
    assert_int_equal(rows, 0);
    put("ignored\n");           /* must not crash or touch anything */
    assert_false(fbcon_active());
}

static void init_clears_screen_and_reports_geometry(void **state)
{
    (void)state;
    unsigned cols, rows;
    start(640, 480, 2560 + 64, &XRGB8888);
    assert_true(fbcon_active());
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, 80);
    assert_int_equal(rows, 30);
    assert_area(&T, 0, 0, 640, 480, FBCON_DEFAULT_BG);
    assert_padding_untouched(&T);
}

struct geom {
    uint32_t w, h, pitch;
    const struct fmt *f;
    unsigned cols, rows;
};

static const struct geom G_640x480_32 = { 640, 480, 2560, &XRGB8888, 80, 30 };
static const struct geom G_100x50_24 = { 100, 50, 302, &BGR888, 12, 3 };
static const struct geom G_808x600_24 = { 808, 600, 808 * 3, &RGB888, 101, 37 };
static const struct geom G_800x600_16 = { 800, 600, 1664, &RGB565, 100, 37 };
static const struct geom G_33x17_15 = { 33, 17, 70, &XRGB1555, 4, 1 };

/* Glyphs land in the right cells with the right colours, margins stay
 * background, pitch padding is never written; one test per format. */
static void renders_glyphs(void **state)
{
    const struct geom *g = *state;
    unsigned cols, rows;
    start(g->w, g->h, g->pitch, g->f);
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, g->cols);
    assert_int_equal(rows, g->rows);
    assert_area(&T, 0, 0, g->w, g->h, FBCON_DEFAULT_BG);

    /* A run of distinct printable bytes that fills row 0 (and wraps if there is a row 1). */
    char text[FBCON_MAX_COLS + 8];
    unsigned n = cols + (rows > 1 ? 3 : 0);
    for (unsigned i = 0; i < n; i++) {
        unsigned c = 0x21 + (i * 7) % 0x5E;
        text[i] = (char)(i % 9 == 8 ? 0xE9 : c);       /* some Latin-1 too */
    }
    fbcon_write(text, n);
    for (unsigned i = 0; i < n; i++)
        assert_cell(&T, i % cols, i / cols, text[i], FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);

    /* Colours: bright red on blue, then back to the defaults. */
    put("\x1b[91;44mQ\x1b[0mq");
    unsigned at = n;
    assert_cell(&T, at % cols, (at / cols) % rows, 'Q', 0xFF5555, 0x0000AA);
    at++;
    assert_cell(&T, at % cols, (at / cols) % rows, 'q', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);

    /* Pixels right of and below the cells stay background; padding is untouched. */
    assert_area(&T, cols * 8, 0, g->w, g->h, FBCON_DEFAULT_BG);
    assert_area(&T, 0, rows * 16, g->w, g->h, FBCON_DEFAULT_BG);
    assert_padding_untouched(&T);
}

static void wraps_at_right_edge_without_blank_line(void **state)
{
    (void)state;
    char line[96], want[96];
    start(640, 480, 2560, &XRGB8888);           /* 80 columns */
    for (int i = 0; i < 85; i++)
        line[i] = (char)('a' + i % 26);
    line[85] = '\0';
    put(line);
    memcpy(want, line, 80);
    want[80] = '\0';
    assert_row(&T, 0, want);
    assert_row(&T, 1, line + 80);

    /* Exactly a full line, then \n: the next text is on the very next row. */
    put("\x1b[2J\x1b[H");
    line[80] = '\0';
    put(line);
    put("\nnext");
    assert_row(&T, 0, want);
    assert_row(&T, 1, "next");
    assert_row(&T, 2, "");
}

static void newline_at_bottom_scrolls(void **state)
{
    (void)state;
    char buf[32];
    start(640, 480, 2560, &XRGB8888);          /* 30 rows */
    for (int i = 0; i < 30; i++) {
        snprintf(buf, sizeof buf, "%sline %d", i ? "\n" : "", i);
        put(buf);
    }
    assert_row(&T, 0, "line 0");
    assert_row(&T, 29, "line 29");
    put("\n");
    assert_row(&T, 0, "line 1");                /* row 0 now holds former row 1 */
    assert_row(&T, 28, "line 29");
    assert_row(&T, 29, "");
    put("tail");                                /* the cursor stayed on the last row */
    assert_row(&T, 29, "tail");
}

/* Many lines: the ring of rows wraps around many times and still reads in order. */
static void long_log_keeps_last_lines(void **state)
{
    (void)state;
    char buf[64];
    start(320, 160, 1280, &XRGB8888);          /* 40 x 10 */
    for (int i = 0; i < 537; i++) {
        snprintf(buf, sizeof buf, "[%4d] message number %d\n", i, i * 3);
        put(buf);
    }
    for (int r = 0; r < 9; r++) {
        int i = 537 - 9 + r;
        snprintf(buf, sizeof buf, "[%4d] message number %d", i, i * 3);
        assert_row(&T, (unsigned)r, buf);
    }
    assert_row(&T, 9, "");
}

/* Scrolling redraws from the text grid: a pixel copy would carry the
 * garbage written into the framebuffer along with the text. */
static void scroll_redraws_from_grid_not_pixels(void **state)
{
    (void)state;
    start(64, 32, 256, &XRGB8888);             /* 8 x 2 */
    put("AB\nCD");
    for (uint32_t y = 16; y < 32; y++)         /* trash row 1 ("CD") on screen */
        memset(T.mem + y * 256, 0x77, 16 * 4);
    put("\n");
    assert_cell(&T, 0, 0, 'C', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 1, 0, 'D', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_area(&T, 0, 16, 64, 32, FBCON_DEFAULT_BG);
}

/* Scrolling redraws only cells whose content changes: a blank cell that
 * stays blank is not rewritten (the cost claim in fbcon.c's header). */
static void scroll_skips_unchanged_cells(void **state)
{
    (void)state;
    start(64, 48, 256, &XRGB8888);             /* 8 x 3 */
    put("ab\ncd\nef");
    memset(T.mem + 0 * 256 + 7 * 32, 0x33, 32);   /* cell (7,0): blank before and after */
    put("\n");
    assert_cell(&T, 0, 0, 'c', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 1, 0, 'd', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 2, 0, ' ', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_row(&T, 1, "ef");
    assert_row(&T, 2, "");
    assert_int_equal(T.mem[7 * 32], 0x33);
    assert_int_equal(T.mem[7 * 32 + 31], 0x33);
}

static void carriage_return_backspace_tab(void **state)
{
    (void)state;
    start(100, 64, 400, &XRGB8888);            /* 12 x 4 */
    put("abc\rX");
    assert_row(&T, 0, "Xbc");
    put("\nab\bX");
    assert_row(&T, 1, "aX");
    put("\nab\b");                              /* \b moves, never erases */
    assert_row(&T, 2, "ab");
    put("\r\b\bZ");                             /* stops at column 0 */
    assert_row(&T, 2, "Zb");

    put("\x1b[2J\x1b[Ha\tb\tc");               /* tab stops every 8, capped at the last column */
    assert_row(&T, 0, "a       b  c");
    put("\n\t\t\tQ");
    assert_row(&T, 1, "           Q");
    put("\n1234567\tR");                        /* col 7 -> 8 */
    assert_row(&T, 2, "1234567 R");
}

static void control_bytes_ignored_latin1_drawn(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("a\x01\x07\x7f\x0e" "b");
    assert_row(&T, 0, "ab");
    put("\n\xe9\xff");
    assert_cell(&T, 0, 1, 0xE9, FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 1, 1, 0xFF, FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    fbcon_write("c\0d", 3);                     /* NUL is a control byte too */
    assert_cell(&T, 2, 1, 'c', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 3, 1, 'd', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
}

static void ansi_foreground_colours(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("\x1b[31mR\x1b[0mN\x1b[92mG\x1b[39mD\x1b[34mB\x1b[mM\x1b[37;97mW");
    assert_cell(&T, 0, 0, 'R', 0xAA0000, 0);
    assert_cell(&T, 1, 0, 'N', 0xAAAAAA, 0);
    assert_cell(&T, 2, 0, 'G', 0x55FF55, 0);
    assert_cell(&T, 3, 0, 'D', 0xAAAAAA, 0);
    assert_cell(&T, 4, 0, 'B', 0x0000AA, 0);
    assert_cell(&T, 5, 0, 'M', 0xAAAAAA, 0);
    assert_cell(&T, 6, 0, 'W', 0xFFFFFF, 0);   /* last parameter wins */
    for (int c = 30; c <= 37; c++) {           /* every colour is distinct and exact */
        char buf[16];
        snprintf(buf, sizeof buf, "\x1b[%dmx", c);
        put(buf);
    }
    static const uint32_t ansi[8] = { 0x000000, 0xAA0000, 0x00AA00, 0xAA5500,
                                      0x0000AA, 0xAA00AA, 0x00AAAA, 0xAAAAAA };
    for (unsigned i = 1; i < 8; i++)           /* 30 is black on black: skip */
        assert_cell(&T, 7 + i, 0, 'x', ansi[i], 0);
}

static void ansi_background_and_erase(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("\x1b[42mG\x1b[49mx\x1b[103;30mY");
    assert_cell(&T, 0, 0, 'G', 0xAAAAAA, 0x00AA00);
    assert_cell(&T, 1, 0, 'x', 0xAAAAAA, 0x000000);
    assert_cell(&T, 2, 0, 'Y', 0x000000, 0xFFFF55);
    put("\x1b[0m\nhello world\x1b[1;3H\x1b[44m\x1b[K");  /* erase to end of row 0 in blue */
    assert_cell(&T, 1, 0, 'x', 0xAAAAAA, 0x000000);
    assert_cell(&T, 2, 0, ' ', 0xAAAAAA, 0x0000AA);
    assert_cell(&T, 79, 0, ' ', 0xAAAAAA, 0x0000AA);
    assert_row(&T, 1, "hello world");
    put("\x1b[0m\x1b[2;7H\x1b[1K");            /* erase row 1 up to and including col 6 */
    assert_row(&T, 1, "       orld");
    put("\x1b[2K");
    assert_row(&T, 1, "");
}

static void ansi_clear_and_cursor_position(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("first line\nsecond line\n");
    put("\x1b[2J");                             /* clears, cursor stays (row 2, col 0) */
    for (unsigned r = 0; r < 30; r++)
        assert_row(&T, r, "");
    put("C");
    assert_row(&T, 2, "C");
    put("\x1b[HZ");
    assert_row(&T, 0, "Z");
    put("\x1b[3;5Hp\x1b[4fq\x1b[999;999Hr");   /* 1-based; clamps */
    assert_row(&T, 2, "C   p");
    assert_row(&T, 3, "q");
    assert_cell(&T, 79, 29, 'r', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    put("\x1b[2;1Habc\x1b[2;2H\x1b[J");        /* erase from cursor to end of screen */
    assert_row(&T, 0, "Z");
    assert_row(&T, 1, "a");
    assert_row(&T, 2, "");
    assert_row(&T, 29, "");
    put("\x1b[1;1H\x1b[1J");                   /* erase from start to cursor */
    assert_row(&T, 0, "");
    assert_row(&T, 1, "a");
}

static void ansi_unknown_and_split_sequences(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("\x1b[?25lA\x1b[5qB\x1b(BC\x1b[38;5;31;48;5;44mD\x1b[1mE\x1b]0;title\x07" "F\x1b" "7G"
        "\x1b]2;st\x1b\\H\x1b]junk\nI\x1b[1:2mJ");
    assert_row(&T, 0, "ABCDEFGH");
    assert_row(&T, 1, "IJ");                    /* an unterminated string ends at the newline */
    for (unsigned c = 0; c < 8; c++)            /* 38;5;31 did not turn anything red */
        assert_cell(&T, c, 0, "ABCDEFGH"[c], FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    put("\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;31mK");   /* > 16 params */
    assert_cell(&T, 2, 1, 'K', 0xAA0000, FBCON_DEFAULT_BG);
}

static void ansi_sequences_span_calls_and_abort_on_controls(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    put("\x1b");
    put("[3");
    put("1mR");
    assert_cell(&T, 0, 0, 'R', 0xAA0000, 0);
    put("\x1b[0m\x1b[3\nX");                   /* a control ends the sequence and still acts */
    assert_cell(&T, 0, 1, 'X', 0xAAAAAA, 0);
    put("\x1b\x1b[32mY");                      /* ESC ESC: the second one starts over */
    assert_cell(&T, 1, 1, 'Y', 0x00AA00, 0);
    put("\x1b[99999999999999999999mZ");        /* huge parameter: clamped, ignored */
    assert_cell(&T, 2, 1, 'Z', 0x00AA00, 0);
}

static void set_colors_are_default_and_survive_restart(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    fbcon_set_colors(0x12C456, 0x000080);
    put("a\x1b[31mb\x1b[0mc");
    assert_cell(&T, 0, 0, 'a', 0x12C456, 0x000080);
    assert_cell(&T, 1, 0, 'b', 0xAA0000, 0x000080);
    assert_cell(&T, 2, 0, 'c', 0x12C456, 0x000080);

    uint8_t *before = malloc(T.size);
    assert_non_null(before);
    memcpy(before, T.mem, T.size);
    tfb_make(&T2, 320, 64, 1280, &RGB565);    /* restart on another framebuffer */
    assert_int_equal(fbcon_init(&T2.fb, T2.mem), 0);
    assert_area(&T2, 0, 0, 320, 64, 0x000080);
    put("d");
    assert_cell(&T2, 0, 0, 'd', 0x12C456, 0x000080);
    assert_memory_equal(before, T.mem, T.size); /* the old one is left alone */
    free(before);
    fbcon_set_colors(FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    tfb_free(&T2);
}

static void large_screen_clamped_to_max_grid(void **state)
{
    (void)state;
    unsigned cols, rows;
    start(2100, 2100, 4200, &RGB565);
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, FBCON_MAX_COLS);
    assert_int_equal(rows, FBCON_MAX_ROWS);
    put("\x1b[128;256HX\x1b[1;1HY");
    assert_cell(&T, 255, 127, 'X', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_cell(&T, 0, 0, 'Y', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    assert_area(&T, 2048, 0, 2100, 2100, FBCON_DEFAULT_BG);
    assert_area(&T, 0, 2048, 2100, 2100, FBCON_DEFAULT_BG);
}

static void single_cell_screen(void **state)
{
    (void)state;
    unsigned cols, rows;
    start(8, 16, 32, &XRGB8888);
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, 1);
    assert_int_equal(rows, 1);
    put("a");
    assert_cell(&T, 0, 0, 'a', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    put("b");                                   /* wraps and scrolls on a 1x1 grid */
    assert_cell(&T, 0, 0, 'b', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
    put("\t\b\bc\n");
    assert_cell(&T, 0, 0, ' ', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
}

static void invalid_geometry_rejected_and_state_kept(void **state)
{
    (void)state;
    unsigned cols, rows;
    start(640, 480, 2560, &XRGB8888);
    put("keep");

    struct bad { const char *why; uint32_t w, h, pitch; struct fmt f; uint8_t format; };
    const struct bad bad[] = {
        { "bpp 8",           640, 480, 640,  { 8, 5, 3, 2, 3, 0, 2 }, FB_RGB },
        { "bpp 15",          640, 480, 1280, { 15, 10, 5, 5, 5, 0, 5 }, FB_RGB },
        { "bpp 0",           640, 480, 2560, { 0, 16, 8, 8, 8, 0, 8 }, FB_RGB },
        { "width 0",         0, 480, 2560,   XRGB8888, FB_RGB },
        { "height 0",        640, 0, 2560,   XRGB8888, FB_RGB },
        { "pitch short",     640, 480, 2556, XRGB8888, FB_RGB },
        { "pitch short 24",  640, 480, 1919, RGB888, FB_RGB },
        { "no full column",  7, 480, 28,     XRGB8888, FB_RGB },
        { "no full row",     640, 15, 2560,  XRGB8888, FB_RGB },
        { "format none",     640, 480, 2560, XRGB8888, FB_NONE },
        { "red size 0",      640, 480, 2560, { 32, 16, 0, 8, 8, 0, 8 }, FB_RGB },
        { "blue size 9",     640, 480, 2560, { 32, 16, 8, 8, 8, 0, 9 }, FB_RGB },
        { "green past bpp",  640, 480, 1280, { 16, 11, 5, 12, 6, 0, 5 }, FB_RGB },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad *b = &bad[i];
        tfb_make(&T2, 16, 32, 64, &XRGB8888);  /* a buffer that must stay untouched */
        T2.fb.width = b->w;
        T2.fb.height = b->h;
        T2.fb.pitch = b->pitch;
        T2.fb.bpp = b->f.bpp;
        T2.fb.format = b->format;
        T2.fb.red_pos = b->f.rpos;   T2.fb.red_size = b->f.rsize;
        T2.fb.green_pos = b->f.gpos; T2.fb.green_size = b->f.gsize;
        T2.fb.blue_pos = b->f.bpos;  T2.fb.blue_size = b->f.bsize;
        int rc = fbcon_init(&T2.fb, T2.mem);
        if (rc != -MOS_EINVAL)
            fail_msg("%s: fbcon_init returned %d, want %d", b->why, rc, -MOS_EINVAL);
        for (size_t k = 0; k < T2.size; k++)
            if (T2.mem[k] != CANARY)
                fail_msg("%s: rejected framebuffer was written", b->why);
        tfb_free(&T2);
    }
    tfb_make(&T2, 640, 480, 2560, &XRGB8888);
    assert_int_equal(fbcon_init(&T2.fb, NULL), -MOS_EINVAL);
    assert_int_equal(fbcon_init(NULL, T2.mem), -MOS_EINVAL);
    tfb_free(&T2);

    /* The running console was not disturbed. */
    assert_true(fbcon_active());
    fbcon_get_geometry(&cols, &rows);
    assert_int_equal(cols, 80);
    assert_int_equal(rows, 30);
    put("!");
    assert_row(&T, 0, "keep!");
}

/* Must run last: fills the palette for the rest of the process. */
static void palette_overflow_uses_nearest_colour(void **state)
{
    (void)state;
    start(640, 480, 2560, &XRGB8888);
    /* 16 ANSI colours + 0x12C456 + 0x000080 (earlier test) + these fill the 64 entries. */
    for (uint32_t i = 0; i < 60; i++) {
        uint32_t rgb = 0x200000 + i * 0x030000 + 0x40;   /* distinct, none ANSI */
        fbcon_set_colors(rgb, 0x000000);
        char ch = (char)('A' + i % 26);
        fbcon_write(&ch, 1);
        if (i < 46)                             /* still room: exact */
            assert_cell(&T, i, 0, ch, rgb, 0);
    }
    fbcon_set_colors(0x020101, 0x000000);       /* full: nearest is black */
    put("\nx");
    assert_cell(&T, 0, 1, 'x', 0x000000, 0x000000);
    fbcon_set_colors(0xFE5454, 0x000000);       /* nearest is bright red 0xFF5555 */
    put("y");
    assert_cell(&T, 1, 1, 'y', 0xFF5555, 0x000000);
    fbcon_set_colors(0x12C456, 0x000000);       /* kept colours stay exact */
    put("z");
    assert_cell(&T, 2, 1, 'z', 0x12C456, 0x000000);
}

static int teardown(void **state)
{
    (void)state;
    tfb_free(&T);
    tfb_free(&T2);
    return 0;
}

#define TEST(f) cmocka_unit_test_teardown(f, teardown)
#define GEOM_TEST(name, g) { name, renders_glyphs, NULL, teardown, (void *)&(g) }

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(inactive_before_init_and_write_is_noop),
        TEST(init_clears_screen_and_reports_geometry),
        GEOM_TEST("renders_glyphs_640x480_xrgb8888", G_640x480_32),
        GEOM_TEST("renders_glyphs_100x50_bgr888_padded", G_100x50_24),
        GEOM_TEST("renders_glyphs_808x600_rgb888", G_808x600_24),
        GEOM_TEST("renders_glyphs_800x600_rgb565_padded", G_800x600_16),
        GEOM_TEST("renders_glyphs_33x17_xrgb1555_one_row", G_33x17_15),
        TEST(wraps_at_right_edge_without_blank_line),
        TEST(newline_at_bottom_scrolls),
        TEST(long_log_keeps_last_lines),
        TEST(scroll_redraws_from_grid_not_pixels),
        TEST(scroll_skips_unchanged_cells),
        TEST(carriage_return_backspace_tab),
        TEST(control_bytes_ignored_latin1_drawn),
        TEST(ansi_foreground_colours),
        TEST(ansi_background_and_erase),
        TEST(ansi_clear_and_cursor_position),
        TEST(ansi_unknown_and_split_sequences),
        TEST(ansi_sequences_span_calls_and_abort_on_controls),
        TEST(set_colors_are_default_and_survive_restart),
        TEST(large_screen_clamped_to_max_grid),
        TEST(single_cell_screen),
        TEST(invalid_geometry_rejected_and_state_kept),
        TEST(palette_overflow_uses_nearest_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
