/* sip.h: SIP message parser: start line, header views, Content-Length framing, body (RFC 3261 §7,
 * §18.3, §20). */
#ifndef SIPSCOPE_DECODERS_SIP_H
#define SIPSCOPE_DECODERS_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "sv.h"

/*
 * Bounds. A message is at most SIP_MAX_MESSAGE bytes (UDP datagrams are
 * smaller; TCP framing refuses more). Header lines beyond SIP_MAX_HEADER_LINES
 * make the message malformed, so a hostile message costs a bounded scan.
 */
#define SIP_MAX_MESSAGE (256 * 1024)
#define SIP_MAX_HEADER_LINES 1024
#define SIP_MAX_MULTIPART 16
/*
 * A method token longer than this is taken as "not SIP": the longest method of
 * any RFC is 9 bytes (SUBSCRIBE), and a stream waiting for the rest of a start
 * line must be able to give up early on binary data.
 */
#define SIP_MAX_METHOD_TOKEN 32
/* RFC 2046 §5.1.1: a boundary is 1 to 70 characters. */
#define SIP_MAX_BOUNDARY 70

enum sip_method {
    SIP_METHOD_UNKNOWN = 0,
    SIP_METHOD_INVITE,
    SIP_METHOD_ACK,
    SIP_METHOD_BYE,
    SIP_METHOD_CANCEL,
    SIP_METHOD_REGISTER,
    SIP_METHOD_OPTIONS,
    SIP_METHOD_PRACK,
    SIP_METHOD_SUBSCRIBE,
    SIP_METHOD_NOTIFY,
    SIP_METHOD_PUBLISH,
    SIP_METHOD_INFO,
    SIP_METHOD_REFER,
    SIP_METHOD_MESSAGE,
    SIP_METHOD_UPDATE,
    SIP_METHOD__COUNT
};

/*
 * Headers the decoders use. The parser records the first occurrence of each
 * (full or compact name, any case) and counts all occurrences; other headers
 * are scanned and skipped (they are still reachable through sip_header_next).
 */
enum sip_hdr {
    SIP_HDR_OTHER = 0,
    SIP_HDR_VIA,     /* v */
    SIP_HDR_FROM,    /* f */
    SIP_HDR_TO,      /* t */
    SIP_HDR_CALL_ID, /* i */
    SIP_HDR_CSEQ,
    SIP_HDR_CONTACT,        /* m */
    SIP_HDR_CONTENT_LENGTH, /* l */
    SIP_HDR_CONTENT_TYPE,   /* c */
    SIP_HDR_EXPIRES,
    SIP_HDR_USER_AGENT,
    SIP_HDR_SERVER,
    SIP_HDR_REASON,
    SIP_HDR_P_ASSERTED_IDENTITY,
    SIP_HDR_WWW_AUTHENTICATE,
    SIP_HDR_PROXY_AUTHENTICATE,
    SIP_HDR_AUTHORIZATION,
    SIP_HDR_PROXY_AUTHORIZATION,
    SIP_HDR_RECORD_ROUTE,
    SIP_HDR_ROUTE,
    SIP_HDR_MAX_FORWARDS,
    SIP_HDR_SUBJECT,   /* s */
    SIP_HDR_SUPPORTED, /* k */
    SIP_HDR_REQUIRE,
    SIP_HDR_EVENT, /* o */
    SIP_HDR_SUBSCRIPTION_STATE,
    SIP_HDR_REFER_TO, /* r */
    SIP_HDR_WARNING,
    SIP_HDR_ALLOW,
    SIP_HDR_RSEQ,
    SIP_HDR_RACK,
    SIP_HDR__COUNT
};

/* Anomaly bits: the message parsed, but something about it was off (counted, never logged). */
enum sip_anomaly {
    SIP_ANOM_CL_MISSING = 1u << 0,  /* no Content-Length (body taken to end of datagram) */
    SIP_ANOM_CL_MISMATCH = 1u << 1, /* Content-Length disagrees with the bytes present */
    SIP_ANOM_CL_BAD = 1u << 2,      /* Content-Length not a number */
    SIP_ANOM_FOLDED = 1u << 3,      /* obsolete line folding used */
    SIP_ANOM_BARE_LF = 1u << 4,     /* lines end in LF only */
    SIP_ANOM_NUL = 1u << 5,         /* NUL bytes in the header section */
    SIP_ANOM_NO_CALL_ID = 1u << 6,
    SIP_ANOM_NO_CSEQ = 1u << 7,
    SIP_ANOM_BAD_CSEQ = 1u << 8,
    SIP_ANOM_NO_FROM_TO = 1u << 9,
    SIP_ANOM_DUP_HEADER = 1u << 10,    /* a single-valued header (Call-ID, CSeq...) repeated */
    SIP_ANOM_LEADING_JUNK = 1u << 11,  /* CRLFs or junk skipped before the start line */
    SIP_ANOM_BAD_VERSION = 1u << 12,   /* SIP-Version other than SIP/2.0 */
    SIP_ANOM_MULTIPART_BAD = 1u << 13, /* multipart body whose boundary could not be followed */
};

/*
 * A parsed message: views into the caller's buffer, valid as long as it is.
 * Header values are trimmed of surrounding whitespace but may contain folds
 * (CRLF followed by SP/HTAB); sub-parsers treat those as whitespace.
 */
struct sip_msg {
    size_t wire_len; /* bytes this message occupies in the input */
    bool is_request;
    enum sip_method method; /* request method (requests) */
    struct sv method_name;  /* the method token as written (requests) */
    struct sv request_uri;  /* requests */
    uint16_t status;        /* responses: 100..699 */
    struct sv reason;       /* responses: reason phrase */

    struct sv hdr[SIP_HDR__COUNT]; /* first occurrence of each known header */
    uint16_t hdr_count[SIP_HDR__COUNT];
    uint16_t header_lines; /* all header lines, known or not */
    struct sv headers;     /* the whole header section (after the start line) */

    /* Derived from the headers above (empty views when absent). */
    struct sv call_id;
    uint32_t cseq;
    enum sip_method cseq_method;
    struct sv cseq_method_name;
    struct sv via_branch;    /* branch param of the top Via */
    struct sv via_sent_by;   /* host[:port] of the top Via */
    struct sv via_transport; /* UDP, TCP, TLS, WS... of the top Via */
    struct sv from_tag;
    struct sv to_tag;

    bool has_content_length;
    uint32_t content_length;
    struct sv content_type; /* media type only, without parameters */
    struct sv body;         /* the whole body (Content-Length bytes) */
    struct sv sdp;          /* the application/sdp body or multipart part; empty if none */

    uint32_t anomalies; /* enum sip_anomaly bits */

    /*
     * The whole message as on the wire: start line, headers, blank line and
     * body (leading CRLFs not included); wire_len may be longer by those and
     * by trailing bytes a datagram carried past Content-Length. Empty when
     * the parse did not get as far as the body.
     */
    struct sv raw;
};

/*
 * Parse one SIP message at the start of buf[0..len).
 *
 * stream: false for a UDP datagram (RFC 3261 §18.3: a missing Content-Length
 *   means the body runs to the end of the datagram; a Content-Length larger
 *   than what is left makes the message MALFORMED); true for a TCP byte stream
 *   (Content-Length is required; a message not yet complete is NEED_MORE).
 *
 * Returns:
 *   STATUS_OK        *out describes one message of out->wire_len bytes; more
 *                    messages may follow at buf + out->wire_len.
 *   STATUS_NEED_MORE (stream only) the message is not complete yet.
 *   STATUS_NOT_SIP   the bytes do not start like a SIP request or response
 *                    (out->wire_len: how many bytes to skip, at least 1).
 *   STATUS_MALFORMED a SIP start line, but the message is broken (out->wire_len:
 *                    bytes to skip; for a datagram, the rest of it).
 * Leading CRLFs (RFC 5626 keepalives) are skipped and counted in wire_len; a
 * buffer holding only CRLFs returns STATUS_NOT_SIP with SIP_ANOM_LEADING_JUNK
 * clear and wire_len == len, so callers can tell a keepalive from junk with
 * sip_is_keepalive().
 * The parser does not allocate, print or touch globals.
 */
enum status sip_parse(const uint8_t *buf, size_t len, bool stream, struct sip_msg *out);

/* True when buf holds only CR and LF bytes (a keepalive, not an error). */
bool sip_is_keepalive(const uint8_t *buf, size_t len);

/* Quick test used to find SIP on unexpected ports: does buf start with a SIP start line? */
bool sip_looks_like(const uint8_t *buf, size_t len);

/* Method token -> enum (case-sensitive, RFC 3261 §7.1); SIP_METHOD_UNKNOWN otherwise. */
enum sip_method sip_method_from(struct sv token);
/* Canonical name of a method ("INVITE"); "UNKNOWN" for SIP_METHOD_UNKNOWN. */
const char *sip_method_name(enum sip_method m);
/* Header name (full or compact, any case) -> enum; SIP_HDR_OTHER when not tracked. */
enum sip_hdr sip_hdr_from(struct sv name);

/*
 * Iterate over every header line of msg->headers, known or not: pass *pos = 0
 * first; returns false at the end. Folded values come back unfolded only in
 * the sense that the view spans the fold.
 */
bool sip_header_next(const struct sip_msg *msg, size_t *pos, struct sv *name, struct sv *value);

#endif
