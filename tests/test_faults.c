/* test_faults.c: each fault rule on hand-built calls, messages and streams, at its threshold. */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/faults.h"
#include "../decoders/sdp.h"

#define S 1000000000ULL
static const uint64_t T0 = 1700000000ULL * S;

static struct call c;
static struct call_msg msgs[8];
static const struct call_msg *mp[8];
static size_t nmsgs;
static struct media_stream streams[4];
static const struct media_stream *sp[4];
static size_t nstreams;
static struct fault_thresholds th;
static struct fault out[FAULTS_MAX];

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = {.port = port};
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip));
    return e;
}

/* An answered call 198.51.100.1:5060 -> 198.51.100.2:5060, answered at +1 s, BYE at +20 s. */
static void setup(void)
{
    memset(&c, 0, sizeof c);
    call_str_init(&c);
    c.call_id = "t";
    c.src = ep("198.51.100.1", 5060);
    c.dst = ep("198.51.100.2", 5060);
    c.start_ns = T0;
    c.answer_ns = T0 + 1 * S;
    c.end_ns = T0 + 20 * S;
    c.last_ns = c.end_ns;
    c.state = CALL_STATE_COMPLETED;
    c.final_code = 200;
    nmsgs = nstreams = 0;
    faults_thresholds_default(&th);
}

TestSuite(faults, .init = setup);

static void sdp_msg(bool from_caller, const char *label, const char *media_ip, uint16_t port,
                    enum sdp_dir dir, double at_s)
{
    struct call_msg *m = &msgs[nmsgs];
    memset(m, 0, sizeof *m);
    m->ts_ns = T0 + (uint64_t)(at_s * 1e9);
    m->path = from_caller ? CALL_MSG_PATH_FWD : CALL_MSG_PATH_REV;
    m->flags = CALL_MSG_SDP;
    static struct call_msg_sdp sdps[8];
    sdps[nmsgs] =
        (struct call_msg_sdp){.codec = "", .media = ep(media_ip, port), .dir = (uint8_t)dir};
    m->sdp = &sdps[nmsgs];
    m->label = label;
    mp[nmsgs] = m;
    nmsgs++;
}

/* A stream of n 20 ms PCMA packets from t0_s, every `gap`-th one missing (0: none). */
static void stream(enum call_party party, int n, double t0_s, int gap)
{
    struct media_stream *s = &streams[nstreams];
    memset(s, 0, sizeof *s);
    s->party = (uint8_t)party;
    s->ssrc = 0x100u + (uint32_t)nstreams;
    s->src = party == CALL_PARTY_CALLER ? ep("198.51.100.1", 4000) : ep("198.51.100.2", 6000);
    s->dst = party == CALL_PARTY_CALLER ? ep("198.51.100.2", 6000) : ep("198.51.100.1", 4000);
    s->codec = "PCMA";
    static const struct media_rtcp no_rtcp = {.jitter_ms = -1, .rtt_ms = -1, .xr_mos_lq = -1};
    s->rtcp = &no_rtcp;
    rtpstream_init(&s->stats, s->ssrc, 8, 8000);
    for (int i = 0; i < n; i++) {
        if (gap && i % gap == gap - 1)
            continue;
        struct rtp_hdr h = {
            .version = 2, .pt = 8, .seq = (uint16_t)i, .ts = 160u * (uint32_t)i, .ssrc = s->ssrc};
        rtpstream_update(&s->stats, &h, T0 + (uint64_t)(t0_s * 1e9) + (uint64_t)i * 20000000ULL,
                         RTPSTREAM_NO_EVENT_PT);
    }
    sp[nstreams] = s;
    nstreams++;
}

static size_t run(void)
{
    struct faults_input in = {&c, mp, nmsgs, sp, nstreams, c.last_ns};
    return faults_diagnose(&in, &th, out, FAULTS_MAX);
}

static bool has(size_t n, enum fault_code code)
{
    for (size_t i = 0; i < n; i++)
        if (out[i].code == code)
            return true;
    return false;
}

Test(faults, healthy_two_way_call_has_no_fault)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_SENDRECV, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 0);
    stream(CALL_PARTY_CALLEE, 900, 1.1, 0);
    cr_assert_eq(run(), 0, "%s", out[0].detail);
}

Test(faults, silent_callee_is_one_way_audio)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_SENDRECV, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 0);
    size_t n = run();
    cr_assert(has(n, FAULT_ONE_WAY_AUDIO));
    cr_assert_not(has(n, FAULT_NAT_PRIVATE_SDP), "public SDP address: not NAT");
    cr_assert_not_null(strstr(out[0].detail, "the callee announced 198.51.100.2:6000"), "%s",
                       out[0].detail);
}

Test(faults, private_sdp_address_behind_public_signalling_is_nat)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "192.168.1.20", 6000, SDP_DIR_SENDRECV, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 0);
    size_t n = run();
    cr_assert(has(n, FAULT_ONE_WAY_AUDIO));
    cr_assert(has(n, FAULT_NAT_PRIVATE_SDP));
}

Test(faults, hold_is_not_one_way_audio)
{
    /* the callee only ever answered recvonly: it was never meant to send */
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDONLY, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_RECVONLY, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 0);
    cr_assert_eq(run(), 0, "%s", out[0].detail);
}

Test(faults, answered_call_without_media_is_no_audio)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_SENDRECV, 1);
    size_t n = run();
    cr_assert_eq(n, 1);
    cr_assert_eq(out[0].code, FAULT_NO_AUDIO);
}

Test(faults, auth_loop_at_its_threshold_only)
{
    c.answer_ns = 0;
    c.end_ns = T0 + 1 * S;
    c.state = CALL_STATE_REJECTED;
    c.final_code = 407;
    c.auth_challenges = 2;
    cr_assert_not(has(run(), FAULT_AUTH_LOOP), "two challenges: below the default of 3");
    c.auth_challenges = 3;
    cr_assert(has(run(), FAULT_AUTH_LOOP));
    th.auth_loop = 4;
    cr_assert_not(has(run(), FAULT_AUTH_LOOP), "the threshold is the command line's");
}

Test(faults, slow_setup_above_the_threshold)
{
    c.ringing_ns = T0 + 3500000000ULL;
    c.first_provisional = 180;
    cr_assert(has(run(), FAULT_SLOW_SETUP));
    th.slow_setup_ms = 4000;
    cr_assert_not(has(run(), FAULT_SLOW_SETUP));
}

Test(faults, no_common_codec_is_a_mismatch)
{
    c.offer.present = c.answer.present = true;
    static const char *offered[1], *answered[1];
    c.offer.codecs = offered;
    c.answer.codecs = answered;
    c.offer.codec_count = 1;
    c.offer.codecs[0] = "G729";
    c.answer.codec_count = 1;
    c.answer.codecs[0] = "PCMU";
    cr_assert(has(run(), FAULT_CODEC_MISMATCH));
    c.answer.codecs[0] = "G729";
    cr_assert_not(has(run(), FAULT_CODEC_MISMATCH));
}

Test(faults, lossy_stream_is_poor_quality)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_SENDRECV, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 10); /* every 10th packet lost: 10% */
    stream(CALL_PARTY_CALLEE, 900, 1.1, 0);
    size_t n = run();
    cr_assert(has(n, FAULT_POOR_QUALITY));
    cr_assert_not_null(strstr(out[0].detail, "caller stream"), "%s", out[0].detail);
}

Test(faults, retransmission_storm_counts_the_call)
{
    c.retransmissions = 4;
    cr_assert_not(has(run(), FAULT_RETRANSMISSION_STORM));
    c.retransmissions = 5;
    cr_assert(has(run(), FAULT_RETRANSMISSION_STORM));
}

Test(faults, every_code_has_a_name_a_meaning_and_advice)
{
    for (int k = 0; k < FAULT__COUNT; k++) {
        cr_assert_str_neq(faults_code_name((enum fault_code)k), "unknown");
        cr_assert(strlen(faults_meaning((enum fault_code)k)) > 10);
        cr_assert(strlen(faults_advice((enum fault_code)k)) > 10);
    }
}

Test(faults, capture_loss_is_named_instead_of_blaming_the_network)
{
    sdp_msg(true, "INVITE", "198.51.100.1", 4000, SDP_DIR_SENDRECV, 0);
    sdp_msg(false, "200 OK", "198.51.100.2", 6000, SDP_DIR_SENDRECV, 1);
    stream(CALL_PARTY_CALLER, 900, 1.1, 10);
    stream(CALL_PARTY_CALLEE, 900, 1.1, 0);
    c.capture_drops_ring = 90;
    size_t n = run();
    cr_assert(has(n, FAULT_POOR_QUALITY));
    cr_assert_not_null(strstr(out[0].detail, "CAPTURE LOSS: the sensor itself dropped 90 packets"),
                       "%s", out[0].detail);
}
