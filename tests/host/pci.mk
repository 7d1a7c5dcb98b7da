# SPDX-License-Identifier: MIT
# The pci service's pure logic (user/servers/pci): enumeration and BAR
# sizing against a model bus, the driver config-write rules, shared pages;
# and the capability-list walker with the virtio capability parser
# (user/servers/virtio_net/vio_caps.c) on malformed snapshots.
HOST_TESTS += test_pci test_pci_caps
test_pci_SRCS := tests/host/test_pci.c user/servers/pci/pci_scan.c user/servers/pci/pci_policy.c
test_pci_CFLAGS := -Iuser/servers/pci -Iuser/lib/include
test_pci_caps_SRCS := tests/host/test_pci_caps.c user/servers/pci/pcicap.c user/servers/virtio_net/vio_caps.c
test_pci_caps_CFLAGS := -Iuser/servers/pci -Iuser/servers/virtio_net -Iuser/lib/include
