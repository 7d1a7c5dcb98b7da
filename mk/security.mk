# mk/security.mk - builds for the security, race and long leak tests
# (docs/testing.md: "Security tests", "Races", "Leak cycles"). `make test`
# builds three variants, each a recursive make into its own directory
# (SEC_VARIANT says which), and tests/qemu/scenarios_security.py runs them:
#   $(BUILD)/variants/long         user tests with their long counts (UTEST_LONG=1):
#       minimalos-longrace.iso     "test=none utest=race": 100,000 revocation rounds
#       minimalos-longleak.iso     "test=none utest=longleak": the long leak cycles
#       minimalos-secgap.iso       "test=none utest=secgap": a known gap (must FAIL)
#   $(BUILD)/variants/noshootdown  CONFIG_SMP_SHOOTDOWN=0 (deliberately broken):
#       minimalos-test.iso         "test=none utest=race": the race test must FAIL
#   $(BUILD)/variants/sectest      the security test kernel: kernel/test/ktest_smap.c
#                                  compiled in, and CONFIG_UACCESS_SCRAMBLE=1
#       minimalos-test.iso         "test=smap utest=scramble": the kernel touching a
#                                  user page outside uaccess.S must fault (SMAP, SMEP);
#                                  user structures are read once (the scramble group)
# Only the kernel differs in the last two: their variant builds make just
# kernel.elf, and the image takes an initrd made elsewhere (noshootdown:
# this build's; sectest: the long variant's, which has the scramble group).
# The longleak and secgap groups are left out of every other image: only
# the long variant's initrd has them (user/tests_security.mk).
SEC_LONG_DIR := $(BUILD)/variants/long
SEC_NOSD_DIR := $(BUILD)/variants/noshootdown
SEC_TEST_DIR := $(BUILD)/variants/sectest

ifeq ($(SEC_VARIANT),long)
USER_CFLAGS += -DUTEST_LONG=1
$(BUILD)/minimalos-longrace.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,test=none utest=race)
$(BUILD)/minimalos-longleak.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,test=none utest=longleak)
$(BUILD)/minimalos-secgap.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,test=none utest=secgap)
endif

ifeq ($(SEC_VARIANT),noshootdown)
KCFLAGS += -DCONFIG_SMP_SHOOTDOWN=0
endif

ifeq ($(SEC_VARIANT),sectest)
KERNEL_SRCS += kernel/test/ktest_smap.c
KCFLAGS += -DCONFIG_UACCESS_SCRAMBLE=1
endif

ifeq ($(SEC_VARIANT),)
SEC_LONG_ISOS := $(addprefix $(SEC_LONG_DIR)/minimalos-,longrace.iso longleak.iso secgap.iso)
SEC_ISOS := $(SEC_LONG_ISOS) \
            $(SEC_NOSD_DIR)/minimalos-test.iso $(SEC_TEST_DIR)/minimalos-test.iso
TEST_DEPS += security-variants
.PHONY: security-variants
security-variants: $(SEC_ISOS)

$(SEC_LONG_ISOS) $(SEC_LONG_DIR)/initrd.tar: sec-long-variant ;
.PHONY: sec-long-variant
sec-long-variant:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SEC_LONG_DIR) SEC_VARIANT=long $(SEC_LONG_ISOS)
# A variant's kernel with an initrd made elsewhere: $(call sec_kernel_iso,iso,kernel,initrd,cmdline)
define sec_kernel_iso
	@$(if $(Q),echo "  ISO     $(1)")
	$(Q)rm -rf $(1).dir && mkdir -p $(1).dir/boot/grub
	$(Q)cp $(2) $(1).dir/boot/minimalos.elf
	$(Q)cp $(3) $(1).dir/boot/initrd.tar
	$(Q)sed -e 's|@CMDLINE@|$(4)|' boot/grub.cfg > $(1).dir/boot/grub/grub.cfg
	$(Q)SOURCE_DATE_EPOCH=0 grub-mkrescue -o $(1) $(1).dir >$(1).log 2>&1 || (cat $(1).log; exit 1)
endef
$(SEC_NOSD_DIR)/minimalos-test.iso: $(SEC_NOSD_DIR)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call sec_kernel_iso,$@,$<,$(BUILD)/initrd.tar,test=none utest=race)
$(SEC_TEST_DIR)/minimalos-test.iso: $(SEC_TEST_DIR)/kernel.elf $(SEC_LONG_DIR)/initrd.tar boot/grub.cfg | setup
	$(call sec_kernel_iso,$@,$<,$(SEC_LONG_DIR)/initrd.tar,test=smap utest=scramble)
$(SEC_NOSD_DIR)/kernel.elf: FORCE
	$(Q)$(MAKE) --no-print-directory BUILD=$(SEC_NOSD_DIR) SEC_VARIANT=noshootdown $@
$(SEC_TEST_DIR)/kernel.elf: FORCE
	$(Q)$(MAKE) --no-print-directory BUILD=$(SEC_TEST_DIR) SEC_VARIANT=sectest $@
endif
