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
 * CONFIG_DEBUG_HEAP (the debug kernel) adds, for every cache: a red zone
 * before each object (at least 16 bytes, keeping its alignment) and one of
 * at least 16 bytes after it, checked on free, on reuse and by
 * kheap_check(); the caller of the last alloc or free per object (an array
 * after the link bytes), named in reports; a FIFO free list per slab, so a
 * freed slot is reused as late as possible and a write after free has the
 * longest time to be caught by the poison check (frame use is unchanged);
 * a whole-heap kheap_check() every KHEAP_CHECK_PERIOD frees; and a red zone
 * in the large blocks' header. Its failures go through lib/kcheck.h (a
 * panic, or a record when a test planned them).
 * Locking: one spinlock per cache, never held across page_alloc/page_free;
 * kheap_lock only for adding to the cache registry, which never shrinks, so
 * walkers need no lock. The large path takes no lock (atomic counters). */
#include "mm/kheap.h"
#include "mm/page.h"
#include "debug/kcov.h"
#include "config.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/kstats.h"
#include "lib/kcheck.h"
#include "lib/ksyms.h"
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
#define SLAB_MAX_OBJECTS    253
#define KHEAP_DBG_RZ        16                      /* minimum red zone each side (debug heap) */
#define KHEAP_CHECK_PERIOD  4096                    /* frees between whole-heap checks (debug heap) */
#define KHEAP_CALLER()      (CONFIG_DEBUG_HEAP ? (uintptr_t)__builtin_return_address(0) : 0)

enum slab_list { ON_PARTIAL = 1, ON_FULL, ON_EMPTY };

struct slab {
    uint64_t magic;             /* SLAB_MAGIC */
    struct kcache *cache;       /* owner; fixed for the slab's life */
    struct slab *prev, *next;   /* cache lock; on the list named by `list` */
    uint16_t inuse;             /* cache lock; allocated objects */
    uint8_t free_head;          /* cache lock; first free object, SLAB_END if none */
    uint8_t list;               /* cache lock; enum slab_list */
    uint8_t free_tail;          /* cache lock; debug heap: last free object (FIFO free list) */
    uint8_t _pad8;
    uint16_t _pad16;
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
    uint8_t lrz;                /* debug heap: red zone before each object (0 otherwise) */
    uint16_t callers_off;       /* debug heap: offset of the uintptr_t caller array */
    struct slab *partial, *full, *empty;   /* lock */
    uint64_t nslabs;            /* lock; slabs on all three lists */
    uint64_t nempty;            /* lock; slabs on the empty list */
    uint64_t inuse;             /* lock; live objects */
    uint64_t bytes;             /* lock; bytes requested by live objects */
    uint64_t allocs;            /* lock; total successful allocations (dump) */
    struct kcache *next_cache;  /* registry link; immutable once published */
};
/* kmalloc indexes an array of these: a power of two keeps that a shift. */
static_assert(sizeof(struct kcache) == 128, "struct kcache is 128 bytes");

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
    __atomic_add_fetch(&total_objects, (uint64_t)objects, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
    KSTAT_ADD(heap_objects, objects);       /* not a store: two CPUs could leave the older value */
    KSTAT_ADD(heap_bytes, bytes);
}

/* ------------------------------------------------------------ reporting */

/* A kernel bug was found: log the details, then panic. Under HOST_TEST,
 * panic() is cmocka's mock_assert(), which does not return either (it
 * longjmps), but the compiler does not know, so callers still return.
 * In the debug heap the verdict is kcheck's: it returns when a test planned
 * the failure, and every caller backs out having changed nothing. */
static __printf(2, 3) void kheap_bug(const char *what, const char *fmt, ...)
{
    struct kcheck_plan *plan = NULL;
#ifndef HOST_TEST
    if (CONFIG_DEBUG_HEAP)
        plan = kcheck_begin();
#endif
    va_list ap;
    kprintf("kheap: %s: ", what);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
#ifndef HOST_TEST
    if (CONFIG_DEBUG_HEAP) {
        char summary[96];
        ksnprintf(summary, sizeof summary, "kheap: %s", what);
        kcheck_end(plan, what, summary);
        return;
    }
#endif
    (void)plan;
    panic("kheap: %s", what);
}

/* "function+0x1c" for a recorded caller (a hex address on the host). */
static const char *caller_name(uintptr_t a, char *buf, size_t len)
{
    if (!a)
        return "(unknown)";
#ifdef HOST_TEST
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    if (len < 19)
        return "?";
    buf[i++] = '0';
    buf[i++] = 'x';
    for (int sh = 60; sh >= 0; sh -= 4)
        buf[i++] = hex[(a >> sh) & 15];
    buf[i] = '\0';
#else
    ksym_format(a, buf, len);
#endif
    return buf;
}

/* ------------------------------------------------------------ layout */

static void kcache_layout(struct kcache *c, const char *name, size_t size, size_t align,
                          bool is_kmalloc)
{
    size_t a = MAX(align, (size_t)8);
    size_t stride = ALIGN_UP(MAX(size, (size_t)KCACHE_MIN_STRIDE), a);
    size_t per_obj_meta = 1 + (is_kmalloc ? sizeof(uint16_t) : 0);
    size_t lrz = 0, callers_off = 0;
    if (CONFIG_DEBUG_HEAP) {                /* [red zone][object][red zone] */
        lrz = MAX(a, (size_t)KHEAP_DBG_RZ);
        stride = ALIGN_UP(lrz + size + KHEAP_DBG_RZ, a);
        per_obj_meta += sizeof(uintptr_t);
    }
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
        if (CONFIG_DEBUG_HEAP) {
            callers_off = ALIGN_UP(meta_end, sizeof(uintptr_t));
            meta_end = callers_off + n * sizeof(uintptr_t);
        }
        first = ALIGN_UP(meta_end, a);
        if (first + n * stride <= PAGE_SIZE)
            break;
        n--;
    }
    assert(n >= 1);

    spin_init_class(&c->lock, name, LOCK_CLASS_KCACHE);
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
    c->lrz = (uint8_t)lrz;
    c->callers_off = (uint16_t)callers_off;
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

/* The red zone before each object: 0 outside the debug heap (a constant,
 * so the normal build computes addresses exactly as before). */
static inline size_t obj_lrz(const struct kcache *c)
{
    return CONFIG_DEBUG_HEAP ? c->lrz : 0;
}

static inline uint8_t *slab_obj(const struct kcache *c, struct slab *s, unsigned i)
{
    return (uint8_t *)s + c->first + (size_t)i * c->stride + obj_lrz(c);
}

static inline uint16_t *slab_sizes(const struct kcache *c, struct slab *s)
{
    return (uint16_t *)((uint8_t *)s + c->sizes_off);
}

/* Debug heap: who last allocated or freed each object. */
static inline uintptr_t *slab_callers(const struct kcache *c, struct slab *s)
{
    return (uintptr_t *)((uint8_t *)s + c->callers_off);
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

/* Debug heap: the first byte of [p, p+n) that differs from `byte`, or n,
 * comparing a word at a time (the debug checks scan whole slots). */
static size_t dbg_differ(const uint8_t *p, size_t n, uint8_t byte)
{
    const uint64_t pattern = 0x0101010101010101ull * byte;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(p + i) & 7); i++)
        if (p[i] != byte)
            return i;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, sizeof w);
        if (w != pattern)
            break;
    }
    for (; i < n; i++)
        if (p[i] != byte)
            return i;
    return n;
}

/* Debug heap: a damaged byte, at `off` from the object's start (negative:
 * in the red zone before it). */
struct dbg_damage {
    long off;
    uint8_t got, want;
};

/* Debug heap: what a slot holds while its object is free. */
static void dbg_fill_free(const struct kcache *c, uint8_t *obj)
{
    memset(obj - c->lrz, KHEAP_REDZONE_BYTE, c->lrz);
    memset(obj, KHEAP_POISON, c->size);
    memset(obj + c->size, KHEAP_REDZONE_BYTE, c->stride - c->lrz - c->size);
}

/* Debug heap: is a free slot as dbg_fill_free left it? Else *d. */
static bool dbg_free_intact(const struct kcache *c, const uint8_t *obj, struct dbg_damage *d)
{
    size_t rrz = c->stride - c->lrz - c->size, k;
    if ((k = dbg_differ(obj - c->lrz, c->lrz, KHEAP_REDZONE_BYTE)) != c->lrz) {
        d->off = (long)k - (long)c->lrz;
        d->want = KHEAP_REDZONE_BYTE;
    } else if ((k = dbg_differ(obj, c->size, KHEAP_POISON)) != c->size) {
        d->off = (long)k;
        d->want = KHEAP_POISON;
    } else if ((k = dbg_differ(obj + c->size, rrz, KHEAP_REDZONE_BYTE)) != rrz) {
        d->off = (long)(c->size + k);
        d->want = KHEAP_REDZONE_BYTE;
    } else {
        return true;
    }
    d->got = obj[d->off];
    return false;
}

/* Debug heap: are a live object's red zones intact (before it, and after
 * the `req` bytes asked for: a kmalloc object's slack counts)? Else *d. */
static bool dbg_live_intact(const struct kcache *c, const uint8_t *obj, size_t req,
                            struct dbg_damage *d)
{
    size_t after = c->stride - c->lrz - req, k;
    if ((k = dbg_differ(obj - c->lrz, c->lrz, KHEAP_REDZONE_BYTE)) != c->lrz)
        d->off = (long)k - (long)c->lrz;
    else if ((k = dbg_differ(obj + req, after, KHEAP_REDZONE_BYTE)) != after)
        d->off = (long)(req + k);
    else
        return true;
    d->want = KHEAP_REDZONE_BYTE;
    d->got = obj[d->off];
    return false;
}

static const char *dbg_part(long off, size_t len)
{
    return off < 0 ? "the red zone before it" : (size_t)off < len ? "the object"
                                                                  : "the red zone after it";
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
    if (CONFIG_DEBUG_HEAP) {
        s->free_tail = (uint8_t)(c->per_slab - 1);
        for (unsigned i = 0; i < c->per_slab; i++) {
            dbg_fill_free(c, slab_obj(c, s, i));
            slab_callers(c, s)[i] = 0;
        }
    } else if (CONFIG_KHEAP_DEBUG) {
        memset(slab_obj(c, s, 0), KHEAP_POISON, (size_t)c->per_slab * c->stride);
    }
}

/* ------------------------------------------------------------ allocation */

/* One object of c, zeroed over c->size bytes; req is what the caller asked
 * for (kept per object in kmalloc caches), caller who asked (debug heap).
 * NULL when page_alloc fails. */
static void *cache_alloc(struct kcache *c, size_t req, uintptr_t caller)
{
    if (kcov_should_fail())             /* the fuzzing build's failnth= (debug/kcov.c) */
        return NULL;
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
    if (CONFIG_DEBUG_HEAP) {
        struct dbg_damage d;
        if (!dbg_free_intact(c, obj, &d)) {
            char who[64];
            kheap_bug(d.off >= 0 && (size_t)d.off < c->size ? "write after free"
                                                            : "red zone of a free object overwritten",
                      "cache %s object %p: byte %ld (in %s) is 0x%02x, not 0x%02x; freed by %s",
                      c->name, (void *)obj, d.off, dbg_part(d.off, c->size), d.got, d.want,
                      caller_name(slab_callers(c, s)[idx], who, sizeof who));
            spin_unlock_irqrestore(&c->lock, flags);
            return NULL;
        }
    } else if (CONFIG_KHEAP_DEBUG) {
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
    if (CONFIG_DEBUG_HEAP)
        slab_callers(c, s)[idx] = caller;
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
    struct kcache *c = cache_alloc(&kcache_cache, sizeof(struct kcache), KHEAP_CALLER());
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
    return cache_alloc(c, c->size, KHEAP_CALLER());
}

/* ------------------------------------------------------------ freeing */

/* The slab an object claims to live in; checks the page's magic. */
static struct slab *obj_slab(const void *obj)
{
    return (struct slab *)ALIGN_DOWN((uintptr_t)obj, (uintptr_t)PAGE_SIZE);
}

static void periodic_check(void);

/* Free obj back to c. For kmalloc objects also check the red zone; the
 * debug heap checks both red zones of every object and records caller. */
static void cache_free(struct kcache *c, void *obj, uintptr_t caller)
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
    size_t first = c->first + obj_lrz(c);
    if (off < first || (off - first) % c->stride != 0
        || (off - first) / c->stride >= c->per_slab) {
        kheap_bug("free of a misaligned pointer", "cache %s object %p (offset %lu)",
                  c->name, obj, (unsigned long)off);
        return;
    }
    unsigned idx = (unsigned)((off - first) / c->stride);
    uint8_t *o = obj;

    uint64_t flags = spin_lock_irqsave(&c->lock);
    if (s->link[idx] != SLAB_ALLOCATED) {
        char who[64];
        if (CONFIG_DEBUG_HEAP)
            kheap_bug("double free", "cache %s object %p, already freed by %s", c->name, obj,
                      caller_name(slab_callers(c, s)[idx], who, sizeof who));
        else
            kheap_bug("double free", "cache %s object %p", c->name, obj);
        spin_unlock_irqrestore(&c->lock, flags);
        return;
    }
    size_t req = c->sizes_off ? slab_sizes(c, s)[idx] : c->size;
    struct dbg_damage d;
    if (CONFIG_DEBUG_HEAP && !dbg_live_intact(c, o, req, &d)) {
        char who[64];
        kheap_bug("red zone overwritten",
                  "%s object %p of %zu bytes: byte %ld (in %s) is 0x%02x, not 0x%02x; "
                  "allocated by %s", c->name, obj, req, d.off, dbg_part(d.off, req), d.got,
                  d.want, caller_name(slab_callers(c, s)[idx], who, sizeof who));
        spin_unlock_irqrestore(&c->lock, flags);
        return;
    }
    if (!CONFIG_DEBUG_HEAP && CONFIG_KHEAP_DEBUG && c->is_kmalloc) {
        size_t bad = bytes_differ(o + req, c->size - req, KHEAP_REDZONE_BYTE);
        if (bad != c->size - req) {
            kheap_bug("red zone overwritten", "%s object %p of %zu bytes: byte %zu is 0x%02x",
                      c->name, obj, req, req + bad, o[req + bad]);
            spin_unlock_irqrestore(&c->lock, flags);
            return;
        }
    }

    if (CONFIG_DEBUG_HEAP) {                /* poison, and join the free list at its tail */
        dbg_fill_free(c, o);
        slab_callers(c, s)[idx] = caller;
        s->link[idx] = SLAB_END;
        if (s->free_head == SLAB_END)
            s->free_head = (uint8_t)idx;
        else
            s->link[s->free_tail] = (uint8_t)idx;
        s->free_tail = (uint8_t)idx;
    } else {
        if (CONFIG_KHEAP_DEBUG)
            memset(o, KHEAP_POISON, c->stride);
        s->link[idx] = s->free_head;
        s->free_head = (uint8_t)idx;
    }
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
    if (CONFIG_DEBUG_HEAP)
        periodic_check();
}

void kcache_free(struct kcache *c, void *obj)
{
    assert(c != NULL);
    if (!obj)
        return;
    cache_free(c, obj, KHEAP_CALLER());
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
        uint8_t *p = cache_alloc(c, size, KHEAP_CALLER());
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
    if (CONFIG_DEBUG_HEAP) {                /* the caller, then a red zone up to the block */
        h->_pad[0] = KHEAP_CALLER();
        memset(&h->_pad[1], KHEAP_REDZONE_BYTE, sizeof h->_pad - sizeof h->_pad[0]);
    }
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
    if (CONFIG_DEBUG_HEAP) {
        size_t rz = sizeof h->_pad - sizeof h->_pad[0];
        size_t bad = dbg_differ((const uint8_t *)&h->_pad[1], rz, KHEAP_REDZONE_BYTE);
        if (bad != rz) {
            char who[64];
            kheap_bug("red zone overwritten", "large block %p: byte %ld (in the red zone before "
                      "it) is 0x%02x, not 0x%02x; allocated by %s", p, (long)bad - (long)rz,
                      ((const uint8_t *)&h->_pad[1])[bad], KHEAP_REDZONE_BYTE,
                      caller_name(h->_pad[0], who, sizeof who));
            return;
        }
    }
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
        cache_free(c, p, KHEAP_CALLER());
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
                if (!CONFIG_DEBUG_HEAP && CONFIG_KHEAP_DEBUG
                    && bytes_differ(slab_obj(c, s, i) + req, c->size - req, KHEAP_REDZONE_BYTE)
                       != c->size - req)
                    return "red zone overwritten";
            } else {
                *bytes += c->size;
            }
            struct dbg_damage d;
            if (CONFIG_DEBUG_HEAP && !dbg_live_intact(c, slab_obj(c, s, i),
                                                      c->sizes_off ? slab_sizes(c, s)[i] : c->size, &d))
                return "red zone overwritten";
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
        struct dbg_damage d;
        if (CONFIG_DEBUG_HEAP && !dbg_free_intact(c, slab_obj(c, s, i), &d))
            return "free object lost its poison or red zone (write after free)";
        if (!CONFIG_DEBUG_HEAP && CONFIG_KHEAP_DEBUG
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

/* Debug heap: every KHEAP_CHECK_PERIOD frees, check the whole heap, unless
 * a test is damaging it on purpose right now (a planned failure). */
static void periodic_check(void)
{
    static uint64_t frees;                  /* atomic */
    if (__atomic_add_fetch(&frees, 1, __ATOMIC_RELAXED) % KHEAP_CHECK_PERIOD != 0)
        return;
#ifndef HOST_TEST
    if (kcheck_plans_armed())
        return;
#endif
    if (!kheap_check())
        kheap_bug("heap check failed", "the periodic kheap_check() found the damage above");
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
