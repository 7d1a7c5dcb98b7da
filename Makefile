# SPDX-License-Identifier: MIT
# MinimalOS top-level Makefile.
#   make            kernel and bootable ISO (build/minimalos.iso)
#   make run        boot it in QEMU, serial console on this terminal
#   make test       host unit tests + QEMU boot tests, ends with "N passed, N failed"
#   make clean      remove build/
# Options: V=1 (show commands), CC=clang, and for run: UEFI=1 SMP=n MEM=size CPU=model
#          QEMU_DISPLAY=none|gtk|sdl|vnc=:0 (the framebuffer console; default none)
#          NET=0 (no network device) HTTP_PORT=8080 (host port forwarded to httpd's 80)

.DEFAULT_GOAL := all
# Build in parallel on every CPU unless told otherwise (-j1 works too).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif
.SUFFIXES:
.DELETE_ON_ERROR:

BUILD   := build
V       ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif
ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC  ?= gcc
LD      := ld
OBJCOPY := objcopy
NM      := nm
PYTHON  := python3

# ---------------------------------------------------------------- kernel flags
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
           -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
           -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-strict-aliasing \
           -Wall -Wextra -Werror -Wundef -Wstrict-prototypes -Wmissing-prototypes \
           -ffile-prefix-map=$(CURDIR)/= \
           -Iinclude -Ikernel -I$(BUILD)/gen -MMD -MP
# Build switches (kernel/config.h): KDEFS=-DCONFIG_X=0|1; FASTPATH=0 turns the
# IPC fast path off (the tests pass either way).
KDEFS ?=
ifeq ($(FASTPATH),0)
KDEFS += -DCONFIG_IPC_FASTPATH=0
endif
KCFLAGS += $(KDEFS)
KASFLAGS := -Iinclude -Ikernel -I$(BUILD)/gen -MMD -MP -D__ASSEMBLY__
ifneq ($(findstring clang,$(CC)),)
KCFLAGS += -Wno-unused-command-line-argument
KASFLAGS += -Wno-unused-command-line-argument
endif
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
            -T kernel/kernel.ld

# Host unit tests: native, sanitized, cmocka.
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wundef -DHOST_TEST \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
               -Iinclude -Ikernel -I$(BUILD)/gen -Itests/host -MMD -MP
HOST_LDLIBS := -lcmocka

# ---------------------------------------------------------------- module lists
KERNEL_SRCS :=
HOST_TESTS  :=
include $(sort $(wildcard kernel/*.mk kernel/*/*.mk kernel/arch/*/*.mk))
include $(sort $(wildcard tests/host/*.mk))
# Userspace: user/*.mk define USER_PROGS and the initrd ($(BUILD)/initrd.tar).
USER_PROGS :=
include $(sort $(wildcard user/*.mk))
# Whole-system extensions (fuzzing, debug and network builds): each mk/*.mk
# may add build variants, targets, and prerequisites of `make test`
# (TEST_DEPS); their QEMU scenarios live in tests/qemu/scenarios_*.py.
TEST_DEPS :=
include $(sort $(wildcard mk/*.mk))

KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))

# ---------------------------------------------------------------- tools check
SETUP_STAMP := $(BUILD)/.setup-ok
.PHONY: setup
setup:
	$(Q)tools/setup.sh

# ---------------------------------------------------------------- kernel
$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Generated sources (tools/ writes them; their first line says so).
$(BUILD)/gen/font8x16.c: tools/psf2c.py $(FONT_PSF)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PYTHON) tools/psf2c.py $(FONT_PSF) $@ $(BUILD)/gen/font8x16.bin

$(BUILD)/gen/font8x16.c.o: $(BUILD)/gen/font8x16.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

# The kernel is linked twice: once to learn symbol addresses, then with the
# symbol table (section .ksyms, placed last so nothing else moves).
$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/gen/font8x16.c.o $(BUILD)/ksyms-empty.o kernel/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/gen/font8x16.c.o $(BUILD)/ksyms-empty.o

$(BUILD)/ksyms-empty.o: tools/mksyms.py
	@mkdir -p $(BUILD)/gen
	$(Q)$(PYTHON) tools/mksyms.py /dev/null $(BUILD)/gen/ksyms-empty.c
	$(Q)$(CC) $(KCFLAGS) -c $(BUILD)/gen/ksyms-empty.c -o $@

$(BUILD)/gen/ksyms.c: $(BUILD)/kernel.pass1.elf tools/mksyms.py
	@$(if $(Q),echo "  KSYMS   $@")
	$(Q)$(NM) -n $< > $(BUILD)/kernel.pass1.nm
	$(Q)$(PYTHON) tools/mksyms.py $(BUILD)/kernel.pass1.nm $@

$(BUILD)/ksyms.o: $(BUILD)/gen/ksyms.c
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/kernel.elf: $(BUILD)/kernel.pass1.elf $(BUILD)/ksyms.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/gen/font8x16.c.o $(BUILD)/ksyms.o
	$(Q)$(NM) -n $@ | $(PYTHON) tools/mksyms.py --verify $(BUILD)/kernel.pass1.nm

# ---------------------------------------------------------------- ISO images
# build/minimalos.iso boots normally; build/minimalos-test.iso runs the
# in-kernel tests (kernel command line "test"). Same kernel binary.
ISO      := $(BUILD)/minimalos.iso
TEST_ISO := $(BUILD)/minimalos-test.iso
RT_TEST_ISO := $(BUILD)/minimalos-test-realtime.iso
CMDLINE      ?=
TEST_CMDLINE ?= test$(if $(KTEST),=$(KTEST))$(if $(UTEST), utest=$(UTEST))

define make_iso
	@$(if $(Q),echo "  ISO     $(1)")
	$(Q)rm -rf $(1).dir && mkdir -p $(1).dir/boot/grub
	$(Q)cp $(BUILD)/kernel.elf $(1).dir/boot/minimalos.elf
	$(Q)cp $(BUILD)/initrd.tar $(1).dir/boot/initrd.tar
	$(Q)sed -e 's|@CMDLINE@|$(2)|' boot/grub.cfg > $(1).dir/boot/grub/grub.cfg
	$(Q)SOURCE_DATE_EPOCH=0 grub-mkrescue -o $(1) $(1).dir >$(1).log 2>&1 || (cat $(1).log; exit 1)
endef

$(ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,$(CMDLINE))

# The command line is part of the image: rebuild when it changes.
$(BUILD)/test-cmdline.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(TEST_CMDLINE)' | cmp -s - $@ || echo '$(TEST_CMDLINE)' > $@

$(TEST_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg $(BUILD)/test-cmdline.txt | setup
	$(call make_iso,$@,$(TEST_CMDLINE))

# The same tests for plain (multi-threaded) QEMU, where time is the host's.
$(RT_TEST_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg $(BUILD)/test-cmdline.txt | setup
	$(call make_iso,$@,$(TEST_CMDLINE) realtime)

# Benchmarks: kernel command line "bench iters=N"; tools/bench.py boots it
# under -icount shift=0 (instructions per operation).
BENCH_ISO := $(BUILD)/minimalos-bench.iso
BENCH_ITERS ?= 10000
BENCH_CMDLINE := bench iters=$(BENCH_ITERS)$(if $(BENCH_ONLY), only=$(BENCH_ONLY))
$(BUILD)/bench-cmdline.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BENCH_CMDLINE)' | cmp -s - $@ || echo '$(BENCH_CMDLINE)' > $@
$(BENCH_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg $(BUILD)/bench-cmdline.txt | setup
	$(call make_iso,$@,$(BENCH_CMDLINE))

.PHONY: bench
bench: setup $(BENCH_ISO)
	$(Q)$(PYTHON) tools/bench.py --iso $(BENCH_ISO) --json $(BUILD)/bench.json

# make test's benchmark gate: a short run checked against tests/bench-budget.txt.
BENCH_SHORT_ISO := $(BUILD)/minimalos-bench-short.iso
$(BENCH_SHORT_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,bench iters=1000)

# make test also runs the suite on two variants of the build: the IPC fast
# path off, and everything compiled by clang (each in its own directory).
VARIANTS := $(BUILD)/variants
.PHONY: variants
variants:
	$(Q)$(MAKE) --no-print-directory BUILD=$(VARIANTS)/nofast FASTPATH=0 $(VARIANTS)/nofast/minimalos-test.iso
	$(Q)$(MAKE) --no-print-directory BUILD=$(VARIANTS)/clang CC=clang $(VARIANTS)/clang/minimalos-test.iso

.PHONY: FORCE
FORCE:

# ---------------------------------------------------------------- Limine ISO
# make iso-limine LIMINE_DIR=<dir>: build/minimalos-limine.iso, the same
# kernel and initrd booted by Limine (protocol: limine) instead of GRUB, as a
# hybrid ISO for BIOS and UEFI. <dir> is an unpacked Limine 8.x binary
# release (the v8.x-binary branch): limine-bios.sys, limine-bios-cd.bin,
# limine-uefi-cd.bin, BOOTX64.EFI, and the `limine` host tool, built here
# from the release's limine.c with $(CC) when <dir>/limine is missing. The
# limine.conf is written by the build (LIMINE_CMDLINE, default $(CMDLINE),
# is the kernel command line). Steps as Limine's USAGE.md gives them:
# xorriso with the BIOS and EFI El Torito images, then `limine bios-install`.
LIMINE_ISO     := $(BUILD)/minimalos-limine.iso
LIMINE_CMDLINE ?= $(CMDLINE)
LIMINE_FILES   := limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin BOOTX64.EFI
LIMINE_TOOL     = $(if $(wildcard $(LIMINE_DIR)/limine),$(LIMINE_DIR)/limine,$(BUILD)/limine-tool/limine)

.PHONY: iso-limine
ifeq ($(strip $(LIMINE_DIR)),)
iso-limine:
	@echo "make iso-limine: say where Limine is: make iso-limine LIMINE_DIR=<dir>" >&2
	@echo "  <dir> is an unpacked Limine 8.x binary release (the v8.x-binary branch of" >&2
	@echo "  https://github.com/limine-bootloader/limine) holding $(LIMINE_FILES)" >&2
	@echo "  and limine.c (or an already built 'limine' tool)." >&2
	@exit 1
else
iso-limine: $(LIMINE_ISO)

# Written by the build, in Limine 8 syntax; rewritten only when it changes.
# module_cmdline (module_string in later texts, which keep the old name as an
# alias) names the initrd; the kernel also recognises it by its path.
$(BUILD)/limine.conf: FORCE
	@mkdir -p $(BUILD)
	@printf '%s\n' '# Generated by make iso-limine; do not edit.' 'timeout: 0' '' \
	    '/MinimalOS' \
	    '    protocol: limine' \
	    '    kernel_path: boot():/boot/minimalos.elf' \
	    $(if $(strip $(LIMINE_CMDLINE)),'    cmdline: $(strip $(LIMINE_CMDLINE))') \
	    '    module_path: boot():/boot/initrd.tar' \
	    '    module_cmdline: initrd' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

# A file the release should hold but does not: say what LIMINE_DIR must be.
$(addprefix $(LIMINE_DIR)/,$(LIMINE_FILES) limine.c):
	@echo "make iso-limine: $@ is missing; LIMINE_DIR must be an unpacked Limine 8.x" \
	    "binary release (the v8.x-binary branch)" >&2
	@exit 1

$(BUILD)/limine-tool/limine: $(LIMINE_DIR)/limine.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) -g -O2 -pipe -std=c99 $< -o $@

$(LIMINE_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar $(BUILD)/limine.conf $(LIMINE_TOOL) \
               $(addprefix $(LIMINE_DIR)/,$(LIMINE_FILES)) | setup
	@$(if $(Q),echo "  ISO     $@")
	$(Q)rm -rf $@.dir $@.tmp && mkdir -p $@.dir/boot/limine $@.dir/EFI/BOOT
	$(Q)cp $(BUILD)/kernel.elf $@.dir/boot/minimalos.elf
	$(Q)cp $(BUILD)/initrd.tar $@.dir/boot/initrd.tar
	$(Q)cp $(BUILD)/limine.conf $@.dir/boot/limine/limine.conf
	$(Q)cp $(addprefix $(LIMINE_DIR)/,limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin) \
	    $@.dir/boot/limine/
	$(Q)cp $(LIMINE_DIR)/BOOTX64.EFI $@.dir/EFI/BOOT/BOOTX64.EFI
	$(Q)xorriso -as mkisofs -R -r -J -b boot/limine/limine-bios-cd.bin \
	    -no-emul-boot -boot-load-size 4 -boot-info-table -hfsplus \
	    -apm-block-size 2048 --efi-boot boot/limine/limine-uefi-cd.bin \
	    -efi-boot-part --efi-boot-image --protective-msdos-label \
	    $@.dir -o $@.tmp >$@.log 2>&1 || (cat $@.log; rm -f $@.tmp; exit 1)
	$(Q)$(LIMINE_TOOL) bios-install $@.tmp >>$@.log 2>&1 || (cat $@.log; rm -f $@.tmp; exit 1)
	$(Q)mv $@.tmp $@
endif

.PHONY: all kernel iso
all: setup $(ISO)
kernel: $(BUILD)/kernel.elf
iso: $(ISO)

# ---------------------------------------------------------------- run
MEM ?= 256M
SMP ?= 1
CPU ?= max
UEFI ?= 0
QEMU_DISPLAY ?= none
NET ?= 1
HTTP_PORT ?= 8080
OVMF_CODE := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS := /usr/share/OVMF/OVMF_VARS_4M.fd
QEMU_FLAGS := -machine pc -cpu $(CPU) -m $(MEM) -smp $(SMP) -no-reboot \
              -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
              -display $(QEMU_DISPLAY) -serial mon:stdio
# A virtio-net device on QEMU's user network; restrict=on: the guest reaches
# nothing but what is forwarded (the host's 127.0.0.1:HTTP_PORT -> guest :80).
ifeq ($(NET),1)
QEMU_FLAGS += -device virtio-net-pci,disable-legacy=on,netdev=n0 \
              -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-:80
else
QEMU_FLAGS += -nic none
endif
ifeq ($(UEFI),1)
QEMU_FLAGS += -drive if=pflash,format=raw,readonly=on,file=$(OVMF_CODE) \
              -drive if=pflash,format=raw,file=$(BUILD)/OVMF_VARS.fd
endif

.PHONY: run
run: all
	$(Q)if [ "$(UEFI)" = 1 ]; then cp $(OVMF_VARS) $(BUILD)/OVMF_VARS.fd; fi
	@echo "  QEMU    $(ISO)  (quit: Ctrl-A X)"
	-$(Q)qemu-system-x86_64 $(QEMU_FLAGS) -cdrom $(ISO)

# ---------------------------------------------------------------- tests
HOST_TEST_BINS := $(patsubst %,$(BUILD)/host/%,$(HOST_TESTS))

# Each tests/host/<name>.mk says: HOST_TESTS += test_x, test_x_SRCS := ...
# Objects are per test (a source may be built with different defines per test).
define host_test_rule
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/host/obj/$(1)/%.o,$$($(1)_SRCS))
$(BUILD)/host/obj/$(1)/%.o: %.c | $(BUILD)/gen/font8x16.c
	@mkdir -p $$(dir $$@)
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) $$($(1)_CFLAGS) -c $$< -o $$@
$(BUILD)/host/$(1): $$($(1)_OBJS)
	@$$(if $$(Q),echo "  HOSTLD  $$@")
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) $$(filter %.o,$$^) -o $$@ $$(HOST_LDLIBS)
endef
$(foreach t,$(HOST_TESTS),$(eval $(call host_test_rule,$(t))))

.PHONY: host-tests test check-headers
host-tests: $(HOST_TEST_BINS)

test: setup $(HOST_TEST_BINS) $(ISO) $(TEST_ISO) $(RT_TEST_ISO) $(BENCH_SHORT_ISO) variants check-headers $(TEST_DEPS)
	$(Q)$(PYTHON) tests/run_all.py --build $(BUILD) --host $(HOST_TEST_BINS)

# Every header compiles on its own.
HEADERS := $(sort $(wildcard include/mos/*.h kernel/*/*.h kernel/arch/*/*.h))
HEADER_STAMPS := $(patsubst %.h,$(BUILD)/hdrcheck/%.ok,$(HEADERS))
check-headers: $(HEADER_STAMPS)
$(BUILD)/hdrcheck/%.ok: %.h
	@mkdir -p $(dir $@)
	$(Q)echo '#include "$(CURDIR)/$<"' | $(CC) $(KCFLAGS) -x c -fsyntax-only -MF /dev/null - && touch $@

.PHONY: clean
clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
