# SPDX-License-Identifier: MIT
# The VFS service's pure logic (user/servers/vfs): path normalisation, the
# in-memory file system, the tar file system over an archive built in the
# test, and the namespace (mounts, sessions, handle tables, permissions).
VFS_DIR := user/servers/vfs
HOST_TESTS += test_vfs_path test_tmpfs test_tarfs test_vfs
test_vfs_path_SRCS := tests/host/test_vfs_path.c $(VFS_DIR)/path.c
test_vfs_path_CFLAGS := -Iuser/lib/include -I$(VFS_DIR)
test_tmpfs_SRCS := tests/host/test_tmpfs.c $(VFS_DIR)/tmpfs.c $(VFS_DIR)/path.c
test_tmpfs_CFLAGS := -Iuser/lib/include -I$(VFS_DIR)
test_tarfs_SRCS := tests/host/test_tarfs.c tests/host/vfs_tarbuild.c $(VFS_DIR)/tarfs.c \
                   $(VFS_DIR)/path.c kernel/lib/tar.c
test_tarfs_CFLAGS := -Iuser/lib/include -I$(VFS_DIR)
test_vfs_SRCS := tests/host/test_vfs.c tests/host/vfs_tarbuild.c $(VFS_DIR)/vfs.c $(VFS_DIR)/tarfs.c \
                 $(VFS_DIR)/tmpfs.c $(VFS_DIR)/path.c kernel/lib/tar.c
test_vfs_CFLAGS := -Iuser/lib/include -I$(VFS_DIR)
