# SPDX-License-Identifier: MIT
# mk/fuzz.mk - the fuzzing build and `make fuzz` (docs/testing.md, "Fuzzing").
#
#   make fuzz [SEED=1] [CALLS=100000] [FAILNTH=0] [REPLAY=<file>] [TRACE=<n>]
#             [COVER=<report file>] [SMP=2] [MEM=512M]
# builds the fuzzing variant in $(BUILD)/variants/fuzz (a recursive make with
# CONFIG_KCOV=1, like the nofast and clang variants), then
# tools/fuzz_run.py makes an image whose kernel command line says
# "fuzz seed=.. calls=..", boots it under -icount shift=0 and watches it:
# a panic, or no progress while QEMU burns 90 s of CPU time, is a kernel
# crash or hang; the programs that were running come from the fuzzer's black
# box in a dump of guest memory, a leak comes with the programs of the
# executor that leaked; both are reduced by replaying (REPLAY=<file> replays
# such a program file). FAILNTH=N makes every Nth kernel allocation of a
# fuzzed call fail. COVER=<file> writes the coverage report (blocks and
# functions reached, from the kernel ELF). CC=clang works too.
#
# In the variant: -DCONFIG_KCOV=1 for C and assembly (the syscall table's
# length in asm_offsets.h depends on it), kernel/debug/kcov.c, bin/fuzz in
# the initrd, and -fsanitize-coverage=trace-pc for the kernel's C files
# except those that must stay untraced: the hook itself, code that runs
# before a CPU's per-CPU data exists (main.c's entry, gdt.c, smp.c's AP
# entry), the trap and NMI paths (trap.c, panic.c), and code whose loops run
# per byte or pixel and would only slow every call down: string.c, the heap's
# internals (kheap.c: poison and red-zone checks) and the log output path
# (kprintf.c, log.c, uart.c, fbcon.c). Assembly is never traced.
# make test builds FUZZ_TEST_ISOS (tests/qemu/scenarios_fuzz.py runs them);
# the replay image replays tests/fuzz/regressions.replay.
FUZZ_VARIANT := $(BUILD)/variants/fuzz
SEED    ?= 1
CALLS   ?= 100000
FAILNTH ?= 0
FUZZ_SMP ?= $(if $(filter command line,$(origin SMP)),$(SMP),2)
FUZZ_MEM ?= $(if $(filter command line,$(origin MEM)),$(MEM),512M)

# The make test sessions: one plain, one with allocation failures. Their
# parameters are part of the images (fuzz_run.py writes <iso>.json too).
FUZZ_TEST_PLAIN   := seed=1 calls=600000
FUZZ_TEST_FAILNTH := seed=2 calls=450000 failnth=5
FUZZ_TEST_REPLAY  := replay seed=0 repeat=5
FUZZ_REGRESSIONS  := tests/fuzz/regressions.replay
FUZZ_TEST_ISOS    := $(FUZZ_VARIANT)/fuzz-test-plain.iso $(FUZZ_VARIANT)/fuzz-test-failnth.iso \
                     $(FUZZ_VARIANT)/fuzz-test-replay.iso

ifeq ($(CONFIG_KCOV),1)
KCFLAGS  += -DCONFIG_KCOV=1
KASFLAGS += -DCONFIG_KCOV=1
KCOV_NOTRACE := kernel/debug/kcov.c kernel/main.c kernel/arch/x86_64/gdt.c \
                kernel/arch/x86_64/smp.c kernel/arch/x86_64/trap.c kernel/lib/panic.c \
                kernel/lib/string.c kernel/mm/kheap.c kernel/lib/kprintf.c kernel/lib/log.c \
                kernel/arch/x86_64/uart.c kernel/dev/fbcon.c \
                kernel/test/% %/ktest_faults.c %/ktest_usercpu.c %/ktest_sched.c
KCOV_TRACED  := $(filter-out $(KCOV_NOTRACE),$(filter %.c,$(KERNEL_SRCS)))
$(patsubst %,$(BUILD)/%.o,$(KCOV_TRACED)): KCFLAGS += -fsanitize-coverage=trace-pc

FUZZ_IMAGE_DEPS := $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg tools/fuzz_run.py
$(BUILD)/fuzz-test-plain.iso: $(FUZZ_IMAGE_DEPS) | setup
	@$(if $(Q),echo "  ISO     $@")
	$(Q)$(PYTHON) tools/fuzz_run.py --build $(BUILD) --make-iso $@ --args '$(FUZZ_TEST_PLAIN)'
$(BUILD)/fuzz-test-failnth.iso: $(FUZZ_IMAGE_DEPS) | setup
	@$(if $(Q),echo "  ISO     $@")
	$(Q)$(PYTHON) tools/fuzz_run.py --build $(BUILD) --make-iso $@ --args '$(FUZZ_TEST_FAILNTH)'
$(BUILD)/fuzz-test-replay.iso: $(FUZZ_IMAGE_DEPS) $(FUZZ_REGRESSIONS) | setup
	@$(if $(Q),echo "  ISO     $@")
	$(Q)$(PYTHON) tools/fuzz_run.py --build $(BUILD) --make-iso $@ --args '$(FUZZ_TEST_REPLAY)' \
	    --replay $(FUZZ_REGRESSIONS)
.PHONY: fuzz-parts
fuzz-parts: $(BUILD)/kernel.elf $(BUILD)/initrd.tar
else
.PHONY: fuzz fuzz-variant
# The variant's initrd holds init and the fuzzer only (USER_PROGS on the
# command line overrides every USER_PROGS += of the user/*.mk fragments).
FUZZ_SUBMAKE := $(MAKE) --no-print-directory BUILD=$(FUZZ_VARIANT) CONFIG_KCOV=1 USER_PROGS="init fuzz"
fuzz-variant:
	+$(Q)$(FUZZ_SUBMAKE) fuzz-parts

fuzz: setup fuzz-variant
	$(Q)$(PYTHON) tools/fuzz_run.py --build $(FUZZ_VARIANT) --seed $(SEED) --calls $(CALLS) \
	    --failnth $(FAILNTH) --smp $(FUZZ_SMP) --mem $(FUZZ_MEM) \
	    $(if $(REPLAY),--replay $(REPLAY)) $(if $(TRACE),--trace $(TRACE)) \
	    $(if $(COVER),--cover $(COVER))

# One sub-make builds both images (two would race in the same directory).
.PHONY: fuzz-test-isos
TEST_DEPS += fuzz-test-isos
fuzz-test-isos:
	+$(Q)$(FUZZ_SUBMAKE) $(FUZZ_TEST_ISOS)
endif
