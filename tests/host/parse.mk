# SPDX-License-Identifier: MIT
# Host tests of the user library's argument number parser (user/lib/parse.c).
HOST_TESTS += test_parse
test_parse_SRCS := tests/host/test_parse.c user/lib/parse.c
test_parse_CFLAGS := -Iuser/lib/include
