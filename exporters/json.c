/* json.c: JSON writer into a bounded buffer: RFC 8259 escaping, UTF-8 repair (RFC 3629), RFC 3339
 * UTC times. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Copy n bytes by words (short texts: no call into memcpy); the last word may overlap. */
static void json_copy(char *o, const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t x;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, s + i, sizeof x);
            memcpy(o + i, &x, sizeof x);
        }
        memcpy(&x, s + n - 8, sizeof x);
        memcpy(o + n - 8, &x, sizeof x);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, sizeof a);
        memcpy(&b, s + n - 4, sizeof b);
        memcpy(o, &a, sizeof a);
        memcpy(o + n - 4, &b, sizeof b);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = s[i];
    }
}

/* Append n bytes, or set overflow and drop them (and everything after). */
static void put(struct json *j, const char *s, size_t n)
{
    if (j->overflow)
        return;
    if (j->cap == 0 || n > j->cap - 1 - j->len) {
        j->overflow = true;
        return;
    }
    char *o = j->buf + j->len;
    if (n <= 32)
        json_copy(o, s, n); /* numbers, names, most values: no call into memcpy */
    else
        memcpy(o, s, n);
    j->len += n;
    o[n] = '\0';
}

/* "00" to "99": numbers are written two digits per division by 100. */
static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* The n (even) decimal digits of v < 10^n, zero-padded, at p. */
static void pair_digits(char *p, uint64_t v, int n)
{
    for (int k = n - 2; k >= 0; k -= 2) {
        memcpy(p + k, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
}

static void put_c(struct json *j, char c)
{
    put(j, &c, 1);
}

void json_init(struct json *j, char *buf, size_t cap)
{
    memset(j, 0, sizeof *j);
    j->buf = buf;
    j->cap = buf ? cap : 0;
    if (j->cap)
        buf[0] = '\0';
}

void json_reset(struct json *j)
{
    json_init(j, j->buf, j->cap);
}

bool json_ok(const struct json *j)
{
    return !j->overflow && !j->misuse && j->depth == 0 && !j->after_key && j->count[0] == 1;
}

/* Comma and key bookkeeping before any value. */
static void value_begin(struct json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0 && j->kind[j->depth - 1] == '{')
        j->misuse = true; /* an object member without a key */
    if (j->count[j->depth] > 0) {
        if (j->depth == 0)
            j->misuse = true; /* a second top-level value */
        else
            put_c(j, ',');
    }
    j->count[j->depth]++;
}

static void open_level(struct json *j, char kind)
{
    value_begin(j);
    if (j->depth >= JSON_MAX_DEPTH) {
        j->misuse = true;
        return;
    }
    put_c(j, kind);
    j->kind[j->depth] = kind;
    j->depth++;
    j->count[j->depth] = 0;
}

static void close_level(struct json *j, char kind)
{
    if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->after_key) {
        j->misuse = true;
        j->after_key = false;
        if (j->depth == 0)
            return;
    }
    j->depth--;
    put_c(j, kind == '{' ? '}' : ']');
}

void json_obj_begin(struct json *j)
{
    open_level(j, '{');
}

void json_obj_end(struct json *j)
{
    close_level(j, '{');
}

void json_arr_begin(struct json *j)
{
    open_level(j, '[');
}

void json_arr_end(struct json *j)
{
    close_level(j, '[');
}

/*
 * Length of the well-formed UTF-8 sequence at p[0..n) (Unicode Table 3-7),
 * or 0 when it is ill-formed; *bad gets how many bytes the maximal
 * ill-formed subpart spans (at least 1), to be replaced by one U+FFFD.
 */
static size_t utf8_seq(const uint8_t *p, size_t n, size_t *bad)
{
    uint8_t b = p[0], lo = 0x80, hi = 0xbf;
    size_t need;
    if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (b == 0xed)
            hi = 0x9f; /* no UTF-16 surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *bad = 1; /* 80..C1 and F5..FF never start a sequence */
        return 0;
    }
    size_t k = 1;
    for (; k <= need; k++) {
        if (k >= n || p[k] < lo || p[k] > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need + 1;
}

/* json_plain[b]: byte b goes into a JSON string as it is (printable ASCII but '"' and '\\'). */
static const uint8_t json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Does the word hold no byte below 0x20, above 0x7e, '"' or '\\'? The classic
 * has-less, has-more and has-zero bit tests: exact for a word with no such
 * byte; a false alarm could only send a text to the byte-wise path.
 */
static bool json_word_plain(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return !((((x - ones * 0x20) & ~x) | ((x + ones) | x) | ((q - ones) & ~q) | ((b - ones) & ~b)) &
             highs);
}

/* All n bytes at s plain (json_plain)? Eight at a time; the last word overlaps, which is fine. */
static bool json_all_plain(const char *s, size_t n)
{
    uint64_t x;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, s + i, sizeof x);
            if (!json_word_plain(x))
                return false;
        }
        memcpy(&x, s + n - 8, sizeof x);
        return json_word_plain(x);
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, sizeof a);
        memcpy(&b, s + n - 4, sizeof b);
        return json_word_plain((uint64_t)a << 32 | b);
    }
    for (size_t i = 0; i < n; i++)
        if (!json_plain[(uint8_t)s[i]])
            return false;
    return true;
}

static void put_escaped_slow(struct json *j, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    put_c(j, '"');
    while (i < len && !j->overflow) {
        /* a run of bytes that go out as they are */
        size_t run = i;
        while (run < len) {
            uint8_t b = p[run];
            if (json_plain[b]) {
                run++;
                continue;
            }
            if (b >= 0x80) {
                size_t bad, n = utf8_seq(p + run, len - run, &bad);
                if (n) {
                    run += n;
                    continue;
                }
            }
            break;
        }
        if (run > i) {
            put(j, s + i, run - i);
            i = run;
            continue;
        }
        uint8_t b = p[i];
        if (b >= 0x80) {
            size_t bad = 1; /* utf8_seq sets it: it only returns 0 here */
            (void)utf8_seq(p + i, len - i, &bad);
            put(j, "\xef\xbf\xbd", 3); /* U+FFFD */
            i += bad;
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (b) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[b >> 4];
            esc[5] = hex[b & 15];
            n = 6;
        }
        put(j, esc, n);
        i++;
    }
    put_c(j, '"');
}

/*
 * Copy n bytes to o while checking that they are plain, eight at a time (one pass over the
 * text instead of a check and then a copy). false at the first word that is not: o then holds
 * a partial copy, which the caller overwrites.
 */
static bool json_copy_plain(char *o, const char *s, size_t n)
{
    uint64_t x;
    if (n < 8) {
        if (!json_all_plain(s, n))
            return false;
        json_copy(o, s, n);
        return true;
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&x, s + i, sizeof x);
        if (!json_word_plain(x))
            return false;
        memcpy(o + i, &x, sizeof x);
    }
    memcpy(&x, s + n - 8, sizeof x);
    memcpy(o + n - 8, &x, sizeof x);
    return json_word_plain(x);
}

/* Plain bytes (see json_plain) that fit go out in one copy; anything else takes the slow path. */
static void put_escaped(struct json *j, const char *s, size_t len)
{
    if (j->overflow || j->cap == 0 || len + 2 > j->cap - 1 - j->len) {
        put_escaped_slow(j, s, len);
        return;
    }
    char *o = j->buf + j->len;
    if (!json_copy_plain(o + 1, s, len)) {
        o[0] = '\0'; /* the partial copy is past the end of the text: keep it terminated */
        put_escaped_slow(j, s, len);
        return;
    }
    o[0] = '"';
    o[len + 1] = '"';
    o[len + 2] = '\0';
    j->len += len + 2;
}

/* A member name, the general way (escaped as needed); JSON_KEY's inline path ends here when its
 * fast case does not apply. */
static void json_key_put(struct json *j, const char *name, size_t len)
{
    if (j->depth == 0 || j->kind[j->depth - 1] != '{' || j->after_key)
        j->misuse = true;
    bool comma = j->count[j->depth] > 0;
    j->count[j->depth]++;
    j->after_key = true;
    if (comma)
        put_c(j, ',');
    put_escaped(j, name, len);
    put_c(j, ':');
}

void json_key_lit_slow(struct json *j, const char *name, size_t len)
{
    json_key_put(j, name, len);
}

void json_key_n(struct json *j, const char *name, size_t len)
{
    if (!name) {
        name = "";
        len = 0;
    }
    if (json_all_plain(name, len))
        json_key_lit(j, name, len); /* no escaping needed: the inline path */
    else
        json_key_put(j, name, len);
}

void json_key(struct json *j, const char *name)
{
    json_key_n(j, name, name ? strlen(name) : 0);
}

void json_str(struct json *j, const char *p, size_t len)
{
    value_begin(j);
    put_escaped(j, p, p ? len : 0);
}

void json_str_cstr(struct json *j, const char *s)
{
    if (!s) {
        json_null(j);
        return;
    }
    json_str(j, s, strlen(s));
}

void json_str_opt(struct json *j, const char *s)
{
    if (!s || !s[0]) {
        json_null(j);
        return;
    }
    json_str(j, s, strlen(s));
}

/* Decimal digits of v ending at e (at most 20 before it); returns the first digit. */
static char *u64_digits_to(uint64_t v, char *e)
{
    char *q = e;
    while (v >= 100) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    return q;
}

/* Decimal digits of v into the end of tmp[21]; returns the first digit. */
static char *u64_digits(uint64_t v, char tmp[21])
{
    tmp[20] = '\0';
    return u64_digits_to(v, tmp + 20);
}

void json_u64(struct json *j, uint64_t v)
{
    char tmp[21];
    value_begin(j);
    char *q = u64_digits(v, tmp);
    put(j, q, (size_t)(tmp + 20 - q));
}

void json_i64(struct json *j, int64_t v)
{
    char tmp[21];
    value_begin(j);
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        put_c(j, '-');
        u = (uint64_t)0 - u;
    }
    char *q = u64_digits(u, tmp);
    put(j, q, (size_t)(tmp + 20 - q));
}

void json_double(struct json *j, double v, int decimals)
{
    if (!isfinite(v)) {
        json_null(j);
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > JSON_MAX_DECIMALS)
        decimals = JSON_MAX_DECIMALS;
    static const uint64_t pow10[JSON_MAX_DECIMALS + 1] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
    };
    uint64_t scale = pow10[decimals];
    value_begin(j);

    double a = fabs(v) * (double)scale;
    if (a < 9.0e18) {
        /* sign, integer digits, point, fraction: built from the end, written in one put */
        uint64_t r = (uint64_t)(a + 0.5);
        char tmp[1 + 20 + 1 + JSON_MAX_DECIMALS];
        char *e = tmp + sizeof tmp, *q = e;
        /* the decimals CDRs use, by constant: a multiply, not a 64-bit division */
        uint64_t ip = decimals == 3 ? r / 1000 : decimals == 2 ? r / 100 : r / scale;
        if (decimals) {
            uint64_t f = r - ip * scale;
            q -= decimals;
            if (decimals & 1) { /* the last digit alone, the rest in pairs */
                q[decimals - 1] = (char)('0' + f % 10);
                f /= 10;
            }
            pair_digits(q, f, decimals & ~1);
            *--q = '.';
        }
        q = u64_digits_to(ip, q);
        if (v < 0 && r != 0)
            *--q = '-';
        put(j, q, (size_t)(e - q));
        return;
    }
    /* Beyond 2^63 / 10^decimals there are no fraction digits left to show:
     * print the integer part ("%.0f" has no decimal point, so no locale) and zeros. */
    char big[400];
    int n = snprintf(big, sizeof big, "%s%.0f", v < 0 ? "-" : "", fabs(v));
    if (n < 0 || (size_t)n >= sizeof big) {
        j->overflow = true;
        return;
    }
    put(j, big, (size_t)n);
    if (decimals) {
        put_c(j, '.');
        for (int k = 0; k < decimals; k++)
            put_c(j, '0');
    }
}

void json_bool(struct json *j, bool v)
{
    value_begin(j);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void json_null(struct json *j)
{
    value_begin(j);
    put(j, "null", 4);
}

void json_raw(struct json *j, const char *frag, size_t len)
{
    if (!frag || len == 0) {
        json_null(j);
        return;
    }
    value_begin(j);
    put(j, frag, len);
}

void json_time_from_ns(uint64_t ns, struct json_time *t)
{
    uint64_t secs = ns / 1000000000u;
    uint64_t days = secs / 86400u;
    uint64_t rem = secs % 86400u;
    t->nsec = (uint32_t)(ns % 1000000000u);
    t->hour = (uint8_t)(rem / 3600u);
    t->min = (uint8_t)(rem / 60u % 60u);
    t->sec = (uint8_t)(rem % 60u);

    /* days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil, inverted);
     * days >= 0, so the era arithmetic needs no negative branch. */
    uint64_t z = days + 719468u;
    uint64_t era = z / 146097u;
    uint64_t doe = z - era * 146097u;
    uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    uint64_t mp = (5u * doy + 2u) / 153u;
    uint64_t d = doy - (153u * mp + 2u) / 5u + 1u;
    uint64_t m = mp < 10u ? mp + 3u : mp - 9u;
    uint64_t y = yoe + era * 400u + (m <= 2u ? 1u : 0u);
    t->year = (int32_t)y;
    t->month = (uint8_t)m;
    t->day = (uint8_t)d;
}

size_t json_ts_format(uint64_t ns, char out[JSON_TS_LEN + 1])
{
    struct json_time t;
    json_time_from_ns(ns, &t);
    /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ"; the year stays below 2555 for a u64 of ns */
    memcpy(out, "0000-00-00T00:00:00.000000Z", JSON_TS_LEN + 1);
    pair_digits(out, (uint32_t)t.year, 4);
    pair_digits(out + 5, t.month, 2);
    pair_digits(out + 8, t.day, 2);
    pair_digits(out + 11, t.hour, 2);
    pair_digits(out + 14, t.min, 2);
    pair_digits(out + 17, t.sec, 2);
    pair_digits(out + 20, t.nsec / 1000u, 6);
    return JSON_TS_LEN;
}

/* A CDR's timestamps mostly fall on one day: the calendar conversion runs once per day seen. */
void json_ts(struct json *j, uint64_t ns)
{
    if (ns == 0) {
        json_null(j);
        return;
    }
    uint64_t secs = ns / 1000000000u;
    uint64_t day = secs / 86400u;
    char q[JSON_TS_LEN + 3]; /* quoted, and json_ts_format's NUL */
    char *ts = q + 1;
    if (j->ts_day1 != day + 1) {
        json_ts_format(ns, ts);
        memcpy(j->ts_date, ts, sizeof j->ts_date);
        j->ts_day1 = day + 1;
    } else {
        uint32_t rem = (uint32_t)(secs % 86400u);
        memcpy(ts, j->ts_date, sizeof j->ts_date);
        memcpy(ts + 10, "T00:00:00.000000Z", JSON_TS_LEN - 10);
        pair_digits(ts + 11, rem / 3600u, 2);
        pair_digits(ts + 14, rem / 60u % 60u, 2);
        pair_digits(ts + 17, rem % 60u, 2);
        pair_digits(ts + 20, (uint32_t)(ns % 1000000000u / 1000u), 6);
    }
    q[0] = '"';
    q[JSON_TS_LEN + 1] = '"';
    value_begin(j);
    put(j, q, JSON_TS_LEN + 2);
}
