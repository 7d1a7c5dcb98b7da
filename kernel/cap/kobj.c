// SPDX-License-Identifier: MIT
/* kobj.c - reference counting of capability-named objects. The last
 * reference destroys the object through its type's destructor. A process's
 * destruction deletes capabilities (a CDT operation), which may not happen
 * inside a CDT release callback: processes are therefore queued and
 * destroyed by kobj_run_deferred(), which callers run once their CDT
 * operation is over. Locking: big_lock. */
#include "cap/kobj.h"
#include "ipc/ipc.h"
#include "lib/assert.h"
#include "lib/klock.h"
#include "lib/kstats.h"
#include "mm/memobj.h"
#include "proc/process.h"
#include <mos/caps.h>

static uint64_t next_id = 1;
static uint64_t alive[MOS_CAP_TYPE_COUNT];
static struct list_node deferred_list = LIST_INIT(deferred_list);

void process_destroy_obj(struct process *p);

uint64_t kobj_new_id(void)
{
    return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

void kobj_init(struct kobj *o, unsigned type)
{
    assert(type < MOS_CAP_TYPE_COUNT);
    o->refs = 1;
    o->type = (uint8_t)type;
    o->id = kobj_new_id();
    alive[type]++;
    KSTAT_SET(objects[type], alive[type]);
}

void kobj_get(struct kobj *o)
{
    assert(o->refs > 0);
    o->refs++;
}

void kobj_put(struct kobj *o)
{
    assert(o->refs > 0);
    if (--o->refs)
        return;
    alive[o->type]--;
    KSTAT_SET(objects[o->type], alive[o->type]);
    switch (o->type) {
    case MOS_CAP_MEMORY:
        memobj_destroy((struct memobj *)o);
        break;
    case MOS_CAP_ENDPOINT:
        endpoint_destroy((struct endpoint *)o);
        break;
    case MOS_CAP_PROCESS: {
        struct process *p = (struct process *)o;
        list_remove(&p->all_node);                      /* from the process list */
        list_push_back(&deferred_list, &p->all_node);
        break;
    }
    default:
        panic("kobj_put: object of type %u", o->type);
    }
}

void kobj_run_deferred(void)
{
    do {
        while (!list_empty(&deferred_list)) {
            struct process *p = list_entry(list_pop_front(&deferred_list), struct process, all_node);
            process_destroy_obj(p);
        }
        process_collect_orphans();
    } while (!list_empty(&deferred_list));
}

uint64_t kobj_count(unsigned type)
{
    return type < MOS_CAP_TYPE_COUNT ? alive[type] : 0;
}
