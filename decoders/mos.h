/* mos.h: ITU-T G.107 E-model: R-factor and MOS from packet loss, burstiness, delay and codec (G.107
 * §7, Annex B; G.113 App. I). */
#ifndef SIPSCOPE_DECODERS_MOS_H
#define SIPSCOPE_DECODERS_MOS_H

#include <stdbool.h>

#include "sv.h"

/*
 * The model, its simplifications and the sources of the codec values are
 * described at the top of mos.c (and in the README). In short:
 *   R = 93.2 - Idd(Ta) - Ie,eff
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)
 *   MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6   (G.107 Annex B)
 * Every function is pure: no state, no allocation.
 */

#define MOS_R_DEFAULT 93.2        /* R with every G.107 default and no delay (Ro - Is - Id + A) */
#define MOS_IE_EFF_MAX 95.0       /* Ie,eff tends to this as Ppl grows (G.107 §7.5) */
#define MOS_TA_THRESHOLD_MS 100.0 /* mT: below this one-way delay Idd is 0 (G.107 §7.4) */
#define MOS_G711_NO_PLC_BPL 4.3   /* G.113 App. I, G.711 without PLC (not used by default) */
#define MOS_MODEL_MAX 192         /* bytes of struct mos_result.model, NUL included */

/*
 * E-model parameters of a codec, by SDP encoding name ("PCMA", "G729") or by
 * the table's canonical name ("g711A"), case-insensitive. Sets *ie and *bpl
 * and returns true when ITU-T G.113 Appendix I publishes both for it;
 * returns false (outputs untouched) otherwise: the caller reports the MOS as
 * null rather than guess. Unknown names, video, wideband codecs, AMR, iLBC
 * and opus give false.
 */
bool mos_codec_params(struct sv rtpmap_name_or_codec, double *ie, double *bpl);

/*
 * Effective equipment impairment under packet loss (G.107 §7.5):
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)
 * ppl_percent is the packet-loss probability in percent (0-100; outside is
 * clamped, NaN counts as 0). burst_r is the burst ratio: 1 for random loss,
 * > 1 for bursty loss; a value <= 0 or NaN means "not known" and is taken
 * as 1.
 */
double mos_ie_eff(double ie, double bpl, double ppl_percent, double burst_r);

/*
 * Delay impairment for a one-way (mouth-to-ear) delay Ta in ms: the Idd term
 * of G.107 §7.4 with the default mT = 100 ms, sT = 1:
 *   Ta <= 100: 0
 *   Ta  > 100: 25 { (1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2 },  X = log2(Ta / 100)
 * Idte and Idle are neglected (see mos.c). Returns 0 for an unknown delay
 * (negative or NaN).
 */
double mos_id(double one_way_delay_ms);

/* R = 93.2 - Id - Ie,eff, not clamped (G.107 §7.1 with the §7.7 defaults). */
double mos_r_factor(double ie_eff, double id);

/*
 * G.107 Annex B: R < 0 -> 1, R > 100 -> 4.5, else 1 + 0.035 R + R (R - 60)
 * (100 - R) 7e-6, floored at 1 (the polynomial is below 1 for 0 < R < 6.52).
 */
double mos_from_r(double r);

/* What mos_compute needs about one stream (or one time window of it). */
struct mos_input {
    struct sv codec; /* SDP encoding name or canonical name (see mos_codec_params) */
    double loss_pct; /* Ppl: unique packets lost / expected x 100 (lost_unique) */
    double burst_r;  /* BurstR; <= 0 when not known: taken as 1 (random loss) */
    double rtt_ms;   /* RTCP round-trip time (rtcp_rtt_ms); < 0 when not seen: Id = 0 */
};

struct mos_result {
    bool valid; /* false: no published Ie/Bpl for the codec; report null */
    double ie;  /* the codec's Ie and Bpl (G.113 App. I) */
    double bpl;
    double ppl; /* loss and burst ratio actually used, after clamping */
    double burst_r;
    double ta_ms; /* one-way delay used: rtt_ms / 2, or -1 when unknown */
    double ie_eff;
    double id;
    double r_factor;           /* clamped to 0..100, the range of the rating scale */
    double mos;                /* 1.0 .. 4.5 */
    char model[MOS_MODEL_MAX]; /* mos_model text: formula and parameters; "" when !valid */
};

/*
 * The whole model for one stream: codec parameters, Ie,eff, Idd from half
 * the RTCP round trip when known, R and MOS, plus a one-line description of
 * the model and its inputs for the record's mos_model field. When the codec
 * has no published parameters the result has valid = false and zeros.
 */
struct mos_result mos_compute(const struct mos_input *in);

#endif
