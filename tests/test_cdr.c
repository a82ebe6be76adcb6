/* test_cdr.c: Criterion suite for exporters/cdr.c (the CDR record of DESIGN.md, RFC 8259 JSON). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../exporters/cdr.h"

#define NS 1000000000ull
/* 2024-03-01T12:10:00Z in seconds since the epoch (calendar.timegm). */
#define T0 (1709295000ull * NS)

/* ---- a tiny JSON checker (RFC 8259 grammar, plus "no raw control bytes, valid UTF-8") ---- */

struct jv {
    const char *p, *end;
    int depth;
};

static void jv_ws(struct jv *v)
{
    while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
        v->p++;
}

static bool jv_lit(struct jv *v, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0)
        return false;
    v->p += n;
    return true;
}

static bool jv_string(struct jv *v)
{
    if (v->p >= v->end || *v->p != '"')
        return false;
    v->p++;
    while (v->p < v->end) {
        unsigned char c = (unsigned char)*v->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (v->p >= v->end)
                return false;
            char e = *v->p++;
            if (e == 'u') {
                for (int k = 0; k < 4; k++, v->p++)
                    if (v->p >= v->end || !strchr("0123456789abcdefABCDEF", *v->p) || !*v->p)
                        return false;
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return false;
            }
        } else if (c >= 0x80) {
            /* well-formed UTF-8 only (simplified: lead + right number of continuations) */
            int need = c >= 0xf0 && c <= 0xf4   ? 3
                       : c >= 0xe0 && c <= 0xef ? 2
                       : c >= 0xc2 && c <= 0xdf ? 1
                                                : -1;
            if (need < 0)
                return false;
            for (int k = 0; k < need; k++, v->p++)
                if (v->p >= v->end || ((unsigned char)*v->p & 0xc0) != 0x80)
                    return false;
        }
    }
    return false;
}

static bool jv_number(struct jv *v)
{
    const char *s = v->p;
    if (v->p < v->end && *v->p == '-')
        v->p++;
    if (v->p >= v->end || *v->p < '0' || *v->p > '9')
        return false;
    if (*v->p == '0')
        v->p++;
    else
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
            v->p++;
    if (v->p < v->end && *v->p == '.') {
        v->p++;
        const char *f = v->p;
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
            v->p++;
        if (v->p == f)
            return false;
    }
    return v->p > s;
}

static bool jv_value(struct jv *v);

static bool jv_members(struct jv *v, char close, bool keyed)
{
    jv_ws(v);
    if (v->p < v->end && *v->p == close) {
        v->p++;
        return true;
    }
    for (;;) {
        jv_ws(v);
        if (keyed) {
            if (!jv_string(v))
                return false;
            jv_ws(v);
            if (v->p >= v->end || *v->p++ != ':')
                return false;
        }
        if (!jv_value(v))
            return false;
        jv_ws(v);
        if (v->p >= v->end)
            return false;
        char c = *v->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool jv_value(struct jv *v)
{
    jv_ws(v);
    if (v->p >= v->end || ++v->depth > 64)
        return false;
    bool ok;
    switch (*v->p) {
    case '{':
        v->p++;
        ok = jv_members(v, '}', true);
        break;
    case '[':
        v->p++;
        ok = jv_members(v, ']', false);
        break;
    case '"':
        ok = jv_string(v);
        break;
    case 't':
        ok = jv_lit(v, "true");
        break;
    case 'f':
        ok = jv_lit(v, "false");
        break;
    case 'n':
        ok = jv_lit(v, "null");
        break;
    default:
        ok = jv_number(v);
    }
    v->depth--;
    return ok;
}

static bool json_valid(const char *s, size_t len)
{
    struct jv v = {s, s + len, 0};
    if (!jv_value(&v))
        return false;
    jv_ws(&v);
    return v.p == v.end;
}

/* ---- calls built by hand ---- */

static struct endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct endpoint e = {.ip = {.family = 4, .b = {a, b, c, d}}, .port = port};
    return e;
}

/* The reference call of captures/a_basic_call.pcap (times from sip_messages.tsv), moved to T0. */
static void basic_call(struct call *c)
{
    memset(c, 0, sizeof *c);
    call_str_init(c);
    c->call_id = "3c26b1f2e9a0-22066-1@127.0.1.1";
    c->from = "sip:alice@127.0.1.1";
    c->to = "sip:bob@127.0.1.2";
    c->from_user = "alice";
    c->to_user = "bob";
    c->from_tag = "22066SIPpTag001";
    c->to_tag = "22067SIPpTag011";
    c->request_uri = "sip:bob@127.0.1.2:5060";
    c->ua_caller = "SIPp";
    c->src = ep4(127, 0, 1, 1, 5060);
    c->dst = ep4(127, 0, 1, 2, 5060);
    c->transport = CALL_TRANSPORT_UDP;
    c->start_ns = T0;
    c->trying_ns = T0 + 586000;
    c->ringing_ns = T0 + 1681000;
    c->answer_ns = T0 + 1507872000;
    c->end_ns = T0 + 9012192000;
    c->last_ns = T0 + 9012236000;
    c->state = CALL_STATE_COMPLETED;
    c->final_code = 200;
    c->first_provisional = 180;
    c->end_reason = "bye";
    c->hangup_by = CALL_PARTY_CALLER;
    c->sip_messages = 7;
    c->offer.present = true;
    c->offer.media = ep4(127, 0, 1, 1, 16384);
    c->offer.codec_count = 2;
    static const char *offer_codecs[CALL_MAX_CODECS], *answer_codecs[CALL_MAX_CODECS];
    c->offer.codecs = offer_codecs;
    c->answer.codecs = answer_codecs;
    c->offer.codecs[0] = "PCMA";
    c->offer.codecs[1] = "telephone-event";
    c->answer.present = true;
    c->answer.media = ep4(127, 0, 1, 2, 20000);
    c->answer.codec_count = 1;
    c->answer.codecs[0] = "PCMA";
}

static const char basic_cdr[] =
    "{\"schema_version\":1,\"call_id\":\"3c26b1f2e9a0-22066-1@127.0.1.1\","
    "\"from\":\"sip:alice@127.0.1.1\",\"to\":\"sip:bob@127.0.1.2\","
    "\"from_user\":\"alice\",\"to_user\":\"bob\","
    "\"from_tag\":\"22066SIPpTag001\",\"to_tag\":\"22067SIPpTag011\","
    "\"request_uri\":\"sip:bob@127.0.1.2:5060\","
    "\"src\":\"127.0.1.1:5060\",\"dst\":\"127.0.1.2:5060\",\"transport\":\"udp\","
    "\"start_ts\":\"2024-03-01T12:10:00.000000Z\",\"trying_ts\":\"2024-03-01T12:10:00.000586Z\","
    "\"ringing_ts\":\"2024-03-01T12:10:00.001681Z\",\"answer_ts\":\"2024-03-01T12:10:01.507872Z\","
    "\"end_ts\":\"2024-03-01T12:10:09.012192Z\","
    "\"setup_ms\":1.681,\"trying_ms\":0.586,\"answer_ms\":1507.872,\"duration_s\":7.504,"
    "\"state\":\"completed\",\"final_code\":200,\"end_reason\":\"bye\",\"hangup_by\":\"caller\","
    "\"reason_header\":null,\"pai\":null,\"user_agent\":{\"caller\":\"SIPp\",\"callee\":null},"
    "\"sip_messages\":7,\"retransmissions\":0,\"auth_challenges\":0,\"forks\":0,\"reinvites\":0,"
    "\"codecs\":{\"offered\":[\"PCMA\",\"telephone-event\"],\"answered\":[\"PCMA\"]},"
    "\"media\":{\"caller\":\"127.0.1.1:16384\",\"callee\":\"127.0.1.2:20000\"},"
    "\"capture\":{\"packets_dropped_kernel\":0,\"packets_dropped_ring\":0,\"parse_errors\":null},"
    "\"streams\":[],\"faults\":[],"
    "\"sensor\":{\"id\":null,\"host\":null,\"interface\":null},\"sequence\":null}";

Test(cdr, completed_call_byte_exact)
{
    struct call c;
    basic_call(&c);
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_str_eq(buf, basic_cdr);
    cr_assert_eq(n, strlen(basic_cdr));
}

Test(cdr, completed_call_is_valid_json_schema_first)
{
    struct call c;
    basic_call(&c);
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_gt(n, 0);
    cr_assert_eq(strncmp(buf, "{\"schema_version\":1,\"call_id\":", 30), 0);
    cr_assert(json_valid(buf, n));
    cr_assert_null(memchr(buf, '\n', n), "one line");
}

Test(cdr, checker_rejects_broken_json)
{
    /* the checker itself must be able to say no */
    cr_assert_not(json_valid("{\"a\":1,}", 8));
    cr_assert_not(json_valid("{\"a\" 1}", 7));
    cr_assert_not(json_valid("[\"\x01\"]", 5));
    cr_assert_not(json_valid("[\"\xff\"]", 5));
    cr_assert_not(json_valid("[1] [2]", 7));
    cr_assert_not(json_valid("[01]", 4));
    const char *ok = "{\"a\":[1,-2.5,\"\\u0000\",null,true,false,{}]}";
    cr_assert(json_valid(ok, strlen(ok)));
}

Test(cdr, empty_call_is_all_null_never_zero)
{
    struct call c;
    memset(&c, 0, sizeof c);
    call_str_init(&c);
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_str_eq(
        buf, "{\"schema_version\":1,\"call_id\":null,\"from\":null,\"to\":null,"
             "\"from_user\":null,\"to_user\":null,\"from_tag\":null,\"to_tag\":null,"
             "\"request_uri\":null,\"src\":null,\"dst\":null,\"transport\":\"udp\","
             "\"start_ts\":null,\"trying_ts\":null,\"ringing_ts\":null,\"answer_ts\":null,"
             "\"end_ts\":null,\"setup_ms\":null,\"trying_ms\":null,\"answer_ms\":null,"
             "\"duration_s\":null,\"state\":\"trying\",\"final_code\":null,"
             "\"end_reason\":null,\"hangup_by\":null,\"reason_header\":null,\"pai\":null,"
             "\"user_agent\":{\"caller\":null,\"callee\":null},\"sip_messages\":0,"
             "\"retransmissions\":0,\"auth_challenges\":0,\"forks\":0,\"reinvites\":0,"
             "\"codecs\":{\"offered\":null,\"answered\":null},"
             "\"media\":{\"caller\":null,\"callee\":null},"
             "\"capture\":{\"packets_dropped_kernel\":0,\"packets_dropped_ring\":0,\"parse_"
             "errors\":null},"
             "\"streams\":[],\"faults\":[],"
             "\"sensor\":{\"id\":null,\"host\":null,\"interface\":null},\"sequence\":null}");
    cr_assert(json_valid(buf, n));
}

Test(cdr, cancelled_call_has_no_answer_figures)
{
    struct call c;
    basic_call(&c);
    c.answer_ns = 0;
    c.answer.present = false;
    c.end_ns = T0 + 4000000000ull;
    c.state = CALL_STATE_CANCELLED;
    c.final_code = 487;
    c.end_reason = "cancel";
    c.reason_header = "SIP;cause=487;text=\"Request Terminated\"";
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert(json_valid(buf, n));
    cr_assert_not_null(
        strstr(buf, "\"answer_ts\":null,\"end_ts\":\"2024-03-01T12:10:04.000000Z\""));
    cr_assert_not_null(
        strstr(buf, "\"setup_ms\":1.681,\"trying_ms\":0.586,\"answer_ms\":null,\"duration_s\":null,"
                    "\"state\":\"cancelled\",\"final_code\":487,\"end_reason\":\"cancel\","
                    "\"hangup_by\":\"caller\","
                    "\"reason_header\":\"SIP;cause=487;text=\\\"Request Terminated\\\"\""));
    cr_assert_not_null(
        strstr(buf, "\"codecs\":{\"offered\":[\"PCMA\",\"telephone-event\"],\"answered\":null},"
                    "\"media\":{\"caller\":\"127.0.1.1:16384\",\"callee\":null}"));
}

Test(cdr, answered_call_without_end_measures_to_last_message)
{
    struct call c;
    basic_call(&c);
    c.end_ns = 0;
    c.last_ns = c.answer_ns + 2500000000ull; /* 2.5 s of a call still up at end of input */
    c.state = CALL_STATE_ANSWERED;
    c.hangup_by = CALL_PARTY_NONE;
    c.end_reason = "end_of_capture";
    char buf[CDR_LINE_MAX];
    cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_not_null(strstr(buf, "\"end_ts\":null,"));
    cr_assert_not_null(strstr(buf, "\"duration_s\":null,\"state\":\"answered\""),
                       "a call still up has no duration (edge-captures truncated-*.expected.json)");
    cr_assert_not_null(strstr(buf, "\"end_reason\":\"end_of_capture\",\"hangup_by\":null,"));
}

Test(cdr, intervals_running_backwards_are_null)
{
    /* hostile or reordered input: a 180 timestamped before its INVITE */
    struct call c;
    basic_call(&c);
    c.ringing_ns = c.start_ns - 1000;
    c.end_ns = c.answer_ns - 1;
    char buf[CDR_LINE_MAX];
    cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_not_null(strstr(buf, "\"setup_ms\":null,\"trying_ms\":0.586,\"answer_ms\":1507.872,"
                                   "\"duration_s\":null,"));
}

Test(cdr, hostile_strings_escaped)
{
    struct call c;
    basic_call(&c);
    /* a Call-ID with a quote, a backslash, ESC, DEL and an invalid UTF-8 byte */
    c.call_id = "a\"b\\c\x1b[2J\x7f\xff@x";
    c.ua_callee = "Fa\xc3\xa7"
                  "ade/1.0\r\n"; /* valid UTF-8 kept, CRLF escaped */
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert(json_valid(buf, n));
    cr_assert_not_null(strstr(buf, "\"call_id\":\"a\\\"b\\\\c\\u001b[2J\\u007f\xef\xbf\xbd@x\","));
    cr_assert_not_null(strstr(buf, "\"callee\":\"Fa\xc3\xa7"
                                   "ade/1.0\\r\\n\"}"));
}

Test(cdr, unterminated_fields_are_bounded)
{
    /* fields longer than any cap (a record built by hand, not by correlate.c): the writer
     * reads at most CALL_FIELD_MAX bytes of a field and CALL_CODEC_MAX of a codec name */
    struct call c;
    basic_call(&c);
    static char tag[300], reason[300], codecs[CALL_MAX_CODECS][40];
    memset(tag, 'T', sizeof tag - 1);
    memset(reason, 'R', sizeof reason - 1);
    c.to_tag = tag;
    c.end_reason = reason;
    c.offer.codec_count = 200; /* beyond CALL_MAX_CODECS */
    for (int k = 0; k < CALL_MAX_CODECS; k++) {
        memset(codecs[k], 'a' + k, sizeof codecs[k] - 1);
        c.offer.codecs[k] = codecs[k];
    }
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert(json_valid(buf, n));
    char want[CALL_FIELD_MAX + 32];
    snprintf(want, sizeof want, "\"to_tag\":\"%.*s\",", CALL_FIELD_MAX, tag);
    cr_assert_not_null(strstr(buf, want));
    snprintf(want, sizeof want, "\"end_reason\":\"%.*s\",", CALL_FIELD_MAX, reason);
    cr_assert_not_null(strstr(buf, want));
    cr_assert_not_null(strstr(buf, "\"hhhhhhhhhhhhhhhh\"],\"answered\""));
}

Test(cdr, ipv6_and_tcp)
{
    struct call c;
    basic_call(&c);
    struct addr a;
    cr_assert(addr_parse(SV_LIT("2001:db8::1"), &a));
    c.src.ip = a;
    c.src.port = 5060;
    cr_assert(addr_parse(SV_LIT("2001:db8::2"), &a));
    c.dst.ip = a;
    c.dst.port = 5061;
    c.offer.media.ip = a;
    c.transport = CALL_TRANSPORT_TLS;
    char buf[CDR_LINE_MAX];
    cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert_not_null(strstr(buf, "\"src\":\"[2001:db8::1]:5060\",\"dst\":\"[2001:db8::2]:5061\","
                                   "\"transport\":\"tls\","));
    cr_assert_not_null(strstr(buf, "\"caller\":\"[2001:db8::2]:16384\""));
}

Test(cdr, out_of_range_enums_are_null)
{
    struct call c;
    basic_call(&c);
    c.state = (enum call_state)99;
    c.transport = (enum call_transport)42;
    c.hangup_by = (enum call_party)7;
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, NULL);
    cr_assert(json_valid(buf, n));
    cr_assert_not_null(strstr(buf, "\"transport\":null,"));
    cr_assert_not_null(strstr(buf, "\"state\":null,"));
    cr_assert_not_null(strstr(buf, "\"hangup_by\":null,"));
}

Test(cdr, names_of_every_state)
{
    static const char *const want[] = {"trying",    "ringing", "answered", "completed",
                                       "cancelled", "busy",    "rejected", "timeout"};
    for (int s = 0; s <= CALL_STATE_TIMEOUT; s++)
        cr_assert_str_eq(call_state_name((enum call_state)s), want[s]);
    cr_assert_str_eq(call_transport_name(CALL_TRANSPORT_WS), "ws");
    cr_assert_str_eq(call_party_name(CALL_PARTY_CALLEE), "callee");
    cr_assert_null(call_party_name(CALL_PARTY_NONE));
}

static void two_streams(void *ctx, struct json *j, const struct call *c)
{
    int *calls = ctx;
    (*calls)++;
    for (int k = 0; k < 2; k++) {
        json_obj_begin(j);
        json_key(j, "ssrc");
        json_str_cstr(j, k ? "0x00000002" : "0x00000001");
        json_key(j, "call_id");
        json_str_cstr(j, c->call_id);
        json_obj_end(j);
    }
}

Test(cdr, extra_sensor_sequence_streams_and_faults)
{
    struct call c;
    basic_call(&c);
    c.call_id = "x";
    int called = 0;
    static const char faults[] = "[{\"code\":\"no_bye\",\"detail\":\"no BYE\"}]";
    struct cdr_extra x = {
        .sensor_id = "s1",
        .sensor_host = "probe-a",
        .sensor_interface = "",
        .has_sequence = true,
        .sequence = 18446744073709551615ull,
        .streams = two_streams,
        .ctx = &called,
        .faults_json = faults,
        .faults_json_len = sizeof faults - 1,
    };
    char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, &x);
    cr_assert(json_valid(buf, n));
    cr_assert_eq(called, 1);
    const char *tail = "\"streams\":[{\"ssrc\":\"0x00000001\",\"call_id\":\"x\"},"
                       "{\"ssrc\":\"0x00000002\",\"call_id\":\"x\"}],"
                       "\"faults\":[{\"code\":\"no_bye\",\"detail\":\"no BYE\"}],"
                       "\"sensor\":{\"id\":\"s1\",\"host\":\"probe-a\",\"interface\":null},"
                       "\"sequence\":18446744073709551615}";
    cr_assert_str_eq(buf + n - strlen(tail), tail);
}

Test(cdr, embedded_in_an_outer_document)
{
    struct call c;
    basic_call(&c);
    char buf[CDR_LINE_MAX * 2];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    cdr_write(&j, &c, NULL);
    cdr_write(&j, &c, NULL);
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_eq(j.len, 2 * strlen(basic_cdr) + 3);
    cr_assert(json_valid(buf, j.len));
}

Test(cdr, every_short_buffer_fails_cleanly)
{
    struct call c;
    basic_call(&c);
    size_t full = strlen(basic_cdr);
    static char buf[sizeof basic_cdr + 64];
    for (size_t cap = 0; cap <= full; cap++) {
        memset(buf, 'X', sizeof buf);
        cr_assert_eq(cdr_format(buf, cap, &c, NULL), 0, "cap %zu", cap);
        for (size_t k = cap; k < sizeof buf; k++)
            cr_assert_eq(buf[k], 'X', "cap %zu: byte %zu written", cap, k);
        if (cap)
            cr_assert_eq(strncmp(buf, basic_cdr, strlen(buf)), 0, "cap %zu: not a prefix", cap);
    }
    cr_assert_eq(cdr_format(buf, full + 1, &c, NULL), full);
}

Test(cdr, worst_case_fits_cdr_line_max)
{
    /* every string field full of bytes that escape to six characters */
    struct call c;
    basic_call(&c);
    /* each field at its cap (what correlate.c can store): cap - 1 bytes of 0x01 */
    static char full[CALL_FIELD_MAX];
    memset(full, 0x01, sizeof full - 1);
#define FILL(f, cap) ((f) = full + sizeof full - (cap))
    FILL(c.call_id, CALL_ID_MAX);
    FILL(c.from, CALL_AOR_MAX);
    FILL(c.to, CALL_AOR_MAX);
    FILL(c.from_user, CALL_TAG_MAX);
    FILL(c.to_user, CALL_TAG_MAX);
    FILL(c.from_tag, CALL_TAG_MAX);
    FILL(c.to_tag, CALL_TAG_MAX);
    FILL(c.request_uri, CALL_AOR_MAX);
    FILL(c.pai, CALL_AOR_MAX);
    FILL(c.ua_caller, CALL_UA_MAX);
    FILL(c.ua_callee, CALL_UA_MAX);
    FILL(c.reason_header, CALL_REASON_MAX);
    FILL(c.end_reason, 32);
    c.offer.codec_count = c.answer.codec_count = CALL_MAX_CODECS;
    for (int k = 0; k < CALL_MAX_CODECS; k++) {
        FILL(c.offer.codecs[k], CALL_CODEC_MAX);
        FILL(c.answer.codecs[k], CALL_CODEC_MAX);
    }
#undef FILL
    struct endpoint v6 = {.ip = {.family = 6}, .port = 65535};
    memset(v6.ip.b, 0xff, 16);
    c.src = c.dst = c.offer.media = c.answer.media = v6;
    struct cdr_extra x = {
        .sensor_id = "sensor-with-a-longish-name", .has_sequence = true, .sequence = UINT64_MAX};
    static char buf[CDR_LINE_MAX];
    size_t n = cdr_format(buf, sizeof buf, &c, &x);
    cr_assert_gt(n, 0);
    cr_assert(json_valid(buf, n));
    cr_assert_lt(n, CDR_LINE_MAX * 3 / 4, "worst case %zu leaves too little headroom", n);
}

/* xorshift64: deterministic garbage */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

Test(cdr, random_call_records_always_give_valid_json)
{
    static char buf[CDR_LINE_MAX];
    for (int iter = 0; iter < 300; iter++) {
        struct call c;
        uint8_t *p = (uint8_t *)&c;
        for (size_t k = 0; k < sizeof c; k++)
            p[k] = (uint8_t)rnd();
        /* bools must hold 0 or 1 (anything else is undefined behaviour before we see it) */
        c.early_media_sdp = rnd() & 1;
        c.ended = rnd() & 1;
        c.offer.present = rnd() & 1;
        c.answer.present = rnd() & 1;
        /* text fields: random bytes (NUL anywhere, or none before the cap); the codec arrays
         * hold CALL_MAX_CODECS names whatever codec_count says */
        static const char *offer_codecs[CALL_MAX_CODECS], *answer_codecs[CALL_MAX_CODECS];
        c.offer.codecs = offer_codecs;
        c.answer.codecs = answer_codecs;
        uint8_t counts[2] = {c.offer.codec_count, c.answer.codec_count};
        c.offer.codec_count = c.answer.codec_count = CALL_MAX_CODECS;
        static char text[CALL_STR_FIELDS + 1][CALL_FIELD_MAX + 64];
        const char **f[CALL_STR_FIELDS];
        size_t nf = call_str_fields(&c, f);
        for (size_t k = 0; k <= nf; k++) {
            for (size_t b = 0; b < sizeof text[k]; b++)
                text[k][b] = (char)rnd();
            text[k][sizeof text[k] - 1] = '\0';
            if (k < nf)
                *f[k] = text[k];
            else
                c.end_reason = text[k];
        }
        c.offer.codec_count = counts[0];
        c.answer.codec_count = counts[1];
        if (iter % 3 == 0) {
            c.src.ip.family = 4;
            c.answer.media.ip.family = 6;
        }
        size_t n = cdr_format(buf, sizeof buf, &c, NULL);
        cr_assert_gt(n, 0, "iteration %d did not fit", iter);
        cr_assert(json_valid(buf, n), "iteration %d: %s", iter, buf);
        cr_assert_eq(strncmp(buf, "{\"schema_version\":1,\"call_id\":", 30), 0);
    }
}
