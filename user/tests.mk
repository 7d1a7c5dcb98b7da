# SPDX-License-Identifier: MIT
# user/tests.mk - the userspace test suite: one program per group, every
# directory user/tests/<group>/ with .c files, each linked with the harness
# user/tests/utest.c (and kid.c, shared helpers) and staged as bin/tests/<group>. init runs them all
# when booted with "test" ("utest=<prefix>" selects groups by name).
# (This file sorts before user.mk, which makes the rules.)
USER_TESTS := $(sort $(patsubst user/tests/%/,%,$(dir $(wildcard user/tests/*/*.c))))
USER_PROGS += $(addprefix tests/,$(USER_TESTS))
$(foreach t,$(USER_TESTS),$(eval USER_SRCS_tests/$(t) := $$(sort $$(wildcard user/tests/$(t)/*.c)) user/tests/utest.c user/tests/kid.c))
