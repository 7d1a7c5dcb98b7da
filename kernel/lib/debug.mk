# The debug checkers' shared parts are always built (their hooks compile to
# nothing unless CONFIG_DEBUG_*); the UBSan runtime only in the debug kernel
# (make DEBUG=1, mk/debug.mk), the only build compiled with -fsanitize.
KERNEL_SRCS += kernel/lib/kcheck.c kernel/lib/lockcheck.c
ifeq ($(DEBUG),1)
KERNEL_SRCS += kernel/lib/ubsan.c
endif
