/* cdr.c: call -> one-line JSON call-detail record, schema_version first (DESIGN.md "Records"; RFC
 * 8259). */
#include "cdr.h"

#include <string.h>

/* A text field's value: at most cap - 1 chars (defensive: never read past cap). */
static void field_str(struct json *j, const char *field, size_t cap)
{
    size_t n = strnlen(field, cap);
    if (n == 0)
        json_null(j);
    else
        json_str(j, field, n);
}

/* The keys are written where they are named: JSON_KEY's copy of a literal is a few stores. */
#define CDR_FIELD(j, key, c, member)                                                               \
    do {                                                                                           \
        JSON_KEY(j, key);                                                                          \
        field_str(j, (c)->member, CALL_FIELD_MAX);                                                 \
    } while (0)

static void endpoint_value(struct json *j, const struct endpoint *e)
{
    if (e->ip.family != 4 && e->ip.family != 6) {
        json_null(j);
        return;
    }
    char text[ADDR_STR_MAX];
    endpoint_format(e, text, sizeof text);
    json_str_cstr(j, text);
}

/* Milliseconds from `from` to `to` with 3 decimals; null when either is unset or to < from. */
static void interval(struct json *j, uint64_t from, uint64_t to, double unit_ns)
{
    if (from == 0 || to == 0 || to < from)
        json_null(j);
    else
        json_double(j, (double)(to - from) / unit_ns, 3);
}

static void codec_list(struct json *j, const struct call_sdp *s)
{
    if (!s->present) {
        json_null(j);
        return;
    }
    json_arr_begin(j);
    unsigned n = s->codec_count < CALL_MAX_CODECS ? s->codec_count : CALL_MAX_CODECS;
    for (unsigned k = 0; k < n; k++) {
        size_t len = strnlen(s->codecs[k], CALL_CODEC_MAX);
        if (len)
            json_str(j, s->codecs[k], len);
    }
    json_arr_end(j);
}

static void media_value(struct json *j, const struct call_sdp *s)
{
    if (!s->present)
        json_null(j);
    else
        endpoint_value(j, &s->media);
}

static void array_field(struct json *j, const struct call *c, cdr_array_fn fn, void *ctx,
                        const char *frag, size_t frag_len)
{
    if (fn) {
        json_arr_begin(j);
        fn(ctx, j, c);
        json_arr_end(j);
    } else if (frag && frag_len) {
        json_raw(j, frag, frag_len);
    } else {
        json_arr_begin(j);
        json_arr_end(j);
    }
}

void cdr_write(struct json *j, const struct call *c, const struct cdr_extra *x)
{
    static const struct cdr_extra none;
    if (!x)
        x = &none;

    json_obj_begin(j);
    JSON_KEY(j, "schema_version");
    json_u64(j, CDR_SCHEMA_VERSION);
    CDR_FIELD(j, "call_id", c, call_id);
    CDR_FIELD(j, "from", c, from);
    CDR_FIELD(j, "to", c, to);
    CDR_FIELD(j, "from_user", c, from_user);
    CDR_FIELD(j, "to_user", c, to_user);
    CDR_FIELD(j, "from_tag", c, from_tag);
    CDR_FIELD(j, "to_tag", c, to_tag);
    CDR_FIELD(j, "request_uri", c, request_uri);
    JSON_KEY(j, "src");
    endpoint_value(j, &c->src);
    JSON_KEY(j, "dst");
    endpoint_value(j, &c->dst);
    JSON_KEY(j, "transport");
    json_str_cstr(j, call_transport_name(c->transport));

    JSON_KEY(j, "start_ts");
    json_ts(j, c->start_ns);
    JSON_KEY(j, "trying_ts");
    json_ts(j, c->trying_ns);
    JSON_KEY(j, "ringing_ts");
    json_ts(j, c->ringing_ns);
    JSON_KEY(j, "answer_ts");
    json_ts(j, c->answer_ns);
    JSON_KEY(j, "end_ts");
    json_ts(j, c->end_ns);

    JSON_KEY(j, "setup_ms");
    interval(j, c->start_ns, c->ringing_ns, 1e6);
    JSON_KEY(j, "trying_ms");
    interval(j, c->start_ns, c->trying_ns, 1e6);
    JSON_KEY(j, "answer_ms");
    interval(j, c->start_ns, c->answer_ns, 1e6);
    JSON_KEY(j, "duration_s");
    interval(j, c->answer_ns, c->end_ns, 1e9); /* null while the call is up */

    JSON_KEY(j, "state");
    json_str_cstr(j, call_state_name(c->state));
    JSON_KEY(j, "final_code");
    if (c->final_code)
        json_u64(j, c->final_code);
    else
        json_null(j);
    CDR_FIELD(j, "end_reason", c, end_reason);
    JSON_KEY(j, "hangup_by");
    json_str_cstr(j, call_party_name(c->hangup_by));
    CDR_FIELD(j, "reason_header", c, reason_header);
    CDR_FIELD(j, "pai", c, pai);
    JSON_KEY(j, "user_agent");
    json_obj_begin(j);
    CDR_FIELD(j, "caller", c, ua_caller);
    CDR_FIELD(j, "callee", c, ua_callee);
    json_obj_end(j);

    JSON_KEY(j, "sip_messages");
    json_u64(j, c->sip_messages);
    JSON_KEY(j, "retransmissions");
    json_u64(j, c->retransmissions);
    JSON_KEY(j, "auth_challenges");
    json_u64(j, c->auth_challenges);
    JSON_KEY(j, "forks");
    json_u64(j, c->forks);
    JSON_KEY(j, "reinvites");
    json_u64(j, c->reinvites);

    JSON_KEY(j, "codecs");
    json_obj_begin(j);
    JSON_KEY(j, "offered");
    codec_list(j, &c->offer);
    JSON_KEY(j, "answered");
    codec_list(j, &c->answer);
    json_obj_end(j);
    JSON_KEY(j, "media");
    json_obj_begin(j);
    /* The offer usually comes from the caller; a late offer (SDP first in the 18x/2xx)
     * comes from the callee, and then the caller's media is in the answer. */
    const struct call_sdp *of_caller = c->offer.party == CALL_PARTY_CALLEE ? &c->answer : &c->offer;
    JSON_KEY(j, "caller");
    media_value(j, of_caller);
    JSON_KEY(j, "callee");
    media_value(j, of_caller == &c->offer ? &c->answer : &c->offer);
    json_obj_end(j);

    if (x->media_fields)
        x->media_fields(x->ctx, j, c);
    /* What the sensor itself lost while the call was up: capture loss, not network loss.
     * Parse errors are counted for the whole run only (--stats), hence null here. */
    JSON_KEY(j, "capture");
    json_obj_begin(j);
    JSON_KEY(j, "packets_dropped_kernel");
    json_u64(j, c->capture_drops_kernel);
    JSON_KEY(j, "packets_dropped_ring");
    json_u64(j, c->capture_drops_ring);
    JSON_KEY(j, "parse_errors");
    json_null(j);
    json_obj_end(j);
    JSON_KEY(j, "streams");
    array_field(j, c, x->streams, x->ctx, x->streams_json, x->streams_json_len);
    JSON_KEY(j, "faults");
    array_field(j, c, x->faults, x->ctx, x->faults_json, x->faults_json_len);

    JSON_KEY(j, "sensor");
    json_obj_begin(j);
    JSON_KEY(j, "id");
    json_str_opt(j, x->sensor_id);
    JSON_KEY(j, "host");
    json_str_opt(j, x->sensor_host);
    JSON_KEY(j, "interface");
    json_str_opt(j, x->sensor_interface);
    json_obj_end(j);
    JSON_KEY(j, "sequence");
    if (x->has_sequence)
        json_u64(j, x->sequence);
    else
        json_null(j);
    json_obj_end(j);
}

size_t cdr_format(char *buf, size_t cap, const struct call *c, const struct cdr_extra *x)
{
    struct json j;
    json_init(&j, buf, cap);
    cdr_write(&j, c, x);
    return json_ok(&j) ? j.len : 0;
}
