/* test_lines.c: suite for the line splitter and header unfolding (RFC 3261 §7.3.1). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/lines.h"

static bool sv_is(struct sv v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

static void init_str(struct lines *ln, const char *s, bool complete)
{
    lines_init(ln, s, strlen(s), complete);
}

Test(lines, crlf_lines_and_blank_line)
{
    struct lines ln;
    struct sv l;
    const char *s = "INVITE sip:bob@example.net SIP/2.0\r\nMax-Forwards: 70\r\n\r\nv=0\r\n";
    init_str(&ln, s, true);
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "INVITE sip:bob@example.net SIP/2.0"));
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "Max-Forwards: 70"));
    cr_assert_eq(lines_next(&ln, &l), LINES_BLANK);
    cr_assert_eq(l.len, 0);
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "v=0"));
    cr_assert_eq(lines_next(&ln, &l), LINES_END);
    cr_assert_eq(ln.flags, 0, "no bare LF, no fold");
}

Test(lines, bare_lf_is_a_line_end_and_flagged)
{
    struct lines ln;
    struct sv l;
    init_str(&ln, "a\nb\r\n\n", true);
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "a"));
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "b"));
    cr_assert_eq(lines_next(&ln, &l), LINES_BLANK);
    cr_assert_eq(lines_next(&ln, &l), LINES_END);
    cr_assert(ln.flags & LINES_BARE_LF);
}

Test(lines, lone_cr_is_an_ordinary_byte)
{
    struct lines ln;
    struct sv l;
    init_str(&ln, "a\rb\r\n", true);
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "a\rb"));
}

Test(lines, unterminated_last_line_is_partial)
{
    struct lines ln;
    struct sv l;
    init_str(&ln, "one\r\ntwo\r", true);
    cr_assert_eq(lines_next(&ln, &l), LINES_LINE);
    cr_assert_eq(lines_next(&ln, &l), LINES_PARTIAL);
    cr_assert(sv_is(l, "two"), "trailing CR of a split CRLF dropped");
    cr_assert_eq(lines_left(&ln), 0);
    cr_assert_eq(lines_next(&ln, &l), LINES_END);
}

Test(lines, empty_and_null_ranges_end_at_once)
{
    struct lines ln;
    struct sv l;
    lines_init(&ln, "", 0, true);
    cr_assert_eq(lines_next(&ln, &l), LINES_END);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_END);
    lines_init(&ln, NULL, 5, false);
    cr_assert_eq(lines_next(&ln, &l), LINES_END);
}

Test(lines, nul_bytes_do_not_end_a_line)
{
    /* "User-Agent: evil<NUL>phone<NUL>/1.0" as in edge-captures/sip-nul-bytes.pcap */
    static const char s[] = "User-Agent: evil\0phone\0/1.0\r\nX: y\r\n";
    struct lines ln;
    struct sv l;
    lines_init(&ln, s, sizeof s - 1, true);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert_eq(l.len, 27);
    cr_assert_eq(memcmp(l.p, "User-Agent: evil\0phone\0/1.0", 27), 0);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "X: y"));
}

Test(lines, folded_header_spans_continuation_lines)
{
    /* From edge-captures/sip-folded-headers.pcap: Via folded before its parameters, CSeq method
     * folded. */
    const char *s = "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n ;branch=z9hG4bK-51-inv;rport\r\n"
                    "CSeq: 1\r\n   INVITE\r\nCall-ID:\r\n\tedge-51@192.0.2.10\r\n\r\nbody";
    struct lines ln;
    struct sv l;
    init_str(&ln, s, true);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n ;branch=z9hG4bK-51-inv;rport"));
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "CSeq: 1\r\n   INVITE"));
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "Call-ID:\r\n\tedge-51@192.0.2.10"));
    cr_assert_eq(lines_next_header(&ln, &l), LINES_BLANK);
    cr_assert(ln.flags & LINES_FOLDED);
    cr_assert_eq(lines_left(&ln), 4, "positioned at the body");
}

Test(lines, terminated_line_at_end_of_stream_is_partial)
{
    /* A stream may still deliver " continued" after the CRLF: undecided. */
    struct lines ln;
    struct sv l;
    init_str(&ln, "Subject: a\r\n", false);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_PARTIAL);
    cr_assert(sv_is(l, "Subject: a"), "what there is, without the CRLF");
    init_str(&ln, "Subject: a\r\n", true);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "Subject: a"));
    init_str(&ln, "Subject: a\r\nX", false);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE, "next byte known: no fold");
}

Test(lines, blank_line_with_bare_lf_after_crlf_lines)
{
    struct lines ln;
    struct sv l;
    init_str(&ln, "A: 1\nB: 2\n\nrest", true);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert(sv_is(l, "A: 1"));
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_BLANK);
    cr_assert(ln.flags & LINES_BARE_LF);
    cr_assert_eq(lines_left(&ln), 4);
}

Test(lines, split_header_allows_space_before_colon)
{
    struct sv name, value;
    cr_assert(lines_split_header(SV_LIT("CONTENT-length   :   202"), &name, &value));
    cr_assert(sv_is(name, "CONTENT-length"));
    cr_assert(sv_is(value, "202"));
    cr_assert(lines_split_header(SV_LIT("i:edge-50@192.0.2.10"), &name, &value));
    cr_assert(sv_is(name, "i"));
    cr_assert(sv_is(value, "edge-50@192.0.2.10"));
    cr_assert(lines_split_header(SV_LIT("To:\r\n <sip:bob@example.net>"), &name, &value));
    cr_assert(sv_is(value, "<sip:bob@example.net>"), "fold before the value trimmed");
    cr_assert(lines_split_header(SV_LIT("Supported:"), &name, &value));
    cr_assert_eq(value.len, 0);
}

/* The key is the name folded to lower case, cut at key_cap and zero-padded; no key with cap 0. */
Test(lines, split_header_key_folds_the_name)
{
    struct sv name, value;
    char key[8];
    memset(key, 'x', sizeof key);
    cr_assert(lines_split_header_key(SV_LIT("CaLl-Id : a@b"), &name, &value, key, sizeof key));
    cr_assert(sv_is(name, "CaLl-Id"));
    cr_assert(sv_is(value, "a@b"));
    cr_assert_eq(memcmp(key, "call-id\0", 8), 0);
    cr_assert(lines_split_header_key(SV_LIT("X-Longer-Name: 1"), &name, &value, key, sizeof key));
    cr_assert_eq(name.len, 13);
    cr_assert_eq(memcmp(key, "x-longer", 8), 0, "cut at the cap");
    cr_assert(lines_split_header_key(SV_LIT("v: 1"), &name, &value, NULL, 0));
    cr_assert_not(
        lines_split_header_key(SV_LIT("Content Length: 5"), &name, &value, key, sizeof key));
}

Test(lines, split_header_rejects_non_headers)
{
    struct sv name = SV_NULL, value = SV_NULL;
    cr_assert_not(lines_split_header(SV_LIT("no colon here"), &name, &value));
    cr_assert_not(lines_split_header(SV_LIT(": empty name"), &name, &value));
    cr_assert_not(lines_split_header(SV_LIT("Content Length: 5"), &name, &value));
    cr_assert_not(lines_split_header(sv_make("\0\0", 2), &name, &value));
    cr_assert_not(lines_split_header(SV_LIT(" leading: space"), &name, &value));
    cr_assert_null(name.p, "outputs untouched on failure");
}

Test(lines, unfold_replaces_folds_with_one_space)
{
    char buf[64];
    bool cut = true;
    size_t n = lines_unfold(SV_LIT("\"Alice\r\n\t Caller\"\r\n <sip:alice@example.com>"), buf,
                            sizeof buf, &cut);
    cr_assert_str_eq(buf, "\"Alice Caller\" <sip:alice@example.com>");
    cr_assert_eq(n, strlen(buf));
    cr_assert_not(cut);
    lines_unfold(SV_LIT("  a  b\t c  "), buf, sizeof buf, NULL);
    cr_assert_str_eq(buf, "a  b\t c", "whitespace without a line break kept as written");
}

Test(lines, unfold_truncates_and_says_so)
{
    char buf[6];
    bool cut = false;
    size_t n = lines_unfold(SV_LIT("edge case\r\n\tcontinued"), buf, sizeof buf, &cut);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(buf, "edge ");
    cr_assert(cut);
    cr_assert_eq(lines_unfold(SV_LIT("x"), buf, 0, &cut), 0);
    cr_assert(cut);
}

Test(lines, many_lines_walk_is_bounded_and_exact)
{
    /* 20000 one-byte lines: every call consumes one line, the count is exact. */
    static char buf[40000];
    for (size_t i = 0; i < 20000; i++) {
        buf[2 * i] = 'x';
        buf[2 * i + 1] = '\n';
    }
    struct lines ln;
    struct sv l;
    size_t n = 0;
    lines_init(&ln, buf, sizeof buf, true);
    while (lines_next(&ln, &l) != LINES_END)
        n++;
    cr_assert_eq(n, 20000);
}

Test(lines, header_of_only_folds_is_one_line)
{
    /* A hostile header of 5000 continuation lines is still one logical line. */
    static char buf[4 + 5000 * 3 + 4];
    size_t o = 0;
    memcpy(buf, "X: a", 4);
    o = 4;
    for (int i = 0; i < 5000; i++) {
        memcpy(buf + o, "\n b", 3);
        o += 3;
    }
    memcpy(buf + o, "\r\n\r\n", 4);
    o += 4;
    struct lines ln;
    struct sv l;
    lines_init(&ln, buf, o, true);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_LINE);
    cr_assert_eq(l.len, o - 4);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_BLANK);
    cr_assert_eq(lines_next_header(&ln, &l), LINES_END);
}

Test(lines, token_chars)
{
    const char *ok = "abcXYZ019-.!%*_+`'~";
    for (const char *p = ok; *p; p++)
        cr_assert(lines_is_token_char(*p), "'%c' is a token char", *p);
    const char *bad = " \t:;,<>\"/()[]{}=@?\\\r\n";
    for (const char *p = bad; *p; p++)
        cr_assert_not(lines_is_token_char(*p), "'%c' is not a token char", *p);
    cr_assert_not(lines_is_token_char('\0'));
    cr_assert_not(lines_is_token_char((char)0xc3));
}

Test(lines, token_bitmap_matches_the_grammar_for_every_byte)
{
    for (int b = 0; b < 256; b++) {
        bool want = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                    (b != 0 && memchr("-.!%*_+`'~", b, 10) != NULL);
        cr_assert_eq(lines_is_token_char((char)b), want, "byte 0x%02x", b);
    }
}

/* The folding table agrees with the bitmap and with sv_lower for every byte. */
Test(lines, token_lower_table_for_every_byte)
{
    for (int b = 0; b < 256; b++) {
        char want = lines_is_token_char((char)b) ? sv_lower((char)b) : 0;
        cr_assert_eq(lines_token_lower((char)b), want, "byte 0x%02x", b);
    }
}

/* sv_hash (sv.h) reads words at any alignment: the same bytes hash the same wherever they
 * are, and a change in any byte, in a whole word or in the tail, or a different split of
 * chained views, gives another hash. */
Test(sv, hash_by_content_at_any_alignment)
{
    static const char id[] = "a84b4c76e66710@pc33.atlanta.example.com"; /* 39 bytes */
    char buf[64 + sizeof id];
    uint64_t want = sv_hash(sv_make(id, sizeof id - 1), 0);
    for (size_t off = 0; off < 16; off++) {
        memcpy(buf + off, id, sizeof id);
        cr_assert_eq(sv_hash(sv_make(buf + off, sizeof id - 1), 0), want, "offset %zu", off);
    }
    for (size_t len = 0; len <= sizeof id - 1; len++) {
        uint64_t h = sv_hash(sv_make(id, len), 0);
        for (size_t k = 0; k < len; k++) {
            memcpy(buf, id, len);
            buf[k] ^= 0x01;
            cr_assert_neq(sv_hash(sv_make(buf, len), 0), h, "length %zu, byte %zu", len, k);
        }
        if (len)
            cr_assert_neq(sv_hash(sv_make(id, len - 1), 0), h, "length %zu vs one less", len);
    }
    uint64_t ab_c = sv_hash(sv_make("c", 1), sv_hash(sv_make("ab", 2), 0));
    uint64_t a_bc = sv_hash(sv_make("bc", 2), sv_hash(sv_make("a", 1), 0));
    cr_assert_neq(ab_c, a_bc);
    cr_assert_neq(sv_hash(sv_make("x", 1), 7), sv_hash(sv_make("x", 1), 8), "the seed counts");
}

/* sv_is_lws is a bit test: exactly SP, HTAB, CR and LF of all 256 byte values. */
Test(sv, lws_is_exactly_sp_htab_cr_lf)
{
    for (int b = 0; b < 256; b++) {
        bool want = b == ' ' || b == '\t' || b == '\r' || b == '\n';
        cr_assert_eq(sv_is_lws((char)b), want, "byte 0x%02x", b);
    }
}

/*
 * The LF search takes sixteen bytes at a time, then single bytes: an LF at
 * every position of ranges of every length around those steps is found, and
 * a range without one is returned whole. Each range is its own allocation of
 * exactly its length, so a read past it is caught under AddressSanitizer.
 */
Test(lines, lf_found_at_every_position_of_every_length)
{
    for (size_t n = 1; n <= 80; n++) {
        for (size_t k = 0; k <= n; k++) { /* k == n: no LF at all */
            char *buf = malloc(n);
            cr_assert_not_null(buf);
            memset(buf, 'x', n);
            if (k < n)
                buf[k] = '\n';
            struct lines ln;
            struct sv l;
            lines_init(&ln, buf, n, true);
            enum lines_result r = lines_next(&ln, &l);
            if (k == n) {
                cr_assert_eq(r, LINES_PARTIAL, "n=%zu: no LF", n);
                cr_assert_eq(l.len, n);
            } else {
                cr_assert_eq(r, k ? LINES_LINE : LINES_BLANK, "n=%zu k=%zu", n, k);
                cr_assert_eq(l.len, k, "n=%zu k=%zu", n, k);
                cr_assert_eq(ln.p, buf + k + 1, "n=%zu k=%zu", n, k);
            }
            /* the same through the header reader */
            lines_init(&ln, buf, n, true);
            r = lines_next_header(&ln, &l);
            cr_assert_eq(r,
                         k == n ? LINES_PARTIAL
                         : k    ? LINES_LINE
                                : LINES_BLANK,
                         "header: n=%zu k=%zu", n, k);
            cr_assert_eq(l.len, k, "header: n=%zu k=%zu", n, k);
            free(buf);
        }
    }
}
