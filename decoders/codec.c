/* codec.c: RTP payload types and codec names: the RFC 3551 §6 static table and common rtpmap names. */
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
};

/*
 * RFC 3551 §6, Tables 4 and 5, indexed by payload type. Names are Wireshark's
 * short names (epan/dissectors/packet-rtp.c rtp_payload_type_short_vals), so
 * that our stream tables print what `tshark -z rtp,streams` prints. Payload
 * types 1, 2 and 19 are reserved and 20-24, 27, 29, 30 unassigned: no row.
 * G722 runs at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2, an
 * acknowledged historical error kept for compatibility).
 */
#define CODEC_STATIC_MAX 34 /* highest statically assigned payload type (H263) */

static const struct codec_entry codec_static[CODEC_STATIC_MAX + 1] = {
    [0] = { { "g711U", "PCMU", 8000, true }, false },
    [3] = { { "GSM", "GSM", 8000, true }, false },
    [4] = { { "g723", "G723", 8000, true }, false },
    [5] = { { "DVI4 8k", "DVI4", 8000, true }, false },
    [6] = { { "DVI4 16k", "DVI4", 16000, true }, false },
    [7] = { { "Exp. from Xerox PARC", "LPC", 8000, true }, false },
    [8] = { { "g711A", "PCMA", 8000, true }, false },
    [9] = { { "g722", "G722", 8000, true }, false },
    [10] = { { "16-bit audio, stereo", "L16", 44100, true }, false },
    [11] = { { "16-bit audio, monaural", "L16", 44100, true }, false },
    [12] = { { "Qualcomm", "QCELP", 8000, true }, false },
    [13] = { { "CN", "CN", 8000, true }, true },
    [14] = { { "MPEG-I/II Audio", "MPA", 90000, true }, false },
    [15] = { { "g728", "G728", 8000, true }, false },
    [16] = { { "DVI4 11k", "DVI4", 11025, true }, false },
    [17] = { { "DVI4 22k", "DVI4", 22050, true }, false },
    [18] = { { "g729", "G729", 8000, true }, false },
    [25] = { { "CellB", "CelB", 90000, false }, false },
    [26] = { { "JPEG", "JPEG", 90000, false }, false },
    [28] = { { "NV", "nv", 90000, false }, false },
    [31] = { { "h261", "H261", 90000, false }, false },
    [32] = { { "MPEG-I/II Video", "MPV", 90000, false }, false },
    [33] = { { "MPEG-II streams", "MP2T", 90000, false }, false },
    [34] = { { "h263", "H263", 90000, false }, false },
};

/*
 * Encoding names seen with dynamic payload types (RFC 3551 §4.5, RFC 4733,
 * RFC 7587, RFC 4867, RFC 3952, RFC 5577, RFC 3551 §4.5.4 G726-32, 3GPP TS
 * 26.445 EVS, RFC 6184, RFC 7741, RFC 9628, RFC 2198, RFC 5109, RFC 8627,
 * RFC 4588). Wireshark prints the SDP encoding name for a dynamic type, so the
 * name is the usual SDP spelling. A clock rate of 0 means "no default; take
 * it from the a=rtpmap".
 */
static const struct codec_entry codec_dynamic[] = {
    { { "opus", "opus", 48000, true }, false },
    { { "telephone-event", "telephone-event", 8000, true }, true },
    { { "AMR", "AMR", 8000, true }, false },
    { { "AMR-WB", "AMR-WB", 16000, true }, false },
    { { "iLBC", "iLBC", 8000, true }, false },
    { { "speex", "speex", 8000, true }, false },
    { { "G7221", "G7221", 16000, true }, false },
    { { "G726-32", "G726-32", 8000, true }, false },
    { { "EVS", "EVS", 16000, true }, false },
    { { "H264", "H264", 90000, false }, false },
    { { "VP8", "VP8", 90000, false }, false },
    { { "VP9", "VP9", 90000, false }, false },
    { { "red", "red", 0, false }, true },
    { { "ulpfec", "ulpfec", 0, false }, true },
    { { "flexfec", "flexfec", 0, false }, true },
    { { "rtx", "rtx", 0, false }, true },
};

#define CODEC_DYNAMIC_COUNT (sizeof codec_dynamic / sizeof codec_dynamic[0])

const struct codec_info *codec_by_pt(uint8_t pt)
{
    if (pt > CODEC_STATIC_MAX || codec_static[pt].info.name == NULL)
        return NULL;
    return &codec_static[pt].info;
}

/* Static rows first, so "PCMA" gives the row of payload type 8 and "DVI4" the 8 kHz one. */
static const struct codec_entry *codec_entry_by_name(struct sv name)
{
    if (name.len == 0)
        return NULL;
    for (size_t i = 0; i <= CODEC_STATIC_MAX; i++) {
        const struct codec_entry *e = &codec_static[i];
        if (e->info.rtpmap != NULL && sv_case_eq_cstr(name, e->info.rtpmap))
            return e;
    }
    for (size_t i = 0; i < CODEC_DYNAMIC_COUNT; i++)
        if (sv_case_eq_cstr(name, codec_dynamic[i].info.rtpmap))
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
