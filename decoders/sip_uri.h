/* sip_uri.h: name-addr / addr-spec, SIP URI parts, tag and other header parameters (RFC 3261 §19.1,
 * §25.1). */
#ifndef SIPSCOPE_DECODERS_SIP_URI_H
#define SIPSCOPE_DECODERS_SIP_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "sv.h"

/* The parts of a From/To/Contact/P-Asserted-Identity value, as views. */
struct sip_nameaddr {
    struct sv display; /* display name without quotes; may be empty */
    struct sv uri;     /* full URI without <>, e.g. sip:alice@example.com;transport=udp */
    struct sv params;  /* header parameters after the URI (";tag=...;expires=..."), may be empty */
};

/* The parts of a SIP/SIPS/TEL URI. */
struct sip_uri {
    struct sv scheme; /* "sip", "sips", "tel" */
    struct sv user;   /* may be empty */
    struct sv host;   /* without [] for IPv6 literals */
    uint16_t port;    /* 0 when absent */
    struct sv params; /* ";transport=udp;lr" etc., may be empty */
};

/* Parse the first name-addr or addr-spec of a header value. false if no URI found. */
bool sip_nameaddr_parse(struct sv value, struct sip_nameaddr *out);

/* Parse a URI; false if it has no scheme, or (sip/sips) no host. A tel: URI (RFC 3966) has
 * no host: its number comes back in user and host is empty. */
bool sip_uri_parse(struct sv uri, struct sip_uri *out);

/*
 * Address of record of a URI: "scheme:user@host" (no port, no params), the form
 * CDRs carry in `from`/`to`, written into dst (cap bytes). Returns false when
 * truncated or unparseable (dst then holds what fits, or the raw URI).
 */
bool sip_uri_aor(struct sv uri, char *dst, size_t cap);
/* The same from a URI already parsed by sip_uri_parse (cap > 0); false when truncated. */
bool sip_uri_aor_parsed(const struct sip_uri *u, char *dst, size_t cap);

/*
 * Index of the first ',' at or after i outside a quoted string, or v.len: where a value of
 * a comma-separated header (Via, Contact, Route...) ends.
 */
size_t sip_value_end(struct sv v, size_t i);

/* Value of parameter `name` in a ";a=b;c" list (case-insensitive name). found=false if absent. */
bool sip_param(struct sv params, const char *name, struct sv *value);

#endif
