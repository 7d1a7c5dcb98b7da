# SPDX-License-Identifier: MIT
# user/netapps.mk - the network applications (docs/network.md, "Applications
# (httpd, fetch)"):
#   bin/httpd   user/httpd: the HTTP/1.1 server the default manifest starts
#               (port 80; /www from the initrd, /tmp, /status)
#   bin/fetch   user/fetch: the HTTP client (prints, or saves with -o)
# Both use the pure parser user/httpd/http.c (host test: tests/host/http.mk).
# The site itself is user/rootfs/www/ (staged into the initrd with the rest
# of user/rootfs). Named to sort before user.mk, which makes the rules.
USER_PROGS += httpd fetch
USER_SRCS_fetch := user/fetch/main.c user/httpd/http.c
