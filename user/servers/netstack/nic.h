/* SPDX-License-Identifier: MIT */
/* nic.h - the netstack's side of the NIC driver protocol (proto/netdev.h,
 * netring.h): attaching (and attaching again after a driver restart), the
 * four descriptor rings, and the lwIP Ethernet interface "en0" over them
 * (DHCP on it). The netstack holds only the driver's endpoint ("netdev")
 * and the shared region the driver hands over: no I/O ports, no device
 * memory. Every descriptor the driver writes is checked before use. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "proto/net.h"

/* netdev: the driver's endpoint, 0 if this netstack has none (loopback only). */
void nic_init(uint64_t netdev);
/* Notification bits that came from the driver (NETDEV_EV_*). */
void nic_event(uint64_t bits);
/* The main loop's turn: take received frames and sent buffers, attach or
 * re-attach when due, notice link changes. Returns true if it stopped with
 * work left (the loop should not sleep). */
bool nic_poll(void);
/* Notify the driver of what this turn queued (only if it waits). */
void nic_flush(void);
/* About to sleep: announce it on the rings. false: something arrived, do
 * not sleep. */
bool nic_prepare_sleep(void);
/* Milliseconds until nic_poll has something timed to do (UINT32_MAX: none). */
uint32_t nic_next_ms(void);
/* The interface part of NET_IFINFO. */
void nic_info(struct net_ifinfo *out);
