# SPDX-License-Identifier: MIT
# The netstack's pure parts: the socket byte rings and datagram records of
# proto/net.h (one-thread model checks and a two-thread stress of the
# waiting flag), and the request and NIC-region validation of
# user/servers/netstack/req.c.
HOST_TESTS += test_net_ring test_net_req
test_net_ring_SRCS := tests/host/test_net_ring.c
test_net_ring_CFLAGS := -Iuser/lib/include
test_net_req_SRCS := tests/host/test_net_req.c user/servers/netstack/req.c
test_net_req_CFLAGS := -Iuser/lib/include -Iuser/servers/netstack
# The hosts-file table of the client library's net_resolve (user/lib/net_hosts.c).
HOST_TESTS += test_net_hosts
test_net_hosts_SRCS := tests/host/test_net_hosts.c user/lib/net_hosts.c
test_net_hosts_CFLAGS := -Iuser/lib/include
