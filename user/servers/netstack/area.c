// SPDX-License-Identifier: MIT
/* area.c - socket areas (see area.h). An area is mapped in a window of
 * NS_AREA_STRIDE bytes at NS_AREA_BASE; windows are taken first-fit, so the
 * page tables behind them (which stay until the netstack exits) only ever
 * cover as many windows as were in use at once, however many sockets come
 * and go. The largest area, a header page and two 256 KiB rings, fits a
 * window. */
#include "area.h"
#include "ns.h"

_Static_assert(4096u + 2u * NET_RING_MAX <= NS_AREA_STRIDE, "an area fits its stride");

static uint32_t area_pages_total;
static uint64_t window_used[NS_MAX_SOCKETS / 64];

static int window_take(void)
{
    for (unsigned w = 0; w < NS_MAX_SOCKETS / 64; w++) {
        if (window_used[w] != ~0ull) {
            unsigned b = (unsigned)__builtin_ctzll(~window_used[w]);
            window_used[w] |= 1ull << b;
            return (int)(w * 64 + b);
        }
    }
    return -1;
}

static void window_give(unsigned i)
{
    window_used[i / 64] &= ~(1ull << (i % 64));
}

uint32_t area_pages_in_use(void)
{
    return area_pages_total;
}

int area_create(struct ns_area *a, uint32_t type, uint32_t id, uint32_t rx_size, uint32_t tx_size)
{
    uint32_t pages = 1u + rx_size / MOS_PAGE_SIZE + tx_size / MOS_PAGE_SIZE;
    if (area_pages_total + pages > NS_SHM_BUDGET_PAGES)
        return -MOS_ENOMEM;
    int win = window_take();
    if (win < 0)
        return -MOS_ENOSPC;
    long mem = mos_mem_alloc(pages, 0);
    uint64_t va = NS_AREA_BASE + (uint64_t)win * NS_AREA_STRIDE;
    long r = mem < 0 ? mem : mos_mem_map((mos_handle_t)mem, MOS_SELF, va, 0, pages, MOS_PROT_READ | MOS_PROT_WRITE);
    if (r < 0) {
        if (mem >= 0)
            (void)mos_cap_delete((mos_handle_t)mem);
        window_give((unsigned)win);
        return (int)r;
    }
    /* From here on nothing can fail. mem_alloc gave zeroed pages. */
    a->mem = (mos_handle_t)mem;
    a->window = (uint32_t)win;
    a->pages = pages;
    a->shm = (struct net_shm *)(uintptr_t)va;
    a->rx_size = rx_size;
    a->tx_size = tx_size;
    a->rx = (uint8_t *)(uintptr_t)(va + MOS_PAGE_SIZE);
    a->tx = a->rx + rx_size;
    a->shm->magic = NET_SHM_MAGIC;
    a->shm->version = NET_PROTO_VERSION;
    a->shm->type = type;
    a->shm->id = id;
    a->shm->rx_off = MOS_PAGE_SIZE;
    a->shm->rx_size = rx_size;
    a->shm->tx_off = MOS_PAGE_SIZE + rx_size;
    a->shm->tx_size = tx_size;
    a->shm->ns_wait = 1;                /* idle: the client's first bytes must kick */
    area_pages_total += pages;
    return 0;
}

long area_client_cap(const struct ns_area *a)
{
    return mos_cap_transfer(a->mem, MOS_SELF, MOS_RIGHT_READ | MOS_RIGHT_WRITE | MOS_RIGHT_GRANT, 0, 0, 0);
}

void area_revoke(const struct ns_area *a)
{
    if (a->mem)
        (void)mos_cap_revoke(a->mem);
}

void area_destroy(struct ns_area *a)
{
    if (!a->mem)
        return;
    (void)mos_cap_revoke(a->mem);
    (void)mos_cap_delete(a->mem);       /* the mapping goes with the capability */
    area_pages_total -= a->pages;
    window_give(a->window);
    *a = (struct ns_area){ 0 };
}
