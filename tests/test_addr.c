/* test_addr.c: IPv4/IPv6 text parsing (RFC 4291 §2.2) and printing (RFC 5952), endpoints, ranges */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/addr.h"

#define TXT(s) sv_make((s), strlen(s))

static struct addr parse_ok(const char *text)
{
    struct addr a;
    cr_assert(addr_parse(TXT(text), &a), "'%s' should parse", text);
    return a;
}

static void assert_reject(const char *text)
{
    struct addr a;
    memset(&a, 0xa5, sizeof a);
    cr_assert(!addr_parse(TXT(text), &a), "'%s' should be rejected", text);
    cr_assert_eq(a.family, 0, "'%s': family left %u", text, a.family);
    for (size_t i = 0; i < sizeof a.b; i++)
        cr_assert_eq(a.b[i], 0, "'%s': byte %zu not zeroed", text, i);
}

/* Parse text, print it, compare with the RFC 5952 canonical form. */
static void assert_format(const char *text, const char *canonical)
{
    char buf[ADDR_STR_MAX];
    struct addr a = parse_ok(text);
    cr_assert_str_eq(addr_format(&a, buf, sizeof buf), canonical, "from '%s'", text);
}

static void assert_bytes(const struct addr *a, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(a->b[i], want[i], "byte %zu: %02x != %02x", i, a->b[i], want[i]);
}

Test(addr, parse_ipv4)
{
    struct addr a = parse_ok("198.51.100.10");
    cr_assert_eq(a.family, 4);
    assert_bytes(&a, (const uint8_t[]){198, 51, 100, 10}, 4);
    a = parse_ok("0.0.0.0");
    assert_bytes(&a, (const uint8_t[]){0, 0, 0, 0}, 4);
    a = parse_ok("255.255.255.255");
    assert_bytes(&a, (const uint8_t[]){255, 255, 255, 255}, 4);
    /* Surrounding whitespace (as SDP and SIP values carry it) is trimmed. */
    a = parse_ok(" 127.0.10.1\r\n");
    assert_bytes(&a, (const uint8_t[]){127, 0, 10, 1}, 4);
}

Test(addr, ipv4_rejects_garbage)
{
    const char *bad[] = {"",           " ",        "256.1.1.1", "1.2.3",     "1.2.3.4.5",
                         "1..2.3",     "1.2.3.",   ".1.2.3",    "a.b.c.d",   "1.2.3.4:5060",
                         "1234.1.1.1", "-1.2.3.4", "1.2.3.4 x", "1.2.3.0x4", "one.two",
                         "1 .2.3.4",   "[1.2.3.4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_reject(bad[i]);
}

Test(addr, nul_byte_inside_text_is_rejected)
{
    struct addr a;
    cr_assert(!addr_parse(sv_make("1.2.3.4\0", 8), &a));
    cr_assert(!addr_parse(sv_make("1.2\0.3.4", 8), &a));
    cr_assert(!addr_parse(sv_make("::1\0", 4), &a));
    cr_assert(addr_parse(sv_make("1.2.3.4\0", 7), &a)); /* the view stops before the NUL */
}

Test(addr, parse_ipv6_short_forms)
{
    struct addr a = parse_ok("::");
    cr_assert_eq(a.family, 6);
    cr_assert(addr_is_unspecified(&a));

    a = parse_ok("::1");
    assert_bytes(&a, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 16);

    a = parse_ok("2001:db8::a");
    assert_bytes(
        &a, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}, 16);

    a = parse_ok("fe80::");
    assert_bytes(&a, (const uint8_t[]){0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 16);

    a = parse_ok("2001:DB8:0:0:1:0:0:1");
    assert_bytes(&a, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},
                 16);

    /* "::" standing for a single zero group (RFC 4291 allows it) */
    a = parse_ok("1:2:3:4:5:6:7::");
    cr_assert_eq(a.b[12], 0);
    cr_assert_eq(a.b[13], 7);
    cr_assert_eq(a.b[15], 0);
}

Test(addr, parse_ipv6_embedded_ipv4)
{
    struct addr a = parse_ok("::ffff:192.0.2.1");
    assert_bytes(&a, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, 16);
    a = parse_ok("64:ff9b::198.51.100.7");
    assert_bytes(
        &a, (const uint8_t[]){0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 198, 51, 100, 7}, 16);
    a = parse_ok("1:2:3:4:5:6:10.20.30.40");
    cr_assert_eq(a.b[11], 6);
    assert_bytes(&a, (const uint8_t[]){0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 10, 20, 30, 40}, 16);
}

Test(addr, brackets)
{
    struct addr a = parse_ok("[2001:db8::1]");
    cr_assert_eq(a.family, 6);
    cr_assert_eq(a.b[15], 1);
    assert_reject("[2001:db8::1");
    assert_reject("2001:db8::1]");
    assert_reject("[]");
    assert_reject("[[::1]]");
    assert_reject("[2001:db8::1]:5060");
}

Test(addr, ipv6_rejects_garbage)
{
    const char *bad[] = {
        ":",
        ":::",
        "1:::2",
        "::1::",
        "1::2::3",
        ":1::",
        "1:",
        "1:2:3:4:5:6:7",     /* 7 groups, no :: */
        "1:2:3:4:5:6:7:8:9", /* 9 groups */
        "1:2:3:4:5:6:7::8",  /* :: must stand for at least one group */
        "1::2:3:4:5:6:7:8",
        "12345::", /* 5 hex digits */
        "g::1",
        "::ffff:1.2.3", /* short dotted quad */
        "::ffff:1.2.3.256",
        "::1.2.3.4:5",           /* dotted quad not last */
        "1:2:3:4:5:6:7:1.2.3.4", /* 9 groups' worth */
        "1:2:3:4:5:6::1.2.3.4",  /* :: standing for nothing */
        "fe80::1%eth0",          /* zone ids are not addresses on the wire */
        "2001:db8::1 x",
        "0000:0000:0000:0000:0000:0000:0000:00000000001", /* 47 characters: longer than any */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_reject(bad[i]);
}

/* RFC 5952 §4: lower case, no leading zeros; the longest zero run (first if tied, >= 2) is "::". */
Test(addr, format_rfc5952_compression)
{
    assert_format("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    assert_format("2001:DB8::A", "2001:db8::a");
    assert_format("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");    /* tie: first run */
    assert_format("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");          /* longest run */
    assert_format("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* single zero kept */
    assert_format("2001:db8:1:2:3:4:5:0", "2001:db8:1:2:3:4:5:0");
    assert_format("0:0:0:0:0:0:0:0", "::");
    assert_format("0:0:0:0:0:0:0:1", "::1");
    assert_format("1:0:0:0:0:0:0:0", "1::");
    assert_format("fe80:0:0:0:0:0:0:1", "fe80::1");
    assert_format("2001:db8:10::a", "2001:db8:10::a");
    assert_format("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/*
 * RFC 5952 §5: IPv4-mapped and IPv4-compatible addresses end in dotted
 * decimal. The expected strings are what tshark 4.0.17 (glibc inet_ntop)
 * prints for the same 16 bytes.
 */
Test(addr, format_embedded_ipv4_like_tshark)
{
    assert_format("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    assert_format("::ffff:c000:201", "::ffff:192.0.2.1");
    assert_format("::ffff:0:0", "::ffff:0.0.0.0");
    assert_format("::1.2.3.4", "::1.2.3.4");
    assert_format("::0.0.1.2", "::102"); /* seven zero groups: plain hex */
    assert_format("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    assert_format("::1", "::1");
    assert_format("0:0:0:0:1:ffff:102:304", "::1:ffff:102:304");
}

Test(addr, format_ipv4_and_none)
{
    char buf[ADDR_STR_MAX];
    struct addr a = parse_ok("192.0.2.80");
    cr_assert_str_eq(addr_format(&a, buf, sizeof buf), "192.0.2.80");
    struct addr none = {0};
    cr_assert_str_eq(addr_format(&none, buf, sizeof buf), "-");
}

Test(addr, roundtrip_canonical_forms)
{
    const char *forms[] = {"1.2.3.4",
                           "0.0.0.0",
                           "10.0.0.1",
                           "::",
                           "::1",
                           "2001:db8::a",
                           "2001:db8:20::b",
                           "fd00:1:2:3:4:5:6:7",
                           "::ffff:127.0.0.1",
                           "2001:db8::1:0:0:1"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        assert_format(forms[i], forms[i]);
}

Test(addr, endpoint_format)
{
    char buf[ADDR_STR_MAX];
    struct endpoint e = {.ip = parse_ok("127.0.1.1"), .port = 5060};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "127.0.1.1:5060");
    e = (struct endpoint){.ip = parse_ok("2001:db8:10::a"), .port = 20062};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "[2001:db8:10::a]:20062");
    e = (struct endpoint){.ip = parse_ok("::ffff:192.0.2.1"), .port = 0};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "[::ffff:192.0.2.1]:0");
}

/* ADDR_STR_MAX is enough for the longest endpoint text. */
Test(addr, endpoint_format_longest_fits)
{
    char buf[ADDR_STR_MAX];
    struct endpoint e = {.ip = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .port = 65535};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf),
                     "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    e.ip = parse_ok("::ffff:255.255.255.255");
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "[::ffff:255.255.255.255]:65535");
    e.ip = parse_ok("255.255.255.255");
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "255.255.255.255:65535");
}

/* IPv4 is formatted by hand: every octet width, port 0, and a buffer below ADDR_STR_MAX. */
Test(addr, endpoint_format_ipv4_by_hand)
{
    char buf[ADDR_STR_MAX];
    struct endpoint e = {.ip = parse_ok("0.0.0.0"), .port = 0};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "0.0.0.0:0");
    e = (struct endpoint){.ip = parse_ok("10.99.100.255"), .port = 9};
    cr_assert_str_eq(endpoint_format(&e, buf, sizeof buf), "10.99.100.255:9");
    cr_assert_str_eq(addr_format(&e.ip, buf, sizeof buf), "10.99.100.255");
    char small[8];
    cr_assert_str_eq(endpoint_format(&e, small, sizeof small), "10.99.1");
    cr_assert_str_eq(addr_format(&e.ip, small, sizeof small), "10.99.1");
}

Test(addr, private_ranges)
{
    const char *priv[] = {"10.0.0.1",     "10.255.255.255", "172.16.0.1",      "172.31.255.255",
                          "192.168.1.10", "100.64.0.1",     "100.127.255.255", "169.254.1.1",
                          "fc00::1",      "fd12:3456::1",   "fe80::1",         "febf::ffff"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        struct addr a = parse_ok(priv[i]);
        cr_assert(addr_is_private(&a), "%s should be private", priv[i]);
    }
    const char *pub[] = {
        "8.8.8.8",        "172.15.255.255", "172.32.0.0", "192.169.0.1", "192.0.2.1",
        "100.63.255.255", "100.128.0.0",    "11.0.0.1",   "127.0.0.1",   "169.253.1.1",
        "2001:db8::1",    "fec0::1",        "fb00::1",    "::1",         "::"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        struct addr a = parse_ok(pub[i]);
        cr_assert(!addr_is_private(&a), "%s should not be private", pub[i]);
    }
    struct addr none = {0};
    cr_assert(!addr_is_private(&none));
}

Test(addr, unspecified)
{
    struct addr a = parse_ok("0.0.0.0");
    cr_assert(addr_is_unspecified(&a));
    a = parse_ok("::");
    cr_assert(addr_is_unspecified(&a));
    a = parse_ok("0:0:0:0:0:0:0:0");
    cr_assert(addr_is_unspecified(&a));
    const char *no[] = {"0.0.0.1", "1.0.0.0", "::1", "1::", "::ffff:0.0.0.0"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        a = parse_ok(no[i]);
        cr_assert(!addr_is_unspecified(&a), "%s", no[i]);
    }
    struct addr none = {0};
    cr_assert(!addr_is_unspecified(&none), "family 0 is 'no address', not 0.0.0.0");
}

Test(addr, equality_and_hash)
{
    struct addr v4 = parse_ok("192.0.2.1");
    struct addr v6 = parse_ok("::ffff:192.0.2.1");
    struct addr v4b = parse_ok("192.0.2.1");
    cr_assert(addr_eq(&v4, &v4b));
    cr_assert(!addr_eq(&v4, &v6), "a v4 address and its v4-mapped v6 form differ in family");
    struct endpoint a = {v4, 5060}, b = {v4b, 5060}, c = {v4, 5061};
    cr_assert(endpoint_eq(&a, &b));
    cr_assert(!endpoint_eq(&a, &c));
    cr_assert_eq(endpoint_hash(&a, 0), endpoint_hash(&b, 0));
    cr_assert_neq(endpoint_hash(&a, 0), endpoint_hash(&c, 0));
}

/* The hand-written IPv4 formatter against snprintf, for every value of every octet. */
Test(addr, v4_format_every_octet_value)
{
    char buf[ADDR_STR_MAX], want[ADDR_STR_MAX];
    for (unsigned v = 0; v < 256; v++) {
        struct addr a = {.family = 4, .b = {(uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v / 2), 7}};
        snprintf(want, sizeof want, "%u.%u.%u.%u", a.b[0], a.b[1], a.b[2], a.b[3]);
        cr_assert_str_eq(addr_format(&a, buf, sizeof buf), want);
    }
}

/*
 * Against the C library (inet_ntop, inet_pton), which tshark prints with: every
 * pattern of zero and non-zero words (256), each with a few word values, and
 * the IPv4-mapped and -compatible forms among them. The text must be
 * inet_ntop's, and both parsers must read it back to the same 16 bytes.
 */
Test(addr, ipv6_every_zero_pattern_like_inet_ntop)
{
    static const uint16_t values[] = {1, 0xffff, 0xabc, 0x100};
    char got[ADDR_STR_MAX], want[INET6_ADDRSTRLEN];
    for (unsigned mask = 0; mask < 256; mask++) {
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            for (int mapped = 0; mapped < 2; mapped++) {
                struct addr a = {.family = 6};
                for (int k = 0; k < 8; k++) {
                    uint16_t w = (mask >> k) & 1 ? (uint16_t)(values[v] + k * 0x1111) : 0;
                    if (mapped && k == 5)
                        w = 0xffff; /* ::ffff:a.b.c.d when the first five are zero */
                    a.b[2 * k] = (uint8_t)(w >> 8);
                    a.b[2 * k + 1] = (uint8_t)w;
                }
                cr_assert_not_null(inet_ntop(AF_INET6, a.b, want, sizeof want));
                addr_format(&a, got, sizeof got);
                cr_assert_str_eq(got, want, "words mask %02x value %zu mapped %d", mask, v, mapped);
                struct addr back;
                cr_assert(addr_parse(sv_make(got, strlen(got)), &back), "%s", got);
                cr_assert(addr_eq(&a, &back), "%s read back", got);
                uint8_t lib[16];
                cr_assert_eq(inet_pton(AF_INET6, got, lib), 1, "%s", got);
                cr_assert_eq(memcmp(lib, a.b, 16), 0, "%s", got);
            }
        }
    }
}

/*
 * IPv4 octets written with leading zeros ("010.001.002.003", seen from sloppy
 * SDP writers) read as decimal, 10.1.2.3: inet_pton refuses them and inet_aton
 * would read them as octal, but a passive sensor keeps the call's media
 * matched to the address the writer most likely meant.
 */
Test(addr, ipv4_leading_zeros_read_as_decimal)
{
    struct addr a = parse_ok("010.001.002.003");
    assert_bytes(&a, (const uint8_t[]){10, 1, 2, 3}, 4);
    a = parse_ok("::ffff:010.0.0.09");
    assert_bytes(&a, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9}, 16);
}

/* A dotted quad with a leading zero in some octet ("1.02.3.4"): the one text read differently. */
static bool has_leading_zero_octet(const char *s)
{
    for (size_t i = 0; s[i]; i++)
        if (s[i] == '0' && (i == 0 || s[i - 1] == '.' || s[i - 1] == ':') && s[i + 1] >= '0' &&
            s[i + 1] <= '9')
            return true;
    return false;
}

/*
 * Against inet_pton on a million random texts of address characters: the same
 * verdict and the same bytes, but for the leading zeros above.
 */
Test(addr, parse_like_inet_pton_on_random_text)
{
    static const char alphabet[] = "0123456789abcdefABCDEF:.::..";
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int it = 0; it < 1000000; it++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        char s[48];
        size_t n = 0;
        uint64_t y = x;
        if (it & 1) { /* a dotted quad (or three or five parts), octets up to 299 */
            int parts = 3 + (int)(x % 3);
            for (int k = 0; k < parts; k++) {
                y = y * 6364136223846793005ull + 1442695040888963407ull;
                n += (size_t)snprintf(s + n, sizeof s - n, "%s%u", k ? "." : "",
                                      (unsigned)(y >> 33) % 300);
            }
        } else {
            n = 1 + x % 40;
            for (size_t i = 0; i < n; i++) {
                y = y * 6364136223846793005ull + 1442695040888963407ull;
                s[i] = alphabet[(y >> 33) % (sizeof alphabet - 1)];
            }
            s[n] = '\0';
        }
        struct addr a;
        bool ours = addr_parse(sv_make(s, n), &a);
        uint8_t b6[16], b4[4];
        bool lib6 = inet_pton(AF_INET6, s, b6) == 1, lib4 = inet_pton(AF_INET, s, b4) == 1;
        if (ours && !lib6 && !lib4 && has_leading_zero_octet(s))
            continue;
        cr_assert_eq(ours, lib6 || lib4, "'%s': ours %d, inet_pton %d", s, ours, lib6 || lib4);
        if (lib6)
            cr_assert(a.family == 6 && memcmp(a.b, b6, 16) == 0, "'%s'", s);
        if (lib4)
            cr_assert(a.family == 4 && memcmp(a.b, b4, 4) == 0, "'%s'", s);
    }
}
