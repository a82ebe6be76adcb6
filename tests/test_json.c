/* test_json.c: Criterion suite for exporters/json.c (RFC 8259 escaping, RFC 3629 UTF-8 repair, RFC
 * 3339 times). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../exporters/json.h"

/* 2024-03-01T12:10:00Z as seconds since the epoch (worked out with calendar.timegm). */
#define T_20240301_121000 1709295000ull
#define NS 1000000000ull

/* Write one string value and compare the whole output. */
static void expect_str(const char *in, size_t len, const char *want)
{
    char buf[512];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_str(&j, in, len);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, want);
    cr_assert_eq(j.len, strlen(want));
}

Test(json, object_and_array_commas)
{
    char buf[256];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_key(&j, "a");
    json_u64(&j, 1);
    json_key(&j, "b");
    json_arr_begin(&j);
    json_u64(&j, 2);
    json_str_cstr(&j, "x");
    json_obj_begin(&j);
    json_obj_end(&j);
    json_arr_begin(&j);
    json_arr_end(&j);
    json_null(&j);
    json_arr_end(&j);
    json_key(&j, "c");
    json_obj_begin(&j);
    json_key(&j, "d");
    json_bool(&j, true);
    json_key(&j, "e");
    json_bool(&j, false);
    json_obj_end(&j);
    json_obj_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "{\"a\":1,\"b\":[2,\"x\",{},[],null],\"c\":{\"d\":true,\"e\":false}}");
}

Test(json, quotes_and_backslash_escaped)
{
    expect_str("say \"hi\" \\o/", 12, "\"say \\\"hi\\\" \\\\o/\"");
}

Test(json, short_escapes_for_common_controls)
{
    expect_str("a\nb\rc\td\be\ff", 11, "\"a\\nb\\rc\\td\\be\\ff\"");
}

Test(json, other_controls_as_u00xx)
{
    /* 0x01, 0x1b (ESC, a terminal escape), 0x1f, 0x7f (DEL) */
    expect_str("\x01\x1b[0m\x1f\x7f", 7, "\"\\u0001\\u001b[0m\\u001f\\u007f\"");
}

Test(json, nul_inside_the_view_is_escaped_not_a_terminator)
{
    expect_str("ab\0cd", 5, "\"ab\\u0000cd\"");
    expect_str("\0", 1, "\"\\u0000\"");
}

Test(json, empty_and_null_strings)
{
    expect_str("", 0, "\"\"");
    expect_str(NULL, 0, "\"\"");
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_str_cstr(&j, NULL);
    json_str_opt(&j, "");
    json_str_opt(&j, NULL);
    json_str_opt(&j, "v");
    json_str_cstr(&j, "");
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "[null,null,null,\"v\",\"\"]");
}

Test(json, valid_utf8_passes_through)
{
    /* e-acute (2 bytes), euro sign (3), U+1F600 (4), U+10FFFF (4, the last code point) */
    expect_str("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", 16,
               "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
}

Test(json, invalid_utf8_replaced_by_fffd)
{
#define FFFD "\xef\xbf\xbd"
    /* lone continuation byte */
    expect_str("a\x80z", 3, "\"a" FFFD "z\"");
    /* lead byte cut by the end of the view */
    expect_str("a\xc3", 2, "\"a" FFFD "\"");
    /* truncated 3-byte sequence followed by ASCII: one U+FFFD for the maximal subpart */
    expect_str("\xe2\x82"
               "A",
               3, "\"" FFFD "A\"");
    /* overlong '/' (C0 AF): C0 never starts a sequence, AF is a lone continuation */
    expect_str("\xc0\xaf", 2, "\"" FFFD FFFD "\"");
    /* UTF-16 surrogate U+D800 encoded (ED A0 80): three replacements */
    expect_str("\xed\xa0\x80", 3, "\"" FFFD FFFD FFFD "\"");
    /* above U+10FFFF (F4 90 80 80) and bytes F5, FF */
    expect_str("\xf4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"");
    expect_str("\xf5\xff", 2, "\"" FFFD FFFD "\"");
#undef FFFD
}

Test(json, escaped_key)
{
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_key(&j, "k\"\n");
    json_u64(&j, 0);
    json_obj_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "{\"k\\\"\\n\":0}");
}

Test(json, integers_at_their_limits)
{
    char buf[128];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_u64(&j, 0);
    json_u64(&j, UINT64_MAX);
    json_i64(&j, -1);
    json_i64(&j, INT64_MIN);
    json_i64(&j, INT64_MAX);
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "[0,18446744073709551615,-1,-9223372036854775808,9223372036854775807]");
}

/* Two digits per division: every value below 200 000, each power of ten and its neighbours,
 * and every digit count, against printf. */
Test(json, integers_match_printf)
{
    char buf[64], want[32];
    struct json j;
    uint64_t extra[3 * 20 + 1];
    size_t n = 0;
    for (uint64_t p = 10; n < 3 * 19; p *= 10) {
        extra[n++] = p - 1;
        extra[n++] = p;
        extra[n++] = p + 1;
    }
    extra[n++] = UINT64_MAX;
    for (uint64_t i = 0; i < 200000 + n; i++) {
        uint64_t v = i < 200000 ? i : extra[i - 200000];
        json_init(&j, buf, sizeof buf);
        json_u64(&j, v);
        snprintf(want, sizeof want, "%" PRIu64, v);
        cr_assert_str_eq(buf, want);
    }
}

Test(json, doubles_fixed_decimals)
{
    char buf[256];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_double(&j, 12.345, 3);
    json_double(&j, 1.681, 3);
    json_double(&j, 7.5043, 3);
    json_double(&j, 0.0, 3);
    json_double(&j, -0.0, 1);
    json_double(&j, -0.0001, 3); /* rounds to zero: no "-0.000" */
    json_double(&j, -1.25, 1);   /* 1.25 is exact in binary: half away from zero */
    json_double(&j, 2.5, 0);
    json_double(&j, 1e20, 0);
    json_double(&j, 3.0, 12); /* decimals clamped to 9 */
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "[12.345,1.681,7.504,0.000,0.0,0.000,-1.3,3,100000000000000000000,"
                          "3.000000000]");
}

/* Every decimals count (odd ones end with a lone digit, the rest go in pairs), fractions with
 * leading zeros, both signs: k / 10^d must print as k with the point put back by hand. */
Test(json, doubles_match_the_integer_they_scale_to)
{
    static const uint64_t pow10[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};
    char buf[64], want[64];
    struct json j;
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int d = 0; d <= 9; d++) {
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* small numbers often (zeros after the point), up to 2^50 otherwise */
            uint64_t k = i < 2000 ? (uint64_t)i : x >> (14 + x % 40);
            bool neg = i & 1;
            double v = (double)k / (double)pow10[d];
            json_init(&j, buf, sizeof buf);
            json_double(&j, neg ? -v : v, d);
            const char *sign = neg && k ? "-" : "";
            if (d == 0)
                snprintf(want, sizeof want, "%s%" PRIu64, sign, k);
            else
                snprintf(want, sizeof want, "%s%" PRIu64 ".%0*" PRIu64, sign, k / pow10[d], d,
                         k % pow10[d]);
            cr_assert_str_eq(buf, want, "k %" PRIu64 ", %d decimals", k, d);
        }
    }
}

Test(json, non_finite_doubles_are_null)
{
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_double(&j, NAN, 3);
    json_double(&j, INFINITY, 3);
    json_double(&j, -INFINITY, 0);
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "[null,null,null]");
}

Test(json, huge_double_keeps_integer_digits)
{
    char buf[512];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_double(&j, -1e300, 3);
    cr_assert(json_ok(&j));
    /* "-1" then 300 digits (the exact binary value) then ".000" */
    cr_assert_eq(j.len, 1 + 301 + 4);
    cr_assert_eq(strncmp(buf, "-1000000000", 11), 0);
    cr_assert_str_eq(buf + j.len - 4, ".000");
}

Test(json, timestamp_rfc3339_microseconds)
{
    char buf[128];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_ts(&j, T_20240301_121000 * NS + 150000000ull);
    json_ts(&j, 1709251199ull * NS + 999999999ull); /* 2024-02-29 23:59:59.999999999: truncated */
    json_ts(&j, 1000);                              /* one microsecond after the epoch */
    json_ts(&j, 0);                                 /* unset */
    json_arr_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "[\"2024-03-01T12:10:00.150000Z\",\"2024-02-29T23:59:59.999999Z\","
                          "\"1970-01-01T00:00:00.000001Z\",null]");
}

/*
 * The calendar conversion against the C library's (gmtime_r, strftime) on
 * every day a uint64_t of nanoseconds reaches (1970 to 2554: the centuries
 * 2100, 2200, 2300 and 2500 are not leap years, 2400 is), each at another
 * second of its day and another microsecond.
 */
Test(json, timestamp_every_day_matches_gmtime)
{
    char got[JSON_TS_LEN + 1], want[64];
    uint64_t last_day = UINT64_MAX / NS / 86400u;
    for (uint64_t day = 0; day <= last_day; day++) {
        uint64_t secs = day * 86400u + (day * 7919u) % 86400u;
        uint64_t ns = secs * NS + (day * 104729u) % NS;
        if (ns / NS != secs)
            break; /* the last day, past UINT64_MAX at this second */
        json_ts_format(ns, got);
        time_t t = (time_t)secs;
        struct tm tm;
        cr_assert_not_null(gmtime_r(&t, &tm));
        size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof want - n, ".%06uZ", (unsigned)(ns % NS / 1000u));
        cr_assert_str_eq(got, want, "day %llu", (unsigned long long)day);
    }
}

/* json_ts keeps the last day's date: every time of a day, then other days and back, must read
 * as json_ts_format writes them (one writer, reset only between lines, as a CDR uses it). */
Test(json, timestamp_day_cache_matches_the_full_conversion)
{
    static const uint64_t days[] = {0, 19723, 19724, 19723, 11016, 19723}; /* 19723: 2024-01-01 */
    static const uint64_t secs[] = {0, 1, 59, 60, 3599, 3600, 43200, 86399, 86400, 1};
    char buf[2048], want[2048], ts[JSON_TS_LEN + 1];
    struct json j;
    json_init(&j, buf, sizeof buf);
    for (size_t d = 0; d < sizeof days / sizeof days[0]; d++) {
        json_reset(&j);
        json_arr_begin(&j);
        size_t w = 0;
        want[w++] = '[';
        for (size_t k = 0; k < sizeof secs / sizeof secs[0]; k++) {
            /* the last two cross into the next day and back within the line */
            uint64_t day = days[d] + (k == 8);
            uint64_t ns = (day * 86400u + secs[k] % 86400u) * NS + 123456789u * (k & 1) + 1;
            json_ts(&j, ns);
            json_ts_format(ns, ts);
            w += (size_t)snprintf(want + w, sizeof want - w, "%s\"%s\"", k ? "," : "", ts);
        }
        json_arr_end(&j);
        snprintf(want + w, sizeof want - w, "]");
        cr_assert(json_ok(&j));
        cr_assert_str_eq(buf, want, "day %llu", (unsigned long long)days[d]);
    }
}

Test(json, calendar_fields_across_century_rules)
{
    struct json_time t;
    json_time_from_ns(946684799ull * NS, &t); /* 1999-12-31 23:59:59 */
    cr_assert_eq(t.year, 1999);
    cr_assert_eq(t.month, 12);
    cr_assert_eq(t.day, 31);
    cr_assert_eq(t.hour, 23);
    cr_assert_eq(t.min, 59);
    cr_assert_eq(t.sec, 59);
    json_time_from_ns(4107542400ull * NS - 1, &t); /* 2100 is not a leap year: Feb 28 */
    cr_assert_eq(t.year, 2100);
    cr_assert_eq(t.month, 2);
    cr_assert_eq(t.day, 28);
    cr_assert_eq(t.nsec, 999999999u);
    char ts[JSON_TS_LEN + 1];
    cr_assert_eq(json_ts_format(UINT64_MAX, ts), JSON_TS_LEN);
    cr_assert_str_eq(ts, "2554-07-21T23:34:33.709551Z");
}

Test(json, raw_fragment_with_commas)
{
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_key(&j, "a");
    json_raw(&j, "[1,2]", 5);
    json_key(&j, "b");
    json_raw(&j, NULL, 0);
    json_obj_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "{\"a\":[1,2],\"b\":null}");
}

Test(json, overflow_never_writes_past_cap)
{
    char buf[64];
    memset(buf, 'X', sizeof buf);
    struct json j;
    json_init(&j, buf, 10);
    json_obj_begin(&j);
    json_key(&j, "call_id");
    json_str(&j, "0123456789", 10);
    json_obj_end(&j);
    cr_assert(j.overflow);
    cr_assert_not(json_ok(&j));
    cr_assert(j.len <= 9);
    cr_assert_eq(buf[j.len], '\0');
    for (size_t k = 10; k < sizeof buf; k++)
        cr_assert_eq(buf[k], 'X', "byte %zu beyond cap was written", k);
    /* later writes are dropped, even ones that would fit */
    size_t len = j.len;
    json_null(&j);
    cr_assert_eq(j.len, len);
}

Test(json, overflow_inside_an_escape)
{
    /* cap 5: '"' + 3 bytes fit, the 6-byte \u0001 does not */
    char buf[16];
    memset(buf, 'X', sizeof buf);
    struct json j;
    json_init(&j, buf, 5);
    json_str(&j, "ab\x01", 3);
    cr_assert(j.overflow);
    cr_assert_str_eq(buf, "\"ab");
    for (size_t k = 5; k < sizeof buf; k++)
        cr_assert_eq(buf[k], 'X');
}

Test(json, exact_fit_is_not_overflow)
{
    char buf[8];
    struct json j;
    json_init(&j, buf, 5); /* "abc" + quotes = 5 bytes, needs 6 with the NUL */
    json_str(&j, "abc", 3);
    cr_assert(j.overflow);
    json_init(&j, buf, 6);
    json_str(&j, "abc", 3);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "\"abc\"");
}

Test(json, zero_capacity)
{
    struct json j;
    json_init(&j, NULL, 100);
    json_null(&j);
    cr_assert(j.overflow);
    cr_assert_eq(j.len, 0);
    char one[1] = {'X'};
    json_init(&j, one, 1);
    cr_assert_eq(one[0], '\0');
    json_u64(&j, 7);
    cr_assert(j.overflow);
    cr_assert_eq(one[0], '\0');
}

Test(json, misuse_is_flagged)
{
    char buf[128];
    struct json j;

    json_init(&j, buf, sizeof buf);
    json_obj_end(&j); /* end without begin */
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_u64(&j, 1); /* member without key */
    json_obj_end(&j);
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_u64(&j, 1);
    json_u64(&j, 2); /* two top-level values */
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_obj_end(&j); /* wrong closer */
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_arr_begin(&j);
    json_key(&j, "k"); /* key in an array */
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_key(&j, "k");
    json_obj_end(&j); /* dangling key */
    cr_assert(j.misuse);

    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j); /* unclosed: not ok, but not misuse either */
    cr_assert_not(j.misuse);
    cr_assert_not(json_ok(&j));
}

Test(json, nesting_deeper_than_the_stack)
{
    char buf[256];
    struct json j;
    json_init(&j, buf, sizeof buf);
    for (int k = 0; k < JSON_MAX_DEPTH; k++)
        json_arr_begin(&j);
    cr_assert_not(j.misuse);
    json_arr_begin(&j);
    cr_assert(j.misuse);
    cr_assert_eq(j.depth, JSON_MAX_DEPTH);
}

Test(json, reset_reuses_the_buffer)
{
    char buf[32];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_u64(&j, 1);
    json_reset(&j);
    json_str_cstr(&j, "two");
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "\"two\"");
}

/*
 * Keys and plain strings that fit go out in one copy (json_key, put_escaped);
 * at every capacity the output is still a prefix of the full text, never
 * longer than cap - 1 bytes, and complete exactly when the full text fits.
 */
Test(json, one_copy_paths_keep_prefix_semantics)
{
    const char *full = "{\"call_id\":\"abc\",\"a\\\"b\":\"x\\ny\",\"n\":7}";
    size_t full_len = strlen(full);
    for (size_t cap = 1; cap <= full_len + 2; cap++) {
        char buf[64];
        memset(buf, 'X', sizeof buf);
        struct json j;
        json_init(&j, buf, cap);
        json_obj_begin(&j);
        json_key(&j, "call_id");
        json_str(&j, "abc", 3);
        json_key(&j, "a\"b"); /* not plain: the escaping path */
        json_str(&j, "x\ny", 3);
        json_key(&j, "n");
        json_u64(&j, 7);
        json_obj_end(&j);
        cr_assert(j.len <= cap - 1, "cap %zu: %zu bytes", cap, j.len);
        cr_assert_eq(buf[j.len], '\0');
        cr_assert_eq(strncmp(buf, full, j.len), 0, "cap %zu: '%s' is no prefix", cap, buf);
        for (size_t k = cap; k < sizeof buf; k++)
            cr_assert_eq(buf[k], 'X', "cap %zu: byte %zu written", cap, k);
        cr_assert_eq(json_ok(&j), cap > full_len, "cap %zu", cap);
    }
}

/* NULL and empty keys, and a key with a byte that is not ASCII, take the escaping path. */
Test(json, keys_that_are_not_plain)
{
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    json_key(&j, NULL);
    json_u64(&j, 1);
    json_key(&j, "\xc3\xa9t\x01");
    json_u64(&j, 2);
    json_obj_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "{\"\":1,\"\xc3\xa9t\\u0001\":2}");
}

/* The expected JSON text of one byte inside a string (a lone byte >= 0x80 is U+FFFD). */
static void escaped_byte(uint8_t b, char *out)
{
    static const char hex[] = "0123456789abcdef";
    if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
        out[0] = (char)b;
        out[1] = '\0';
    } else if (b == '"' || b == '\\') {
        out[0] = '\\';
        out[1] = (char)b;
        out[2] = '\0';
    } else if (b >= 0x80) {
        strcpy(out, "\xef\xbf\xbd");
    } else {
        const char *s = b == '\b'   ? "\\b"
                        : b == '\f' ? "\\f"
                        : b == '\n' ? "\\n"
                        : b == '\r' ? "\\r"
                        : b == '\t' ? "\\t"
                                    : NULL;
        if (s) {
            strcpy(out, s);
        } else {
            memcpy(out, "\\u00", 4);
            out[4] = hex[b >> 4];
            out[5] = hex[b & 15];
            out[6] = '\0';
        }
    }
}

/*
 * Strings and keys are checked for bytes that need escaping eight at a time:
 * every byte value at every position of every length up to 24 (whole words,
 * overlapping last words, the 4-byte and the byte-wise paths) must come out
 * exactly as escaping byte by byte gives.
 */
Test(json, every_byte_at_every_position_of_short_strings)
{
    for (size_t len = 1; len <= 24; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            for (unsigned b = 0; b < 256; b++) {
                char in[24];
                memset(in, 'a', len);
                in[pos] = (char)b;
                char esc[8];
                escaped_byte((uint8_t)b, esc);
                char want[80];
                snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)pos, in, esc,
                         (int)(len - pos - 1), in + pos + 1);
                char buf[128];
                struct json j;
                json_init(&j, buf, sizeof buf);
                json_str(&j, in, len);
                cr_assert(json_ok(&j));
                cr_assert_str_eq(buf, want, "len %zu pos %zu byte 0x%02x", len, pos, b);
                /* the same text as a key */
                json_init(&j, buf, sizeof buf);
                json_obj_begin(&j);
                json_key_n(&j, in, len);
                json_null(&j);
                json_obj_end(&j);
                char want_key[96];
                snprintf(want_key, sizeof want_key, "{%s:null}", want);
                cr_assert_str_eq(buf, want_key, "key: len %zu pos %zu byte 0x%02x", len, pos, b);
            }
        }
    }
}

Test(json, literal_keys)
{
    char buf[64];
    struct json j;
    json_init(&j, buf, sizeof buf);
    json_obj_begin(&j);
    JSON_KEY(&j, "call_id");
    json_u64(&j, 1);
    JSON_KEY(&j, "1_9");
    json_u64(&j, 2);
    json_obj_end(&j);
    cr_assert(json_ok(&j));
    cr_assert_str_eq(buf, "{\"call_id\":1,\"1_9\":2}");
    /* a literal key that does not fit overflows like any other write */
    json_init(&j, buf, 8);
    json_obj_begin(&j);
    JSON_KEY(&j, "call_id");
    cr_assert(j.overflow);
    cr_assert_lt(j.len, 8);
    cr_assert_eq(strncmp(buf, "{\"call_id\":", j.len), 0, "'%s' is no prefix", buf);
}
