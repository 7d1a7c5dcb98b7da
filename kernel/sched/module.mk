KERNEL_SRCS += kernel/sched/sched.c kernel/sched/thread.c kernel/sched/clock.c
KERNEL_SRCS += kernel/sched/ktest_sched.c
