# mk/debug.mk - the debug kernel (docs/testing.md, "Debug build").
# `make DEBUG=1` compiles the kernel (not the user programs) with the UBSan
# checks that make sense in a freestanding kernel, reported by
# kernel/lib/ubsan.c, and sets CONFIG_DEBUG, CONFIG_DEBUG_LOCKS (lock order,
# kernel/lib/lockcheck.c) and CONFIG_DEBUG_HEAP (red zones, kernel/mm/kheap.c);
# the debug ktests (kernel/test/debug.mk) are built in. `make test` builds
# two variants with a recursive make, like the nofast and clang variants:
#   $(BUILD)/variants/debug/minimalos-test.iso              gcc (always), the whole suite
#   $(BUILD)/variants/debug-clang/minimalos-debug-test.iso  clang, the same suite
#       (clang's kernel with the gcc variant's initrd: the user programs are
#       not what this variant tests)
# and, in variants/debug, one small image per detector whose only ktest
# commits that bug with no plan armed (kernel/test/ktest_debug_panic.c):
#   $(BUILD)/variants/debug/minimalos-debug-panic-<kind>.iso
#       "test=debug_panic kcheck_panic=<kind>": the kernel must report and panic
# tests/qemu/scenarios_debug.py runs the suite on both, and the panic images.
DEBUG_VARIANT       := $(BUILD)/variants/debug
DEBUG_CLANG_VARIANT := $(BUILD)/variants/debug-clang
DEBUG_PANIC_KINDS   := ubsan heap-overflow use-after-free lock-order
DEBUG_PANIC_ISOS    := $(foreach k,$(DEBUG_PANIC_KINDS),$(DEBUG_VARIANT)/minimalos-debug-panic-$(k).iso)

ifeq ($(DEBUG),1)
# Not chosen: vptr, return and function (C++ only), float-* (the kernel has
# no floating point), and checks that trap instead of calling a handler
# (clang's local-bounds, which -fsanitize=bounds would add): each check
# here calls a handler that reports file, line and values. All are
# recoverable (-fsanitize-recover is the default for them), so a test can
# plan a failure and go on; a real one panics in the handler.
UBSAN_CHECKS := shift,integer-divide-by-zero,unreachable,vla-bound,null,signed-integer-overflow
UBSAN_CHECKS := $(UBSAN_CHECKS),alignment,object-size,bool,enum,builtin,pointer-overflow
UBSAN_CHECKS := $(UBSAN_CHECKS),nonnull-attribute,returns-nonnull-attribute
ifneq ($(findstring clang,$(CC)),)
UBSAN_CHECKS := $(UBSAN_CHECKS),array-bounds
else
UBSAN_CHECKS := $(UBSAN_CHECKS),bounds
endif
# The switches are on unless KDEFS sets them (KDEFS=-DCONFIG_DEBUG_LOCKS=0).
# Assembly sees them too (switch.S unlocks through the checker).
DEBUG_SWITCHES := CONFIG_DEBUG CONFIG_DEBUG_LOCKS CONFIG_DEBUG_HEAP
DEBUG_DEFS := $(foreach d,$(DEBUG_SWITCHES),$(if $(filter -D$(d)=%,$(KDEFS)),,-D$(d)=1))
KCFLAGS += -fsanitize=$(UBSAN_CHECKS) $(DEBUG_DEFS)
KASFLAGS += $(DEBUG_DEFS)
# Not instrumented: the checkers themselves (the UBSan runtime, the verdict
# and the lock checker, which runs on every lock operation), and string.c
# (memcpy/memset: hot, and tested under UBSan on the host, tests/host/string.mk).
DEBUG_UNSANITIZED := kernel/lib/ubsan.c kernel/lib/kcheck.c kernel/lib/lockcheck.c kernel/lib/string.c
$(patsubst %,$(BUILD)/%.o,$(DEBUG_UNSANITIZED)): KCFLAGS += -fno-sanitize=all

# The real-verdict images (the initrd is never reached: the kernel panics
# in its ktest).
$(BUILD)/minimalos-debug-panic-%.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,test=debug_panic kcheck_panic=$*)

# The clang variant's image: this build's kernel, another build's initrd.
ifneq ($(DEBUG_INITRD),)
$(BUILD)/minimalos-debug-test.iso: $(BUILD)/kernel.elf $(DEBUG_INITRD) boot/grub.cfg \
                                   $(BUILD)/test-cmdline.txt | setup
	@$(if $(Q),echo "  ISO     $@")
	$(Q)rm -rf $@.dir && mkdir -p $@.dir/boot/grub
	$(Q)cp $(BUILD)/kernel.elf $@.dir/boot/minimalos.elf
	$(Q)cp $(DEBUG_INITRD) $@.dir/boot/initrd.tar
	$(Q)sed -e 's|@CMDLINE@|$(TEST_CMDLINE)|' boot/grub.cfg > $@.dir/boot/grub/grub.cfg
	$(Q)SOURCE_DATE_EPOCH=0 grub-mkrescue -o $@ $@.dir >$@.log 2>&1 || (cat $@.log; exit 1)
endif
else
TEST_DEPS += $(DEBUG_VARIANT)/minimalos-test.iso $(DEBUG_CLANG_VARIANT)/minimalos-debug-test.iso
.PHONY: debug-variants
debug-variants: $(DEBUG_VARIANT)/minimalos-test.iso $(DEBUG_CLANG_VARIANT)/minimalos-debug-test.iso
$(DEBUG_VARIANT)/minimalos-test.iso: FORCE
	$(Q)$(MAKE) --no-print-directory BUILD=$(DEBUG_VARIANT) DEBUG=1 CC=gcc $@ $(DEBUG_PANIC_ISOS)
$(DEBUG_PANIC_ISOS): $(DEBUG_VARIANT)/minimalos-test.iso ;
$(DEBUG_CLANG_VARIANT)/minimalos-debug-test.iso: $(DEBUG_VARIANT)/minimalos-test.iso FORCE
	$(Q)$(MAKE) --no-print-directory BUILD=$(DEBUG_CLANG_VARIANT) DEBUG=1 CC=clang \
	    DEBUG_INITRD=$(DEBUG_VARIANT)/initrd.tar $@
endif
