# SPDX-License-Identifier: MIT
# user/shellprogs.mk - the shell and the programs it runs from /bin: wc (a
# wc-like tool over the VFS) and ioprobe (tries what least privilege
# forbids, and is killed). hello is added by user.mk. (This file sorts
# before user.mk, which makes the rules.)
USER_PROGS += shell wc ioprobe
