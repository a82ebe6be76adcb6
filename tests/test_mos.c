/* test_mos.c: ITU-T G.107 E-model (R-factor, Annex B MOS) with the G.113 Appendix I codec values,
 * worked by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../decoders/mos.h"

#define NAME(s) sv_make((s), strlen(s))

/* Two decimals, as the records print them. */
#define assert_2dp(got, want)                                                                      \
    cr_assert(fabs((got) - (want)) < 0.005, "%s = %.6f, want %.2f", #got, (double)(got),           \
              (double)(want))

static struct mos_result run(const char *codec, double loss, double burst, double rtt)
{
    struct mos_input in = {NAME(codec), loss, burst, rtt};
    return mos_compute(&in);
}

/*
 * G.711 with PLC (Ie 0, Bpl 25.1), no loss, no delay:
 *   Ie,eff = 0, Id = 0, R = 93.2
 *   MOS = 1 + 0.035 * 93.2 + 93.2 * 33.2 * 6.8 * 7e-6
 *       = 1 + 3.262 + 21040.832 * 7e-6 = 1 + 3.262 + 0.147286 = 4.409286 -> 4.41
 */
Test(mos, g711_no_loss_no_delay)
{
    struct mos_result r = run("PCMA", 0, 1, -1);
    cr_assert(r.valid);
    cr_assert_eq(r.ie, 0);
    cr_assert_eq(r.bpl, 25.1);
    cr_assert_eq(r.ie_eff, 0);
    cr_assert_eq(r.id, 0);
    assert_2dp(r.r_factor, 93.20);
    assert_2dp(r.mos, 4.41);
    cr_assert(fabs(r.mos - 4.409286) < 1e-6);
    cr_assert_eq(r.ta_ms, -1);
    cr_assert_str_eq(r.model, "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); PCMA G.711 with "
                              "PLC (G.113 App. I): Ie=0 Bpl=25.1; Ppl=0.00% BurstR=1.00 "
                              "Ta=unknown");
    /* PCMU is the same row. */
    struct mos_result u = run("PCMU", 0, 1, -1);
    cr_assert_eq(u.mos, r.mos);
}

/*
 * G.711, 1 % random loss:
 *   Ie,eff = 0 + 95 * 1 / (1/1 + 25.1) = 95 / 26.1 = 3.639847
 *   R = 93.2 - 3.639847 = 89.560153
 *   MOS = 1 + 0.035 * 89.560153 + 89.560153 * 29.560153 * 10.439847 * 7e-6
 *       = 1 + 3.134605 + 27638.574 * 7e-6 = 1 + 3.134605 + 0.193470 = 4.328075 -> 4.33
 */
Test(mos, g711_one_percent_random_loss)
{
    struct mos_result r = run("PCMU", 1, 1, -1);
    assert_2dp(r.ie_eff, 3.64);
    cr_assert(fabs(r.ie_eff - 95.0 / 26.1) < 1e-12);
    assert_2dp(r.r_factor, 89.56);
    assert_2dp(r.mos, 4.33);
}

/*
 * G.711, 5 % loss, BurstR 1 and 2:
 *   BurstR 1: Ie,eff = 95 * 5 / (5 + 25.1)   = 475 / 30.1 = 15.780731, R = 77.419269
 *             MOS = 1 + 2.709674 + 77.419269 * 17.419269 * 22.580731 * 7e-6 = 3.922839 -> 3.92
 *   BurstR 2: Ie,eff = 95 * 5 / (2.5 + 25.1) = 475 / 27.6 = 17.210145, R = 75.989855
 *             MOS = 1 + 2.659645 + 75.989855 * 15.989855 * 24.010145 * 7e-6 = 3.863862 -> 3.86
 * The same loss in bursts rates lower.
 */
Test(mos, g711_five_percent_random_and_bursty)
{
    struct mos_result r1 = run("PCMA", 5, 1, -1);
    assert_2dp(r1.ie_eff, 15.78);
    assert_2dp(r1.r_factor, 77.42);
    assert_2dp(r1.mos, 3.92);
    struct mos_result r2 = run("PCMA", 5, 2, -1);
    assert_2dp(r2.ie_eff, 17.21);
    assert_2dp(r2.r_factor, 75.99);
    assert_2dp(r2.mos, 3.86);
    cr_assert_lt(r2.mos, r1.mos);
    cr_assert(strstr(r2.model, "Ppl=5.00% BurstR=2.00") != NULL);
}

/*
 * G.729A + VAD (Ie 11, Bpl 19.0) at 0 % loss:
 *   R = 93.2 - 11 = 82.2
 *   MOS = 1 + 0.035 * 82.2 + 82.2 * 22.2 * 17.8 * 7e-6
 *       = 1 + 2.877 + 32482.152 * 7e-6 = 1 + 2.877 + 0.227375 = 4.104375 -> 4.10
 * At 2 %: Ie,eff = 11 + 84 * 2 / (2 + 19) = 11 + 8 = 19, R = 74.2, MOS 3.787287 -> 3.79.
 */
Test(mos, g729_no_loss_and_two_percent)
{
    struct mos_result r = run("G729", 0, 1, -1);
    cr_assert(r.valid);
    cr_assert_eq(r.ie, 11);
    cr_assert_eq(r.bpl, 19.0);
    assert_2dp(r.r_factor, 82.20);
    assert_2dp(r.mos, 4.10);
    cr_assert(fabs(r.mos - 4.104375) < 1e-6);
    struct mos_result r2 = run("g729", 2, 1, -1);
    cr_assert(fabs(r2.ie_eff - 19.0) < 1e-12);
    assert_2dp(r2.r_factor, 74.20);
    assert_2dp(r2.mos, 3.79);
}

/*
 * Delay, G.711 without loss, Ta = RTT / 2:
 *   Ta 150 ms: X = log2(1.5) = 0.584963, X^6 = 0.040065, (X/3)^6 = 0.0000550
 *     Idd = 25 * (1.0065687 - 3 * 1.0000092 + 2) = 25 * 0.0065412 = 0.163531
 *     R = 93.036469, MOS = 4.406098 -> 4.41
 *   Ta 300 ms: X = log2(3) = 1.584963, X^6 = 15.853091, (X/3)^6 = 0.021746
 *     Idd = 25 * (1.6012037 - 3 * 1.0035920 + 2) = 25 * 0.5904277 = 14.760695
 *     R = 78.439305, MOS = 3.963668 -> 3.96
 *   Ta 100 ms (RTT 200): the threshold itself, Idd = 0.
 */
Test(mos, delay_150_and_300_ms)
{
    struct mos_result r = run("PCMA", 0, 1, 300);
    cr_assert_eq(r.ta_ms, 150);
    assert_2dp(r.id, 0.16);
    cr_assert(fabs(r.id - 0.163531) < 1e-6);
    assert_2dp(r.r_factor, 93.04);
    assert_2dp(r.mos, 4.41);
    cr_assert(strstr(r.model, "Ta=150.0ms") != NULL);

    r = run("PCMA", 0, 1, 600);
    cr_assert_eq(r.ta_ms, 300);
    assert_2dp(r.id, 14.76);
    cr_assert(fabs(r.id - 14.760695) < 1e-6);
    assert_2dp(r.r_factor, 78.44);
    assert_2dp(r.mos, 3.96);

    cr_assert_eq(mos_id(100), 0);
    cr_assert_eq(mos_id(50), 0);
    /* Just above the threshold Idd starts from 0 smoothly: 2.8e-5 at 110 ms. */
    cr_assert_gt(mos_id(110), 0);
    cr_assert_lt(mos_id(110), 0.001);
    cr_assert_eq(run("PCMA", 0, 1, 200).id, 0);
}

Test(mos, unknown_delay_is_no_delay_impairment)
{
    cr_assert_eq(mos_id(-1), 0);
    cr_assert_eq(mos_id(NAN), 0);
    cr_assert_eq(run("PCMA", 0, 1, -1).id, 0);
    cr_assert_eq(run("PCMA", 0, 1, NAN).ta_ms, -1);
    /* Idd grows with Ta and stays bounded (it tends to 50). */
    double prev = 0;
    for (double ta = 110; ta < 100000; ta *= 1.5) {
        double id = mos_id(ta);
        cr_assert_gt(id, prev, "Ta %.0f", ta);
        cr_assert_lt(id, 50);
        prev = id;
    }
    cr_assert(isfinite(mos_id(INFINITY)));
    cr_assert_lt(mos_id(INFINITY), 50);
}

/* Annex B mapping and its clamps. */
Test(mos, r_to_mos_clamps)
{
    cr_assert_eq(mos_from_r(-5), 1.0);
    cr_assert_eq(mos_from_r(-0.001), 1.0);
    cr_assert_eq(mos_from_r(100.01), 4.5);
    cr_assert_eq(mos_from_r(150), 4.5);
    cr_assert_eq(mos_from_r(NAN), 1.0);
    cr_assert_eq(mos_from_r(0), 1.0); /* 1 + 0 + 0 */
    /* R = 100: 1 + 3.5 + 100 * 40 * 0 * 7e-6 = 4.5, continuous with the clamp. */
    cr_assert(fabs(mos_from_r(100) - 4.5) < 1e-12);
    /* G.107 Annex B's table: R 90 -> 4.34, 80 -> 4.02, 70 -> 3.60, 60 -> 3.10, 50 -> 2.58. */
    assert_2dp(mos_from_r(90), 4.34);
    assert_2dp(mos_from_r(80), 4.02);
    assert_2dp(mos_from_r(70), 3.60);
    assert_2dp(mos_from_r(60), 3.10);
    assert_2dp(mos_from_r(50), 2.58);
    /* Reported R is clamped to the scale, MOS follows the unclamped R. */
    cr_assert_eq(mos_r_factor(95, 50), 93.2 - 145);
    struct mos_result r = run("G723", 100, 10, 20000);
    cr_assert(r.valid);
    cr_assert_eq(r.r_factor, 0);
    cr_assert_eq(r.mos, 1.0);
}

Test(mos, ie_eff_edges)
{
    /* No loss: Ie itself, whatever BurstR and Bpl. */
    cr_assert_eq(mos_ie_eff(11, 19, 0, 3), 11);
    /* 100 % loss, G.711 PLC random: 95 * 100 / 125.1 = 75.939249. */
    cr_assert(fabs(mos_ie_eff(0, 25.1, 100, 1) - 9500 / 125.1) < 1e-9);
    /* Loss above 100 % or negative is clamped; NaN is no loss. */
    cr_assert_eq(mos_ie_eff(0, 25.1, 250, 1), mos_ie_eff(0, 25.1, 100, 1));
    cr_assert_eq(mos_ie_eff(0, 25.1, -3, 1), 0);
    cr_assert_eq(mos_ie_eff(0, 25.1, NAN, 1), 0);
    /* Unknown BurstR (0, negative, NaN) means random loss. */
    cr_assert_eq(mos_ie_eff(0, 25.1, 5, 0), mos_ie_eff(0, 25.1, 5, 1));
    cr_assert_eq(mos_ie_eff(0, 25.1, 5, -2), mos_ie_eff(0, 25.1, 5, 1));
    cr_assert_eq(mos_ie_eff(0, 25.1, 5, NAN), mos_ie_eff(0, 25.1, 5, 1));
    /* G.711 without PLC (Bpl 4.3) at 1 %: 95 / 5.3 = 17.924528, far worse than with PLC. */
    cr_assert(fabs(mos_ie_eff(0, MOS_G711_NO_PLC_BPL, 1, 1) - 95 / 5.3) < 1e-9);
    /* Very bursty loss tends to Ie + (95 - Ie) Ppl / Bpl. */
    cr_assert_lt(mos_ie_eff(0, 25.1, 1, 1e9), 95 / 25.1 + 1e-6);
    /* A zero Bpl with loss: the worst case, not a division by zero. */
    cr_assert(isfinite(mos_ie_eff(0, 0, 1, 1)));
    cr_assert_eq(run("PCMA", 250, 1, -1).ppl, 100);
}

/* Codecs without a published (Ie, Bpl) pair give no MOS, not a guess. */
Test(mos, codec_without_parameters)
{
    const char *none[] = {
        "opus", "speex",     "iLBC",    "AMR",   "AMR-WB", "G722", "G7221",           "EVS",
        "GSM",  "G728",      "G726-32", "L16",   "H264",   "VP8",  "telephone-event", "CN",
        "red",  "x-unknown", "",        "PCMU ", "G.711"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        double ie = -7, bpl = -7;
        cr_assert(!mos_codec_params(NAME(none[i]), &ie, &bpl), "'%s'", none[i]);
        cr_assert_eq(ie, -7, "'%s' touched ie", none[i]);
        cr_assert_eq(bpl, -7);
        struct mos_result r = run(none[i], 1, 1, 100);
        cr_assert(!r.valid, "'%s'", none[i]);
        cr_assert_eq(r.mos, 0);
        cr_assert_eq(r.model[0], '\0');
    }
    double ie, bpl;
    cr_assert(!mos_codec_params(SV_NULL, &ie, &bpl));
    /* A NUL inside the name is a byte of it. */
    cr_assert(!mos_codec_params(sv_make("PCMA\0", 5), &ie, &bpl));
}

Test(mos, codec_table_values)
{
    static const struct {
        const char *name;
        double ie, bpl;
    } rows[] = {
        {"PCMU", 0, 25.1},    {"PCMA", 0, 25.1},    {"pcma", 0, 25.1},  {"g711A", 0, 25.1},
        {"g711U", 0, 25.1},   {"G729", 11, 19.0},   {"g729", 11, 19.0}, {"G723", 15, 16.1},
        {"GSM-EFR", 5, 10.0}, {"gsm-efr", 5, 10.0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double ie = -1, bpl = -1;
        cr_assert(mos_codec_params(NAME(rows[i].name), &ie, &bpl), "%s", rows[i].name);
        cr_assert_eq(ie, rows[i].ie, "%s", rows[i].name);
        cr_assert_eq(bpl, rows[i].bpl, "%s", rows[i].name);
    }
    /* GSM-EFR, 1 % random loss: Ie,eff = 5 + 90 / 11 = 13.181818, R = 80.018182, MOS 4.02. */
    struct mos_result r = run("GSM-EFR", 1, 1, -1);
    cr_assert(fabs(r.ie_eff - (5 + 90.0 / 11)) < 1e-9);
    assert_2dp(r.mos, 4.02);
    cr_assert(strstr(r.model, "GSM-EFR GSM-EFR (G.113 App. I): Ie=5 Bpl=10;") != NULL);
}

/* The model text fits its field for any input, however odd. */
Test(mos, model_text_bounded)
{
    struct mos_result r = run("G723", 1e300, 1e300, 1e300);
    cr_assert(r.valid);
    cr_assert_lt(strlen(r.model), MOS_MODEL_MAX);
    cr_assert_eq(r.mos, 1.0);
}

/*
 * Found by fuzz_rtcp (tests/regress/rtcp-mos-below-one.bin): an RR with
 * fraction lost 65/256 (25.390625 %) and a jitter byte giving BurstR 13.5,
 * rated as PCMA: Ie,eff = 95 * 25.390625 / (25.390625 / 13.5 + 25.1) =
 * 89.401001, R = 3.798999, and the Annex B polynomial gives
 * 1 + 0.132965 - 3.798999 * 56.201001 * 96.201001 * 7e-6 = 0.989187 < 1.
 */
Test(mos, mos_never_below_one_for_small_r)
{
    struct mos_result r = run("PCMA", 65 * 100.0 / 256, 13.5, -1);
    assert_2dp(r.r_factor, 3.80);
    cr_assert_eq(r.mos, 1.0);
    for (double x = 0; x <= 100; x += 0.01) {
        cr_assert_geq(mos_from_r(x), 1.0, "R %.2f", x);
        cr_assert_leq(mos_from_r(x), 4.5, "R %.2f", x);
        cr_assert_geq(mos_from_r(x + 0.01), mos_from_r(x), "not monotonic at R %.2f", x);
    }
    cr_assert_eq(mos_from_r(6.5), 1.0);
    cr_assert_gt(mos_from_r(6.6), 1.0);
}

/*
 * The codec's part of the model text is kept per thread for the last codec
 * seen: codecs in turn, with figures that printf must round (0.125 % is
 * "0.12", ties to even; BurstR 2.345 is "2.35"; Ta 0.05 ms is "0.1ms"), a
 * burst ratio of 0 taken as 1 and a loss of 100 %, give the same text as the
 * one snprintf the text was first written with.
 */
Test(mos, model_text_for_each_codec_in_turn)
{
    static const struct {
        const char *codec;
        double loss, burst, rtt;
        const char *model;
    } cases[] = {
        {"G729", 2, 1.5, 300,
         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); G729 G.729A + VAD (G.113 App. I): "
         "Ie=11 Bpl=19; Ppl=2.00% BurstR=1.50 Ta=150.0ms"},
        {"PCMA", 0.125, 1, -1,
         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); PCMA G.711 with PLC (G.113 App. I): "
         "Ie=0 Bpl=25.1; Ppl=0.12% BurstR=1.00 Ta=unknown"},
        {"G723", 0, 2.345, 0.1,
         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); G723 G.723.1 6.3k + VAD (G.113 App. "
         "I): Ie=15 Bpl=16.1; Ppl=0.00% BurstR=2.35 Ta=0.1ms"},
        {"PCMU", 100, 0, 1e3,
         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); PCMU G.711 with PLC (G.113 App. I): "
         "Ie=0 Bpl=25.1; Ppl=100.00% BurstR=1.00 Ta=500.0ms"},
        {"G729", 0, 1, -1,
         "G.107 E-model (R=93.2-Idd-Ie_eff, Annex B MOS); G729 G.729A + VAD (G.113 App. I): "
         "Ie=11 Bpl=19; Ppl=0.00% BurstR=1.00 Ta=unknown"},
    };
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct mos_result r = run(cases[i].codec, cases[i].loss, cases[i].burst, cases[i].rtt);
            cr_assert(r.valid);
            cr_assert_str_eq(r.model, cases[i].model, "case %zu", i);
        }
}
