/* cursor.h: bounds-checked big-endian byte reader with a sticky error flag. */
#ifndef SIPSCOPE_DECODERS_CURSOR_H
#define SIPSCOPE_DECODERS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The only way binary decoders touch packet bytes (house style rule 8). A read
 * past the end sets `bad` and returns 0; check `bad` once per header. Integers
 * are assembled byte by byte, so alignment never matters.
 */
struct cursor {
    const uint8_t *p;
    const uint8_t *end;
    bool bad;
};

static inline struct cursor cur_make(const uint8_t *p, size_t len)
{
    return (struct cursor){p, p + len, false};
}

static inline size_t cur_left(const struct cursor *c)
{
    return c->bad ? 0 : (size_t)(c->end - c->p);
}

static inline bool cur_need(struct cursor *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        return false;
    }
    return true;
}

static inline uint8_t cur_u8(struct cursor *c)
{
    if (!cur_need(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
    if (!cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
    if (!cur_need(c, 3))
        return 0;
    uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
    if (!cur_need(c, 4))
        return 0;
    uint32_t v =
        (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return v;
}

/* Little-endian reads, for the few host-order fields (BSD loopback AF, pcap headers). */
static inline uint16_t cur_le16(struct cursor *c)
{
    if (!cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
    c->p += 2;
    return v;
}

static inline uint32_t cur_le32(struct cursor *c)
{
    if (!cur_need(c, 4))
        return 0;
    uint32_t v =
        (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
    c->p += 4;
    return v;
}

static inline void cur_skip(struct cursor *c, size_t n)
{
    if (cur_need(c, n))
        c->p += n;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and bad) if absent. */
static inline const uint8_t *cur_bytes(struct cursor *c, size_t n)
{
    if (!cur_need(c, n))
        return NULL;
    const uint8_t *q = c->p;
    c->p += n;
    return q;
}

#endif
