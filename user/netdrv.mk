# SPDX-License-Identifier: MIT
# user/netdrv.mk - the PCI service and the virtio-net driver, and their
# programs (docs/network.md "PCI service", "virtio-net driver"):
#   bin/pci          user/servers/pci (enumeration, BAR sizing, the protocol)
#   bin/virtio-net   user/servers/virtio_net (+ the capability walker of pci)
#   bin/lspci        user/lspci: lists the devices through the pci service
#   bin/nettest-raw  user/nettest-raw: attaches as a netstack would, sends an
#                    ARP request and checks what the driver holds (test boots)
# (Named to sort before user.mk, which makes the rules.)
USER_PROGS += servers/pci servers/virtio-net lspci nettest-raw
USER_SRCS_servers/virtio-net := $(sort $(wildcard user/servers/virtio_net/*.c)) user/servers/pci/pcicap.c
USER_SRCS_lspci := user/lspci/main.c user/servers/pci/pci_policy.c
