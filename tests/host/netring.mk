# SPDX-License-Identifier: MIT
# netring.h (the driver <-> netstack descriptor rings): single-thread cases
# and a two-thread stress of millions of descriptors with the waiting-flag
# protocol (pthreads; semaphores stand in for endpoint notifications).
HOST_TESTS += test_netring
test_netring_SRCS := tests/host/test_netring.c
test_netring_CFLAGS := -Iuser/lib/include
