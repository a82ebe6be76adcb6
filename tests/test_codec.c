/* test_codec.c: RTP payload type table (RFC 3551 §6) and rtpmap names, checked against tshark's
 * names. */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/codec.h"

#define NAME(s) sv_make((s), strlen(s))

static void assert_static(uint8_t pt, const char *name, const char *rtpmap, uint32_t rate,
                          bool audio)
{
    const struct codec_info *c = codec_by_pt(pt);
    cr_assert_not_null(c, "pt %u has no row", pt);
    cr_assert_str_eq(c->name, name, "pt %u", pt);
    cr_assert_str_eq(c->rtpmap, rtpmap, "pt %u", pt);
    cr_assert_eq(c->clock_rate, rate, "pt %u: %u", pt, c->clock_rate);
    cr_assert_eq(c->audio, audio, "pt %u", pt);
}

/* The names tshark 4.0 prints in `-z rtp,streams` (g711A, g711U, h263 in the captures' files). */
Test(codec, static_names_match_tshark)
{
    assert_static(0, "g711U", "PCMU", 8000, true);
    assert_static(3, "GSM", "GSM", 8000, true);
    assert_static(4, "g723", "G723", 8000, true);
    assert_static(8, "g711A", "PCMA", 8000, true);
    assert_static(9, "g722", "G722", 8000, true);
    assert_static(15, "g728", "G728", 8000, true);
    assert_static(18, "g729", "G729", 8000, true);
    assert_static(34, "h263", "H263", 90000, false);
}

/* RFC 3551 §4.5.2: G722 samples at 16 kHz but its RTP clock rate is 8000. */
Test(codec, g722_clock_rate_is_8000)
{
    cr_assert_eq(codec_by_pt(9)->clock_rate, 8000);
    cr_assert_eq(codec_by_name(NAME("G722"))->clock_rate, 8000);
}

Test(codec, static_rates_from_rfc3551_tables)
{
    assert_static(5, "DVI4 8k", "DVI4", 8000, true);
    assert_static(6, "DVI4 16k", "DVI4", 16000, true);
    assert_static(16, "DVI4 11k", "DVI4", 11025, true);
    assert_static(17, "DVI4 22k", "DVI4", 22050, true);
    cr_assert_eq(codec_by_pt(7)->clock_rate, 8000);   /* LPC */
    cr_assert_eq(codec_by_pt(10)->clock_rate, 44100); /* L16 stereo */
    cr_assert_eq(codec_by_pt(11)->clock_rate, 44100); /* L16 mono */
    cr_assert_eq(codec_by_pt(12)->clock_rate, 8000);  /* QCELP */
    cr_assert_eq(codec_by_pt(13)->clock_rate, 8000);  /* CN */
    cr_assert_eq(codec_by_pt(14)->clock_rate, 90000); /* MPA */
    uint8_t video[] = {25, 26, 28, 31, 32, 33, 34};
    for (size_t i = 0; i < sizeof video; i++) {
        cr_assert_eq(codec_by_pt(video[i])->clock_rate, 90000, "pt %u", video[i]);
        cr_assert(!codec_by_pt(video[i])->audio, "pt %u", video[i]);
    }
    cr_assert_str_eq(codec_by_pt(25)->rtpmap, "CelB");
    cr_assert_str_eq(codec_by_pt(28)->rtpmap, "nv");
    cr_assert_str_eq(codec_by_pt(33)->rtpmap, "MP2T");
}

/* Reserved (1, 2, 19), unassigned (20-24, 27, 29, 30, 35-95) and dynamic (96-127) have no row. */
Test(codec, unassigned_and_dynamic_pts_have_no_row)
{
    uint8_t none[] = {1, 2, 19, 20, 21, 22, 23, 24, 27, 29, 30, 35, 72, 95, 96, 101, 127, 128, 255};
    for (size_t i = 0; i < sizeof none; i++)
        cr_assert_null(codec_by_pt(none[i]), "pt %u", none[i]);
}

Test(codec, every_static_row_is_complete_and_found_by_its_name)
{
    int rows = 0;
    for (unsigned pt = 0; pt < 256; pt++) {
        const struct codec_info *c = codec_by_pt((uint8_t)pt);
        if (!c)
            continue;
        rows++;
        cr_assert(pt <= 34);
        cr_assert(c->name && c->name[0] && c->rtpmap && c->rtpmap[0], "pt %u", pt);
        cr_assert_gt(c->clock_rate, 0, "pt %u", pt);
        const struct codec_info *by_name = codec_by_name(NAME(c->rtpmap));
        cr_assert_not_null(by_name, "pt %u", pt);
        cr_assert_str_eq(by_name->rtpmap, c->rtpmap);
    }
    cr_assert_eq(rows, 24, "RFC 3551 assigns 24 static payload types, got %d", rows);
}

Test(codec, name_lookup_is_case_insensitive)
{
    cr_assert_eq(codec_by_name(NAME("pcmu")), codec_by_pt(0));
    cr_assert_eq(codec_by_name(NAME("PcMa")), codec_by_pt(8));
    cr_assert_eq(codec_by_name(NAME("g729")), codec_by_pt(18));
    cr_assert_eq(codec_by_name(NAME("gsm")), codec_by_pt(3));
    const struct codec_info *te = codec_by_name(NAME("TELEPHONE-EVENT"));
    cr_assert_not_null(te);
    cr_assert_str_eq(te->name, "telephone-event");
    cr_assert_str_eq(codec_by_name(NAME("OPUS"))->name, "opus");
}

/* "DVI4" is ambiguous by name (5, 6, 16, 17): the 8 kHz row of pt 5 wins. */
Test(codec, ambiguous_name_gives_lowest_static_pt)
{
    cr_assert_eq(codec_by_name(NAME("dvi4")), codec_by_pt(5));
    cr_assert_eq(codec_by_name(NAME("L16")), codec_by_pt(10));
}

Test(codec, dynamic_names_and_clock_rates)
{
    struct {
        const char *sdp;
        const char *name;
        uint32_t rate;
        bool audio;
    } cases[] = {
        {"opus", "opus", 48000, true},   {"telephone-event", "telephone-event", 8000, true},
        {"AMR", "AMR", 8000, true},      {"AMR-WB", "AMR-WB", 16000, true},
        {"iLBC", "iLBC", 8000, true},    {"speex", "speex", 8000, true},
        {"G7221", "G7221", 16000, true}, {"G726-32", "G726-32", 8000, true},
        {"EVS", "EVS", 16000, true},     {"H264", "H264", 90000, false},
        {"VP8", "VP8", 90000, false},    {"VP9", "VP9", 90000, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct codec_info *c = codec_by_name(NAME(cases[i].sdp));
        cr_assert_not_null(c, "%s", cases[i].sdp);
        cr_assert_str_eq(c->name, cases[i].name);
        cr_assert_eq(c->clock_rate, cases[i].rate, "%s", cases[i].sdp);
        cr_assert_eq(c->audio, cases[i].audio, "%s", cases[i].sdp);
    }
    /* AMR and AMR-WB must not be confused by a prefix match. */
    cr_assert_neq(codec_by_name(NAME("AMR")), codec_by_name(NAME("AMR-WB")));
}

Test(codec, unknown_names_are_null)
{
    const char *bad[] = {"PCM", "PCMUX", "PCMU ", " PCMU", "G.711", "opus/48000", "x", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(codec_by_name(NAME(bad[i])), "'%s'", bad[i]);
    cr_assert_null(codec_by_name(SV_NULL));
    cr_assert_null(codec_by_name(sv_make("", 0)));
}

/* A NUL inside the view is a byte like any other: "PCMU\0" is not "PCMU". */
Test(codec, nul_byte_in_name_is_not_a_terminator)
{
    static const char name[] = "PCMU\0";
    cr_assert_null(codec_by_name(sv_make(name, 5)));
    cr_assert_not_null(codec_by_name(sv_make(name, 4)));
    cr_assert(!codec_is_aux(sv_make("CN\0", 3)));
}

Test(codec, aux_payloads)
{
    const char *aux[] = {"telephone-event", "TELEPHONE-EVENT", "CN", "cn", "red", "RED",
                         "ulpfec",          "flexfec",         "rtx"};
    for (size_t i = 0; i < sizeof aux / sizeof aux[0]; i++)
        cr_assert(codec_is_aux(NAME(aux[i])), "%s", aux[i]);
    const char *voice[] = {"PCMU", "PCMA", "G729", "opus", "AMR-WB", "H264", "unknown", ""};
    for (size_t i = 0; i < sizeof voice / sizeof voice[0]; i++)
        cr_assert(!codec_is_aux(NAME(voice[i])), "%s", voice[i]);
}
