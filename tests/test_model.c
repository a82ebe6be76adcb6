/* test_model.c: the dashboard's snapshot: rows, details with SIP text, series, totals, eviction,
 * selection, saves, threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/correlate.h"
#include "../decoders/rtp.h"
#include "../decoders/sip.h"
#include "../ui/model.h"

static struct stats st;
static struct correlate *co;
static struct ui_model *um;
static struct ui_detail det; /* large: one, off the stack */
static const uint64_t t0 = 1700000000ULL * 1000000000ULL;
#define MS 1000000ULL

/*
 * A correlator that hands ended calls to the model, as the worker wires it.
 * linger 0: a call that reached its final state goes at the next tick.
 */
static void open_model_msgs(uint32_t max_rows, size_t detail_bytes, size_t text_bytes,
                            uint32_t msgs_per_call)
{
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 64;
    cfg.max_msgs = 4096;
    cfg.msgs_per_call = msgs_per_call;
    cfg.max_txns = 1024;
    cfg.max_regs = 16;
    cfg.media.max_endpoints = 256;
    cfg.media.max_streams = 64;
    cfg.linger_s = 0;
    cfg.text_bytes = text_bytes;
    struct ui_model_config mc = {.max_rows = max_rows, .detail_bytes = detail_bytes};
    faults_thresholds_default(&mc.thresholds);
    um = ui_model_create(&mc);
    cr_assert_not_null(um);
    memset(&st, 0, sizeof st);
    co = correlate_create(&cfg, &st, ui_model_call_end, NULL, NULL, um);
    cr_assert_not_null(co);
}

static void open_model(uint32_t max_rows, size_t detail_bytes, size_t text_bytes)
{
    open_model_msgs(max_rows, detail_bytes, text_bytes, CORRELATE_DEFAULT_MSGS_PER_CALL);
}

static void teardown(void)
{
    correlate_destroy(co);
    ui_model_destroy(um);
    co = NULL;
    um = NULL;
}

TestSuite(model, .fini = teardown);

#define CALLER "192.0.2.1"
#define CALLEE "192.0.2.2"

/* Every SIP message fed, as sent, for comparing texts. */
#define MAX_SENT 64
static char sent[MAX_SENT][2048];
static size_t sent_len[MAX_SENT];
static int nsent;

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = {.port = port};
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip));
    return e;
}

static void sip(double ms, const char *from, const char *to, const char *fmt, ...)
{
    cr_assert_lt(nsent, MAX_SENT);
    char *buf = sent[nsent];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof sent[0], fmt, ap);
    va_end(ap);
    cr_assert(n > 0 && (size_t)n < sizeof sent[0]);
    sent_len[nsent++] = (size_t)n;
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)buf, (size_t)n, false, &m), STATUS_OK, "%s", buf);
    struct sip_meta meta = {.ts_ns = t0 + (uint64_t)(ms * 1e6),
                            .src = ep(from, 5060),
                            .dst = ep(to, 5060),
                            .transport = CALL_TRANSPORT_UDP};
    correlate_sip(co, &m, &meta);
}

/* The caller offers PCMA and PCMU at 192.0.2.1:16384; the callee answers PCMU at :20000. */
#define OFFER                                                                                      \
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                    \
    "m=audio 16384 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
#define ANSWER                                                                                     \
    "v=0\r\no=- 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"                    \
    "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static void invite(double ms, const char *cid)
{
    sip(ms, CALLER, CALLEE,
        "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%s\r\n"
        "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
        "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
        "Content-Length: %zu\r\n\r\n%s",
        cid, cid, strlen(OFFER), OFFER);
}

static void response(double ms, const char *cid, int code, const char *reason, int cseq,
                     const char *method, bool sdp)
{
    sip(ms, CALLEE, CALLER,
        "SIP/2.0 %d %s\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%s-%d\r\n"
        "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
        "Call-ID: %s\r\nCSeq: %d %s\r\n%sContent-Length: %zu\r\n\r\n%s",
        code, reason, cid, cseq, cid, cseq, method, sdp ? "Content-Type: application/sdp\r\n" : "",
        sdp ? strlen(ANSWER) : 0, sdp ? ANSWER : "");
}

static void request(double ms, const char *cid, const char *method, int cseq)
{
    sip(ms, CALLER, CALLEE,
        "%s sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%s-%d\r\n"
        "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
        "Call-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
        method, cid, cseq, cid, cseq, method);
}

/* One RTP packet (PCMU or PCMA, 160 samples), bytes built here and parsed as the worker does. */
static void rtp(double ms, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                uint32_t ssrc, uint16_t seq, uint8_t pt)
{
    uint8_t b[12 + 160] = {0x80, pt};
    uint32_t ts = 160u * seq;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) {
        b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(b, sizeof b, &h), STATUS_OK);
    struct endpoint s = ep(src, sport), d = ep(dst, dport);
    media_rtp(correlate_media(co), &s, &d, &h, t0 + (uint64_t)(ms * 1e6), MEDIA_RTP_ANNOUNCED);
}

/* Advance packet time to t0 + ms, as the worker does, then the model's tick. */
static void tick(double ms, bool done)
{
    correlate_tick(co, t0 + (uint64_t)(ms * 1e6));
    ui_model_tick(um, co, &st, done);
}

static size_t rows(struct ui_row *out, size_t cap, struct ui_totals *t)
{
    return ui_model_rows(um, out, cap, t);
}

static const struct ui_row *row_of(const struct ui_row *r, size_t n, const char *cid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].call_id, cid) == 0)
            return &r[i];
    return NULL;
}

/*
 * The whole call: INVITE (SDP) at 0, 100 at 5 ms, 180 at 3.5 s (slow: the
 * setup threshold is 3 s), 200 (SDP) at 4 s, ACK; 150 packets of RTP each way
 * from 5 s at 20 ms, the callee's missing sequence numbers 10..14 (5 of 150
 * lost, 3.33 %: above the 3 % poor band); BYE and its 200 at 9 s. The model
 * ticks every 500 ms of packet time while the media flows.
 */
static void basic_call(const char *cid, bool end)
{
    invite(0, cid);
    response(5, cid, 100, "Trying", 1, "INVITE", false);
    response(3500, cid, 180, "Ringing", 1, "INVITE", false);
    response(4000, cid, 200, "OK", 1, "INVITE", true);
    request(4010, cid, "ACK", 1);
    for (int i = 0; i < 150; i++) {
        double at = 5000 + 20.0 * i;
        rtp(at, CALLER, 16384, CALLEE, 20000, 0x1111, (uint16_t)(1000 + i), 0);
        if (i < 10 || i > 14)
            rtp(at + 1, CALLEE, 20000, CALLER, 16384, 0x2222, (uint16_t)(5000 + i), 0);
        if (i % 25 == 24)
            tick(at + 2, false);
    }
    if (end) {
        request(9000, cid, "BYE", 2);
        response(9010, cid, 200, "OK", 2, "BYE", false);
    }
}

Test(model, active_row_then_ended_row_with_its_detail)
{
    open_model(16, 1 << 20, 1 << 20);
    struct ui_row r[8];
    struct ui_totals t;

    invite(0, "call-1");
    tick(100, false);
    size_t n = rows(r, 8, &t);
    cr_assert_eq(n, 1);
    cr_assert_eq(r[0].id, 1);
    cr_assert_str_eq(r[0].call_id, "call-1");
    cr_assert_str_eq(r[0].from, "sip:alice@a.example");
    cr_assert_str_eq(r[0].to, "sip:bob@b.example");
    cr_assert_eq(r[0].state, CALL_STATE_TRYING);
    cr_assert_not(r[0].ended);
    cr_assert_not(r[0].detail_kept);
    cr_assert_str_eq(r[0].codec, "PCMA", "not answered yet: the first codec offered");
    cr_assert_eq(r[0].msgs, 1);
    cr_assert(r[0].mos[UI_DIR_FWD] < 0 && r[0].loss_pct[UI_DIR_REV] < 0, "nothing measured");
    cr_assert_eq(t.calls, 1);
    cr_assert_eq(t.active, 1);
    cr_assert_eq(t.rows, 1);
    cr_assert_eq(t.now_ns, t0 + 100 * MS);
    cr_assert_not(ui_model_detail(um, 1, &det), "an active call not selected has no detail");

    response(5, "call-1", 100, "Trying", 1, "INVITE", false);
    response(3500, "call-1", 180, "Ringing", 1, "INVITE", false);
    response(4000, "call-1", 200, "OK", 1, "INVITE", true);
    request(4010, "call-1", "ACK", 1);
    tick(4100, false);
    n = rows(r, 8, &t);
    cr_assert_eq(n, 1);
    cr_assert_eq(r[0].state, CALL_STATE_ANSWERED);
    cr_assert_str_eq(r[0].codec, "PCMU", "the answered codec");
    cr_assert_eq(r[0].answer_ns, t0 + 4000 * MS);
    cr_assert_eq(r[0].msgs, 5);
    cr_assert_not(r[0].ended);

    request(9000, "call-1", "BYE", 2);
    response(9010, "call-1", 200, "OK", 2, "BYE", false);
    tick(9100, false); /* linger 0: the call ends at this tick */
    n = rows(r, 8, &t);
    cr_assert_eq(n, 1);
    cr_assert(r[0].ended);
    cr_assert(r[0].detail_kept);
    cr_assert_eq(r[0].state, CALL_STATE_COMPLETED);
    cr_assert_eq(r[0].final_code, 200);
    cr_assert_eq(r[0].msgs, 7);
    cr_assert_eq(r[0].end_ns, t0 + 9000 * MS);
    /* 180 after 3.5 s: slow setup; answered (sendrecv both ways) and no RTP at all: no audio */
    cr_assert_eq(r[0].faults, (1u << FAULT_SLOW_SETUP) | (1u << FAULT_NO_AUDIO), "got %#x",
                 r[0].faults);
    cr_assert_eq(t.active, 0);
    cr_assert_eq(t.calls, 1);

    cr_assert(ui_model_detail(um, 1, &det));
    cr_assert_eq(det.row.id, 1);
    cr_assert(det.row.ended && det.row.detail_kept);
    cr_assert_str_eq(det.call.call_id, "call-1");
    cr_assert_eq(det.call.state, CALL_STATE_COMPLETED);
    cr_assert_eq(det.msg_count, 7);
    cr_assert_eq(det.msgs_omitted, 0);
    static const char *labels[] = {"INVITE", "100 Trying", "180 Ringing", "200 OK",
                                   "ACK",    "BYE",        "200 OK"};
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(det.msgs[i].label, labels[i]);
        cr_assert_eq(det.text_len[i], sent_len[i], "message %d: %u bytes, sent %zu", i,
                     det.text_len[i], sent_len[i]);
        cr_assert(memcmp(det.text + det.text_off[i], sent[i], sent_len[i]) == 0,
                  "message %d: the text is the bytes sent", i);
    }
    cr_assert_eq(det.fault_count, 2);
    cr_assert_eq(det.faults[0].code, FAULT_NO_AUDIO, "the rules' order");
    cr_assert_eq(det.faults[1].code, FAULT_SLOW_SETUP);
    cr_assert_neq(strstr(det.faults[1].detail, "3500"), NULL, "%s", det.faults[1].detail);
}

Test(model, streams_give_mos_loss_and_series)
{
    open_model(16, 1 << 20, 1 << 20);
    basic_call("call-m", false);
    struct ui_row r[4];
    cr_assert_eq(rows(r, 4, NULL), 1);
    cr_assert_eq(r[0].streams, 2);
    cr_assert_float_eq(r[0].loss_pct[UI_DIR_FWD], 0.0f, 1e-6);
    cr_assert_float_eq(r[0].loss_pct[UI_DIR_REV], 100.0f * 5 / 150, 1e-4, "%f",
                       r[0].loss_pct[UI_DIR_REV]);
    cr_assert(r[0].mos[UI_DIR_FWD] > 4.0f && r[0].mos[UI_DIR_FWD] < 4.5f, "%f",
              r[0].mos[UI_DIR_FWD]);
    cr_assert(r[0].mos[UI_DIR_REV] > 1.0f && r[0].mos[UI_DIR_REV] < r[0].mos[UI_DIR_FWD]);

    request(9000, "call-m", "BYE", 2);
    response(9010, "call-m", 200, "OK", 2, "BYE", false);
    tick(9100, false);
    cr_assert_eq(rows(r, 4, NULL), 1);
    cr_assert(r[0].ended);
    cr_assert_eq(r[0].faults, (1u << FAULT_SLOW_SETUP) | (1u << FAULT_POOR_QUALITY),
                 "3.33 %% loss from the callee is poor; got %#x", r[0].faults);
    cr_assert(ui_model_detail(um, r[0].id, &det));
    cr_assert_eq(det.stream_count, 2);
    cr_assert_eq(det.fault_count, 2);
    cr_assert_eq(det.faults[0].code, FAULT_SLOW_SETUP);
    cr_assert_eq(det.faults[1].code, FAULT_POOR_QUALITY);
    for (int i = 0; i < 2; i++) {
        const struct media_stream *s = &det.streams[i];
        const struct ui_series *se = &det.series[i];
        bool fwd = s->party == CALL_PARTY_CALLER;
        cr_assert_eq(s->ssrc, fwd ? 0x1111u : 0x2222u);
        /* Ticks after packets 24, 49, ... 149 (0.48, 0.98, ... 2.98 s into the stream): two
         * ticks fall in each of the stream's first three seconds. */
        cr_assert_eq(se->count, 3, "stream %d: %u samples", i, se->count);
        cr_assert_eq(se->start_ns, t0 + (fwd ? 5000 : 5001) * MS);
        cr_assert_eq(se->s[0].packets, fwd ? 50u : 45u);
        cr_assert_eq(se->s[0].lost, fwd ? 0 : 5);
        cr_assert_eq(se->s[1].packets, 50);
        cr_assert_eq(se->s[2].packets, 50);
        cr_assert_eq(se->s[1].lost, 0);
        cr_assert_float_eq(se->s[2].jitter_ms, 0.0f, 1e-6, "packets exactly 20 ms apart");
    }
}

Test(model, selected_active_call_has_a_live_detail_after_a_tick)
{
    open_model(16, 1 << 20, 1 << 20);
    basic_call("call-live", false);
    struct ui_row r[4];
    cr_assert_eq(rows(r, 4, NULL), 1);
    uint64_t id = r[0].id;
    ui_model_select(um, id);
    cr_assert_not(ui_model_detail(um, id, &det), "not until the worker's next tick");
    tick(8000, false);
    cr_assert(ui_model_detail(um, id, &det));
    cr_assert_not(det.row.ended);
    cr_assert_eq(det.msg_count, 5);
    cr_assert_str_eq(det.msgs[3].label, "200 OK");
    cr_assert_eq(det.text_len[0], sent_len[0]);
    cr_assert(memcmp(det.text + det.text_off[0], sent[0], sent_len[0]) == 0);
    cr_assert_eq(det.stream_count, 2);
    cr_assert_eq(det.series[0].count, 3);
    for (int i = 0; i < det.fault_count; i++)
        cr_assert_neq(det.faults[i].code, FAULT_NO_BYE, "a call still up has not missed its BYE");
    cr_assert(det.row.faults & (1u << FAULT_SLOW_SETUP));

    ui_model_select(um, 0);
    cr_assert_not(ui_model_detail(um, id, &det), "deselected: the live detail is withdrawn");
    ui_model_select(um, id);
    tick(8100, false);
    cr_assert(ui_model_detail(um, id, &det));
    /* The call ends while selected: its detail now comes from the arena. */
    request(9000, "call-live", "BYE", 2);
    response(9010, "call-live", 200, "OK", 2, "BYE", false); /* (the call waits for it) */
    tick(9100, false);
    cr_assert(ui_model_detail(um, id, &det));
    cr_assert(det.row.ended);
    cr_assert_eq(det.msg_count, 7);
    cr_assert_not(ui_model_detail(um, 999, &det), "no such call");
}

/* A call that is over at once: INVITE answered 486 (ends at the next tick with linger 0). */
static void busy_call(double ms, const char *cid)
{
    invite(ms, cid);
    response(ms + 1, cid, 486, "Busy Here", 1, "INVITE", false);
}

static void ringing_call(double ms, const char *cid)
{
    invite(ms, cid);
    response(ms + 1, cid, 180, "Ringing", 1, "INVITE", false);
}

Test(model, full_row_table_drops_the_oldest_ended_row_first)
{
    open_model(4, 1 << 20, 0);
    struct ui_row r[8];
    struct ui_totals t;
    ringing_call(0, "A");
    ringing_call(10, "B");
    busy_call(20, "C");
    busy_call(30, "D");
    tick(100, false);
    cr_assert_eq(rows(r, 8, &t), 4);
    cr_assert_eq(t.rows_evicted, 0);

    busy_call(200, "E");
    tick(300, false); /* E ends: C, the oldest ended row, makes room */
    size_t n = rows(r, 8, &t);
    cr_assert_eq(n, 4);
    cr_assert_eq(t.rows_evicted, 1);
    cr_assert_str_eq(r[0].call_id, "A");
    cr_assert_str_eq(r[1].call_id, "B");
    cr_assert_str_eq(r[2].call_id, "D");
    cr_assert_str_eq(r[3].call_id, "E");

    ringing_call(400, "F");
    tick(500, false); /* an active call takes the oldest ended row's place: D */
    ringing_call(600, "G");
    tick(700, false); /* then E's */
    n = rows(r, 8, &t);
    cr_assert_eq(t.rows_evicted, 3);
    cr_assert_str_eq(r[0].call_id, "A");
    cr_assert_str_eq(r[1].call_id, "B");
    cr_assert_str_eq(r[2].call_id, "F");
    cr_assert_str_eq(r[3].call_id, "G");

    ringing_call(800, "H");
    tick(900, false); /* four active rows: H waits, nothing is evicted for it */
    n = rows(r, 8, &t);
    cr_assert_eq(n, 4);
    cr_assert_eq(t.rows_evicted, 3);
    cr_assert_null(row_of(r, n, "H"));
    cr_assert_eq(t.active, 5);

    response(1000, "H", 486, "Busy Here", 1, "INVITE", false);
    busy_call(1010, "I");
    tick(1100, false); /* H and I end with every row taken by a call still up: not kept */
    n = rows(r, 8, &t);
    cr_assert_eq(n, 4);
    cr_assert_eq(t.rows_evicted, 5);
    cr_assert_null(row_of(r, n, "H"));
    cr_assert_null(row_of(r, n, "I"));

    response(1200, "B", 486, "Busy Here", 1, "INVITE", false);
    tick(1300, false); /* B's row becomes final, in place */
    n = rows(r, 8, &t);
    cr_assert_str_eq(r[1].call_id, "B");
    cr_assert(r[1].ended);
    cr_assert_eq(r[1].state, CALL_STATE_BUSY);
    cr_assert_eq(t.rows_evicted, 5);
    ringing_call(1400, "J");
    tick(1500, false); /* a new call takes the place of the only ended row, B's */
    n = rows(r, 8, &t);
    cr_assert_eq(t.rows_evicted, 6);
    cr_assert_str_eq(r[0].call_id, "A");
    cr_assert_str_eq(r[1].call_id, "F");
    cr_assert_str_eq(r[2].call_id, "G");
    cr_assert_str_eq(r[3].call_id, "J");
}

Test(model, rows_come_oldest_first_and_a_small_buffer_gets_the_newest)
{
    open_model(16, 1 << 20, 0);
    /* Ended calls are added at their end, active ones at the tick: out of start order. */
    ringing_call(0, "r1");
    busy_call(10, "r2");
    ringing_call(20, "r3");
    busy_call(30, "r4");
    tick(40, false);
    ringing_call(50, "r5");
    tick(60, false);
    struct ui_row r[8];
    size_t n = rows(r, 8, NULL);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(r[i].id, i + 1, "row %zu has id %llu", i, (unsigned long long)r[i].id);
    n = rows(r, 2, NULL);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(r[0].call_id, "r4");
    cr_assert_str_eq(r[1].call_id, "r5");
    cr_assert_eq(rows(r, 0, NULL), 0);
}

Test(model, detail_arena_drops_the_oldest_details)
{
    /* 16 KiB: each busy call's detail (call record, two messages and their texts) takes a few
     * KiB, so only the last few fit. */
    open_model(64, 16 * 1024, 1 << 20);
    char cid[16];
    for (int i = 0; i < 12; i++) {
        snprintf(cid, sizeof cid, "d%02d", i);
        busy_call(100.0 * i, cid);
        tick(100.0 * i + 50, false);
    }
    struct ui_row r[16];
    size_t n = rows(r, 16, NULL);
    cr_assert_eq(n, 12);
    cr_assert(r[11].detail_kept, "the newest detail is kept");
    cr_assert_not(r[0].detail_kept, "the oldest is gone");
    int kept = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(r[i].ended);
        cr_assert_eq(ui_model_detail(um, r[i].id, &det), r[i].detail_kept);
        if (i && r[i - 1].detail_kept)
            cr_assert(r[i].detail_kept, "kept details are the newest ones");
        if (!r[i].detail_kept)
            continue;
        kept++;
        snprintf(cid, sizeof cid, "d%02zu", i);
        cr_assert_str_eq(det.call.call_id, cid);
        cr_assert_eq(det.msg_count, 2);
        cr_assert_str_eq(det.msgs[1].label, "486 Busy Here");
        cr_assert_gt(det.text_len[1], 0);
    }
    cr_assert(kept >= 1 && kept < 12, "%d kept", kept);
}

Test(model, detail_bigger_than_the_arena_is_not_kept)
{
    open_model(8, 1024, 1 << 20);
    busy_call(0, "huge");
    tick(50, false);
    struct ui_row r[2];
    cr_assert_eq(rows(r, 2, NULL), 1);
    cr_assert(r[0].ended);
    cr_assert_not(r[0].detail_kept);
    cr_assert_not(ui_model_detail(um, r[0].id, &det));
}

Test(model, texts_off_in_the_correlator_give_empty_texts)
{
    open_model(8, 1 << 20, 0);
    busy_call(0, "notext");
    tick(50, false);
    cr_assert(ui_model_detail(um, 1, &det));
    cr_assert_eq(det.msg_count, 2);
    cr_assert_eq(det.text_len[0], 0);
    cr_assert_eq(det.text_len[1], 0);
    cr_assert_eq(det.text_used, 0);
}

Test(model, totals_and_rates_in_packet_time)
{
    open_model(8, 1 << 20, 0);
    st.v[STAT_DROP_KERNEL] = 3;
    st.v[STAT_DROP_RING] = 4;
    st.v[STAT_CALLS_EVICTED] = 1;
    st.v[STAT_STREAMS_EVICTED] = 2;
    st.v[STAT_TXN_EVICTED] = 4;
    st.v[STAT_FLOW_EVICTED] = 8;
    st.v[STAT_FRAG_EVICTED] = 16;
    st.v[STAT_TCP_EVICTED] = 32;
    st.v[STAT_REG_EVICTED] = 64;
    st.v[STAT_SIP_PARSE_ERRORS] = 5;
    st.v[STAT_SDP_PARSE_ERRORS] = 6;
    ui_model_set_kafka_lost(um, 9);
    /* 100 packets and one call every 500 ms of packet time: 200 packets/s, 2 calls/s */
    char cid[16];
    for (int i = 0; i <= 6; i++) {
        snprintf(cid, sizeof cid, "t%d", i);
        ringing_call(500.0 * i, cid);
        st.v[STAT_PACKETS] = 100u * (uint64_t)i;
        tick(500.0 * i + 2, i == 6);
    }
    struct ui_row r[8];
    struct ui_totals t;
    cr_assert_eq(rows(r, 8, &t), 7);
    cr_assert_eq(t.packets, 600);
    cr_assert_eq(t.calls, 7);
    cr_assert_eq(t.active, 7);
    cr_assert_float_eq(t.packets_per_s, 200.0, 1e-9, "%f", t.packets_per_s);
    cr_assert_float_eq(t.calls_per_s, 2.0, 1e-9, "%f", t.calls_per_s);
    cr_assert_eq(t.drops_kernel, 3);
    cr_assert_eq(t.drops_ring, 4);
    cr_assert_eq(t.evictions, 127);
    cr_assert_eq(t.parse_errors, 11);
    cr_assert_eq(t.kafka_lost, 9);
    cr_assert(t.input_done);
    cr_assert_eq(t.now_ns, t0 + 3002 * MS);
    /* The rates follow the last second only: a burst shows at once. */
    st.v[STAT_PACKETS] += 1000;
    tick(3502, false);
    rows(r, 8, &t);
    cr_assert_float_eq(t.packets_per_s, 1100.0, 1e-9, "%f", t.packets_per_s);
    cr_assert_not(t.input_done);
}

Test(model, save_mailbox_round_trip)
{
    open_model(8, 4096, 0);
    struct ui_save_req req = {.call_count = 1, .pair_count = 1, .from_ns = 5, .to_ns = 9};
    snprintf(req.path, sizeof req.path, "/tmp/x.pcap");
    snprintf(req.call_ids[0], sizeof req.call_ids[0], "call-1");
    req.pair_src[0] = ep(CALLER, 16384);
    req.pair_dst[0] = ep(CALLEE, 20000);
    static struct ui_save_req got;
    cr_assert_not(ui_model_take_save(um, &got), "nothing asked yet");
    ui_model_request_save(um, &req);
    snprintf(req.path, sizeof req.path, "/tmp/y.pcap");
    ui_model_request_save(um, &req); /* replaces the pending one */
    cr_assert(ui_model_take_save(um, &got));
    cr_assert_str_eq(got.path, "/tmp/y.pcap");
    cr_assert_eq(got.call_count, 1);
    cr_assert_str_eq(got.call_ids[0], "call-1");
    cr_assert(endpoint_eq(&got.pair_dst[0], &req.pair_dst[0]));
    cr_assert_eq(got.to_ns, 9);
    cr_assert_not(ui_model_take_save(um, &got), "taken once");

    char msg[64];
    cr_assert_not(ui_model_save_result(um, msg, sizeof msg));
    ui_model_save_done(um, "saved 52 packets to /tmp/y.pcap");
    cr_assert(ui_model_save_result(um, msg, sizeof msg));
    cr_assert_str_eq(msg, "saved 52 packets to /tmp/y.pcap");
    cr_assert_not(ui_model_save_result(um, msg, sizeof msg), "read once");
    ui_model_save_done(um, "cannot write '/tmp/y.pcap': No space left on device");
    char small[7];
    cr_assert(ui_model_save_result(um, small, sizeof small));
    cr_assert_str_eq(small, "cannot", "cut to the caller's buffer, NUL-terminated");

    /* Hostile counts are clamped, an unterminated path is terminated. */
    memset(req.path, 'x', sizeof req.path);
    req.call_count = 1000;
    req.pair_count = 1000;
    ui_model_request_save(um, &req);
    cr_assert(ui_model_take_save(um, &got));
    cr_assert_eq(got.call_count, UI_SAVE_CALLS);
    cr_assert_eq(got.pair_count, UI_SAVE_ENDPOINTS);
    cr_assert_eq(strlen(got.path), sizeof got.path - 1);
}

/* ---- huge calls ------------------------------------------------------- */

/* INFO number i of the huge call: about 1.2 KB, so 600 of them pass UI_DETAIL_TEXT_MAX. */
static int huge_info(char *buf, size_t cap, int i)
{
    char body[1024];
    memset(body, 'a' + i % 26, sizeof body);
    return snprintf(buf, cap,
                    "INFO sip:bob@192.0.2.2 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-i%d\r\n"
                    "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
                    "Call-ID: huge\r\nCSeq: %d INFO\r\nContent-Type: text/plain\r\n"
                    "Content-Length: %zu\r\n\r\n%.*s",
                    i, 10 + i, sizeof body, (int)sizeof body, body);
}

Test(model, a_huge_call_detail_keeps_its_first_messages_and_texts_that_fit)
{
    open_model_msgs(8, 4u << 20, 1u << 20, 1000);
    invite(0, "huge");
    response(10, "huge", 200, "OK", 1, "INVITE", true);
    static char buf[2048];
    for (int i = 0; i < 600; i++) {
        int n = huge_info(buf, sizeof buf, i);
        cr_assert(n > 0 && (size_t)n < sizeof buf);
        struct sip_msg m;
        cr_assert_eq(sip_parse((const uint8_t *)buf, (size_t)n, false, &m), STATUS_OK);
        struct sip_meta meta = {.ts_ns = t0 + (uint64_t)(20 + i) * MS,
                                .src = ep(CALLER, 5060),
                                .dst = ep(CALLEE, 5060)};
        correlate_sip(co, &m, &meta);
    }
    ui_model_select(um, 1);
    tick(1000, false);
    cr_assert(ui_model_detail(um, 1, &det));
    cr_assert_eq(det.msg_count, UI_DETAIL_MSGS);
    cr_assert_eq(det.msgs_omitted, 602 - UI_DETAIL_MSGS);
    cr_assert_leq(det.text_used, UI_DETAIL_TEXT_MAX);
    /* each text is whole or absent (the INFOs after the room ran out) */
    int kept = 0;
    for (int i = 2; i < UI_DETAIL_MSGS; i++) {
        if (!det.text_len[i])
            continue;
        kept++;
        int n = huge_info(buf, sizeof buf, i - 2);
        cr_assert_eq(det.text_len[i], (uint32_t)n);
        cr_assert(memcmp(det.text + det.text_off[i], buf, (size_t)n) == 0, "INFO %d", i - 2);
        cr_assert_leq(det.text_off[i] + det.text_len[i], det.text_used);
    }
    cr_assert(kept > 300 && kept < UI_DETAIL_MSGS - 2, "%d texts held", kept);
    cr_assert_gt(det.text_len[0], 0, "the INVITE's text");

    request(2000, "huge", "BYE", 2);
    response(2010, "huge", 200, "OK", 2, "BYE", false);
    tick(2100, false);
    struct ui_row r[2];
    cr_assert_eq(rows(r, 2, NULL), 1);
    cr_assert_eq(r[0].msgs, 604);
    cr_assert(r[0].detail_kept);
    cr_assert(ui_model_detail(um, 1, &det), "the ended call's detail, from the arena");
    cr_assert_eq(det.msg_count, UI_DETAIL_MSGS);
    cr_assert_eq(det.msgs_omitted, 604 - UI_DETAIL_MSGS);
    cr_assert_str_eq(det.msgs[UI_DETAIL_MSGS - 1].label, "INFO");
}

Test(model, series_keep_the_last_two_minutes)
{
    open_model(8, 1 << 20, 0);
    invite(0, "long-rtp");
    response(10, "long-rtp", 200, "OK", 1, "INVITE", true);
    /* 150 s of the caller's RTP, 50 packets a second; a tick after the last packet of every
     * second (what came since the previous update goes to the second of the newest packet, so
     * ticks at the turn of each second give each second exactly its own 50) */
    for (int i = 0; i < 150 * 50; i++) {
        double at = 1000 + 20.0 * i;
        rtp(at, CALLER, 16384, CALLEE, 20000, 0x3333, (uint16_t)i, 0);
        if (i % 50 == 49)
            tick(at + 1, false);
    }
    tick(152000, false);
    request(152500, "long-rtp", "BYE", 2);
    response(152510, "long-rtp", 200, "OK", 2, "BYE", false);
    tick(153000, false);
    cr_assert(ui_model_detail(um, 1, &det));
    cr_assert_eq(det.stream_count, 1);
    const struct ui_series *se = &det.series[0];
    cr_assert_eq(se->count, UI_SERIES_MAX);
    cr_assert_eq(se->start_ns, t0 + (1000 + 30 * 1000) * MS, "the first 30 s were dropped");
    for (int i = 0; i < UI_SERIES_MAX; i++) {
        cr_assert_eq(se->s[i].packets, 50, "second %d: %u", i, se->s[i].packets);
        cr_assert_eq(se->s[i].lost, 0);
    }
}

Test(model, more_streams_than_a_detail_holds)
{
    open_model(8, 1 << 20, 0);
    invite(0, "many-ssrc");
    response(10, "many-ssrc", 200, "OK", 1, "INVITE", true);
    for (uint32_t k = 0; k < UI_DETAIL_STREAMS + 4; k++)
        for (int i = 0; i < 3; i++)
            rtp(100 + 100.0 * k + 20 * i, CALLER, 16384, CALLEE, 20000, 0x100 + k, (uint16_t)i, 0);
    request(5000, "many-ssrc", "BYE", 2);
    response(5010, "many-ssrc", 200, "OK", 2, "BYE", false);
    tick(5100, false);
    struct ui_row r[2];
    cr_assert_eq(rows(r, 2, NULL), 1);
    cr_assert_eq(r[0].streams, UI_DETAIL_STREAMS + 4);
    cr_assert(ui_model_detail(um, 1, &det));
    cr_assert_eq(det.stream_count, UI_DETAIL_STREAMS);
    cr_assert_eq(det.streams[0].ssrc, 0x100);
    cr_assert_eq(det.streams[UI_DETAIL_STREAMS - 1].ssrc, 0x100 + UI_DETAIL_STREAMS - 1);
}

/* ---- two threads ------------------------------------------------------ */

static bool writer_done; /* set once by the writer, after its last tick */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The worker's side: one call that stays up all along (its row stays and its
 * live detail is refreshed every tick), and 300 short ones that end at the
 * tick after they start (busy, or answered and hung up).
 */
static void *writer(void *arg)
{
    (void)arg;
    char cid[32];
    ringing_call(0, "long");
    for (int i = 0; i < 300; i++) {
        snprintf(cid, sizeof cid, "w%d", i);
        double at = 100.0 * i + 10;
        invite(at, cid);
        if (i % 2) {
            response(at + 1, cid, 200, "OK", 1, "INVITE", true);
            request(at + 2, cid, "BYE", 2);
            response(at + 3, cid, 200, "OK", 2, "BYE", false);
        } else {
            response(at + 1, cid, 486, "Busy Here", 1, "INVITE", false);
        }
        nsent = 0; /* the texts are not compared here */
        st.v[STAT_PACKETS] += 10;
        tick(at + 50, false);
    }
    correlate_flush(co, t0 + 40000 * MS);
    ui_model_tick(um, co, &st, true);
    pthread_mutex_lock(&done_lock);
    writer_done = true;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static bool is_done(void)
{
    pthread_mutex_lock(&done_lock);
    bool d = writer_done;
    pthread_mutex_unlock(&done_lock);
    return d;
}

Test(model, a_reader_copies_while_the_worker_writes)
{
    open_model(128, 64 * 1024, 1 << 20);
    static struct ui_row r[128];
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, writer, NULL), 0);
    unsigned copies = 0, live = 0;
    bool last = false;
    while (!last) {
        last = is_done();
        struct ui_totals t;
        size_t n = ui_model_rows(um, r, 128, &t);
        cr_assert_leq(n, 128);
        for (size_t i = 1; i < n; i++)
            cr_assert_lt(r[i - 1].id, r[i].id, "rows stay in start order");
        if (n) {
            /* every other time the long call (live detail), else the newest (arena) */
            const struct ui_row *pick = copies % 2 ? &r[0] : &r[n - 1];
            ui_model_select(um, pick->id);
            if (ui_model_detail(um, pick->id, &det)) {
                cr_assert_eq(det.row.id, pick->id);
                cr_assert_str_eq(det.call.call_id, pick->call_id);
                cr_assert_leq(det.msg_count, UI_DETAIL_MSGS);
                live += !det.row.ended;
            }
        }
        copies++;
    }
    pthread_join(th, NULL);
    struct ui_totals t;
    size_t n = ui_model_rows(um, r, 128, &t);
    cr_assert_eq(n, 128);
    cr_assert_eq(t.calls, 301);
    cr_assert_eq(t.active, 0);
    cr_assert_eq(t.packets, 3000);
    cr_assert_eq(t.rows_evicted, 301 - 128);
    cr_assert(t.input_done);
    cr_assert_str_eq(r[0].call_id, "long", "the active row outlived every ended one");
    cr_assert_str_eq(r[127].call_id, "w299");
    for (size_t i = 0; i < n; i++)
        cr_assert(r[i].ended);
    cr_assert_gt(copies, 0);
    (void)live; /* how often the reader caught the live detail depends on scheduling */
}
