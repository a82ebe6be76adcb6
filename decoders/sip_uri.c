/* sip_uri.c: name-addr, SIP URI parts, AOR and parameters (RFC 3261 §19.1, §20.10, §25.1). */
#include "sip_uri.h"

#include <string.h>

/*
 * Everything here works on views of header values that may still hold folds
 * (CRLF followed by SP/HTAB); those count as LWS (sv_is_lws). Each scan walks
 * its view once from left to right and stops at the view's end, so the cost
 * of every function is linear in the length of its input.
 */

/* Byte classes of the parameter scans: one load and a test per byte, not a compare chain. */
#define URI_LWS 0x01u   /* SP, HTAB, CR, LF (sv_is_lws) */
#define URI_SEMI 0x02u  /* ';' */
#define URI_COMMA 0x04u /* ',' */
#define URI_EQ 0x08u    /* '=' */
#define URI_COLON 0x10u /* ':' */
#define URI_QMARK 0x20u /* '?' */

static const uint8_t uri_class[256] = {
    [' '] = URI_LWS,   ['\t'] = URI_LWS, ['\r'] = URI_LWS,  ['\n'] = URI_LWS,  [';'] = URI_SEMI,
    [','] = URI_COMMA, ['='] = URI_EQ,   [':'] = URI_COLON, ['?'] = URI_QMARK,
};

static unsigned uri_cls(char c)
{
    return uri_class[(unsigned char)c];
}

static size_t uri_skip_lws(struct sv v, size_t i)
{
    while (i < v.len && (uri_cls(v.p[i]) & URI_LWS))
        i++;
    return i;
}

/*
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; quoted-pair = "\" any.
 * v.p[i] is the opening quote. Returns the index of the closing quote, or
 * v.len when the string is not terminated.
 */
static size_t uri_quoted_end(struct sv v, size_t i)
{
    for (i++; i < v.len; i++) {
        if (v.p[i] == '\\')
            i++; /* the escaped byte, whatever it is */
        else if (v.p[i] == '"')
            return i;
    }
    return v.len;
}

/* Fast path: a ',' with no '"' before it (memchr twice); the walk only past a quote. */
size_t sip_value_end(struct sv v, size_t i)
{
    const char *comma = i < v.len ? memchr(v.p + i, ',', v.len - i) : NULL;
    size_t stop = comma ? (size_t)(comma - v.p) : v.len;
    if (stop <= i || !memchr(v.p + i, '"', stop - i))
        return stop;
    for (; i < v.len; i++) {
        if (v.p[i] == '"') {
            i = uri_quoted_end(v, i);
            if (i == v.len)
                break;
        } else if (v.p[i] == ',') {
            return i;
        }
    }
    return v.len;
}

/*
 * name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 * display-name = *(token LWS) / quoted-string
 * addr-spec = SIP-URI / SIPS-URI / absoluteURI
 * (from-spec / to-spec / contact-param add *( SEMI param ) after either form.)
 *
 * The forms are told apart by what comes first outside quotes: '<' means a
 * name-addr, ':' (the URI scheme's) an addr-spec. Per RFC 3261 §20.10 the
 * parameters after an addr-spec without <> are header parameters.
 */
bool sip_nameaddr_parse(struct sv value, struct sip_nameaddr *out)
{
    struct sv v = sv_trim(value);
    size_t lt = v.len;

    out->display = SV_NULL;
    out->uri = SV_NULL;
    out->params = SV_NULL;
    if (v.len == 0)
        return false;

    if (v.p[0] == '"') {
        size_t q = uri_quoted_end(v, 0);
        if (q == v.len)
            return false;
        size_t i = uri_skip_lws(v, q + 1);
        if (i == v.len || v.p[i] != '<')
            return false;
        out->display = sv_make(v.p + 1, q - 1);
        lt = i;
    } else {
        size_t i = 0;
        for (; i < v.len; i++) {
            char c = v.p[i];
            if (c == '"') {
                i = uri_quoted_end(v, i);
                if (i == v.len)
                    return false;
            } else if (c == '<' || c == ':' || c == ';' || c == ',') {
                break;
            }
        }
        if (i == v.len || v.p[i] == ';' || v.p[i] == ',')
            return false; /* no URI at all ("*", a bare token) */
        if (v.p[i] == '<') {
            struct sv d = sv_trim(sv_make(v.p, i));
            if (d.len >= 2 && d.p[0] == '"' && d.p[d.len - 1] == '"')
                d = sv_make(d.p + 1, d.len - 2);
            out->display = d;
            lt = i;
        } else {
            /* addr-spec: the URI ends at the first ';', ',' or LWS. */
            size_t e = 0;
            while (e < v.len && v.p[e] != ';' && v.p[e] != ',' && !sv_is_lws(v.p[e]))
                e++;
            out->uri = sv_make(v.p, e);
            size_t k = uri_skip_lws(v, e);
            if (k < v.len && v.p[k] == ';')
                out->params = sv_trim(sv_make(v.p + k, sip_value_end(v, k) - k));
            return true;
        }
    }

    /* name-addr: the URI is what lies between '<' and the next '>' (a URI holds no '>'). */
    const char *gt = memchr(v.p + lt + 1, '>', v.len - lt - 1);
    if (!gt)
        return false;
    size_t g = (size_t)(gt - v.p);
    struct sv uri = sv_trim(sv_make(v.p + lt + 1, g - lt - 1));
    if (uri.len == 0)
        return false;
    out->uri = uri;
    size_t k = g + 1;
    struct sv params = sv_trim(sv_make(v.p + k, sip_value_end(v, k) - k));
    if (params.len)
        out->params = params;
    return true;
}

static bool uri_is_scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

static size_t uri_find_any(struct sv v, size_t i, unsigned classes)
{
    for (; i < v.len; i++)
        if (uri_cls(v.p[i]) & classes)
            return i;
    return v.len;
}

/*
 * SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]   (RFC 3261 §25.1)
 * userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 * hostport = host [ ":" port ];  host = hostname / IPv4address / IPv6reference
 * telephoneuri = "tel:" telephone-subscriber *( ";" par )       (RFC 3966 §3)
 *
 * A tel URI has no host: its number is returned as `user`, host stays empty
 * and the parse succeeds. Other schemes are read like sip: (user@host...).
 */
bool sip_uri_parse(struct sv uri, struct sip_uri *out)
{
    struct sv u = sv_trim(uri);

    memset(out, 0, sizeof *out);
    size_t colon = sv_find(u, ':');
    if (colon == 0 || colon == u.len)
        return false;
    if (!((u.p[0] >= 'a' && u.p[0] <= 'z') || (u.p[0] >= 'A' && u.p[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < colon; i++)
        if (!uri_is_scheme_char(u.p[i]))
            return false;
    struct sv scheme = sv_make(u.p, colon);
    struct sv rest = sv_sub(u, colon + 1, u.len);

    if (sv_case_eq_cstr(scheme, "tel")) {
        size_t e = uri_find_any(rest, 0, URI_SEMI | URI_QMARK);
        if (e == 0)
            return false;
        out->scheme = scheme;
        out->user = sv_make(rest.p, e);
        if (e < rest.len && rest.p[e] == ';')
            out->params = sv_make(rest.p + e, uri_find_any(rest, e, URI_QMARK) - e);
        return true;
    }

    struct sv hp = rest;
    size_t at = sv_find(rest, '@');
    if (at < rest.len) {
        struct sv userinfo = sv_make(rest.p, at);
        out->user = sv_make(userinfo.p, sv_find(userinfo, ':'));
        hp = sv_sub(rest, at + 1, rest.len);
    }

    size_t k;
    if (hp.len && hp.p[0] == '[') {
        size_t close = sv_find(hp, ']');
        if (close == hp.len || close == 1)
            return false;
        out->host = sv_make(hp.p + 1, close - 1);
        k = close + 1;
    } else {
        k = uri_find_any(hp, 0, URI_COLON | URI_SEMI | URI_QMARK);
        out->host = sv_make(hp.p, k);
    }
    if (out->host.len == 0)
        return false;

    if (k < hp.len && hp.p[k] == ':') {
        size_t e = uri_find_any(hp, k + 1, URI_SEMI | URI_QMARK);
        uint32_t port;
        if (e - (k + 1) > 5 || !sv_to_u32(sv_make(hp.p + k + 1, e - k - 1), &port) || port > 65535)
            return false;
        out->port = (uint16_t)port;
        k = e;
    }
    if (k < hp.len && hp.p[k] == ';') {
        out->params = sv_make(hp.p + k, uri_find_any(hp, k, URI_QMARK) - k);
    } else if (k < hp.len && hp.p[k] != '?') {
        return false; /* junk after an IPv6 reference */
    }
    out->scheme = scheme;
    return true;
}

/* Bounded writer into a caller's char array. */
struct uri_out {
    char *dst;
    size_t cap;
    size_t len;
    bool cut;
};

static void uri_put(struct uri_out *w, const char *p, size_t n, bool lower)
{
    for (size_t i = 0; i < n; i++) {
        if (w->len + 1 >= w->cap) {
            w->cut = true;
            return;
        }
        w->dst[w->len++] = lower ? sv_lower(p[i]) : p[i];
    }
}

bool sip_uri_aor(struct sv uri, char *dst, size_t cap)
{
    struct sip_uri u;
    if (cap == 0)
        return false;
    if (!sip_uri_parse(uri, &u)) {
        sv_copy(dst, cap, sv_trim(uri));
        return false;
    }
    return sip_uri_aor_parsed(&u, dst, cap);
}

bool sip_uri_aor_parsed(const struct sip_uri *u, char *dst, size_t cap)
{
    struct uri_out w = {dst, cap, 0, false};
    uri_put(&w, u->scheme.p, u->scheme.len, true);
    uri_put(&w, ":", 1, false);
    if (u->user.len)
        uri_put(&w, u->user.p, u->user.len, false);
    if (u->host.len) {
        bool v6 = sv_find(u->host, ':') < u->host.len;
        if (u->user.len)
            uri_put(&w, "@", 1, false);
        if (v6)
            uri_put(&w, "[", 1, false);
        uri_put(&w, u->host.p, u->host.len, false);
        if (v6)
            uri_put(&w, "]", 1, false);
    }
    dst[w.len] = '\0';
    return !w.cut;
}

/*
 * params = *( SEMI param ); param = pname [ EQUAL pvalue ]; SEMI and EQUAL
 * allow LWS on both sides (RFC 3261 §25.1). A quoted value comes back without
 * its quotes. The list ends at the view's end or at a ',' outside quotes (the
 * next value of a comma-separated header). Each pass of the loop consumes at
 * least one byte.
 */
bool sip_param(struct sv params, const char *name, struct sv *value)
{
    /* strlen on the caller's parameter name (a constant), never on packet data. */
    struct sv want = sv_make(name, name ? strlen(name) : 0);
    size_t i = 0;
    struct sv v = params;

    if (value)
        *value = SV_NULL;
    while (i < v.len) {
        while (i < v.len && (uri_cls(v.p[i]) & (URI_LWS | URI_SEMI)))
            i++;
        if (i == v.len || v.p[i] == ',')
            return false;
        size_t ns = i;
        while (i < v.len && !(uri_cls(v.p[i]) & (URI_EQ | URI_SEMI | URI_COMMA | URI_LWS)))
            i++;
        struct sv pname = sv_make(v.p + ns, i - ns);
        struct sv pval = sv_make(v.p + i, 0);
        i = uri_skip_lws(v, i);
        if (i < v.len && v.p[i] == '=') {
            i = uri_skip_lws(v, i + 1);
            if (i < v.len && v.p[i] == '"') {
                size_t q = uri_quoted_end(v, i);
                pval = sv_make(v.p + i + 1, (q == v.len ? v.len : q) - i - 1);
                i = q == v.len ? v.len : q + 1;
            } else {
                size_t vs = i;
                while (i < v.len && !(uri_cls(v.p[i]) & (URI_SEMI | URI_COMMA | URI_LWS)))
                    i++;
                pval = sv_make(v.p + vs, i - vs);
            }
        }
        if (pname.len && sv_case_eq(pname, want)) {
            if (value)
                *value = pval;
            return true;
        }
        /* Skip anything up to the next separator (junk after a value). */
        while (i < v.len && v.p[i] != ';' && v.p[i] != ',') {
            if (v.p[i] == '"') {
                i = uri_quoted_end(v, i);
                if (i == v.len)
                    break;
            }
            i++;
        }
    }
    return false;
}
