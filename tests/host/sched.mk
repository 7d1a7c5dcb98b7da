# SPDX-License-Identifier: MIT
# Host tests of the scheduler's pure data structures: run queue and timer queue.
HOST_TESTS += test_runqueue test_timerq
test_runqueue_SRCS := tests/host/test_runqueue.c kernel/sched/runqueue.c
test_timerq_SRCS := tests/host/test_timerq.c kernel/sched/timerq.c
