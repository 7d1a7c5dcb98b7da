# SPDX-License-Identifier: MIT
# mk/lwip.mk - lwIP for the netstack (user/servers/netstack), compiled at
# build time from Debian's `lwip` source package; nothing of lwIP is kept
# in this tree (its licence text included: we only compile it).
#   $(LWIP_CACHE)/            the source package as apt-get downloads it: once,
#                             under a lock, shared by the variant builds
#                             (LWIP_CACHE is exported to their sub-makes); point
#                             LWIP_CACHE at a directory holding an already
#                             downloaded copy to reuse it
#   $(BUILD)/lwip/lwip-2.1.3/ dpkg-source -x of it (Debian's patches applied)
#   $(BUILD)/lwip/liblwip.a   the core: IPv4, ARP/Ethernet, ICMP, UDP, TCP,
#                             DHCP, DNS, raw pcbs, with the user flags and the
#                             netstack's port headers (port/lwipopts.h, port/arch/cc.h)
# tools/setup.sh provides dpkg-dev and the deb-src entries apt-get source needs.
# Also: the network test image (minimalos-net.iso), a prerequisite of make test.

LWIP_UPSTREAM := 2.1.3
LWIP_CACHE    ?= $(BUILD)/lwip-cache
export LWIP_CACHE
LWIP_TOP      := $(BUILD)/lwip
LWIP_SRC      := $(LWIP_TOP)/lwip-$(LWIP_UPSTREAM)
LWIP_STAMP    := $(LWIP_TOP)/.unpacked
LWIP_LIB      := $(LWIP_TOP)/liblwip.a
LWIP_PORT     := user/servers/netstack/port

LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
              core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c \
              core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
              core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4_frag.c \
              core/ipv4/ip4.c core/ipv4/ip4_addr.c netif/ethernet.c
LWIP_OBJS  := $(patsubst %.c,$(LWIP_TOP)/obj/%.o,$(LWIP_FILES))
LWIP_INCS  := -I$(LWIP_PORT) -I$(LWIP_SRC)/src/include
# lwIP's own code is not written for -Wmissing-prototypes/-Wstrict-prototypes;
# every other warning stays an error.
LWIP_CFLAGS = $(filter-out -Wmissing-prototypes -Wstrict-prototypes,$(USER_CFLAGS)) $(LWIP_INCS)

# Download once. The files land in a temporary directory first and the .dsc
# is moved last, so an interrupted download never looks complete.
$(LWIP_CACHE)/.downloaded: | setup
	@mkdir -p $(LWIP_CACHE)
	@$(if $(Q),echo "  FETCH   lwip (apt-get source, into $(LWIP_CACHE))")
	$(Q)cd $(LWIP_CACHE) && flock .lock sh -ec '\
	  if ! ls lwip_$(LWIP_UPSTREAM)*.dsc >/dev/null 2>&1; then \
	    rm -rf tmp && mkdir tmp && cd tmp; \
	    if ! apt-get source --download-only lwip >../download.log 2>&1; then \
	      cat ../download.log >&2; \
	      echo "mk/lwip.mk: apt-get source lwip failed; tools/setup.sh adds the deb-src" \
	           "entries it needs (or set LWIP_CACHE to a directory with the files)" >&2; \
	      exit 1; \
	    fi; \
	    if ! ls lwip_$(LWIP_UPSTREAM)*.dsc >/dev/null 2>&1; then \
	      echo "mk/lwip.mk: the archive has $$(ls *.dsc), not lwIP $(LWIP_UPSTREAM)" >&2; exit 1; \
	    fi; \
	    mv $$(ls | grep -v "\.dsc$$") ..; mv *.dsc ..; cd .. && rm -rf tmp; \
	  fi'
	$(Q)touch $@

$(LWIP_STAMP): $(LWIP_CACHE)/.downloaded
	@$(if $(Q),echo "  UNPACK  $(LWIP_SRC)")
	$(Q)rm -rf $(LWIP_SRC) && mkdir -p $(LWIP_TOP)
	$(Q)dpkg-source -x $$(ls $(LWIP_CACHE)/lwip_$(LWIP_UPSTREAM)*.dsc | tail -n 1) $(LWIP_SRC) \
	    >$(LWIP_TOP)/unpack.log 2>&1 || (cat $(LWIP_TOP)/unpack.log; exit 1)
	$(Q)test -f $(LWIP_SRC)/src/core/tcp.c
	$(Q)touch $@

# The sources appear only after unpacking: the stamp stands for them.
$(LWIP_TOP)/obj/%.o: $(LWIP_STAMP) | $(USER_GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LWIPCC  $*.c")
	$(Q)$(CC) $(LWIP_CFLAGS) -c $(LWIP_SRC)/src/$*.c -o $@

$(LWIP_LIB): $(LWIP_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# The netstack (user/net.mk makes it a program): its objects see lwIP's
# headers, and it links the library before libmos (user.mk's link rule
# expands USER_OBJS_<prog> when it runs).
NETSTACK_OBJS := $(USER_OBJS_servers/netstack)
$(NETSTACK_OBJS): | $(LWIP_STAMP)
$(NETSTACK_OBJS): USER_CFLAGS += $(LWIP_INCS)
USER_OBJS_servers/netstack += $(LWIP_LIB)
$(BUILD)/user/servers/netstack.elf: $(LWIP_LIB)

.PHONY: lwip
lwip: $(LWIP_LIB)

# The netstack test image: the normal kernel and initrd booted with
# "initconf=/etc/netstack-test.conf" (the network services plus nstest);
# tests/qemu/scenarios_netstack.py boots it with a virtio-net device.
NETSTACK_ISO := $(BUILD)/minimalos-netstack.iso
$(NETSTACK_ISO): $(BUILD)/kernel.elf $(BUILD)/initrd.tar boot/grub.cfg | setup
	$(call make_iso,$@,initconf=/etc/netstack-test.conf)

.PHONY: netstack-iso
netstack-iso: $(NETSTACK_ISO)
TEST_DEPS += $(NETSTACK_ISO)
