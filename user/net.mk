# SPDX-License-Identifier: MIT
# user/net.mk - the network programs: the netstack service (lwIP; its library
# and include paths come from mk/lwip.mk), ifconfig, ping, the echo service
# echod, and nstest (the netstack's in-guest checks and the host's
# throughput peer, run by the netstack test image). The client library
# (user/lib/net_client.c) is in libmos.
USER_PROGS += servers/netstack ifconfig ping echod nstest
