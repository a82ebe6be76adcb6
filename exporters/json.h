/* json.h: JSON writer into a caller-provided bounded buffer (RFC 8259; RFC 3339 timestamps, UTF-8
 * per RFC 3629). */
#ifndef SIPSCOPE_EXPORTERS_JSON_H
#define SIPSCOPE_EXPORTERS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Usage:
 *
 *     char line[4096];
 *     struct json j;
 *     json_init(&j, line, sizeof line);
 *     json_obj_begin(&j);
 *     json_key(&j, "call_id");  json_str(&j, p, len);
 *     json_key(&j, "setup_ms"); json_double(&j, 1.6812, 3);   -> 1.681
 *     json_obj_end(&j);
 *     if (json_ok(&j)) fwrite(j.buf, 1, j.len, out);
 *
 * The writer inserts the commas and colons. It never writes past buf[cap-1]
 * and keeps buf NUL-terminated (when cap > 0): the text is buf[0..len).
 * When a write does not fit, `overflow` is set and every later write is
 * dropped, so the output is a truncated prefix; check json_ok() at the end.
 * Nesting errors (end without begin, a member without a key, more than
 * JSON_MAX_DEPTH levels, two top-level values) set `misuse` instead.
 * No allocation, no globals, no locale: numbers are formatted by hand.
 */

#define JSON_MAX_DEPTH 16   /* nesting levels tracked; a CDR uses 3 */
#define JSON_MAX_DECIMALS 9 /* json_double decimals are clamped to 0..9 */
#define JSON_TS_LEN 27      /* "2024-03-01T12:10:00.150000Z" without the NUL */

struct json {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;             /* something did not fit: output truncated */
    bool misuse;               /* the calls did not nest into valid JSON */
    uint8_t depth;             /* open objects/arrays */
    char kind[JSON_MAX_DEPTH]; /* '{' or '[' per open level */
    /*
     * A key was written, its value is next. Kept 8 bytes or more away from
     * overflow: next to it, GCC tests both with one 32-bit load, which the
     * CPU cannot forward from the byte store every value makes to after_key
     * just before, so every key waited for that store to reach the cache (a
     * tenth of the CDR writer's time).
     */
    bool after_key;
    uint32_t count[JSON_MAX_DEPTH + 1]; /* values (or keys) written per level; [0] = top level */
    uint64_t ts_day1; /* json_ts: 1 + the day (since 1970) ts_date holds; 0: none */
    char ts_date[11]; /* json_ts: that day's "YYYY-MM-DD" */
};

_Static_assert(offsetof(struct json, after_key) / 8 != offsetof(struct json, overflow) / 8,
               "after_key and overflow in one 8-byte word: see after_key");

/* Start writing into buf[0..cap). */
void json_init(struct json *j, char *buf, size_t cap);
/* Forget what was written (same buffer), e.g. for the next JSON line. */
void json_reset(struct json *j);
/* True when the text is complete: no overflow, no misuse, every level closed, one value written. */
bool json_ok(const struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* Member name inside an object (escaped like json_str). NULL is written as "". */
void json_key(struct json *j, const char *name);
/* The same from a (pointer, length) view. */
void json_key_n(struct json *j, const char *name, size_t len);
/*
 * A literal member name, as the program spells it (letters, digits, '_'):
 * written without the escaping scan, its length known at compile time. The
 * "" lit "" only compiles for a string literal. Every output is checked to be
 * valid JSON by the golden tests and the fuzz oracles, so a literal that
 * needed escaping would be caught there.
 */
#define JSON_KEY(j, lit) json_key_lit((j), "" lit "", sizeof(lit) - 1)
/* JSON_KEY's work when the fast path below does not apply (misuse, no room). */
void json_key_lit_slow(struct json *j, const char *name, size_t len);

/* Inline, so that with a literal the copy is a few stores: a CDR has about 140 keys. */
static inline void json_key_lit(struct json *j, const char *name, size_t len)
{
    uint8_t d = j->depth;
    if (d == 0 || j->kind[d - 1] != '{' || j->after_key || j->overflow || j->cap == 0 ||
        len + 4 > j->cap - 1 - j->len) {
        json_key_lit_slow(j, name, len);
        return;
    }
    char *o = j->buf + j->len;
    *o = ',';
    o += j->count[d] > 0; /* the comma stays only after an earlier member */
    j->count[d]++;
    j->after_key = true;
    *o++ = '"';
    memcpy(o, name, len);
    o += len;
    o[0] = '"';
    o[1] = ':';
    o[2] = '\0';
    j->len = (size_t)(o + 2 - j->buf);
}

/*
 * String value from a (pointer, length) view that may hold NUL bytes or
 * anything else: '"' and '\\' escaped, \b \f \n \r \t in short form, the
 * other control characters (and DEL) as \u00XX, bytes that are not
 * well-formed UTF-8 replaced by U+FFFD (one per maximal ill-formed
 * subsequence, Unicode §3.9), so the output is always valid UTF-8.
 * p may be NULL when len is 0.
 */
void json_str(struct json *j, const char *p, size_t len);
/* NUL-terminated string; NULL gives null. */
void json_str_cstr(struct json *j, const char *s);
/* NUL-terminated string, but NULL or "" give null (a field that was never filled). */
void json_str_opt(struct json *j, const char *s);

void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
/* Fixed-point decimal with `decimals` digits after the point (rounded half away
 * from zero): json_double(j, 12.3456, 3) -> 12.346. NaN and infinities give
 * null; -0 prints as 0. */
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* RFC 3339 UTC with microseconds from nanoseconds since the epoch
 * ("2024-03-01T12:10:00.150000Z", truncated to the microsecond); 0 gives null. */
void json_ts(struct json *j, uint64_t ns);

/*
 * A complete JSON value rendered elsewhere (e.g. a "streams" array), copied
 * verbatim with the comma handling of any other value. The caller vouches that
 * it is valid JSON; len 0 writes null.
 */
void json_raw(struct json *j, const char *frag, size_t len);

/* Calendar fields of a time in UTC (proleptic Gregorian), for text outputs. */
struct json_time {
    int32_t year;
    uint8_t month; /* 1..12 */
    uint8_t day;   /* 1..31 */
    uint8_t hour;
    uint8_t min;
    uint8_t sec;
    uint32_t nsec; /* 0..999999999 */
};

void json_time_from_ns(uint64_t ns, struct json_time *t);
/* Write the RFC 3339 form of ns (as json_ts, without quotes) into out; returns JSON_TS_LEN. */
size_t json_ts_format(uint64_t ns, char out[JSON_TS_LEN + 1]);

#endif
