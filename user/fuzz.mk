# SPDX-License-Identifier: MIT
# user/fuzz.mk - bin/fuzz, the system-call fuzzer (user/fuzz/, docs/testing.md
# "Fuzzing"). Built only in the fuzzing build (make fuzz, mk/fuzz.mk passes
# CONFIG_KCOV=1): no other kernel has the coverage calls it needs.
# (This file sorts before user.mk, which makes the rules.)
ifeq ($(CONFIG_KCOV),1)
USER_PROGS += fuzz
endif
