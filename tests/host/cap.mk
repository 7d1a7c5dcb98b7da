# SPDX-License-Identifier: MIT
# Host tests of the capability core (kernel/cap): unit tests, and a seeded
# random test against a reference model (CDT_SEED=n replays, CDT_OPS=n ops).
HOST_TESTS += test_cap test_cdt_model
test_cap_SRCS := tests/host/test_cap.c kernel/cap/cap.c kernel/cap/cspace.c kernel/cap/cdt.c \
                 tests/host/fake_kernel.c
test_cdt_model_SRCS := tests/host/test_cdt_model.c kernel/cap/cap.c kernel/cap/cspace.c \
                       kernel/cap/cdt.c tests/host/fake_kernel.c
