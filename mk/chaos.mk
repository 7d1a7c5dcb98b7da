# SPDX-License-Identifier: MIT
# mk/chaos.mk - the fault-injection images (docs/testing.md, "Fault
# injection"): the normal kernel and initrd booted with another manifest.
#   minimalos-chaos.iso    initconf=/etc/chaos.conf: bin/chaos kills serial,
#                          vfs and netstack 1,000 times in all
#   minimalos-badmsg.iso   initconf=/etc/chaos-badmsg.conf: bin/badmsg sends
#                          every service malformed requests, goodmsg checks
#                          they all still serve
# tests/qemu/scenarios_chaos.py boots both; `make test` builds them.
CHAOS_ISO := $(BUILD)/minimalos-chaos.iso
BADMSG_ISO := $(BUILD)/minimalos-badmsg.iso

$(CHAOS_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,initconf=/etc/chaos.conf)

$(BADMSG_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,initconf=/etc/chaos-badmsg.conf)

.PHONY: chaos-iso
chaos-iso: $(CHAOS_ISO) $(BADMSG_ISO)
TEST_DEPS += $(CHAOS_ISO) $(BADMSG_ISO)
