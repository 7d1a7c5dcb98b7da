# SPDX-License-Identifier: MIT
# kernel/lib/string.c (renamed kstring_host_* under HOST_TEST) against the C
# library, and mos_strerror() against include/mos/errors.def.
HOST_TESTS += test_string
test_string_SRCS := tests/host/test_string.c kernel/lib/string.c kernel/lib/strerror.c
