/* SPDX-License-Identifier: MIT */
/* ns.h - what the netstack's modules share: limits, the address-space
 * layout of the netstack, time, and the log. The netstack is one thread:
 * nothing here is locked, and no function blocks except the receive in
 * main.c's loop (and calls to the NIC driver, which use MOS_MSG_NONBLOCK
 * to send, so only a driver that took the call and never answers could
 * hold it up). */
#pragma once

#include "mos_lib.h"

#define NS_MAX_SOCKETS        512u      /* slots; ids carry 12 bits of slot */
#define NS_MAX_SESSIONS       128u
#define NS_MAX_WAITS          128u      /* NET_WAIT replies held, all sessions */
#define NS_WAITS_PER_SESSION  16u
#define NS_MAX_PINGS          16u
#define NS_MAX_RESOLVES       16u
#define NS_SHM_BUDGET_PAGES   4096u     /* 16 MiB of socket areas in all */
#define NS_LINGER_MS          30000u    /* a closed socket's unsent bytes get this long */
#define NS_LIVENESS_MS        1000u     /* sessions' liveness tokens are looked at this often */

/* The netstack's address space, beside libmos's (mos_start.h). */
#define NS_AREA_BASE          0x0000300000000000ull     /* socket areas: slot * 1 MiB */
#define NS_AREA_STRIDE        0x0000000000100000ull
#define NS_NIC_VA             0x0000380000000000ull     /* the NIC driver's shared region */
#define NS_NIC_MAX_PAGES      4096u

extern uint32_t ns_epoch;               /* 1..255: the socket ids' epoch, new at each start */
extern mos_handle_t ns_ep;              /* the service endpoint (clients, driver events) */

uint64_t ns_now_ns(void);
uint32_t ns_now_ms(void);               /* lwIP's sys_now() */
