# SPDX-License-Identifier: MIT
# mk/limshim.mk - the Limine entry run without Limine (docs/limine.md,
# "Testing without Limine"): tools/limshim is a small test loader that GRUB
# boots by Multiboot2 and that starts the normal kernel.elf through its
# Limine entry, as a base-revision-2 loader would. `make test` builds three
# images in $(BUILD)/variants/limshim/ (same kernel and initrd as the main
# build) and tests/qemu/scenarios_limshim.py boots them:
#   limshim-test.iso    "test=vmm utest=mem realtime"; the initrd found by its path
#                       only, behind a module that is not it
#   limshim-refuse.iso  break=revision,kaddr,memmap,paging: the kernel must
#                       refuse in plain words, for each
#   limshim-nohhdm.iso  break=hhdm: the same, for the missing HHDM
LIMSHIM_DIR := $(BUILD)/variants/limshim
LIMSHIM_ELF := $(LIMSHIM_DIR)/limshim.elf
LIMSHIM_ISOS := $(addprefix $(LIMSHIM_DIR)/limshim-,test.iso refuse.iso nohhdm.iso)
LIMSHIM_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                  -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387 -mcmodel=small \
                  -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Wundef \
                  -Wstrict-prototypes -Wmissing-prototypes -MMD -MP
ifneq ($(findstring clang,$(CC)),)
LIMSHIM_CFLAGS += -Wno-unused-command-line-argument
endif

$(LIMSHIM_DIR)/%.o: tools/limshim/% | setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LIMSHIM_CFLAGS) -c $< -o $@

$(LIMSHIM_ELF): $(LIMSHIM_DIR)/limshim.c.o $(LIMSHIM_DIR)/entry.S.o tools/limshim/limshim.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	    -T tools/limshim/limshim.ld -o $@ $(filter %.o,$^)

# $(1) image, $(2) limshim options, $(3) kernel command line, $(4) the
# initrd's module string ("<path> [<string>]").
define limshim_iso
	@$(if $(Q),echo "  ISO     $(1)")
	$(Q)rm -rf $(1).dir && mkdir -p $(1).dir/boot/grub
	$(Q)cp $(LIMSHIM_ELF) $(1).dir/boot/limshim.elf
	$(Q)cp $(BUILD)/kernel.elf $(1).dir/boot/minimalos.elf
	$(Q)cp $(BUILD)/initrd.tar $(1).dir/boot/initrd.tar
	$(Q)sed -e 's|@SHIMOPTS@|$(2)|' -e 's|@CMDLINE@|$(3)|' -e 's|@INITRD@|$(4)|' \
	    tools/limshim/grub.cfg > $(1).dir/boot/grub/grub.cfg
	$(Q)cp $(1).dir/boot/grub/grub.cfg $(1).dir/boot/notes.txt
	$(Q)SOURCE_DATE_EPOCH=0 grub-mkrescue -o $(1) $(1).dir >$(1).log 2>&1 || (cat $(1).log; exit 1)
endef

LIMSHIM_COMMA := ,
LIMSHIM_DEPS := $(LIMSHIM_ELF) $(BUILD)/kernel.elf $(BUILD)/initrd.tar tools/limshim/grub.cfg \
                mk/limshim.mk
$(LIMSHIM_DIR)/limshim-test.iso: $(LIMSHIM_DEPS) | setup
	$(call limshim_iso,$@,,test=vmm utest=mem realtime,/boot/initrd.tar)
$(LIMSHIM_DIR)/limshim-refuse.iso: $(LIMSHIM_DEPS) | setup
	$(call limshim_iso,$@,break=revision$(LIMSHIM_COMMA)kaddr$(LIMSHIM_COMMA)memmap$(LIMSHIM_COMMA)paging,test,/boot/ramdisk.tar initrd)
$(LIMSHIM_DIR)/limshim-nohhdm.iso: $(LIMSHIM_DEPS) | setup
	$(call limshim_iso,$@,break=hhdm,test,/boot/initrd.tar initrd)

.PHONY: limshim
limshim: $(LIMSHIM_ISOS)
TEST_DEPS += $(LIMSHIM_ISOS)
