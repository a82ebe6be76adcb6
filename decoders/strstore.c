/* strstore.c: bounded store of short strings in power-of-two size classes (see strstore.h). */
#include "strstore.h"

#include <stdlib.h>
#include <string.h>

const char STRSTORE_EMPTY[] = "";

/* A free block: the link to the next free block of its class sits in its first bytes. */
struct strstore_free {
    struct strstore_free *next;
};

struct strstore {
    char *base;
    size_t cap;
    size_t bump; /* region bytes handed out so far */
    size_t used; /* bytes of blocks holding strings */
    uint64_t full;
    struct strstore_free *free[STRSTORE_CLASSES];
};

_Static_assert(STRSTORE_MIN >= sizeof(struct strstore_free), "a free block holds its link");

static size_t class_size(unsigned k)
{
    return (size_t)STRSTORE_MIN << k;
}

/* The smallest class whose blocks hold n bytes (n <= STRSTORE_MAX). */
static unsigned class_of(size_t n)
{
    unsigned k = 0;
    while (class_size(k) < n)
        k++;
    return k;
}

struct strstore *strstore_create(size_t bytes)
{
    struct strstore *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = bytes / STRSTORE_MAX * STRSTORE_MAX;
    if (s->cap == 0)
        s->cap = STRSTORE_MAX;
    /* calloc: pages are mapped on first touch, so an unused region costs no memory */
    s->base = calloc(1, s->cap);
    if (!s->base) {
        free(s);
        return NULL;
    }
    return s;
}

void strstore_destroy(struct strstore *s)
{
    if (!s)
        return;
    free(s->base);
    free(s);
}

bool strstore_owns(const struct strstore *s, const char *p)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)s->base;
    return a >= b && a - b < s->cap;
}

/* A block of class k, or NULL when neither a free block, the region nor a larger block has one. */
static char *block_get(struct strstore *s, unsigned k)
{
    if (s->free[k]) {
        struct strstore_free *f = s->free[k];
        s->free[k] = f->next;
        return (char *)f;
    }
    /* Blocks from the region are multiples of 16 bytes from its start: aligned for the link. */
    size_t size = class_size(k);
    if (size <= s->cap - s->bump) {
        s->bump += size;
        return s->base + s->bump - size;
    }
    for (unsigned j = k + 1; j < STRSTORE_CLASSES; j++) {
        if (!s->free[j])
            continue;
        char *b = block_get(s, j);
        /* keep the first part, free the halves of the rest down to class k */
        for (unsigned h = j; h > k; h--) {
            struct strstore_free *f = (struct strstore_free *)(void *)(b + class_size(h - 1));
            f->next = s->free[h - 1];
            s->free[h - 1] = f;
        }
        return b;
    }
    return NULL;
}

static void block_put(struct strstore *s, char *p, unsigned k)
{
    struct strstore_free *f = (struct strstore_free *)(void *)p;
    f->next = s->free[k];
    s->free[k] = f;
    s->used -= class_size(k);
}

void *strstore_block_get(struct strstore *s, size_t bytes)
{
    if (bytes == 0 || bytes > STRSTORE_MAX)
        return NULL;
    unsigned k = class_of(bytes);
    char *b = block_get(s, k);
    if (!b) {
        s->full++;
        return NULL;
    }
    s->used += class_size(k);
    return b;
}

void strstore_block_put(struct strstore *s, void *p, size_t bytes)
{
    if (p && bytes && bytes <= STRSTORE_MAX && strstore_owns(s, p))
        block_put(s, p, class_of(bytes));
}

void strstore_clear(struct strstore *s, const char **field)
{
    const char *p = *field;
    *field = STRSTORE_EMPTY;
    if (!p || !strstore_owns(s, p))
        return;
    block_put(s, (char *)(uintptr_t)p, class_of(strlen(p) + 1));
}

void strstore_set_static(struct strstore *s, const char **field, const char *str)
{
    strstore_clear(s, field);
    *field = str;
}

bool strstore_set(struct strstore *s, const char **field, struct sv v, size_t cap)
{
    strstore_clear(s, field);
    if (cap > STRSTORE_MAX)
        cap = STRSTORE_MAX;
    if (cap == 0)
        return v.len == 0;
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    bool whole = n == v.len;
    const char *nul = n ? memchr(v.p, '\0', n) : NULL;
    if (nul)
        n = (size_t)(nul - v.p); /* a C string ends there anyway */
    if (n == 0)
        return whole;
    unsigned k = class_of(n + 1);
    char *b = block_get(s, k);
    while (!b && k > 0) {
        /* no room for the whole value: keep what the largest smaller block holds */
        k--;
        b = block_get(s, k);
    }
    if (!b) {
        s->full++;
        return false;
    }
    if (n + 1 > class_size(k)) {
        n = class_size(k) - 1;
        s->full++;
        whole = false;
    }
    memcpy(b, v.p, n);
    b[n] = '\0';
    s->used += class_size(k);
    *field = b;
    return whole;
}

bool strstore_set_cstr(struct strstore *s, const char **field, const char *str, size_t cap)
{
    return strstore_set(s, field, sv_make(str, strlen(str)), cap);
}

uint64_t strstore_full(const struct strstore *s)
{
    return s->full;
}

size_t strstore_used(const struct strstore *s)
{
    return s->used;
}

size_t strstore_capacity(const struct strstore *s)
{
    return s->cap;
}
