USER_PROGS += bench
