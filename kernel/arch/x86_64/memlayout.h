/* SPDX-License-Identifier: MIT */
/* memlayout.h - the kernel's virtual address map (docs/architecture.md).
 * Lower half (PML4 0..255): user space, private per process.
 * Upper half (PML4 256..511): shared by every address space.
 *   0xFFFF800000000000  HHDM: all physical memory at a fixed offset (NX)
 *   0xFFFFFE0000000000  kernel stacks, each with an unmapped guard page below
 *   0xFFFFFE8000000000  device MMIO mappings (LAPIC, I/O APIC, ...)
 *   0xFFFFFFFF80000000  kernel image base (-2 GiB, mcmodel=kernel)
 *   0xFFFFFFFF80200000  kernel image link address */
#pragma once

#define HHDM_BASE          0xFFFF800000000000
#define KSTACK_REGION      0xFFFFFE0000000000
#define KSTACK_REGION_END  0xFFFFFE8000000000
#define KMMIO_REGION       0xFFFFFE8000000000
#define KMMIO_REGION_END   0xFFFFFF0000000000
#define KERNEL_VMA         0xFFFFFFFF80000000
#define KERNEL_LINK        0xFFFFFFFF80200000
#define KERNEL_LINK_PHYS   0x200000          /* where Multiboot2 loads the image */

#define USER_TOP           0x0000800000000000 /* first non-user address */
#define USER_BASE          0x0000000000001000 /* page 0 is never mapped */

#define BOOT_STACK_SIZE    16384
#define KSTACK_SIZE        16384             /* kernel thread stack, guard below */
