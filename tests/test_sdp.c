/* test_sdp.c: SDP parser (RFC 8866, RFC 3264 hold, RFC 3605 a=rtcp) on bodies modelled on the
 * captures. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/sdp.h"

/* The session is ~28 KB: keep one per test process, off the stack. */
static struct sdp_session s;

static enum status parse_str(const char *body)
{
    return sdp_parse((const uint8_t *)body, strlen(body), &s);
}

#define assert_sv(view, lit)                                                                       \
    do {                                                                                           \
        struct sv v_ = (view);                                                                     \
        cr_assert(sv_eq(v_, sv_make((lit), strlen(lit))), "got '%.*s', want '%s'", SV_ARG(v_),     \
                  (lit));                                                                          \
    } while (0)

static void assert_addr(const struct addr *a, const char *text)
{
    char buf[ADDR_STR_MAX];
    cr_assert_str_eq(addr_format(a, buf, sizeof buf), text);
}

static const struct sdp_rtpmap *rtpmap_of(const struct sdp_media *m, uint8_t pt)
{
    for (size_t i = 0; i < m->rtpmap_count; i++)
        if (m->rtpmap[i].pt == pt)
            return &m->rtpmap[i];
    return NULL;
}

/* SIPp uac offer, captures/i_hold_resume_reinvite.pcap frame 1. */
static const char sipp_offer[] = "v=0\r\n"
                                 "o=walter 2890844526 2890844526 IN IP4 127.0.10.1\r\n"
                                 "s=-\r\n"
                                 "c=IN IP4 127.0.10.1\r\n"
                                 "t=0 0\r\n"
                                 "m=audio 16384 RTP/AVP 8 0 101\r\n"
                                 "a=rtpmap:8 PCMA/8000\r\n"
                                 "a=rtpmap:0 PCMU/8000\r\n"
                                 "a=rtpmap:101 telephone-event/8000\r\n"
                                 "a=fmtp:101 0-15\r\n"
                                 "a=ptime:30\r\n"
                                 "a=sendrecv\r\n";

Test(sdp, sipp_offer)
{
    cr_assert_eq(parse_str(sipp_offer), STATUS_OK);
    cr_assert_eq(s.anomalies, 0, "anomalies %#x", s.anomalies);
    assert_sv(s.origin_user, "walter");
    cr_assert_eq(s.sess_id, 2890844526ULL);
    cr_assert_eq(s.sess_version, 2890844526ULL);
    assert_addr(&s.origin_addr, "127.0.10.1");
    assert_sv(s.session_name, "-");
    assert_addr(&s.conn, "127.0.10.1");
    cr_assert_eq(s.media_count, 1);
    cr_assert_eq(s.media_dropped, 0);

    const struct sdp_media *m = &s.media[0];
    assert_sv(m->media, "audio");
    cr_assert_eq(m->port, 16384);
    cr_assert_eq(m->port_count, 1);
    assert_sv(m->proto, "RTP/AVP");
    cr_assert_eq(m->fmt_count, 3);
    cr_assert_eq(m->fmt[0], 8);
    cr_assert_eq(m->fmt[1], 0);
    cr_assert_eq(m->fmt[2], 101);
    cr_assert_eq(m->rtpmap_count, 3);
    const struct sdp_rtpmap *te = rtpmap_of(m, 101);
    cr_assert_not_null(te);
    assert_sv(te->name, "telephone-event");
    cr_assert_eq(te->clock_rate, 8000);
    cr_assert_eq(te->channels, 0);
    assert_sv(te->fmtp, "0-15");
    assert_sv(rtpmap_of(m, 8)->fmtp, "");
    assert_addr(&m->conn, "127.0.10.1");
    cr_assert_eq(m->ptime_ms, 30);
    cr_assert_eq(m->dir, SDP_DIR_SENDRECV);
    cr_assert(!m->hold);
    cr_assert_eq(m->rtcp_port, 16385);
    cr_assert(!m->rtcp_explicit);
    cr_assert(!m->rtcp_mux);
    assert_addr(&m->rtcp_addr, "127.0.10.1");
    cr_assert_eq(sdp_media_first_codec(m), 8);
}

/* SIPp re-INVITE putting the call on hold (frame 166): a=sendonly (RFC 3264 §8.4). */
Test(sdp, hold_with_sendonly)
{
    const char *body = "v=0\r\n"
                       "o=walter 2890844526 2890844527 IN IP4 127.0.10.1\r\n"
                       "s=-\r\n"
                       "c=IN IP4 127.0.10.1\r\n"
                       "t=0 0\r\n"
                       "m=audio 16384 RTP/AVP 8 0 101\r\n"
                       "a=rtpmap:8 PCMA/8000\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n"
                       "a=fmtp:101 0-15\r\n"
                       "a=ptime:30\r\n"
                       "a=sendonly\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.sess_version, 2890844527ULL);
    cr_assert_eq(s.media[0].dir, SDP_DIR_SENDONLY);
    cr_assert(s.media[0].hold);
    cr_assert_eq(s.dir, SDP_DIR_SENDRECV, "the attribute is media level");
}

/* SIPp uas answer to the hold (frame 168): recvonly is not hold on the answerer's side. */
Test(sdp, recvonly_answer_is_not_hold)
{
    const char *body = "v=0\r\n"
                       "o=xena 3344556677 3344556678 IN IP4 127.0.10.2\r\n"
                       "s=-\r\n"
                       "c=IN IP4 127.0.10.2\r\n"
                       "t=0 0\r\n"
                       "m=audio 20000 RTP/AVP 8 101\r\n"
                       "a=rtpmap:8 PCMA/8000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n"
                       "a=fmtp:101 0-15\r\n"
                       "a=ptime:30\r\n"
                       "a=recvonly\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media[0].dir, SDP_DIR_RECVONLY);
    cr_assert(!s.media[0].hold);
    cr_assert_eq(s.media[0].port, 20000);
    cr_assert_eq(s.media[0].rtcp_port, 20001);
}

/* RFC 2543 style hold: c=0.0.0.0 with the direction left at sendrecv. */
Test(sdp, hold_with_zero_connection_address)
{
    const char *body = "v=0\r\n"
                       "o=walter 2890844526 2890844528 IN IP4 127.0.10.1\r\n"
                       "s=-\r\n"
                       "c=IN IP4 0.0.0.0\r\n"
                       "t=0 0\r\n"
                       "m=audio 16384 RTP/AVP 8\r\n"
                       "a=rtpmap:8 PCMA/8000\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media[0].dir, SDP_DIR_SENDRECV);
    cr_assert(addr_is_unspecified(&s.media[0].conn));
    cr_assert(s.media[0].hold);
    cr_assert(addr_is_unspecified(&s.media[0].rtcp_addr));
}

Test(sdp, hold_with_ipv6_unspecified_and_inactive)
{
    const char *body = "v=0\r\n"
                       "o=- 1 1 IN IP6 2001:db8::1\r\n"
                       "s=-\r\n"
                       "t=0 0\r\n"
                       "m=audio 4000 RTP/AVP 0\r\n"
                       "c=IN IP6 ::\r\n"
                       "m=audio 4002 RTP/AVP 0\r\n"
                       "c=IN IP6 2001:db8::1\r\n"
                       "a=inactive\r\n"
                       "m=audio 4004 RTP/AVP 0\r\n"
                       "c=IN IP6 2001:db8::1\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media_count, 3);
    cr_assert(s.media[0].hold);
    cr_assert(s.media[1].hold);
    cr_assert_eq(s.media[1].dir, SDP_DIR_INACTIVE);
    cr_assert(!s.media[2].hold);
    cr_assert_eq(s.anomalies, 0, "every m= has its own c=: %#x", s.anomalies);
}

/* RFC 8866 §6.7: a session-level direction is every m='s default; a media-level one overrides. */
Test(sdp, session_direction_inherited_and_overridden)
{
    const char *body = "v=0\r\n"
                       "o=alice 1 2 IN IP4 192.0.2.10\r\n"
                       "s=-\r\n"
                       "c=IN IP4 192.0.2.10\r\n"
                       "t=0 0\r\n"
                       "a=sendonly\r\n"
                       "m=audio 49170 RTP/AVP 0\r\n"
                       "m=video 51372 RTP/AVP 31\r\n"
                       "a=recvonly\r\n"
                       "m=audio 49174 RTP/AVP 8\r\n"
                       "a=sendrecv\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.dir, SDP_DIR_SENDONLY);
    cr_assert_eq(s.media[0].dir, SDP_DIR_SENDONLY);
    cr_assert(s.media[0].hold);
    cr_assert_eq(s.media[1].dir, SDP_DIR_RECVONLY);
    cr_assert(!s.media[1].hold);
    cr_assert_eq(s.media[2].dir, SDP_DIR_SENDRECV);
    cr_assert(!s.media[2].hold);
}

/* baresip 1.0.0 offer, captures/o_baresip_call_rtcp_netns.pcap frame 1. */
Test(sdp, baresip_offer)
{
    const char *body = "v=0\r\n"
                       "o=- 226316828 1892313248 IN IP4 198.51.100.10\r\n"
                       "s=-\r\n"
                       "c=IN IP4 198.51.100.10\r\n"
                       "t=0 0\r\n"
                       "a=tool:baresip 1.0.0\r\n"
                       "m=audio 16410 RTP/AVP 8 0 101\r\n"
                       "a=rtpmap:8 PCMA/8000\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n"
                       "a=fmtp:101 0-15\r\n"
                       "a=sendrecv\r\n"
                       "a=label:1\r\n"
                       "a=rtcp-rsize\r\n"
                       "a=ssrc:3841853634 cname:sip:alice@198.51.100.10\r\n"
                       "a=minptime:20\r\n"
                       "a=ptime:20\r\n";
    cr_assert_eq(sdp_parse((const uint8_t *)body, strlen(body), &s), STATUS_OK);
    cr_assert_eq(s.anomalies, 0);
    assert_sv(s.origin_user, "-");
    cr_assert_eq(s.sess_id, 226316828ULL);
    cr_assert_eq(s.sess_version, 1892313248ULL);
    const struct sdp_media *m = &s.media[0];
    cr_assert_eq(m->port, 16410);
    cr_assert_eq(m->ptime_ms, 20, "a=minptime must not be read as a=ptime");
    cr_assert(!m->rtcp_mux, "a=rtcp-rsize is not a=rtcp-mux");
    cr_assert(!m->rtcp_explicit, "a=rtcp-rsize is not a=rtcp");
    cr_assert_eq(m->rtcp_port, 16411);
    assert_addr(&m->conn, "198.51.100.10");
}

/* edge-captures/ipv6-call.pcap INVITE: c=IN IP6, o= with an IPv6 address. */
Test(sdp, ipv6_offer)
{
    const char *body = "v=0\r\n"
                       "o=alice 1031 1031 IN IP6 2001:db8:10::a\r\n"
                       "s=-\r\n"
                       "c=IN IP6 2001:db8:10::a\r\n"
                       "t=0 0\r\n"
                       "m=audio 20062 RTP/AVP 0 101\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n"
                       "a=fmtp:101 0-15\r\n"
                       "a=ptime:20\r\n"
                       "a=sendrecv\r\n"
                       "a=x-pad:pppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.origin_addr.family, 6);
    assert_addr(&s.origin_addr, "2001:db8:10::a");
    cr_assert_eq(s.media[0].conn.family, 6);
    assert_addr(&s.media[0].conn, "2001:db8:10::a");
    assert_addr(&s.media[0].rtcp_addr, "2001:db8:10::a");
    cr_assert_eq(s.media[0].rtcp_port, 20063);
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(&s.media[0], 0, &rate), "PCMU");
    cr_assert_eq(rate, 8000);
}

/* RFC 3605 §2.1 example: a=rtcp with its own address. */
Test(sdp, rtcp_attribute_with_address)
{
    const char *body = "v=0\r\n"
                       "o=- 1 1 IN IP4 198.51.100.20\r\n"
                       "s=-\r\n"
                       "c=IN IP4 198.51.100.20\r\n"
                       "t=0 0\r\n"
                       "m=audio 49170 RTP/AVP 0\r\n"
                       "a=rtcp:53020 IN IP4 126.16.64.4\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    const struct sdp_media *m = &s.media[0];
    cr_assert(m->rtcp_explicit);
    cr_assert_eq(m->rtcp_port, 53020);
    assert_addr(&m->rtcp_addr, "126.16.64.4");
    assert_addr(&m->conn, "198.51.100.20");
}

Test(sdp, rtcp_attribute_port_only_uses_conn)
{
    const char *body = "v=0\r\n"
                       "o=- 1 1 IN IP4 198.51.100.20\r\n"
                       "s=-\r\n"
                       "t=0 0\r\n"
                       "m=audio 49170 RTP/AVP 0\r\n"
                       "c=IN IP4 198.51.100.20\r\n"
                       "a=rtcp:53020\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert(s.media[0].rtcp_explicit);
    cr_assert_eq(s.media[0].rtcp_port, 53020);
    assert_addr(&s.media[0].rtcp_addr, "198.51.100.20");
}

/* A bad a=rtcp is counted and leaves the RTP-port+1 default in place. */
Test(sdp, rtcp_attribute_bad_values)
{
    const char *body = "v=0\r\n"
                       "o=- 1 1 IN IP4 192.0.2.1\r\n"
                       "s=-\r\n"
                       "c=IN IP4 192.0.2.1\r\n"
                       "t=0 0\r\n"
                       "m=audio 5000 RTP/AVP 0\r\n"
                       "a=rtcp:70000\r\n"
                       "m=audio 6000 RTP/AVP 0\r\n"
                       "a=rtcp:6001 IN IP4 rtcp.example.com\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert(s.anomalies & SDP_ANOM_BAD_CONN);
    cr_assert(!s.media[0].rtcp_explicit);
    cr_assert_eq(s.media[0].rtcp_port, 5001);
    cr_assert_eq(s.media[1].rtcp_port, 6001);
    assert_addr(&s.media[1].rtcp_addr, "192.0.2.1");
}

/* RFC 5761: a=rtcp-mux is a flag; the port default is still port+1 (media.c decides). */
Test(sdp, rtcp_mux_flag)
{
    const char *body = "v=0\r\n"
                       "o=- 1 1 IN IP4 192.0.2.1\r\n"
                       "s=-\r\n"
                       "c=IN IP4 192.0.2.1\r\n"
                       "t=0 0\r\n"
                       "a=rtcp-mux\r\n"
                       "m=audio 5000 RTP/AVP 0\r\n"
                       "m=audio 5002 RTP/AVP 0\r\n"
                       "a=rtcp-mux\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert(!s.media[0].rtcp_mux, "a session-level rtcp-mux is not defined and is ignored");
    cr_assert(s.media[1].rtcp_mux);
    cr_assert_eq(s.media[1].rtcp_port, 5003);
}

/* RFC 3264 §6: port 0 rejects a stream; it keeps its slot so offer and answer indexes line up. */
Test(sdp, rejected_stream_port_zero)
{
    const char *body = "v=0\r\n"
                       "o=bob 2808844564 2808844564 IN IP4 192.0.2.20\r\n"
                       "s=-\r\n"
                       "c=IN IP4 192.0.2.20\r\n"
                       "t=0 0\r\n"
                       "m=audio 49172 RTP/AVP 0\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "m=video 0 RTP/AVP 31\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media_count, 2);
    cr_assert_eq(s.media[1].port, 0);
    cr_assert_eq(s.media[1].rtcp_port, 0, "no RTCP for a rejected stream");
    assert_sv(s.media[1].media, "video");
    cr_assert_eq(s.media[1].fmt_count, 1);
    cr_assert_eq(s.media[1].fmt[0], 31);
    cr_assert_eq(s.anomalies, 0);
}

/* Audio and video: each m= has its own rtpmaps; the video c= overrides the session c=. */
Test(sdp, audio_and_video)
{
    const char *body = "v=0\r\n"
                       "o=carol 28908764872 28908764873 IN IP4 198.51.100.5\r\n"
                       "s=call\r\n"
                       "c=IN IP4 198.51.100.5\r\n"
                       "t=0 0\r\n"
                       "m=audio 49170 RTP/AVP 111 0 8 101\r\n"
                       "a=rtpmap:111 opus/48000/2\r\n"
                       "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                       "a=rtpmap:101 telephone-event/48000\r\n"
                       "m=video 51372 RTP/AVPF 96 97\r\n"
                       "c=IN IP4 198.51.100.6\r\n"
                       "a=rtpmap:96 H264/90000\r\n"
                       "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
                       "a=rtpmap:97 rtx/90000\r\n"
                       "a=fmtp:97 apt=96\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media_count, 2);
    assert_sv(s.session_name, "call");
    cr_assert_eq(s.sess_id, 28908764872ULL, "sess-id is wider than 32 bits");

    const struct sdp_media *a = &s.media[0];
    cr_assert_eq(a->rtpmap_count, 2);
    cr_assert_eq(rtpmap_of(a, 111)->channels, 2);
    assert_sv(rtpmap_of(a, 111)->fmtp, "minptime=10;useinbandfec=1");
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(a, 111, &rate), "opus");
    cr_assert_eq(rate, 48000);
    assert_sv(sdp_media_codec(a, 8, &rate), "PCMA");
    cr_assert_eq(rate, 8000);
    cr_assert_eq(sdp_media_first_codec(a), 111);
    assert_addr(&a->conn, "198.51.100.5");

    const struct sdp_media *v = &s.media[1];
    assert_sv(v->media, "video");
    assert_sv(v->proto, "RTP/AVPF");
    cr_assert_null(rtpmap_of(v, 111), "audio rtpmaps stay with the audio m=");
    assert_sv(rtpmap_of(v, 96)->fmtp, "profile-level-id=42e01f;packetization-mode=1");
    assert_sv(sdp_media_codec(v, 97, &rate), "rtx");
    cr_assert_eq(rate, 90000);
    cr_assert_eq(sdp_media_first_codec(v), 96);
    assert_addr(&v->conn, "198.51.100.6");
    assert_addr(&v->rtcp_addr, "198.51.100.6");
    cr_assert_eq(v->rtcp_port, 51373);
}

/* T.38 fax (ITU-T T.38 Annex D): non-numeric fmt, UDPTL transport, no RTP payload types. */
Test(sdp, t38_image)
{
    const char *body = "v=0\r\n"
                       "o=fax 1 2 IN IP4 192.0.2.30\r\n"
                       "s=-\r\n"
                       "c=IN IP4 192.0.2.30\r\n"
                       "t=0 0\r\n"
                       "m=audio 0 RTP/AVP 0\r\n"
                       "m=image 49172 udptl t38\r\n"
                       "a=T38FaxVersion:0\r\n"
                       "a=T38MaxBitRate:14400\r\n"
                       "a=T38FaxRateManagement:transferredTCF\r\n"
                       "a=T38FaxUdpEC:t38UDPRedundancy\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.anomalies, 0);
    cr_assert_eq(s.media_count, 2);
    const struct sdp_media *m = &s.media[1];
    assert_sv(m->media, "image");
    assert_sv(m->proto, "udptl");
    cr_assert_eq(m->port, 49172);
    cr_assert_eq(m->fmt_count, 0);
    cr_assert_eq(sdp_media_first_codec(m), -1);
    cr_assert_eq(m->rtcp_port, 0, "UDPTL has no RTCP");
    cr_assert(!m->hold);
}

/* Rejected T.38: port 0 and a non-numeric fmt. */
Test(sdp, t38_image_rejected)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.30\r\nm=image 0 udptl t38\r\n"), STATUS_OK);
    cr_assert_eq(s.media_count, 1);
    cr_assert_eq(s.media[0].port, 0);
    cr_assert_eq(s.media[0].fmt_count, 0);
    cr_assert_eq(s.anomalies, 0);
}

/* edge-captures/sip-nul-bytes.pcap: NULs in s=; a C-string parser would stop there. */
Test(sdp, nul_bytes_inside_session_name)
{
    static const char body[] = "v=0\r\n"
                               "o=mallory 99 99 IN IP4 192.0.2.80\r\n"
                               "s=\0\0\0\r\n"
                               "c=IN IP4 192.0.2.80\r\n"
                               "t=0 0\r\n"
                               "m=audio 24000 RTP/AVP 0 101\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=fmtp:101 0-15\r\n"
                               "a=ptime:20\r\n"
                               "a=sendrecv\r\n";
    cr_assert_eq(sdp_parse((const uint8_t *)body, sizeof body - 1, &s), STATUS_OK);
    cr_assert_eq(s.session_name.len, 3);
    cr_assert_eq(memcmp(s.session_name.p, "\0\0\0", 3), 0);
    cr_assert_eq(s.media_count, 1);
    cr_assert_eq(s.media[0].port, 24000);
    cr_assert_eq(s.media[0].rtpmap_count, 2);
    assert_addr(&s.media[0].conn, "192.0.2.80");
    cr_assert_eq(s.anomalies, 0);
}

/* NULs elsewhere: a NUL line type, a NUL inside an address, a NUL inside an encoding name. */
Test(sdp, nul_bytes_in_fields_are_bytes)
{
    static const char body[] = "v=0\n"
                               "\0=junk\n"
                               "c=IN IP4 192.0.2.1\0\n"
                               "m=audio 4000 RTP/AVP 96\n"
                               "a=rtpmap:96 PC\0MU/8000\n";
    cr_assert_eq(sdp_parse((const uint8_t *)body, sizeof body - 1, &s), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert(s.anomalies & SDP_ANOM_BAD_CONN);
    cr_assert_eq(s.conn.family, 0);
    const struct sdp_rtpmap *r = rtpmap_of(&s.media[0], 96);
    cr_assert_eq(r->name.len, 5);
    cr_assert_eq(r->clock_rate, 8000);
}

/* A body cut short: a last line without newline is read, a cut attribute as far as it goes. */
Test(sdp, truncated_body_without_final_newline)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendonly"),
                 STATUS_OK);
    cr_assert_eq(s.media[0].dir, SDP_DIR_SENDONLY);
    cr_assert(s.media[0].hold);

    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\n"
                           "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:8 PCM"),
                 STATUS_OK);
    assert_sv(rtpmap_of(&s.media[0], 8)->name, "PCM");
    cr_assert_eq(rtpmap_of(&s.media[0], 8)->clock_rate, 0);

    /* cut inside the m= line itself: the port is there, the proto is not */
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 40"), STATUS_OK);
    cr_assert_eq(s.media_count, 1);
    cr_assert_eq(s.media[0].port, 0);
    cr_assert(s.anomalies & SDP_ANOM_BAD_MEDIA);

    /* cut inside c=: no address */
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2"), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_CONN);
    cr_assert_eq(s.media[0].conn.family, 0);
}

Test(sdp, bare_lf_lines)
{
    const char *body = "v=0\n"
                       "o=- 7 8 IN IP4 192.0.2.7\n"
                       "s=lf only\n"
                       "c=IN IP4 192.0.2.7\n"
                       "t=0 0\n"
                       "m=audio 7078 RTP/AVP 18 101\n"
                       "a=rtpmap:18 G729/8000\n"
                       "a=fmtp:18 annexb=no\n"
                       "a=rtpmap:101 telephone-event/8000\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.anomalies, 0);
    assert_sv(s.session_name, "lf only");
    cr_assert_eq(s.media[0].port, 7078);
    assert_sv(rtpmap_of(&s.media[0], 18)->fmtp, "annexb=no");
    cr_assert_eq(sdp_media_first_codec(&s.media[0]), 18);
}

Test(sdp, garbage_is_malformed)
{
    cr_assert_eq(sdp_parse((const uint8_t *)"", 0, &s), STATUS_MALFORMED);
    cr_assert_eq(parse_str("hello world"), STATUS_MALFORMED);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert_eq(parse_str("\r\n\r\n\n"), STATUS_MALFORMED);
    cr_assert_eq(parse_str("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n"),
                 STATUS_MALFORMED);
    cr_assert_eq(parse_str("v=1\r\ns=-\r\n"), STATUS_MALFORMED, "only version 0 exists");
    cr_assert_eq(parse_str("m=audio x RTP/AVP 0\r\n"), STATUS_MALFORMED);
    cr_assert_eq(s.media_count, 1, "the unreadable m= still holds its slot");
    static const uint8_t nuls[64];
    cr_assert_eq(sdp_parse(nuls, sizeof nuls, &s), STATUS_MALFORMED);
    /* bytes 0x80..0xff, with a newline in the middle */
    uint8_t bin[256];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (uint8_t)(255 - i);
    cr_assert_eq(sdp_parse(bin, sizeof bin, &s), STATUS_MALFORMED);
    cr_assert_eq(s.media_count, 0);
}

/* An m= line alone is enough to be SDP (some gateways omit v=). */
Test(sdp, m_line_without_version_is_ok)
{
    cr_assert_eq(parse_str("c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"), STATUS_OK);
    cr_assert_eq(s.media[0].port, 4000);
}

Test(sdp, bad_lines_are_counted_and_skipped)
{
    const char *body = "v=0\r\n"
                       "garbage\r\n"
                       "=value\r\n"
                       "Z=upper case type\r\n"
                       "x\r\n"
                       "m=audio 4000 RTP/AVP 0\r\n"
                       "c=IN IP4 192.0.2.1\r\n"
                       "b=AS:64\r\n"
                       "k=prompt\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.anomalies, SDP_ANOM_BAD_LINE, "anomalies %#x", s.anomalies);
    assert_addr(&s.media[0].conn, "192.0.2.1");
}

/* Too many m= lines: 16 kept, the rest counted; their attributes do not leak into m= #16. */
Test(sdp, too_many_media)
{
    static char body[4096];
    size_t n = (size_t)snprintf(body, sizeof body, "v=0\r\nc=IN IP4 192.0.2.1\r\n");
    for (int i = 0; i < SDP_MAX_MEDIA + 4; i++)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"
                              "c=IN IP4 192.0.2.%d\r\n",
                              10000 + 2 * i, i + 2);
    cr_assert_lt(n, sizeof body);
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media_count, SDP_MAX_MEDIA);
    cr_assert_eq(s.media_dropped, 4);
    cr_assert(s.anomalies & SDP_ANOM_TOO_MANY);
    const struct sdp_media *last = &s.media[SDP_MAX_MEDIA - 1];
    cr_assert_eq(last->port, 10000 + 2 * (SDP_MAX_MEDIA - 1));
    cr_assert_eq(last->rtpmap_count, 1);
    assert_addr(&last->conn, "192.0.2.17");
}

Test(sdp, media_dropped_saturates)
{
    static char body[8192];
    size_t n = (size_t)snprintf(body, sizeof body, "v=0\r\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "m=audio 1 RTP/AVP 0\n");
    cr_assert_lt(n, sizeof body);
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media_count, SDP_MAX_MEDIA);
    cr_assert_eq(s.media_dropped, 255);
}

Test(sdp, too_many_fmts_and_rtpmaps)
{
    static char body[8192];
    size_t n =
        (size_t)snprintf(body, sizeof body, "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP");
    for (int pt = 60; pt < 60 + SDP_MAX_FMT + 8; pt++)
        n += (size_t)snprintf(body + n, sizeof body - n, " %d", pt);
    n += (size_t)snprintf(body + n, sizeof body - n, "\r\n");
    for (int pt = 60; pt < 60 + SDP_MAX_RTPMAP + 8; pt++)
        n += (size_t)snprintf(body + n, sizeof body - n, "a=rtpmap:%d codec%d/8000\r\n", pt, pt);
    cr_assert_lt(n, sizeof body);
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.media[0].fmt_count, SDP_MAX_FMT);
    cr_assert_eq(s.media[0].fmt[SDP_MAX_FMT - 1], 60 + SDP_MAX_FMT - 1);
    cr_assert_eq(s.media[0].rtpmap_count, SDP_MAX_RTPMAP);
    cr_assert_eq(s.media[0].rtpmap[SDP_MAX_RTPMAP - 1].pt, 60 + SDP_MAX_RTPMAP - 1);
    cr_assert_eq(s.anomalies, SDP_ANOM_TOO_MANY, "anomalies %#x", s.anomalies);
}

/* SDP_MAX_LINES bounds the scan: lines past it are not read. */
/* Empty lines (CRLF or LF) are skipped without an anomaly; a last line cut after its CR
 * loses the CR, as a CRLF-terminated one does (else the last format would read "8\r"). */
Test(sdp, blank_lines_skipped_and_cut_crlf_dropped)
{
    cr_assert_eq(parse_str("v=0\r\n\r\nc=IN IP4 192.0.2.1\n\na=sendonly\r\n"
                           "\r\nm=audio 4000 RTP/AVP 0 8\r"),
                 STATUS_OK);
    cr_assert_eq(s.anomalies, 0);
    cr_assert_eq(s.media_count, 1);
    cr_assert_eq(s.media[0].port, 4000);
    cr_assert_eq(s.media[0].fmt_count, 2);
    cr_assert_eq(s.media[0].fmt[1], 8);
    cr_assert_eq(s.media[0].dir, SDP_DIR_SENDONLY, "session-level a= after a blank line");
}

Test(sdp, too_many_lines)
{
    static char body[SDP_MAX_LINES * 4 + 64];
    size_t n = (size_t)snprintf(body, sizeof body, "v=0\n");
    for (int i = 1; i < SDP_MAX_LINES; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "t=0\n");
    n += (size_t)snprintf(body + n, sizeof body - n, "m=audio 4000 RTP/AVP 0\n");
    cr_assert_lt(n, sizeof body);
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_TOO_MANY);
    cr_assert_eq(s.media_count, 0, "the m= is line %d", SDP_MAX_LINES + 1);
}

/* RTP payload types are 7 bits: fmts above 127 are skipped and counted. */
Test(sdp, payload_types_above_127_are_invalid)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\n"
                           "m=audio 4000 RTP/AVP 0 128 300 99999999999999 8 127\r\n"
                           "a=rtpmap:200 PCMU/8000\r\n"),
                 STATUS_OK);
    cr_assert_eq(s.media[0].fmt_count, 3);
    cr_assert_eq(s.media[0].fmt[0], 0);
    cr_assert_eq(s.media[0].fmt[1], 8);
    cr_assert_eq(s.media[0].fmt[2], 127);
    cr_assert(s.anomalies & SDP_ANOM_BAD_MEDIA);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE, "a=rtpmap:200");
    cr_assert_eq(s.media[0].rtpmap_count, 0);
}

/* a=fmtp before its a=rtpmap, and a=fmtp for a static type that has no a=rtpmap. */
Test(sdp, fmtp_before_rtpmap_and_for_static_pt)
{
    const char *body = "v=0\r\n"
                       "c=IN IP4 192.0.2.1\r\n"
                       "m=audio 4000 RTP/AVP 18 101\r\n"
                       "a=fmtp:101 0-16\r\n"
                       "a=fmtp:18 annexb=no\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n";
    cr_assert_eq(parse_str(body), STATUS_OK);
    const struct sdp_media *m = &s.media[0];
    cr_assert_eq(m->rtpmap_count, 2);
    const struct sdp_rtpmap *te = rtpmap_of(m, 101);
    assert_sv(te->name, "telephone-event");
    assert_sv(te->fmtp, "0-16");
    const struct sdp_rtpmap *g729 = rtpmap_of(m, 18);
    assert_sv(g729->name, "");
    assert_sv(g729->fmtp, "annexb=no");
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(m, 18, &rate), "G729");
    cr_assert_eq(rate, 8000);
    cr_assert_eq(sdp_media_first_codec(m), 18);
}

Test(sdp, duplicate_rtpmap_updates_the_entry)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 96\r\n"
                           "a=rtpmap:96 AMR/8000\r\na=rtpmap:96 AMR-WB/16000/1\r\n"),
                 STATUS_OK);
    cr_assert_eq(s.media[0].rtpmap_count, 1);
    assert_sv(s.media[0].rtpmap[0].name, "AMR-WB");
    cr_assert_eq(s.media[0].rtpmap[0].clock_rate, 16000);
    cr_assert_eq(s.media[0].rtpmap[0].channels, 1);
}

Test(sdp, no_connection_anywhere)
{
    cr_assert_eq(parse_str("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
                           "m=audio 4000 RTP/AVP 0\r\n"),
                 STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_NO_CONN);
    cr_assert_eq(s.media[0].conn.family, 0);
    cr_assert_eq(s.media[0].rtcp_addr.family, 0);
    cr_assert(!s.media[0].hold, "no address is not the 0.0.0.0 hold address");
}

/* c= forms: multicast /ttl and /count suffixes, hostnames, wrong families, other network types. */
Test(sdp, connection_forms)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 224.2.36.42/127\r\nm=audio 4000 RTP/AVP 0\r\n"),
                 STATUS_OK);
    assert_addr(&s.media[0].conn, "224.2.36.42");
    cr_assert_eq(s.anomalies, 0);

    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 233.252.0.1/127/3\r\nm=audio 4000 RTP/AVP 0\r\n"),
                 STATUS_OK);
    assert_addr(&s.conn, "233.252.0.1");

    cr_assert_eq(parse_str("v=0\r\nc=IN IP6 ff15::101/3\r\nm=audio 4000 RTP/AVP 0\r\n"), STATUS_OK);
    assert_addr(&s.conn, "ff15::101");

    const char *bad[] = {"c=IN IP4 host.example.com",
                         "c=IN IP4 2001:db8::1",
                         "c=IN IP6 192.0.2.1",
                         "c=ATM NSAP 47.0091.8100.0000.0060.3e64.fd01",
                         "c=IN IP4",
                         "c=",
                         "c=IN IPX 192.0.2.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "v=0\r\n%s\r\nm=audio 4000 RTP/AVP 0\r\n", bad[i]);
        cr_assert_eq(parse_str(body), STATUS_OK, "%s", bad[i]);
        cr_assert(s.anomalies & SDP_ANOM_BAD_CONN, "%s", bad[i]);
        cr_assert_eq(s.conn.family, 0, "%s", bad[i]);
    }
}

/* A media-level c= that cannot be read hides the session one: we do not guess the address. */
Test(sdp, unreadable_media_connection_is_not_replaced_by_session)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"
                           "c=IN IP4 media.example.com\r\n"),
                 STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_CONN);
    cr_assert(!(s.anomalies & SDP_ANOM_NO_CONN));
    cr_assert_eq(s.media[0].conn.family, 0);
}

Test(sdp, port_count_and_port_limits)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 49170/2 RTP/AVP 0\r\n"),
                 STATUS_OK);
    cr_assert_eq(s.media[0].port, 49170);
    cr_assert_eq(s.media[0].port_count, 2);
    cr_assert_eq(s.media[0].rtcp_port, 49171);

    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 65535 RTP/AVP 0\r\n"), STATUS_OK);
    cr_assert_eq(s.media[0].port, 65535);
    cr_assert_eq(s.media[0].rtcp_port, 0, "port+1 does not exist");

    const char *bad[] = {"m=audio 65536 RTP/AVP 0",
                         "m=audio -1 RTP/AVP 0",
                         "m=audio 49170/0 RTP/AVP 0",
                         "m=audio 49170/ RTP/AVP 0",
                         "m=audio +5 RTP/AVP 0",
                         "m=audio",
                         "m="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "v=0\r\nc=IN IP4 192.0.2.1\r\n%s\r\nm=audio 6000 RTP/AVP 8\r\n",
                 bad[i]);
        cr_assert_eq(parse_str(body), STATUS_OK, "%s", bad[i]);
        cr_assert(s.anomalies & SDP_ANOM_BAD_MEDIA, "%s", bad[i]);
        cr_assert_eq(s.media_count, 2, "%s", bad[i]);
        cr_assert_eq(s.media[0].port, 0, "%s", bad[i]);
        cr_assert_eq(s.media[0].fmt_count, 0, "%s", bad[i]);
        cr_assert_eq(s.media[1].port, 6000, "%s: the next m= keeps index 1", bad[i]);
    }
}

/* Separators: tabs and runs of spaces are tolerated between fields. */
Test(sdp, tabs_and_extra_spaces)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN  IP4\t192.0.2.1\r\nm=audio  4000\tRTP/AVP  0   8 \r\n"
                           "a=rtpmap:8  PCMA/8000 \r\na=ptime: 20 \r\n"),
                 STATUS_OK);
    assert_addr(&s.media[0].conn, "192.0.2.1");
    cr_assert_eq(s.media[0].fmt_count, 2);
    cr_assert_eq(s.media[0].ptime_ms, 20);
    assert_sv(rtpmap_of(&s.media[0], 8)->name, "PCMA");
}

Test(sdp, ptime_forms)
{
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:20.0\r\n"), STATUS_OK);
    cr_assert_eq(s.media[0].ptime_ms, 20);
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:fast\r\n"), STATUS_OK);
    cr_assert_eq(s.media[0].ptime_ms, 0);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert_eq(parse_str("v=0\r\na=ptime:30\r\nm=audio 4000 RTP/AVP 0\r\n"), STATUS_OK);
    cr_assert_eq(s.media[0].ptime_ms, 0, "a session-level ptime is not defined");
}

/* o= numbers are 64-bit (RFC 8866 §5.2); overflow and non-digits are counted. */
Test(sdp, origin_numbers)
{
    cr_assert_eq(parse_str("v=0\r\no=u 18446744073709551615 1 IN IP4 192.0.2.1\r\n"), STATUS_OK);
    cr_assert_eq(s.sess_id, UINT64_MAX);
    cr_assert_eq(s.anomalies, 0);
    cr_assert_eq(parse_str("v=0\r\no=u 18446744073709551616 1 IN IP4 192.0.2.1\r\n"), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert_eq(parse_str("v=0\r\no=u 12 -3 IN IP4 192.0.2.1\r\n"), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    cr_assert_eq(parse_str("v=0\r\no=u 12\r\n"), STATUS_OK);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE);
    /* a hostname is a legal origin address; it just has no struct addr */
    cr_assert_eq(parse_str("v=0\r\no=u 1 2 IN IP4 pbx.example.com\r\n"), STATUS_OK);
    cr_assert_eq(s.anomalies, 0);
    cr_assert_eq(s.origin_addr.family, 0);
    cr_assert_eq(s.sess_version, 2);
}

Test(sdp, first_codec_skips_aux_payloads)
{
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 101 13 100 97 98 9\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\na=rtpmap:100 red/8000\r\n"
                           "a=rtpmap:97 ulpfec/8000\r\na=rtpmap:98 CN/16000\r\n"),
                 STATUS_OK);
    cr_assert_eq(sdp_media_first_codec(&s.media[0]), 9);
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(&s.media[0], 98, &rate), "CN");
    cr_assert_eq(rate, 16000, "the rtpmap rate beats the static CN rate");

    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 101 13\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\n"),
                 STATUS_OK);
    cr_assert_eq(sdp_media_first_codec(&s.media[0]), -1);
}

/* A dynamic type with no rtpmap has no name; it is still the first codec (it is not known aux). */
Test(sdp, unknown_dynamic_pt)
{
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 96 0\r\n"), STATUS_OK);
    uint32_t rate = 1234;
    struct sv name = sdp_media_codec(&s.media[0], 96, &rate);
    cr_assert_eq(name.len, 0);
    cr_assert_eq(rate, 0);
    cr_assert_eq(sdp_media_first_codec(&s.media[0]), 96);
    assert_sv(sdp_media_codec(&s.media[0], 0, NULL), "PCMU");
    cr_assert_eq(sdp_media_codec(&s.media[0], 20, &rate).len, 0, "unassigned static type");
}

/* a=rtpmap:0 PCMU without a rate: the rate comes from the codec table. */
Test(sdp, rtpmap_without_rate)
{
    cr_assert_eq(parse_str("v=0\r\nm=audio 4000 RTP/AVP 0 96\r\na=rtpmap:0 PCMU\r\n"
                           "a=rtpmap:96 opus/x\r\na=rtpmap:97 /8000\r\n"),
                 STATUS_OK);
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(&s.media[0], 0, &rate), "PCMU");
    cr_assert_eq(rate, 8000);
    assert_sv(sdp_media_codec(&s.media[0], 96, &rate), "opus");
    cr_assert_eq(rate, 48000);
    cr_assert(s.anomalies & SDP_ANOM_BAD_LINE, "opus/x and an empty name are bad");
    cr_assert_null(rtpmap_of(&s.media[0], 97));
}

/* Session-level media attributes (rtpmap, rtcp) have no m= to attach to and are ignored. */
Test(sdp, media_attributes_at_session_level_are_ignored)
{
    cr_assert_eq(parse_str("v=0\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 opus/48000/2\r\n"
                           "a=fmtp:96 x=1\r\na=rtcp:9\r\nm=audio 4000 RTP/AVP 96\r\n"),
                 STATUS_OK);
    cr_assert_eq(s.media[0].rtpmap_count, 0);
    cr_assert(!s.media[0].rtcp_explicit);
    cr_assert_eq(s.media[0].rtcp_port, 4001);
    cr_assert_eq(s.anomalies, 0);
}

Test(sdp, dir_names)
{
    cr_assert_str_eq(sdp_dir_name(SDP_DIR_SENDRECV), "sendrecv");
    cr_assert_str_eq(sdp_dir_name(SDP_DIR_SENDONLY), "sendonly");
    cr_assert_str_eq(sdp_dir_name(SDP_DIR_RECVONLY), "recvonly");
    cr_assert_str_eq(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");
    cr_assert_str_eq(sdp_dir_name((enum sdp_dir)42), "unknown");
}

/* A reused out struct: nothing of the previous body survives in the session or media[0..count). */
Test(sdp, reuse_clears_previous_result)
{
    memset(&s, 0x5a, sizeof s);
    cr_assert_eq(parse_str(sipp_offer), STATUS_OK);
    cr_assert_eq(parse_str("v=0\r\n"), STATUS_OK);
    cr_assert_eq(s.media_count, 0);
    cr_assert_eq(s.media_dropped, 0);
    cr_assert_eq(s.anomalies, 0);
    cr_assert_eq(s.conn.family, 0);
    cr_assert_eq(s.origin_addr.family, 0);
    cr_assert_eq(s.sess_id, 0);
    cr_assert_eq(s.sess_version, 0);
    cr_assert_eq(s.dir, SDP_DIR_SENDRECV);
    cr_assert_eq(s.origin_user.len, 0);
    cr_assert_eq(s.session_name.len, 0);

    cr_assert_eq(parse_str(sipp_offer), STATUS_OK);
    cr_assert_eq(parse_str("v=0\r\nm=video 0 RTP/AVP\r\n"), STATUS_OK);
    const struct sdp_media *m = &s.media[0];
    cr_assert_eq(m->port, 0);
    cr_assert_eq(m->fmt_count, 0);
    cr_assert_eq(m->rtpmap_count, 0);
    cr_assert_eq(m->ptime_ms, 0);
    cr_assert_eq(m->conn.family, 0);
    cr_assert_eq(m->rtcp_port, 0);
    cr_assert(!m->rtcp_explicit);
    cr_assert(!m->rtcp_mux);
    cr_assert_eq(m->dir, SDP_DIR_SENDRECV);
}

/*
 * public-captures/heplify-ipip0.pcap: a scanner's INVITE with SQL injection in
 * c=, 14 audio payload types, and a video m= cut off mid-attribute.
 */
Test(sdp, sql_injection_in_connection_line)
{
    const char *body = "v=0\r\n"
                       "o=- 279118510 1 IN IP4 179.43.150.26\r\n"
                       "s=SonicSIP\r\n"
                       "c=IN IP4 '/**/OR/**/'1'/**/=/**/'1'--\r\n"
                       "t=0 0\r\n"
                       "m=audio 20002 RTP/AVP 0 8 13 18 97 3 98 9 100 99 102 121 105 101\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:13 CN/8000\r\n"
                       "a=rtpmap:18 G729/8000\r\n"
                       "a=fmtp:18 annexb=no\r\n"
                       "a=rtpmap:121 G7221/16000\r\n"
                       "a=fmtp:121 bitrate=24000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n"
                       "a=sendrecv\r\n"
                       "m=video 43000 RTP/AVP 34 115 125 120\r\n"
                       "a=rtpmap:34 H263/90000\r\n"
                       "a=rtpmap:125 H264/90000\r\n"
                       "a=sendrend";
    cr_assert_eq(parse_str(body), STATUS_OK);
    cr_assert_eq(s.anomalies, SDP_ANOM_BAD_CONN | SDP_ANOM_NO_CONN, "anomalies %#x", s.anomalies);
    cr_assert_eq(s.conn.family, 0);
    cr_assert_eq(s.media_count, 2);
    cr_assert_eq(s.media[0].fmt_count, 14);
    cr_assert_eq(s.media[0].conn.family, 0);
    cr_assert(!s.media[0].hold);
    uint32_t rate = 0;
    assert_sv(sdp_media_codec(&s.media[0], 121, &rate), "G7221");
    cr_assert_eq(rate, 16000);
    assert_sv(sdp_media_codec(&s.media[0], 9, &rate), "G722");
    cr_assert_eq(rate, 8000);
    cr_assert_eq(sdp_media_first_codec(&s.media[1]), 34);
    cr_assert_eq(s.media[1].dir, SDP_DIR_SENDRECV, "a=sendrend is not a direction");
}
