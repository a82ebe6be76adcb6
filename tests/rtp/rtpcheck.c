/* rtpcheck.c: rtpstream's figures in the columns of `tshark -q -z rtp,streams` (RFC 3550). */

/*
 * A developer tool, not part of the product: it proves decoders/rtpstream.c
 * against tshark 4.0.17 (tests/rtp/compare.sh runs both and compares).
 *
 * Build (from the top of the checkout):
 *   cc -std=c11 -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra -I. -o build/rtpcheck \
 *       tests/rtp/rtpcheck.c sensor/decode.c sensor/ipfrag.c decoders/rtp.c \
 *       decoders/rtpstream.c decoders/codec.c decoders/addr.c decoders/pool.c \
 *       decoders/status.c decoders/stats.c -lpcap -lm
 * (tests/rtp/compare.sh builds it this way into build/rtpcheck when it is missing or older.)
 *
 * Usage:
 *   rtpcheck -s PAIRS [-m PT=NAME/RATE]... FILE
 *
 *   PAIRS   file of "SRC_IP:PORT DST_IP:PORT" lines (IPv6 without brackets is
 *           fine: the port follows the last colon); every UDP datagram from SRC
 *           to DST is taken as RTP, as tshark decodes it once SDP (or its RTP
 *           heuristic) claimed the pair. "-" reads the pairs from stdin.
 *   -m      an SDP rtpmap for a dynamic payload type, e.g. 101=telephone-event/8000
 *           (that type is then decoded as RFC 4733 events) or 96=opus/48000.
 *   FILE    pcap or pcapng (not gzip: zcat it to a file first).
 *
 * Output: one line per (src, dst, SSRC) stream, tshark's columns (start and
 * end time relative to the first frame of the file, addresses, SSRC,
 * payload names, packets, lost (%), min/mean/max delta, min/mean/max jitter,
 * problem flag), then " | " and our extra figures: seq_err (sharkd's), the
 * RFC 3550 A.1 figures, loss bursts, burst ratio, worst 10 s window, A.8
 * jitter and the DTMF digits.
 *
 * Which datagrams tshark counts (mirrored here): version 2 only; M set with
 * payload type 64..95 is RTCP (RFC 5761); a header cut inside its CSRC list
 * or extension is not counted; a bogus padding count is; a packet cut by the
 * snaplen with P set is not (tshark cannot read the padding count).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoders/addr.h"
#include "decoders/codec.h"
#include "decoders/rtp.h"
#include "decoders/rtpstream.h"
#include "decoders/stats.h"
#include "sensor/decode.h"

#define RTPCHECK_MAX_PAIRS 4096
#define RTPCHECK_MAX_STREAMS 8192
#define RTPCHECK_MAX_MAPS 128

struct rtpcheck_pair {
    struct endpoint src, dst;
};

struct rtpcheck_map {
    uint8_t pt;
    char name[48];
    uint32_t rate;
};

#define RTPCHECK_DTMF_MAX 16 /* digits printed per stream */

struct rtpcheck_stream {
    size_t pair;
    uint32_t ssrc;
    struct rtpstream st;
    uint32_t pt_seen[4]; /* bit per payload type seen (tshark's payload column) */
    uint8_t dtmf_count;
    char dtmf_digits[RTPCHECK_DTMF_MAX]; /* RFC 4733 digits, as each event began */
};

static struct rtpcheck_pair pairs[RTPCHECK_MAX_PAIRS];
static size_t npairs;
static struct rtpcheck_map maps[RTPCHECK_MAX_MAPS];
static size_t nmaps;
static struct rtpcheck_stream streams[RTPCHECK_MAX_STREAMS];
static size_t nstreams;

static int rtpcheck_parse_endpoint(const char *text, struct endpoint *e)
{
    const char *colon = strrchr(text, ':');
    if (!colon)
        return -1;
    const char *ip = text;
    size_t iplen = (size_t)(colon - text);
    if (iplen >= 2 && ip[0] == '[' && ip[iplen - 1] == ']') {
        ip++;
        iplen -= 2;
    }
    if (!addr_parse(sv_make(ip, iplen), &e->ip))
        return -1;
    long port = strtol(colon + 1, NULL, 10);
    if (port < 0 || port > 65535)
        return -1;
    e->port = (uint16_t)port;
    return 0;
}

static int rtpcheck_read_pairs(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[512], a[256], b[256];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%255s %255s", a, b) != 2 || a[0] == '#')
            continue;
        if (npairs == RTPCHECK_MAX_PAIRS) {
            fprintf(stderr, "rtpcheck: too many pairs\n");
            break;
        }
        if (rtpcheck_parse_endpoint(a, &pairs[npairs].src) ||
            rtpcheck_parse_endpoint(b, &pairs[npairs].dst)) {
            fprintf(stderr, "rtpcheck: bad pair: %s", line);
            continue;
        }
        npairs++;
    }
    if (f != stdin)
        fclose(f);
    return 0;
}

static int rtpcheck_add_map(const char *arg)
{
    unsigned pt, rate = 0;
    char name[48] = "";
    if (sscanf(arg, "%u=%47[^/]/%u", &pt, name, &rate) < 2 || pt > 127 ||
        nmaps == RTPCHECK_MAX_MAPS)
        return -1;
    maps[nmaps].pt = (uint8_t)pt;
    memcpy(maps[nmaps].name, name, sizeof name);
    maps[nmaps].rate = rate;
    nmaps++;
    return 0;
}

static const struct rtpcheck_map *rtpcheck_map_of(uint8_t pt)
{
    for (size_t i = 0; i < nmaps; i++)
        if (maps[i].pt == pt)
            return &maps[i];
    return NULL;
}

static uint32_t rtpcheck_event_pt(void)
{
    for (size_t i = 0; i < nmaps; i++)
        if (strcmp(maps[i].name, "telephone-event") == 0)
            return maps[i].pt;
    return RTPSTREAM_NO_EVENT_PT;
}

static struct rtpcheck_stream *rtpcheck_stream_of(size_t pair, const struct rtp_hdr *h)
{
    for (size_t i = 0; i < nstreams; i++)
        if (streams[i].pair == pair && streams[i].ssrc == h->ssrc)
            return &streams[i];
    if (nstreams == RTPCHECK_MAX_STREAMS)
        return NULL;
    struct rtpcheck_stream *s = &streams[nstreams++];
    s->pair = pair;
    s->ssrc = h->ssrc;
    uint32_t rate = 0;
    const struct rtpcheck_map *m = rtpcheck_map_of(h->pt);
    if (m)
        rate = m->rate;
    else if (codec_by_pt(h->pt))
        rate = codec_by_pt(h->pt)->clock_rate;
    rtpstream_init(&s->st, h->ssrc, h->pt, rate);
    return s;
}

/* tshark's payload column: names of every payload type seen, by number, ", "-separated. */
static void rtpcheck_names(const struct rtpcheck_stream *st, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (unsigned pt = 0; pt < 128; pt++) {
        if (!(st->pt_seen[pt >> 5] & (1u << (pt & 31))))
            continue;
        char one[64];
        const struct rtpcheck_map *m = rtpcheck_map_of((uint8_t)pt);
        const struct codec_info *c = codec_by_pt((uint8_t)pt);
        if (pt < 96 && c)
            snprintf(one, sizeof one, "%s", c->name);
        else if (pt >= 96 && m)
            snprintf(one, sizeof one, "%s", m->name);
        else if (pt >= 96)
            snprintf(one, sizeof one, "RTPType-%u", pt);
        else
            snprintf(one, sizeof one, "Unknown (%u)", pt);
        int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", one);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void rtpcheck_print(uint64_t file_first_ns)
{
    for (size_t i = 0; i < nstreams; i++) {
        const struct rtpcheck_stream *s = &streams[i];
        struct rtpstream_figures f;
        rtpstream_figures(&s->st, &f);
        char src[ADDR_STR_MAX], dst[ADDR_STR_MAX], names[256];
        addr_format(&pairs[s->pair].src.ip, src, sizeof src);
        addr_format(&pairs[s->pair].dst.ip, dst, sizeof dst);
        rtpcheck_names(s, names, sizeof names);
        double start = (double)(int64_t)(f.first_ns - file_first_ns) / 1e9;
        double end = (double)(int64_t)(f.last_ns - file_first_ns) / 1e9;
        printf("%13.6f %13.6f %15s %5u %15s %5u 0x%08X %16s %5u %5d (%.1f%%) %15.3f %15.3f %15.3f "
               "%15.3f %15.3f %15.3f %s",
               start, end, src, pairs[s->pair].src.port, dst, pairs[s->pair].dst.port, f.ssrc,
               names, f.packets, f.lost, f.lost_pct, f.min_delta_ms, f.mean_delta_ms,
               f.max_delta_ms, f.min_jitter_ms, f.mean_jitter_ms, f.max_jitter_ms,
               f.problem ? "X" : "");
        printf(" | seq_err=%u expected_unique=%u lost_unique=%u dup=%u ooo=%u bursts=%u/%u "
               "burst_ratio=%.3f a8_jitter=%u",
               f.seq_errors, f.expected_unique, f.lost_unique, f.duplicates, f.out_of_order,
               f.loss_bursts[0], f.loss_bursts[1], f.burst_ratio, f.rfc3550_jitter);
        if (f.window_valid)
            printf(" worst10s=%.3f:%.2f%%:%.3f",
                   (double)(int64_t)(f.window_start_ns - file_first_ns) / 1e9, f.window_loss_pct,
                   f.window_burst_ratio);
        if (s->dtmf_count)
            printf(" dtmf=%.*s", (int)s->dtmf_count, s->dtmf_digits);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    const char *pairs_path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            pairs_path = argv[++i];
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            if (rtpcheck_add_map(argv[++i])) {
                fprintf(stderr, "rtpcheck: bad -m %s (want PT=NAME/RATE)\n", argv[i]);
                return 2;
            }
        } else {
            break;
        }
    }
    if (!pairs_path || i != argc - 1) {
        fprintf(stderr, "usage: rtpcheck -s PAIRS [-m PT=NAME/RATE]... FILE\n");
        return 2;
    }
    if (rtpcheck_read_pairs(pairs_path))
        return 2;

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
        pcap_open_offline_with_tstamp_precision(argv[i], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fprintf(stderr, "rtpcheck: %s\n", errbuf);
        return 2;
    }
    uint64_t mul = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    static struct stats st;
    struct decode *d = decode_create(NULL, &st);
    if (!d) {
        pcap_close(p);
        return 2;
    }
    uint32_t event_pt = rtpcheck_event_pt();
    int link = pcap_datalink(p);
    uint64_t file_first_ns = 0;
    bool first = true;
    struct pcap_pkthdr *ph;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &ph, &data)) == 1) {
        uint64_t ts = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec * mul;
        if (first) {
            file_first_ns = ts;
            first = false;
        }
        struct pkt_info pi;
        if (decode_frame(d, link, data, ph->caplen, ts, &pi) != STATUS_OK || pi.l4 != PKT_L4_UDP)
            continue;
        size_t k = 0;
        while (k < npairs &&
               !(endpoint_eq(&pairs[k].src, &pi.src) && endpoint_eq(&pairs[k].dst, &pi.dst)))
            k++;
        if (k == npairs)
            continue;
        if (rtp_is_rtcp(pi.payload, pi.payload_len))
            continue;
        struct rtp_hdr h;
        enum status s = rtp_parse(pi.payload, pi.payload_len, &h);
        if (s != STATUS_OK && !(s == STATUS_MALFORMED && (h.anomalies & RTP_ANOM_BAD_PADDING)))
            continue;
        if (pi.truncated && h.padding)
            continue;
        struct rtpcheck_stream *rs = rtpcheck_stream_of(k, &h);
        if (!rs) {
            fprintf(stderr, "rtpcheck: too many streams\n");
            break;
        }
        /* tshark looks each packet's dynamic type up in the rtpmaps: follow it */
        if (h.pt >= 96 && h.pt != event_pt && h.pt != rs->st.pt) {
            const struct rtpcheck_map *m = rtpcheck_map_of(h.pt);
            rtpstream_set_clock(&rs->st, h.pt, m ? m->rate : 0);
        }
        rs->pt_seen[h.pt >> 5] |= 1u << (h.pt & 31);
        unsigned ev = rtpstream_update(&rs->st, &h, ts, event_pt);
        if ((ev & RTPSTREAM_EV_DTMF_BEGIN) && rs->st.dtmf_last.digit &&
            rs->dtmf_count < RTPCHECK_DTMF_MAX)
            rs->dtmf_digits[rs->dtmf_count++] = rs->st.dtmf_last.digit;
    }
    if (rc == -1)
        fprintf(stderr, "rtpcheck: %s\n", pcap_geterr(p));
    rtpcheck_print(file_first_ns);
    decode_destroy(d);
    pcap_close(p);
    return 0;
}
