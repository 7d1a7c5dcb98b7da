# The debug kernel's heap (CONFIG_DEBUG_HEAP): kheap.c built as in DEBUG=1.
HOST_TESTS += test_kheap_debug
test_kheap_debug_SRCS := tests/host/test_kheap_debug.c kernel/mm/kheap.c tests/host/fake_kernel.c
test_kheap_debug_CFLAGS := -DCONFIG_DEBUG_HEAP=1
