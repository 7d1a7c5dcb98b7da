# SPDX-License-Identifier: MIT
# The serial driver's pure console logic (user/servers/serial): the line
# editor (line.c), the output merger (out.c) and the protocol state (con.c)
# with fake replies and a fake UART.
HOST_TESTS += test_line
test_line_SRCS := tests/host/test_line.c user/servers/serial/line.c user/servers/serial/out.c \
                  user/servers/serial/con.c
test_line_CFLAGS := -Iuser/servers/serial -Iuser/lib/include
