/* call.h: the call record (INVITE dialogs of one Call-ID), its ladder entries and its lifecycle
 * (RFC 3261 §12-§17). */
#ifndef SIPSCOPE_DECODERS_CALL_H
#define SIPSCOPE_DECODERS_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "pool.h"
#include "sip.h"

/*
 * Caps of the text fields: longer values are truncated on copy and counted.
 * The fields are `const char *` into the call table's string store
 * (strstore.h), never NULL: "" when empty, else a string of at most cap - 1
 * chars, which takes only the store block its length needs. They live as
 * long as the call record (freed when the call is released).
 */
#define CALL_ID_MAX 128
#define CALL_AOR_MAX 96
#define CALL_TAG_MAX 64
#define CALL_UA_MAX 64
#define CALL_REASON_MAX 64
#define CALL_CODEC_MAX 16
#define CALL_MAX_DIALOGS 4 /* early dialogs (forks) kept per call */
#define CALL_MSG_HINTS 8   /* ladder entries the call also lists by index (a plain call has 7) */
#define CALL_SEEN_KEYS 8   /* message signatures kept in the call (a plain call has 7) */
#define CALL_SEEN_SPILLED 0x80 /* struct call.seen_pos flag */
#define CALL_MAX_CODECS 8      /* codec names kept per offer/answer */
#define CALL_MSG_LABEL_MAX 40
#define CALL_MAX_MEDIA_ENDPOINTS 16 /* SDP-announced endpoints (RTP and RTCP) kept per call */

enum call_state {
    CALL_STATE_TRYING = 0, /* INVITE sent, no final response (100 or nothing) */
    CALL_STATE_RINGING,    /* 180/183 seen, no final response */
    CALL_STATE_ANSWERED,   /* 2xx seen, no BYE yet */
    CALL_STATE_COMPLETED,  /* answered, then ended by BYE */
    CALL_STATE_CANCELLED,  /* CANCEL / 487 */
    CALL_STATE_BUSY,       /* 486, 600 */
    CALL_STATE_REJECTED,   /* any other final 3xx-6xx */
    CALL_STATE_TIMEOUT,    /* 408, or no final response in time */
};

enum call_transport {
    CALL_TRANSPORT_UDP = 0,
    CALL_TRANSPORT_TCP,
    CALL_TRANSPORT_TLS,
    CALL_TRANSPORT_SCTP,
    CALL_TRANSPORT_WS,
};

/* Who did something: the party that sent the first INVITE, or the other one. */
enum call_party {
    CALL_PARTY_NONE = 0,
    CALL_PARTY_CALLER,
    CALL_PARTY_CALLEE,
};

/* One SIP message of the call, for the ladder and the counters. */
enum call_msg_flag {
    CALL_MSG_RETRANS = 1u << 0,  /* a retransmission of an earlier message */
    CALL_MSG_SDP = 1u << 1,      /* carried SDP (its sdp record is set) */
    CALL_MSG_REINVITE = 1u << 2, /* INVITE inside an established dialog */
};

/* What a message's SDP announced: a record of its own, taken only by messages that carry SDP. */
struct call_msg_sdp {
    const char *codec;     /* first codec of the first audio m= line ("" if none; CALL_CODEC_MAX) */
    struct endpoint media; /* its c=/m= address and port */
    uint8_t dir;           /* enum sdp_dir */
};

/* call_msg.sdp of a message without SDP: no codec, no address, dir 0. */
extern const struct call_msg_sdp call_msg_no_sdp;

/*
 * A message that did not go between the call's src and dst (a proxy's other
 * leg, a fork) takes this record instead of an SDP one: call_msg.sdp points
 * at its sdp member (no SDP: as call_msg_no_sdp), and call_msg_src/dst read
 * src and dst from it.
 */
struct call_msg_route {
    struct call_msg_sdp sdp; /* first: call_msg.sdp points here */
    struct endpoint src;
    struct endpoint dst;
};

/* call_msg.path: where a message went (read it with call_msg_src/call_msg_dst). */
enum call_msg_path {
    CALL_MSG_PATH_FWD = 0, /* the call's src to its dst (as the first INVITE) */
    CALL_MSG_PATH_REV,     /* the call's dst to its src */
    CALL_MSG_PATH_ROUTE,   /* elsewhere: call_msg.sdp is a struct call_msg_route's sdp */
};

/* One SIP message of the call, for the ladder and the counters (40 bytes: about 7 per call). */
struct call_msg {
    uint64_t ts_ns;
    uint32_t cseq;
    uint16_t status; /* 0 for requests */
    uint8_t method;  /* enum sip_method of a request, or of the CSeq for a response */
    uint8_t flags;   /* enum call_msg_flag */
    uint32_t next;   /* pool index of the next message, POOL_NONE at the end */
    uint8_t path;    /* enum call_msg_path (read call_msg_src/call_msg_dst) */
    /*
     * "INVITE", "180 Ringing", "FOO" (unknown method): CALL_MSG_LABEL_MAX - 1
     * chars at most. Never NULL: a literal for the usual methods and
     * responses, else a string of the call table's string store (freed with
     * the message, like the call's text fields).
     */
    const char *label;
    /* never NULL: &call_msg_no_sdp unless CALL_MSG_SDP (or CALL_MSG_PATH_ROUTE: see there) */
    const struct call_msg_sdp *sdp;
    /*
     * The message's SIP text, if the correlator keeps texts, is read with
     * correlate_msg_text() (its whereabouts are the correlator's, kept apart
     * so that messages cost nothing for it when texts are off).
     */
};

/* An offer or an answer as the call remembers it (copied out of the SDP views). */
struct call_sdp {
    bool present;
    uint8_t party; /* enum call_party that sent it */
    uint8_t dir;   /* enum sdp_dir */
    uint8_t codec_count;
    struct endpoint media; /* first audio m=: c= address and port */
    /*
     * codec_count names (each CALL_CODEC_MAX - 1 chars at most: a codec
     * table entry, or the string store), in an array that is itself a block
     * of the string store; NULL while codec_count is 0.
     */
    const char **codecs;
};

/* Text fields of the call: string store pointers, never NULL (see the caps above). */
struct call {
    const char *call_id;   /* CALL_ID_MAX */
    const char *from;      /* CALL_AOR_MAX: AOR "sip:alice@example.com" */
    const char *to;        /* CALL_AOR_MAX */
    const char *from_user; /* CALL_TAG_MAX */
    const char *to_user;   /* CALL_TAG_MAX */
    const char *from_tag;  /* CALL_TAG_MAX */
    const char *to_tag; /* CALL_TAG_MAX: tag of the dialog that answered (or the first early one) */
    const char *request_uri;   /* CALL_AOR_MAX */
    const char *pai;           /* CALL_AOR_MAX */
    const char *ua_caller;     /* CALL_UA_MAX */
    const char *ua_callee;     /* CALL_UA_MAX */
    const char *reason_header; /* CALL_REASON_MAX */

    struct endpoint src; /* sender of the first INVITE */
    struct endpoint dst; /* its destination */
    enum call_transport transport;
    enum call_state state;

    uint64_t start_ns;   /* first INVITE */
    uint64_t trying_ns;  /* first 100, 0 if none */
    uint64_t ringing_ns; /* first 180/183, 0 if none */
    uint64_t answer_ns;  /* first 2xx to the initial INVITE, 0 if none */
    uint64_t end_ns;     /* BYE, CANCEL or final non-2xx, 0 if none */
    uint64_t last_ns;    /* newest SIP message of the call */

    const char *end_reason; /* "bye", "cancel", "rejected", "timeout", "end_of_capture", "evicted":
                             * a literal, "" while none */
    uint64_t capture_drops_kernel; /* packets the kernel dropped while the call was up */
    uint64_t capture_drops_ring;   /* packets the capture ring dropped while the call was up */
    enum call_party hangup_by;     /* who sent BYE or CANCEL */
    uint16_t final_code;           /* final response to the initial INVITE, 0 if none */
    uint16_t first_provisional;    /* 180 or 183 that set ringing_ns */
    uint32_t sip_messages;         /* retransmissions included */
    uint32_t retransmissions;
    uint16_t auth_challenges; /* 401/407 to INVITEs */
    uint16_t reinvites;       /* INVITE/UPDATE with SDP inside the dialog */
    uint16_t forks;           /* distinct to-tags beyond the first */
    uint16_t dialog_count;
    const char *dialog_tags[CALL_MAX_DIALOGS]; /* CALL_TAG_MAX; the first dialog_count are set */

    struct call_sdp offer;  /* the initial INVITE's (or the first) offer */
    struct call_sdp answer; /* the answer to it (18x or 2xx) */

    /* Media (decoders/media.c): announced endpoints and the call's RTP streams, by pool index. */
    uint32_t media_ep_head; /* first endpoint (chained in media.c), POOL_NONE if none */
    uint32_t stream_head;
    uint32_t stream_tail;
    uint32_t stream_count;

    /* Ladder entries in arrival order: indices into the call table's message pool. */
    uint32_t msg_head;
    uint32_t msg_tail;
    uint32_t msg_count;
    uint32_t msg_dropped; /* entries not kept (per-call cap or pool full) */
    /* The first CALL_MSG_HINTS entries' indices again (entries stay until the call goes): the
     * look-ahead before a call is closed loads them all at once, not one hop at a time. */
    uint32_t msg_hint[CALL_MSG_HINTS];

    /* Table bookkeeping (owned by call.c). */
    uint64_t id_hash;
    uint64_t seq;       /* order of creation from 1, for stable output */
    uint64_t cancel_ns; /* first CANCEL */
    uint32_t hash_next;
    struct pool_link lru; /* on one of the table's expiry queues */
    uint32_t invite_cseq; /* CSeq of the current initial INVITE transaction */

    /*
     * Retransmission detection for the call's own messages (correlate.c): the
     * signatures of its last CALL_SEEN_KEYS distinct messages, in the record the
     * message had to reach anyway. An older one is handed to the shared table.
     */
    uint64_t seen_keys[CALL_SEEN_KEYS];

    /* the byte-sized fields together (no padding between them) */
    uint8_t media_ep_count;   /* announced endpoints remembered (media.c) */
    uint8_t media_ep_dropped; /* endpoints not remembered (cap above) */
    uint8_t queue;            /* which queue (correlate.c) */
    bool early_media_sdp;     /* a 18x carried SDP */
    bool cancel_seen;
    bool ended;       /* final state reached; lingers for retransmissions */
    uint8_t seen_len; /* seen_keys in use */
    uint8_t seen_pos; /* next slot to reuse once full; CALL_SEEN_SPILLED: one was handed on */
};

/*
 * Per-call memory budget (issue 7): the records a call holds, checked at
 * compile time so that a field added without care shows up here.
 */
#define CALL_RECORD_MAX 512
#define CALL_MSG_RECORD_MAX 40

/* The route record of a CALL_MSG_PATH_ROUTE message (NULL for others). */
const struct call_msg_route *call_msg_route(const struct call_msg *m);
/* Source and destination of a message of call c. */
const struct endpoint *call_msg_src(const struct call *c, const struct call_msg *m);
const struct endpoint *call_msg_dst(const struct call *c, const struct call_msg *m);

/* Longest text field plus its NUL: a reader's bound for any of them. */
#define CALL_FIELD_MAX CALL_ID_MAX

/*
 * Every text field the call table stores (end_reason apart: always a
 * literal), in a fixed order, codec names included (those of the codecs
 * arrays, which must be valid); returns how many.
 */
#define CALL_STR_FIELDS (12 + CALL_MAX_DIALOGS + 2 * CALL_MAX_CODECS)
size_t call_str_fields(struct call *c, const char **out[CALL_STR_FIELDS]);
/* Make every text field of a fresh (zeroed) record "" (end_reason included), codecs NULL. */
void call_str_init(struct call *c);

/* The words records use ("completed", "udp", "caller"); NULL for CALL_PARTY_NONE or a value
 * out of range, which JSON writes as null. */
const char *call_state_name(enum call_state s);
const char *call_transport_name(enum call_transport t);
const char *call_party_name(enum call_party p);

/* setup_ms of DESIGN.md: INVITE to first 180/183; negative when not applicable. */
double call_setup_ms(const struct call *c);
/* duration_s of DESIGN.md: answer to end; negative when not answered or not ended. */
double call_duration_s(const struct call *c);

#endif
