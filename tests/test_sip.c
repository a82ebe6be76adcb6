/* test_sip.c: suite for the SIP message parser (RFC 3261 §7, §18.3, §20). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/sip.h"

/*
 * The literal messages are modelled on the captures in ../shared (SIPp 3.6.1,
 * baresip and the crafted edge cases); the unit tests never read those files.
 */

static bool sv_is(struct sv v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

static enum status parse(const char *s, bool stream, struct sip_msg *m)
{
    return sip_parse((const uint8_t *)s, strlen(s), stream, m);
}

/* 138 bytes of SDP offer, as SIPp's uac sends it (shortened). */
#define SDP_A                                                                                      \
    "v=0\r\n"                                                                                      \
    "o=alice 2890844526 2890844526 IN IP4 127.0.1.1\r\n"                                           \
    "s=-\r\n"                                                                                      \
    "c=IN IP4 127.0.1.1\r\n"                                                                       \
    "t=0 0\r\n"                                                                                    \
    "m=audio 16384 RTP/AVP 8 0 101\r\n"                                                            \
    "a=rtpmap:8 PCMA/8000\r\n"

/* captures/a_basic_call.pcap, first INVITE, with SIPp's padded "Content-Length:   N". */
static const char INVITE_SIPP[] =
    "INVITE sip:bob@atlanta.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-22066-1-0;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"alice\" <sip:alice@atlanta.example.com>;tag=22066a1\r\n"
    "To: <sip:bob@atlanta.example.com>\r\n"
    "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\r\n"
    "CSeq: 101 INVITE\r\n"
    "Contact: <sip:alice@127.0.1.1:5060;transport=UDP>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: SIPp/3.6.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length:   138\r\n"
    "\r\n" SDP_A;

static const char TRYING_100[] =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-22066-1-0;rport\r\n"
    "From: \"alice\" <sip:alice@atlanta.example.com>;tag=22066a1\r\n"
    "To: <sip:bob@atlanta.example.com>\r\n"
    "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\r\n"
    "CSeq: 101 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char RINGING_180[] =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-22066-1-0;rport\r\n"
    "From: \"alice\" <sip:alice@atlanta.example.com>;tag=22066a1\r\n"
    "To: <sip:bob@atlanta.example.com>;tag=22065SIPpTag01\r\n"
    "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\r\n"
    "CSeq: 101 INVITE\r\n"
    "Contact: <sip:127.0.1.2:5060;transport=UDP>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

Test(sip, invite_from_sipp_basic_call)
{
    struct sip_msg m;
    cr_assert_eq(parse(INVITE_SIPP, false, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, strlen(INVITE_SIPP));
    cr_assert(m.is_request);
    cr_assert_eq(m.method, SIP_METHOD_INVITE);
    cr_assert(sv_is(m.method_name, "INVITE"));
    cr_assert(sv_is(m.request_uri, "sip:bob@atlanta.example.com"));
    cr_assert(sv_is(m.call_id, "3c26b1f2e9a0-22066-1@127.0.1.1"));
    cr_assert_eq(m.cseq, 101);
    cr_assert_eq(m.cseq_method, SIP_METHOD_INVITE);
    cr_assert(sv_is(m.cseq_method_name, "INVITE"));
    cr_assert(sv_is(m.via_branch, "z9hG4bK-22066-1-0"));
    cr_assert(sv_is(m.via_sent_by, "127.0.1.1:5060"));
    cr_assert(sv_is(m.via_transport, "UDP"));
    cr_assert(sv_is(m.from_tag, "22066a1"));
    cr_assert_eq(m.to_tag.len, 0);
    cr_assert(m.has_content_length);
    cr_assert_eq(m.content_length, 138);
    cr_assert(sv_is(m.content_type, "application/sdp"));
    cr_assert(sv_is(m.body, SDP_A));
    cr_assert(sv_is(m.sdp, SDP_A));
    cr_assert_eq(m.header_lines, 12);
    cr_assert(sv_is(m.hdr[SIP_HDR_USER_AGENT], "SIPp/3.6.1"));
    cr_assert(sv_is(m.hdr[SIP_HDR_MAX_FORWARDS], "70"));
    cr_assert(sv_is(m.hdr[SIP_HDR_CONTENT_LENGTH], "138"), "padding trimmed");
    cr_assert_eq(m.hdr_count[SIP_HDR_VIA], 1);
    cr_assert_eq(m.anomalies, 0, "clean message, got 0x%x", m.anomalies);
    cr_assert_eq(m.headers.p, INVITE_SIPP + 44, "headers start after the start line");
}

Test(sip, response_100_trying)
{
    struct sip_msg m;
    cr_assert_eq(parse(TRYING_100, false, &m), STATUS_OK);
    cr_assert_not(m.is_request);
    cr_assert_eq(m.status, 100);
    cr_assert(sv_is(m.reason, "Trying"));
    cr_assert_eq(m.cseq_method, SIP_METHOD_INVITE);
    cr_assert_eq(m.body.len, 0);
    cr_assert_eq(m.sdp.len, 0);
    cr_assert_eq(m.wire_len, strlen(TRYING_100));
    cr_assert_eq(m.anomalies, 0);
}

Test(sip, every_rfc_method_parses)
{
    static const char *names[] = {"INVITE",  "ACK",   "BYE",       "CANCEL", "REGISTER",
                                  "OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
                                  "INFO",    "REFER", "MESSAGE",   "UPDATE"};
    static const enum sip_method ids[] = {
        SIP_METHOD_INVITE,   SIP_METHOD_ACK,     SIP_METHOD_BYE,   SIP_METHOD_CANCEL,
        SIP_METHOD_REGISTER, SIP_METHOD_OPTIONS, SIP_METHOD_PRACK, SIP_METHOD_SUBSCRIBE,
        SIP_METHOD_NOTIFY,   SIP_METHOD_PUBLISH, SIP_METHOD_INFO,  SIP_METHOD_REFER,
        SIP_METHOD_MESSAGE,  SIP_METHOD_UPDATE,
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char buf[512];
        struct sip_msg m;
        snprintf(buf, sizeof buf,
                 "%s sip:bob@example.net SIP/2.0\r\nCall-ID: m%zu\r\nCSeq: 7 %s\r\n"
                 "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nContent-Length: 0\r\n\r\n",
                 names[i], i, names[i]);
        cr_assert_eq(parse(buf, false, &m), STATUS_OK, "%s", names[i]);
        cr_assert_eq(m.method, ids[i], "%s", names[i]);
        cr_assert_eq(m.cseq_method, ids[i]);
        cr_assert_str_eq(sip_method_name(ids[i]), names[i]);
        cr_assert_eq(sip_method_from(sv_make(names[i], strlen(names[i]))), ids[i]);
        cr_assert(sip_looks_like((const uint8_t *)buf, strlen(buf)), "%s", names[i]);
    }
    cr_assert_str_eq(sip_method_name(SIP_METHOD_UNKNOWN), "UNKNOWN");
    cr_assert_str_eq(sip_method_name((enum sip_method)99), "UNKNOWN");
}

Test(sip, unknown_and_lowercase_methods_are_tokens)
{
    struct sip_msg m;
    cr_assert_eq(parse("FOO-BAR sip:bob@example.net SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 FOO-BAR\r\n"
                       "Content-Length: 0\r\n\r\n",
                       false, &m),
                 STATUS_OK);
    cr_assert_eq(m.method, SIP_METHOD_UNKNOWN);
    cr_assert(sv_is(m.method_name, "FOO-BAR"));
    cr_assert(sv_is(m.cseq_method_name, "FOO-BAR"));
    /* Methods are case-sensitive (RFC 3261 §7.1): "invite" is an extension token. */
    cr_assert_eq(
        parse("invite sip:bob@example.net SIP/2.0\r\nContent-Length: 0\r\n\r\n", false, &m),
        STATUS_OK);
    cr_assert_eq(m.method, SIP_METHOD_UNKNOWN);
    cr_assert(sv_is(m.method_name, "invite"));
    cr_assert_eq(sip_method_from(SV_LIT("Invite")), SIP_METHOD_UNKNOWN);
    cr_assert_eq(sip_method_from(SV_LIT("INVITEX")), SIP_METHOD_UNKNOWN);
    cr_assert_eq(sip_method_from(SV_NULL), SIP_METHOD_UNKNOWN);
}

Test(sip, header_name_table_full_compact_any_case)
{
    static const struct {
        const char *name;
        enum sip_hdr id;
    } rows[] = {
        {"Via", SIP_HDR_VIA},
        {"From", SIP_HDR_FROM},
        {"To", SIP_HDR_TO},
        {"Call-ID", SIP_HDR_CALL_ID},
        {"CSeq", SIP_HDR_CSEQ},
        {"Contact", SIP_HDR_CONTACT},
        {"Content-Length", SIP_HDR_CONTENT_LENGTH},
        {"Content-Type", SIP_HDR_CONTENT_TYPE},
        {"Expires", SIP_HDR_EXPIRES},
        {"User-Agent", SIP_HDR_USER_AGENT},
        {"Server", SIP_HDR_SERVER},
        {"Reason", SIP_HDR_REASON},
        {"P-Asserted-Identity", SIP_HDR_P_ASSERTED_IDENTITY},
        {"WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE},
        {"Proxy-Authenticate", SIP_HDR_PROXY_AUTHENTICATE},
        {"Authorization", SIP_HDR_AUTHORIZATION},
        {"Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION},
        {"Record-Route", SIP_HDR_RECORD_ROUTE},
        {"Route", SIP_HDR_ROUTE},
        {"Max-Forwards", SIP_HDR_MAX_FORWARDS},
        {"Subject", SIP_HDR_SUBJECT},
        {"Supported", SIP_HDR_SUPPORTED},
        {"Require", SIP_HDR_REQUIRE},
        {"Event", SIP_HDR_EVENT},
        {"Subscription-State", SIP_HDR_SUBSCRIPTION_STATE},
        {"Refer-To", SIP_HDR_REFER_TO},
        {"Warning", SIP_HDR_WARNING},
        {"Allow", SIP_HDR_ALLOW},
        {"RSeq", SIP_HDR_RSEQ},
        {"RAck", SIP_HDR_RACK},
        /* compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 6665) */
        {"v", SIP_HDR_VIA},
        {"f", SIP_HDR_FROM},
        {"t", SIP_HDR_TO},
        {"i", SIP_HDR_CALL_ID},
        {"I", SIP_HDR_CALL_ID},
        {"m", SIP_HDR_CONTACT},
        {"l", SIP_HDR_CONTENT_LENGTH},
        {"c", SIP_HDR_CONTENT_TYPE},
        {"s", SIP_HDR_SUBJECT},
        {"k", SIP_HDR_SUPPORTED},
        {"o", SIP_HDR_EVENT},
        {"r", SIP_HDR_REFER_TO},
        /* odd case, as in edge-captures/sip-header-case.pcap */
        {"VIA", SIP_HDR_VIA},
        {"fRoM", SIP_HDR_FROM},
        {"cAlL-iD", SIP_HDR_CALL_ID},
        {"CONTENT-length", SIP_HDR_CONTENT_LENGTH},
        {"p-asserted-IDENTITY", SIP_HDR_P_ASSERTED_IDENTITY},
        /* not tracked */
        {"X-Huge", SIP_HDR_OTHER},
        {"e", SIP_HDR_OTHER},
        {"Content-Encoding", SIP_HDR_OTHER},
        {"Vias", SIP_HDR_OTHER},
        {"Call-I", SIP_HDR_OTHER},
        {"", SIP_HDR_OTHER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_assert_eq(sip_hdr_from(sv_make(rows[i].name, strlen(rows[i].name))), rows[i].id, "%s",
                     rows[i].name);
}

Test(sip, compact_headers_message)
{
    /* edge-captures/sip-compact-headers.pcap: compact names, no space after the colon. */
    const char *s = "SIP/2.0 180 Ringing\r\n"
                    "v:SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-50-inv;rport\r\n"
                    "f:\"Alice Caller\" <sip:alice50@example.com>;tag=ft50-a81\r\n"
                    "t:<sip:bob50@example.net>;tag=tt50-c27\r\n"
                    "I:edge-50-5f3a9c@192.0.2.10\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "m:<sip:bob50@198.51.100.20:5060>\r\n"
                    "k:replaces\r\n"
                    "l:0\r\n"
                    "\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert_eq(m.status, 180);
    cr_assert(sv_is(m.call_id, "edge-50-5f3a9c@192.0.2.10"));
    cr_assert(sv_is(m.via_branch, "z9hG4bK-50-inv"));
    cr_assert(sv_is(m.from_tag, "ft50-a81"));
    cr_assert(sv_is(m.to_tag, "tt50-c27"));
    cr_assert(sv_is(m.hdr[SIP_HDR_CONTACT], "<sip:bob50@198.51.100.20:5060>"));
    cr_assert(sv_is(m.hdr[SIP_HDR_SUPPORTED], "replaces"));
    cr_assert(m.has_content_length);
    cr_assert_eq(m.content_length, 0);
    cr_assert_eq(m.anomalies, 0);
}

Test(sip, header_case_and_space_before_colon)
{
    /* edge-captures/sip-header-case.pcap */
    const char *s = "INVITE sip:bob52@example.net SIP/2.0\r\n"
                    "VIA: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-52-inv;rport\r\n"
                    "max-forwards: 70\r\n"
                    "fRoM: \"Alice Caller\" <sip:alice52@example.com>;tag=ft52-a81\r\n"
                    "tO: <sip:bob52@example.net>\r\n"
                    "cAlL-iD: edge-52-5f3a9c@192.0.2.10\r\n"
                    "CSEQ: 1 INVITE\r\n"
                    "content-TYPE: application/sdp\r\n"
                    "CONTENT-length   :   7\r\n"
                    "\r\n"
                    "v=0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.call_id, "edge-52-5f3a9c@192.0.2.10"));
    cr_assert_eq(m.cseq, 1);
    cr_assert(sv_is(m.from_tag, "ft52-a81"));
    cr_assert(sv_is(m.hdr[SIP_HDR_MAX_FORWARDS], "70"));
    cr_assert(m.has_content_length);
    cr_assert_eq(m.content_length, 7);
    cr_assert(sv_is(m.sdp, "v=0\r\n\r\n"));
    cr_assert_eq(m.wire_len, strlen(s));
}

Test(sip, folded_headers_message)
{
    /* edge-captures/sip-folded-headers.pcap (RFC 3261 §7.3.1), body shortened to 126 bytes. */
    const char *s = "INVITE sip:bob51@example.net SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n"
                    " ;branch=z9hG4bK-51-inv;rport\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: \"Alice\r\n"
                    "\t Caller\"\r\n"
                    " <sip:alice51@example.com>;tag=ft51-a81\r\n"
                    "To:\r\n"
                    " <sip:bob51@example.net>\r\n"
                    "Call-ID:\r\n"
                    "\tedge-51-5f3a9c@192.0.2.10\r\n"
                    "CSeq: 1\r\n"
                    "   INVITE\r\n"
                    "Subject: edge case 51\r\n"
                    "\tcontinued on a second line\r\n"
                    "Content-Type: application/sdp\r\n"
                    "Content-Length: 126\r\n"
                    "\r\n"
                    "v=0\r\n"
                    "o=alice 1051 1051 IN IP4 192.0.2.10\r\n"
                    "s=-\r\n"
                    "c=IN IP4 192.0.2.10\r\n"
                    "t=0 0\r\n"
                    "m=audio 20102 RTP/AVP 0 101\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.via_branch, "z9hG4bK-51-inv"));
    cr_assert(sv_is(m.via_sent_by, "192.0.2.10:5060"));
    cr_assert(sv_is(m.via_transport, "UDP"));
    cr_assert(sv_is(m.from_tag, "ft51-a81"));
    cr_assert(sv_is(m.hdr[SIP_HDR_TO], "<sip:bob51@example.net>"));
    cr_assert(sv_is(m.call_id, "edge-51-5f3a9c@192.0.2.10"));
    cr_assert_eq(m.cseq, 1);
    cr_assert_eq(m.cseq_method, SIP_METHOD_INVITE);
    cr_assert(sv_is(m.hdr[SIP_HDR_SUBJECT], "edge case 51\r\n\tcontinued on a second line"));
    cr_assert_eq(m.header_lines, 9);
    cr_assert_eq(m.content_length, 126);
    cr_assert_eq(m.sdp.len, 126);
    cr_assert_eq(m.anomalies, SIP_ANOM_FOLDED);
}

Test(sip, via_with_several_values_uses_the_first)
{
    const char *s = "SIP/2.0 200 OK\r\n"
                    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK-top, SIP/2.0/TCP "
                    "p2.example.com;branch=z9hG4bK-second\r\n"
                    "Via: SIP/2.0/UDP uac.example.com;branch=z9hG4bK-third\r\n"
                    "Call-ID: v\r\nCSeq: 2 BYE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n"
                    "Content-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.via_branch, "z9hG4bK-top"));
    cr_assert(sv_is(m.via_sent_by, "p1.example.com"));
    cr_assert(sv_is(m.via_transport, "UDP"));
    cr_assert_eq(m.hdr_count[SIP_HDR_VIA], 2);
    cr_assert_eq(m.cseq_method, SIP_METHOD_BYE);
    cr_assert_eq(m.anomalies & SIP_ANOM_DUP_HEADER, 0, "Via may repeat");
}

Test(sip, via_ipv6_tcp_and_lws_around_separators)
{
    const char *s = "OPTIONS sip:[2001:db8::20] SIP/2.0\r\n"
                    "Via: SIP / 2.0 / TCP [2001:db8::10]:5061 ; received=2001:db8::10 ;branch = "
                    "z9hG4bK77\r\n"
                    "Call-ID: v6\r\nCSeq: 3 OPTIONS\r\nFrom: <sip:a@[2001:db8::10]>;tag=x\r\n"
                    "To: <sip:[2001:db8::20]>\r\nContent-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.request_uri, "sip:[2001:db8::20]"));
    cr_assert(sv_is(m.via_transport, "TCP"));
    cr_assert(sv_is(m.via_sent_by, "[2001:db8::10]:5061"));
    cr_assert(sv_is(m.via_branch, "z9hG4bK77"));
    cr_assert(sv_is(m.from_tag, "x"));
}

Test(sip, tag_inside_uri_brackets_is_not_the_tag)
{
    const char *s = "BYE sip:bob@example.net SIP/2.0\r\n"
                    "From: <sip:alice@example.com;tag=inside>;tag=outside\r\n"
                    "To: <sip:bob@example.net;tag=evil>\r\n"
                    "Call-ID: t\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.from_tag, "outside"));
    cr_assert_eq(m.to_tag.len, 0);
}

/*
 * The tags and the top Via's branch, transport and sent-by of values the fast
 * paths take (simple ones) and of values they leave to the general code
 * (whitespace, quotes, brackets, several values). The sanitizer build
 * (SIP_CHECK_FAST) also runs both ways on every message and compares.
 */
Test(sip, tags_and_via_fields_fast_and_general)
{
    static const struct {
        const char *from, *from_tag, *via, *branch, *sent_by;
    } cases[] = {
        {"<sip:a@b>;TAG=x;y=1", "x", "SIP/2.0/UDP h:5060;BRANCH=z9a;rport", "z9a", "h:5060"},
        {"<sip:a@b>;tagx=1;tag=2", "2", "SIP/2.0/UDP h;rport;branch=z9b", "z9b", "h"},
        {"<sip:a@b>;x=a=b;;tag=3;", "3", "sip/2.0/udp h:1;branch=", "", "h:1"},
        {"<sip:a@b>;tag", "", "SIP/2.0/UDP h:1;branchx=1;xbranch=2", NULL, "h:1"},
        {"Alice <sip:a@b>;tag=4", "4", "SIP/2.0/UDP h:1", NULL, "h:1"},
        {"\"A;b,c\" <sip:a@b>;tag=5", "5", "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9c", "z9c",
         "[2001:db8::1]:5061"},
        {"\"A\\\"b\" <sip:a@b>;tag=6", "6", "SIP/2.0/UDP h:1 ;branch=z9d", "z9d", "h:1"},
        {"<sip:a@b;tag=in>;tag=7,<sip:c@d>;tag=8", "7", "SIP/2.0/UDP h:1;branch=z9e, SIP/2.0/UDP g",
         "z9e", "h:1"},
        {"<sip:a@b> ;tag=9", "9", "SIP/2.0/UDP h:1;received=\"x;branch=q\";branch=z9f", "z9f",
         "h:1"},
        {"sip:a@b;tag=10", "10", "SIP/2.0/UDP  h:1;branch=z9g", "z9g", "h:1"},
        {"< sip:a@b >;tag=11", "11", "SIP/2.0/UDP h:1;branch=z9h;", "z9h", "h:1"},
        {"<sip:a@b>;tag=\"q\"", "q", "SIP/2.0/UDP h:1;;branch=z9i", "z9i", "h:1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "BYE sip:b@example.net SIP/2.0\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                 "Call-ID: f%zu\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
                 cases[k].via, cases[k].from, cases[k].from, k);
        struct sip_msg m;
        cr_assert_eq(parse(msg, false, &m), STATUS_OK, "case %zu", k);
        cr_assert(sv_is(m.from_tag, cases[k].from_tag), "case %zu: from tag '%.*s'", k,
                  (int)m.from_tag.len, m.from_tag.p);
        cr_assert(sv_is(m.to_tag, cases[k].from_tag), "case %zu: to tag", k);
        if (cases[k].branch)
            cr_assert(sv_is(m.via_branch, cases[k].branch), "case %zu: branch '%.*s'", k,
                      (int)m.via_branch.len, m.via_branch.p);
        else
            cr_assert_null(m.via_branch.p, "case %zu: no branch", k);
        cr_assert(sv_is(m.via_sent_by, cases[k].sent_by), "case %zu: sent-by '%.*s'", k,
                  (int)m.via_sent_by.len, m.via_sent_by.p);
    }
}

Test(sip, datagram_without_content_length_body_runs_to_end)
{
    const char *s = "MESSAGE sip:bob@example.net SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n"
                    "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nContent-Type: text/plain\r\n\r\n"
                    "hello bob";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.body, "hello bob"));
    cr_assert_not(m.has_content_length);
    cr_assert_eq(m.anomalies, SIP_ANOM_CL_MISSING);
    cr_assert_eq(m.wire_len, strlen(s));
    cr_assert(sv_is(m.content_type, "text/plain"));
    cr_assert_eq(m.sdp.len, 0);
}

Test(sip, datagram_content_length_larger_than_datagram_is_malformed)
{
    /* edge-captures/sip-content-length-mismatch.pcap: Content-Length 5000, short body (§18.3). */
    const char *s = "INVITE sip:bob@example.net SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.80:5060;branch=z9hG4bK-mal-clen-big-1@192.0.2.80\r\n"
                    "From: <sip:mallory@example.com>;tag=m1\r\nTo: <sip:bob@example.net>\r\n"
                    "Call-ID: clen-big-1@192.0.2.80\r\nCSeq: 1 INVITE\r\n"
                    "Content-Type: application/sdp\r\nContent-Length: 5000\r\n\r\n"
                    "v=0\r\ns=-\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, strlen(s), "the rest of the datagram");
    cr_assert(m.anomalies & SIP_ANOM_CL_MISMATCH);
    cr_assert(sv_is(m.call_id, "clen-big-1@192.0.2.80"), "what parsed is still reported");
    cr_assert(m.body.p + m.body.len <= s + strlen(s), "never past the datagram");
    cr_assert_eq(parse(s, true, &m), STATUS_NEED_MORE, "a stream would wait for the body");
}

Test(sip, datagram_with_two_messages)
{
    char buf[1024];
    size_t a = strlen(TRYING_100), b = strlen(RINGING_180);
    memcpy(buf, TRYING_100, a);
    memcpy(buf + a, RINGING_180, b);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)buf, a + b, false, &m), STATUS_OK);
    cr_assert_eq(m.status, 100);
    cr_assert_eq(m.wire_len, a);
    cr_assert_eq(m.anomalies & SIP_ANOM_CL_MISMATCH, SIP_ANOM_CL_MISMATCH,
                 "bytes after the body of a datagram");
    cr_assert_eq(sip_parse((const uint8_t *)buf + a, b, false, &m), STATUS_OK);
    cr_assert_eq(m.status, 180);
    cr_assert_eq(m.wire_len, b);
    cr_assert(sv_is(m.to_tag, "22065SIPpTag01"));
    cr_assert_eq(m.anomalies, 0);
}

Test(sip, datagram_shorter_content_length_then_junk)
{
    const char *s = "SIP/2.0 200 OK\r\nCall-ID: j\r\nCSeq: 1 BYE\r\nFrom: <sip:a@x>;tag=1\r\n"
                    "To: <sip:b@y>;tag=2\r\nContent-Length: 3\r\n\r\nabcGARBAGE\x01\x02";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.body, "abc"));
    cr_assert(m.anomalies & SIP_ANOM_CL_MISMATCH);
    cr_assert_eq(sip_parse((const uint8_t *)s + m.wire_len, strlen(s) - m.wire_len, false, &m),
                 STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 9, "the rest of the datagram");
    /* Trailing CRLFs only are padding, not a mismatch. */
    cr_assert_eq(parse("SIP/2.0 200 OK\r\nCall-ID: j\r\nCSeq: 1 BYE\r\nFrom: <sip:a@x>;tag=1\r\n"
                       "To: <sip:b@y>;tag=2\r\nContent-Length: 0\r\n\r\n\r\n\r\n",
                       false, &m),
                 STATUS_OK);
    cr_assert_eq(m.anomalies, 0);
}

Test(sip, bad_content_length_is_malformed)
{
    static const char *bad[] = {"-1", "bad", "xyz", "12abc", "99999999999", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[512];
        struct sip_msg m;
        snprintf(buf, sizeof buf,
                 "INVITE sip:bob@example.net SIP/2.0\r\nCall-ID: clen-neg-1@192.0.2.80\r\n"
                 "CSeq: 1 INVITE\r\nFrom: <sip:mallory@example.com>;tag=m1\r\n"
                 "To: <sip:bob@example.net>\r\nContent-Type: application/sdp\r\n"
                 "Content-Length: %s\r\n\r\nv=0\r\n",
                 bad[i]);
        cr_assert_eq(parse(buf, false, &m), STATUS_MALFORMED, "'%s'", bad[i]);
        cr_assert(m.anomalies & SIP_ANOM_CL_BAD, "'%s': 0x%x", bad[i], m.anomalies);
        cr_assert_not(m.has_content_length);
        cr_assert_eq(m.wire_len, strlen(buf), "the rest of the datagram is skipped");
        cr_assert_eq(parse(buf, true, &m), STATUS_MALFORMED, "stream: '%s'", bad[i]);
        cr_assert_eq(m.wire_len, strlen(buf) - 5, "stream skips the header section");
    }
}

Test(sip, stream_without_content_length_means_empty_body)
{
    const char *s = "ACK sip:bob@example.net SIP/2.0\r\nCall-ID: s\r\nCSeq: 1 ACK\r\n"
                    "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n\r\nINVITE sip:";
    struct sip_msg m;
    cr_assert_eq(parse(s, true, &m), STATUS_OK);
    cr_assert_eq(m.anomalies, SIP_ANOM_CL_MISSING);
    cr_assert_eq(m.body.len, 0);
    cr_assert_eq(m.wire_len, strlen(s) - strlen("INVITE sip:"));
}

Test(sip, bare_lf_line_ends_are_tolerated)
{
    const char *s = "BYE sip:bob@example.net SIP/2.0\nCall-ID: lf\nCSeq: 2 BYE\n"
                    "From: <sip:a@x>;tag=1\nTo: <sip:b@y>;tag=2\nContent-Length: 4\n\nbody";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.call_id, "lf"));
    cr_assert(sv_is(m.body, "body"));
    cr_assert_eq(m.anomalies, SIP_ANOM_BARE_LF);
    cr_assert_eq(parse(s, true, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, strlen(s));
}

Test(sip, nul_bytes_in_header_and_body_do_not_stop_parsing)
{
    /* edge-captures/sip-nul-bytes.pcap: NULs in User-Agent and in the SDP s= line (33-byte body).
     */
    static const char s[] =
        "INVITE sip:bob@example.net SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.80:5060;branch=z9hG4bK-mal-nul-1@192.0.2.80\r\n"
        "From: <sip:mallory@example.com>;tag=m1\r\n"
        "To: <sip:bob@example.net>\r\n"
        "Call-ID: nul-1@192.0.2.80\r\n"
        "CSeq: 1 INVITE\r\n"
        "User-Agent: evil\0phone\0/1.0\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: 33\r\n"
        "\r\n"
        "v=0\r\ns=\0\0\0\r\nc=IN IP4 192.0.2.80\r\n";
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)s, sizeof s - 1, false, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, sizeof s - 1);
    cr_assert_eq(m.hdr[SIP_HDR_USER_AGENT].len, 15);
    cr_assert_eq(memcmp(m.hdr[SIP_HDR_USER_AGENT].p, "evil\0phone\0/1.0", 15), 0);
    cr_assert_eq(m.content_length, 33);
    cr_assert_eq(m.sdp.len, 33);
    cr_assert_eq(m.anomalies, SIP_ANOM_NUL);
    cr_assert(sv_is(m.call_id, "nul-1@192.0.2.80"));
}

Test(sip, datagram_of_nuls_is_not_sip)
{
    uint8_t nuls[64] = {0};
    struct sip_msg m;
    cr_assert_eq(sip_parse(nuls, sizeof nuls, false, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 64);
    cr_assert_not(sip_is_keepalive(nuls, sizeof nuls));
    cr_assert(m.anomalies & SIP_ANOM_LEADING_JUNK);
    cr_assert_eq(sip_parse(nuls, sizeof nuls, true, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 64);
}

Test(sip, nul_inside_call_id_and_a_nul_header_line)
{
    /* edge-captures/sip-nul-bytes.pcap: OPTIONS, NUL in the Call-ID, a header line of two NULs. */
    static const char s[] = "OPTIONS sip:bob@example.net SIP/2.0\r\n"
                            "Call-ID: nul\0inside@192.0.2.80\r\n"
                            "CSeq: 1 OPTIONS\r\n"
                            "\0\0\r\n"
                            "\r\n";
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)s, sizeof s - 1, false, &m), STATUS_OK);
    cr_assert_eq(m.call_id.len, 21);
    cr_assert_eq(memcmp(m.call_id.p, "nul\0inside@192.0.2.80", 21), 0);
    cr_assert_eq(m.header_lines, 3);
    cr_assert_eq(m.anomalies, SIP_ANOM_NUL | SIP_ANOM_CL_MISSING | SIP_ANOM_NO_FROM_TO, "0x%x",
                 m.anomalies);
    size_t pos = 0, n = 0;
    struct sv name, value;
    while (sip_header_next(&m, &pos, &name, &value))
        n++;
    cr_assert_eq(n, 3);
    cr_assert_eq(name.len, 0, "the NUL line has no name");
    cr_assert_eq(value.len, 2);
}

Test(sip, missing_call_id_still_parses)
{
    /* edge-captures/sip-missing-callid.pcap: the correlator decides what to do with these. */
    const char *inv = "INVITE sip:bob@example.net SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.80:5060;branch=z9hG4bK-mal-x\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:mallory@example.com>;tag=m1\r\n"
                      "To: <sip:bob@example.net>\r\n"
                      "CSeq: 1 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n";
    const char *resp = "SIP/2.0 400 Missing Call-ID\r\n"
                       "Via: SIP/2.0/UDP 192.0.2.80:5060;branch=z9hG4bK-mal-x\r\n"
                       "From: <sip:mallory@example.com>;tag=m1\r\n"
                       "To: <sip:bob@example.net>;tag=r1\r\n"
                       "CSeq: 1 INVITE\r\n"
                       "Content-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(inv, false, &m), STATUS_OK);
    cr_assert_eq(m.anomalies, SIP_ANOM_NO_CALL_ID);
    cr_assert_eq(m.call_id.len, 0);
    cr_assert_eq(parse(resp, false, &m), STATUS_OK);
    cr_assert_eq(m.status, 400);
    cr_assert(sv_is(m.reason, "Missing Call-ID"));
    cr_assert_eq(m.anomalies, SIP_ANOM_NO_CALL_ID);
    cr_assert(sv_is(m.to_tag, "r1"));
}

Test(sip, missing_and_bad_cseq)
{
    struct sip_msg m;
    cr_assert_eq(parse("BYE sip:b@y SIP/2.0\r\nCall-ID: c\r\nFrom: <sip:a@x>;tag=1\r\n"
                       "To: <sip:b@y>;tag=2\r\nContent-Length: 0\r\n\r\n",
                       false, &m),
                 STATUS_OK);
    cr_assert_eq(m.anomalies, SIP_ANOM_NO_CSEQ);
    static const char *bad[] = {"BYE",         "x BYE",  "1",      "1BYE", "99999999999 BYE",
                                "1 BYE extra", "-1 BYE", "1 <BYE>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "BYE sip:b@y SIP/2.0\r\nCall-ID: c\r\nCSeq: %s\r\nFrom: <sip:a@x>;tag=1\r\n"
                 "To: <sip:b@y>;tag=2\r\nContent-Length: 0\r\n\r\n",
                 bad[i]);
        cr_assert_eq(parse(buf, false, &m), STATUS_OK);
        cr_assert_eq(m.anomalies, SIP_ANOM_BAD_CSEQ, "'%s'", bad[i]);
        cr_assert_eq(m.cseq, 0);
    }
    cr_assert_eq(parse("BYE sip:b@y SIP/2.0\r\nCSeq: 4294967295 BYE\r\nContent-Length: 0\r\n\r\n",
                       false, &m),
                 STATUS_OK);
    cr_assert_eq(m.cseq, 4294967295u);
}

Test(sip, binary_junk_before_method_is_not_sip)
{
    /* edge-captures/sip-malformed-start-line.pcap, first datagram: TLS-like bytes, then text. */
    const char *s = "\x16\x03\x01 GARBAGE ##%% not-a-start-line\r\n"
                    "Call-ID: garbage-1@192.0.2.80\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, strlen(s));
    cr_assert_eq(m.call_id.len, 0);
    cr_assert_not(sip_looks_like((const uint8_t *)s, strlen(s)));
    cr_assert_eq(parse(s, true, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 35, "stream: skip the line");
}

Test(sip, hello_world_and_http_are_not_sip)
{
    struct sip_msg m;
    cr_assert_eq(parse("HELLO WORLD\r\n\r\n", false, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 15);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, &m), STATUS_NOT_SIP);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 16);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\n\r\n", false, &m), STATUS_NOT_SIP);
    cr_assert_eq(parse("HELLO\r\n", false, &m), STATUS_NOT_SIP);
}

Test(sip, request_line_without_version_is_malformed)
{
    /* edge-captures/sip-malformed-start-line.pcap, third datagram. */
    const char *s = "INVITE sip:bob@example.net\r\nCall-ID: noversion-1@192.0.2.80\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, strlen(s));
    cr_assert_eq(m.method, SIP_METHOD_INVITE);
    cr_assert(sv_is(m.call_id, "noversion-1@192.0.2.80"), "headers still read for evidence");
    cr_assert_eq(parse(s, true, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, 28, "stream: resynchronise after the start line");
    cr_assert_eq(parse("INVITE bob@example.net SIP/2.0\r\n\r\n", false, &m), STATUS_MALFORMED,
                 "Request-URI without a scheme");
    cr_assert_eq(parse("INVITE sip:bob@example.net HTTP/1.1\r\n\r\n", false, &m), STATUS_MALFORMED);
    cr_assert_eq(parse("FOO sip:bob@x\r\n\r\n", false, &m), STATUS_MALFORMED,
                 "unknown method, SIP URI, no version");
}

Test(sip, status_code_must_be_three_digits_in_range)
{
    struct sip_msg m;
    /* edge-captures/sip-malformed-start-line.pcap, fourth datagram. */
    const char *s =
        "SIP/2.0 99999 Way Too Big\r\nCall-ID: badcode-1@192.0.2.80\r\nCSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n";
    cr_assert_eq(parse(s, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, strlen(s));
    static const char *bad[] = {"SIP/2.0 099 Low\r\n\r\n", "SIP/2.0 700 High\r\n\r\n",
                                "SIP/2.0 20x OK\r\n\r\n",  "SIP/2.0 2000 OK\r\n\r\n",
                                "SIP/2.0 20\r\n\r\n",      "SIP/2.0\r\n\r\n",
                                "SIP/ 200 OK\r\n\r\n",     "SIP/2.0200 OK\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse(bad[i], false, &m), STATUS_MALFORMED, "%s", bad[i]);
    cr_assert_eq(parse("SIP/2.0 699 Max\r\nContent-Length: 0\r\n\r\n", false, &m), STATUS_OK);
    cr_assert_eq(m.status, 699);
    cr_assert_eq(parse("SIP/2.0 200\r\nContent-Length: 0\r\n\r\n", false, &m), STATUS_OK);
    cr_assert_eq(m.status, 200);
    cr_assert_eq(m.reason.len, 0, "empty reason phrase tolerated");
}

Test(sip, other_sip_version_sets_bad_version)
{
    struct sip_msg m;
    cr_assert_eq(parse("OPTIONS sip:b@y SIP/3.0\r\nContent-Length: 0\r\n\r\n", false, &m),
                 STATUS_OK);
    cr_assert(m.anomalies & SIP_ANOM_BAD_VERSION);
    cr_assert_eq(parse("SIP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &m), STATUS_OK);
    cr_assert(m.anomalies & SIP_ANOM_BAD_VERSION);
    cr_assert_eq(parse("sip/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &m), STATUS_OK);
    cr_assert_eq(m.anomalies & SIP_ANOM_BAD_VERSION, 0, "SIP-Version is case-insensitive");
    cr_assert_eq(parse("OPTIONS sip:b@y SIP/2\r\n\r\n", false, &m), STATUS_MALFORMED);
}

Test(sip, crlf_keepalives_are_not_sip_and_not_junk)
{
    /* edge-captures/sip-keepalive-crlf.pcap: ping CRLFCRLF, pong CRLF (RFC 5626 §3.5.1). */
    struct sip_msg m;
    cr_assert_eq(parse("\r\n\r\n", false, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 4);
    cr_assert_eq(m.anomalies & SIP_ANOM_LEADING_JUNK, 0);
    cr_assert(sip_is_keepalive((const uint8_t *)"\r\n\r\n", 4));
    cr_assert_eq(parse("\r\n", true, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 2);
    cr_assert(sip_is_keepalive((const uint8_t *)"\r\n", 2));
    cr_assert_not(sip_is_keepalive((const uint8_t *)"\r\nX", 3));
    cr_assert_not(sip_is_keepalive((const uint8_t *)"", 0));
    cr_assert_not(sip_is_keepalive(NULL, 4));
    cr_assert_eq(parse("", false, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 0);
    cr_assert_eq(parse("", true, &m), STATUS_NEED_MORE);
    cr_assert_eq(sip_parse(NULL, 10, false, &m), STATUS_NOT_SIP);
}

Test(sip, leading_crlfs_are_skipped_and_counted)
{
    char buf[512];
    size_t n = strlen(TRYING_100);
    memcpy(buf, "\r\n\r\n", 4);
    memcpy(buf + 4, TRYING_100, n);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)buf, n + 4, false, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, n + 4);
    cr_assert_eq(m.status, 100);
    cr_assert_eq(m.anomalies, SIP_ANOM_LEADING_JUNK);
    cr_assert_eq(sip_parse((const uint8_t *)buf, n + 4, true, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, n + 4);
}

/* A copy of a message with one extra header line inserted before Content-Length. */
static char *with_extra_headers(const char *extra, size_t extra_len, size_t *out_len)
{
    const char *head =
        "INVITE sip:bob@example.net SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.80:5060;branch=z9hG4bK-mal-huge-hdr-1@192.0.2.80\r\n"
        "From: <sip:mallory@example.com>;tag=m1\r\nTo: <sip:bob@example.net>\r\n"
        "Call-ID: huge-hdr-1@192.0.2.80\r\nCSeq: 1 INVITE\r\n";
    const char *tail = "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n";
    size_t h = strlen(head), t = strlen(tail);
    char *buf = malloc(h + extra_len + t);
    cr_assert_not_null(buf);
    memcpy(buf, head, h);
    memcpy(buf + h, extra, extra_len);
    memcpy(buf + h + extra_len, tail, t);
    *out_len = h + extra_len + t;
    return buf;
}

Test(sip, thirty_thousand_byte_header_line_is_valid)
{
    /* edge-captures/sip-huge-header.pcap: "X-Huge: hhh..." of 30008 bytes. */
    size_t n = 30008 + 2, len;
    char *line = malloc(n);
    cr_assert_not_null(line);
    memcpy(line, "X-Huge: ", 8);
    memset(line + 8, 'h', 30000);
    memcpy(line + 30008, "\r\n", 2);
    char *msg = with_extra_headers(line, n, &len);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)msg, len, false, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, len);
    cr_assert(sv_is(m.call_id, "huge-hdr-1@192.0.2.80"));
    cr_assert(sv_is(m.sdp, "v=0\r\n"));
    size_t pos = 0;
    struct sv name, value;
    bool seen = false;
    while (sip_header_next(&m, &pos, &name, &value))
        if (sv_case_eq(name, SV_LIT("x-huge")))
            seen = value.len == 30000;
    cr_assert(seen);
    free(msg);
    free(line);
}

Test(sip, four_hundred_via_headers_are_counted)
{
    /* edge-captures/sip-huge-header.pcap: 400 Via lines after the real top Via (401 in all). */
    size_t cap = 400 * 64, o = 0, len;
    char *vias = malloc(cap);
    cr_assert_not_null(vias);
    for (int i = 0; i < 400; i++)
        o += (size_t)snprintf(vias + o, cap - o,
                              "Via: SIP/2.0/UDP 10.0.%d.1:5060;branch=z9hG4bK-v%d\r\n", i, i);
    char *msg = with_extra_headers(vias, o, &len);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)msg, len, false, &m), STATUS_OK);
    cr_assert_eq(m.hdr_count[SIP_HDR_VIA], 401);
    cr_assert(sv_is(m.via_branch, "z9hG4bK-mal-huge-hdr-1@192.0.2.80"), "top Via wins");
    cr_assert_eq(m.header_lines, 407);
    free(msg);
    free(vias);
}

Test(sip, too_many_header_lines_is_malformed)
{
    size_t cap = (SIP_MAX_HEADER_LINES + 1) * 8, o = 0, len;
    char *lines = malloc(cap);
    cr_assert_not_null(lines);
    for (int i = 0; i < SIP_MAX_HEADER_LINES; i++)
        o += (size_t)snprintf(lines + o, cap - o, "X: %d\r\n", i % 10);
    char *msg = with_extra_headers(lines, o, &len);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)msg, len, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, len);
    cr_assert_eq(sip_parse((const uint8_t *)msg, len, true, &m), STATUS_MALFORMED);
    cr_assert_gt(m.wire_len, 0);
    free(msg);
    free(lines);
}

Test(sip, stream_split_at_every_offset)
{
    /* SIP over TCP (edge-captures/sip-tcp-segments.pcap): every prefix is NEED_MORE. */
    size_t n = strlen(INVITE_SIPP);
    struct sip_msg m;
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *part = malloc(cut ? cut : 1); /* exact size: ASan sees any read past the cut */
        cr_assert_not_null(part);
        memcpy(part, INVITE_SIPP, cut);
        enum status st = sip_parse(part, cut, true, &m);
        cr_assert_eq(st, STATUS_NEED_MORE, "cut at %zu: %s", cut, status_str(st));
        free(part);
    }
    cr_assert_eq(sip_parse((const uint8_t *)INVITE_SIPP, n, true, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, n);
    cr_assert(sv_is(m.sdp, SDP_A));
}

Test(sip, stream_100_and_180_in_one_segment)
{
    char buf[1024];
    size_t a = strlen(TRYING_100), b = strlen(RINGING_180);
    memcpy(buf, TRYING_100, a);
    memcpy(buf + a, RINGING_180, b);
    memcpy(buf + a + b, "SIP/2.0 20", 10);
    struct sip_msg m;
    const uint8_t *p = (const uint8_t *)buf;
    size_t left = a + b + 10;
    cr_assert_eq(sip_parse(p, left, true, &m), STATUS_OK);
    cr_assert_eq(m.status, 100);
    cr_assert_eq(m.wire_len, a);
    cr_assert_eq(m.anomalies, 0, "no mismatch on a stream");
    p += m.wire_len;
    left -= m.wire_len;
    cr_assert_eq(sip_parse(p, left, true, &m), STATUS_OK);
    cr_assert_eq(m.status, 180);
    cr_assert_eq(m.wire_len, b);
    p += m.wire_len;
    left -= m.wire_len;
    cr_assert_eq(sip_parse(p, left, true, &m), STATUS_NEED_MORE, "start of the 200");
}

Test(sip, stream_body_incomplete_needs_more)
{
    size_t n = strlen(INVITE_SIPP);
    struct sip_msg m;
    cr_assert_eq(sip_parse((const uint8_t *)INVITE_SIPP, n - 1, true, &m), STATUS_NEED_MORE);
    cr_assert_eq(sip_parse((const uint8_t *)INVITE_SIPP, n - 138, true, &m), STATUS_NEED_MORE,
                 "headers complete, body absent");
    cr_assert_eq(sip_parse((const uint8_t *)INVITE_SIPP, n - 1, false, &m), STATUS_MALFORMED,
                 "a datagram one byte short of its Content-Length");
}

Test(sip, stream_start_line_prefixes)
{
    struct sip_msg m;
    cr_assert_eq(parse("INV", true, &m), STATUS_NEED_MORE);
    cr_assert_eq(parse("SI", true, &m), STATUS_NEED_MORE);
    cr_assert_eq(parse("\r\nINVITE sip:bob@example.net SIP/2.0\r", true, &m), STATUS_NEED_MORE);
    cr_assert_eq(parse("\x16\x03\x01\x02", true, &m), STATUS_NOT_SIP);
    cr_assert_eq(m.wire_len, 4);
    cr_assert_eq(parse("INVITE\x01", true, &m), STATUS_NOT_SIP);
    cr_assert_eq(parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true, &m), STATUS_NOT_SIP,
                 "a method token longer than any method");
}

Test(sip, stream_content_length_beyond_the_message_cap_is_malformed)
{
    const char *s = "INVITE sip:bob@example.net SIP/2.0\r\nCall-ID: big\r\n"
                    "Content-Length: 4000000000\r\n\r\nv=0";
    struct sip_msg m;
    cr_assert_eq(parse(s, true, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, strlen(s) - 3);
}

/* multipart/mixed INVITE body (RFC 5621), ISUP part first, then the SDP part. */
#define MP_SDP                                                                                     \
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                    \
    "m=audio 4000 RTP/AVP 0\r\n"
#define MP_BODY                                                                                    \
    "This is a preamble.\r\n"                                                                      \
    "--unique-boundary-1\r\n"                                                                      \
    "Content-Type: application/isup;version=itu-t92+\r\n"                                          \
    "Content-Disposition: signal; handling=optional\r\n"                                           \
    "\r\n"                                                                                         \
    "\x01\x00\x49\x00\r\n"                                                                         \
    "--unique-boundary-1  \r\n"                                                                    \
    "content-type: Application/SDP\r\n"                                                            \
    "\r\n" MP_SDP "\r\n"                                                                           \
    "--unique-boundary-1--\r\n"

static enum status parse_with_body(const char *ctype, const char *body, size_t body_len,
                                   struct sip_msg *m, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "INVITE sip:bob@example.net SIP/2.0\r\nCall-ID: mp\r\nCSeq: 1 INVITE\r\n"
                     "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     ctype, body_len);
    cr_assert(n > 0 && (size_t)n + body_len <= cap);
    memcpy(buf + n, body, body_len);
    return sip_parse((const uint8_t *)buf, (size_t)n + body_len, false, m);
}

Test(sip, multipart_body_finds_the_sdp_part)
{
    char buf[2048];
    struct sip_msg m;
    cr_assert_eq(parse_with_body("multipart/mixed;boundary=unique-boundary-1", MP_BODY,
                                 sizeof MP_BODY - 1, &m, buf, sizeof buf),
                 STATUS_OK);
    cr_assert(sv_is(m.content_type, "multipart/mixed"));
    cr_assert_eq(m.body.len, sizeof MP_BODY - 1);
    cr_assert(sv_is(m.sdp, MP_SDP), "sdp = [%.*s]", (int)m.sdp.len, m.sdp.p);
    cr_assert_eq(m.anomalies, 0);
    /* Quoted boundary, multipart/related, bare LF line ends. */
    const char *lf = "--b1\nContent-Type: application/sdp\n\nv=0\n\n--b1--\n";
    cr_assert_eq(parse_with_body("multipart/related; type=\"application/sdp\"; boundary=\"b1\"", lf,
                                 strlen(lf), &m, buf, sizeof buf),
                 STATUS_OK);
    cr_assert(sv_is(m.sdp, "v=0\n"));
}

Test(sip, multipart_without_sdp_or_with_broken_boundary)
{
    char buf[2048];
    struct sip_msg m;
    const char *nosdp = "--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n";
    cr_assert_eq(
        parse_with_body("multipart/mixed;boundary=x", nosdp, strlen(nosdp), &m, buf, sizeof buf),
        STATUS_OK);
    cr_assert_eq(m.sdp.len, 0);
    cr_assert_eq(m.anomalies, 0);
    cr_assert_eq(parse_with_body("multipart/mixed;boundary=other", MP_BODY, sizeof MP_BODY - 1, &m,
                                 buf, sizeof buf),
                 STATUS_OK);
    cr_assert_eq(m.sdp.len, 0);
    cr_assert_eq(m.anomalies, SIP_ANOM_MULTIPART_BAD);
    cr_assert_eq(
        parse_with_body("multipart/mixed", MP_BODY, sizeof MP_BODY - 1, &m, buf, sizeof buf),
        STATUS_OK);
    cr_assert_eq(m.anomalies, SIP_ANOM_MULTIPART_BAD, "no boundary parameter");
    const char *open = "--x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n";
    cr_assert_eq(
        parse_with_body("multipart/mixed;boundary=x", open, strlen(open), &m, buf, sizeof buf),
        STATUS_OK);
    cr_assert_eq(m.anomalies, SIP_ANOM_MULTIPART_BAD, "never closed");
    cr_assert_eq(m.sdp.len, 0);
}

Test(sip, multipart_part_count_is_bounded)
{
    static char body[64 * (SIP_MAX_MULTIPART + 4)];
    size_t o = 0;
    char buf[sizeof body + 512];
    for (int i = 0; i < SIP_MAX_MULTIPART + 2; i++)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "--q\r\nContent-Type: text/plain\r\n\r\n%d\r\n", i);
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "--q\r\nContent-Type: application/sdp\r\n\r\n"
                          "v=0\r\n\r\n--q--\r\n");
    struct sip_msg m;
    cr_assert_eq(parse_with_body("multipart/mixed;boundary=q", body, o, &m, buf, sizeof buf),
                 STATUS_OK);
    cr_assert_eq(m.sdp.len, 0, "the SDP part lies beyond SIP_MAX_MULTIPART parts");
    cr_assert_eq(m.anomalies, SIP_ANOM_MULTIPART_BAD);
}

Test(sip, content_type_params_stripped_and_sdp_only_for_sdp)
{
    char buf[1024];
    struct sip_msg m;
    cr_assert_eq(
        parse_with_body("Application/SDP ; charset=utf-8", "v=0\r\n", 5, &m, buf, sizeof buf),
        STATUS_OK);
    cr_assert(sv_is(m.content_type, "Application/SDP"));
    cr_assert(sv_is(m.sdp, "v=0\r\n"));
    cr_assert_eq(parse_with_body("application/pidf+xml", "<x/>", 4, &m, buf, sizeof buf),
                 STATUS_OK);
    cr_assert_eq(m.sdp.len, 0);
    cr_assert(sv_is(m.body, "<x/>"));
}

Test(sip, looks_like_sip_but_not_http)
{
    static const char *yes[] = {
        "INVITE sip:bob@atlanta.example.com SIP/2.0\r\nVia: x\r\n",
        "SIP/2.0 200 OK\r\n",
        "SIP/2.0 100 Trying",
        "SIP/2.0 180\r\n",
        "OPTIONS sips:proxy.example.com SIP/2.0\r\n",
        "FOO tel:+12125551212 SIP/2.0\r\n",
        "\r\n\r\nBYE sip:b@y SIP/2.0\r\n",
    };
    static const char *no[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n",
        "HTTP/1.1 200 OK\r\n",
        "POST sip:x HTTP/1.1\r\n",
        "HELLO WORLD\r\n",
        "SIP/2.0 20 OK\r\n",
        "SIP/2.0 2000 OK\r\n",
        "INVITE sip:bob@example.net\r\n",
        "INVITE http://x SIP/2.0\r\n",
        "\x16\x03\x01 GARBAGE",
        "",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_assert(sip_looks_like((const uint8_t *)yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert_not(sip_looks_like((const uint8_t *)no[i], strlen(no[i])), "%s", no[i]);
    cr_assert_not(sip_looks_like(NULL, 10));
}

Test(sip, header_next_walks_every_line_in_order)
{
    const char *s = "SIP/2.0 200 OK\r\n"
                    "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
                    "X-Custom : one\r\n"
                    "Subject: folded\r\n two\r\n"
                    "Content-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    static const char *names[] = {"Via", "X-Custom", "Subject", "Content-Length"};
    static const char *values[] = {"SIP/2.0/UDP a;branch=z9hG4bK1", "one", "folded\r\n two", "0"};
    size_t pos = 0, i = 0;
    struct sv name, value;
    while (sip_header_next(&m, &pos, &name, &value)) {
        cr_assert_lt(i, 4);
        cr_assert(sv_is(name, names[i]), "%zu", i);
        cr_assert(sv_is(value, values[i]), "%zu", i);
        i++;
    }
    cr_assert_eq(i, 4);
    cr_assert_eq(m.header_lines, 4);
    cr_assert_not(sip_header_next(&m, &pos, &name, &value), "stays at the end");
}

Test(sip, repeated_single_valued_header_is_an_anomaly)
{
    const char *s = "BYE sip:b@y SIP/2.0\r\nCall-ID: first\r\ni: second\r\nCSeq: 1 BYE\r\n"
                    "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nContent-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert(sv_is(m.call_id, "first"), "the first occurrence is kept");
    cr_assert_eq(m.hdr_count[SIP_HDR_CALL_ID], 2);
    cr_assert_eq(m.anomalies, SIP_ANOM_DUP_HEADER);
}

Test(sip, datagram_without_blank_line_ends_at_datagram_end)
{
    /* A datagram cut after its headers: still a message, body empty. */
    const char *s = "OPTIONS sip:b@y SIP/2.0\r\nCall-ID: cut\r\nCSeq: 9 OPTIONS";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert_eq(m.cseq, 9);
    cr_assert_eq(m.body.len, 0);
    cr_assert_eq(m.wire_len, strlen(s));
    cr_assert_eq(parse(s, true, &m), STATUS_NEED_MORE);
    cr_assert_eq(parse("OPTIONS sip:b@y SIP/2.0\r\nCall-ID: x\r\nContent-Length: 1\r\n", false, &m),
                 STATUS_MALFORMED, "Content-Length beyond a datagram without body");
}

Test(sip, baresip_invite_with_empty_supported_header)
{
    /* captures/o_baresip_call_rtcp_netns.pcap: "Supported:" with no value; To before From. */
    const char *s = "INVITE sip:bob@198.51.100.20 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK2ab4dcd4fb06f2ee;rport\r\n"
                    "Contact: <sip:alice-0x562ad4c287e0@198.51.100.10:5060>\r\n"
                    "Max-Forwards: 70\r\n"
                    "To: <sip:bob@198.51.100.20>\r\n"
                    "From: <sip:alice@198.51.100.10>;tag=a64440aab3e670ca\r\n"
                    "Call-ID: b390514f253887bb\r\n"
                    "CSeq: 18409 INVITE\r\n"
                    "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n"
                    "Supported:\r\n"
                    "Content-Length: 0\r\n\r\n";
    struct sip_msg m;
    cr_assert_eq(parse(s, false, &m), STATUS_OK);
    cr_assert_eq(m.cseq, 18409);
    cr_assert(sv_is(m.from_tag, "a64440aab3e670ca"));
    cr_assert(sv_is(m.via_branch, "z9hG4bK2ab4dcd4fb06f2ee"));
    cr_assert_eq(m.hdr_count[SIP_HDR_SUPPORTED], 1);
    cr_assert_eq(m.hdr[SIP_HDR_SUPPORTED].len, 0);
    cr_assert_eq(m.anomalies, 0);
}

Test(sip, datagram_beyond_the_message_cap)
{
    /* A reassembled "datagram" larger than SIP_MAX_MESSAGE: framing stays bounded. */
    size_t len = SIP_MAX_MESSAGE + 4096, a = strlen(TRYING_100);
    char *buf = malloc(len);
    cr_assert_not_null(buf);
    struct sip_msg m;

    /* A header line that never ends within the cap. */
    memset(buf, 'h', len);
    memcpy(buf, "INVITE sip:bob@example.net SIP/2.0\r\nX-Huge: ", 44);
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, len);
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, true, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, SIP_MAX_MESSAGE);

    /* A start line that never ends. */
    memcpy(buf, "INVITE ", 7);
    memset(buf + 7, 'u', len - 7);
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, false, &m), STATUS_MALFORMED);
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, true, &m), STATUS_MALFORMED);

    /* A small message followed by junk: still framed by its Content-Length. */
    memcpy(buf, TRYING_100, a);
    memset(buf + a, 'j', len - a);
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, false, &m), STATUS_OK);
    cr_assert_eq(m.wire_len, a);
    cr_assert(m.anomalies & SIP_ANOM_CL_MISMATCH);

    /* No Content-Length: the body would run past the cap. */
    const char *head = "MESSAGE sip:b@y SIP/2.0\r\nCall-ID: big\r\n\r\n";
    memcpy(buf, head, strlen(head));
    cr_assert_eq(sip_parse((const uint8_t *)buf, len, false, &m), STATUS_MALFORMED);
    cr_assert_eq(m.wire_len, len);
    free(buf);
}
