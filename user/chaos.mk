# SPDX-License-Identifier: MIT
# user/chaos.mk - the fault-injection programs (docs/testing.md, "Fault
# injection"), started only by the chaos test manifests (user/rootfs/etc/
# chaos*.conf, images built by mk/chaos.mk):
#   bin/chaos    kills serial, vfs and netstack through init 1,000 times in
#                all (seeded choice of target and moment) and checks
#                restarts, answers and the kernel's frame accounting
#   bin/badmsg   sends every service malformed requests; started a second
#                time as "goodmsg", it checks well-formed requests afterwards
# `make CHAOS_SEED=n CHAOS_KILLS=n` changes the fault injector's seed and
# count (it has no command line: init starts services with argv = {name}).
# (Named to sort before user.mk, which makes the rules.)
USER_PROGS += chaos badmsg
ifneq ($(CHAOS_SEED)$(CHAOS_KILLS),)
$(BUILD)/user/obj/user/chaos/main.c.o: USER_CFLAGS += $(if $(CHAOS_SEED),-DCHAOS_SEED=$(CHAOS_SEED)) \
    $(if $(CHAOS_KILLS),-DCHAOS_KILLS=$(CHAOS_KILLS)u)
endif
