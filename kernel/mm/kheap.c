// SPDX-License-Identifier: MIT
/* kheap.c - object caches and kmalloc. A slab is one page: a struct slab
 * header, per-object metadata (a link byte threading the free list, or
 * SLAB_ALLOCATED; kmalloc caches add the requested size), then the objects.
 * Free objects carry no metadata, so CONFIG_KHEAP_DEBUG poisons them whole
 * (0x6b) and checks the poison on reuse; kmalloc(n) then uses the cache for
 * n + 8 and the slack after n is a red zone checked by kfree. Above 2048
 * bytes kmalloc takes whole pages behind a 64-byte header.
 * Invariants (kheap_check()): a slab sits on the full/partial/empty list its
 * in-use count says; its free list visits exactly its unallocated objects;
 * cache counters are sums over slabs. A cache keeps at most one empty slab,
 * kcache_shrink() returns it (kcache_shrink(NULL): every cache).
 * Locking: one spinlock per cache, never held across page_alloc/page_free;
 * kheap_lock only for adding to the cache registry, which never shrinks, so
 * walkers need no lock. The large path takes no lock (atomic counters). */
#include "mm/kheap.h"
#include "mm/page.h"
#include "config.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/kstats.h"
#include "lib/string.h"

#define SLAB_MAGIC          0x42414c53706165aaull   /* page start of a live slab */
#define LARGE_MAGIC         0x454752414c706165ull   /* page start of a live large block */
#define LARGE_FREED_MAGIC   0x44454552466c6172ull   /* written just before page_free */
#define KHEAP_POISON        0x6b                    /* free object bytes (debug) */
#define KHEAP_REDZONE_BYTE  0xa5                    /* kmalloc slack bytes (debug) */
#define KHEAP_REDZONE       8                       /* minimum red zone (debug) */
#define KHEAP_LARGE_HDR     64
#define KMALLOC_MIN_SHIFT   4                       /* 16 bytes */
#define KMALLOC_MAX_SHIFT   11                      /* 2048 bytes */
#define KMALLOC_NCLASSES    (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)
#define KCACHE_MAX_SIZE     2048
#define KCACHE_MAX_ALIGN    64
#define KCACHE_MIN_STRIDE   16
#define KCACHE_KEEP_EMPTY   1                       /* empty slabs kept per cache */
#define SLAB_END            0xff                    /* link: end of the free list */
#define SLAB_ALLOCATED      0xfe                    /* link: object is in use */
#define SLAB_MAX_OBJECTS    254

enum slab_list { ON_PARTIAL = 1, ON_FULL, ON_EMPTY };

struct slab {
    uint64_t magic;             /* SLAB_MAGIC */
    struct kcache *cache;       /* owner; fixed for the slab's life */
    struct slab *prev, *next;   /* cache lock; on the list named by `list` */
    uint16_t inuse;             /* cache lock; allocated objects */
    uint8_t free_head;          /* cache lock; first free object, SLAB_END if none */
    uint8_t list;               /* cache lock; enum slab_list */
    uint32_t _pad;
    uint8_t link[];             /* cache lock; per object: next free, SLAB_END or SLAB_ALLOCATED */
};

struct kmalloc_large {
    uint64_t magic;             /* LARGE_MAGIC */
    uint64_t npages;
    uint64_t size;              /* bytes requested */
    uint64_t _pad[5];
};
static_assert(sizeof(struct kmalloc_large) == KHEAP_LARGE_HDR, "large header is 64 bytes");
static_assert(sizeof(struct slab) % 8 == 0, "slab header size");

struct kcache {
    struct spinlock lock;
    const char *name;           /* caller's string; must outlive the cache */
    uint32_t size;              /* object size (a kmalloc cache: its class size) */
    uint32_t align;             /* object alignment, >= 8 */
    uint32_t stride;            /* distance between objects */
    uint32_t first;             /* offset of object 0 in the slab page */
    uint16_t per_slab;          /* objects per slab, 1..SLAB_MAX_OBJECTS */
    uint16_t sizes_off;         /* offset of the uint16_t size array, 0 = none */
    bool is_kmalloc;
    struct slab *partial, *full, *empty;   /* lock */
    uint64_t nslabs;            /* lock; slabs on all three lists */
    uint64_t nempty;            /* lock; slabs on the empty list */
    uint64_t inuse;             /* lock; live objects */
    uint64_t bytes;             /* lock; bytes requested by live objects */
    uint64_t allocs;            /* lock; total successful allocations (dump) */
    struct kcache *next_cache;  /* registry link; immutable once published */
};

static struct spinlock kheap_lock = SPINLOCK_INIT("kheap");
static struct kcache *kheap_caches;       /* registry head: release store, acquire load */
static bool kheap_ready;                  /* built-in caches laid out and registered */
static struct kcache kcache_cache;        /* holds the struct kcache of kcache_create() */
static struct kcache kmalloc_caches[KMALLOC_NCLASSES];
static const char *const kmalloc_names[KMALLOC_NCLASSES] = {
    "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
    "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
static uint64_t large_blocks, large_pages, large_bytes;   /* atomic */
static uint64_t total_objects, total_bytes;                /* atomic: mirrored into kstats */

static void account(int64_t objects, int64_t bytes)
{
    KSTAT_SET(heap_objects, __atomic_add_fetch(&total_objects, (uint64_t)objects, __ATOMIC_RELAXED));
    KSTAT_SET(heap_bytes, __atomic_add_fetch(&total_bytes, (uint64_t)bytes, __ATOMIC_RELAXED));
}

/* ------------------------------------------------------------ reporting */

/* A kernel bug was found: log the details, then panic. Under HOST_TEST,
 * panic() is cmocka's mock_assert(), which does not return either (it
 * longjmps), but the compiler does not know, so callers still return. */
static __printf(2, 3) void kheap_bug(const char *what, const char *fmt, ...)
{
    va_list ap;
    kprintf("kheap: %s: ", what);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    panic("kheap: %s", what);
}

/* ------------------------------------------------------------ layout */

static void kcache_layout(struct kcache *c, const char *name, size_t size, size_t align,
                          bool is_kmalloc)
{
    size_t a = MAX(align, (size_t)8);
    size_t stride = ALIGN_UP(MAX(size, (size_t)KCACHE_MIN_STRIDE), a);
    size_t per_obj_meta = 1 + (is_kmalloc ? sizeof(uint16_t) : 0);
    size_t n = (PAGE_SIZE - sizeof(struct slab)) / (stride + per_obj_meta);
    size_t sizes_off, first;

    n = MIN(n, (size_t)SLAB_MAX_OBJECTS);
    for (;;) {
        size_t meta_end = sizeof(struct slab) + n;
        sizes_off = 0;
        if (is_kmalloc) {
            sizes_off = ALIGN_UP(meta_end, sizeof(uint16_t));
            meta_end = sizes_off + n * sizeof(uint16_t);
        }
        first = ALIGN_UP(meta_end, a);
        if (first + n * stride <= PAGE_SIZE)
            break;
        n--;
    }
    assert(n >= 1);

    spin_init(&c->lock, name);
    c->name = name;
    c->size = (uint32_t)size;
    c->align = (uint32_t)a;
    c->stride = (uint32_t)stride;
    c->first = (uint32_t)first;
    c->per_slab = (uint16_t)n;
    c->sizes_off = (uint16_t)sizes_off;
    c->is_kmalloc = is_kmalloc;
    c->partial = c->full = c->empty = NULL;
    c->nslabs = c->nempty = c->inuse = c->bytes = c->allocs = 0;
    c->next_cache = NULL;
}

/* Caller holds kheap_lock. */
static void kheap_register(struct kcache *c)
{
    c->next_cache = kheap_caches;
    __atomic_store_n(&kheap_caches, c, __ATOMIC_RELEASE);
}

/* Lay out the built-in caches on first use: no init call needed. */
static void kheap_setup(void)
{
    if (__atomic_load_n(&kheap_ready, __ATOMIC_ACQUIRE))
        return;
    uint64_t flags = spin_lock_irqsave(&kheap_lock);
    if (!kheap_ready) {
        kcache_layout(&kcache_cache, "kcache", sizeof(struct kcache),
                      _Alignof(struct kcache), false);
        kheap_register(&kcache_cache);
        for (int i = KMALLOC_NCLASSES - 1; i >= 0; i--) {
            size_t sz = (size_t)1 << (KMALLOC_MIN_SHIFT + i);
            kcache_layout(&kmalloc_caches[i], kmalloc_names[i], sz,
                          MIN(sz, (size_t)KCACHE_MAX_ALIGN), true);
            kheap_register(&kmalloc_caches[i]);
        }
        __atomic_store_n(&kheap_ready, true, __ATOMIC_RELEASE);
    }
    spin_unlock_irqrestore(&kheap_lock, flags);
}

/* ------------------------------------------------------------ slab helpers */

static inline uint8_t *slab_obj(const struct kcache *c, struct slab *s, unsigned i)
{
    return (uint8_t *)s + c->first + (size_t)i * c->stride;
}

static inline uint16_t *slab_sizes(const struct kcache *c, struct slab *s)
{
    return (uint16_t *)((uint8_t *)s + c->sizes_off);
}

static struct slab **list_head(struct kcache *c, uint8_t which)
{
    switch (which) {
    case ON_PARTIAL: return &c->partial;
    case ON_FULL:    return &c->full;
    default:         return &c->empty;
    }
}

static void list_add(struct kcache *c, struct slab *s, uint8_t which)
{
    struct slab **head = list_head(c, which);
    s->list = which;
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
    if (which == ON_EMPTY)
        c->nempty++;
}

static void list_del(struct kcache *c, struct slab *s)
{
    struct slab **head = list_head(c, s->list);
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->list == ON_EMPTY)
        c->nempty--;
    s->prev = s->next = NULL;
}

/* The list a slab belongs on, from its in-use count. */
static uint8_t slab_state(const struct kcache *c, const struct slab *s)
{
    if (s->inuse == 0)
        return ON_EMPTY;
    return s->inuse == c->per_slab ? ON_FULL : ON_PARTIAL;
}

static void slab_move(struct kcache *c, struct slab *s)
{
    uint8_t want = slab_state(c, s);
    if (want != s->list) {
        list_del(c, s);
        list_add(c, s, want);
    }
}

/* Index of the first byte in [p, p+n) that differs from `byte`, or n. */
static size_t bytes_differ(const uint8_t *p, size_t n, uint8_t byte)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte)
            return i;
    return n;
}

/* A fresh page becomes an empty slab (not yet on a list). */
static void slab_init(struct kcache *c, struct slab *s)
{
    s->magic = SLAB_MAGIC;
    s->cache = c;
    s->prev = s->next = NULL;
    s->inuse = 0;
    s->list = 0;
    s->free_head = 0;
    for (unsigned i = 0; i < c->per_slab; i++)
        s->link[i] = (uint8_t)(i + 1 < c->per_slab ? i + 1 : SLAB_END);
    if (CONFIG_KHEAP_DEBUG)
        memset(slab_obj(c, s, 0), KHEAP_POISON, (size_t)c->per_slab * c->stride);
}

/* ------------------------------------------------------------ allocation */

/* One object of c, zeroed over c->size bytes; req is what the caller asked
 * for (kept per object in kmalloc caches). NULL when page_alloc fails. */
static void *cache_alloc(struct kcache *c, size_t req)
{
    struct slab *s;
    uint64_t flags = spin_lock_irqsave(&c->lock);

    while (!(s = c->partial ? c->partial : c->empty)) {
        spin_unlock_irqrestore(&c->lock, flags);
        struct slab *fresh = page_alloc(1);
        if (!fresh)
            return NULL;
        slab_init(c, fresh);
        flags = spin_lock_irqsave(&c->lock);
        list_add(c, fresh, ON_EMPTY);
        c->nslabs++;
    }

    /* Validate the object before taking it, so a detected bug changes nothing. */
    unsigned idx = s->free_head;
    if (idx >= c->per_slab || s->link[idx] == SLAB_ALLOCATED) {
        kheap_bug("free list corrupted", "cache %s slab %p head %u", c->name, (void *)s, idx);
        spin_unlock_irqrestore(&c->lock, flags);
        return NULL;
    }
    uint8_t *obj = slab_obj(c, s, idx);
    if (CONFIG_KHEAP_DEBUG) {
        size_t bad = bytes_differ(obj, c->stride, KHEAP_POISON);
        if (bad != c->stride) {
            kheap_bug("write after free", "cache %s object %p byte %zu is 0x%02x",
                      c->name, (void *)obj, bad, obj[bad]);
            spin_unlock_irqrestore(&c->lock, flags);
            return NULL;
        }
    }

    s->free_head = s->link[idx];
    s->link[idx] = SLAB_ALLOCATED;
    s->inuse++;
    if (c->sizes_off)
        slab_sizes(c, s)[idx] = (uint16_t)req;
    slab_move(c, s);
    c->inuse++;
    c->bytes += req;
    c->allocs++;
    spin_unlock_irqrestore(&c->lock, flags);
    account(1, (int64_t)req);

    memset(obj, 0, c->size);
    return obj;
}

struct kcache *kcache_create(const char *name, size_t size, size_t align)
{
    if (size == 0 || size > KCACHE_MAX_SIZE || align > KCACHE_MAX_ALIGN
        || (align & (align - 1)) != 0) {
        kheap_bug("bad kcache_create", "%s: size %zu align %zu", name ? name : "?", size, align);
        return NULL;
    }
    kheap_setup();
    struct kcache *c = cache_alloc(&kcache_cache, sizeof(struct kcache));
    if (!c)
        return NULL;
    kcache_layout(c, name ? name : "unnamed", size, align, false);
    uint64_t flags = spin_lock_irqsave(&kheap_lock);
    kheap_register(c);
    spin_unlock_irqrestore(&kheap_lock, flags);
    return c;
}

void *kcache_alloc(struct kcache *c)
{
    assert(c != NULL);
    return cache_alloc(c, c->size);
}

/* ------------------------------------------------------------ freeing */

/* The slab an object claims to live in; checks the page's magic. */
static struct slab *obj_slab(const void *obj)
{
    return (struct slab *)ALIGN_DOWN((uintptr_t)obj, (uintptr_t)PAGE_SIZE);
}

/* Free obj back to c. For kmalloc objects also check the red zone. */
static void cache_free(struct kcache *c, void *obj)
{
    struct slab *s = obj_slab(obj);
    if (s->magic != SLAB_MAGIC) {
        kheap_bug("free of a non-slab pointer", "cache %s object %p", c->name, obj);
        return;
    }
    if (s->cache != c) {
        kheap_bug("free to the wrong cache", "object %p belongs to %s, freed to %s",
                  obj, s->cache->name, c->name);
        return;
    }
    uintptr_t off = (uintptr_t)obj - (uintptr_t)s;
    if (off < c->first || (off - c->first) % c->stride != 0
        || (off - c->first) / c->stride >= c->per_slab) {
        kheap_bug("free of a misaligned pointer", "cache %s object %p (offset %lu)",
                  c->name, obj, (unsigned long)off);
        return;
    }
    unsigned idx = (unsigned)((off - c->first) / c->stride);
    uint8_t *o = obj;

    uint64_t flags = spin_lock_irqsave(&c->lock);
    if (s->link[idx] != SLAB_ALLOCATED) {
        kheap_bug("double free", "cache %s object %p", c->name, obj);
        spin_unlock_irqrestore(&c->lock, flags);
        return;
    }
    size_t req = c->sizes_off ? slab_sizes(c, s)[idx] : c->size;
    if (CONFIG_KHEAP_DEBUG && c->is_kmalloc) {
        size_t bad = bytes_differ(o + req, c->size - req, KHEAP_REDZONE_BYTE);
        if (bad != c->size - req) {
            kheap_bug("red zone overwritten", "%s object %p of %zu bytes: byte %zu is 0x%02x",
                      c->name, obj, req, req + bad, o[req + bad]);
            spin_unlock_irqrestore(&c->lock, flags);
            return;
        }
    }

    if (CONFIG_KHEAP_DEBUG)
        memset(o, KHEAP_POISON, c->stride);
    s->link[idx] = s->free_head;
    s->free_head = (uint8_t)idx;
    s->inuse--;
    c->inuse--;
    c->bytes -= req;
    account(-1, -(int64_t)req);

    struct slab *release = NULL;
    if (s->inuse == 0 && c->nempty >= KCACHE_KEEP_EMPTY) {
        list_del(c, s);
        c->nslabs--;
        s->magic = 0;
        release = s;
    } else {
        slab_move(c, s);
    }
    spin_unlock_irqrestore(&c->lock, flags);

    if (release)
        page_free(release, 1);
}

void kcache_free(struct kcache *c, void *obj)
{
    assert(c != NULL);
    if (!obj)
        return;
    cache_free(c, obj);
}

static size_t cache_shrink(struct kcache *c)
{
    uint64_t flags = spin_lock_irqsave(&c->lock);
    struct slab *list = c->empty;
    size_t n = (size_t)c->nempty;
    c->empty = NULL;
    c->nempty = 0;
    c->nslabs -= n;
    spin_unlock_irqrestore(&c->lock, flags);

    while (list) {
        struct slab *next = list->next;
        list->magic = 0;
        page_free(list, 1);
        list = next;
    }
    return n;
}

/* NULL shrinks every cache (the built-in kmalloc caches included). */
size_t kcache_shrink(struct kcache *c)
{
    if (c)
        return cache_shrink(c);
    kheap_setup();
    size_t n = 0;
    for (struct kcache *k = __atomic_load_n(&kheap_caches, __ATOMIC_ACQUIRE); k; k = k->next_cache)
        n += cache_shrink(k);
    return n;
}

/* ------------------------------------------------------------ kmalloc */

static unsigned kmalloc_class(size_t need)
{
    unsigned shift = KMALLOC_MIN_SHIFT;
    while (((size_t)1 << shift) < need)
        shift++;
    return shift - KMALLOC_MIN_SHIFT;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    kheap_setup();

    size_t need = size + (CONFIG_KHEAP_DEBUG ? KHEAP_REDZONE : 0);
    if (size <= KCACHE_MAX_SIZE && need <= KCACHE_MAX_SIZE) {
        struct kcache *c = &kmalloc_caches[kmalloc_class(need)];
        uint8_t *p = cache_alloc(c, size);
        if (p && CONFIG_KHEAP_DEBUG)
            memset(p + size, KHEAP_REDZONE_BYTE, c->size - size);
        return p;
    }

    if (size > SIZE_MAX / 2)
        return NULL;
    size_t npages = ALIGN_UP(size + KHEAP_LARGE_HDR, (size_t)PAGE_SIZE) / PAGE_SIZE;
    struct kmalloc_large *h = page_alloc(npages);
    if (!h)
        return NULL;
    h->magic = LARGE_MAGIC;
    h->npages = npages;
    h->size = size;
    uint8_t *p = (uint8_t *)h + KHEAP_LARGE_HDR;
    if (CONFIG_KHEAP_DEBUG)
        memset(p + size, KHEAP_REDZONE_BYTE, npages * PAGE_SIZE - KHEAP_LARGE_HDR - size);
    __atomic_fetch_add(&large_blocks, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&large_pages, npages, __ATOMIC_RELAXED);
    __atomic_fetch_add(&large_bytes, size, __ATOMIC_RELAXED);
    account(1, (int64_t)size);
    return p;
}

static void large_free(struct kmalloc_large *h, void *p)
{
    if ((uint8_t *)p != (uint8_t *)h + KHEAP_LARGE_HDR) {
        kheap_bug("kfree of a pointer inside a block", "%p (block at %p)", p, (void *)h);
        return;
    }
    if (h->npages == 0 || h->npages > SIZE_MAX / PAGE_SIZE
        || h->size > h->npages * PAGE_SIZE - KHEAP_LARGE_HDR) {
        kheap_bug("large block header corrupted", "%p", p);
        return;
    }
    size_t slack = h->npages * PAGE_SIZE - KHEAP_LARGE_HDR - h->size;
    if (CONFIG_KHEAP_DEBUG) {
        uint8_t *o = p;
        size_t bad = bytes_differ(o + h->size, slack, KHEAP_REDZONE_BYTE);
        if (bad != slack) {
            kheap_bug("red zone overwritten", "large block %p of %llu bytes: byte %zu is 0x%02x",
                      p, (unsigned long long)h->size, (size_t)h->size + bad, o[h->size + bad]);
            return;
        }
    }
    uint64_t npages = h->npages;
    __atomic_fetch_sub(&large_blocks, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&large_pages, npages, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&large_bytes, h->size, __ATOMIC_RELAXED);
    account(-1, -(int64_t)h->size);
    h->magic = LARGE_FREED_MAGIC;
    page_free(h, (size_t)npages);
}

void kfree(void *p)
{
    if (!p)
        return;
    uint64_t magic = *(const uint64_t *)obj_slab(p);
    if (magic == LARGE_MAGIC) {
        large_free((struct kmalloc_large *)obj_slab(p), p);
    } else if (magic == SLAB_MAGIC) {
        struct kcache *c = obj_slab(p)->cache;
        if (!c->is_kmalloc) {
            kheap_bug("kfree of a kcache object", "%p belongs to %s", p, c->name);
            return;
        }
        cache_free(c, p);
    } else if (magic == LARGE_FREED_MAGIC) {
        kheap_bug("double free", "large block %p", p);
    } else {
        kheap_bug("kfree of a non-heap pointer", "%p", p);
    }
}

/* ------------------------------------------------------------ statistics */

void kheap_get_stats(struct kheap_stats *out)
{
    kheap_setup();
    uint64_t objs = 0, bytes = 0, pages = 0;
    for (struct kcache *c = __atomic_load_n(&kheap_caches, __ATOMIC_ACQUIRE); c; c = c->next_cache) {
        uint64_t flags = spin_lock_irqsave(&c->lock);
        objs += c->inuse;
        bytes += c->bytes;
        pages += c->nslabs;
        spin_unlock_irqrestore(&c->lock, flags);
    }
    out->objects_in_use = objs + __atomic_load_n(&large_blocks, __ATOMIC_RELAXED);
    out->bytes_in_use = bytes + __atomic_load_n(&large_bytes, __ATOMIC_RELAXED);
    out->pages = pages + __atomic_load_n(&large_pages, __ATOMIC_RELAXED);
}

/* Check one slab; returns NULL or what is wrong. Adds its counts to the
 * running totals. Caller holds c->lock. */
static const char *slab_check(struct kcache *c, struct slab *s, uint8_t which,
                              uint64_t *inuse, uint64_t *bytes)
{
    if (s->magic != SLAB_MAGIC)
        return "bad slab magic";
    if (s->cache != c)
        return "slab on another cache's list";
    if (s->list != which)
        return "slab's list tag differs from its list";
    if (s->inuse > c->per_slab || slab_state(c, s) != which)
        return "slab on the wrong list for its in-use count";

    unsigned allocated = 0, nfree = 0;
    for (unsigned i = 0; i < c->per_slab; i++) {
        uint8_t l = s->link[i];
        if (l == SLAB_ALLOCATED) {
            allocated++;
            if (c->sizes_off) {
                uint16_t req = slab_sizes(c, s)[i];
                if (req == 0 || req > c->size)
                    return "bad recorded size";
                *bytes += req;
                if (CONFIG_KHEAP_DEBUG
                    && bytes_differ(slab_obj(c, s, i) + req, c->size - req, KHEAP_REDZONE_BYTE)
                       != c->size - req)
                    return "red zone overwritten";
            } else {
                *bytes += c->size;
            }
        } else if (l != SLAB_END && l >= c->per_slab) {
            return "bad free-list link";
        }
    }
    if (allocated != s->inuse)
        return "in-use count differs from allocated marks";

    /* Walk the free list: every step lands on a free object, no cycles. */
    unsigned i = s->free_head;
    while (i != SLAB_END) {
        if (i >= c->per_slab || s->link[i] == SLAB_ALLOCATED)
            return "free list reaches an allocated or invalid object";
        if (++nfree > c->per_slab)
            return "free list has a cycle";
        if (CONFIG_KHEAP_DEBUG
            && bytes_differ(slab_obj(c, s, i), c->stride, KHEAP_POISON) != c->stride)
            return "free object lost its poison (write after free)";
        i = s->link[i];
    }
    if (nfree + allocated != c->per_slab)
        return "free list length differs from the free count";
    *inuse += allocated;
    return NULL;
}

static const char *cache_check(struct kcache *c)
{
    static const uint8_t lists[] = { ON_PARTIAL, ON_FULL, ON_EMPTY };
    uint64_t inuse = 0, bytes = 0, nslabs = 0, nempty = 0;
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
        struct slab *prev = NULL;
        for (struct slab *s = *list_head(c, lists[l]); s; prev = s, s = s->next) {
            if (s->prev != prev)
                return "broken back link";
            if (++nslabs > c->nslabs)
                return "more slabs on the lists than counted";
            if (lists[l] == ON_EMPTY)
                nempty++;
            const char *why = slab_check(c, s, lists[l], &inuse, &bytes);
            if (why)
                return why;
        }
    }
    if (nslabs != c->nslabs || nempty != c->nempty)
        return "slab counters differ from the lists";
    if (inuse != c->inuse)
        return "object counter differs from the slabs";
    if (bytes != c->bytes)
        return "byte counter differs from the slabs";
    return NULL;
}

bool kheap_check(void)
{
    kheap_setup();
    bool ok = true;
    for (struct kcache *c = __atomic_load_n(&kheap_caches, __ATOMIC_ACQUIRE); c; c = c->next_cache) {
        uint64_t flags = spin_lock_irqsave(&c->lock);
        const char *why = cache_check(c);
        spin_unlock_irqrestore(&c->lock, flags);
        if (why) {
            kprintf("kheap_check: cache %s: %s\n", c->name, why);
            ok = false;
        }
    }
    return ok;
}

void kheap_dump(void)
{
    kheap_setup();
    kprintf("kheap: %-14s %5s %6s %4s %6s %6s %10s %10s\n",
            "cache", "size", "stride", "per", "slabs", "empty", "objects", "bytes");
    for (struct kcache *c = __atomic_load_n(&kheap_caches, __ATOMIC_ACQUIRE); c; c = c->next_cache) {
        uint64_t flags = spin_lock_irqsave(&c->lock);
        uint32_t size = c->size, stride = c->stride, per = c->per_slab;
        uint64_t nslabs = c->nslabs, nempty = c->nempty, inuse = c->inuse, bytes = c->bytes;
        spin_unlock_irqrestore(&c->lock, flags);
        kprintf("kheap: %-14s %5u %6u %4u %6llu %6llu %10llu %10llu\n",
                c->name, size, stride, per, (unsigned long long)nslabs,
                (unsigned long long)nempty, (unsigned long long)inuse,
                (unsigned long long)bytes);
    }
    kprintf("kheap: large blocks %llu, pages %llu, bytes %llu\n",
            (unsigned long long)__atomic_load_n(&large_blocks, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&large_pages, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&large_bytes, __ATOMIC_RELAXED));
}
