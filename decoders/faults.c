/* faults.c: fault rules over a call, its SIP messages and its RTP streams (RFC 3261, RFC 3264,
 * G.107). */
#include "faults.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mos.h"
#include "rtpstream.h"
#include "sdp.h"

void faults_thresholds_default(struct fault_thresholds *t)
{
    *t = (struct fault_thresholds){
        .slow_setup_ms = 3000,
        .auth_loop = 3,
        .retrans_storm = 5,
        .rtp_timeout_s = 10,
        .no_ringback_s = 1,
        .min_packets = 25,
        .mos_poor = 3.5,
        .loss_poor_pct = 3,
        .jitter_poor_ms = 50,
    };
}

/* ---- helpers -------------------------------------------------------------- */

struct ctx {
    const struct faults_input *in;
    const struct fault_thresholds *t;
    struct fault *out;
    size_t cap, n;
};

static void add(struct ctx *x, enum fault_code code, uint64_t ts, const char *fmt, ...)
{
    if (x->n >= x->cap)
        return;
    struct fault *f = &x->out[x->n++];
    f->code = code;
    f->ts_ns = ts;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

static double rel_s(const struct call *c, uint64_t ts)
{
    return ts >= c->start_ns ? (double)(ts - c->start_ns) / 1e9 : 0.0;
}

/* Which party sent a message: the caller sends from where its first INVITE came. */
static enum call_party msg_party(const struct call *c, const struct call_msg *m)
{
    return endpoint_eq(call_msg_src(c, m), &c->src) ? CALL_PARTY_CALLER : CALL_PARTY_CALLEE;
}

static const char *party_word(enum call_party p)
{
    return p == CALL_PARTY_CALLER ? "caller" : "callee";
}

static enum call_party other(enum call_party p)
{
    return p == CALL_PARTY_CALLER ? CALL_PARTY_CALLEE : CALL_PARTY_CALLER;
}

/* Packets a party sent in all its streams; the first such stream in *first. */
static uint32_t party_packets(const struct faults_input *in, enum call_party p,
                              const struct media_stream **first)
{
    uint32_t n = 0;
    *first = NULL;
    for (size_t i = 0; i < in->stream_count; i++) {
        const struct media_stream *s = in->streams[i];
        if (s->party != p)
            continue;
        struct rtpstream_figures f;
        rtpstream_figures(&s->stats, &f);
        n += f.packets;
        if (!*first)
            *first = s;
    }
    return n;
}

/* The last SDP a party sent: its direction and media address (dir -1 when none). */
static int party_sdp(const struct faults_input *in, enum call_party p, const struct call_msg **last)
{
    int dir = -1;
    *last = NULL;
    bool may_send = false;
    for (size_t i = 0; i < in->msg_count; i++) {
        const struct call_msg *m = in->msgs[i];
        if (!(m->flags & CALL_MSG_SDP) || (m->flags & CALL_MSG_RETRANS))
            continue;
        if (msg_party(in->call, m) != p)
            continue;
        *last = m;
        dir = m->sdp->dir;
        if ((m->sdp->dir == SDP_DIR_SENDRECV || m->sdp->dir == SDP_DIR_SENDONLY) &&
            !addr_is_unspecified(&m->sdp->media.ip))
            may_send = true;
    }
    /* -1: no SDP; 0: never allowed to send (hold, recvonly, inactive); 1: allowed at some point */
    return dir < 0 ? -1 : may_send;
}

/* ---- the rules ------------------------------------------------------------ */

/* "PCMU, telephone-event": the codecs of an offer or answer, for the evidence text. */
static const char *codec_list(const struct call_sdp *sdp, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint8_t i = 0; i < sdp->codec_count && len < cap; i++) {
        int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", sdp->codecs[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return buf;
}

static void rule_codec_mismatch(struct ctx *x)
{
    const struct call *c = x->in->call;
    char offered[128], answered[128];
    if (c->final_code == 488 || c->final_code == 606) {
        add(x, FAULT_CODEC_MISMATCH, c->end_ns,
            "%u response to the INVITE at +%.3f s; offered [%s], answered [%s]", c->final_code,
            rel_s(c, c->end_ns), codec_list(&c->offer, offered, sizeof offered),
            c->answer.present ? codec_list(&c->answer, answered, sizeof answered) : "no answer");
        return;
    }
    if (!c->offer.present || !c->answer.present || !c->answer.codec_count)
        return;
    for (uint8_t i = 0; i < c->answer.codec_count; i++)
        for (uint8_t j = 0; j < c->offer.codec_count; j++)
            if (strcmp(c->answer.codecs[i], c->offer.codecs[j]) == 0)
                return;
    add(x, FAULT_CODEC_MISMATCH, c->answer_ns,
        "the answer has no codec in common with the offer: offered [%s], answered [%s]",
        codec_list(&c->offer, offered, sizeof offered),
        codec_list(&c->answer, answered, sizeof answered));
}

static void rule_auth_loop(struct ctx *x)
{
    const struct call *c = x->in->call;
    if (c->auth_challenges < x->t->auth_loop || c->answer_ns)
        return;
    add(x, FAULT_AUTH_LOOP, c->start_ns,
        "%u authentication challenges (401/407) to INVITEs and no success; last final response %u",
        c->auth_challenges, c->final_code);
}

static void rule_request_timeout(struct ctx *x)
{
    const struct call *c = x->in->call;
    if (c->final_code == 408)
        add(x, FAULT_REQUEST_TIMEOUT, c->end_ns, "408 Request Timeout at +%.3f s after %s",
            rel_s(c, c->end_ns), c->ringing_ns ? "ringing" : "no ringing");
    else if (c->state == CALL_STATE_TIMEOUT)
        add(x, FAULT_REQUEST_TIMEOUT, c->start_ns, "no final response to the INVITE in time");
}

static void rule_slow_setup(struct ctx *x)
{
    const struct call *c = x->in->call;
    double ms = call_setup_ms(c);
    if (ms > x->t->slow_setup_ms)
        add(x, FAULT_SLOW_SETUP, c->ringing_ns,
            "INVITE to first %u took %.0f ms (threshold %.0f ms)", c->first_provisional, ms,
            x->t->slow_setup_ms);
}

static void rule_retrans_storm(struct ctx *x)
{
    const struct call *c = x->in->call;
    if (c->retransmissions < x->t->retrans_storm)
        return;
    /* the message retransmitted most */
    const char *worst = "?";
    uint32_t best = 0;
    for (size_t i = 0; i < x->in->msg_count; i++) {
        uint32_t n = 0;
        for (size_t k = i; k < x->in->msg_count; k++)
            if ((x->in->msgs[k]->flags & CALL_MSG_RETRANS) &&
                strcmp(x->in->msgs[k]->label, x->in->msgs[i]->label) == 0 &&
                x->in->msgs[k]->cseq == x->in->msgs[i]->cseq)
                n++;
        if (n > best) {
            best = n;
            worst = x->in->msgs[i]->label;
        }
    }
    add(x, FAULT_RETRANSMISSION_STORM, c->start_ns,
        "%u retransmissions in the call, %u of them of %s (responses lost, or a NAT/firewall "
        "dropping them)",
        c->retransmissions, best, worst);
}

static void rule_no_ringback(struct ctx *x)
{
    const struct call *c = x->in->call;
    const struct call_msg *early = NULL;
    for (size_t i = 0; i < x->in->msg_count && !early; i++) {
        const struct call_msg *m = x->in->msgs[i];
        if (m->status > 100 && m->status < 200 && (m->flags & CALL_MSG_SDP))
            early = m;
    }
    if (!early)
        return;
    uint64_t until = c->answer_ns ? c->answer_ns : c->end_ns ? c->end_ns : x->in->end_ns;
    if (until <= early->ts_ns || (double)(until - early->ts_ns) / 1e9 < x->t->no_ringback_s)
        return;
    for (size_t i = 0; i < x->in->stream_count; i++) {
        const struct media_stream *s = x->in->streams[i];
        struct rtpstream_figures f;
        rtpstream_figures(&s->stats, &f);
        if (s->party == CALL_PARTY_CALLEE && f.packets && f.first_ns < until)
            return; /* early media played */
    }
    add(x, FAULT_NO_RINGBACK, early->ts_ns,
        "%s with SDP at +%.3f s told the caller to play the callee's early media instead of "
        "local ringback, but no RTP came from the callee in the %.3f s until %s",
        early->label, rel_s(c, early->ts_ns), (double)(until - early->ts_ns) / 1e9,
        c->answer_ns ? "the answer" : "the end");
}

/* one_way_audio, no_audio and nat_private_sdp: who sent media, and who was allowed to. */
static void rule_media_flow(struct ctx *x)
{
    const struct call *c = x->in->call;
    if (!c->answer_ns)
        return;
    const struct media_stream *s_caller, *s_callee;
    uint32_t n_caller = party_packets(x->in, CALL_PARTY_CALLER, &s_caller);
    uint32_t n_callee = party_packets(x->in, CALL_PARTY_CALLEE, &s_callee);
    const struct call_msg *sdp_caller, *sdp_callee;
    int may_caller = party_sdp(x->in, CALL_PARTY_CALLER, &sdp_caller);
    int may_callee = party_sdp(x->in, CALL_PARTY_CALLEE, &sdp_callee);
    uint64_t end = c->end_ns ? c->end_ns : x->in->end_ns;
    if (n_caller == 0 && n_callee == 0) {
        if (may_caller == 1 || may_callee == 1)
            add(x, FAULT_NO_AUDIO, c->answer_ns,
                "answered at +%.3f s, %.3f s of call, and no RTP in either direction",
                rel_s(c, c->answer_ns),
                end > c->answer_ns ? (double)(end - c->answer_ns) / 1e9 : 0);
        return;
    }
    enum call_party silent;
    uint32_t heard;
    const struct media_stream *s_heard;
    if (n_caller == 0 && n_callee >= x->t->min_packets) {
        silent = CALL_PARTY_CALLER;
        heard = n_callee;
        s_heard = s_callee;
    } else if (n_callee == 0 && n_caller >= x->t->min_packets) {
        silent = CALL_PARTY_CALLEE;
        heard = n_caller;
        s_heard = s_caller;
    } else {
        return;
    }
    const struct call_msg *sdp = silent == CALL_PARTY_CALLER ? sdp_caller : sdp_callee;
    int may = silent == CALL_PARTY_CALLER ? may_caller : may_callee;
    if (may == 0)
        return; /* it never offered to send (hold, recvonly, inactive): not a fault */
    char a[ADDR_STR_MAX] = "?", hs[ADDR_STR_MAX] = "?", hd[ADDR_STR_MAX] = "?";
    if (sdp)
        endpoint_format(&sdp->sdp->media, a, sizeof a);
    endpoint_format(&s_heard->src, hs, sizeof hs);
    endpoint_format(&s_heard->dst, hd, sizeof hd);
    bool nat = sdp && addr_is_private(&sdp->sdp->media.ip) &&
               !addr_is_private(&call_msg_src(c, sdp)->ip) &&
               !addr_is_unspecified(&sdp->sdp->media.ip);
    const char *why = nat ? "its SDP address is private while its signalling came from a public "
                            "one (NAT)"
                      : s_heard->origin == MEDIA_ORIGIN_LATCHED
                          ? "the other side's RTP reached it from an address other than its SDP's"
                          : "it never sent a packet";
    add(x, FAULT_ONE_WAY_AUDIO, c->answer_ns,
        "only the %s was heard: %u packets %s -> %s; the %s announced %s (%s, in %s at +%.3f s) "
        "but sent no RTP: %s",
        party_word(other(silent)), heard, hs, hd, party_word(silent), a,
        sdp ? sdp_dir_name((enum sdp_dir)sdp->sdp->dir) : "?", sdp ? sdp->label : "?",
        sdp ? rel_s(c, sdp->ts_ns) : 0.0, why);
    if (nat) {
        char sip[ADDR_STR_MAX];
        add(x, FAULT_NAT_PRIVATE_SDP, sdp->ts_ns,
            "the %s's SDP in %s announces private %s while its SIP came from %s",
            party_word(silent), sdp->label, a,
            addr_format(&call_msg_src(c, sdp)->ip, sip, sizeof sip));
    }
}

static void rule_bye_and_timeout(struct ctx *x)
{
    const struct call *c = x->in->call;
    if (!c->answer_ns || c->end_ns)
        return; /* not answered, or ended (BYE) */
    uint64_t last = 0;
    for (size_t i = 0; i < x->in->stream_count; i++) {
        struct rtpstream_figures f;
        rtpstream_figures(&x->in->streams[i]->stats, &f);
        if (f.last_ns > last)
            last = f.last_ns;
    }
    if (last && x->in->end_ns > last && (double)(x->in->end_ns - last) / 1e9 >= x->t->rtp_timeout_s)
        add(x, FAULT_RTP_TIMEOUT, last,
            "the last RTP packet came at +%.3f s; the capture went on %.3f s more with the "
            "dialog still up",
            rel_s(c, last), (double)(x->in->end_ns - last) / 1e9);
    add(x, FAULT_NO_BYE, c->answer_ns,
        "answered at +%.3f s and never ended: no BYE by the end of the capture (+%.3f s)",
        rel_s(c, c->answer_ns), rel_s(c, x->in->end_ns));
}

static void rule_poor_quality(struct ctx *x)
{
    const struct call *c = x->in->call;
    for (size_t i = 0; i < x->in->stream_count; i++) {
        const struct media_stream *s = x->in->streams[i];
        struct rtpstream_figures f;
        rtpstream_figures(&s->stats, &f);
        if (f.packets < x->t->min_packets)
            continue;
        struct mos_input mi = {.codec = sv_make(s->codec, strlen(s->codec)),
                               .loss_pct = f.lost_unique_pct,
                               .burst_r = f.burst_ratio,
                               .rtt_ms = s->rtcp->rtt_ms};
        struct mos_result r = mos_compute(&mi);
        char what[96] = "";
        if (r.valid && r.mos < x->t->mos_poor)
            snprintf(what, sizeof what, "MOS %.2f < %.2f", r.mos, x->t->mos_poor);
        else if (f.lost_unique_pct > x->t->loss_poor_pct)
            snprintf(what, sizeof what, "loss %.2f%% > %.2f%%", f.lost_unique_pct,
                     x->t->loss_poor_pct);
        else if (f.jitter_valid && f.mean_jitter_ms > x->t->jitter_poor_ms)
            snprintf(what, sizeof what, "mean jitter %.3f ms > %.3f ms", f.mean_jitter_ms,
                     x->t->jitter_poor_ms);
        if (!what[0])
            continue;
        char src[ADDR_STR_MAX], dst[ADDR_STR_MAX];
        add(x, FAULT_POOR_QUALITY, f.first_ns,
            "%s stream %s -> %s SSRC 0x%08X: %s (lost %u of %u, mean jitter %.3f ms); worst 10 s "
            "window from +%.3f s lost %.2f%%",
            party_word((enum call_party)s->party), endpoint_format(&s->src, src, sizeof src),
            endpoint_format(&s->dst, dst, sizeof dst), s->ssrc, what, f.lost_unique,
            f.expected_unique, f.jitter_valid ? f.mean_jitter_ms : 0.0,
            f.window_valid ? rel_s(c, f.window_start_ns) : 0.0,
            f.window_valid ? f.window_loss_pct : 0.0);
        return; /* one fault, naming the worst-found stream */
    }
}

/* The rule table, in the order the faults are reported. */
static void (*const rules[])(struct ctx *) = {
    rule_media_flow,   rule_no_ringback,     rule_codec_mismatch,
    rule_auth_loop,    rule_slow_setup,      rule_bye_and_timeout,
    rule_poor_quality, rule_request_timeout, rule_retrans_storm,
};

/* Faults whose evidence is missing packets: capture loss could explain them. */
static bool loss_based(enum fault_code c)
{
    return c == FAULT_ONE_WAY_AUDIO || c == FAULT_NO_AUDIO || c == FAULT_NO_RINGBACK ||
           c == FAULT_POOR_QUALITY || c == FAULT_RTP_TIMEOUT;
}

size_t faults_diagnose(const struct faults_input *in, const struct fault_thresholds *t,
                       struct fault *out, size_t cap)
{
    struct ctx x = {in, t, out, cap, 0};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        rules[i](&x);
    /* Capture loss is not network loss: if the sensor itself dropped packets while the call
     * was up, say so in every fault that rests on missing packets. */
    uint64_t drops = in->call->capture_drops_kernel + in->call->capture_drops_ring;
    for (size_t i = 0; drops && i < x.n; i++) {
        if (!loss_based(out[i].code))
            continue;
        size_t len = strlen(out[i].detail);
        snprintf(out[i].detail + len, sizeof out[i].detail - len,
                 " [CAPTURE LOSS: the sensor itself dropped %llu packets (kernel %llu, ring %llu) "
                 "during the call; the network may not be at fault]",
                 (unsigned long long)drops, (unsigned long long)in->call->capture_drops_kernel,
                 (unsigned long long)in->call->capture_drops_ring);
    }
    return x.n;
}

static const struct {
    const char *name, *meaning, *advice;
} fault_text[FAULT__COUNT] = {
    [FAULT_ONE_WAY_AUDIO] = {"one_way_audio", "Only one side could hear the other.",
                             "Usually NAT (a private address in SDP, or RTP latched to another "
                             "port), a firewall blocking one direction, or a phone that never "
                             "started sending. Check the SDP addresses against where RTP really "
                             "comes from; enable symmetric RTP/latching or fix the SBC's NAT "
                             "settings."},
    [FAULT_NO_AUDIO] = {"no_audio", "The call was answered but nobody heard anything.",
                        "Media blocked both ways (firewall, wrong SDP address, SRTP mismatch) "
                        "or media sent outside the capture. Check the SDP addresses and ports "
                        "and the firewall between the endpoints."},
    [FAULT_NO_RINGBACK] = {"no_ringback",
                           "The caller heard silence instead of ringback before the answer.",
                           "A 18x with SDP tells the caller's phone to stop its own ringback and "
                           "play the far end's early media; none came. Make the far end send "
                           "early media, or send 180 without SDP so the phone rings locally."},
    [FAULT_CODEC_MISMATCH] = {"codec_mismatch", "The two sides had no codec in common.",
                              "Align the codec lists (allow G.711 everywhere as a fallback) or "
                              "enable transcoding on the SBC/PBX."},
    [FAULT_AUTH_LOOP] = {"auth_loop", "Authentication kept failing; the call never got through.",
                         "Wrong password, username or realm on the device, or a registrar and "
                         "proxy that disagree on the realm. Check the credentials."},
    [FAULT_SLOW_SETUP] = {"slow_setup", "The caller waited long before hearing anything.",
                          "Post-dial delay: slow routing lookups (DNS, ENUM), a slow far end, "
                          "or retransmissions. Look at which hop answered late in the ladder."},
    [FAULT_NO_BYE] = {"no_bye", "The call never ended with a BYE.",
                      "The BYE was lost (NAT binding expired, firewall), a phone crashed, or "
                      "the capture stopped first. Use session timers (RFC 4028) so stale calls "
                      "are torn down."},
    [FAULT_RTP_TIMEOUT] = {"rtp_timeout", "Media stopped while the call was still up.",
                           "A phone lost power or network, or media was re-routed without SIP. "
                           "Enable RTP timeouts on the PBX/SBC to end such calls."},
    [FAULT_NAT_PRIVATE_SDP] = {"nat_private_sdp",
                               "A phone behind NAT announced its private address in SDP.",
                               "Enable the SIP ALG/SBC NAT traversal, STUN or ICE on the "
                               "phone, or symmetric RTP (comedia) on the far end."},
    [FAULT_POOR_QUALITY] = {"poor_quality", "The audio quality was poor.",
                            "Packet loss or jitter on the path: check link utilisation, QoS "
                            "(DSCP EF) marking and Wi-Fi; compare RTCP reports from both ends to "
                            "find which leg loses packets."},
    [FAULT_REQUEST_TIMEOUT] = {"request_timeout", "The call timed out without an answer.",
                               "The callee is unreachable or a proxy's timer C fired. Check "
                               "the callee's registration and the route to it."},
    [FAULT_RETRANSMISSION_STORM] = {"retransmission_storm",
                                    "SIP messages had to be sent again and again.",
                                    "Responses are lost on the way back: NAT bindings, "
                                    "fragmentation of large UDP messages (use TCP), or an "
                                    "overloaded server."},
};

const char *faults_code_name(enum fault_code c)
{
    return (unsigned)c < FAULT__COUNT ? fault_text[c].name : "unknown";
}

const char *faults_meaning(enum fault_code c)
{
    return (unsigned)c < FAULT__COUNT ? fault_text[c].meaning : "";
}

const char *faults_advice(enum fault_code c)
{
    return (unsigned)c < FAULT__COUNT ? fault_text[c].advice : "";
}
