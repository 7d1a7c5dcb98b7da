# SPDX-License-Identifier: MIT
# user/user.mk - userspace: the user library, the programs and the initrd.
#   $(BUILD)/gen/user_syscalls.{S,h}, syscall_names.h   tools/gen_syscalls.py
#   $(BUILD)/user/lib/libmos.a, crt0.o                    the user library
#   $(BUILD)/user/<prog>.elf                              one per USER_PROGS entry
#   $(BUILD)/initrd.tar                                   bin/<name> for every program
#                                                         + the files of user/rootfs/
# A program <prog> is every .c and .S file in user/<prog>/ (or the list in
# USER_SRCS_<prog>, if set); <prog> may be a path (servers/vfs), and is staged
# as bin/$(notdir <prog>). Programs are added with `USER_PROGS += name`, here
# or in a user/*.mk fragment that sorts before this one (the rules are made
# when this file is read; the initrd recipe fails if a later one adds more).
# The pure kernel files the library needs (string, kprintf, strerror, elf,
# tar) are compiled again with the user flags. `make user-all` builds it all.

USER_PROGS += hello init

USER_OBJ  := $(BUILD)/user/obj
USER_LIB  := $(BUILD)/user/lib/libmos.a
USER_CRT0 := $(BUILD)/user/lib/crt0.o
USER_GEN  := $(BUILD)/gen/user_syscalls.S $(BUILD)/gen/user_syscalls.h $(BUILD)/gen/syscall_names.h
INITRD    := $(BUILD)/initrd.tar

USER_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
               -fno-asynchronous-unwind-tables -fno-strict-aliasing \
               -Wall -Wextra -Werror -Wundef -Wstrict-prototypes -Wmissing-prototypes \
               -ffile-prefix-map=$(CURDIR)/= \
               -Iinclude -Iuser/lib/include -Iuser/tests -Ikernel -I$(BUILD)/gen -MMD -MP
USER_ASFLAGS := -Iinclude -Iuser/lib/include -I$(BUILD)/gen -MMD -MP -D__ASSEMBLY__
ifneq ($(findstring clang,$(CC)),)
USER_CFLAGS  += -Wno-unused-command-line-argument
USER_ASFLAGS += -Wno-unused-command-line-argument
endif
USER_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T user/lib/user.ld

USER_LIB_SRCS := user/lib/start.c user/lib/start_block.c user/lib/ipc.c user/lib/ipc_stubs.S user/lib/thread.c \
                 user/lib/printf.c user/lib/malloc.c user/lib/umalloc.c user/lib/elf_load.c user/lib/console.c \
                 user/lib/vfs_client.c user/lib/net_client.c user/lib/net_hosts.c user/lib/parse.c \
                 kernel/lib/string.c kernel/lib/kprintf.c kernel/lib/strerror.c \
                 kernel/lib/elf.c kernel/lib/tar.c kernel/lib/cmdline.c
USER_LIB_OBJS := $(patsubst %,$(USER_OBJ)/%.o,$(USER_LIB_SRCS)) $(USER_OBJ)/gen/user_syscalls.S.o

# ---------------------------------------------------------------- generated
# One generator run writes all three files (only those whose text changed);
# the stamp records the run.
$(BUILD)/gen/.syscalls.stamp: tools/gen_syscalls.py include/mos/syscalls.def
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $(BUILD)/gen/user_syscalls.S .h syscall_names.h")
	$(Q)$(PYTHON) tools/gen_syscalls.py include/mos/syscalls.def $(BUILD)/gen
	$(Q)touch $@
$(USER_GEN): $(BUILD)/gen/.syscalls.stamp ;

# ---------------------------------------------------------------- objects
$(USER_OBJ)/%.c.o: %.c | $(USER_GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  UCC     $<")
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(USER_OBJ)/%.S.o: %.S | $(USER_GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  UAS     $<")
	$(Q)$(CC) $(USER_ASFLAGS) -c $< -o $@

$(USER_OBJ)/gen/user_syscalls.S.o: $(BUILD)/gen/user_syscalls.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  UAS     $<")
	$(Q)$(CC) $(USER_ASFLAGS) -c $< -o $@

$(USER_CRT0): $(USER_OBJ)/user/lib/crt0.S.o
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(USER_LIB): $(USER_LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# ---------------------------------------------------------------- programs
define user_prog_rule
USER_SRCS_$(1) ?= $$(sort $$(wildcard user/$(1)/*.c user/$(1)/*.S))
USER_OBJS_$(1) := $$(patsubst %,$(USER_OBJ)/%.o,$$(USER_SRCS_$(1)))
$(BUILD)/user/$(1).elf: $$(USER_OBJS_$(1)) $(USER_CRT0) $(USER_LIB) user/lib/user.ld
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  ULD     $$@")
	$$(Q)$$(LD) $$(USER_LDFLAGS) -o $$@ $(USER_CRT0) $$(USER_OBJS_$(1)) $(USER_LIB)
USER_RULES_MADE += $(1)
endef
$(foreach p,$(sort $(USER_PROGS)),$(eval $(call user_prog_rule,$(p))))
USER_ELFS := $(patsubst %,$(BUILD)/user/%.elf,$(sort $(USER_PROGS)))

# ---------------------------------------------------------------- initrd
# The staging directory is rebuilt from scratch each time, so a program
# removed from USER_PROGS leaves no stale file; the list itself is a
# prerequisite (rewritten only when it changes).
USER_ROOTFS_FILES := $(shell find user/rootfs -type f 2>/dev/null)

$(BUILD)/user/progs.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(sort $(USER_PROGS))' | cmp -s - $@ || echo '$(sort $(USER_PROGS))' > $@

$(INITRD): $(USER_ELFS) $(USER_ROOTFS_FILES) $(BUILD)/user/progs.txt tools/mkinitrd.py
	$(Q)$(if $(filter-out $(USER_RULES_MADE),$(USER_PROGS)),\
	    echo "user.mk: no rules for $(filter-out $(USER_RULES_MADE),$(USER_PROGS)):" \
	         "add them in a user/*.mk that sorts before user/user.mk" >&2; exit 1)
	@$(if $(Q),echo "  INITRD  $@")
	$(Q)rm -rf $(BUILD)/initrd && mkdir -p $(BUILD)/initrd/bin/tests
	$(Q)$(foreach p,$(sort $(USER_PROGS)),\
	    $(OBJCOPY) --strip-debug $(BUILD)/user/$(p).elf \
	        $(BUILD)/initrd/bin/$(if $(filter tests/%,$(p)),tests/)$(notdir $(p)) &&) true
	$(Q)$(PYTHON) tools/mkinitrd.py $@ user/rootfs $(BUILD)/initrd

.PHONY: user-all
user-all: $(INITRD)
