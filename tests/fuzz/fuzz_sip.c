/* fuzz_sip.c: libFuzzer target for the SIP parser and URI helpers (RFC 3261 §7, §18.3, §19.1). */
#include <stdint.h>
#include <stdlib.h>

#include "decoders/sip.h"
#include "decoders/sip_uri.h"

/*
 * Build (no Makefile target, STYLE rule 25 runs it in CI):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_DEFAULT_SOURCE -I. \
 *       tests/fuzz/fuzz_sip.c decoders/sip.c decoders/sip_uri.c decoders/lines.c -o fuzz_sip
 *   ./fuzz_sip -max_total_time=60 CORPUS   (seeds: tests/fuzz/seeds.py sip, samples/ SIP payloads)
 *
 * Every view the parser returns must lie inside the input; the harness checks
 * that and reads each byte of it, so ASan sees any stray pointer.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CUT_EDGE 16  /* prefixes cut within this many bytes of either end: all tried */
#define FUZZ_CUT_STEPS 32 /* prefixes tried in between */

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

static void fuzz_nameaddr(const uint8_t *buf, size_t len, struct sv value)
{
    struct sip_nameaddr na;
    struct sip_uri u;
    struct sv tag;
    char aor[64];
    if (!sip_nameaddr_parse(value, &na))
        return;
    fuzz_view(buf, len, na.display);
    fuzz_view(buf, len, na.uri);
    fuzz_view(buf, len, na.params);
    if (sip_param(na.params, "tag", &tag))
        fuzz_view(buf, len, tag);
    if (sip_uri_parse(na.uri, &u)) {
        fuzz_view(buf, len, u.scheme);
        fuzz_view(buf, len, u.user);
        fuzz_view(buf, len, u.host);
        fuzz_view(buf, len, u.params);
    }
    sip_uri_aor(na.uri, aor, sizeof aor);
    sip_uri_aor(na.uri, aor, 5);
}

static void fuzz_msg(const uint8_t *buf, size_t len, const struct sip_msg *m)
{
    size_t pos = 0, n = 0;
    struct sv name, value;
    if (m->wire_len > len)
        abort();
    for (int h = 0; h < SIP_HDR__COUNT; h++)
        fuzz_view(buf, len, m->hdr[h]);
    fuzz_view(buf, len, m->method_name);
    fuzz_view(buf, len, m->request_uri);
    fuzz_view(buf, len, m->reason);
    fuzz_view(buf, len, m->headers);
    fuzz_view(buf, len, m->call_id);
    fuzz_view(buf, len, m->cseq_method_name);
    fuzz_view(buf, len, m->via_branch);
    fuzz_view(buf, len, m->via_sent_by);
    fuzz_view(buf, len, m->via_transport);
    fuzz_view(buf, len, m->from_tag);
    fuzz_view(buf, len, m->to_tag);
    fuzz_view(buf, len, m->content_type);
    fuzz_view(buf, len, m->body);
    fuzz_view(buf, len, m->sdp);
    while (sip_header_next(m, &pos, &name, &value)) {
        fuzz_view(buf, len, name);
        fuzz_view(buf, len, value);
        if (++n > SIP_MAX_HEADER_LINES + 1u)
            abort();
    }
    fuzz_nameaddr(buf, len, m->hdr[SIP_HDR_FROM]);
    fuzz_nameaddr(buf, len, m->hdr[SIP_HDR_TO]);
    fuzz_nameaddr(buf, len, m->hdr[SIP_HDR_CONTACT]);
    fuzz_nameaddr(buf, len, m->hdr[SIP_HDR_P_ASSERTED_IDENTITY]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sip_msg m;
    enum status st;

    sip_is_keepalive(data, size);
    sip_looks_like(data, size);

    /* Datagram: call again at buf + wire_len while messages follow, as the worker does. */
    size_t off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        st = sip_parse(data + off, size - off, false, &m);
        if (m.wire_len > size - off)
            abort();
        if (st == STATUS_NEED_MORE)
            abort(); /* never in datagram mode */
        fuzz_msg(data + off, size - off, &m);
        if (st != STATUS_OK || m.wire_len == 0)
            break;
        off += m.wire_len;
    }

    /*
     * Stream framing is monotonic: when the whole input frames a message of W
     * bytes, every shorter prefix (but a keepalive-only one) is NEED_MORE.
     * Every cut would be quadratic (a few hundred inputs a second), so the
     * cuts tried are the first and last FUZZ_CUT_EDGE bytes and FUZZ_CUT_STEPS
     * spread between, and those around the end of the header block: where
     * the framing decisions are, at a cost linear in the input.
     */
    st = sip_parse(data, size, true, &m);
    if (st == STATUS_OK) {
        size_t w = m.wire_len;
        size_t step = w / FUZZ_CUT_STEPS + 1;
        /* and around the start of the body, where the header block ends */
        size_t b = m.body.p ? (size_t)((const uint8_t *)m.body.p - data) : 0;
        for (size_t cut = b > 4 ? b - 4 : 0; cut < w && cut <= b + 4; cut++) {
            enum status sp = sip_parse(data, cut, true, &m);
            if (sp != STATUS_NEED_MORE && !(sp == STATUS_NOT_SIP && sip_is_keepalive(data, cut)))
                abort();
        }
        for (size_t cut = 0; cut < w;
             cut = (cut < FUZZ_CUT_EDGE || cut + FUZZ_CUT_EDGE >= w)
                       ? cut + 1
                       : (cut + step + FUZZ_CUT_EDGE < w ? cut + step : w - FUZZ_CUT_EDGE)) {
            enum status sp = sip_parse(data, cut, true, &m);
            if (sp != STATUS_NEED_MORE && !(sp == STATUS_NOT_SIP && sip_is_keepalive(data, cut)))
                abort();
        }
    }

    /* Stream: consume OK, NOT_SIP and MALFORMED alike; stop at NEED_MORE. */
    off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        st = sip_parse(data + off, size - off, true, &m);
        if (st == STATUS_NEED_MORE)
            break;
        if (m.wire_len == 0 || m.wire_len > size - off)
            abort(); /* a stream caller must always make progress */
        fuzz_msg(data + off, size - off, &m);
        off += m.wire_len;
    }
    return 0;
}
