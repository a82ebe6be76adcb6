/* mos.c: ITU-T G.107 E-model: R-factor and MOS from packet loss, burstiness, delay and codec (G.107
 * §7, Annex B; G.113 App. I). */
#include "mos.h"

#include <math.h>
#include <stdio.h>

#include "codec.h"

/*
 * MOS: how sipscope estimates listening-and-talking quality
 * ==========================================================
 *
 * Model. The ITU-T G.107 E-model (the narrowband "transmission rating
 * model"), computed per stream (or per time window of a stream) from what a
 * passive sensor can measure:
 *
 *   R      = Ro - Is - Id - Ie,eff + A
 *          = 93.2 - Id - Ie,eff                          (G.107 §7.1, §7.7 defaults)
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl) (G.107 §7.5)
 *   MOS    = 1                                 for R < 0
 *          = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6     for 0 <= R <= 100
 *          = 4.5                               for R > 100 (G.107 Annex B)
 *   (the polynomial dips to 0.989 for 0 < R < 6.5; we floor the MOS at 1)
 *
 * 93.2 is Ro - Is + A with every G.107 default value (loudness ratings,
 * room and circuit noise, sidetone, A = 0) and no delay: the sensor cannot
 * see handsets or rooms, so it assumes the defaults. With no loss and no
 * delay a G.711 call rates R 93.2, MOS 4.41: the ceiling of this model, not
 * 4.5.
 *
 * Inputs.
 *   Ppl     packet-loss probability in percent: packets never received over
 *           packets expected (RFC 3550 A.1 unique loss, duplicates not
 *           subtracted), for the stream or the window.
 *   BurstR  burst ratio (G.107 §7.5): mean length of observed loss bursts
 *           over the mean burst length expected for random loss at the same
 *           Ppl; 1 for random loss, > 1 when losses cluster. When the caller
 *           does not know it, 1.
 *   Ta      one-way delay: half the round-trip time from RTCP (RFC 3550
 *           §6.4.1 LSR/DLSR) when an RTCP report gave one; otherwise
 *           unknown and Id = 0. Only the network path is seen: packetization,
 *           jitter buffer and codec delay are not added, so Ta understates
 *           the mouth-to-ear delay.
 *   Ie, Bpl the codec's equipment impairment and packet-loss robustness
 *           (table below).
 *
 * Delay impairment, the simplification. G.107 §7.4 writes Id = Idte + Idle
 * + Idd. We keep Idd only, with its default delay sensitivity (sT = 1,
 * mT = 100 ms; the same formula as before sT and mT were introduced):
 *
 *   Idd = 0                                                      Ta <= 100 ms
 *   Idd = 25 { (1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2 }     Ta  > 100 ms
 *         with X = log2(Ta / 100)
 *
 * Idte (talker echo) and Idle (listener echo) are neglected: the sensor
 * cannot see echo paths; with echo controlled to the G.107 defaults (TELR
 * 65 dB, WEPL 110 dB) they are small at short delays, and what they are at
 * Ta = 0 is already inside 93.2. Neglecting their
 * growth with delay overstates R by about 3.5 at Ta = 150 ms and about 6 at
 * Ta = 300 ms (our computation with the G.107 formulas, T = Ta, Tr = 2 Ta).
 * We do not use the linear approximation Id = 0.024 Ta + 0.11 (Ta - 177.3)
 * H(Ta - 177.3) often quoted with the E-model: it is not in G.107.
 *
 * Codec values (ITU-T G.113 (11/2007) Appendix I; the table lives in
 * codec.c as codec_info.ie / .bpl / .has_emodel):
 *
 *   SDP name        G.113 row                            packet   Ie   Bpl
 *   PCMU, PCMA      G.711 with the PLC of G.711 App. I    10 ms     0   25.1
 *   (not default)   G.711 without PLC                     10 ms     0    4.3
 *   G729            G.729A + VAD                          20 ms    11   19.0
 *   G723            G.723.1 6.3 kbit/s + VAD              30 ms    15   16.1
 *   GSM-EFR         GSM-EFR (GSM 06.60) 12.2 kbit/s       20 ms     5   10.0
 *
 * Assumed: G.711 receivers conceal losses; SDP "G729" is G.729A+VAD (the
 * G.729 row with a Bpl; plain G.729 has Ie 10); SDP "G723" runs at 6.3
 * kbit/s (5.3 kbit/s has Ie 19 and no Bpl). No MOS (null, never a guess)
 * for every other codec: those with an Ie but no Bpl (GSM full rate, G.728,
 * G.726), AMR (the mode in use is not in the SDP and changes per frame),
 * wideband codecs (G.722, AMR-WB, G.722.1, EVS, opus: their Ie,wb belong to
 * the wideband E-model G.107.1, R up to 129), iLBC, speex, opus, video.
 *
 * Worked examples (tests/test_mos.c checks each to two decimals):
 *   G.711, 0 % loss, no delay:  R 93.20, MOS 4.41
 *   G.711, 1 % random loss:     Ie,eff = 95 / 26.1 = 3.64, R 89.56, MOS 4.33
 *   G.711, 5 %, BurstR 1:       Ie,eff = 475 / 30.1 = 15.78, R 77.42, MOS 3.92
 *   G.711, 5 %, BurstR 2:       Ie,eff = 475 / 27.6 = 17.21, R 75.99, MOS 3.86
 *   G.729, 0 %:                 R 82.20, MOS 4.10
 *   G.711, Ta 150 ms:           Idd 0.16, R 93.04, MOS 4.41
 *   G.711, Ta 300 ms:           Idd 14.76, R 78.44, MOS 3.96
 *
 * Limits. The E-model is a planning tool; G.107 Annex A warns against
 * reading it as a measurement of one call. Jitter enters only through the
 * losses it causes at the receiver's jitter buffer, which a sensor does not
 * see: a stream with no network loss rates well whatever its jitter.
 */

bool mos_codec_params(struct sv name, double *ie, double *bpl)
{
    const struct codec_info *c = codec_by_name(name);
    if (c == NULL)
        c = codec_by_label(name);
    if (c == NULL || !c->has_emodel)
        return false;
    *ie = c->ie;
    *bpl = c->bpl;
    return true;
}

static double mos_clamp_ppl(double ppl)
{
    if (!(ppl > 0)) /* also NaN */
        return 0;
    return ppl > 100 ? 100 : ppl;
}

static double mos_clamp_burst(double burst_r)
{
    return burst_r > 0 && isfinite(burst_r) ? burst_r : 1;
}

double mos_ie_eff(double ie, double bpl, double ppl_percent, double burst_r)
{
    double ppl = mos_clamp_ppl(ppl_percent);
    double b = mos_clamp_burst(burst_r);
    if (ppl == 0)
        return ie;
    double den = ppl / b + bpl;
    if (!(den > 0))
        return MOS_IE_EFF_MAX;
    return ie + (MOS_IE_EFF_MAX - ie) * ppl / den;
}

double mos_id(double ta)
{
    if (!(ta > MOS_TA_THRESHOLD_MS)) /* also NaN and unknown (< 0) */
        return 0;
    if (isinf(ta))
        ta = 1e9; /* far beyond any meaning; keeps the arithmetic finite */
    double x = log2(ta / MOS_TA_THRESHOLD_MS);
    double x6 = pow(x, 6);
    double y6 = pow(x / 3, 6);
    return 25 * (pow(1 + x6, 1.0 / 6) - 3 * pow(1 + y6, 1.0 / 6) + 2);
}

double mos_r_factor(double ie_eff, double id)
{
    return MOS_R_DEFAULT - id - ie_eff;
}

/*
 * The Annex B polynomial dips below 1 for 0 < R < 6.52 (to 0.9888 at R 3.2):
 * the result is floored at 1, the bottom of the MOS scale, so that the
 * mapping is monotonic and never leaves 1..4.5 (found by fuzz_rtcp, kept as
 * tests/regress/rtcp-mos-below-one.bin).
 */
double mos_from_r(double r)
{
    if (!(r >= 0)) /* also NaN */
        return 1;
    if (r > 100)
        return 4.5;
    double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
    return mos < 1 ? 1 : mos;
}

/* "%.2f" of x, with the values the model meets most (exactly 0 and 1) written without printf. */
static size_t mos_fmt2(char *buf, size_t cap, double x)
{
    if (x == 0 || x == 1) {
        snprintf(buf, cap, "%s", x == 0 ? "0.00" : "1.00");
        return 4;
    }
    int n = snprintf(buf, cap, "%.2f", x);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/*
 * res->model, exactly as
 *   snprintf(model, MOS_MODEL_MAX, "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); %s %s "
 *            "(G.113 App. I): Ie=%g Bpl=%g; Ppl=%.2f%% BurstR=%.2f Ta=%s", ...)
 * would write it, Ta being "%.1fms" or "unknown". The text costs more than the
 * model (printf's float conversions), and every CDR asks for it several times
 * per stream, so the part that depends on the codec alone is formatted once
 * per thread and codec (a one-entry cache: codec records are static), and the
 * loss and burst figures of a clean stream (0 and 1) are not given to printf.
 */
#define MOS_PREFIX_MAX (2 * MOS_MODEL_MAX)
static void mos_model_text(const struct codec_info *c, struct mos_result *res)
{
    static _Thread_local const struct codec_info *prefix_codec;
    static _Thread_local char prefix[MOS_PREFIX_MAX];
    static _Thread_local size_t prefix_len;
    if (prefix_codec != c) {
        int n = snprintf(prefix, sizeof prefix,
                         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); %s %s (G.113 App. I): "
                         "Ie=%g Bpl=%g; ",
                         c->rtpmap, c->emodel_row, c->ie, c->bpl);
        prefix_len = n < 0 ? 0 : (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1;
        prefix_codec = c;
    }
    char ppl[32], burst[32], ta[24]; /* ta: the 24 bytes the text always had */
    size_t ppl_len = mos_fmt2(ppl, sizeof ppl, res->ppl);
    size_t burst_len = mos_fmt2(burst, sizeof burst, res->burst_r);
    int ta_n = res->ta_ms >= 0 ? snprintf(ta, sizeof ta, "%.1fms", res->ta_ms)
                               : snprintf(ta, sizeof ta, "unknown");
    size_t ta_len = ta_n < 0 ? 0 : (size_t)ta_n < sizeof ta ? (size_t)ta_n : sizeof ta - 1;

    /* prefix + "Ppl=" ppl "% BurstR=" burst " Ta=" ta, cut at MOS_MODEL_MAX - 1 as snprintf cuts */
    struct sv parts[7] = {
        sv_make(prefix, prefix_len), sv_make("Ppl=", 4),        sv_make(ppl, ppl_len),
        sv_make("% BurstR=", 9),     sv_make(burst, burst_len), sv_make(" Ta=", 4),
        sv_make(ta, ta_len),
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = parts[i].len;
        if (n > sizeof res->model - 1 - used)
            n = sizeof res->model - 1 - used;
        memcpy(res->model + used, parts[i].p, n);
        used += n;
    }
    res->model[used] = '\0';
}

struct mos_result mos_compute(const struct mos_input *in)
{
    struct mos_result res = {0};
    res.ta_ms = -1;
    const struct codec_info *c = codec_by_name(in->codec);
    if (c == NULL)
        c = codec_by_label(in->codec);
    if (c == NULL || !c->has_emodel)
        return res;
    res.valid = true;
    res.ie = c->ie;
    res.bpl = c->bpl;
    res.ppl = mos_clamp_ppl(in->loss_pct);
    res.burst_r = mos_clamp_burst(in->burst_r);
    if (in->rtt_ms >= 0 && isfinite(in->rtt_ms))
        res.ta_ms = in->rtt_ms / 2;
    res.ie_eff = mos_ie_eff(res.ie, res.bpl, res.ppl, res.burst_r);
    res.id = mos_id(res.ta_ms);
    double r = mos_r_factor(res.ie_eff, res.id);
    res.mos = mos_from_r(r);
    res.r_factor = r < 0 ? 0 : r > 100 ? 100 : r;
    mos_model_text(c, &res);
    return res;
}
