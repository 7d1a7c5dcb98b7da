# In-kernel tests of the debug checkers (UBSan runtime, heap red zones and
# quarantine, lock order) and of their real verdict (ktest_debug_panic.c,
# run only with kcheck_panic=<kind>): built only into the debug kernel
# (DEBUG=1).
ifeq ($(DEBUG),1)
KERNEL_SRCS += $(wildcard kernel/test/ktest_ubsan.c kernel/test/ktest_lockcheck.c \
                          kernel/test/ktest_kheap_debug.c kernel/test/ktest_debug_panic.c)
endif
