/* codec.c: RTP payload types and codec names: the RFC 3551 §6 static table, common rtpmap names,
 * G.113 Appendix I E-model values. */
#include "codec.h"

#include <stddef.h>

/*
 * A table row: the public codec_info plus whether the payload is auxiliary
 * (not voice or picture: DTMF events, comfort noise, redundancy, FEC,
 * retransmission), which the public struct does not carry.
 */
struct codec_entry {
    struct codec_info info;
    bool aux;
    uint8_t rtpmap_len; /* strlen(info.rtpmap), so most rows are ruled out by length alone */
};

/* A row: the rtpmap name's length is taken from the literal. */
/* clang-format off */
#define CODEC_ROW(label, rtpmap, aux, ...) { { label, rtpmap, __VA_ARGS__ }, aux, sizeof(rtpmap) - 1 }
/* clang-format on */

/*
 * RFC 3551 §6, Tables 4 and 5, indexed by payload type. Names are Wireshark's
 * short names (epan/dissectors/packet-rtp.c rtp_payload_type_short_vals), so
 * that our stream tables print what `tshark -z rtp,streams` prints. Payload
 * types 1, 2 and 19 are reserved and 20-24, 27, 29, 30 unassigned: no row.
 * G722 runs at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2, an
 * acknowledged historical error kept for compatibility).
 */
#define CODEC_STATIC_MAX 34 /* highest statically assigned payload type (H263) */

/*
 * E-model columns (has_emodel, Ie, Bpl, row). Source of every pair: the
 * provisional planning values of Ie and of the packet-loss robustness Bpl in
 * ITU-T G.113 (11/2007) Appendix I, the values G.107's Ie,eff formula is
 * defined with (packet sizes are those the values were measured at):
 *
 *   codec (G.113 row)                          packet   Ie   Bpl
 *   G.711 with the PLC of G.711 Appendix I     10 ms     0   25.1   PCMU, PCMA
 *   G.711 without PLC                          10 ms     0    4.3   (MOS_G711_NO_PLC_BPL)
 *   G.723.1 6.3 kbit/s + VAD                   30 ms    15   16.1   G723
 *   G.729A + VAD (8 kbit/s)                    20 ms    11   19.0   G729
 *   GSM-EFR (GSM 06.60, 12.2 kbit/s)           20 ms     5   10.0   GSM-EFR
 *
 * Assumptions: a G.711 receiver conceals losses (every current endpoint
 * does; the no-PLC Bpl is kept in mos.h); SDP's "G729" is G.729A+VAD, the
 * variant deployed and the only G.729 row with a Bpl (plain G.729 has Ie 10,
 * no Bpl); "G723" runs at 6.3 kbit/s, the only G.723.1 rate with a Bpl
 * (5.3 kbit/s has Ie 19 and no Bpl).
 *
 * No pair, so has_emodel false (the caller reports null rather than guess):
 * codecs with an Ie but no Bpl in Appendix I (GSM full rate 06.10 Ie 20,
 * G.728 16 kbit/s Ie 7, G.726 32 kbit/s Ie 7); AMR, whose mode (4.75 to
 * 12.2 kbit/s) can change every frame and is not in the rtpmap, so the EFR
 * row (= AMR 12.2) would be a guess for the others; wideband codecs (G.722,
 * AMR-WB, G.722.1, EVS, opus at 48 kHz), whose Ie,wb values belong to the
 * wideband E-model G.107.1 (Ro 129), not to this narrowband one; iLBC,
 * speex, opus (no ITU-T values); video, comfort noise, DTMF events.
 */
#define CODEC_NO_EMODEL false, 0, 0, NULL
#define CODEC_EMODEL(ie, bpl, row) true, (ie), (bpl), (row)

static const struct codec_entry codec_static[CODEC_STATIC_MAX + 1] = {
    /* G.113 App. I: G.711 with G.711 Appendix I PLC, Ie 0, Bpl 25.1 */
    [0] = CODEC_ROW("g711U", "PCMU", false, 8000, true, CODEC_EMODEL(0, 25.1, "G.711 with PLC")),
    [3] = CODEC_ROW("GSM", "GSM", false, 8000, true, CODEC_NO_EMODEL),
    /* G.113 App. I: G.723.1 6.3 kbit/s + VAD, Ie 15, Bpl 16.1 */
    [4] =
        CODEC_ROW("g723", "G723", false, 8000, true, CODEC_EMODEL(15, 16.1, "G.723.1 6.3k + VAD")),
    [5] = CODEC_ROW("DVI4 8k", "DVI4", false, 8000, true, CODEC_NO_EMODEL),
    [6] = CODEC_ROW("DVI4 16k", "DVI4", false, 16000, true, CODEC_NO_EMODEL),
    [7] = CODEC_ROW("Exp. from Xerox PARC", "LPC", false, 8000, true, CODEC_NO_EMODEL),
    /* G.113 App. I: G.711 with G.711 Appendix I PLC, Ie 0, Bpl 25.1 */
    [8] = CODEC_ROW("g711A", "PCMA", false, 8000, true, CODEC_EMODEL(0, 25.1, "G.711 with PLC")),
    [9] = CODEC_ROW("g722", "G722", false, 8000, true, CODEC_NO_EMODEL),
    [10] = CODEC_ROW("16-bit audio, stereo", "L16", false, 44100, true, CODEC_NO_EMODEL),
    [11] = CODEC_ROW("16-bit audio, monaural", "L16", false, 44100, true, CODEC_NO_EMODEL),
    [12] = CODEC_ROW("Qualcomm", "QCELP", false, 8000, true, CODEC_NO_EMODEL),
    [13] = CODEC_ROW("CN", "CN", true, 8000, true, CODEC_NO_EMODEL),
    [14] = CODEC_ROW("MPEG-I/II Audio", "MPA", false, 90000, true, CODEC_NO_EMODEL),
    [15] = CODEC_ROW("g728", "G728", false, 8000, true, CODEC_NO_EMODEL),
    [16] = CODEC_ROW("DVI4 11k", "DVI4", false, 11025, true, CODEC_NO_EMODEL),
    [17] = CODEC_ROW("DVI4 22k", "DVI4", false, 22050, true, CODEC_NO_EMODEL),
    /* G.113 App. I: G.729A + VAD, Ie 11, Bpl 19.0 */
    [18] = CODEC_ROW("g729", "G729", false, 8000, true, CODEC_EMODEL(11, 19.0, "G.729A + VAD")),
    [25] = CODEC_ROW("CellB", "CelB", false, 90000, false, CODEC_NO_EMODEL),
    [26] = CODEC_ROW("JPEG", "JPEG", false, 90000, false, CODEC_NO_EMODEL),
    [28] = CODEC_ROW("NV", "nv", false, 90000, false, CODEC_NO_EMODEL),
    [31] = CODEC_ROW("h261", "H261", false, 90000, false, CODEC_NO_EMODEL),
    [32] = CODEC_ROW("MPEG-I/II Video", "MPV", false, 90000, false, CODEC_NO_EMODEL),
    [33] = CODEC_ROW("MPEG-II streams", "MP2T", false, 90000, false, CODEC_NO_EMODEL),
    [34] = CODEC_ROW("h263", "H263", false, 90000, false, CODEC_NO_EMODEL),
};

/*
 * Encoding names seen with dynamic payload types (RFC 3551 §4.5, RFC 4733,
 * RFC 7587, RFC 4867, RFC 3952, RFC 5577, RFC 3551 §4.5.4 G726-32, 3GPP TS
 * 26.445 EVS, RFC 3551 §4.5.9 GSM-EFR, RFC 6184, RFC 7741, RFC 9628,
 * RFC 2198, RFC 5109, RFC 8627, RFC 4588). Wireshark prints the SDP encoding
 * name for a dynamic type, so the name is the usual SDP spelling. A clock
 * rate of 0 means "no default; take it from the a=rtpmap".
 */
static const struct codec_entry codec_dynamic[] = {
    CODEC_ROW("opus", "opus", false, 48000, true, CODEC_NO_EMODEL),
    CODEC_ROW("telephone-event", "telephone-event", true, 8000, true, CODEC_NO_EMODEL),
    CODEC_ROW("AMR", "AMR", false, 8000, true, CODEC_NO_EMODEL),
    CODEC_ROW("AMR-WB", "AMR-WB", false, 16000, true, CODEC_NO_EMODEL),
    CODEC_ROW("iLBC", "iLBC", false, 8000, true, CODEC_NO_EMODEL),
    CODEC_ROW("speex", "speex", false, 8000, true, CODEC_NO_EMODEL),
    CODEC_ROW("G7221", "G7221", false, 16000, true, CODEC_NO_EMODEL),
    CODEC_ROW("G726-32", "G726-32", false, 8000, true, CODEC_NO_EMODEL),
    CODEC_ROW("EVS", "EVS", false, 16000, true, CODEC_NO_EMODEL),
    /* G.113 App. I: GSM-EFR (GSM 06.60), Ie 5, Bpl 10.0 */
    CODEC_ROW("GSM-EFR", "GSM-EFR", false, 8000, true, CODEC_EMODEL(5, 10.0, "GSM-EFR")),
    CODEC_ROW("H264", "H264", false, 90000, false, CODEC_NO_EMODEL),
    CODEC_ROW("VP8", "VP8", false, 90000, false, CODEC_NO_EMODEL),
    CODEC_ROW("VP9", "VP9", false, 90000, false, CODEC_NO_EMODEL),
    CODEC_ROW("red", "red", true, 0, false, CODEC_NO_EMODEL),
    CODEC_ROW("ulpfec", "ulpfec", true, 0, false, CODEC_NO_EMODEL),
    CODEC_ROW("flexfec", "flexfec", true, 0, false, CODEC_NO_EMODEL),
    CODEC_ROW("rtx", "rtx", true, 0, false, CODEC_NO_EMODEL),
};

#define CODEC_DYNAMIC_COUNT (sizeof codec_dynamic / sizeof codec_dynamic[0])

const struct codec_info *codec_by_pt(uint8_t pt)
{
    if (pt > CODEC_STATIC_MAX || codec_static[pt].info.name == NULL)
        return NULL;
    return &codec_static[pt].info;
}

/* Whether row name r can be name (a first-letter check that rules out most rows cheaply; '| 0x20'
 * folds ASCII case and keeps digits and punctuation apart), then the full comparison. */
static bool codec_name_is(struct sv name, const char *r)
{
    return r != NULL && (name.p[0] | 0x20) == (r[0] | 0x20) && sv_case_eq_cstr(name, r);
}

/* The same against a row's rtpmap name, whose length is known. */
static bool codec_rtpmap_is(struct sv name, const struct codec_entry *e)
{
    return e->info.rtpmap != NULL && e->rtpmap_len == name.len &&
           (name.p[0] | 0x20) == (e->info.rtpmap[0] | 0x20) &&
           sv_case_eq(name, sv_make(e->info.rtpmap, e->rtpmap_len));
}

/* Static rows first, so "PCMA" gives the row of payload type 8 and "DVI4" the 8 kHz one. */
static const struct codec_entry *codec_entry_by_name(struct sv name)
{
    if (name.len == 0)
        return NULL;
    for (size_t i = 0; i <= CODEC_STATIC_MAX; i++)
        if (codec_rtpmap_is(name, &codec_static[i]))
            return &codec_static[i];
    for (size_t i = 0; i < CODEC_DYNAMIC_COUNT; i++)
        if (codec_rtpmap_is(name, &codec_dynamic[i]))
            return &codec_dynamic[i];
    return NULL;
}

const struct codec_info *codec_by_name(struct sv rtpmap_name)
{
    const struct codec_entry *e = codec_entry_by_name(rtpmap_name);
    return e ? &e->info : NULL;
}

bool codec_is_aux(struct sv rtpmap_name)
{
    const struct codec_entry *e = codec_entry_by_name(rtpmap_name);
    return e != NULL && e->aux;
}

const struct codec_info *codec_by_label(struct sv name)
{
    if (name.len == 0)
        return NULL;
    for (size_t i = 0; i <= CODEC_STATIC_MAX; i++)
        if (codec_name_is(name, codec_static[i].info.name))
            return &codec_static[i].info;
    for (size_t i = 0; i < CODEC_DYNAMIC_COUNT; i++)
        if (codec_name_is(name, codec_dynamic[i].info.name))
            return &codec_dynamic[i].info;
    return NULL;
}
