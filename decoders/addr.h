/* addr.h: IPv4/IPv6 addresses and ip:port endpoints, parsed and printed (RFC 5952 text). */
#ifndef SIPSCOPE_DECODERS_ADDR_H
#define SIPSCOPE_DECODERS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

/* Longest text form: "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" plus NUL. */
#define ADDR_STR_MAX 56

/* An IP address in network byte order; family 0 means "none". v4 uses b[0..3]. */
struct addr {
    uint8_t family; /* 0, 4 or 6 */
    uint8_t b[16];
};

struct endpoint {
    struct addr ip;
    uint16_t port;
};

bool addr_eq(const struct addr *a, const struct addr *b);
bool endpoint_eq(const struct endpoint *a, const struct endpoint *b);

/* True for 0.0.0.0 / :: (SDP hold, RFC 3264 §8.4) */
bool addr_is_unspecified(const struct addr *a);
/* True for RFC 1918, 100.64/10 CGNAT, fc00::/7 and link-local ranges. */
bool addr_is_private(const struct addr *a);

/*
 * Parse dotted IPv4 or RFC 4291 IPv6 text (with or without [brackets]) from a
 * view. Returns false and leaves *out zeroed on anything else.
 */
bool addr_parse(struct sv text, struct addr *out);

/* Write "1.2.3.4" or "2001:db8::1" into buf (cap >= ADDR_STR_MAX); returns buf. */
char *addr_format(const struct addr *a, char *buf, size_t cap);
/* Write "1.2.3.4:5060" or "[2001:db8::1]:5060"; returns buf. */
char *endpoint_format(const struct endpoint *e, char *buf, size_t cap);

/* Hash of an endpoint, for table keys: keyed (hashkey.h); seed 0, or an earlier hash to chain. */
uint64_t endpoint_hash(const struct endpoint *e, uint64_t seed);

#endif
