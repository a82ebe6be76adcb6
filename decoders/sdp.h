/* sdp.h: SDP parser: c=, m=, a=rtpmap/fmtp/ptime/rtcp/direction into bounded arrays (RFC 4566, RFC
 * 3264, RFC 3605). */
#ifndef SIPSCOPE_DECODERS_SDP_H
#define SIPSCOPE_DECODERS_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "status.h"
#include "sv.h"

#define SDP_MAX_MEDIA 16   /* m= lines kept; more are counted in media_dropped */
#define SDP_MAX_FMT 32     /* payload types per m= line */
#define SDP_MAX_RTPMAP 32  /* a=rtpmap / a=fmtp per m= line */
#define SDP_MAX_LINES 4096 /* lines scanned per body */

enum sdp_dir {
    SDP_DIR_SENDRECV = 0, /* the default (RFC 4566 §6) */
    SDP_DIR_SENDONLY,
    SDP_DIR_RECVONLY,
    SDP_DIR_INACTIVE,
};

enum sdp_anomaly {
    SDP_ANOM_BAD_LINE = 1u << 0,  /* a line that is not <type>=<value> */
    SDP_ANOM_BAD_CONN = 1u << 1,  /* c= that did not parse */
    SDP_ANOM_BAD_MEDIA = 1u << 2, /* m= that did not parse */
    SDP_ANOM_TOO_MANY = 1u << 3,  /* a bound above was hit */
    SDP_ANOM_NO_CONN = 1u << 4,   /* an m= with no c= at media or session level */
};

struct sdp_rtpmap {
    uint8_t pt;
    struct sv name; /* encoding name as written ("PCMA", "telephone-event") */
    uint32_t clock_rate;
    uint8_t channels; /* 0 when not given */
    struct sv fmtp;   /* a=fmtp parameters for this pt, empty if none */
};

struct sdp_media {
    struct sv media;     /* "audio", "video", "image"... */
    uint16_t port;       /* 0 = stream rejected/disabled (RFC 3264 §6) */
    uint16_t port_count; /* m=audio 49170/2: 2; else 1 */
    struct sv proto;     /* "RTP/AVP", "RTP/SAVP", "udptl"... */
    uint8_t fmt[SDP_MAX_FMT];
    uint8_t fmt_count;
    struct sdp_rtpmap rtpmap[SDP_MAX_RTPMAP];
    uint8_t rtpmap_count;
    struct addr conn;      /* media-level c=, or the session-level one inherited */
    uint32_t ptime_ms;     /* 0 when absent */
    uint16_t rtcp_port;    /* a=rtcp port, or port+1 when absent (RFC 3605 / RFC 3550 §11) */
    struct addr rtcp_addr; /* a=rtcp address when given, else conn */
    bool rtcp_explicit;    /* a=rtcp was present */
    bool rtcp_mux;         /* a=rtcp-mux */
    enum sdp_dir dir;      /* media-level attribute, else session-level, else sendrecv */
    bool hold;             /* conn is 0.0.0.0/:: or dir is sendonly/inactive (RFC 3264 §8.4) */
};

struct sdp_session {
    struct sv origin_user; /* o= username */
    uint64_t sess_id;
    uint64_t sess_version;
    struct addr origin_addr;
    struct sv session_name; /* s= (may hold NULs; use as a view) */
    struct addr conn;       /* session-level c=, family 0 when absent */
    enum sdp_dir dir;       /* session-level direction attribute */
    struct sdp_media media[SDP_MAX_MEDIA];
    uint8_t media_count;
    uint8_t media_dropped; /* m= lines beyond SDP_MAX_MEDIA */
    uint32_t anomalies;    /* enum sdp_anomaly bits */
};

/*
 * Parse an SDP body (CRLF or bare LF lines). Unknown lines and attributes are
 * skipped. STATUS_OK if at least a v= or an m= line was understood, else
 * STATUS_MALFORMED. Views point into buf; no allocation.
 */
enum status sdp_parse(const uint8_t *buf, size_t len, struct sdp_session *out);

/*
 * Encoding name of payload type pt in media m: its a=rtpmap, else the RFC 3551
 * static assignment ("PCMU", "PCMA", "G729"...), else empty view. *clock_rate
 * (may be NULL) gets the clock rate, 0 if unknown.
 */
struct sv sdp_media_codec(const struct sdp_media *m, uint8_t pt, uint32_t *clock_rate);

/* First payload type of m that is a real codec (not telephone-event, CN, red, fec); -1 if none. */
int sdp_media_first_codec(const struct sdp_media *m);

const char *sdp_dir_name(enum sdp_dir d);

#endif
