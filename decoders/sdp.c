/* sdp.c: SDP parser: o=, s=, c=, m=, a=rtpmap/fmtp/ptime/rtcp/rtcp-mux/direction (RFC 8866, RFC
 * 3264, RFC 3605). */
#include "sdp.h"

#include <stddef.h>
#include <string.h>

#include "codec.h"
#include "lines.h"

/*
 * One pass over the body, one line at a time, no allocation. The body is
 * packet data: it may hold NUL bytes anywhere and may end without a newline,
 * so lines come from lines_next (lines.h) and every field is a view with a
 * length.
 *
 *   session-description = v= o= s= [i=] [u=] [e=] [p=] [c=] [b=] t=... [k=] a=*
 *                         *(m= [i=] [c=] [b=] [k=] a=*)           RFC 8866 §9
 *
 * Lines before the first m= are session level; each m= opens a media section
 * that lasts until the next m=. Defaults that depend on the session level
 * (c=, direction) are resolved once at the end, when all of it is known.
 */

/* Parser state for one body; lives on sdp_parse()'s stack. */
struct sdp_parser {
    struct sdp_session *out;
    struct sdp_media *cur;         /* media section being filled; NULL when dropped */
    bool in_media;                 /* an m= line has been seen: a= and c= are media level */
    bool understood;               /* a v=0 or a good m= line was seen */
    bool conn_seen[SDP_MAX_MEDIA]; /* media section had its own c= line */
    bool dir_set[SDP_MAX_MEDIA];   /* media section had a direction attribute */
};

static bool sdp_is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Next token of *rest separated by SP/HTAB runs; advances *rest past it. */
static struct sv sdp_token(struct sv *rest)
{
    const char *p = rest->p, *end = p + rest->len;
    while (p < end && sdp_is_space(*p))
        p++;
    const char *start = p;
    while (p < end && !sdp_is_space(*p))
        p++;
    rest->p = p;
    rest->len = (size_t)(end - p);
    return sv_make(start, (size_t)(p - start));
}

/* rest with its leading SP/HTAB removed. */
static struct sv sdp_skip_space(struct sv rest)
{
    size_t i = 0;
    while (i < rest.len && sdp_is_space(rest.p[i]))
        i++;
    return sv_sub(rest, i, rest.len - i);
}

static bool sdp_all_digits(struct sv v)
{
    if (v.len == 0)
        return false;
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
    return true;
}

/* Decimal uint64 filling the whole view (o= sess-id and sess-version); rejects overflow. */
static bool sdp_to_u64(struct sv v, uint64_t *out)
{
    if (!sdp_all_digits(v) || v.len > 20)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        uint64_t d = (uint64_t)(v.p[i] - '0');
        if (n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

static bool sdp_to_port(struct sv v, uint16_t *out)
{
    uint32_t n;
    if (!sdp_all_digits(v) || !sv_to_u32(v, &n) || n > 65535)
        return false;
    *out = (uint16_t)n;
    return true;
}

/* A payload type: decimal 0..127 (RFC 3550 §5.1, 7 bits). */
static bool sdp_to_pt(struct sv v, uint8_t *out)
{
    uint32_t n;
    if (!sdp_all_digits(v) || !sv_to_u32(v, &n) || n > 127)
        return false;
    *out = (uint8_t)n;
    return true;
}

/*
 * <nettype> <addrtype> <connection-address>                 RFC 8866 §5.7
 * "IN IP4 224.2.1.1/127/3": the multicast /ttl and /count suffixes are
 * dropped. An FQDN, an unknown address type, or an address whose family does
 * not match IP4/IP6 is refused.
 */
static bool sdp_parse_conn(struct sv nettype, struct sv addrtype, struct sv address,
                           struct addr *out)
{
    uint8_t family;
    if (!sv_case_eq_cstr(nettype, "IN"))
        return false;
    if (sv_case_eq_cstr(addrtype, "IP4"))
        family = 4;
    else if (sv_case_eq_cstr(addrtype, "IP6"))
        family = 6;
    else
        return false;
    address = sv_sub(address, 0, sv_find(address, '/'));
    struct addr a;
    if (!addr_parse(address, &a) || a.family != family)
        return false;
    *out = a;
    return true;
}

static size_t sdp_cur_index(const struct sdp_parser *p)
{
    return (size_t)(p->cur - p->out->media);
}

/* ---- line types ---------------------------------------------------- */

/* v=0 */
static void sdp_line_version(struct sdp_parser *p, struct sv value)
{
    if (sv_eq(sv_trim(value), SV_LIT("0")))
        p->understood = true;
    else
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static void sdp_line_origin(struct sdp_parser *p, struct sv value)
{
    struct sdp_session *s = p->out;
    struct sv rest = value;
    struct sv user = sdp_token(&rest);
    struct sv id = sdp_token(&rest);
    struct sv version = sdp_token(&rest);
    struct sv nettype = sdp_token(&rest);
    struct sv addrtype = sdp_token(&rest);
    struct sv address = sdp_token(&rest);
    s->origin_user = user;
    if (!sdp_to_u64(id, &s->sess_id) || !sdp_to_u64(version, &s->sess_version) ||
        address.len == 0) {
        s->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    /* An FQDN is a valid origin address; it just has no struct addr form. */
    if (!sdp_parse_conn(nettype, addrtype, address, &s->origin_addr))
        memset(&s->origin_addr, 0, sizeof s->origin_addr);
}

/* s=<session name>: kept as written, NULs and all. */
static void sdp_line_name(struct sdp_parser *p, struct sv value)
{
    p->out->session_name = value;
}

/* c=<nettype> <addrtype> <connection-address>, session or media level. */
static void sdp_line_conn(struct sdp_parser *p, struct sv value)
{
    struct addr a;
    struct sv rest = value;
    struct sv nettype = sdp_token(&rest);
    struct sv addrtype = sdp_token(&rest);
    struct sv address = sdp_token(&rest);
    bool ok = sdp_parse_conn(nettype, addrtype, address, &a);
    if (!ok)
        p->out->anomalies |= SDP_ANOM_BAD_CONN;
    if (!p->in_media) {
        if (ok)
            p->out->conn = a;
    } else if (p->cur) {
        /* A media-level c= overrides the session one even when we cannot read it. */
        p->conn_seen[sdp_cur_index(p)] = true;
        if (ok)
            p->cur->conn = a;
    }
}

/*
 * m=<media> <port>[/<number of ports>] <proto> <fmt> ...      RFC 8866 §5.14
 * Every m= line gets a slot, even one we cannot read (kept as port 0, i.e.
 * rejected), so that media indexes stay aligned between offer and answer
 * (RFC 3264 §6). Non-numeric fmts ("t38", "webrtc-datachannel") are skipped;
 * numeric ones above 127 are not payload types and are counted as bad.
 */
static void sdp_line_media(struct sdp_parser *p, struct sv value)
{
    struct sdp_session *s = p->out;
    p->in_media = true;
    if (s->media_count >= SDP_MAX_MEDIA) {
        p->cur = NULL;
        s->anomalies |= SDP_ANOM_TOO_MANY;
        if (s->media_dropped < UINT8_MAX)
            s->media_dropped++;
        return;
    }
    struct sdp_media *m = &s->media[s->media_count++];
    memset(m, 0, sizeof *m);
    p->cur = m;

    struct sv rest = value;
    struct sv media = sdp_token(&rest);
    struct sv ports = sdp_token(&rest);
    struct sv proto = sdp_token(&rest);
    size_t slash = sv_find(ports, '/');
    uint16_t port = 0, count = 1;
    bool ok = media.len && proto.len && sdp_to_port(sv_sub(ports, 0, slash), &port);
    if (ok && slash < ports.len) {
        ok = sdp_to_port(sv_sub(ports, slash + 1, ports.len), &count) && count > 0;
    }
    m->media = media;
    m->proto = proto;
    if (!ok) {
        m->port = 0;
        m->port_count = 1;
        s->anomalies |= SDP_ANOM_BAD_MEDIA;
        return;
    }
    m->port = port;
    m->port_count = count;
    p->understood = true;

    for (struct sv fmt = sdp_token(&rest); fmt.len; fmt = sdp_token(&rest)) {
        uint8_t pt;
        if (!sdp_all_digits(fmt))
            continue;
        if (!sdp_to_pt(fmt, &pt)) {
            s->anomalies |= SDP_ANOM_BAD_MEDIA;
            continue;
        }
        if (m->fmt_count >= SDP_MAX_FMT) {
            s->anomalies |= SDP_ANOM_TOO_MANY;
            continue;
        }
        m->fmt[m->fmt_count++] = pt;
    }
}

/* ---- attributes ---------------------------------------------------- */

/* The rtpmap entry of pt in m, made when missing; NULL when the table is full. */
static struct sdp_rtpmap *sdp_rtpmap_slot(struct sdp_parser *p, uint8_t pt)
{
    struct sdp_media *m = p->cur;
    for (size_t i = 0; i < m->rtpmap_count; i++)
        if (m->rtpmap[i].pt == pt)
            return &m->rtpmap[i];
    if (m->rtpmap_count >= SDP_MAX_RTPMAP) {
        p->out->anomalies |= SDP_ANOM_TOO_MANY;
        return NULL;
    }
    struct sdp_rtpmap *r = &m->rtpmap[m->rtpmap_count++];
    r->pt = pt;
    return r;
}

/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]  RFC 8866 §6.6 */
static void sdp_attr_rtpmap(struct sdp_parser *p, struct sv value, int arg)
{
    (void)arg;
    uint8_t pt;
    struct sv rest = value;
    struct sv pt_tok = sdp_token(&rest);
    struct sv enc = sdp_token(&rest);
    size_t slash = sv_find(enc, '/');
    struct sv name = sv_sub(enc, 0, slash);
    if (!p->cur)
        return;
    if (!sdp_to_pt(pt_tok, &pt) || name.len == 0) {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    struct sv params = sv_sub(enc, slash + 1, enc.len);
    size_t slash2 = sv_find(params, '/');
    uint32_t rate = 0, channels = 0;
    /* A missing or bad clock rate leaves 0; sdp_media_codec() then uses the codec table. */
    if (slash < enc.len && !sv_to_u32(sv_sub(params, 0, slash2), &rate))
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
    if (slash2 < params.len &&
        (!sv_to_u32(sv_sub(params, slash2 + 1, params.len), &channels) || channels > 255)) {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        channels = 0;
    }
    struct sdp_rtpmap *r = sdp_rtpmap_slot(p, pt);
    if (!r)
        return;
    r->name = name;
    r->clock_rate = rate;
    r->channels = (uint8_t)channels;
}

/* a=fmtp:<format> <format specific parameters>                  RFC 8866 §6.15 */
static void sdp_attr_fmtp(struct sdp_parser *p, struct sv value, int arg)
{
    (void)arg;
    uint8_t pt;
    struct sv rest = value;
    struct sv pt_tok = sdp_token(&rest);
    if (!p->cur)
        return;
    if (!sdp_to_pt(pt_tok, &pt)) {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    struct sdp_rtpmap *r = sdp_rtpmap_slot(p, pt);
    if (r)
        r->fmtp = sv_trim(sdp_skip_space(rest));
}

/* a=ptime:<packet time>  (milliseconds; "20.0" is read as 20)     RFC 8866 §6.4 */
static void sdp_attr_ptime(struct sdp_parser *p, struct sv value, int arg)
{
    (void)arg;
    uint32_t ms;
    struct sv v = sv_trim(value);
    size_t dot = sv_find(v, '.');
    if (!p->cur)
        return;
    if (!sdp_all_digits(sv_sub(v, 0, dot)) || !sv_to_u32(sv_sub(v, 0, dot), &ms)) {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    p->cur->ptime_ms = ms;
}

/* a=rtcp:<port> [<nettype> <addrtype> <connection-address>]        RFC 3605 §2.1 */
static void sdp_attr_rtcp(struct sdp_parser *p, struct sv value, int arg)
{
    (void)arg;
    uint16_t port;
    struct sv rest = value;
    struct sv port_tok = sdp_token(&rest);
    if (!p->cur)
        return;
    if (!sdp_to_port(port_tok, &port)) {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    p->cur->rtcp_port = port;
    p->cur->rtcp_explicit = true;
    struct sv nettype = sdp_token(&rest);
    if (nettype.len == 0)
        return;
    struct sv addrtype = sdp_token(&rest);
    struct sv address = sdp_token(&rest);
    if (!sdp_parse_conn(nettype, addrtype, address, &p->cur->rtcp_addr))
        p->out->anomalies |= SDP_ANOM_BAD_CONN;
}

/* a=rtcp-mux                                                     RFC 5761 §5.1.1 */
static void sdp_attr_rtcp_mux(struct sdp_parser *p, struct sv value, int arg)
{
    (void)value;
    (void)arg;
    if (p->cur)
        p->cur->rtcp_mux = true;
}

/* a=sendrecv / sendonly / recvonly / inactive, session or media level.  RFC 8866 §6.7 */
static void sdp_attr_dir(struct sdp_parser *p, struct sv value, int arg)
{
    (void)value;
    if (!p->in_media) {
        p->out->dir = (enum sdp_dir)arg;
    } else if (p->cur) {
        p->cur->dir = (enum sdp_dir)arg;
        p->dir_set[sdp_cur_index(p)] = true;
    }
}

/* A struct sv initializer for a static table (SV_LIT is a compound literal, not a constant). */
/* clang-format off */
#define SDP_ATTR_NAME(s) { (s), sizeof(s) - 1 }
/* clang-format on */

/* Attribute names we read; every other a= line is skipped. Names compare case-insensitively. */
static const struct sdp_attr_kind {
    struct sv name;
    void (*parse)(struct sdp_parser *p, struct sv value, int arg);
    int arg;
} sdp_attr_kinds[] = {
    {SDP_ATTR_NAME("rtpmap"), sdp_attr_rtpmap, 0},
    {SDP_ATTR_NAME("fmtp"), sdp_attr_fmtp, 0},
    {SDP_ATTR_NAME("ptime"), sdp_attr_ptime, 0},
    {SDP_ATTR_NAME("rtcp"), sdp_attr_rtcp, 0},
    {SDP_ATTR_NAME("rtcp-mux"), sdp_attr_rtcp_mux, 0},
    {SDP_ATTR_NAME("sendrecv"), sdp_attr_dir, SDP_DIR_SENDRECV},
    {SDP_ATTR_NAME("sendonly"), sdp_attr_dir, SDP_DIR_SENDONLY},
    {SDP_ATTR_NAME("recvonly"), sdp_attr_dir, SDP_DIR_RECVONLY},
    {SDP_ATTR_NAME("inactive"), sdp_attr_dir, SDP_DIR_INACTIVE},
};

/* a=<attribute>:<value> or a=<attribute>                             RFC 8866 §5.13 */
static void sdp_line_attr(struct sdp_parser *p, struct sv value)
{
    /* Lines inside an m= section we dropped are dropped with it. */
    if (p->in_media && !p->cur)
        return;
    size_t colon = sv_find(value, ':');
    struct sv name = sv_trim(sv_sub(value, 0, colon));
    struct sv arg = sv_sub(value, colon + 1, value.len);
    for (size_t i = 0; i < sizeof sdp_attr_kinds / sizeof sdp_attr_kinds[0]; i++) {
        if (sv_case_eq(name, sdp_attr_kinds[i].name)) {
            sdp_attr_kinds[i].parse(p, arg, sdp_attr_kinds[i].arg);
            return;
        }
    }
}

/* Line types we read, indexed by the type letter; other letters (t=, b=, k=...) are skipped. */
static void (*const sdp_line_kinds[128])(struct sdp_parser *p, struct sv value) = {
    ['v'] = sdp_line_version, ['o'] = sdp_line_origin, ['s'] = sdp_line_name,
    ['c'] = sdp_line_conn,    ['m'] = sdp_line_media,  ['a'] = sdp_line_attr,
};

/* <type>=<value>, type one lower-case letter (RFC 8866 §5). */
static void sdp_line(struct sdp_parser *p, struct sv line)
{
    if (line.len < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z') {
        p->out->anomalies |= SDP_ANOM_BAD_LINE;
        return;
    }
    void (*parse)(struct sdp_parser *, struct sv) = sdp_line_kinds[(unsigned char)line.p[0]];
    if (parse)
        parse(p, sv_sub(line, 2, line.len - 2));
}

static bool sdp_proto_is_rtp(struct sv proto)
{
    /* RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVPF... */
    for (size_t i = 0; i + 3 <= proto.len; i++)
        if (sv_case_eq_cstr(sv_sub(proto, i, 3), "RTP"))
            return true;
    return false;
}

/*
 * Session-level defaults, once the whole body is known: a media section
 * without its own c= uses the session one (RFC 8866 §5.7), without its own
 * direction the session one (RFC 8866 §6.7). RTCP goes to port+1 on the media
 * address unless a=rtcp says otherwise (RFC 3550 §11, RFC 3605); only RTP
 * profiles have RTCP, so udptl/TCP/... media and port 0 or 65535 get 0.
 * Hold is c=0.0.0.0 (RFC 2543 style, RFC 3264 §8.4) or sendonly/inactive.
 */
static void sdp_finish(struct sdp_parser *p)
{
    struct sdp_session *s = p->out;
    for (size_t i = 0; i < s->media_count; i++) {
        struct sdp_media *m = &s->media[i];
        if (!p->conn_seen[i]) {
            if (s->conn.family)
                m->conn = s->conn;
            else
                s->anomalies |= SDP_ANOM_NO_CONN;
        }
        if (!p->dir_set[i])
            m->dir = s->dir;
        if (!m->rtcp_explicit)
            m->rtcp_port = (m->port && m->port < 65535 && sdp_proto_is_rtp(m->proto))
                               ? (uint16_t)(m->port + 1)
                               : 0;
        if (m->rtcp_addr.family == 0)
            m->rtcp_addr = m->conn;
        m->hold = addr_is_unspecified(&m->conn) || m->dir == SDP_DIR_SENDONLY ||
                  m->dir == SDP_DIR_INACTIVE;
    }
}

/*
 * Only the session fields and media[0..media_count) are written: a media slot
 * is zeroed when its m= line opens it. Clearing all SDP_MAX_MEDIA slots (27 KB)
 * up front cost four times the parse of a typical one-m= offer.
 */
enum status sdp_parse(const uint8_t *buf, size_t len, struct sdp_session *out)
{
    struct sdp_parser p;
    memset(out, 0, offsetof(struct sdp_session, media));
    out->media_count = 0;
    out->media_dropped = 0;
    out->anomalies = 0;
    memset(&p, 0, sizeof p);
    p.out = out;

    struct lines ln;
    lines_init(&ln, buf, len, true);
    struct sv line;
    enum lines_result r;
    for (size_t lines = 0; (r = lines_next(&ln, &line)) != LINES_END; lines++) {
        if (lines == SDP_MAX_LINES) {
            out->anomalies |= SDP_ANOM_TOO_MANY;
            break;
        }
        if (r != LINES_BLANK)
            sdp_line(&p, line);
    }
    sdp_finish(&p);
    return p.understood ? STATUS_OK : STATUS_MALFORMED;
}

struct sv sdp_media_codec(const struct sdp_media *m, uint8_t pt, uint32_t *clock_rate)
{
    uint32_t rate = 0;
    struct sv name = SV_LIT("");
    for (size_t i = 0; i < m->rtpmap_count && i < SDP_MAX_RTPMAP; i++) {
        const struct sdp_rtpmap *r = &m->rtpmap[i];
        if (r->pt == pt && r->name.len) {
            name = r->name;
            rate = r->clock_rate;
            if (rate == 0) {
                const struct codec_info *c = codec_by_name(name);
                rate = c ? c->clock_rate : 0;
            }
            break;
        }
    }
    if (name.len == 0) {
        const struct codec_info *c = codec_by_pt(pt);
        if (c) {
            name = sv_make(c->rtpmap, strlen(c->rtpmap));
            rate = c->clock_rate;
        }
    }
    if (clock_rate)
        *clock_rate = rate;
    return name;
}

int sdp_media_first_codec(const struct sdp_media *m)
{
    for (size_t i = 0; i < m->fmt_count && i < SDP_MAX_FMT; i++) {
        struct sv name = sdp_media_codec(m, m->fmt[i], NULL);
        if (!codec_is_aux(name))
            return m->fmt[i];
    }
    return -1;
}

const char *sdp_dir_name(enum sdp_dir d)
{
    static const char *const names[] = {
        [SDP_DIR_SENDRECV] = "sendrecv",
        [SDP_DIR_SENDONLY] = "sendonly",
        [SDP_DIR_RECVONLY] = "recvonly",
        [SDP_DIR_INACTIVE] = "inactive",
    };
    if ((unsigned)d >= sizeof names / sizeof names[0])
        return "unknown";
    return names[d];
}
