/* fuzzout.c: every output sink behind one correlate callback, with oracles on what they print (RFC
 * 8259, RFC 3629). */
#include "fuzzout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../exporters/output.h"

struct fuzzout_sink {
    struct sink s;
    bool json;
    bool raw_ok; /* text lines are not checked for printable ASCII (FUZZOUT_TEXT_RAW) */
    char *buf;
    size_t len;
    FILE *fp;
};

/*
 * The checkers read every byte the sinks print, in loops that
 * sanitizer-coverage would trace on every byte (a callback per comparison):
 * they are built without coverage (ASan still checks each read). Their
 * branches say nothing about the code under test, whose own coverage is
 * unchanged; they were the largest cost of the run that the harness adds.
 */
#define FUZZOUT_NO_COVERAGE __attribute__((no_sanitize("coverage")))

static struct fuzzout_sink fuzzout_sinks[FUZZOUT_MAX_SINKS];
static size_t fuzzout_count;
static uint64_t fuzzout_cdrs;
static uint64_t fuzzout_calls_run; /* calls handed over in this run */
static uint64_t fuzzout_cdrs_run;  /* CDR lines the CDR sink emitted in this run */

/* ---- JSON (RFC 8259) in UTF-8 (RFC 3629, Unicode Table 3-7) ---- */

struct fuzzout_json {
    const unsigned char *p;
    const unsigned char *end;
};

FUZZOUT_NO_COVERAGE static void fuzzout_ws(struct fuzzout_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* One well-formed UTF-8 sequence starting at j->p (a lead byte >= 0x80). */
FUZZOUT_NO_COVERAGE static bool fuzzout_utf8(struct fuzzout_json *j)
{
    unsigned char b = *j->p;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 2;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 3;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else {
        return false;
    }
    if ((size_t)(j->end - j->p) < n + 1)
        return false;
    for (size_t i = 1; i <= n; i++) {
        unsigned char c = j->p[i];
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xBF))
            return false;
    }
    j->p += n + 1;
    return true;
}

FUZZOUT_NO_COVERAGE static int fuzzout_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

FUZZOUT_NO_COVERAGE static bool fuzzout_string(struct fuzzout_json *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    j->p++;
    while (j->p < j->end) {
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false; /* a raw control character */
        if (c == '\\') {
            if (j->end - j->p < 2)
                return false;
            unsigned char e = j->p[1];
            if (e == 'u') {
                if (j->end - j->p < 6)
                    return false;
                for (int i = 2; i < 6; i++)
                    if (fuzzout_hex(j->p[i]) < 0)
                        return false;
                j->p += 6;
            } else if (strchr("\"\\/bfnrt", e) && e) {
                j->p += 2;
            } else {
                return false;
            }
            continue;
        }
        if (c >= 0x80) {
            if (!fuzzout_utf8(j))
                return false;
            continue;
        }
        j->p++;
    }
    return false;
}

/* number = [ minus ] int [ frac ] [ exp ] */
FUZZOUT_NO_COVERAGE static bool fuzzout_number(struct fuzzout_json *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end)
        return false;
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    } else {
        return false;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return true;
}

FUZZOUT_NO_COVERAGE static bool fuzzout_word(struct fuzzout_json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

FUZZOUT_NO_COVERAGE static bool fuzzout_value(struct fuzzout_json *j, int depth)
{
    fuzzout_ws(j);
    if (j->p >= j->end || depth > FUZZOUT_JSON_DEPTH)
        return false;
    unsigned char c = *j->p;
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        j->p++;
        fuzzout_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                fuzzout_ws(j);
                if (!fuzzout_string(j))
                    return false;
                fuzzout_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return false;
                j->p++;
            }
            if (!fuzzout_value(j, depth + 1))
                return false;
            fuzzout_ws(j);
            if (j->p >= j->end)
                return false;
            if (*j->p == close) {
                j->p++;
                return true;
            }
            if (*j->p != ',')
                return false;
            j->p++;
        }
    }
    if (c == '"')
        return fuzzout_string(j);
    if (c == 't')
        return fuzzout_word(j, "true");
    if (c == 'f')
        return fuzzout_word(j, "false");
    if (c == 'n')
        return fuzzout_word(j, "null");
    return fuzzout_number(j);
}

FUZZOUT_NO_COVERAGE bool fuzzout_json_ok(const char *p, size_t len)
{
    struct fuzzout_json j = {(const unsigned char *)p, (const unsigned char *)p + len};
    fuzzout_ws(&j);
    if (j.p >= j.end || *j.p != '{')
        return false;
    if (!fuzzout_value(&j, 0))
        return false;
    fuzzout_ws(&j);
    return j.p == j.end;
}

FUZZOUT_NO_COVERAGE bool fuzzout_text_ok(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c != '\n' && (c < 0x20 || c > 0x7e))
            return false;
    }
    return true;
}

/* ---- the sinks ---- */

static void fuzzout_cdr(void *ctx, uint64_t seq, const char *key, size_t key_len, const char *line,
                        size_t len)
{
    (void)ctx;
    static const char head[] = "{\"schema_version\":";
    fuzzout_cdrs_run++;
    if (seq != ++fuzzout_cdrs || strlen(line) != len) /* numbered from 1, across inputs */
        abort();
    if (key_len != strlen(key))
        abort();
    if (len < sizeof head - 1 || memcmp(line, head, sizeof head - 1) != 0)
        abort();
    if (!fuzzout_json_ok(line, len))
        abort();
}

static const struct output_emit fuzzout_emit = {fuzzout_cdr, NULL, NULL};

static void fuzzout_add(enum output_kind kind, bool json, bool emit, unsigned width)
{
    struct fuzzout_sink *k = &fuzzout_sinks[fuzzout_count];
    memset(k, 0, sizeof *k);
    k->fp = open_memstream(&k->buf, &k->len);
    if (!k->fp)
        abort();
    struct output_options o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.json = json;
    o.out = k->fp;
    o.width = width;
    o.emit = emit ? &fuzzout_emit : NULL;
    faults_thresholds_default(&o.thresholds);
    if (!output_create(&o, &k->s))
        abort();
    k->json = json;
    k->raw_ok =
        (kind == OUTPUT_DIAGNOSE || kind == OUTPUT_STREAMS) && !json && getenv("FUZZOUT_TEXT_RAW");
    fuzzout_count++;
}

/*
 * The sinks live as long as the process: a sink is some 80 KB, which ASan
 * maps and unmaps afresh on every allocation, and making nine per input
 * cost more than the run itself. Each input rewinds their streams and reads
 * back what it wrote; what a sink keeps between inputs is its CDR sequence
 * number (checked to go up by one), and whether it printed its table header.
 */
void fuzzout_begin(void)
{
    if (fuzzout_count == 0) {
        fuzzout_add(OUTPUT_CDR, true, true, 80);
        fuzzout_add(OUTPUT_CALLS, false, false, 80);
        fuzzout_add(OUTPUT_LADDER, false, false, FUZZOUT_NARROW);
        fuzzout_add(OUTPUT_LADDER, false, false, FUZZOUT_WIDE);
        fuzzout_add(OUTPUT_DIAGNOSE, false, false, 80);
        fuzzout_add(OUTPUT_STREAMS, false, false, 80);
        fuzzout_add(OUTPUT_STREAMS, true, false, 80);
        fuzzout_add(OUTPUT_REGISTRATIONS, false, false, 80);
        fuzzout_add(OUTPUT_REGISTRATIONS, true, false, 80);
    }
    for (size_t i = 0; i < fuzzout_count; i++)
        if (fseek(fuzzout_sinks[i].fp, 0, SEEK_SET) != 0)
            abort();
    fuzzout_calls_run = 0;
    fuzzout_cdrs_run = 0;
}

static char fuzzout_text_sink[4096]; /* where kept SIP texts are copied to (read, then dropped) */

void fuzzout_call(void *ctx, const struct call *c, const struct correlate *co)
{
    (void)ctx;
    /* the copies of packet text are NUL-terminated within their caps */
    if (strnlen(c->call_id, CALL_ID_MAX) == CALL_ID_MAX ||
        strnlen(c->from, CALL_AOR_MAX) == CALL_AOR_MAX ||
        strnlen(c->to, CALL_AOR_MAX) == CALL_AOR_MAX || !call_state_name(c->state))
        abort();
    fuzzout_calls_run++;
    /* the dashboard's message view: every kept text must lie inside the arena */
    for (const struct call_msg *m = correlate_first_msg(co, c); m; m = correlate_next_msg(co, m)) {
        struct sv t = correlate_msg_text(co, m);
        /* memcpy reads every byte (ASan checks the range), a chunk at a time */
        for (size_t i = 0; i < t.len; i += sizeof fuzzout_text_sink)
            memcpy(fuzzout_text_sink, t.p + i,
                   t.len - i < sizeof fuzzout_text_sink ? t.len - i : sizeof fuzzout_text_sink);
    }
    for (size_t i = 0; i < fuzzout_count; i++)
        fuzzout_sinks[i].s.call_end(fuzzout_sinks[i].s.ctx, c, co);
}

void fuzzout_reg(void *ctx, const struct registration *r)
{
    (void)ctx;
    for (size_t i = 0; i < fuzzout_count; i++)
        if (fuzzout_sinks[i].s.registration)
            fuzzout_sinks[i].s.registration(fuzzout_sinks[i].s.ctx, r);
}

void fuzzout_stream(void *ctx, const struct media_stream *s)
{
    (void)ctx;
    for (size_t i = 0; i < fuzzout_count; i++)
        if (fuzzout_sinks[i].s.stream_end)
            fuzzout_sinks[i].s.stream_end(fuzzout_sinks[i].s.ctx, s);
}

FUZZOUT_NO_COVERAGE static void fuzzout_check(const struct fuzzout_sink *k, size_t len)
{
    const char *p = k->buf;
    const char *end = k->buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            abort(); /* every sink ends its lines */
        size_t n = (size_t)(nl - p);
        if (k->json ? !fuzzout_json_ok(p, n) : !k->raw_ok && !fuzzout_text_ok(p, n))
            abort();
        p = nl + 1;
    }
}

void fuzzout_end(const struct stats *st)
{
    for (size_t i = 0; i < fuzzout_count; i++) {
        struct fuzzout_sink *k = &fuzzout_sinks[i];
        if (k->s.finish(k->s.ctx, st) != 0)
            abort(); /* memory streams do not fail */
        if (fflush(k->fp) != 0)
            abort();
        long n = ftell(k->fp);
        if (n < 0 || (size_t)n > k->len)
            abort();
        if (getenv("FUZZOUT_PRINT")) /* replaying one input by hand: show what was printed */
            fwrite(k->buf, 1, (size_t)n, stderr);
        fuzzout_check(k, (size_t)n);
    }
    if (fuzzout_cdrs_run != fuzzout_calls_run)
        abort(); /* a CDR was lost (too large to format) */
}
