# SPDX-License-Identifier: MIT
# user/tests_security.mk - test groups that only the long-run variant's
# initrd holds (mk/security.mk builds it with SEC_VARIANT=long): longleak
# (the long leak cycles, a QEMU run of their own), secgap (a known kernel
# gap, run by a scenario that expects it to fail) and scramble (needs the
# sectest kernel, which boots with this initrd). Every other image leaves
# them out (a whole sectest build, by hand, keeps them too; make test builds
# only its kernel). This file sorts after tests.mk, which adds every group, and
# before user.mk, which makes the rules.
SEC_LONG_ONLY_TESTS := tests/longleak tests/secgap tests/scramble
ifeq ($(filter long sectest,$(SEC_VARIANT)),)
USER_PROGS := $(filter-out $(SEC_LONG_ONLY_TESTS),$(USER_PROGS))
endif
