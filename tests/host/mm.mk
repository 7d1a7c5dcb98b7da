HOST_TESTS += test_pmm test_kheap
test_pmm_SRCS := tests/host/test_pmm.c kernel/mm/pmm.c tests/host/fake_kernel.c
test_kheap_SRCS := tests/host/test_kheap.c kernel/mm/kheap.c tests/host/fake_kernel.c
