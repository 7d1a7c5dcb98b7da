# SPDX-License-Identifier: MIT
# The HTTP parser of httpd and fetch (user/httpd/http.c): requests and
# responses, malformed heads (overlong lines, bad methods and versions,
# header floods, bad Content-Length, NUL bytes, split reads), the chunked
# decoder, URLs and paths, and a seeded random run (HTTP_SEED=n).
HOST_TESTS += test_http
test_http_SRCS := tests/host/test_http.c user/httpd/http.c
test_http_CFLAGS := -Iuser/httpd
