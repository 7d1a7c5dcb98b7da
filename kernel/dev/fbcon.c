// SPDX-License-Identifier: MIT
/* fbcon.c - the framebuffer text console (see fbcon.h for the interface).
 * The text lives in `grid` (static, FBCON_MAX_COLS x FBCON_MAX_ROWS cells of
 * character + palette colours); the pixels are only ever written, never read,
 * because reading VRAM is slow on real hardware. Rows form a ring (`top`), so
 * scrolling the grid is O(1). `shown` mirrors what the pixels display; after
 * each fbcon_write() the dirty rows are compared with it and only the cells
 * that differ are redrawn. Why: under QEMU TCG every pixel store costs, and a
 * full redraw per scrolled line would make a boot log of a few hundred lines
 * take seconds. With the diff, a scroll redraws only cells whose text changed
 * (blank tails stay), and several scrolls within one write cost one redraw.
 * Invariants: cx <= cols (cx == cols means "wrap before the next character"),
 * cy < rows; every palette index in grid/shown is < npalette, and a palette
 * entry never changes its RGB once added. No runtime assert(): a failure
 * would panic, and panic prints through the log back into this file.
 * Locking: none; the kernel log serialises all calls (see fbcon.h). */
#include "dev/fbcon.h"
#include "dev/font.h"
#include "lib/assert.h"       /* static_assert only */
#include <mos/errors.h>

#define PALETTE_MAX   64
#define ANSI_COLORS   16
#define CSI_MAX_PARAMS 16
#define CSI_PARAM_MAX  9999

static_assert(FONT_WIDTH == 8 && FONT_HEIGHT == 16, "fbcon draws 8x16 cells");
static_assert(PALETTE_MAX <= 256, "palette indices are uint8_t");

struct fbcon_cell {
    uint8_t ch;             /* byte drawn with font8x16[ch] */
    uint8_t fg, bg;         /* palette indices */
};

struct palette_entry {
    uint32_t rgb;           /* 0xRRGGBB; fixed once the entry exists */
    uint32_t pixel;         /* rgb packed for the current framebuffer */
};

enum parse_state {
    PS_TEXT,
    PS_ESC,         /* after ESC (and any intermediate bytes) */
    PS_CSI,         /* after ESC [ */
    PS_STR,         /* OSC/DCS/PM/APC/SOS string, skipped until BEL or a control */
};

/* Unaligned-safe pixel stores (pitch need not be a multiple of 4). */
typedef uint16_t __attribute__((aligned(1), may_alias)) px16_t;
typedef uint32_t __attribute__((aligned(1), may_alias)) px32_t;

static struct {
    bool active;
    uint8_t *base;                  /* framebuffer mapping */
    uint32_t width, height, pitch;  /* pixels, pixels, bytes */
    unsigned bytes;                 /* per pixel: 2, 3 or 4 */
    uint8_t pos[3], size[3];        /* red, green, blue fields */
    unsigned cols, rows;            /* grid in use, <= FBCON_MAX_* */
    unsigned cx, cy;                /* cursor; cx == cols: wrap pending */
    unsigned top;                   /* grid row holding screen row 0 */
    uint8_t fg, bg;                 /* current colours (palette indices) */
    uint8_t def_fg, def_bg;         /* what ESC[0m returns to */
    enum parse_state ps;
    bool csi_ignore;                /* private marker or intermediate byte seen */
    unsigned nparams;               /* >= 1 while in PS_CSI */
    uint16_t params[CSI_MAX_PARAMS];
} con = { .def_fg = 7, .def_bg = 0, .fg = 7, .bg = 0 };

/* The 16 ANSI/VGA colours are entries 0..15; 7 (0xAAAAAA) and 0 are the defaults. */
static struct palette_entry palette[PALETTE_MAX] = {
    { 0x000000, 0 }, { 0xAA0000, 0 }, { 0x00AA00, 0 }, { 0xAA5500, 0 },
    { 0x0000AA, 0 }, { 0xAA00AA, 0 }, { 0x00AAAA, 0 }, { 0xAAAAAA, 0 },
    { 0x555555, 0 }, { 0xFF5555, 0 }, { 0x55FF55, 0 }, { 0xFFFF55, 0 },
    { 0x5555FF, 0 }, { 0xFF55FF, 0 }, { 0x55FFFF, 0 }, { 0xFFFFFF, 0 },
};
static unsigned npalette = ANSI_COLORS;

static struct fbcon_cell grid[FBCON_MAX_ROWS][FBCON_MAX_COLS];   /* ring of rows */
static struct fbcon_cell shown[FBCON_MAX_ROWS][FBCON_MAX_COLS];  /* by screen row */
static bool row_dirty[FBCON_MAX_ROWS];                           /* by screen row */

/* ---------------------------------------------------------------- pixels */

static uint32_t pack_rgb(uint32_t rgb)
{
    uint32_t comp[3] = { (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF };
    uint32_t px = 0;
    for (int i = 0; i < 3; i++)
        px |= (comp[i] >> (8 - con.size[i])) << con.pos[i];
    return px;
}

static void put_pixels(uint8_t *p, uint32_t px, unsigned n)
{
    switch (con.bytes) {
    case 4:
        for (unsigned i = 0; i < n; i++, p += 4)
            *(px32_t *)p = px;
        break;
    case 3:
        for (unsigned i = 0; i < n; i++, p += 3) {
            p[0] = (uint8_t)px;
            p[1] = (uint8_t)(px >> 8);
            p[2] = (uint8_t)(px >> 16);
        }
        break;
    default:
        for (unsigned i = 0; i < n; i++, p += 2)
            *(px16_t *)p = (uint16_t)px;
        break;
    }
}

static void draw_cell(unsigned col, unsigned row, struct fbcon_cell c)
{
    const uint8_t *glyph = font8x16[c.ch];
    uint32_t fg = palette[c.fg].pixel, bg = palette[c.bg].pixel;
    uint8_t *line = con.base + (size_t)row * FONT_HEIGHT * con.pitch
                  + (size_t)col * FONT_WIDTH * con.bytes;

    for (unsigned y = 0; y < FONT_HEIGHT; y++, line += con.pitch) {
        unsigned bits = glyph[y];
        switch (con.bytes) {
        case 4:
            for (unsigned x = 0; x < FONT_WIDTH; x++)
                *(px32_t *)(line + 4 * x) = (bits & (0x80u >> x)) ? fg : bg;
            break;
        case 3:
            for (unsigned x = 0; x < FONT_WIDTH; x++) {
                uint32_t px = (bits & (0x80u >> x)) ? fg : bg;
                line[3 * x] = (uint8_t)px;
                line[3 * x + 1] = (uint8_t)(px >> 8);
                line[3 * x + 2] = (uint8_t)(px >> 16);
            }
            break;
        default:
            for (unsigned x = 0; x < FONT_WIDTH; x++)
                *(px16_t *)(line + 2 * x) = (uint16_t)((bits & (0x80u >> x)) ? fg : bg);
            break;
        }
    }
}

static struct fbcon_cell *screen_row(unsigned row)
{
    return grid[(con.top + row) % con.rows];
}

/* Redraw the cells of dirty rows that differ from what is displayed. */
static void flush(void)
{
    for (unsigned r = 0; r < con.rows; r++) {
        if (!row_dirty[r])
            continue;
        row_dirty[r] = false;
        const struct fbcon_cell *want = screen_row(r);
        for (unsigned c = 0; c < con.cols; c++) {
            struct fbcon_cell *have = &shown[r][c];
            if (have->ch == want[c].ch && have->fg == want[c].fg && have->bg == want[c].bg)
                continue;
            draw_cell(c, r, want[c]);
            *have = want[c];
        }
    }
}

/* ---------------------------------------------------------------- palette */

static uint8_t palette_get(uint32_t rgb)
{
    rgb &= 0xFFFFFF;
    for (unsigned i = 0; i < npalette; i++)
        if (palette[i].rgb == rgb)
            return (uint8_t)i;
    if (npalette < PALETTE_MAX) {
        palette[npalette].rgb = rgb;
        palette[npalette].pixel = con.active ? pack_rgb(rgb) : 0;
        return (uint8_t)npalette++;
    }
    /* Full: entries are never replaced (cells refer to them), so take the nearest. */
    unsigned best = 0;
    uint32_t best_d = UINT32_MAX;
    for (unsigned i = 0; i < npalette; i++) {
        uint32_t d = 0;
        for (int s = 0; s <= 16; s += 8) {
            int32_t e = (int32_t)((rgb >> s) & 0xFF) - (int32_t)((palette[i].rgb >> s) & 0xFF);
            d += (uint32_t)(e * e);
        }
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return (uint8_t)best;
}

/* ---------------------------------------------------------------- text grid */

static void erase(unsigned row, unsigned from, unsigned to)   /* cells [from, to) */
{
    struct fbcon_cell *cells = screen_row(row);
    for (unsigned c = from; c < to; c++)
        cells[c] = (struct fbcon_cell){ .ch = ' ', .fg = con.fg, .bg = con.bg };
    row_dirty[row] = true;
}

static void scroll_up(void)
{
    con.top = (con.top + 1) % con.rows;
    erase(con.rows - 1, 0, con.cols);
    for (unsigned r = 0; r < con.rows; r++)
        row_dirty[r] = true;
}

static void line_feed(void)
{
    con.cx = 0;
    if (con.cy + 1 < con.rows)
        con.cy++;
    else
        scroll_up();
}

/* The column the cursor is on, taking a pending wrap as the last column. */
static unsigned cursor_col(void)
{
    return con.cx < con.cols ? con.cx : con.cols - 1;
}

static void put_char(uint8_t ch)
{
    switch (ch) {
    case '\n':
        line_feed();
        return;
    case '\r':
        con.cx = 0;
        return;
    case '\t': {
        unsigned next = (cursor_col() / 8 + 1) * 8;
        con.cx = next < con.cols ? next : con.cols - 1;
        return;
    }
    case '\b': {
        unsigned c = cursor_col();
        con.cx = c > 0 ? c - 1 : 0;
        return;
    }
    default:
        break;
    }
    if (ch < 0x20 || ch == 0x7F)
        return;                         /* other controls: ignored */
    if (con.cx >= con.cols)
        line_feed();
    screen_row(con.cy)[con.cx] = (struct fbcon_cell){ .ch = ch, .fg = con.fg, .bg = con.bg };
    row_dirty[con.cy] = true;
    con.cx++;
}

/* ---------------------------------------------------------------- ANSI */

static void csi_sgr(void)
{
    for (unsigned i = 0; i < con.nparams; i++) {
        unsigned p = con.params[i];
        if (p == 0) {
            con.fg = con.def_fg;
            con.bg = con.def_bg;
        } else if (p >= 30 && p <= 37) {
            con.fg = (uint8_t)(p - 30);
        } else if (p >= 90 && p <= 97) {
            con.fg = (uint8_t)(p - 90 + 8);
        } else if (p >= 40 && p <= 47) {
            con.bg = (uint8_t)(p - 40);
        } else if (p >= 100 && p <= 107) {
            con.bg = (uint8_t)(p - 100 + 8);
        } else if (p == 39) {
            con.fg = con.def_fg;
        } else if (p == 49) {
            con.bg = con.def_bg;
        } else if (p == 38 || p == 48) {
            return;     /* extended colour: its arguments are not SGR codes */
        }
    }
}

static void csi_dispatch(uint8_t final)
{
    unsigned p0 = con.params[0], cc = cursor_col();

    switch (final) {
    case 'm':
        csi_sgr();
        break;
    case 'H':
    case 'f': {
        unsigned row = p0 ? p0 - 1 : 0;
        unsigned col = (con.nparams > 1 && con.params[1]) ? con.params[1] - 1u : 0;
        con.cy = row < con.rows ? row : con.rows - 1;
        con.cx = col < con.cols ? col : con.cols - 1;
        break;
    }
    case 'J':
        if (p0 == 0) {
            erase(con.cy, cc, con.cols);
            for (unsigned r = con.cy + 1; r < con.rows; r++)
                erase(r, 0, con.cols);
        } else if (p0 == 1) {
            for (unsigned r = 0; r < con.cy; r++)
                erase(r, 0, con.cols);
            erase(con.cy, 0, cc + 1);
        } else if (p0 == 2 || p0 == 3) {
            for (unsigned r = 0; r < con.rows; r++)
                erase(r, 0, con.cols);
        }
        break;
    case 'K':
        if (p0 == 0)
            erase(con.cy, cc, con.cols);
        else if (p0 == 1)
            erase(con.cy, 0, cc + 1);
        else if (p0 == 2)
            erase(con.cy, 0, con.cols);
        break;
    default:
        break;          /* unknown final byte: ignored */
    }
}

/* Feed one byte to the escape parser; returns true if it was consumed. */
static bool parse_escape(uint8_t b)
{
    if (con.ps == PS_STR) {
        if (b >= 0x20)
            return true;                /* string content: skipped */
        con.ps = PS_TEXT;
        return b == 0x07;               /* BEL ends it; other controls (ESC of ST too) end it and act */
    }
    if (con.ps == PS_ESC) {
        if (b == '[') {
            con.ps = PS_CSI;
            con.csi_ignore = false;
            con.nparams = 1;
            con.params[0] = 0;
            return true;
        }
        if (b == ']' || b == 'P' || b == '^' || b == '_' || b == 'X') {
            con.ps = PS_STR;
            return true;
        }
        if (b >= 0x20 && b <= 0x2F)
            return true;                /* intermediate, e.g. ESC ( B: wait for the final */
        con.ps = PS_TEXT;
        return b >= 0x30 && b <= 0x7E;  /* final byte: sequence dropped; a control aborts */
    }
    /* PS_CSI */
    if (b >= '0' && b <= '9') {
        uint16_t *p = &con.params[con.nparams - 1];
        unsigned v = *p * 10u + (unsigned)(b - '0');
        *p = (uint16_t)(v > CSI_PARAM_MAX ? CSI_PARAM_MAX : v);
        return true;
    }
    if (b == ';') {
        if (con.nparams < CSI_MAX_PARAMS)
            con.params[con.nparams++] = 0;
        else
            con.params[con.nparams - 1] = 0;    /* extra parameters overwrite the last */
        return true;
    }
    if ((b >= 0x3A && b <= 0x3F) || (b >= 0x20 && b <= 0x2F)) {
        con.csi_ignore = true;          /* ':' sub-params, '?' private, intermediates */
        return true;
    }
    con.ps = PS_TEXT;
    if (b >= 0x40 && b <= 0x7E) {
        if (!con.csi_ignore)
            csi_dispatch(b);
        return true;
    }
    return false;                       /* a control or 8-bit byte aborts the sequence */
}

/* ---------------------------------------------------------------- interface */

static bool field_ok(uint8_t pos, uint8_t size, unsigned bits)
{
    return size >= 1 && size <= 8 && (unsigned)pos + size <= bits;
}

int fbcon_init(const struct boot_fb *fb, void *va)
{
    if (!fb || !va || fb->format != FB_RGB)
        return -MOS_EINVAL;
    if (fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32)
        return -MOS_EINVAL;
    unsigned bytes = fb->bpp / 8u;
    if (fb->width == 0 || fb->height == 0 || (uint64_t)fb->pitch < (uint64_t)fb->width * bytes)
        return -MOS_EINVAL;
    if (fb->width < FONT_WIDTH || fb->height < FONT_HEIGHT)
        return -MOS_EINVAL;
    if (!field_ok(fb->red_pos, fb->red_size, fb->bpp) ||
        !field_ok(fb->green_pos, fb->green_size, fb->bpp) ||
        !field_ok(fb->blue_pos, fb->blue_size, fb->bpp))
        return -MOS_EINVAL;

    /* From here on nothing can fail. */
    con.active = true;
    con.base = va;
    con.width = fb->width;
    con.height = fb->height;
    con.pitch = fb->pitch;
    con.bytes = bytes;
    con.pos[0] = fb->red_pos;   con.size[0] = fb->red_size;
    con.pos[1] = fb->green_pos; con.size[1] = fb->green_size;
    con.pos[2] = fb->blue_pos;  con.size[2] = fb->blue_size;
    con.cols = MIN(fb->width / FONT_WIDTH, (uint32_t)FBCON_MAX_COLS);
    con.rows = MIN(fb->height / FONT_HEIGHT, (uint32_t)FBCON_MAX_ROWS);
    con.cx = con.cy = con.top = 0;
    con.fg = con.def_fg;
    con.bg = con.def_bg;
    con.ps = PS_TEXT;
    for (unsigned i = 0; i < npalette; i++)
        palette[i].pixel = pack_rgb(palette[i].rgb);

    /* Clear every pixel (margins too) and record that the cells show blanks. */
    uint8_t *line = con.base;
    for (uint32_t y = 0; y < con.height; y++, line += con.pitch)
        put_pixels(line, palette[con.bg].pixel, con.width);
    struct fbcon_cell blank = { .ch = ' ', .fg = con.fg, .bg = con.bg };
    for (unsigned r = 0; r < con.rows; r++) {
        for (unsigned c = 0; c < con.cols; c++)
            grid[r][c] = shown[r][c] = blank;
        row_dirty[r] = false;
    }
    return 0;
}

void fbcon_write(const char *s, size_t n)
{
    if (!con.active)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];
        if (con.ps != PS_TEXT && parse_escape(b))
            continue;
        if (b == 0x1B)
            con.ps = PS_ESC;
        else
            put_char(b);
    }
    flush();
}

void fbcon_set_colors(uint32_t fg_rgb, uint32_t bg_rgb)
{
    con.def_fg = con.fg = palette_get(fg_rgb);
    con.def_bg = con.bg = palette_get(bg_rgb);
}

bool fbcon_active(void)
{
    return con.active;
}

void fbcon_get_geometry(unsigned *cols, unsigned *rows)
{
    if (cols)
        *cols = con.active ? con.cols : 0;
    if (rows)
        *rows = con.active ? con.rows : 0;
}
