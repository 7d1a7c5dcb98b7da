# SPDX-License-Identifier: MIT
# Capability core: rights/range arithmetic, cspaces, the derivation tree.
# All three files are pure (no allocation, no locking) and host-tested.
KERNEL_SRCS += kernel/cap/cap.c kernel/cap/cspace.c kernel/cap/cdt.c
