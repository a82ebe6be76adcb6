/* sv.h: string views (pointer + length) into packet bytes; never NUL-terminated. */
#ifndef SIPSCOPE_DECODERS_SV_H
#define SIPSCOPE_DECODERS_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hashkey.h"

/*
 * A view is valid only while the bytes it points at are: for packet data,
 * until the frame slot is released (house style rule 7). Never store one in a
 * long-lived record; copy into a fixed-size field instead (sv_copy).
 */
struct sv {
    const char *p;
    size_t len;
};

#define SV_FMT "%.*s"
#define SV_ARG(v) (int)(v).len, (v).p
#define SV_NULL ((struct sv){NULL, 0})
#define SV_LIT(s) ((struct sv){(s), sizeof(s) - 1})

static inline struct sv sv_make(const void *p, size_t len)
{
    return (struct sv){(const char *)p, len};
}

static inline bool sv_empty(struct sv v)
{
    return v.len == 0;
}

static inline bool sv_eq(struct sv a, struct sv b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline char sv_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* ASCII case-insensitive equality (header names, tokens). */
static inline bool sv_case_eq(struct sv a, struct sv b)
{
    if (a.len != b.len)
        return false;
    /* equal bytes need no folding: most names come in the case they are compared with */
    for (size_t i = 0; i < a.len; i++)
        if (a.p[i] != b.p[i] && sv_lower(a.p[i]) != sv_lower(b.p[i]))
            return false;
    return true;
}

/* Case-insensitive comparison with a C string literal or constant. */
static inline bool sv_case_eq_cstr(struct sv a, const char *s)
{
    return sv_case_eq(a, sv_make(s, strlen(s)));
}

static inline bool sv_starts_with_case(struct sv a, const char *s)
{
    size_t n = strlen(s);
    return a.len >= n && sv_case_eq(sv_make(a.p, n), sv_make(s, n));
}

/* Linear whitespace of SIP (RFC 3261 §25.1): SP, HTAB, and the CR/LF of a fold. */
static inline bool sv_is_lws(char c)
{
    /* one compare and a bit test: bits 9 (HTAB), 10 (LF), 13 (CR) and 32 (SP) */
    unsigned char u = (unsigned char)c;
    return u <= ' ' && ((0x100002600ULL >> u) & 1u);
}

static inline struct sv sv_trim(struct sv v)
{
    while (v.len && sv_is_lws(v.p[0])) {
        v.p++;
        v.len--;
    }
    while (v.len && sv_is_lws(v.p[v.len - 1]))
        v.len--;
    return v;
}

/* Sub-view [from, from+n), clamped to the view. */
static inline struct sv sv_sub(struct sv v, size_t from, size_t n)
{
    if (from > v.len)
        from = v.len;
    if (n > v.len - from)
        n = v.len - from;
    return sv_make(v.p + from, n);
}

/* Index of the first byte c in v, or v.len when absent (bounded memchr). */
static inline size_t sv_find(struct sv v, char c)
{
    const char *q = v.len ? memchr(v.p, c, v.len) : NULL;
    return q ? (size_t)(q - v.p) : v.len;
}

/*
 * Parse a decimal unsigned number that fills the whole (trimmed) view.
 * Rejects empty input, signs, non-digits and values above UINT32_MAX.
 */
static inline bool sv_to_u32(struct sv v, uint32_t *out)
{
    v = sv_trim(v);
    if (v.len == 0 || v.len > 10)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (n > UINT32_MAX)
        return false;
    *out = (uint32_t)n;
    return true;
}

/*
 * Copy a view into a fixed-size field, NUL-terminated. Returns false when the
 * view did not fit and was truncated (callers count that).
 */
static inline bool sv_copy(char *dst, size_t cap, struct sv v)
{
    if (cap == 0)
        return false;
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    if (n)
        memcpy(dst, v.p, n);
    dst[n] = '\0';
    return n == v.len;
}

/* v in decimal at o (at most 10 digits, no NUL); returns the end. Hand-made: no snprintf on
 * the paths that print a port, a status code or a payload type per message. */
static inline char *sv_put_uint(char *o, uint32_t v)
{
    char t[10];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = t[--n];
    return o;
}

/*
 * Hash of a view, eight bytes at a step (FNV-1a's byte loop was 4% of the
 * SIP-heavy bench: Call-IDs, tags and branches are hashed per message); seed
 * chains several views into one key. The length goes in too, so that chained
 * views split at different places differ. Keyed (hashkey.h): the bytes come
 * from the wire.
 */
static inline uint64_t sv_hash(struct sv v, uint64_t seed)
{
    uint64_t h = hash_step(hash_start(seed), v.len);
    size_t i = 0;
    for (; i + 8 <= v.len; i += 8) {
        uint64_t w;
        memcpy(&w, v.p + i, 8);
        h = hash_step(h, w);
    }
    if (i < v.len) {
        uint64_t w = 0;
        for (size_t k = 0; i + k < v.len; k++)
            w |= (uint64_t)(uint8_t)v.p[i + k] << (8 * k);
        h = hash_step(h, w);
    }
    return h;
}

#endif
