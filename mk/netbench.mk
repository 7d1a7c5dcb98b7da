# SPDX-License-Identifier: MIT
# mk/netbench.mk - network performance in `make bench` (reported, not
# gated; docs/network.md "Performance"): the benchmark image (the normal
# kernel and initrd booted with "initconf=/etc/netbench.conf": the network
# services, echod and nstest as "nsbench", the measurement peer) and
# tools/netbench.py, which boots it under plain TCG with one and two CPUs and
# measures host->guest and guest->host throughput through hostfwd and the
# echo round trip. `make netbench` alone, or as part of `make bench` (a
# prerequisite of it, so it runs before tools/bench.py).
NETBENCH_ISO := $(BUILD)/minimalos-netbench.iso
NETBENCH_SMP ?= 1 2

$(NETBENCH_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,initconf=/etc/netbench.conf)

.PHONY: netbench
netbench: setup $(NETBENCH_ISO)
	$(Q)$(PYTHON) tools/netbench.py --iso $(NETBENCH_ISO) --smp $(NETBENCH_SMP) --json $(BUILD)/netbench.json

bench: netbench
