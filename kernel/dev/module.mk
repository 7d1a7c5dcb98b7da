# SPDX-License-Identifier: MIT
# kernel/dev: console devices. The font table (build/gen/font8x16.c) is
# generated from FONT_PSF by tools/psf2c.py; the top Makefile links it.
KERNEL_SRCS += kernel/dev/fbcon.c
FONT_PSF := /usr/share/consolefonts/Lat15-VGA16.psf.gz
