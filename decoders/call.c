/* call.c: names and derived figures of the call record (DESIGN.md record fields). */
#include "call.h"

#include "strstore.h"

const struct call_msg_sdp call_msg_no_sdp = {.codec = STRSTORE_EMPTY};

const struct call_msg_route *call_msg_route(const struct call_msg *m)
{
    if (m->path != CALL_MSG_PATH_ROUTE || !m->sdp || m->sdp == &call_msg_no_sdp)
        return NULL;
    /* sdp is the route record's first member: the record starts at the same address */
    return (const struct call_msg_route *)(const void *)m->sdp;
}

const struct endpoint *call_msg_src(const struct call *c, const struct call_msg *m)
{
    const struct call_msg_route *r = call_msg_route(m);
    if (r)
        return &r->src;
    return m->path == CALL_MSG_PATH_REV ? &c->dst : &c->src;
}

const struct endpoint *call_msg_dst(const struct call *c, const struct call_msg *m)
{
    const struct call_msg_route *r = call_msg_route(m);
    if (r)
        return &r->dst;
    return m->path == CALL_MSG_PATH_REV ? &c->src : &c->dst;
}

size_t call_str_fields(struct call *c, const char **out[CALL_STR_FIELDS])
{
    size_t n = 0;
    out[n++] = &c->call_id;
    out[n++] = &c->from;
    out[n++] = &c->to;
    out[n++] = &c->from_user;
    out[n++] = &c->to_user;
    out[n++] = &c->from_tag;
    out[n++] = &c->to_tag;
    out[n++] = &c->request_uri;
    out[n++] = &c->pai;
    out[n++] = &c->ua_caller;
    out[n++] = &c->ua_callee;
    out[n++] = &c->reason_header;
    for (size_t i = 0; i < CALL_MAX_DIALOGS; i++)
        out[n++] = &c->dialog_tags[i];
    struct call_sdp *sdp[2] = {&c->offer, &c->answer};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; sdp[k]->codecs && i < sdp[k]->codec_count && i < CALL_MAX_CODECS; i++)
            out[n++] = &sdp[k]->codecs[i];
    return n;
}

void call_str_init(struct call *c)
{
    c->offer.codecs = c->answer.codecs = NULL;
    c->offer.codec_count = c->answer.codec_count = 0;
    const char **f[CALL_STR_FIELDS];
    size_t n = call_str_fields(c, f);
    for (size_t i = 0; i < n; i++)
        *f[i] = STRSTORE_EMPTY;
    c->end_reason = STRSTORE_EMPTY;
}

const char *call_state_name(enum call_state s)
{
    static const char *const names[] = {
        [CALL_STATE_TRYING] = "trying",       [CALL_STATE_RINGING] = "ringing",
        [CALL_STATE_ANSWERED] = "answered",   [CALL_STATE_COMPLETED] = "completed",
        [CALL_STATE_CANCELLED] = "cancelled", [CALL_STATE_BUSY] = "busy",
        [CALL_STATE_REJECTED] = "rejected",   [CALL_STATE_TIMEOUT] = "timeout",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

const char *call_transport_name(enum call_transport t)
{
    static const char *const names[] = {
        [CALL_TRANSPORT_UDP] = "udp",   [CALL_TRANSPORT_TCP] = "tcp", [CALL_TRANSPORT_TLS] = "tls",
        [CALL_TRANSPORT_SCTP] = "sctp", [CALL_TRANSPORT_WS] = "ws",
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

const char *call_party_name(enum call_party p)
{
    return p == CALL_PARTY_CALLER ? "caller" : p == CALL_PARTY_CALLEE ? "callee" : NULL;
}

double call_setup_ms(const struct call *c)
{
    if (!c->ringing_ns || c->ringing_ns < c->start_ns)
        return -1.0;
    return (double)(c->ringing_ns - c->start_ns) / 1e6;
}

double call_duration_s(const struct call *c)
{
    /* Answer to end: a call still up (or whose end was not captured) has no duration yet. */
    if (!c->answer_ns || !c->end_ns || c->end_ns < c->answer_ns)
        return -1.0;
    return (double)(c->end_ns - c->answer_ns) / 1e9;
}

_Static_assert(sizeof(struct call) <= CALL_RECORD_MAX, "struct call grew: see CALL_RECORD_MAX");
_Static_assert(sizeof(struct call_msg) <= CALL_MSG_RECORD_MAX,
               "struct call_msg grew: see CALL_MSG_RECORD_MAX");
