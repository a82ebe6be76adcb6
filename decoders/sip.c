/* sip.c: SIP message parser: start line, headers, framing, body (RFC 3261 §7, §18.3, §20). */
#include "sip.h"

#include <string.h>

#include "lines.h"
#include "sip_uri.h"

/*
 * One pass over the message: the start line, then each header line found by
 * lines_next_header (lines.c), its name looked up in one table and its value
 * kept as a view; the derived fields (Call-ID, CSeq, top Via, tags, body and
 * SDP) are read once at the end from the first occurrence of their header.
 * Nothing is copied or allocated and the input is never written.
 *
 * Bounds: a message (start line, headers and body) is at most SIP_MAX_MESSAGE
 * bytes and at most SIP_MAX_HEADER_LINES header lines; a multipart body is
 * followed for at most SIP_MAX_MULTIPART parts. Every scan stops at the end of
 * its range, so a hostile message costs O(SIP_MAX_MESSAGE).
 */

/* Methods by enum value (RFC 3261 §7.1, RFC 3262, 3265/6665, 3311, 3428, 3515, 3903, 6086). */
static const struct sip_method_row {
    const char *name;
    uint8_t len;
} sip_methods[SIP_METHOD__COUNT] = {
    [SIP_METHOD_UNKNOWN] = {"UNKNOWN", 7},
    [SIP_METHOD_INVITE] = {"INVITE", 6},
    [SIP_METHOD_ACK] = {"ACK", 3},
    [SIP_METHOD_BYE] = {"BYE", 3},
    [SIP_METHOD_CANCEL] = {"CANCEL", 6},
    [SIP_METHOD_REGISTER] = {"REGISTER", 8},
    [SIP_METHOD_OPTIONS] = {"OPTIONS", 7},
    [SIP_METHOD_PRACK] = {"PRACK", 5},
    [SIP_METHOD_SUBSCRIBE] = {"SUBSCRIBE", 9},
    [SIP_METHOD_NOTIFY] = {"NOTIFY", 6},
    [SIP_METHOD_PUBLISH] = {"PUBLISH", 7},
    [SIP_METHOD_INFO] = {"INFO", 4},
    [SIP_METHOD_REFER] = {"REFER", 5},
    [SIP_METHOD_MESSAGE] = {"MESSAGE", 7},
    [SIP_METHOD_UPDATE] = {"UPDATE", 6},
};

/*
 * Header names (RFC 3261 §20 and the extensions named in sip.h), with their
 * compact forms (RFC 3261 §7.3.3, RFC 3515 "r", RFC 6665 "o"). The rows are
 * grouped by length and sip_hdr_by_len[] gives each group's first row, so a
 * lookup compares against the 1..6 names of the right length only, and the
 * first byte rejects most of those. Keep the two tables in step when adding a
 * header: test_sip.c checks that every name, full and compact, is found.
 */
#define SIP_HDR_KEY 24 /* a name's bytes compared as three words, zero-padded */
static const struct sip_hdr_row {
    char name[SIP_HDR_KEY]; /* lower case, zero-padded */
    uint8_t len;
    char compact; /* 0 when none */
    enum sip_hdr id;
} sip_hdr_names[] = {
/* clang-format off */
#define SIP_HDR_ROW(s, c, id) { s, sizeof(s) - 1, c, id }
    /* clang-format on */
    SIP_HDR_ROW("to", 't', SIP_HDR_TO),
    SIP_HDR_ROW("via", 'v', SIP_HDR_VIA),
    SIP_HDR_ROW("cseq", 0, SIP_HDR_CSEQ),
    SIP_HDR_ROW("from", 'f', SIP_HDR_FROM),
    SIP_HDR_ROW("rack", 0, SIP_HDR_RACK),
    SIP_HDR_ROW("rseq", 0, SIP_HDR_RSEQ),
    SIP_HDR_ROW("allow", 0, SIP_HDR_ALLOW),
    SIP_HDR_ROW("event", 'o', SIP_HDR_EVENT),
    SIP_HDR_ROW("route", 0, SIP_HDR_ROUTE),
    SIP_HDR_ROW("reason", 0, SIP_HDR_REASON),
    SIP_HDR_ROW("server", 0, SIP_HDR_SERVER),
    SIP_HDR_ROW("call-id", 'i', SIP_HDR_CALL_ID),
    SIP_HDR_ROW("contact", 'm', SIP_HDR_CONTACT),
    SIP_HDR_ROW("expires", 0, SIP_HDR_EXPIRES),
    SIP_HDR_ROW("require", 0, SIP_HDR_REQUIRE),
    SIP_HDR_ROW("subject", 's', SIP_HDR_SUBJECT),
    SIP_HDR_ROW("warning", 0, SIP_HDR_WARNING),
    SIP_HDR_ROW("refer-to", 'r', SIP_HDR_REFER_TO),
    SIP_HDR_ROW("supported", 'k', SIP_HDR_SUPPORTED),
    SIP_HDR_ROW("user-agent", 0, SIP_HDR_USER_AGENT),
    SIP_HDR_ROW("content-type", 'c', SIP_HDR_CONTENT_TYPE),
    SIP_HDR_ROW("max-forwards", 0, SIP_HDR_MAX_FORWARDS),
    SIP_HDR_ROW("record-route", 0, SIP_HDR_RECORD_ROUTE),
    SIP_HDR_ROW("authorization", 0, SIP_HDR_AUTHORIZATION),
    SIP_HDR_ROW("content-length", 'l', SIP_HDR_CONTENT_LENGTH),
    SIP_HDR_ROW("www-authenticate", 0, SIP_HDR_WWW_AUTHENTICATE),
    SIP_HDR_ROW("proxy-authenticate", 0, SIP_HDR_PROXY_AUTHENTICATE),
    SIP_HDR_ROW("subscription-state", 0, SIP_HDR_SUBSCRIPTION_STATE),
    SIP_HDR_ROW("p-asserted-identity", 0, SIP_HDR_P_ASSERTED_IDENTITY),
    SIP_HDR_ROW("proxy-authorization", 0, SIP_HDR_PROXY_AUTHORIZATION),
#undef SIP_HDR_ROW
};
#define SIP_HDR_ROWS (sizeof sip_hdr_names / sizeof sip_hdr_names[0])
#define SIP_HDR_NAME_MAX 19 /* "p-asserted-identity", "proxy-authorization" */
_Static_assert(SIP_HDR_NAME_MAX < SIP_HDR_KEY, "every tracked name fits its key");

/* First row of sip_hdr_names[] with each name length; [len + 1] ends the group. */
static const uint8_t sip_hdr_by_len[SIP_HDR_NAME_MAX + 2] = {
    0,  0,  0,     /* lengths 0, 1 (compact forms are matched separately), 2: "to" */
    1,  2,  6,  9, /* 3: via; 4: cseq..rseq; 5: allow..route; 6: reason, server */
    11, 17, 18,    /* 7: call-id..warning; 8: refer-to; 9: supported */
    19, 20, 20,    /* 10: user-agent; 11: none; 12: content-type..record-route */
    23, 24, 25,    /* 13: authorization; 14: content-length; 15: none */
    25, 26, 26,    /* 16: www-authenticate; 17: none; 18: proxy-authenticate, subscription-state */
    28, 30,        /* 19: p-asserted-identity, proxy-authorization; end */
};

/* Headers that may appear once only (RFC 3261 §7.3.1, §20); a repeat sets SIP_ANOM_DUP_HEADER. */
static const bool sip_hdr_single[SIP_HDR__COUNT] = {
    [SIP_HDR_FROM] = true,           [SIP_HDR_TO] = true,
    [SIP_HDR_CALL_ID] = true,        [SIP_HDR_CSEQ] = true,
    [SIP_HDR_CONTENT_LENGTH] = true, [SIP_HDR_CONTENT_TYPE] = true,
    [SIP_HDR_MAX_FORWARDS] = true,   [SIP_HDR_EXPIRES] = true,
    [SIP_HDR_RSEQ] = true,           [SIP_HDR_RACK] = true,
};

enum sip_method sip_method_from(struct sv token)
{
    for (int m = SIP_METHOD_INVITE; m < SIP_METHOD__COUNT; m++)
        if (token.len == sip_methods[m].len && memcmp(token.p, sip_methods[m].name, token.len) == 0)
            return (enum sip_method)m;
    return SIP_METHOD_UNKNOWN;
}

const char *sip_method_name(enum sip_method m)
{
    if ((unsigned)m >= SIP_METHOD__COUNT)
        m = SIP_METHOD_UNKNOWN;
    return sip_methods[m].name;
}

/*
 * A header name folded to lower case into a zero-padded key (bytes that are
 * not token characters become 0, and no row name holds one), looked up in its
 * length group with whole-word compares. len is the name's full length.
 */
static enum sip_hdr sip_hdr_lookup(const char key[SIP_HDR_KEY], size_t len)
{
    if (len == 1) {
        for (size_t i = 0; i < SIP_HDR_ROWS; i++)
            if (key[0] && sip_hdr_names[i].compact == key[0])
                return sip_hdr_names[i].id;
        return SIP_HDR_OTHER;
    }
    if (len < 2 || len > SIP_HDR_NAME_MAX)
        return SIP_HDR_OTHER;
    for (size_t r = sip_hdr_by_len[len]; r < sip_hdr_by_len[len + 1]; r++)
        if (memcmp(key, sip_hdr_names[r].name, SIP_HDR_KEY) == 0)
            return sip_hdr_names[r].id;
    return SIP_HDR_OTHER;
}

enum sip_hdr sip_hdr_from(struct sv name)
{
    char key[SIP_HDR_KEY] = {0};
    if (name.len > SIP_HDR_NAME_MAX)
        return SIP_HDR_OTHER;
    for (size_t i = 0; i < name.len; i++)
        key[i] = lines_token_lower(name.p[i]);
    return sip_hdr_lookup(key, name.len);
}

static bool sip_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool sip_all_crlf(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

bool sip_is_keepalive(const uint8_t *buf, size_t len)
{
    return buf && len > 0 && sip_all_crlf((const char *)buf, len);
}

static bool sip_starts_case(struct sv v, const char *lit, size_t n)
{
    return v.len >= n && sv_case_eq(sv_make(v.p, n), sv_make(lit, n));
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §7.1; compared case-insensitively). */
static bool sip_version_ok(struct sv v, bool *is20)
{
    size_t i = 4, a, b;
    if (!sip_starts_case(v, "SIP/", 4))
        return false;
    for (a = i; i < v.len && sip_is_digit(v.p[i]); i++)
        ;
    if (i == a || i >= v.len || v.p[i] != '.')
        return false;
    size_t major_end = i;
    for (b = ++i; i < v.len && sip_is_digit(v.p[i]); i++)
        ;
    if (i == b || i != v.len)
        return false;
    *is20 = major_end - a == 1 && v.p[a] == '2' && v.len - b == 1 && v.p[b] == '0';
    return true;
}

/* scheme ":" with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1). */
static bool sip_has_scheme(struct sv uri)
{
    size_t i = 0;
    if (!uri.len || !((uri.p[0] | 0x20) >= 'a' && (uri.p[0] | 0x20) <= 'z'))
        return false;
    for (i = 1; i < uri.len && uri.p[i] != ':'; i++) {
        char c = uri.p[i];
        if (!(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || sip_is_digit(c) || c == '+' || c == '-' ||
              c == '.'))
            return false;
    }
    return i < uri.len;
}

static bool sip_has_sip_scheme(struct sv uri)
{
    return sip_starts_case(uri, "sip:", 4) || sip_starts_case(uri, "sips:", 5) ||
           sip_starts_case(uri, "tel:", 4);
}

/*
 * Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 * Request-Line = Method SP Request-URI SP SIP-Version CRLF        (RFC 3261 §7.1, §7.2)
 *
 * NOT_SIP when the line cannot be a SIP start line at all (no token method,
 * or nothing in it that is SIP: unknown method, no sip/sips/tel URI and no
 * SIP-Version, as for "HELLO WORLD" or "GET / HTTP/1.1"); MALFORMED when it
 * is recognisably SIP but broken (status code not 3 digits in 100..699, no
 * SIP-Version, a Request-URI without a scheme).
 */
static enum status sip_parse_start(struct sv sl, struct sip_msg *out)
{
    bool is20 = false;

    if (sip_starts_case(sl, "SIP/", 4)) {
        size_t sp = sv_find(sl, ' ');
        out->is_request = false;
        if (!sip_version_ok(sv_make(sl.p, sp), &is20))
            return STATUS_MALFORMED;
        size_t i = sp;
        while (i < sl.len && sl.p[i] == ' ')
            i++;
        if (sl.len - i < 3 || !sip_is_digit(sl.p[i]) || !sip_is_digit(sl.p[i + 1]) ||
            !sip_is_digit(sl.p[i + 2]))
            return STATUS_MALFORMED;
        if (i + 3 < sl.len && sl.p[i + 3] != ' ' && sl.p[i + 3] != '\t')
            return STATUS_MALFORMED;
        unsigned code = (unsigned)(sl.p[i] - '0') * 100 + (unsigned)(sl.p[i + 1] - '0') * 10 +
                        (unsigned)(sl.p[i + 2] - '0');
        if (code < 100 || code > 699)
            return STATUS_MALFORMED;
        out->status = (uint16_t)code;
        out->reason = sv_trim(sv_sub(sl, i + 3, sl.len));
        if (!is20)
            out->anomalies |= SIP_ANOM_BAD_VERSION;
        return STATUS_OK;
    }

    size_t i = 0;
    while (i < sl.len && i <= SIP_MAX_METHOD_TOKEN && lines_is_token_char(sl.p[i]))
        i++;
    if (i == 0 || i > SIP_MAX_METHOD_TOKEN || i == sl.len || sl.p[i] != ' ')
        return STATUS_NOT_SIP;
    struct sv method = sv_make(sl.p, i);
    while (i < sl.len && sl.p[i] == ' ')
        i++;
    size_t us = i;
    while (i < sl.len && sl.p[i] != ' ')
        i++;
    struct sv uri = sv_make(sl.p + us, i - us);
    struct sv ver = sv_trim(sv_sub(sl, i, sl.len));
    enum sip_method m = sip_method_from(method);

    if (m == SIP_METHOD_UNKNOWN && !sip_has_sip_scheme(uri) && !sip_starts_case(ver, "SIP/", 4))
        return STATUS_NOT_SIP;
    out->is_request = true;
    out->method = m;
    out->method_name = method;
    out->request_uri = uri;
    if (!sip_has_scheme(uri) || !sip_version_ok(ver, &is20))
        return STATUS_MALFORMED;
    if (!is20)
        out->anomalies |= SIP_ANOM_BAD_VERSION;
    return STATUS_OK;
}

/*
 * Could these bytes (a start line still arriving on a stream, no LF yet)
 * become a SIP start line? "SIP/..." or a token method, then SP.
 */
static bool sip_start_prefix_ok(const char *p, size_t n)
{
    size_t k = n < 4 ? n : 4;
    if (sv_case_eq(sv_make(p, k), sv_make("SIP/", k)))
        return true;
    size_t i = 0;
    while (i < n && lines_is_token_char(p[i]))
        if (++i > SIP_MAX_METHOD_TOKEN)
            return false;
    return i == n || (i > 0 && p[i] == ' ');
}

bool sip_looks_like(const uint8_t *buf, size_t len)
{
    const char *p = (const char *)buf;
    size_t off = 0;
    if (!buf)
        return false;
    while (off < len && (p[off] == '\r' || p[off] == '\n'))
        off++;
    struct sv rest = sv_make(p + off, len - off);
    struct sv line = sv_make(rest.p, sv_find(rest, '\n'));
    while (line.len && (line.p[line.len - 1] == '\r' || line.p[line.len - 1] == ' '))
        line.len--;

    /* "SIP/2.0 NNN" then SP or the end of the line. */
    if (sip_starts_case(line, "SIP/2.0 ", 8)) {
        return line.len >= 11 && sip_is_digit(line.p[8]) && sip_is_digit(line.p[9]) &&
               sip_is_digit(line.p[10]) && (line.len == 11 || line.p[11] == ' ');
    }
    /* token SP (sip: / sips: / tel:)... SP "SIP/2.0" at the end of the line. */
    size_t i = 0;
    while (i < line.len && i <= SIP_MAX_METHOD_TOKEN && lines_is_token_char(line.p[i]))
        i++;
    if (i == 0 || i > SIP_MAX_METHOD_TOKEN || i == line.len || line.p[i] != ' ')
        return false;
    if (!sip_has_sip_scheme(sv_sub(line, i + 1, line.len)))
        return false;
    return line.len >= i + 1 + 4 + 8 &&
           sv_case_eq(sv_make(line.p + line.len - 8, 8), SV_LIT(" SIP/2.0"));
}

/* One header line: look its name up, keep the first value, count every occurrence. */
static void sip_take_header(struct sip_msg *out, struct sv line)
{
    char key[SIP_HDR_KEY];
    struct sv name, value;
    if (!lines_split_header_key(line, &name, &value, key, sizeof key))
        return; /* not "name: value": counted in header_lines, reachable via sip_header_next */
    enum sip_hdr h = sip_hdr_lookup(key, name.len);
    if (h == SIP_HDR_OTHER)
        return;
    if (out->hdr_count[h] == 0)
        out->hdr[h] = value;
    else if (sip_hdr_single[h])
        out->anomalies |= SIP_ANOM_DUP_HEADER;
    if (out->hdr_count[h] < UINT16_MAX)
        out->hdr_count[h]++;
}

static size_t sip_skip_lws(struct sv v, size_t i)
{
    while (i < v.len && sv_is_lws(v.p[i]))
        i++;
    return i;
}

static size_t sip_skip_token(struct sv v, size_t i)
{
    while (i < v.len && lines_is_token_char(v.p[i]))
        i++;
    return i;
}

/* CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the LWS may be a fold. */
static void sip_derive_cseq(struct sip_msg *out)
{
    struct sv v = out->hdr[SIP_HDR_CSEQ];
    uint32_t n;
    size_t i = 0;
    while (i < v.len && sip_is_digit(v.p[i]))
        i++;
    size_t j = sip_skip_lws(v, i);
    size_t e = sip_skip_token(v, j);
    if (i == 0 || j == i || e == j || e != v.len || !sv_to_u32(sv_make(v.p, i), &n)) {
        out->anomalies |= SIP_ANOM_BAD_CSEQ;
        return;
    }
    out->cseq = n;
    out->cseq_method_name = sv_make(v.p + j, e - j);
    out->cseq_method = sip_method_from(out->cseq_method_name);
}

/*
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params )        (RFC 3261 §20.42)
 * sent-protocol = protocol-name SLASH protocol-version SLASH transport
 * Only the first value of the first Via line counts: a Via line may carry
 * several comma-separated via-parms, the topmost first.
 */
static void sip_derive_via(struct sip_msg *out)
{
    struct sv all = out->hdr[SIP_HDR_VIA];
    struct sv v = sv_make(all.p, sip_value_end(all, 0));
    size_t semi = sv_find(v, ';');
    struct sv head = sv_make(v.p, semi);

    if (semi < v.len)
        sip_param(sv_sub(v, semi, v.len), "branch", &out->via_branch);

    size_t i = sip_skip_lws(head, 0);
    for (int part = 0; part < 2; part++) {
        size_t e = sip_skip_token(head, i);
        if (e == i)
            return;
        i = sip_skip_lws(head, e);
        if (i == head.len || head.p[i] != '/')
            return;
        i = sip_skip_lws(head, i + 1);
    }
    size_t ts = i;
    i = sip_skip_token(head, i);
    if (i == ts)
        return;
    out->via_transport = sv_make(head.p + ts, i - ts);
    i = sip_skip_lws(head, i);
    size_t hs = i;
    if (i < head.len && head.p[i] == '[') {
        size_t close = sv_find(sv_sub(head, i, head.len), ']');
        i = close == head.len - i ? head.len : i + close + 1;
    }
    while (i < head.len && !sv_is_lws(head.p[i]))
        i++;
    out->via_sent_by = sv_make(head.p + hs, i - hs);
}

static void sip_derive_tag(struct sv value, struct sv *tag)
{
    struct sip_nameaddr na;
    if (sip_nameaddr_parse(value, &na))
        sip_param(na.params, "tag", tag);
}

/*
 * Fast paths for the Via and tag derivations above, for the values nearly
 * every message carries ("SIP/2.0/UDP host:port;branch=...", "<sip:...>;tag=...").
 * Each gives exactly what the general code gives, or says it cannot tell
 * (a quote, whitespace or a bracket where the general code has rules for
 * them) and the general code runs. Built with SIP_CHECK_FAST (the fuzz
 * targets, and make test's sanitizer build over every capture), each
 * message runs both and a difference aborts. Together they took half of a
 * parse: 255 to 185 ns a message of the SIP-heavy bench, warm.
 */

/* True when none of v's bytes is a control character, SP, '"' or ',' (eight at a time). */
static bool sip_simple_bytes(struct sv v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    uint64_t x, bad = 0;
    for (; i + 8 <= v.len; i += 8) {
        memcpy(&x, v.p + i, sizeof x);
        uint64_t q = x ^ (ones * '"'), c = x ^ (ones * ',');
        /* has-less (a byte below 0x21), has-zero of x ^ '"' and of x ^ ',' */
        bad |= ((x - ones * 0x21) & ~x) | ((q - ones) & ~q) | ((c - ones) & ~c);
    }
    for (; i < v.len; i++)
        if ((unsigned char)v.p[i] <= ' ' || v.p[i] == '"' || v.p[i] == ',')
            return false;
    return !(bad & highs);
}

/*
 * sip_param on a parameter list of simple bytes (sip_simple_bytes: no
 * whitespace, quotes or commas): then every ';' starts a parameter, and the
 * names can be found by hopping from one ';' to the next with sv_find (glibc's
 * memchr takes one masked compare for these short strings, a byte loop was
 * slower). name is len lower-case letters.
 */
static bool sip_param_simple(struct sv v, const char *name, size_t len, struct sv *value)
{
    size_t i = 0;
    *value = SV_NULL;
    while (i < v.len) {
        while (i < v.len && v.p[i] == ';')
            i++;
        /* the name is the bytes up to '=', ';' or the end: is it `name`? (letters: | 0x20) */
        size_t k = 0;
        if (v.len - i >= len)
            while (k < len && (v.p[i + k] | 0x20) == name[k])
                k++;
        size_t e = i + k;
        if (k == len && (e == v.len || v.p[e] == '=' || v.p[e] == ';')) {
            if (e < v.len && v.p[e] == '=')
                *value = sv_make(v.p + e + 1, sv_find(sv_sub(v, e + 1, v.len), ';'));
            else
                *value = sv_make(v.p + e, 0);
            return true;
        }
        i += sv_find(sv_sub(v, i, v.len), ';');
    }
    return false;
}

/* The top Via: "SIP/2.0/" transport SP sent-by [";" params], simple bytes after the SP. */
static bool sip_derive_via_fast(struct sip_msg *out)
{
    struct sv v = out->hdr[SIP_HDR_VIA];
    if (v.len < 10 || !sip_starts_case(v, "SIP/2.0/", 8))
        return false;
    size_t i = 8;
    while (i < v.len && lines_is_token_char(v.p[i]))
        i++;
    if (i == 8 || i + 1 >= v.len || v.p[i] != ' ' || v.p[i + 1] == '[')
        return false;
    struct sv rest = sv_make(v.p + i + 1, v.len - i - 1);
    if (!sip_simple_bytes(rest))
        return false; /* also several values: a comma */
    size_t sb = sv_find(rest, ';');
    if (sb == 0)
        return false;
    struct sv branch = SV_NULL;
    if (sb < rest.len)
        sip_param_simple(sv_make(rest.p + sb, rest.len - sb), "branch", 6, &branch);
    out->via_branch = branch;
    out->via_transport = sv_make(v.p + 8, i - 8);
    out->via_sent_by = sv_make(rest.p, sb);
    return true;
}

/*
 * A From or To value [display-name] "<" uri ">" [";" params]: no backslash in
 * a quoted display name, no quote, colon, semicolon or comma in a bare one,
 * no whitespace at the ends of the URI, simple bytes after the '>'.
 */
static bool sip_derive_tag_fast(struct sv v, struct sv *tag)
{
    size_t lt;
    if (v.len && v.p[0] == '<') {
        lt = 0;
    } else if (v.len && v.p[0] == '"') {
        const char *q = memchr(v.p + 1, '"', v.len - 1);
        if (!q || memchr(v.p + 1, '\\', (size_t)(q - v.p) - 1))
            return false;
        lt = (size_t)(q - v.p) + 1;
        while (lt < v.len && sv_is_lws(v.p[lt]))
            lt++;
        if (lt == v.len || v.p[lt] != '<')
            return false;
    } else {
        const char *l = v.len ? memchr(v.p, '<', v.len) : NULL;
        if (!l)
            return false;
        lt = (size_t)(l - v.p);
        for (size_t k = 0; k < lt; k++)
            if (v.p[k] == '"' || v.p[k] == ':' || v.p[k] == ';' || v.p[k] == ',')
                return false;
    }
    /* the URI runs to the next '>' (quotes in it mean nothing); it must not be blank */
    const char *gt = lt + 1 < v.len ? memchr(v.p + lt + 1, '>', v.len - lt - 1) : NULL;
    if (!gt || gt == v.p + lt + 1 || sv_is_lws(v.p[lt + 1]) || sv_is_lws(gt[-1]))
        return false;
    struct sv params = sv_make(gt + 1, (size_t)(v.p + v.len - gt - 1));
    if (!sip_simple_bytes(params))
        return false;
    struct sv t;
    *tag = sip_param_simple(params, "tag", 3, &t) ? t : SV_NULL;
    return true;
}

/*
 * Find a boundary delimiter line ("--" boundary at the start of a line, RFC
 * 2046 §5.1.1) at or after `from`, which must itself be a line start. Returns
 * its offset or body.len. Hops from line to line with memchr.
 */
static size_t sip_find_delim(struct sv body, size_t from, struct sv boundary)
{
    size_t i = from;
    while (i < body.len) {
        if (body.len - i >= boundary.len + 2 && body.p[i] == '-' && body.p[i + 1] == '-' &&
            memcmp(body.p + i + 2, boundary.p, boundary.len) == 0) {
            size_t k = i + 2 + boundary.len;
            if (k == body.len || body.p[k] == '\r' || body.p[k] == '\n' || body.p[k] == '-' ||
                body.p[k] == ' ' || body.p[k] == '\t')
                return i;
        }
        const char *nl = memchr(body.p + i, '\n', body.len - i);
        if (!nl)
            break;
        i = (size_t)(nl - body.p) + 1;
    }
    return body.len;
}

/*
 * multipart-body (RFC 2046 §5.1.1): [preamble CRLF] dash-boundary CRLF
 * body-part *(CRLF dash-boundary CRLF body-part) CRLF dash-boundary "--".
 * Each body part is MIME headers, a blank line, content. The first part whose
 * Content-Type is application/sdp becomes msg->sdp. At most SIP_MAX_MULTIPART
 * parts are looked at; nested multiparts are not followed. Returns false when
 * the delimiters cannot be followed.
 */
static bool sip_multipart_sdp(struct sv body, struct sv boundary, struct sv *sdp)
{
    if (boundary.len == 0 || boundary.len > SIP_MAX_BOUNDARY)
        return false;
    size_t pos = sip_find_delim(body, 0, boundary);
    for (int parts = 0; parts < SIP_MAX_MULTIPART; parts++) {
        if (pos == body.len)
            return false;
        size_t k = pos + 2 + boundary.len;
        if (body.len - k >= 2 && body.p[k] == '-' && body.p[k + 1] == '-')
            return true; /* close delimiter */
        const char *nl = memchr(body.p + k, '\n', body.len - k);
        if (!nl)
            return false;
        size_t start = (size_t)(nl - body.p) + 1;
        size_t next = sip_find_delim(body, start, boundary);
        if (next == body.len)
            return false;
        size_t end = next;
        if (end > start && body.p[end - 1] == '\n')
            end--;
        if (end > start && body.p[end - 1] == '\r')
            end--;

        struct lines ln;
        struct sv line, type = SV_NULL;
        enum lines_result r;
        lines_init(&ln, body.p + start, end - start, true);
        while ((r = lines_next_header(&ln, &line)) == LINES_LINE || r == LINES_PARTIAL) {
            struct sv name, value;
            if (lines_split_header(line, &name, &value) &&
                sip_hdr_from(name) == SIP_HDR_CONTENT_TYPE)
                type = sv_trim(sv_make(value.p, sv_find(value, ';')));
        }
        if (r == LINES_BLANK && sdp->len == 0 && sv_case_eq(type, SV_LIT("application/sdp")))
            *sdp = sv_make(ln.p, lines_left(&ln));
        pos = next;
    }
    return false;
}

static void sip_derive_body(struct sip_msg *out)
{
    struct sv ct = out->hdr[SIP_HDR_CONTENT_TYPE];
    size_t semi = sv_find(ct, ';');
    out->content_type = sv_trim(sv_make(ct.p, semi));
    if (out->body.len == 0 || out->content_type.len == 0)
        return;
    if (sv_case_eq(out->content_type, SV_LIT("application/sdp"))) {
        out->sdp = out->body;
    } else if (sip_starts_case(out->content_type, "multipart/", 10)) {
        struct sv boundary = SV_NULL;
        if (semi == ct.len || !sip_param(sv_sub(ct, semi, ct.len), "boundary", &boundary) ||
            !sip_multipart_sdp(out->body, boundary, &out->sdp))
            out->anomalies |= SIP_ANOM_MULTIPART_BAD;
    }
}

#ifdef SIP_CHECK_FAST
#include <stdio.h>
#include <stdlib.h>

static bool sip_same_view(struct sv a, struct sv b)
{
    return a.p == b.p && a.len == b.len;
}

/* The general derivations again into a copy: the fast paths must have given the same views. */
static void sip_check_fast(const struct sip_msg *out)
{
    struct sip_msg ref = *out;
    ref.via_branch = ref.via_sent_by = ref.via_transport = ref.from_tag = ref.to_tag = SV_NULL;
    if (ref.hdr_count[SIP_HDR_VIA])
        sip_derive_via(&ref);
    if (ref.hdr_count[SIP_HDR_FROM])
        sip_derive_tag(ref.hdr[SIP_HDR_FROM], &ref.from_tag);
    if (ref.hdr_count[SIP_HDR_TO])
        sip_derive_tag(ref.hdr[SIP_HDR_TO], &ref.to_tag);
    if (!sip_same_view(ref.via_branch, out->via_branch) ||
        !sip_same_view(ref.via_sent_by, out->via_sent_by) ||
        !sip_same_view(ref.via_transport, out->via_transport) ||
        !sip_same_view(ref.from_tag, out->from_tag) || !sip_same_view(ref.to_tag, out->to_tag)) {
        fprintf(stderr, "sip: the fast Via/tag derivation differs from the general one\n");
        abort();
    }
}
#endif

static void sip_derive(struct sip_msg *out)
{
    if (out->hdr_count[SIP_HDR_CALL_ID])
        out->call_id = out->hdr[SIP_HDR_CALL_ID];
    if (out->call_id.len == 0)
        out->anomalies |= SIP_ANOM_NO_CALL_ID;
    if (out->hdr_count[SIP_HDR_CSEQ])
        sip_derive_cseq(out);
    else
        out->anomalies |= SIP_ANOM_NO_CSEQ;
    if (out->hdr_count[SIP_HDR_VIA] && !sip_derive_via_fast(out))
        sip_derive_via(out);
    if (out->hdr_count[SIP_HDR_FROM] &&
        !sip_derive_tag_fast(out->hdr[SIP_HDR_FROM], &out->from_tag))
        sip_derive_tag(out->hdr[SIP_HDR_FROM], &out->from_tag);
    if (out->hdr_count[SIP_HDR_TO] && !sip_derive_tag_fast(out->hdr[SIP_HDR_TO], &out->to_tag))
        sip_derive_tag(out->hdr[SIP_HDR_TO], &out->to_tag);
#ifdef SIP_CHECK_FAST
    sip_check_fast(out);
#endif
    if (!out->hdr_count[SIP_HDR_FROM] || !out->hdr_count[SIP_HDR_TO])
        out->anomalies |= SIP_ANOM_NO_FROM_TO;
    sip_derive_body(out);
}

/*
 * Framing (RFC 3261 §18.3). Datagram: the header section ends at the blank
 * line or at the end of the datagram; without a usable Content-Length the
 * body runs to the end; a Content-Length larger than what is left is
 * MALFORMED; a smaller one ends the message early (what follows may be
 * another message). Stream: the blank line and Content-Length bytes of body
 * must both be present (else NEED_MORE); a missing Content-Length means 0, a
 * bad one is MALFORMED since the stream cannot be framed any more.
 */
enum status sip_parse(const uint8_t *buf, size_t len, bool stream, struct sip_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!buf)
        len = 0;
    const char *base = (const char *)buf;
    size_t off = 0;

    /* RFC 3261 §7.5 / RFC 5626 §3.5.1: CRLFs before a start line are ignored. */
    while (off < len && (base[off] == '\r' || base[off] == '\n'))
        off++;
    if (off == len) {
        out->wire_len = len;
        return len == 0 && stream ? STATUS_NEED_MORE : STATUS_NOT_SIP;
    }
    if (off)
        out->anomalies |= SIP_ANOM_LEADING_JUNK;

    const char *msg = base + off;
    size_t avail = len - off;
    size_t limit = avail < SIP_MAX_MESSAGE ? avail : SIP_MAX_MESSAGE;
    struct lines ln;
    struct sv sl;
    lines_init(&ln, msg, limit, !stream && avail <= SIP_MAX_MESSAGE);

    enum lines_result r = lines_next(&ln, &sl);
    if (r == LINES_PARTIAL && !ln.complete) {
        if (!sip_start_prefix_ok(msg, limit)) {
            out->anomalies |= SIP_ANOM_LEADING_JUNK;
            out->wire_len = len;
            return STATUS_NOT_SIP;
        }
        if (limit < SIP_MAX_MESSAGE)
            return STATUS_NEED_MORE;
        out->wire_len = len;
        return STATUS_MALFORMED;
    }
    enum status start = sip_parse_start(sl, out);
    if (start == STATUS_NOT_SIP) {
        memset(out, 0, sizeof *out);
        out->anomalies = SIP_ANOM_LEADING_JUNK;
        out->wire_len = stream ? off + (size_t)(ln.p - msg) : len;
        return STATUS_NOT_SIP;
    }
    if (start != STATUS_OK && stream) {
        /* Resynchronise on the next line: the rest of a broken message reads as not-SIP lines. */
        out->wire_len = off + (size_t)(ln.p - msg);
        return STATUS_MALFORMED;
    }

    const char *hdr_start = ln.p;
    const char *hdr_end = ln.end;
    bool ended = false, incomplete = false;
    unsigned lines = 0;
    for (;;) {
        const char *before = ln.p;
        struct sv line;
        r = lines_next_header(&ln, &line);
        if (r == LINES_END)
            break;
        if (r == LINES_BLANK) {
            hdr_end = before;
            ended = true;
            break;
        }
        if (r == LINES_PARTIAL && !ln.complete) {
            incomplete = true;
            break;
        }
        if (++lines > SIP_MAX_HEADER_LINES) {
            out->header_lines = SIP_MAX_HEADER_LINES;
            out->wire_len = stream ? off + (size_t)(ln.p - msg) : len;
            return STATUS_MALFORMED;
        }
        sip_take_header(out, line);
    }
    out->header_lines = (uint16_t)lines;
    if (!ended && (incomplete || !ln.complete)) {
        /* No blank line within reach: more may come (stream), or the cap is exceeded. */
        if (stream && limit < SIP_MAX_MESSAGE) {
            out->wire_len = 0;
            return STATUS_NEED_MORE;
        }
        out->wire_len = stream ? off + limit : len;
        return STATUS_MALFORMED;
    }
    out->headers = sv_make(hdr_start, (size_t)(hdr_end - hdr_start));

    size_t body_off = (size_t)(ln.p - msg);
    size_t body_avail = avail - body_off;
    if (memchr(msg, '\0', body_off))
        out->anomalies |= SIP_ANOM_NUL;
    if (ln.flags & LINES_BARE_LF)
        out->anomalies |= SIP_ANOM_BARE_LF;
    if (ln.flags & LINES_FOLDED)
        out->anomalies |= SIP_ANOM_FOLDED;

    uint32_t cl = 0;
    if (out->hdr_count[SIP_HDR_CONTENT_LENGTH]) {
        if (sv_to_u32(out->hdr[SIP_HDR_CONTENT_LENGTH], &cl)) {
            out->has_content_length = true;
            out->content_length = cl;
        } else {
            out->anomalies |= SIP_ANOM_CL_BAD;
        }
    } else {
        out->anomalies |= SIP_ANOM_CL_MISSING;
    }

    enum status st = start;
    size_t body_len;
    /* A Content-Length that is not a number ("-1", "bad") is a broken message in a datagram
     * too (RFC 3261 §18.3 frames by it; the edge ground truth counts it as malformed), and a
     * stream cannot be framed past it at all. */
    if ((out->anomalies & SIP_ANOM_CL_BAD) && !stream) {
        out->wire_len = len;
        return STATUS_MALFORMED;
    }
    if (stream) {
        if (out->anomalies & SIP_ANOM_CL_BAD) {
            out->wire_len = off + body_off;
            return STATUS_MALFORMED;
        }
        if (cl > SIP_MAX_MESSAGE - body_off) {
            out->wire_len = off + body_off;
            return STATUS_MALFORMED;
        }
        if (body_avail < cl) {
            out->wire_len = 0;
            return STATUS_NEED_MORE;
        }
        body_len = cl;
        out->wire_len = off + body_off + body_len;
    } else if (out->has_content_length) {
        if (cl > body_avail) {
            out->anomalies |= SIP_ANOM_CL_MISMATCH;
            st = STATUS_MALFORMED;
            body_len = body_avail;
        } else {
            body_len = cl;
            if (cl < body_avail && !sip_all_crlf(msg + body_off + cl, body_avail - cl))
                out->anomalies |= SIP_ANOM_CL_MISMATCH;
        }
        out->wire_len = st == STATUS_OK ? off + body_off + body_len : len;
    } else {
        body_len = body_avail;
        out->wire_len = len;
    }
    if (body_off + body_len > SIP_MAX_MESSAGE) {
        out->wire_len = stream ? off + body_off : len;
        return STATUS_MALFORMED;
    }
    out->body = sv_make(msg + body_off, body_len);
    out->raw = sv_make(msg, body_off + body_len);
    sip_derive(out);
    if (st != STATUS_OK)
        out->wire_len = len;
    return st;
}

bool sip_header_next(const struct sip_msg *msg, size_t *pos, struct sv *name, struct sv *value)
{
    struct sv h = msg->headers;
    /* Each pass consumes at least one byte, so this ends within h.len passes. */
    while (*pos < h.len) {
        struct lines ln;
        struct sv line;
        lines_init(&ln, h.p + *pos, h.len - *pos, true);
        enum lines_result r = lines_next_header(&ln, &line);
        *pos = (size_t)(ln.p - h.p);
        if (r == LINES_END)
            break;
        if (r == LINES_BLANK)
            continue;
        if (!lines_split_header(line, name, value)) {
            /* Not "name: value" (junk or NULs): an empty name and the whole line as value. */
            *name = sv_make(line.p, 0);
            *value = sv_trim(line);
        }
        return true;
    }
    return false;
}
