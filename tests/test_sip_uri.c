/* test_sip_uri.c: suite for name-addr, URI parts, AOR and params (RFC 3261 §19.1, §20.10). */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/sip_uri.h"

static bool sv_is(struct sv v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

static struct sv S(const char *s) {
    return sv_make(s, strlen(s));
}

Test(sip_uri, nameaddr_quoted_display_and_tag)
{
    struct sip_nameaddr na;
    cr_assert(sip_nameaddr_parse(S("\"alice\" <sip:alice@atlanta.example.com>;tag=22066a1"), &na));
    cr_assert(sv_is(na.display, "alice"));
    cr_assert(sv_is(na.uri, "sip:alice@atlanta.example.com"));
    cr_assert(sv_is(na.params, ";tag=22066a1"));
}

Test(sip_uri, nameaddr_quoted_display_with_specials_escapes_and_folds)
{
    struct sip_nameaddr na;
    /* '<', ';' and an escaped quote inside the display name must not end it. */
    cr_assert(sip_nameaddr_parse(S("\"Bob \\\"<x>\\\"; Smith\" <sip:bob@example.net>;tag=9"), &na));
    cr_assert(sv_is(na.display, "Bob \\\"<x>\\\"; Smith"));
    cr_assert(sv_is(na.uri, "sip:bob@example.net"));
    cr_assert(sv_is(na.params, ";tag=9"));
    /* edge-captures/sip-folded-headers.pcap: fold inside the display name and before the URI. */
    cr_assert(sip_nameaddr_parse(
        S("\"Alice\r\n\t Caller\"\r\n <sip:alice51@example.com>;tag=ft51-a81"), &na));
    cr_assert(sv_is(na.display, "Alice\r\n\t Caller"));
    cr_assert(sv_is(na.uri, "sip:alice51@example.com"));
    cr_assert(sv_is(na.params, ";tag=ft51-a81"));
}

Test(sip_uri, nameaddr_token_display_and_no_display)
{
    struct sip_nameaddr na;
    cr_assert(sip_nameaddr_parse(S("Bob Smith <sip:bob@biloxi.example.com>"), &na));
    cr_assert(sv_is(na.display, "Bob Smith"));
    cr_assert(sv_is(na.uri, "sip:bob@biloxi.example.com"));
    cr_assert_eq(na.params.len, 0);
    cr_assert(sip_nameaddr_parse(S("<sip:bob@198.51.100.20>;tag=99268e7cd85cfe85"), &na));
    cr_assert_eq(na.display.len, 0);
    cr_assert(sv_is(na.uri, "sip:bob@198.51.100.20"));
}

Test(sip_uri, tag_inside_angle_brackets_is_a_uri_param)
{
    struct sip_nameaddr na;
    struct sv tag;
    cr_assert(sip_nameaddr_parse(S("<sip:bob@example.net;tag=evil>"), &na));
    cr_assert(sv_is(na.uri, "sip:bob@example.net;tag=evil"));
    cr_assert_not(sip_param(na.params, "tag", &tag));
    cr_assert(sip_nameaddr_parse(S("<sip:bob@example.net;tag=evil>;tag=real"), &na));
    cr_assert(sip_param(na.params, "tag", &tag));
    cr_assert(sv_is(tag, "real"));
}

Test(sip_uri, addr_spec_params_are_header_params)
{
    /* RFC 3261 §20.10: without <>, everything after ';' belongs to the header. */
    struct sip_nameaddr na;
    struct sv tag;
    cr_assert(sip_nameaddr_parse(S("sip:alice@example.com;tag=abc;user=phone"), &na));
    cr_assert(sv_is(na.uri, "sip:alice@example.com"));
    cr_assert(sv_is(na.params, ";tag=abc;user=phone"));
    cr_assert(sip_param(na.params, "tag", &tag));
    cr_assert(sv_is(tag, "abc"));
    cr_assert(sip_nameaddr_parse(S("  sip:carol@example.org  "), &na));
    cr_assert(sv_is(na.uri, "sip:carol@example.org"));
    cr_assert_eq(na.params.len, 0);
}

Test(sip_uri, nameaddr_first_of_several_values)
{
    struct sip_nameaddr na;
    cr_assert(sip_nameaddr_parse(S("<sip:a@x>;q=0.7, \"B, Jr\" <sip:b@y>;q=0.3"), &na));
    cr_assert(sv_is(na.uri, "sip:a@x"));
    cr_assert(sv_is(na.params, ";q=0.7"));
    cr_assert(sip_nameaddr_parse(S("sip:a@x;expires=60, sip:b@y"), &na));
    cr_assert(sv_is(na.uri, "sip:a@x"));
    cr_assert(sv_is(na.params, ";expires=60"));
}

Test(sip_uri, nameaddr_rejects_values_without_uri)
{
    struct sip_nameaddr na;
    cr_assert_not(sip_nameaddr_parse(S("*"), &na));
    cr_assert_not(sip_nameaddr_parse(S(""), &na));
    cr_assert_not(sip_nameaddr_parse(S("   \r\n "), &na));
    cr_assert_not(sip_nameaddr_parse(S("\"unterminated <sip:a@b>"), &na));
    cr_assert_not(sip_nameaddr_parse(S("\"Bob\" sip:bob@x"), &na), "quoted display needs <>");
    cr_assert_not(sip_nameaddr_parse(S("<sip:bob@x"), &na), "no closing >");
    cr_assert_not(sip_nameaddr_parse(S("<>;tag=1"), &na));
    cr_assert_not(sip_nameaddr_parse(S("bob;tag=1"), &na));
    cr_assert_not(sip_nameaddr_parse(sv_make(NULL, 0), &na));
}

Test(sip_uri, uri_parts)
{
    struct sip_uri u;
    cr_assert(sip_uri_parse(S("sip:alice@127.0.1.1:5060;transport=UDP"), &u));
    cr_assert(sv_is(u.scheme, "sip"));
    cr_assert(sv_is(u.user, "alice"));
    cr_assert(sv_is(u.host, "127.0.1.1"));
    cr_assert_eq(u.port, 5060);
    cr_assert(sv_is(u.params, ";transport=UDP"));
    cr_assert(sip_uri_parse(S("sips:bob:secret@Biloxi.Example.COM?Subject=x"), &u));
    cr_assert(sv_is(u.scheme, "sips"));
    cr_assert(sv_is(u.user, "bob"), "password dropped");
    cr_assert(sv_is(u.host, "Biloxi.Example.COM"));
    cr_assert_eq(u.port, 0);
    cr_assert_eq(u.params.len, 0);
    cr_assert(sip_uri_parse(S("sip:example.com"), &u));
    cr_assert_eq(u.user.len, 0);
    cr_assert(sv_is(u.host, "example.com"));
}

Test(sip_uri, uri_ipv6_literal)
{
    struct sip_uri u;
    cr_assert(sip_uri_parse(S("sip:bob@[2001:db8::1]:5070;transport=tcp"), &u));
    cr_assert(sv_is(u.host, "2001:db8::1"));
    cr_assert_eq(u.port, 5070);
    cr_assert(sv_is(u.params, ";transport=tcp"));
    cr_assert(sip_uri_parse(S("sip:[2001:db8::20]"), &u));
    cr_assert(sv_is(u.host, "2001:db8::20"));
    cr_assert_eq(u.port, 0);
    cr_assert_not(sip_uri_parse(S("sip:bob@[2001:db8::1"), &u), "unclosed [");
    cr_assert_not(sip_uri_parse(S("sip:bob@[]"), &u));
    cr_assert_not(sip_uri_parse(S("sip:bob@[::1]junk"), &u));
}

Test(sip_uri, uri_user_with_phone_context)
{
    struct sip_uri u;
    cr_assert(
        sip_uri_parse(S("sip:+1-212-555-1212;phone-context=x@gw.example.com;user=phone"), &u));
    cr_assert(sv_is(u.user, "+1-212-555-1212;phone-context=x"));
    cr_assert(sv_is(u.host, "gw.example.com"));
    cr_assert(sv_is(u.params, ";user=phone"));
}

Test(sip_uri, uri_rejects_bad_input)
{
    struct sip_uri u;
    cr_assert_not(sip_uri_parse(S("alice@example.com"), &u), "no scheme");
    cr_assert_not(sip_uri_parse(S(":alice@example.com"), &u));
    cr_assert_not(sip_uri_parse(S("sip:alice@"), &u), "no host");
    cr_assert_not(sip_uri_parse(S("sip:"), &u));
    cr_assert_not(sip_uri_parse(S("sip:alice@host:99999"), &u), "port overflow");
    cr_assert_not(sip_uri_parse(S("sip:alice@host:5x"), &u));
    cr_assert_not(sip_uri_parse(S("sip:alice@host:"), &u));
    cr_assert_not(sip_uri_parse(S("1sip:a@b"), &u), "scheme starts with a letter");
    cr_assert_not(sip_uri_parse(S("si p:a@b"), &u));
}

Test(sip_uri, tel_uri)
{
    struct sip_uri u;
    cr_assert(sip_uri_parse(S("tel:+1-201-555-0123;phone-context=example.com"), &u));
    cr_assert(sv_is(u.scheme, "tel"));
    cr_assert(sv_is(u.user, "+1-201-555-0123"));
    cr_assert_eq(u.host.len, 0);
    cr_assert(sv_is(u.params, ";phone-context=example.com"));
    cr_assert_not(sip_uri_parse(S("tel:;x=1"), &u));
}

Test(sip_uri, aor_is_scheme_user_host)
{
    char aor[64];
    cr_assert(sip_uri_aor(S("sip:alice@atlanta.example.com"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sip:alice@atlanta.example.com");
    cr_assert(sip_uri_aor(S("sip:alice@127.0.1.1:5060;transport=UDP"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sip:alice@127.0.1.1", "no port, no params");
    cr_assert(sip_uri_aor(S("SIP:Bob@Biloxi.Example.COM"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sip:Bob@Biloxi.Example.COM",
                     "scheme lower-cased, user and host as written");
    cr_assert(sip_uri_aor(S("sips:example.com"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sips:example.com");
}

Test(sip_uri, aor_tel_and_ipv6)
{
    char aor[64];
    cr_assert(sip_uri_aor(S("tel:+123"), aor, sizeof aor));
    cr_assert_str_eq(aor, "tel:+123");
    cr_assert(sip_uri_aor(S("TEL:+123;phone-context=x"), aor, sizeof aor));
    cr_assert_str_eq(aor, "tel:+123");
    cr_assert(sip_uri_aor(S("sip:bob@[2001:db8::1]:5060"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sip:bob@[2001:db8::1]");
}

Test(sip_uri, aor_truncation_and_garbage)
{
    char aor[12];
    cr_assert_not(sip_uri_aor(S("sip:alice@atlanta.example.com"), aor, sizeof aor));
    cr_assert_str_eq(aor, "sip:alice@a", "what fits, NUL-terminated");
    cr_assert_not(sip_uri_aor(S("not a uri"), aor, sizeof aor));
    cr_assert_str_eq(aor, "not a uri", "raw value on failure");
    cr_assert_not(sip_uri_aor(S("sip:x@y"), aor, 0));
}

Test(sip_uri, param_lookup_is_case_insensitive)
{
    struct sv v;
    struct sv params = S(";Branch=z9hG4bK-1;rport;TAG=Ab");
    cr_assert(sip_param(params, "branch", &v));
    cr_assert(sv_is(v, "z9hG4bK-1"));
    cr_assert(sip_param(params, "tag", &v));
    cr_assert(sv_is(v, "Ab"), "value case kept");
    cr_assert(sip_param(params, "RPORT", &v));
    cr_assert_eq(v.len, 0, "parameter without a value");
    cr_assert_not(sip_param(params, "received", &v));
    cr_assert_null(v.p);
    cr_assert(sip_param(params, "tag", NULL));
}

Test(sip_uri, param_name_must_match_whole)
{
    struct sv v;
    cr_assert_not(sip_param(S(";xtag=1;tagx=2"), "tag", &v));
    cr_assert(sip_param(S("xtag=1;tag=3"), "tag", &v), "leading ';' optional");
    cr_assert(sv_is(v, "3"));
}

Test(sip_uri, param_lws_quotes_and_comma)
{
    struct sv v;
    cr_assert(sip_param(S(" ; branch = z9hG4bK-51 ;\r\n rport"), "branch", &v));
    cr_assert(sv_is(v, "z9hG4bK-51"));
    cr_assert(sip_param(S(";boundary=\"a;b,c\";x=1"), "boundary", &v));
    cr_assert(sv_is(v, "a;b,c"), "quoted value without quotes, ';' and ',' inside");
    cr_assert(sip_param(S(";boundary=\"a;b,c\";x=1"), "x", &v));
    cr_assert(sv_is(v, "1"));
    cr_assert_not(sip_param(S(";a=1, <sip:b>;tag=2"), "tag", &v), "stops at the next value");
    cr_assert_not(sip_param(S(";q=\"unterminated"), "x", &v));
    cr_assert_not(sip_param(sv_make(NULL, 0), "tag", &v));
}

/* sip_value_end: the first ',' outside quotes, quoted-pairs honoured, from any start. */
Test(sip_uri, value_end_skips_quoted_commas)
{
    struct sv v = SV_LIT("\"a, b\" <sip:x@h>;p=1, <sip:y@h>");
    cr_assert_eq(sip_value_end(v, 0), 20);
    cr_assert_eq(sip_value_end(v, 21), v.len);
    struct sv esc = SV_LIT("\"q\\\", still\" <sip:z@h>, next");
    cr_assert_eq(sip_value_end(esc, 0), 22);
    struct sv open = SV_LIT("\"never closed, x");
    cr_assert_eq(sip_value_end(open, 0), open.len);
    struct sv plain = SV_LIT("SIP/2.0/UDP h;branch=z9hG4bK1,SIP/2.0/UDP g");
    cr_assert_eq(sip_value_end(plain, 0), 29);
    cr_assert_eq(sip_value_end(plain, plain.len), plain.len);
    cr_assert_eq(sip_value_end(SV_NULL, 0), 0);
}
