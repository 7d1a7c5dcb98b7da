# SPDX-License-Identifier: MIT
# user/servers_vfs.mk - the VFS service (user/servers/vfs), staged as bin/vfs.
# (Named to sort before user.mk, which makes the rules: "vfs.mk" would not.)
USER_PROGS += servers/vfs
