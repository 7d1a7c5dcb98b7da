# SPDX-License-Identifier: MIT
# user/serial.mk - the serial console driver (user/servers/serial: main.c
# glue, uart.c device logic, con.c/line.c/out.c the pure console logic,
# host-tested by tests/host/test_line.c), staged as bin/serial.
USER_PROGS += servers/serial
