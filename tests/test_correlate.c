/* test_correlate.c: call states, retransmissions, forks, auth, registrations and bounded tables. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/correlate.h"
#include "../decoders/sip.h"

#define MAX_SEEN 64

/* What the callbacks received: copies, since the records are freed after the callback. */
static struct call seen_calls[MAX_SEEN];
static char seen_ladder[MAX_SEEN][512];
static int nseen;
static struct registration seen_regs[MAX_SEEN];
static int nregs;
static struct stats st;

static void on_call(void *ctx, const struct call *c, const struct correlate *co)
{
    (void)ctx;
    cr_assert_lt(nseen, MAX_SEEN);
    seen_calls[nseen] = *c;
    /* the text fields point into the table's string store, freed with the call: copy them */
    static char text[MAX_SEEN][CALL_STR_FIELDS][CALL_FIELD_MAX];
    static const char *codecs[MAX_SEEN][2][CALL_MAX_CODECS];
    struct call_sdp *sdp[2] = {&seen_calls[nseen].offer, &seen_calls[nseen].answer};
    for (int k = 0; k < 2; k++) {
        cr_assert_leq(sdp[k]->codec_count, CALL_MAX_CODECS);
        if (sdp[k]->codec_count)
            memcpy(codecs[nseen][k], sdp[k]->codecs, sdp[k]->codec_count * sizeof(char *));
        sdp[k]->codecs = codecs[nseen][k];
    }
    const char **f[CALL_STR_FIELDS];
    size_t nf = call_str_fields(&seen_calls[nseen], f);
    for (size_t i = 0; i < nf; i++) {
        cr_assert_lt(strlen(*f[i]), CALL_FIELD_MAX);
        strcpy(text[nseen][i], *f[i]);
        *f[i] = text[nseen][i];
    }
    char *l = seen_ladder[nseen];
    l[0] = '\0';
    for (const struct call_msg *m = correlate_first_msg(co, c); m; m = correlate_next_msg(co, m)) {
        strncat(l, m->label, 511 - strlen(l));
        if (m->flags & CALL_MSG_RETRANS)
            strncat(l, "(R)", 511 - strlen(l));
        strncat(l, ";", 511 - strlen(l));
    }
    nseen++;
}

static void on_reg(void *ctx, const struct registration *r)
{
    (void)ctx;
    cr_assert_lt(nregs, MAX_SEEN);
    seen_regs[nregs++] = *r;
}

static struct correlate *co;
static uint64_t t0 = 1700000000ULL * 1000000000ULL;

static void setup(void)
{
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 16;
    cfg.max_msgs = 4096;
    cfg.max_txns = 1024;
    cfg.max_regs = 16;
    memset(&st, 0, sizeof st);
    nseen = nregs = 0;
    co = correlate_create(&cfg, &st, on_call, on_reg, NULL, NULL);
    cr_assert_not_null(co);
}

static void teardown(void)
{
    correlate_destroy(co);
}

#define CALLER "192.0.2.1"
#define CALLEE "192.0.2.2"

/*
 * Feed one SIP message given as printf text (headers joined with \r\n by the
 * caller), sent from `from` to `to` (port 5060 both), at t0 + ms.
 */
static bool feed(double ms, const char *from, const char *to, const char *fmt, ...)
{
    static char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cr_assert(n > 0 && (size_t)n < sizeof buf);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)buf, (size_t)n, false, &m), STATUS_OK, "%s", buf);
    struct sip_meta meta = {.ts_ns = t0 + (uint64_t)(ms * 1e6), .transport = CALL_TRANSPORT_UDP};
    cr_assert(addr_parse(sv_make(from, strlen(from)), &meta.src.ip));
    cr_assert(addr_parse(sv_make(to, strlen(to)), &meta.dst.ip));
    meta.src.port = meta.dst.port = 5060;
    return correlate_sip(co, &m, &meta);
}

#define SDP_BODY                                                                                   \
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                    \
    "m=audio 16384 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"

static void invite(double ms, int cseq, const char *branch, bool sdp)
{
    if (sdp)
        feed(ms, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=%s\r\n"
             "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: call-1@a\r\nCSeq: %d INVITE\r\nUser-Agent: test-ua\r\n"
             "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
             branch, cseq, strlen(SDP_BODY), SDP_BODY);
    else
        feed(ms, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=%s\r\n"
             "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: call-1@a\r\nCSeq: %d INVITE\r\nContent-Length: 0\r\n\r\n",
             branch, cseq);
}

static void response(double ms, int code, const char *reason, int cseq, const char *method,
                     const char *branch, const char *to_tag)
{
    char tag[64] = "";
    if (to_tag)
        snprintf(tag, sizeof tag, ";tag=%s", to_tag);
    feed(ms, CALLEE, CALLER,
         "SIP/2.0 %d %s\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=%s\r\n"
         "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>%s\r\n"
         "Call-ID: call-1@a\r\nCSeq: %d %s\r\nServer: test-uas\r\nContent-Length: 0\r\n\r\n",
         code, reason, branch, tag, cseq, method);
}

static void request(double ms, const char *from, const char *to, const char *method, int cseq,
                    const char *branch, const char *from_hdr_tag, const char *to_hdr_tag)
{
    bool by_caller = strcmp(from, CALLER) == 0;
    feed(ms, from, to,
         "%s sip:x@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s\r\n"
         "From: <sip:%s>;tag=%s\r\nTo: <sip:%s>;tag=%s\r\n"
         "Call-ID: call-1@a\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
         method, to, from, branch, by_caller ? "alice@a.example" : "bob@b.example", from_hdr_tag,
         by_caller ? "bob@b.example" : "alice@a.example", to_hdr_tag, cseq, method);
}

static const struct call *only_call(void)
{
    correlate_flush(co, t0 + 100ULL * 1000000000ULL);
    cr_assert_eq(nseen, 1, "expected one call, got %d", nseen);
    return &seen_calls[0];
}

TestSuite(correlate, .init = setup, .fini = teardown);

Test(correlate, basic_call_completed_with_times)
{
    invite(0, 1, "z9hG4bK-1", true);
    response(5, 100, "Trying", 1, "INVITE", "z9hG4bK-1", NULL);
    response(150, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(1500, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(1510, CALLER, CALLEE, "ACK", 1, "z9hG4bK-2", "ft1", "tt1");
    request(3527, CALLER, CALLEE, "BYE", 2, "z9hG4bK-3", "ft1", "tt1");
    response(3535, 200, "OK", 2, "BYE", "z9hG4bK-3", "tt1");
    const struct call *c = only_call();
    cr_assert_str_eq(c->call_id, "call-1@a");
    cr_assert_str_eq(c->from, "sip:alice@a.example");
    cr_assert_str_eq(c->to, "sip:bob@b.example");
    cr_assert_str_eq(c->from_user, "alice");
    cr_assert_str_eq(c->to_user, "bob");
    cr_assert_str_eq(c->from_tag, "ft1");
    cr_assert_str_eq(c->to_tag, "tt1");
    cr_assert_str_eq(c->ua_caller, "test-ua");
    cr_assert_str_eq(c->ua_callee, "test-uas");
    cr_assert_eq(c->state, CALL_STATE_COMPLETED);
    cr_assert_eq(c->final_code, 200);
    cr_assert_eq(c->sip_messages, 7);
    cr_assert_eq(c->retransmissions, 0);
    cr_assert_eq(c->hangup_by, CALL_PARTY_CALLER);
    cr_assert_str_eq(c->end_reason, "bye");
    cr_assert_float_eq(call_setup_ms(c), 150.0, 1e-9);
    cr_assert_float_eq(call_duration_s(c), 2.027, 1e-9);
    cr_assert_eq(c->start_ns, t0);
    cr_assert_eq(c->trying_ns, t0 + 5000000);
    cr_assert(c->offer.present);
    cr_assert_eq(c->offer.media.port, 16384);
    cr_assert_eq(c->offer.codec_count, 2);
    cr_assert_str_eq(c->offer.codecs[0], "PCMA");
    cr_assert_str_eq(seen_ladder[0], "INVITE;100 Trying;180 Ringing;200 OK;ACK;BYE;200 OK;");
    cr_assert_eq(st.v[STAT_SIP_MESSAGES], 7);
    cr_assert_eq(st.v[STAT_CALLS], 1);
}

Test(correlate, retransmitted_invite_is_counted_not_new)
{
    invite(0, 1, "z9hG4bK-1", false);
    cr_assert(
        feed(500, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
             "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"));
    response(600, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(700, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->sip_messages, 4);
    cr_assert_eq(c->retransmissions, 2);
    cr_assert_eq(c->start_ns, t0);
    cr_assert_eq(c->state, CALL_STATE_RINGING);
    cr_assert_str_eq(seen_ladder[0], "INVITE;INVITE(R);180 Ringing;180 Ringing(R);");
    cr_assert_eq(st.v[STAT_SIP_RETRANSMISSIONS], 2);
}

/*
 * A call keeps the signatures of its last CALL_SEEN_KEYS distinct messages itself and hands
 * older ones to the shared table: a retransmission is caught either way, and a new message is
 * never taken for one.
 */
Test(correlate, retransmissions_are_caught_past_the_calls_own_signatures)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(10, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(1000, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(1010, CALLER, CALLEE, "ACK", 1, "z9hG4bK-a", "ft1", "tt1");
    /* 4 + 2 * 6 = 16 distinct messages: the first 8 signatures have moved to the shared table */
    for (int k = 0; k < 6; k++) {
        char branch[32];
        snprintf(branch, sizeof branch, "z9hG4bK-i%d", k);
        request(2000 + 100 * k, CALLER, CALLEE, "INFO", 2 + k, branch, "ft1", "tt1");
        response(2010 + 100 * k, 200, "OK", 2 + k, "INFO", branch, "tt1");
    }
    cr_assert_eq(st.v[STAT_SIP_RETRANSMISSIONS], 0, "16 distinct messages, none resent");
    /* the 200 OK to the INVITE again (its signature is in the shared table now), the last INFO
     * again (still in the call), then the BYE and its answer */
    response(3000, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(3001, CALLER, CALLEE, "INFO", 7, "z9hG4bK-i5", "ft1", "tt1");
    request(4000, CALLER, CALLEE, "BYE", 8, "z9hG4bK-b", "ft1", "tt1");
    response(4010, 200, "OK", 8, "BYE", "z9hG4bK-b", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->sip_messages, 20);
    cr_assert_eq(c->retransmissions, 2);
    cr_assert_eq(st.v[STAT_SIP_RETRANSMISSIONS], 2);
    cr_assert_eq(c->state, CALL_STATE_COMPLETED);
    cr_assert(strstr(seen_ladder[0], ";INFO;200 OK;200 OK(R);INFO(R);BYE;200 OK;") != NULL, "%s",
              seen_ladder[0]);
}

Test(correlate, busy_486)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(2500, 486, "Busy Here", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(2501, CALLER, CALLEE, "ACK", 1, "z9hG4bK-1", "ft1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_BUSY);
    cr_assert_eq(c->final_code, 486);
    cr_assert_eq(c->end_ns, t0 + 2500000000ULL);
    cr_assert(call_duration_s(c) < 0);
}

Test(correlate, cancel_then_487)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    feed(3000, CALLER, CALLEE,
         "CANCEL sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
         "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
    response(3001, 200, "OK", 1, "CANCEL", "z9hG4bK-1", "tt1");
    response(3002, 487, "Request Terminated", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_CANCELLED);
    cr_assert_eq(c->final_code, 487);
    cr_assert_eq(c->hangup_by, CALL_PARTY_CALLER);
    cr_assert_eq(c->answer_ns, 0, "a 200 to the CANCEL is not an answer");
}

Test(correlate, timeout_408_and_rejected_488)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(10000, 408, "Request Timeout", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_TIMEOUT);
    cr_assert_eq(c->final_code, 408);
}

Test(correlate, codec_mismatch_488_is_rejected)
{
    invite(0, 1, "z9hG4bK-1", true);
    response(5, 488, "Not Acceptable Here", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_REJECTED);
    cr_assert_eq(c->final_code, 488);
}

Test(correlate, single_auth_challenge_then_answered)
{
    invite(0, 101, "z9hG4bK-1", false);
    response(2, 401, "Unauthorized", 101, "INVITE", "z9hG4bK-1", "tt0");
    request(3, CALLER, CALLEE, "ACK", 101, "z9hG4bK-1", "ft1", "tt0");
    invite(10, 102, "z9hG4bK-2", false);
    response(12, 180, "Ringing", 102, "INVITE", "z9hG4bK-2", "tt1");
    response(900, 200, "OK", 102, "INVITE", "z9hG4bK-2", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_ANSWERED);
    cr_assert_eq(c->final_code, 200);
    cr_assert_eq(c->auth_challenges, 1);
    cr_assert_eq(c->start_ns, t0, "start is the first INVITE, not the authenticated one");
    cr_assert_str_eq(c->end_reason, "end_of_capture");
}

Test(correlate, auth_loop_ends_rejected_407)
{
    for (int i = 0; i < 4; i++) {
        char br[32];
        snprintf(br, sizeof br, "z9hG4bK-%d", i);
        invite(300.0 * i, 101 + i, br, false);
        response(300.0 * i + 1, 407, "Proxy Authentication Required", 101 + i, "INVITE", br, "p");
        request(300.0 * i + 2, CALLER, CALLEE, "ACK", 101 + i, br, "ft1", "p");
    }
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_REJECTED);
    cr_assert_eq(c->final_code, 407);
    cr_assert_eq(c->auth_challenges, 4);
    cr_assert_eq(c->sip_messages, 12);
}

Test(correlate, forked_early_dialogs)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(10, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "fork-a");
    response(20, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "fork-b");
    response(900, 200, "OK", 1, "INVITE", "z9hG4bK-1", "fork-b");
    const struct call *c = only_call();
    cr_assert_eq(c->forks, 1);
    cr_assert_eq(c->dialog_count, 2);
    cr_assert_str_eq(c->to_tag, "fork-b", "the answering dialog's tag");
    cr_assert_eq(c->ringing_ns, t0 + 10000000ULL);
}

Test(correlate, bye_from_callee)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(900, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(5000, CALLEE, CALLER, "BYE", 1, "z9hG4bK-9", "tt1", "ft1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_COMPLETED);
    cr_assert_eq(c->hangup_by, CALL_PARTY_CALLEE);
    cr_assert(call_setup_ms(c) < 0, "no 18x: setup_ms not applicable");
}

Test(correlate, reinvite_does_not_change_state)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(900, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    feed(3000, CALLER, CALLEE,
         "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-r\r\n"
         "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
         "Call-ID: call-1@a\r\nCSeq: 2 INVITE\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %zu\r\n\r\n%s",
         strlen(SDP_BODY), SDP_BODY);
    response(3010, 200, "OK", 2, "INVITE", "z9hG4bK-r", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_ANSWERED);
    cr_assert_eq(c->reinvites, 1);
    cr_assert_eq(c->answer_ns, t0 + 900000000ULL);
}

Test(correlate, ended_call_lingers_then_is_emitted_by_tick)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 486, "Busy Here", 1, "INVITE", "z9hG4bK-1", "tt1");
    correlate_tick(co, t0 + 5ULL * 1000000000ULL);
    cr_assert_eq(nseen, 0, "still lingering for retransmissions");
    correlate_tick(co, t0 + 40ULL * 1000000000ULL);
    cr_assert_eq(nseen, 1);
    cr_assert_eq(correlate_active_calls(co), 0);
}

Test(correlate, unanswered_call_times_out_on_packet_time)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    correlate_tick(co, t0 + 400ULL * 1000000000ULL);
    cr_assert_eq(nseen, 1);
    cr_assert_eq(seen_calls[0].state, CALL_STATE_TIMEOUT);
    cr_assert_str_eq(seen_calls[0].end_reason, "timeout");
}

Test(correlate, ringing_at_end_of_input_stays_ringing)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_RINGING);
    cr_assert_eq(c->final_code, 0);
}

Test(correlate, full_table_evicts_oldest_and_counts)
{
    for (int i = 0; i < 20; i++) {
        feed(i, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
             "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: many-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             i, i, i);
    }
    cr_assert_eq(nseen, 4, "four calls had to make room");
    cr_assert_eq(st.v[STAT_CALLS_EVICTED], 4);
    cr_assert_str_eq(seen_calls[0].call_id, "many-0");
    cr_assert_str_eq(seen_calls[0].end_reason, "evicted");
    cr_assert_eq(correlate_active_calls(co), 16);
    correlate_flush(co, t0 + 1000000000ULL);
    cr_assert_eq(nseen, 20, "every call is reported, evicted or not");
    cr_assert_str_eq(seen_calls[4].call_id, "many-4", "flush is oldest first");
}

Test(correlate, message_without_call_id_is_counted_not_a_call)
{
    feed(0, CALLER, CALLEE,
         "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
         "From: <sip:alice@a.example>;tag=1\r\nTo: <sip:bob@b.example>\r\nCSeq: 1 INVITE\r\n"
         "Content-Length: 0\r\n\r\n");
    correlate_flush(co, t0);
    cr_assert_eq(nseen, 0);
    cr_assert_eq(st.v[STAT_SIP_NO_CALL_ID], 1);
    cr_assert_eq(st.v[STAT_SIP_MESSAGES], 1);
}

Test(correlate, orphan_bye_is_not_a_call)
{
    request(0, CALLER, CALLEE, "BYE", 5, "z9hG4bK-x", "ft1", "tt1");
    correlate_flush(co, t0);
    cr_assert_eq(nseen, 0);
    cr_assert_eq(st.v[STAT_SIP_ORPHANS], 1);
}

Test(correlate, options_and_message_are_not_calls)
{
    feed(0, CALLER, CALLEE,
         "OPTIONS sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-o\r\n"
         "From: <sip:alice@a.example>;tag=1\r\nTo: <sip:bob@b.example>\r\nCall-ID: opt-1\r\n"
         "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    correlate_flush(co, t0);
    cr_assert_eq(nseen, 0);
    cr_assert_eq(st.v[STAT_SIP_ORPHANS], 0);
}

static void reg(double ms, int cseq, const char *branch, const char *expires_hdr)
{
    feed(ms, CALLER, CALLEE,
         "REGISTER sip:a.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=%s\r\n"
         "From: <sip:alice@a.example>;tag=r1\r\nTo: <sip:alice@a.example>\r\nCall-ID: reg-1\r\n"
         "CSeq: %d REGISTER\r\nContact: <sip:alice@192.0.2.1:5060>\r\n%s"
         "Content-Length: 0\r\n\r\n",
         branch, cseq, expires_hdr);
}

static void reg_resp(double ms, int code, int cseq, const char *branch, const char *contact)
{
    feed(ms, CALLEE, CALLER,
         "SIP/2.0 %d X\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=%s\r\n"
         "From: <sip:alice@a.example>;tag=r1\r\nTo: <sip:alice@a.example>;tag=s\r\n"
         "Call-ID: reg-1\r\nCSeq: %d REGISTER\r\n%sContent-Length: 0\r\n\r\n",
         code, branch, cseq, contact);
}

Test(correlate, register_challenge_bind_refresh_unregister)
{
    reg(0, 1, "z9hG4bK-r1", "Expires: 3600\r\n");
    reg_resp(1, 401, 1, "z9hG4bK-r1", "");
    reg(2, 2, "z9hG4bK-r2", "Expires: 3600\r\n");
    reg_resp(3, 200, 2, "z9hG4bK-r2", "Contact: <sip:alice@192.0.2.1:5060>;expires=3600\r\n");
    reg(6000, 3, "z9hG4bK-r3", "Expires: 3600\r\n");
    reg_resp(6001, 200, 3, "z9hG4bK-r3", "Contact: <sip:alice@192.0.2.1:5060>;expires=3600\r\n");
    reg(7500, 4, "z9hG4bK-r4", "Expires: 0\r\n");
    reg_resp(7501, 200, 4, "z9hG4bK-r4", "");
    correlate_flush(co, t0 + 8ULL * 1000000000ULL);
    cr_assert_eq(nseen, 0, "REGISTER is not a call");
    cr_assert_eq(nregs, 1);
    const struct registration *r = &seen_regs[0];
    cr_assert_str_eq(r->aor, "sip:alice@a.example");
    cr_assert_eq(r->challenges, 1);
    cr_assert_eq(r->requests, 4);
    cr_assert_eq(r->refreshes, 1);
    cr_assert_not(r->registered);
    cr_assert(r->unregistered);
    cr_assert_eq(r->last_code, 200);
    cr_assert_str_eq(r->contact, "sip:alice@192.0.2.1:5060");
}

Test(correlate, bye_of_the_unwanted_fork_does_not_end_the_call)
{
    /* RFC 3261 §13.2.2.4: two forks answer; the caller ACKs and BYEs the second one. */
    invite(0, 1, "z9hG4bK-1", false);
    response(100, 200, "OK", 1, "INVITE", "z9hG4bK-1", "fork-b");
    response(110, 200, "OK", 1, "INVITE", "z9hG4bK-1", "fork-a");
    request(1300, CALLER, CALLEE, "BYE", 2, "z9hG4bK-x", "ft1", "fork-a");
    request(9000, CALLER, CALLEE, "BYE", 3, "z9hG4bK-y", "ft1", "fork-b");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_COMPLETED);
    cr_assert_str_eq(c->to_tag, "fork-b");
    cr_assert_eq(c->end_ns, t0 + 9000000000ULL, "the answered dialog's BYE ends the call");
    cr_assert_float_eq(call_duration_s(c), 8.9, 1e-9);
    cr_assert_eq(c->forks, 1);
}

Test(correlate, callee_reinvite_with_the_same_cseq_is_not_the_initial_invite)
{
    /* The callee numbers its own CSeq: its re-INVITE 1 collides with the caller's INVITE 1. */
    invite(0, 1, "z9hG4bK-1", true);
    response(500, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    feed(2000, CALLEE, CALLER,
         "INVITE sip:alice@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-c\r\n"
         "From: <sip:bob@b.example>;tag=tt1\r\nTo: <sip:alice@a.example>;tag=ft1\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
    feed(2010, CALLER, CALLEE,
         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-c\r\n"
         "From: <sip:bob@b.example>;tag=tt1\r\nTo: <sip:alice@a.example>;tag=ft1\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %zu\r\n\r\n%s",
         strlen(SDP_BODY), SDP_BODY);
    const struct call *c = only_call();
    cr_assert_eq(c->forks, 0, "the caller's own tag is not a fork");
    cr_assert_eq(c->dialog_count, 1);
    cr_assert_not(c->answer.present, "the caller's SDP is not the callee's answer");
    cr_assert_eq(c->answer_ns, t0 + 500000000ULL);
}

Test(correlate, cancel_without_a_captured_487_ends_at_the_cancel)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    feed(3000, CALLER, CALLEE,
         "CANCEL sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
         "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
    const struct call *c = only_call();
    cr_assert_eq(c->state, CALL_STATE_CANCELLED);
    cr_assert_eq(c->end_ns, t0 + 3000000000ULL);
    cr_assert_str_eq(c->end_reason, "cancel");
}

Test(correlate, setup_timeout_runs_from_the_invite_not_the_last_18x)
{
    invite(0, 1, "z9hG4bK-1", false);
    for (int i = 1; i <= 40; i++) /* a 183 every 10 s keeps the call busy but never answers */
        response(10000.0 * i, 183, "Session Progress", 1, "INVITE", "z9hG4bK-1", "tt1");
    correlate_tick(co, t0 + 301ULL * 1000000000ULL);
    cr_assert_eq(nseen, 1, "300 s after the INVITE the call has timed out");
    cr_assert_eq(seen_calls[0].state, CALL_STATE_TIMEOUT);
}

Test(correlate, capture_drops_are_counted_per_call)
{
    correlate_capture_drops(co, 100, 7);
    invite(0, 1, "z9hG4bK-1", false);
    response(10, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    correlate_capture_drops(co, 130, 9); /* the sensor lost 30 + 2 packets during the call */
    const struct call *c = only_call();
    cr_assert_eq(c->capture_drops_kernel, 30);
    cr_assert_eq(c->capture_drops_ring, 2);
}

/* ---- the text arena and the walk over held calls ---------------------- */

/* Start again with a correlator whose text arena holds text_bytes (0: off). */
static void reopen(size_t text_bytes)
{
    correlate_destroy(co);
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 16;
    cfg.max_msgs = 4096;
    cfg.max_txns = 1024;
    cfg.max_regs = 16;
    cfg.text_bytes = text_bytes;
    co = correlate_create(&cfg, &st, on_call, on_reg, NULL, NULL);
    cr_assert_not_null(co);
}

/* Feed bytes as they would come off the wire (len given: they may hold NULs). */
static void feed_bytes(double ms, const char *from, const char *to, const char *bytes, size_t len)
{
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)bytes, len, false, &m), STATUS_OK);
    struct sip_meta meta = {.ts_ns = t0 + (uint64_t)(ms * 1e6), .transport = CALL_TRANSPORT_UDP};
    cr_assert(addr_parse(sv_make(from, strlen(from)), &meta.src.ip));
    cr_assert(addr_parse(sv_make(to, strlen(to)), &meta.dst.ip));
    meta.src.port = meta.dst.port = 5060;
    correlate_sip(co, &m, &meta);
}

static const struct call *held(const char *call_id)
{
    for (const struct call *c = correlate_first_call(co); c; c = correlate_next_call(co, c))
        if (strcmp(c->call_id, call_id) == 0)
            return c;
    return NULL;
}

static const struct call_msg *nth_msg(const struct call *c, int n)
{
    const struct call_msg *m = correlate_first_msg(co, c);
    for (int i = 0; i < n && m; i++)
        m = correlate_next_msg(co, m);
    cr_assert_not_null(m);
    return m;
}

#define TXT_INVITE                                                                                 \
    "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"          \
    "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\nCall-ID: txt-1\r\n"         \
    "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 122\r\n\r\n"               \
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                    \
    "m=audio 16384 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
#define TXT_180                                                                                    \
    "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"                       \
    "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\nCall-ID: txt-1\r\n" \
    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
/* an INFO whose binary body holds a NUL byte (5 bytes: 'a', NUL, 'b', CR, LF) */
#define TXT_INFO                                                                                   \
    "INFO sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-2\r\n"            \
    "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\nCall-ID: txt-1\r\n" \
    "CSeq: 2 INFO\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\na\0b\r\n"

Test(correlate, message_texts_are_off_by_default)
{
    feed_bytes(0, CALLER, CALLEE, TXT_INVITE, sizeof TXT_INVITE - 1);
    const struct call *c = held("txt-1");
    cr_assert_not_null(c);
    const struct call_msg *m = correlate_first_msg(co, c);
    cr_assert_not(correlate_msg_text_cut(co, m));
    cr_assert_eq(correlate_msg_text(co, m).len, 0);
}

Test(correlate, message_texts_come_back_as_sent)
{
    reopen(64 * 1024);
    /* the INVITE comes after two CRLF keepalives in the same datagram: they are not its text */
    static const char with_keepalive[] = "\r\n\r\n" TXT_INVITE;
    feed_bytes(0, CALLER, CALLEE, with_keepalive, sizeof with_keepalive - 1);
    feed_bytes(50, CALLEE, CALLER, TXT_180, sizeof TXT_180 - 1);
    feed_bytes(60, CALLER, CALLEE, TXT_INFO, sizeof TXT_INFO - 1);
    const struct call *c = held("txt-1");
    cr_assert_not_null(c);
    static const struct {
        const char *p;
        size_t len;
    } sent[] = {{TXT_INVITE, sizeof TXT_INVITE - 1},
                {TXT_180, sizeof TXT_180 - 1},
                {TXT_INFO, sizeof TXT_INFO - 1}};
    for (int i = 0; i < 3; i++) {
        const struct call_msg *m = nth_msg(c, i);
        struct sv t = correlate_msg_text(co, m);
        cr_assert_eq(t.len, sent[i].len, "message %d: %zu bytes, sent %zu", i, t.len, sent[i].len);
        cr_assert(memcmp(t.p, sent[i].p, t.len) == 0, "message %d differs", i);
        cr_assert_not(correlate_msg_text_cut(co, m));
    }
    cr_assert_eq(correlate_msg_text(co, nth_msg(c, 2)).p[sizeof TXT_INFO - 5], '\0',
                 "the NUL of the body is kept");
}

Test(correlate, overwritten_texts_come_back_empty)
{
    /* 4 KiB arena: 512 bytes per message at most; the INFOs below are ~230 bytes each, so
     * the arena holds the last 17 or so and the first ones are overwritten. */
    reopen(4096);
    feed_bytes(0, CALLER, CALLEE, TXT_INVITE, sizeof TXT_INVITE - 1);
    char buf[512];
    int len[40];
    for (int i = 0; i < 40; i++) {
        len[i] = snprintf(buf, sizeof buf,
                          "INFO sip:bob@b.example SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=b%d\r\n"
                          "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=t\r\n"
                          "Call-ID: txt-1\r\nCSeq: %d INFO\r\nContent-Length: 0\r\n\r\n",
                          i, 10 + i);
        feed_bytes(1 + i, CALLER, CALLEE, buf, (size_t)len[i]);
    }
    const struct call *c = held("txt-1");
    cr_assert_eq(c->msg_count, 41);
    cr_assert_eq(correlate_msg_text(co, nth_msg(c, 0)).len, 0, "the INVITE's text is gone");
    cr_assert_eq(correlate_msg_text(co, nth_msg(c, 1)).len, 0, "so is the first INFO's");
    struct sv last = correlate_msg_text(co, nth_msg(c, 40));
    cr_assert_eq(last.len, (size_t)len[39]);
    cr_assert(memcmp(last.p, buf, last.len) == 0, "the newest text is whole");
    /* Every text that comes back is the one that was sent: its CSeq line says which. */
    int kept = 0;
    for (int i = 1; i <= 40; i++) {
        struct sv t = correlate_msg_text(co, nth_msg(c, i));
        if (!t.len)
            continue;
        kept++;
        char want[32];
        snprintf(want, sizeof want, "CSeq: %d INFO", 10 + i - 1);
        cr_assert_eq(t.len, (size_t)len[i - 1]);
        bool found = false;
        for (size_t k = 0; k + strlen(want) <= t.len && !found; k++)
            found = memcmp(t.p + k, want, strlen(want)) == 0;
        cr_assert(found, "message %d: wrong text", i);
    }
    cr_assert(kept >= 10 && kept < 40, "%d texts kept", kept);
}

Test(correlate, long_text_is_cut_and_marked)
{
    reopen(1024); /* 128 bytes per message at most */
    feed_bytes(0, CALLER, CALLEE, TXT_INVITE, sizeof TXT_INVITE - 1);
    const struct call_msg *m = correlate_first_msg(co, held("txt-1"));
    cr_assert(correlate_msg_text_cut(co, m));
    struct sv t = correlate_msg_text(co, m);
    cr_assert_eq(t.len, 128);
    cr_assert(memcmp(t.p, TXT_INVITE, 128) == 0, "the first bytes are kept");
}

Test(correlate, walk_visits_every_held_call_once)
{
    /* three calls: one ringing, one answered, one ended (busy) and lingering */
    for (int i = 0; i < 3; i++)
        feed(i, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
             "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: walk-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             i, i, i);
    const char *codes[] = {"180 Ringing", "200 OK", "486 Busy Here"};
    for (int i = 0; i < 3; i++)
        feed(10 + i, CALLEE, CALLER,
             "SIP/2.0 %s\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
             "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>;tag=x\r\n"
             "Call-ID: walk-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             codes[i], i, i, i);
    int seen_mask = 0, steps = 0;
    for (const struct call *c = correlate_first_call(co); c; c = correlate_next_call(co, c)) {
        int i = c->call_id[5] - '0';
        cr_assert(i >= 0 && i < 3);
        cr_assert_eq(seen_mask & (1 << i), 0, "walk-%d visited twice", i);
        seen_mask |= 1 << i;
        steps++;
    }
    cr_assert_eq(seen_mask, 7);
    cr_assert_eq(steps, (int)correlate_active_calls(co));
    cr_assert(held("walk-2")->ended, "the busy call lingers, ended");
    correlate_tick(co, t0 + 40ULL * 1000000000ULL); /* the lingering call goes */
    cr_assert_null(held("walk-2"));
    cr_assert_not_null(held("walk-0"));
    correlate_flush(co, t0 + 41ULL * 1000000000ULL);
    cr_assert_null(correlate_first_call(co));
}

/* INVITEs from a scanner: each alone, with its own Call-ID, never answered. */
static void probes(double ms, int first, int count)
{
    for (int i = first; i < first + count; i++)
        feed(ms + i, "198.51.100.7", CALLEE,
             "INVITE sip:%d@b.example SIP/2.0\r\nVia: SIP/2.0/UDP "
             "198.51.100.7;branch=z9hG4bK-p%d\r\n"
             "From: <sip:100@198.51.100.7>;tag=p%d\r\nTo: <sip:%d@b.example>\r\n"
             "Call-ID: probe-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             i, i, i, i, i);
}

/* The flood tests' symptom (tests/flood): in an INVITE flood a real call that was ringing sat in
 * the same queue as the flood's INVITEs, in start order, and was evicted before its 200 OK came
 * (its CDR said ringing/evicted and the rest of the call was lost). Calls that never had any
 * response go first now. */
Test(correlate, invite_flood_evicts_unanswered_probes_before_a_ringing_call)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(1, 100, "Trying", 1, "INVITE", "z9hG4bK-1", NULL);
    response(2, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    probes(10, 0, 40); /* the table holds 16: 25 probes must go */
    cr_assert_eq(st.v[STAT_CALLS_EVICTED], 25);
    cr_assert_eq(nseen, 25);
    for (int i = 0; i < nseen; i++)
        cr_assert_eq(strncmp(seen_calls[i].call_id, "probe-", 6), 0, "%s evicted",
                     seen_calls[i].call_id);
    cr_assert_str_eq(seen_calls[0].call_id, "probe-0", "the oldest probe first");
    cr_assert_not_null(held("call-1@a"));
    response(600, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    request(610, CALLER, CALLEE, "ACK", 1, "z9hG4bK-2", "ft1", "tt1");
    probes(620, 40, 20); /* an answered call is not pushed out either */
    request(2000, CALLER, CALLEE, "BYE", 2, "z9hG4bK-3", "ft1", "tt1");
    response(2005, 200, "OK", 2, "BYE", "z9hG4bK-3", "tt1");
    cr_assert_eq(st.v[STAT_CALLS_EVICTED], 45);
    correlate_flush(co, t0 + 3ULL * 1000000000ULL);
    const struct call *real = NULL;
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen_calls[i].call_id, "call-1@a") == 0)
            real = &seen_calls[i];
    cr_assert_not_null(real);
    cr_assert_eq(real->state, CALL_STATE_COMPLETED);
    cr_assert_str_eq(real->end_reason, "bye");
    cr_assert_eq(real->sip_messages, 7);
}

Test(correlate, probe_nobody_answered_times_out_and_a_full_table_of_answered_calls_still_evicts)
{
    probes(0, 0, 1);
    correlate_tick(co, t0 + 301ULL * 1000000000ULL); /* setup timeout 300 s, from the INVITE */
    cr_assert_eq(nseen, 1);
    cr_assert_eq(seen_calls[0].state, CALL_STATE_TIMEOUT);
    cr_assert_str_eq(seen_calls[0].end_reason, "timeout");
    /* 16 answered calls fill the table; a 17th INVITE still finds room (oldest answered goes) */
    for (int i = 0; i < 17; i++) {
        double ms = 400000 + 10 * i;
        feed(ms, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-u%d\r\n"
             "From: <sip:alice@a.example>;tag=u%d\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: up-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             i, i, i);
        feed(ms + 1, CALLEE, CALLER,
             "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-u%d\r\n"
             "From: <sip:alice@a.example>;tag=u%d\r\nTo: <sip:bob@b.example>;tag=b%d\r\n"
             "Call-ID: up-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             i, i, i, i);
    }
    cr_assert_eq(st.v[STAT_CALLS_EVICTED], 1);
    cr_assert_eq(nseen, 2);
    cr_assert_str_eq(seen_calls[1].call_id, "up-0");
    cr_assert_eq(seen_calls[1].state, CALL_STATE_ANSWERED);
    cr_assert_not_null(held("up-16"));
}

/* ---- memory (issue 7): off-path messages, the string store, record sizes ---- */

#define PROXY "192.0.2.9"

Test(correlate, message_off_the_call_path_keeps_its_endpoints_and_sdp)
{
    /* the INVITE goes caller -> callee; a 183 with SDP comes back from a proxy (another leg) */
    invite(0, 1, "z9hG4bK-1", true);
    feed(10, PROXY, CALLER,
         "SIP/2.0 183 Session Progress\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
         "From: \"Alice\" <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %zu\r\n\r\n%s",
         strlen(SDP_BODY), SDP_BODY);
    response(20, 200, "OK", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = held("call-1@a");
    cr_assert_not_null(c);
    const struct call_msg *inv = nth_msg(c, 0), *p183 = nth_msg(c, 1), *ok = nth_msg(c, 2);
    char a[ADDR_STR_MAX], b[ADDR_STR_MAX];
    cr_assert_eq(inv->path, CALL_MSG_PATH_FWD);
    cr_assert_null(call_msg_route(inv));
    cr_assert_str_eq(addr_format(&call_msg_src(c, inv)->ip, a, sizeof a), CALLER);
    cr_assert_str_eq(addr_format(&call_msg_dst(c, inv)->ip, b, sizeof b), CALLEE);
    cr_assert(inv->flags & CALL_MSG_SDP);
    cr_assert_str_eq(inv->sdp->codec, "PCMA");
    /* off the path: a route record, which also holds its SDP */
    cr_assert_eq(p183->path, CALL_MSG_PATH_ROUTE);
    cr_assert_not_null(call_msg_route(p183));
    cr_assert_str_eq(addr_format(&call_msg_src(c, p183)->ip, a, sizeof a), PROXY);
    cr_assert_str_eq(addr_format(&call_msg_dst(c, p183)->ip, b, sizeof b), CALLER);
    cr_assert(p183->flags & CALL_MSG_SDP);
    cr_assert_str_eq(p183->sdp->codec, "PCMA");
    cr_assert_eq(p183->sdp->media.port, 16384);
    cr_assert_str_eq(p183->label, "183 Session Progress");
    /* the callee's answer goes back along the call's path */
    cr_assert_eq(ok->path, CALL_MSG_PATH_REV);
    cr_assert_str_eq(addr_format(&call_msg_src(c, ok)->ip, a, sizeof a), CALLEE);
    cr_assert_eq(ok->sdp, &call_msg_no_sdp);
    cr_assert_str_eq(ok->label, "200 OK");
}

Test(correlate, unusual_labels_are_kept_as_sent)
{
    invite(0, 1, "z9hG4bK-1", false);
    response(10, 180, "Ringing (custom)", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(20, 200, "ok", 1, "INVITE", "z9hG4bK-1", "tt1");
    /* a phrase that is a known one's start, or has it as its start, is not that one */
    response(30, 183, "Session", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(40, 180, "Ringing again", 1, "INVITE", "z9hG4bK-1", "tt1");
    response(50, 180, "Ringing", 1, "INVITE", "z9hG4bK-1", "tt1");
    const struct call *c = held("call-1@a");
    cr_assert_eq(c->msg_count, 6);
    cr_assert_str_eq(nth_msg(c, 0)->label, "INVITE");
    cr_assert_str_eq(nth_msg(c, 1)->label, "180 Ringing (custom)");
    cr_assert_str_eq(nth_msg(c, 2)->label, "200 ok");
    cr_assert_str_eq(nth_msg(c, 3)->label, "183 Session");
    cr_assert_str_eq(nth_msg(c, 4)->label, "180 Ringing again");
    cr_assert_str_eq(nth_msg(c, 5)->label, "180 Ringing");
}

/* A table whose string store holds 512 bytes: a few calls' worth. */
static void reopen_small_store(void)
{
    correlate_destroy(co);
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 16;
    cfg.max_msgs = 4096;
    cfg.max_txns = 1024;
    cfg.max_regs = 16;
    cfg.str_bytes = 512;
    co = correlate_create(&cfg, &st, on_call, on_reg, NULL, NULL);
    cr_assert_not_null(co);
}

Test(correlate, full_string_store_evicts_for_a_new_call_id_and_cuts_the_rest)
{
    reopen_small_store();
    /* long values (96-byte AORs, 63-char user agents) fill 512 bytes within a few calls */
    char ua[64], user[40];
    memset(ua, 'u', sizeof ua - 1);
    ua[sizeof ua - 1] = '\0';
    memset(user, 'n', sizeof user - 1);
    user[sizeof user - 1] = '\0';
    for (int i = 0; i < 12; i++)
        feed(i, CALLER, CALLEE,
             "INVITE sip:%s@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
             "From: <sip:%s@a.example>;tag=ft%d\r\nTo: <sip:%s@b.example>\r\n"
             "Call-ID: store-%d\r\nCSeq: 1 INVITE\r\nUser-Agent: %s\r\nContent-Length: 0\r\n\r\n",
             user, i, user, i, user, i, ua);
    /* the newest call is always held, with its Call-ID whole */
    const struct call *c = held("store-11");
    cr_assert_not_null(c, "the last call was created");
    cr_assert(st.v[STAT_CALLS_EVICTED] > 0 || st.v[STAT_SIP_FIELD_TRUNCATED] > 0,
              "a full store is counted, never silent");
    cr_assert_gt(st.v[STAT_CALLS_EVICTED], 0, "new Call-IDs made room by evicting calls");
    /* every call handed on still had its whole Call-ID */
    for (int i = 0; i < nseen; i++) {
        char want[32];
        snprintf(want, sizeof want, "store-%d", i);
        cr_assert_str_eq(seen_calls[i].call_id, want);
    }
    /* values the store could not hold whole are cut (counted), never overrun */
    for (c = correlate_first_call(co); c; c = correlate_next_call(co, c)) {
        cr_assert_lt(strlen(c->from), CALL_AOR_MAX);
        cr_assert_lt(strlen(c->ua_caller), CALL_UA_MAX);
    }
    correlate_flush(co, t0 + 1000000000ULL);
    cr_assert_eq(nseen, 12, "every call is reported");
}

/* A fresh correlator with small tables and no linger. */
static void open_no_linger(uint32_t str_bytes)
{
    correlate_destroy(co);
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 16;
    cfg.max_msgs = 4096;
    cfg.max_txns = 4096;
    cfg.max_regs = 16;
    if (str_bytes)
        cfg.str_bytes = str_bytes;
    cfg.linger_s = 0;
    co = correlate_create(&cfg, &st, on_call, on_reg, NULL, NULL);
    cr_assert_not_null(co);
    nseen = 0;
}

/* Call "<prefix>-<i>": INVITE at t ms, 200 OK at t + ok, BYE at t + bye. */
static void answered_then_bye(const char *prefix, int i, double t, double ok, double bye)
{
    feed(t, CALLER, CALLEE,
         "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
         "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>\r\n"
         "Call-ID: %s-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
         i, i, prefix, i);
    feed(t + ok, CALLEE, CALLER,
         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-%d\r\n"
         "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>;tag=tt%d\r\n"
         "Call-ID: %s-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
         i, i, i, prefix, i);
    feed(t + bye, CALLER, CALLEE,
         "BYE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-b%d\r\n"
         "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>;tag=tt%d\r\n"
         "Call-ID: %s-%d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
         i, i, i, prefix, i);
}

/* The 200 OK to the BYE of answered_then_bye's call, at t ms. */
static void bye_answered(const char *prefix, int i, double t)
{
    feed(t, CALLEE, CALLER,
         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-b%d\r\n"
         "From: <sip:alice@a.example>;tag=ft%d\r\nTo: <sip:bob@b.example>;tag=tt%d\r\n"
         "Call-ID: %s-%d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
         i, i, i, prefix, i);
}

/*
 * With no linger, a call ended by a BYE still waits for the BYE's answer (it
 * is part of the call: 4 messages, not 3), and goes at the first tick after
 * it; a BYE never answered holds the call CORRELATE_BYE_ANSWER_S, no more.
 */
Test(correlate, no_linger_waits_for_the_bye_answer)
{
    open_no_linger(0);
    for (int i = 0; i < 2; i++) {
        double t = i * 10000.0; /* ms */
        answered_then_bye("bye", i, t, 100, 1000);
        correlate_tick(co, t0 + (uint64_t)((t + 1100) * 1e6));
        cr_assert_eq(nseen, (unsigned)i, "call %d: released before its BYE was answered", i);
        if (i == 0) {
            bye_answered("bye", i, t + 1500);
            correlate_tick(co, t0 + (uint64_t)((t + 1600) * 1e6));
            cr_assert_eq(nseen, 1, "answered: released at the next tick");
            cr_assert_eq(seen_calls[0].sip_messages, 4);
        } else {
            /* never answered: held for CORRELATE_BYE_ANSWER_S after the BYE, then released */
            correlate_tick(co, t0 + (uint64_t)((t + 1000) * 1e6) +
                                   (CORRELATE_BYE_ANSWER_S - 1) * 1000000000ULL);
            cr_assert_eq(nseen, 1);
            correlate_tick(co, t0 + (uint64_t)((t + 1000) * 1e6) +
                                   CORRELATE_BYE_ANSWER_S * 1000000000ULL);
            cr_assert_eq(nseen, 2);
            cr_assert_eq(seen_calls[1].sip_messages, 3);
            cr_assert_eq(seen_calls[1].state, CALL_STATE_COMPLETED);
        }
    }
    cr_assert_eq(correlate_active_calls(co), 0);
}

Test(correlate, released_calls_give_their_strings_back)
{
    /* 60 calls one after the other through a 512-byte store (about 200 bytes each): each ends
     * (BYE, answered) and, with no linger, is released before the next; nothing is evicted or
     * cut */
    open_no_linger(512);
    for (int i = 0; i < 60; i++) {
        double t = i * 10.0;
        answered_then_bye("loop", i, t, 1, 2);
        bye_answered("loop", i, t + 2.5);
        correlate_tick(co, t0 + (uint64_t)((t + 3) * 1e6));
    }
    cr_assert_eq(nseen, 60);
    cr_assert_str_eq(seen_calls[59].call_id, "loop-59");
    cr_assert_str_eq(seen_calls[59].from, "sip:alice@a.example");
    cr_assert_eq(st.v[STAT_CALLS_EVICTED], 0);
    cr_assert_eq(st.v[STAT_SIP_FIELD_TRUNCATED], 0);
    cr_assert_eq(correlate_active_calls(co), 0);
}

/*
 * The records a call holds, against the per-call budget of issue 7 (peak RSS
 * under 2 KiB per concurrent call): the call (its messages' signatures
 * included, which took 7 shared transaction records of 28 bytes before, and the
 * indices of its first 8 ladder entries, 32 bytes that let the close look-ahead
 * load them at once), about 7 ladder entries, 2 of them with SDP, 2 RTP streams. (Endpoints, their
 * rtpmaps and strings come on top: see tests/bench/run.sh.) A field added
 * without care fails here as well as at the _Static_asserts.
 */
Test(correlate, record_sizes_stay_within_the_per_call_budget)
{
    cr_assert_leq(sizeof(struct call), 512);
    cr_assert_leq(sizeof(struct call_msg), 40);
    cr_assert_leq(sizeof(struct call_msg_sdp), 32);
    cr_assert_leq(sizeof(struct media_stream), 384);
    cr_assert_leq(sizeof(struct rtpstream), 248);
    size_t per_call = sizeof(struct call) + 7 * sizeof(struct call_msg) +
                      2 * sizeof(struct call_msg_sdp) + 2 * sizeof(struct media_stream);
    cr_assert_leq(per_call, 1624, "records of one call: %zu bytes", per_call);
}

/*
 * An SDP body is parsed before the call is looked up (its media buckets load meanwhile), but
 * it counts, and fills the offer or answer, only where it did before: in a call's message that
 * is not a retransmission. A broken offer counts once, not again when the INVITE is resent;
 * an orphan's broken body does not count; a good answer still fills the call.
 */
Test(correlate, a_broken_sdp_counts_once_per_call_message)
{
    static const char bad[] = "this is not SDP\r\n";
    for (int k = 0; k < 2; k++) /* the INVITE, then its retransmission */
        feed(k * 500.0, CALLER, CALLEE,
             "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-b1\r\n"
             "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>\r\n"
             "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(bad), bad);
    feed(600, CALLEE, CALLER,
         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-o1\r\n"
         "From: <sip:carol@c.example>;tag=fc1\r\nTo: <sip:dave@d.example>;tag=td1\r\n"
         "Call-ID: orphan-1@c\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %zu\r\n\r\n%s",
         strlen(bad), bad);
    feed(700, CALLEE, CALLER,
         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-b1\r\n"
         "From: <sip:alice@a.example>;tag=ft1\r\nTo: <sip:bob@b.example>;tag=tt1\r\n"
         "Call-ID: call-1@a\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %zu\r\n\r\n%s",
         strlen(SDP_BODY), SDP_BODY);
    const struct call *c = only_call();
    cr_assert_eq(st.v[STAT_SDP_PARSE_ERRORS], 1, "got %llu",
                 (unsigned long long)st.v[STAT_SDP_PARSE_ERRORS]);
    cr_assert_eq(st.v[STAT_SIP_RETRANSMISSIONS], 1);
    /* the broken offer left no offer: the 200's good SDP is the call's first, so it is taken
     * as the offer (the callee's) */
    cr_assert(c->offer.present);
    cr_assert_eq(c->offer.party, CALL_PARTY_CALLEE);
    cr_assert_eq(c->offer.media.port, 16384);
    cr_assert_str_eq(c->offer.codecs[0], "PCMA");
    cr_assert(!c->answer.present);
    cr_assert_str_eq(seen_ladder[0], "INVITE;INVITE(R);200 OK;");
}
