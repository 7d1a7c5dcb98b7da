/* SPDX-License-Identifier: MIT */
/* stdlib.h for lwIP: the one function of the C library lwIP's core calls
 * outside string.h (netif.c: atoi, for interface names). Defined in
 * lwip_port.c. */
#pragma once

int atoi(const char *s);
