/* history.c: recent frames in one byte ring; a call's SIP (RFC 3261), RTP and RTCP (RFC 3550) out
 * to a nanosecond pcap (pcap-savefile(5)). */
#include "history.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../decoders/lines.h"
#include "../decoders/sip.h"
#include "../decoders/stats.h"
#include "decode.h"

/*
 * The arena holds records back to back, each 8-byte aligned: a header, then
 * caplen bytes of frame. A record never wraps around the end: when the space
 * left before the end is too small, it becomes padding (a header with
 * HISTORY_PAD as link type, or nothing when fewer than a header's bytes are
 * left) and the record starts again at offset 0. head and tail are byte
 * counts since the start that only grow; their difference is at most cap, so
 * the ring is full exactly when tail - head + need > cap.
 */
struct history_rec {
    uint64_t ts_ns;
    uint32_t caplen;
    uint32_t wirelen;
    int32_t linktype; /* HISTORY_PAD: padding up to the end of the arena */
    uint32_t size;    /* bytes of the record, header and alignment included */
};

#define HISTORY_PAD (-1)
#define HISTORY_HDR sizeof(struct history_rec)
#define HISTORY_ALIGN(n) (((n) + 7u) & ~(size_t)7u)
#define HISTORY_FRAG_SETS 1u /* the decoder's fragment table: fragments are never matched */
#define HISTORY_MIB (1024u * 1024u)

_Static_assert(sizeof(struct history_rec) % 8 == 0, "records stay 8-byte aligned");

/* A TCP connection that carried a matching Call-ID (either direction). */
struct history_flow {
    struct endpoint a, b;
};

struct history {
    uint8_t *buf;
    size_t cap;    /* a multiple of 8 */
    uint64_t head; /* oldest record */
    uint64_t tail; /* where the next record goes */
    uint32_t frames;
    uint64_t evicted;
    uint64_t too_big;
    struct decode *dec;  /* history_save's own decoder (the worker's keeps its state) */
    struct stats dec_st; /* its counters: not the sensor's, so dropped */
    uint32_t flow_count;
    struct history_flow flows[HISTORY_MAX_TCP_FLOWS];
};

struct history *history_create(size_t bytes)
{
    if (bytes < HISTORY_MIN_BYTES)
        bytes = HISTORY_MIN_BYTES;
    bytes &= ~(size_t)7u;
    struct history *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->cap = bytes;
    h->buf = malloc(bytes);
    struct decode_config dc = {.frag_max = HISTORY_FRAG_SETS, .frag_timeout_s = 0};
    h->dec = decode_create(&dc, &h->dec_st);
    if (!h->buf || !h->dec) {
        history_destroy(h);
        return NULL;
    }
    return h;
}

void history_destroy(struct history *h)
{
    if (!h)
        return;
    decode_destroy(h->dec);
    free(h->buf);
    free(h);
}

uint32_t history_frames(const struct history *h)
{
    return h->frames;
}

uint64_t history_evicted(const struct history *h)
{
    return h->evicted;
}

uint64_t history_too_big(const struct history *h)
{
    return h->too_big;
}

size_t history_capacity(const struct history *h)
{
    return h->cap;
}

/*
 * The record at logical position pos (< tail), or padding: *r is filled and
 * the size of what is at pos returned (a short tail before the end of the
 * arena, too small for a header, is padding of that size).
 */
static size_t history_at(const struct history *h, uint64_t pos, struct history_rec *r)
{
    size_t off = (size_t)(pos % h->cap);
    size_t to_end = h->cap - off;
    if (to_end < HISTORY_HDR) {
        r->linktype = HISTORY_PAD;
        r->size = (uint32_t)to_end;
        return to_end;
    }
    memcpy(r, h->buf + off, HISTORY_HDR);
    return r->size;
}

/* Drop the oldest records until need more bytes fit after tail. */
static void history_make_room(struct history *h, size_t need)
{
    while (h->tail - h->head + need > h->cap) {
        struct history_rec r;
        h->head += history_at(h, h->head, &r);
        if (r.linktype != HISTORY_PAD) {
            h->frames--;
            h->evicted++;
        }
    }
}

void history_add(struct history *h, const struct frame *f)
{
    if (!h)
        return;
    size_t need = HISTORY_ALIGN(HISTORY_HDR + (size_t)f->caplen);
    if (need > h->cap) {
        h->too_big++;
        return;
    }
    size_t off = (size_t)(h->tail % h->cap);
    size_t to_end = h->cap - off;
    if (to_end < need) {
        history_make_room(h, to_end);
        if (to_end >= HISTORY_HDR) {
            struct history_rec pad = {.linktype = HISTORY_PAD, .size = (uint32_t)to_end};
            memcpy(h->buf + off, &pad, HISTORY_HDR);
        }
        h->tail += to_end;
        off = 0;
    }
    history_make_room(h, need);
    struct history_rec r = {.ts_ns = f->ts_ns,
                            .caplen = f->caplen,
                            .wirelen = f->wirelen,
                            .linktype = f->linktype,
                            .size = (uint32_t)need};
    memcpy(h->buf + off, &r, HISTORY_HDR);
    if (f->caplen)
        memcpy(h->buf + off + HISTORY_HDR, f->data, f->caplen);
    h->tail += need;
    h->frames++;
}

/* Walk: the next frame at or after *pos (padding skipped); false at the end. */
static bool history_next(const struct history *h, uint64_t *pos, struct history_rec *r,
                         const uint8_t **data)
{
    while (*pos < h->tail) {
        uint64_t at = *pos;
        *pos += history_at(h, at, r);
        if (r->linktype != HISTORY_PAD) {
            *data = h->buf + (size_t)(at % h->cap) + HISTORY_HDR;
            return true;
        }
    }
    return false;
}

/* ---- matching ---- */

/* Everything one save needs to decide about a frame. */
struct history_sel {
    const struct history_match *m;
    uint32_t calls;  /* call_count, capped */
    uint32_t pairs;  /* pair_count, capped */
    uint64_t lo, hi; /* the time window */
};

/* A Call-ID as the correlator keys it: up to its first NUL, cut at CALL_ID_MAX - 1. */
static struct sv history_id_key(struct sv id)
{
    const char *nul = id.len ? memchr(id.p, '\0', id.len) : NULL;
    size_t n = nul ? (size_t)(nul - id.p) : id.len;
    if (n > CALL_ID_MAX - 1)
        n = CALL_ID_MAX - 1;
    return sv_make(id.p, n);
}

static bool history_call_matches(const struct history_sel *s, struct sv id)
{
    struct sv key = history_id_key(sv_trim(id));
    if (key.len == 0)
        return false;
    for (uint32_t i = 0; i < s->calls; i++) {
        const char *want = s->m->call_ids[i];
        if (strnlen(want, CALL_ID_MAX) == key.len && memcmp(want, key.p, key.len) == 0)
            return true;
    }
    return false;
}

/* a:ap <-> b:bp, in either direction. */
static bool history_between(const struct pkt_info *p, const struct endpoint *a,
                            const struct endpoint *b, unsigned add)
{
    if (a->port + add > UINT16_MAX || b->port + add > UINT16_MAX)
        return false;
    struct endpoint ea = *a, eb = *b;
    ea.port = (uint16_t)(a->port + add);
    eb.port = (uint16_t)(b->port + add);
    return (endpoint_eq(&p->src, &ea) && endpoint_eq(&p->dst, &eb)) ||
           (endpoint_eq(&p->src, &eb) && endpoint_eq(&p->dst, &ea));
}

/* RTP (or multiplexed RTCP) on a pair's ports, or RTCP on the ports above. */
static bool history_pair_matches(const struct history_sel *s, const struct pkt_info *p)
{
    for (uint32_t i = 0; i < s->pairs; i++) {
        const struct endpoint *a = &s->m->pair_src[i], *b = &s->m->pair_dst[i];
        if (history_between(p, a, b, 0) || history_between(p, a, b, 1))
            return true;
    }
    return false;
}

/* A UDP datagram holds a SIP message of one of the calls (RFC 3261 §18.3 framing). */
static bool history_udp_sip(const struct history_sel *s, const struct pkt_info *p)
{
    size_t off = 0;
    for (uint32_t n = 0; n < HISTORY_MAX_SIP_PER_DATAGRAM && off < p->payload_len; n++) {
        struct sip_msg m;
        enum status st = sip_parse(p->payload + off, p->payload_len - off, false, &m);
        /* A broken message still names its call when its Call-ID header was read. */
        struct sv id = st == STATUS_OK                ? m.call_id
                       : m.hdr_count[SIP_HDR_CALL_ID] ? m.hdr[SIP_HDR_CALL_ID]
                                                      : SV_NULL;
        if (history_call_matches(s, id))
            return true;
        if (st != STATUS_OK || m.wire_len == 0)
            return false;
        off += m.wire_len;
    }
    return false;
}

/*
 * A TCP segment holds a Call-ID header line of one of the calls: every line
 * is looked at, so a message split across segments or several in one are
 * found wherever the header falls (the line itself must not be split).
 */
static bool history_tcp_sip(const struct history_sel *s, const struct pkt_info *p)
{
    struct lines ln;
    lines_init(&ln, p->payload, p->payload_len, true);
    struct sv line;
    enum lines_result r;
    while ((r = lines_next(&ln, &line)) != LINES_END) {
        size_t colon = sv_find(line, ':');
        if (r == LINES_BLANK || colon == line.len)
            continue;
        struct sv name = sv_trim(sv_make(line.p, colon));
        if (sip_hdr_from(name) == SIP_HDR_CALL_ID &&
            history_call_matches(s, sv_make(line.p + colon + 1, line.len - colon - 1)))
            return true;
    }
    return false;
}

static bool history_flow_is(const struct history_flow *fl, const struct pkt_info *p)
{
    return (endpoint_eq(&fl->a, &p->src) && endpoint_eq(&fl->b, &p->dst)) ||
           (endpoint_eq(&fl->a, &p->dst) && endpoint_eq(&fl->b, &p->src));
}

static bool history_flow_marked(const struct history *h, const struct pkt_info *p)
{
    for (uint32_t i = 0; i < h->flow_count; i++)
        if (history_flow_is(&h->flows[i], p))
            return true;
    return false;
}

/* Decode a held frame; true for a whole (unfragmented) UDP or TCP packet within the window. */
static bool history_decode(struct history *h, const struct history_sel *s,
                           const struct history_rec *r, const uint8_t *data, struct pkt_info *p)
{
    if (r->ts_ns < s->lo || r->ts_ns > s->hi)
        return false;
    if (decode_frame(h->dec, r->linktype, data, r->caplen, r->ts_ns, p) != STATUS_OK)
        return false;
    return !p->reassembled && (p->l4 == PKT_L4_UDP || p->l4 == PKT_L4_TCP);
}

/* First pass: the TCP connections that carried one of the Call-IDs. */
static void history_mark_flows(struct history *h, const struct history_sel *s)
{
    h->flow_count = 0;
    if (s->calls == 0)
        return;
    uint64_t pos = h->head;
    struct history_rec r;
    const uint8_t *data;
    while (history_next(h, &pos, &r, &data)) {
        struct pkt_info p;
        if (!history_decode(h, s, &r, data, &p) || p.l4 != PKT_L4_TCP || p.payload_len == 0)
            continue;
        if (h->flow_count < HISTORY_MAX_TCP_FLOWS && !history_flow_marked(h, &p) &&
            history_tcp_sip(s, &p))
            h->flows[h->flow_count++] = (struct history_flow){p.src, p.dst};
    }
}

enum history_kind { HISTORY_NONE = 0, HISTORY_SIP, HISTORY_MEDIA };

static enum history_kind history_classify(struct history *h, const struct history_sel *s,
                                          const struct history_rec *r, const uint8_t *data)
{
    struct pkt_info p;
    if (!history_decode(h, s, r, data, &p))
        return HISTORY_NONE;
    if (p.l4 == PKT_L4_TCP)
        return history_flow_marked(h, &p) ? HISTORY_SIP : HISTORY_NONE;
    if (history_pair_matches(s, &p))
        return HISTORY_MEDIA;
    /* RTP and RTCP start with version 2 (0x80-0xBF): SIP is only looked for in text. */
    if (s->calls && p.payload_len && (p.payload[0] < 0x80) && history_udp_sip(s, &p))
        return HISTORY_SIP;
    return HISTORY_NONE;
}

/* "64 MiB", "4 KiB": the ring's size for messages. */
static void history_size_text(size_t bytes, char *buf, size_t cap)
{
    if (bytes >= HISTORY_MIB)
        snprintf(buf, cap, "%zu MiB", bytes / HISTORY_MIB);
    else
        snprintf(buf, cap, "%zu KiB", bytes / 1024u);
}

__attribute__((format(printf, 3, 4))) static void history_msg(char *msg, size_t len,
                                                              const char *fmt, ...)
{
    if (!msg || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* The window of packet time: [from - 1 s, to + 5 s], open-ended for 0. */
static void history_window(const struct history_match *m, uint64_t *lo, uint64_t *hi)
{
    *lo = m->from_ns > HISTORY_BEFORE_NS ? m->from_ns - HISTORY_BEFORE_NS : 0;
    uint64_t to = m->to_ns > m->from_ns ? m->to_ns : m->from_ns;
    *hi = m->to_ns == 0 || to > UINT64_MAX - HISTORY_AFTER_NS ? UINT64_MAX : to + HISTORY_AFTER_NS;
}

/* Remove what a failed save left behind, but never a device or a FIFO (e.g. /dev/full). */
static void history_remove_partial(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        unlink(path);
}

long history_save(struct history *h, const struct history_match *m, const char *path, char *msg,
                  size_t len)
{
    if (!path || !*path) {
        history_msg(msg, len, "cannot save: no file name given");
        return -1;
    }
    struct history_sel s = {.m = m};
    s.calls =
        m->call_ids ? (m->call_count < HISTORY_MATCH_MAX ? m->call_count : HISTORY_MATCH_MAX) : 0;
    s.pairs = m->pair_src && m->pair_dst
                  ? (m->pair_count < HISTORY_MATCH_MAX ? m->pair_count : HISTORY_MATCH_MAX)
                  : 0;
    history_window(m, &s.lo, &s.hi);
    const char *what = m->call_count > 1 ? "these calls" : "this call";
    char size[32];
    history_size_text(h->cap, size, sizeof size);
    history_mark_flows(h, &s);

    pcap_t *dead = NULL;
    pcap_dumper_t *d = NULL;
    int linktype = 0;
    long sip = 0, media = 0, other_link = 0;
    uint64_t pos = h->head;
    struct history_rec r;
    const uint8_t *data;
    while (history_next(h, &pos, &r, &data)) {
        enum history_kind k = history_classify(h, &s, &r, data);
        if (k == HISTORY_NONE)
            continue;
        if (!d) {
            linktype = r.linktype;
            dead = pcap_open_dead_with_tstamp_precision(linktype, HISTORY_SNAPLEN,
                                                        PCAP_TSTAMP_PRECISION_NANO);
            if (!dead) {
                history_msg(msg, len, "cannot save to '%s': out of memory", path);
                return -1;
            }
            /* pcap_dump_open would take "-" for stdout: the dashboard owns the terminal. */
            FILE *fp = fopen(path, "wb");
            if (!fp) {
                history_msg(msg, len, "cannot write '%s': %s", path, strerror(errno));
                pcap_close(dead);
                return -1;
            }
            d = pcap_dump_fopen(dead, fp);
            if (!d) {
                history_msg(msg, len, "cannot write '%s': %s", path, pcap_geterr(dead));
                fclose(fp);
                history_remove_partial(path);
                pcap_close(dead);
                return -1;
            }
        }
        if (r.linktype != linktype) {
            other_link++;
            continue;
        }
        struct pcap_pkthdr ph = {.caplen = r.caplen, .len = r.wirelen};
        ph.ts.tv_sec = (time_t)(r.ts_ns / 1000000000u);
        ph.ts.tv_usec = (suseconds_t)(r.ts_ns % 1000000000u); /* nanoseconds: a nano dumper */
        pcap_dump((u_char *)d, &ph, data);
        if (k == HISTORY_SIP)
            sip++;
        else
            media++;
    }
    if (!d) {
        history_msg(msg, len, "no packets of %s are still in the history (it holds the last %s)",
                    what, size);
        return 0;
    }
    errno = 0;
    bool failed = pcap_dump_flush(d) != 0 || ferror(pcap_dump_file(d));
    int err = errno ? errno : EIO;
    pcap_dump_close(d); /* closes the file */
    pcap_close(dead);
    if (failed) {
        history_msg(msg, len, "cannot write '%s': %s", path, strerror(err));
        history_remove_partial(path);
        return -1;
    }
    long total = sip + media;
    char extra[160] = "";
    struct history_rec first;
    if (h->evicted && h->head < h->tail && history_next(h, &(uint64_t){h->head}, &first, &data) &&
        first.ts_ns > s.lo)
        snprintf(extra, sizeof extra,
                 "; older packets of %s have left the history (it holds the "
                 "last %s)",
                 what, size);
    if (other_link)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                 "; %ld of another link type left out", other_link);
    history_msg(msg, len, "saved %ld packet%s (%ld SIP, %ld RTP/RTCP) to %s%s", total,
                total == 1 ? "" : "s", sip, media, path, extra);
    return total;
}
