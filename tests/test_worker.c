/* test_worker.c: the worker's packet clock and the order of expiry and correlation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sensor/worker.h"
#include "builders.h"

#define S 1000000000ULL
static const uint64_t T0 = 1700000000ULL * S;

static struct call seen[8];
static int nseen;
static struct stats st;

static void on_call(void *ctx, const struct call *c, const struct correlate *co)
{
    (void)ctx;
    (void)co;
    if (nseen < 8)
        seen[nseen] = *c;
    nseen++;
}

static struct worker *make(uint32_t setup_timeout_s)
{
    struct worker_config cfg;
    worker_config_default(&cfg);
    cfg.correlate.max_calls = 64;
    cfg.correlate.max_msgs = 1024;
    cfg.correlate.max_txns = 256;
    cfg.correlate.max_regs = 16;
    cfg.correlate.media.max_endpoints = 64;
    cfg.correlate.media.max_streams = 64;
    cfg.correlate.setup_timeout_s = setup_timeout_s;
    cfg.tcp.max_streams = 16;
    cfg.dpi.max_flows = 64;
    cfg.dpi.max_states = 16;
    memset(&st, 0, sizeof st);
    nseen = 0;
    struct worker *w = worker_create(&cfg, &st, on_call, NULL, NULL, NULL);
    cr_assert_not_null(w);
    return w;
}

/* One SIP message (or any payload) from a to b over UDP 5060, at time t. */
static void send_udp(struct worker *w, uint64_t t, const char *a, const char *b, const char *text)
{
    static uint8_t frame[16384];
    size_t n = builders_udp4(frame, sizeof frame, a, 5060, b, 5060, text, strlen(text));
    cr_assert(n > 0);
    struct frame f = {
        .ts_ns = t, .caplen = (uint32_t)n, .wirelen = (uint32_t)n, .linktype = 1, .data = frame};
    worker_frame(w, &f);
}

static const char invite[] =
    "INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-w1\r\n"
    "From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>\r\nCall-ID: w-1\r\nCSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";
static const char ok200[] =
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-w1\r\n"
    "From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>;tag=b1\r\nCall-ID: w-1\r\nCSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";
static const char bye[] =
    "BYE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-w2\r\n"
    "From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>;tag=b1\r\nCall-ID: w-1\r\nCSeq: 2 BYE\r\n"
    "Content-Length: 0\r\n\r\n";

Test(worker, one_frame_far_in_the_future_does_not_expire_open_calls)
{
    struct worker *w = make(300);
    send_udp(w, T0, "192.0.2.1", "192.0.2.2", invite);
    send_udp(w, T0 + 1 * S, "192.0.2.2", "192.0.2.1", ok200);
    /* a corrupt record: 80 years ahead, not SIP */
    send_udp(w, T0 + 2524608000ULL * S, "192.0.2.9", "192.0.2.8", "junk");
    send_udp(w, T0 + 5 * S, "192.0.2.1", "192.0.2.2", bye);
    worker_finish(w);
    cr_assert_eq(nseen, 1);
    cr_assert_eq(seen[0].state, CALL_STATE_COMPLETED, "got %s", call_state_name(seen[0].state));
    cr_assert_eq(seen[0].sip_messages, 3);
    cr_assert_eq(st.v[STAT_CLOCK_JUMPS], 1);
    cr_assert_eq(worker_clock(w), T0 + 5 * S);
    worker_destroy(w);
}

Test(worker, a_confirmed_jump_moves_the_clock)
{
    struct worker *w = make(300);
    send_udp(w, T0, "192.0.2.9", "192.0.2.8", "junk");
    send_udp(w, T0 + 86400 * S, "192.0.2.9", "192.0.2.8", "junk");
    send_udp(w, T0 + 86401 * S, "192.0.2.9", "192.0.2.8", "junk");
    cr_assert_eq(worker_clock(w), T0 + 86401 * S, "two frames a day later: a real gap");
    worker_destroy(w);
}

Test(worker, a_message_after_the_timeout_finds_the_call_expired)
{
    /* INVITE, then its 200 OK 400 s later with a 60 s setup timeout: the call timed out
     * before the 200 arrived, whether or not other packets came in between. */
    struct worker *w = make(60);
    send_udp(w, T0, "192.0.2.1", "192.0.2.2", invite);
    send_udp(w, T0 + 400 * S, "192.0.2.2", "192.0.2.1", ok200);
    worker_finish(w);
    cr_assert_eq(nseen, 1);
    cr_assert_eq(seen[0].state, CALL_STATE_TIMEOUT, "got %s", call_state_name(seen[0].state));
    cr_assert_eq(seen[0].sip_messages, 1);
    worker_destroy(w);
}

Test(worker, too_many_messages_in_one_datagram_are_counted)
{
    struct worker *w = make(300);
    static char big[70 * 128];
    size_t off = 0;
    for (int i = 0; i < 70; i++)
        off += (size_t)snprintf(big + off, sizeof big - off,
                                "OPTIONS sip:x SIP/2.0\r\nCall-ID: o-%d\r\nCSeq: %d OPTIONS\r\n"
                                "Content-Length: 0\r\n\r\n",
                                i, i);
    send_udp(w, T0, "192.0.2.1", "192.0.2.2", big);
    cr_assert_eq(st.v[STAT_SIP_MESSAGES], WORKER_MAX_SIP_PER_DATAGRAM);
    cr_assert_eq(st.v[STAT_SIP_TOO_MANY], 1);
    worker_finish(w);
    worker_destroy(w);
}

/*
 * In a batch (worker_frames) the first SIP message of each datagram on a SIP
 * port is parsed ahead of its turn, and its call's records start loading.
 * Counters and calls must come out exactly as frame by frame: a datagram of
 * two messages (the first parsed ahead, the second in turn), an INVITE and its
 * answer in the same batch (the answer parsed before the call exists), a
 * retransmission, junk and a keepalive on the SIP port, SIP on another port
 * (not parsed ahead: the call's BYE among them, so one call gets messages
 * both ways).
 */
#define BATCH_FRAMES 9
static uint8_t batch_buf[BATCH_FRAMES][2048];

static size_t batch_make(struct frame *f)
{
    static char two[1024];
    snprintf(
        two, sizeof two, "%s%s",
        "OPTIONS sip:x SIP/2.0\r\nCall-ID: o-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        "OPTIONS sip:x SIP/2.0\r\nCall-ID: o-2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    static const char other_invite[] =
        "INVITE sip:carol@c SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bK-w9\r\n"
        "From: <sip:dave@d>;tag=d1\r\nTo: <sip:carol@c>\r\nCall-ID: w-2\r\nCSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n";
    const struct {
        const char *text;
        uint16_t port;
        const char *src, *dst;
    } in[BATCH_FRAMES] = {
        {invite, 5060, "192.0.2.1", "192.0.2.2"},
        {ok200, 5060, "192.0.2.2", "192.0.2.1"},
        {two, 5060, "192.0.2.1", "192.0.2.3"},
        {"\r\n\r\n", 5060, "192.0.2.1", "192.0.2.2"},
        {"this is not SIP at all, nor RTP", 5060, "192.0.2.1", "192.0.2.2"},
        {ok200, 5060, "192.0.2.2", "192.0.2.1"}, /* retransmitted */
        {other_invite, 5080, "192.0.2.5", "192.0.2.6"},
        {bye, 5080, "192.0.2.1", "192.0.2.2"},    /* not parsed ahead */
        {invite, 5060, "192.0.2.1", "192.0.2.2"}, /* after the BYE: a retransmission */
    };
    for (size_t i = 0; i < BATCH_FRAMES; i++) {
        size_t n = builders_udp4(batch_buf[i], sizeof batch_buf[i], in[i].src, in[i].port,
                                 in[i].dst, in[i].port, in[i].text, strlen(in[i].text));
        cr_assert(n > 0);
        f[i] = (struct frame){.ts_ns = T0 + i * (S / 100),
                              .caplen = (uint32_t)n,
                              .wirelen = (uint32_t)n,
                              .linktype = 1,
                              .data = batch_buf[i]};
    }
    return BATCH_FRAMES;
}

Test(worker, a_batch_parses_sip_ahead_and_counts_as_frame_by_frame)
{
    struct frame f[BATCH_FRAMES];
    size_t n = batch_make(f);

    struct worker *w = make(300);
    for (size_t i = 0; i < n; i++)
        worker_frame(w, &f[i]);
    worker_finish(w);
    struct stats one = st;
    int one_calls = nseen;
    struct call one_seen[8];
    memcpy(one_seen, seen, sizeof one_seen);
    worker_destroy(w);

    w = make(300);
    worker_frames(w, f, n);
    worker_finish(w);
    worker_destroy(w);

    /* the outcome itself, so that both ways being wrong alike does not pass */
    cr_assert_eq(one.v[STAT_SIP_MESSAGES], 8, "got %llu",
                 (unsigned long long)one.v[STAT_SIP_MESSAGES]);
    cr_assert_eq(one.v[STAT_SIP_RETRANSMISSIONS], 2);
    cr_assert_eq(one.v[STAT_SIP_KEEPALIVES], 1);
    cr_assert_eq(one.v[STAT_SIP_NOT_SIP], 1);
    cr_assert_eq(one.v[STAT_SIP_OTHER_PORT], 2);
    cr_assert_eq(one_calls, 2);

    for (int k = 0; k < STAT__COUNT; k++)
        cr_assert_eq(st.v[k], one.v[k], "%s: %llu in a batch, %llu frame by frame",
                     stats_name((enum stat_id)k), (unsigned long long)st.v[k],
                     (unsigned long long)one.v[k]);
    cr_assert_eq(nseen, one_calls);
    for (int i = 0; i < nseen && i < 8; i++) {
        cr_assert_eq(seen[i].state, one_seen[i].state);
        cr_assert_eq(seen[i].sip_messages, one_seen[i].sip_messages);
        cr_assert_eq(seen[i].retransmissions, one_seen[i].retransmissions);
        cr_assert_eq(seen[i].msg_count, one_seen[i].msg_count);
    }
    cr_assert_eq(one_seen[0].state, CALL_STATE_COMPLETED, "got %s",
                 call_state_name(one_seen[0].state));
    cr_assert_eq(one_seen[0].sip_messages, 5);
}
