# SPDX-License-Identifier: MIT
# init's manifest parser (user/init/manifest.c): /etc/init.conf, good and
# malformed, dependency order and cycles.
HOST_TESTS += test_manifest
test_manifest_SRCS := tests/host/test_manifest.c user/init/manifest.c
test_manifest_CFLAGS := -Iuser/init -DINIT_CONF_PATH='"$(CURDIR)/user/rootfs/etc/init.conf"'
