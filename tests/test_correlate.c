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
    struct sip_meta meta = { .ts_ns = t0 + (uint64_t)(ms * 1e6), .transport = CALL_TRANSPORT_UDP };
    cr_assert(addr_parse(sv_make(from, strlen(from)), &meta.src.ip));
    cr_assert(addr_parse(sv_make(to, strlen(to)), &meta.dst.ip));
    meta.src.port = meta.dst.port = 5060;
    return correlate_sip(co, &m, &meta);
}

#define SDP_BODY                                                                                   \
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                     \
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
    cr_assert(feed(500, CALLER, CALLEE,
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
