# SPDX-License-Identifier: MIT
# mk/netdrv.mk - the driver test image (docs/network.md): the normal kernel
# and initrd booted with "initconf=/etc/nettest.conf", so init starts the
# pci service, the virtio-net driver, lspci and nettest-raw instead of the
# usual services. tests/qemu/scenarios_netdrv.py boots it with a modern
# virtio-net-pci device; `make test` builds it.
NETTEST_ISO := $(BUILD)/minimalos-nettest.iso

$(NETTEST_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,initconf=/etc/nettest.conf)

.PHONY: nettest-iso
nettest-iso: $(NETTEST_ISO)
TEST_DEPS += $(NETTEST_ISO)
