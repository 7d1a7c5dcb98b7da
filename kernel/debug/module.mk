# kernel/debug/module.mk - fuzzing support, only in the fuzzing build
# (make fuzz, mk/fuzz.mk sets CONFIG_KCOV=1): coverage and failure injection.
ifeq ($(CONFIG_KCOV),1)
KERNEL_SRCS += kernel/debug/kcov.c
endif
