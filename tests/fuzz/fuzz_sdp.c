/* fuzz_sdp.c: libFuzzer entry point for the SDP parser and its codec helpers (RFC 8866, RFC 3264,
 * RFC 3605). */
#include <stdint.h>
#include <stdlib.h>

#include "decoders/codec.h"
#include "decoders/sdp.h"

/*
 * Build (no Makefile target, STYLE rule 25 runs it in CI):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_DEFAULT_SOURCE -I. \
 *       tests/fuzz/fuzz_sdp.c decoders/sdp.c decoders/codec.c decoders/addr.c \
 *       decoders/status.c -o fuzz_sdp
 *   ./fuzz_sdp -max_total_time=60 CORPUS_DIR
 * Seeds: the SDP bodies of samples/ and of tests/test_sdp.c.
 *
 * Beyond "no crash": every view must lie inside the input (each byte is read,
 * so ASan sees a stray pointer), every count must respect its cap, payload
 * types must be 7-bit, and hold must follow from conn and direction.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sink;

static void fuzz_view(const uint8_t *buf, size_t len, struct sv v)
{
    if (v.len == 0)
        return;
    const char *b = (const char *)buf;
    if (v.p < b || v.p > b + len || v.len > (size_t)(b + len - v.p))
        abort();
    unsigned s = 0;
    for (size_t i = 0; i < v.len; i++)
        s += (unsigned char)v.p[i];
    fuzz_sink += s;
}

static void fuzz_addr(const struct addr *a)
{
    char text[ADDR_STR_MAX];
    if (a->family != 0 && a->family != 4 && a->family != 6)
        abort();
    addr_format(a, text, sizeof text);
    /* what we print must parse back to the same address */
    if (a->family) {
        struct addr back;
        size_t n = 0;
        while (n < sizeof text && text[n])
            n++;
        if (!addr_parse(sv_make(text, n), &back) || !addr_eq(a, &back))
            abort();
    }
}

static struct sdp_session fuzz_session;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdp_session *s = &fuzz_session;
    enum status st = sdp_parse(data, size, s);
    if (st != STATUS_OK && st != STATUS_MALFORMED)
        abort();
    if (s->media_count > SDP_MAX_MEDIA)
        abort();
    fuzz_view(data, size, s->origin_user);
    fuzz_view(data, size, s->session_name);
    fuzz_addr(&s->origin_addr);
    fuzz_addr(&s->conn);
    fuzz_sink += (unsigned)sdp_dir_name(s->dir)[0];
    for (size_t i = 0; i < s->media_count; i++) {
        const struct sdp_media *m = &s->media[i];
        if (m->fmt_count > SDP_MAX_FMT || m->rtpmap_count > SDP_MAX_RTPMAP)
            abort();
        fuzz_view(data, size, m->media);
        fuzz_view(data, size, m->proto);
        fuzz_addr(&m->conn);
        fuzz_addr(&m->rtcp_addr);
        bool hold = addr_is_unspecified(&m->conn) || m->dir == SDP_DIR_SENDONLY ||
                    m->dir == SDP_DIR_INACTIVE;
        if (hold != m->hold)
            abort();
        for (size_t k = 0; k < m->fmt_count; k++) {
            uint32_t rate;
            if (m->fmt[k] > 127)
                abort();
            struct sv name = sdp_media_codec(m, m->fmt[k], &rate);
            fuzz_sink += (unsigned)name.len + rate + (unsigned)codec_is_aux(name);
            const struct codec_info *c = codec_by_name(name);
            if (c)
                fuzz_sink += c->clock_rate;
        }
        for (size_t k = 0; k < m->rtpmap_count; k++) {
            if (m->rtpmap[k].pt > 127)
                abort();
            fuzz_view(data, size, m->rtpmap[k].name);
            fuzz_view(data, size, m->rtpmap[k].fmtp);
        }
        int first = sdp_media_first_codec(m);
        if (first < -1 || first > 127)
            abort();
        fuzz_sink += (unsigned)first + (unsigned)sdp_dir_name(m->dir)[0];
    }
    return 0;
}
