# SPDX-License-Identifier: MIT
# kernel/sched pure data structures: the priority run queue and the timer
# queue (both host-tested, see tests/host/sched.mk).
KERNEL_SRCS += kernel/sched/runqueue.c kernel/sched/timerq.c
