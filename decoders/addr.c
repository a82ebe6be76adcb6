/* addr.c: IPv4/IPv6 address parsing and RFC 5952 printing, without inet_pton on packet data. */
#include "addr.h"

#include "hashkey.h"

#include <stdio.h>
#include <string.h>

bool addr_eq(const struct addr *a, const struct addr *b)
{
    if (a->family != b->family)
        return false;
    size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;
    return memcmp(a->b, b->b, n) == 0;
}

bool endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
    return a->port == b->port && addr_eq(&a->ip, &b->ip);
}

bool addr_is_unspecified(const struct addr *a)
{
    static const uint8_t zero[16];
    if (a->family == 4)
        return memcmp(a->b, zero, 4) == 0;
    if (a->family == 6)
        return memcmp(a->b, zero, 16) == 0;
    return false;
}

bool addr_is_private(const struct addr *a)
{
    const uint8_t *b = a->b;
    if (a->family == 4)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254);
    if (a->family == 6)
        return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
    return false;
}

static bool parse_v4(struct sv t, uint8_t out[4])
{
    unsigned part = 0, val = 0, digits = 0;
    for (size_t i = 0; i <= t.len; i++) {
        char c = i < t.len ? t.p[i] : '.';
        if (c >= '0' && c <= '9') {
            val = val * 10 + (unsigned)(c - '0');
            if (++digits > 3 || val > 255)
                return false;
        } else if (c == '.') {
            if (digits == 0 || part > 3)
                return false;
            out[part++] = (uint8_t)val;
            val = digits = 0;
        } else {
            return false;
        }
    }
    return part == 4;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = sv_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* RFC 4291 §2.2 text forms, including "::" and a trailing dotted quad. */
static bool parse_v6(struct sv t, uint8_t out[16])
{
    uint16_t words[8];
    int n = 0, gap = -1;
    size_t i = 0;
    if (t.len >= 2 && t.p[0] == ':' && t.p[1] == ':') {
        gap = 0;
        i = 2;
        if (t.len == 2)
            goto done;
    } else if (t.len && t.p[0] == ':') {
        return false;
    }
    while (i < t.len) {
        if (n >= 8)
            return false;
        size_t start = i;
        unsigned v = 0;
        int digits = 0;
        while (i < t.len && hexval(t.p[i]) >= 0 && digits < 5) {
            v = v * 16 + (unsigned)hexval(t.p[i]);
            digits++;
            i++;
        }
        if (i < t.len && t.p[i] == '.') {
            /* embedded IPv4 in the last 32 bits */
            uint8_t q[4];
            if (n > 6 || !parse_v4(sv_sub(t, start, t.len - start), q))
                return false;
            words[n++] = (uint16_t)(q[0] << 8 | q[1]);
            words[n++] = (uint16_t)(q[2] << 8 | q[3]);
            i = t.len;
            break;
        }
        if (digits == 0 || digits > 4)
            return false;
        words[n++] = (uint16_t)v;
        if (i == t.len)
            break;
        if (t.p[i] != ':')
            return false;
        i++;
        if (i < t.len && t.p[i] == ':') {
            if (gap >= 0)
                return false;
            gap = n;
            i++;
            if (i == t.len)
                break;
        } else if (i == t.len) {
            return false;
        }
    }
done:
    if (gap < 0 && n != 8)
        return false;
    if (gap >= 0 && n > 7)
        return false;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    int head = gap < 0 ? n : gap;
    for (int k = 0; k < head; k++) {
        out[2 * k] = (uint8_t)(words[k] >> 8);
        out[2 * k + 1] = (uint8_t)words[k];
    }
    for (int k = 0; k < tail; k++) {
        int w = 8 - tail + k;
        out[2 * w] = (uint8_t)(words[head + k] >> 8);
        out[2 * w + 1] = (uint8_t)words[head + k];
    }
    return true;
}

bool addr_parse(struct sv text, struct addr *out)
{
    memset(out, 0, sizeof *out);
    struct sv t = sv_trim(text);
    if (t.len >= 2 && t.p[0] == '[' && t.p[t.len - 1] == ']')
        t = sv_sub(t, 1, t.len - 2);
    if (t.len == 0 || t.len > 45)
        return false;
    /* IPv4 first, the usual case: a text with a ':' fails it at the colon, and one longer than
     * "255.255.255.255" cannot pass it. */
    if (t.len <= 15 && parse_v4(t, out->b)) {
        out->family = 4;
        return true;
    }
    memset(out, 0, sizeof *out); /* parse_v4 may have stored some octets */
    if (sv_find(t, ':') == t.len || !parse_v6(t, out->b))
        return false;
    out->family = 6;
    return true;
}

/* "a.b.c.d" at o (15 bytes at most); returns the end. snprintf costs ~40x this per address. */
static char *addr_put_v4(char *o, const uint8_t *b)
{
    for (int k = 0; k < 4; k++) {
        unsigned v = b[k];
        if (k)
            *o++ = '.';
        if (v >= 100) {
            *o++ = (char)('0' + v / 100);
            v %= 100;
            *o++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *o++ = (char)('0' + v / 10);
        }
        *o++ = (char)('0' + v % 10);
    }
    return o;
}

char *addr_format(const struct addr *a, char *buf, size_t cap)
{
    if (a->family == 4 && cap >= ADDR_STR_MAX) {
        *addr_put_v4(buf, a->b) = '\0';
        return buf;
    }
    if (a->family == 4) {
        snprintf(buf, cap, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
        return buf;
    }
    if (a->family != 6) {
        snprintf(buf, cap, "-");
        return buf;
    }
    /* RFC 5952 §4.2: compress the longest run (>= 2) of zero words, first if tied. */
    uint16_t w[8];
    for (int k = 0; k < 8; k++)
        w[k] = (uint16_t)(a->b[2 * k] << 8 | a->b[2 * k + 1]);
    int best = -1, best_len = 1;
    for (int k = 0; k < 8;) {
        if (w[k]) {
            k++;
            continue;
        }
        int s = k;
        while (k < 8 && !w[k])
            k++;
        if (k - s > best_len) {
            best = s;
            best_len = k - s;
        }
    }
    size_t off = 0;
    buf[0] = '\0';
    for (int k = 0; k < 8 && off < cap; k++) {
        if (k == best) {
            off += (size_t)snprintf(buf + off, cap - off, "::");
            k += best_len - 1;
            continue;
        }
        /* RFC 5952 §5: IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
         * addresses end in dotted decimal, as inet_ntop and tshark print them. */
        if (k == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            snprintf(buf + off, cap - off, "%s%u.%u.%u.%u", best_len == 5 ? ":" : "", a->b[12],
                     a->b[13], a->b[14], a->b[15]);
            break;
        }
        int n =
            snprintf(buf + off, cap - off, "%s%x", (k && k != best + best_len) ? ":" : "", w[k]);
        off += (size_t)n;
    }
    return buf;
}

char *endpoint_format(const struct endpoint *e, char *buf, size_t cap)
{
    if (e->ip.family == 4 && cap >= ADDR_STR_MAX) {
        char *o = addr_put_v4(buf, e->ip.b);
        *o++ = ':';
        *sv_put_uint(o, e->port) = '\0';
        return buf;
    }
    char ip[ADDR_STR_MAX];
    addr_format(&e->ip, ip, sizeof ip);
    if (e->ip.family == 6)
        snprintf(buf, cap, "[%s]:%u", ip, e->port);
    else
        snprintf(buf, cap, "%s:%u", ip, e->port);
    return buf;
}

uint64_t endpoint_hash(const struct endpoint *e, uint64_t seed)
{
    /* Only the bytes the family uses, so that endpoints endpoint_eq() calls equal hash equal;
     * word-wise, as this runs several times per SIP message and per stream. */
    uint64_t h = hash_start(seed);
    uint64_t tail = (uint64_t)e->ip.family << 16 | e->port;
    if (e->ip.family == 4) {
        uint32_t a;
        memcpy(&a, e->ip.b, 4);
        return hash_step(h, tail << 32 | a);
    }
    if (e->ip.family == 6) {
        uint64_t w0, w1;
        memcpy(&w0, e->ip.b, 8);
        memcpy(&w1, e->ip.b + 8, 8);
        h = hash_step(h, w0);
        h = hash_step(h, w1);
    }
    return hash_step(h, tail);
}
