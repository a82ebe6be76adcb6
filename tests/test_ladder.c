/* test_ladder.c: Criterion suite for exporters/ladder.c (ladder layout and text drawing of SIP
 * flows, RFC 3261). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/sdp.h"
#include "../exporters/ladder.h"

#define NS 1000000000ull
#define MS 1000000ull
#define US 1000ull
#define T0 (1709295000ull * NS) /* 2024-03-01T12:10:00Z */
#define MAX_MSGS 700

static struct call_msg msgs[MAX_MSGS];
static const struct call_msg *order[MAX_MSGS];
static size_t nmsgs;
static struct ladder lad; /* ~60 KB: static, as ladder.h advises */
static char out[1 << 16];

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip), "bad test address %s", ip);
    e.port = port;
    return e;
}

/* One ladder entry as correlate would record it. */
static struct call_msg *add(uint64_t t, struct endpoint src, struct endpoint dst, const char *label,
                            uint16_t status)
{
    cr_assert_lt(nmsgs, MAX_MSGS);
    struct call_msg *m = &msgs[nmsgs];
    memset(m, 0, sizeof *m);
    m->ts_ns = t;
    static struct call_msg_route routes[MAX_MSGS];
    routes[nmsgs] = (struct call_msg_route){call_msg_no_sdp, src, dst};
    m->path = CALL_MSG_PATH_ROUTE;
    m->status = status;
    static char labels[MAX_MSGS][CALL_MSG_LABEL_MAX];
    snprintf(labels[nmsgs], sizeof labels[nmsgs], "%s", label);
    m->label = labels[nmsgs];
    m->sdp = &routes[nmsgs].sdp; /* add()'s own record: with_sdp fills it */
    order[nmsgs] = m;
    nmsgs++;
    return m;
}

static void with_sdp(struct call_msg *m, const char *codec, struct endpoint media, enum sdp_dir dir)
{
    m->flags |= CALL_MSG_SDP;
    struct call_msg_sdp *x = (struct call_msg_sdp *)(uintptr_t)m->sdp; /* add()'s own record */
    x->codec = codec;
    x->media = media;
    x->dir = (uint8_t)dir;
}

static void base_call(struct call *c, struct endpoint src, struct endpoint dst)
{
    memset(c, 0, sizeof *c);
    call_str_init(c);
    nmsgs = 0;
    c->call_id = "3c26b1f2e9a0-22066-1@127.0.1.1";
    c->from = "sip:alice@127.0.1.1";
    c->to = "sip:bob@127.0.1.2";
    c->src = src;
    c->dst = dst;
    c->start_ns = T0;
}

/* captures/a_basic_call.pcap: times from its sip_messages.tsv */
static void basic_call(struct call *c)
{
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(c, a, b);
    with_sdp(add(T0, a, b, "INVITE", 0), "PCMA", ep("127.0.1.1", 16384), SDP_DIR_SENDRECV);
    add(T0 + 586 * US, b, a, "100 Trying", 100);
    add(T0 + 1681 * US, b, a, "180 Ringing", 180);
    with_sdp(add(T0 + 1507872 * US, b, a, "200 OK", 200), "PCMA", ep("127.0.1.2", 20000),
             SDP_DIR_SENDRECV);
    add(T0 + 1507966 * US, a, b, "ACK", 0);
    add(T0 + 9012192 * US, a, b, "BYE", 0);
    add(T0 + 9012236 * US, b, a, "200 OK", 200);
    c->ringing_ns = T0 + 1681 * US;
    c->answer_ns = T0 + 1507872 * US;
    c->end_ns = T0 + 9012192 * US;
    c->last_ns = T0 + 9012236 * US;
    c->state = CALL_STATE_COMPLETED;
    c->final_code = 200;
    c->sip_messages = 7;
}

/* Lay out and draw into out[]; returns out. */
static const char *draw(const struct call *c, uint16_t width, enum ladder_time t)
{
    struct ladder_opts o = {.width = width, .time = t};
    ladder_layout(&lad, c, order, nmsgs, &o);
    FILE *f = fmemopen(out, sizeof out, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ladder_print(f, &lad), 0);
    cr_assert_eq(fclose(f), 0);
    return out;
}

static size_t widest_line(const char *s)
{
    size_t best = 0;
    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n > best)
            best = n;
        s += n + (s[n] == '\n');
    }
    return best;
}

static void expect_text(const char *got, const char *want)
{
    cr_assert_str_eq(got, want, "drawn:\n%s\nwanted:\n%s", got, want);
}

Test(ladder, basic_call_byte_exact)
{
    struct call c;
    basic_call(&c);
    expect_text(draw(&c, 0, LADDER_TIME_RELATIVE),
                "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\n"
                "From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2\n"
                "State:   completed (200), 7 SIP messages\n"
                "Start:   2024-03-01 12:10:00.000 UTC, setup 1.681 ms, duration 7.504 s\n"
                "\n"
                "        127.0.1.1:5060                              127.0.1.2:5060\n"
                "              |                                           |\n"
                "  0.000       |---------------INVITE (SDP)--------------->|\n"
                "              |       PCMA 127.0.1.1:16384 sendrecv       |\n"
                "  0.000       |<---------------100 Trying-----------------|\n"
                "  0.001       |<---------------180 Ringing----------------|\n"
                "  1.507       |<--------------200 OK (SDP)----------------|\n"
                "              |       PCMA 127.0.1.2:20000 sendrecv       |\n"
                "  1.507       |--------------------ACK------------------->|\n"
                "  9.012       |--------------------BYE------------------->|\n"
                "  9.012       |<-----------------200 OK-------------------|\n");
    cr_assert_eq(lad.col_count, 2);
    cr_assert_eq(lad.row_count, 7);
    cr_assert_eq(ladder_line_count(&lad), 16);
}

Test(ladder, absolute_times)
{
    struct call c;
    basic_call(&c);
    const char *s = draw(&c, 80, LADDER_TIME_ABSOLUTE);
    cr_assert_not_null(
        strstr(s, "\n12:10:00.000       |---------------INVITE (SDP)--------------->|\n"), "%s", s);
    cr_assert_not_null(
        strstr(s, "\n12:10:09.012       |<-----------------200 OK-------------------|\n"), "%s", s);
}

Test(ladder, retransmissions_drawn_with_equals)
{
    /* an INVITE nobody answers: RFC 3261 Timer A doubles from 500 ms; state timeout */
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    with_sdp(add(T0, a, b, "INVITE", 0), "PCMU", ep("127.0.1.1", 16384), SDP_DIR_SENDRECV);
    struct call_msg *r1 = add(T0 + 500 * MS, a, b, "INVITE", 0);
    *r1 = msgs[0];
    r1->ts_ns = T0 + 500 * MS;
    r1->flags |= CALL_MSG_RETRANS;
    struct call_msg *r2 = add(T0 + 1500 * MS, a, b, "INVITE", 0);
    *r2 = *r1;
    r2->ts_ns = T0 + 1500 * MS;
    add(T0 + 1501 * MS, b, a, "100 Trying", 100);
    struct call_msg *r3 = add(T0 + 1502 * MS, b, a, "100 Trying", 100);
    r3->flags |= CALL_MSG_RETRANS;
    c.state = CALL_STATE_TIMEOUT;
    c.sip_messages = 5;
    c.retransmissions = 3;
    expect_text(draw(&c, 80, LADDER_TIME_RELATIVE),
                "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\n"
                "From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2\n"
                "State:   timeout, 5 SIP messages, 3 retransmissions\n"
                "Start:   2024-03-01 12:10:00.000 UTC\n"
                "\n"
                "        127.0.1.1:5060                              127.0.1.2:5060\n"
                "              |                                           |\n"
                "  0.000       |---------------INVITE (SDP)--------------->|\n"
                "              |       PCMU 127.0.1.1:16384 sendrecv       |\n"
                "  0.500       |==========INVITE (SDP) (retrans)==========>|\n"
                "              |       PCMU 127.0.1.1:16384 sendrecv       |\n"
                "  1.500       |==========INVITE (SDP) (retrans)==========>|\n"
                "              |       PCMU 127.0.1.1:16384 sendrecv       |\n"
                "  1.501       |<---------------100 Trying-----------------|\n"
                "  1.502       |<==========100 Trying (retrans)============|\n");
}

/* A call through a proxy at 127.0.1.10, with early media and one INVITE retransmission. */
static void proxy_call(struct call *c)
{
    struct endpoint a = ep("127.0.1.1", 5060), p = ep("127.0.1.10", 5060),
                    b = ep("127.0.1.2", 5060);
    struct endpoint ma = ep("127.0.1.1", 16384), mb = ep("127.0.1.2", 20000);
    base_call(c, a, p);
    c->call_id = "8f1c2b@127.0.1.1";
    with_sdp(add(T0, a, p, "INVITE", 0), "PCMA", ma, SDP_DIR_SENDRECV);
    add(T0 + 300 * US, p, a, "100 Trying", 100);
    with_sdp(add(T0 + 900 * US, p, b, "INVITE", 0), "PCMA", ma, SDP_DIR_SENDRECV);
    add(T0 + 1200 * US, b, p, "100 Trying", 100);
    with_sdp(add(T0 + 1900 * US, b, p, "183 Session Progress", 183), "PCMA", mb, SDP_DIR_SENDRECV);
    with_sdp(add(T0 + 2113 * US, p, a, "183 Session Progress", 183), "PCMA", mb, SDP_DIR_SENDRECV);
    struct call_msg *re = add(T0 + 500900 * US, a, p, "INVITE", 0);
    with_sdp(re, "PCMA", ma, SDP_DIR_SENDRECV);
    re->flags |= CALL_MSG_RETRANS;
    with_sdp(add(T0 + 3000 * MS, b, p, "200 OK", 200), "PCMA", mb, SDP_DIR_SENDRECV);
    with_sdp(add(T0 + 3000400 * US, p, a, "200 OK", 200), "PCMA", mb, SDP_DIR_SENDRECV);
    add(T0 + 3001 * MS, a, p, "ACK", 0);
    add(T0 + 3001300 * US, p, b, "ACK", 0);
    add(T0 + 8001 * MS, b, p, "BYE", 0);
    add(T0 + 8001200 * US, p, a, "BYE", 0);
    add(T0 + 8001500 * US, a, p, "200 OK", 200);
    add(T0 + 8001700 * US, p, b, "200 OK", 200);
    c->ringing_ns = T0 + 2113 * US;
    c->answer_ns = T0 + 3000400 * US;
    c->end_ns = T0 + 8001200 * US;
    c->state = CALL_STATE_COMPLETED;
    c->final_code = 200;
    c->sip_messages = 15;
    c->retransmissions = 1;
}

Test(ladder, proxy_call_three_columns_fit_80)
{
    struct call c;
    proxy_call(&c);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    expect_text(s,
                "Call-ID: 8f1c2b@127.0.1.1\n"
                "From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2\n"
                "State:   completed (200), 15 SIP messages, 1 retransmission\n"
                "Start:   2024-03-01 12:10:00.000 UTC, setup 2.113 ms, duration 5.001 s\n"
                "\n"
                "        127.0.1.1:5060              127.0.1.10:5060               127.0.1.2:5060\n"
                "              |                            |                            |\n"
                "  0.000       |--------INVITE (SDP)------->|                            |\n"
                "              |    PCMA 127.0.1.1:16384    |                            |\n"
                "  0.000       |<--------100 Trying---------|                            |\n"
                "  0.000       |                            |--------INVITE (SDP)------->|\n"
                "              |                            |    PCMA 127.0.1.1:16384    |\n"
                "  0.001       |                            |<--------100 Trying---------|\n"
                "  0.001       |                            |<---183 Session Progress----|\n"
                "              |                            |    PCMA 127.0.1.2:20000    |\n"
                "  0.002       |<---183 Session Progress----|                            |\n"
                "              |    PCMA 127.0.1.2:20000    |                            |\n"
                "  0.500       |===INVITE (SDP) (retrans)==>|                            |\n"
                "              |    PCMA 127.0.1.1:16384    |                            |\n"
                "  3.000       |                            |<-------200 OK (SDP)--------|\n"
                "              |                            |    PCMA 127.0.1.2:20000    |\n"
                "  3.000       |<-------200 OK (SDP)--------|                            |\n"
                "              |    PCMA 127.0.1.2:20000    |                            |\n"
                "  3.001       |------------ACK------------>|                            |\n"
                "  3.001       |                            |------------ACK------------>|\n"
                "  8.001       |                            |<-----------BYE-------------|\n"
                "  8.001       |<-----------BYE-------------|                            |\n"
                "  8.001       |-----------200 OK---------->|                            |\n"
                "  8.001       |                            |-----------200 OK---------->|\n");
    cr_assert_leq(widest_line(s), 80);
    cr_assert_eq(lad.col_count, 3);
    cr_assert_str_eq(lad.cols[1].name, "127.0.1.10:5060", "columns in order of first appearance");
}

Test(ladder, arrow_across_a_middle_column)
{
    /* the proxy forwards nothing: A talks straight to C over B's bar */
    struct call c;
    struct endpoint a = ep("10.0.0.1", 5060), b = ep("10.0.0.2", 5060), d = ep("10.0.0.3", 5060);
    base_call(&c, a, b);
    add(T0, a, b, "OPTIONS", 0);
    add(T0 + 1 * MS, a, d, "INVITE", 0);
    add(T0 + 2 * MS, d, a, "486 Busy Here", 486);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_not_null(
        strstr(s, "\n  0.001       |-------------------------INVITE------------------------->|\n"),
        "%s", s);
    cr_assert_not_null(
        strstr(s, "\n  0.002       |<---------------------486 Busy Here----------------------|\n"),
        "%s", s);
}

Test(ladder, ipv6_endpoints)
{
    struct call c;
    struct endpoint a = ep("2001:db8::1", 5060), b = ep("2001:db8::2", 5060);
    base_call(&c, a, b);
    c.call_id = "v6@[2001:db8::1]";
    c.from = "sip:alice@[2001:db8::1]";
    c.to = "sip:bob@[2001:db8::2]";
    with_sdp(add(T0, a, b, "INVITE", 0), "opus", ep("2001:db8::1", 40000), SDP_DIR_SENDRECV);
    with_sdp(add(T0 + 20 * MS, b, a, "200 OK", 200), "opus", ep("2001:db8::2", 50000),
             SDP_DIR_RECVONLY);
    add(T0 + 21 * MS, a, b, "ACK", 0);
    c.answer_ns = T0 + 20 * MS;
    c.last_ns = T0 + 21 * MS;
    c.state = CALL_STATE_ANSWERED;
    c.final_code = 200;
    c.sip_messages = 3;
    expect_text(draw(&c, 80, LADDER_TIME_RELATIVE),
                "Call-ID: v6@[2001:db8::1]\n"
                "From:    sip:alice@[2001:db8::1] -> sip:bob@[2001:db8::2]\n"
                "State:   answered (200), 3 SIP messages\n"
                "Start:   2024-03-01 12:10:00.000 UTC\n"
                "\n"
                "        [2001:db8::1]:5060                          [2001:db8::2]:5060\n"
                "                |                                           |\n"
                "  0.000         |---------------INVITE (SDP)--------------->|\n"
                "                |     opus [2001:db8::1]:40000 sendrecv     |\n"
                "  0.020         |<--------------200 OK (SDP)----------------|\n"
                "                |     opus [2001:db8::2]:50000 recvonly     |\n"
                "  0.021         |--------------------ACK------------------->|\n");
}

Test(ladder, long_ipv6_addresses_get_a_legend_and_fit_80)
{
    struct call c;
    struct endpoint a = ep("2001:db8:85a3:1111:2222:8a2e:370:7334", 5060);
    struct endpoint p = ep("2001:db8:85a3:1111:2222:8a2e:370:1", 5060);
    struct endpoint b = ep("2001:db8:85a3:1111:2222:8a2e:370:7335", 5062);
    base_call(&c, a, p);
    add(T0, a, p, "INVITE", 0);
    add(T0 + 1 * MS, p, b, "INVITE", 0);
    add(T0 + 2 * MS, b, p, "603 Decline", 603);
    add(T0 + 3 * MS, p, a, "603 Decline", 603);
    add(T0 + 4 * MS, a, p, "ACK", 0);
    c.state = CALL_STATE_BUSY;
    c.final_code = 603;
    c.sip_messages = 5;
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    expect_text(
        s, "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\n"
           "From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2\n"
           "State:   busy (603), 5 SIP messages\n"
           "Start:   2024-03-01 12:10:00.000 UTC\n"
           "\n"
           "        A  [2001:db8:85a3:1111:2222:8a2e:370:7334]:5060\n"
           "        B  [2001:db8:85a3:1111:2222:8a2e:370:1]:5060\n"
           "        C  [2001:db8:85a3:1111:2222:8a2e:370:7335]:5062\n"
           "        A                                  B                                  C\n"
           "        |                                  |                                  |\n"
           "  0.000 |--------------INVITE------------->|                                  |\n"
           "  0.001 |                                  |--------------INVITE------------->|\n"
           "  0.002 |                                  |<----------603 Decline------------|\n"
           "  0.003 |<----------603 Decline------------|                                  |\n"
           "  0.004 |---------------ACK--------------->|                                  |\n");
    cr_assert(lad.legend);
    cr_assert_leq(widest_line(s), 80);
}

Test(ladder, widest_ipv4_addresses_and_long_times_fit_80)
{
    struct call c;
    struct endpoint a = ep("255.255.255.201", 65535), p = ep("255.255.255.202", 65535);
    struct endpoint b = ep("255.255.255.203", 65535);
    base_call(&c, a, p);
    add(T0, a, p, "INVITE", 0);
    add(T0 + 1 * MS, p, b, "INVITE", 0);
    add(T0 + 86400 * NS, b, p, "BYE", 0); /* a day later: the time column widens */
    add(T0 + 86400 * NS + 1, p, a, "BYE", 0);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_not(lad.legend, "%s", s);
    cr_assert_eq(lad.time_width, 9);
    cr_assert_leq(widest_line(s), 80, "%s", s);
    cr_assert_not_null(strstr(s, "\n86400.000 "), "%s", s);
}

Test(ladder, labels_too_long_are_shortened_in_order)
{
    struct call c;
    proxy_call(&c);
    nmsgs = 0;
    struct endpoint a = ep("127.0.1.1", 5060), p = ep("127.0.1.10", 5060),
                    b = ep("127.0.1.2", 5060);
    add(T0, a, p, "INVITE", 0);
    add(T0 + 1 * MS, p, b, "INVITE", 0);
    /* + " (SDP)" is too long for the span: the SDP mark goes first, the SDP line stays */
    with_sdp(add(T0 + 2 * MS, b, p, "183 Session in Progress", 183), "G722", ep("127.0.1.2", 20000),
             SDP_DIR_SENDONLY);
    /* 23 characters (24 with '~'), retransmitted: "(retrans)" turns "(R)", then the label is cut */
    struct call_msg *m = add(T0 + 3 * MS, b, p, "VERYLONGMETHODNAMEXYZ12", 0);
    m->flags |= CALL_MSG_RETRANS;
    add(T0 + 4 * MS, b, p, "INFORMATION", 0)->flags |= CALL_MSG_RETRANS;       /* fits whole */
    add(T0 + 5 * MS, b, p, "SUBSCRIBE-REFRESH", 0)->flags |= CALL_MSG_RETRANS; /* fits with (R) */
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_not_null(
        strstr(s, "\n  0.002       |                            |<-183 Session in Progress---|\n"
                  "              |                            | G722 127.0.1.2:20000 send~ |\n"),
        "%s", s);
    cr_assert_not_null(
        strstr(s, "\n  0.003       |                            |<=VERYLONGMETHODNAMEX~ (R)==|\n"),
        "%s", s);
    cr_assert_not_null(
        strstr(s, "\n  0.004       |                            |<==INFORMATION (retrans)====|\n"),
        "%s", s);
    cr_assert_not_null(
        strstr(s, "\n  0.005       |                            |<==SUBSCRIBE-REFRESH (R)====|\n"),
        "%s", s);
    cr_assert_leq(widest_line(s), 80);
}

Test(ladder, narrow_width_shortens_everything)
{
    struct call c;
    basic_call(&c);
    const char *s = draw(&c, 40, LADDER_TIME_RELATIVE);
    expect_text(s, "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\n"
                   "From:    sip:alice@127.0.1.1\n"
                   "To:      sip:bob@127.0.1.2\n"
                   "State:   completed (200), 7 SIP messages\n"
                   "Start:   2024-03-01 12:10:00.000 UTC, s~\n"
                   "\n"
                   "        127.0.1.1:5060    127.0.1.2:5060\n"
                   "              |                 |\n"
                   "  0.000       |--INVITE (SDP)-->|\n"
                   "              | PCMA 127.0.1.1~ |\n"
                   "  0.000       |<--100 Trying----|\n"
                   "  0.001       |<--180 Ringing---|\n"
                   "  1.507       |<-200 OK (SDP)---|\n"
                   "              | PCMA 127.0.1.2~ |\n"
                   "  1.507       |-------ACK------>|\n"
                   "  9.012       |-------BYE------>|\n"
                   "  9.012       |<----200 OK------|\n");
    cr_assert_leq(widest_line(s), 40);
}

Test(ladder, width_is_clamped)
{
    struct call c;
    basic_call(&c);
    struct ladder_opts o = {.width = 3};
    ladder_layout(&lad, &c, order, nmsgs, &o);
    cr_assert_eq(lad.width, LADDER_MIN_WIDTH);
    o.width = 60000;
    ladder_layout(&lad, &c, order, nmsgs, &o);
    cr_assert_eq(lad.width, LADDER_MAX_WIDTH);
    ladder_layout(&lad, &c, order, nmsgs, NULL);
    cr_assert_eq(lad.width, LADDER_DEFAULT_WIDTH);
    cr_assert_leq(lad.spacing, LADDER_SPACING_MAX);
}

Test(ladder, many_endpoints_grow_wider_but_stay_aligned)
{
    struct call c;
    struct endpoint e[6];
    char ip[32];
    for (int k = 0; k < 6; k++) {
        snprintf(ip, sizeof ip, "192.168.100.%d", 101 + k);
        e[k] = ep(ip, 5060);
    }
    base_call(&c, e[0], e[1]);
    for (int k = 0; k < 5; k++)
        add(T0 + (uint64_t)k * MS, e[k], e[k + 1], "INVITE", 0);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_eq(lad.col_count, 6);
    cr_assert_geq(lad.spacing, LADDER_SPACING_MIN);
    /* every line puts its bars at the same columns */
    char line[LADDER_LINE_MAX];
    for (size_t i = lad.title_lines + lad.legend_lines + 1; ladder_line(&lad, i, line, sizeof line);
         i++)
        for (int k = 0; k < 6; k++) {
            char ch = line[lad.cols[k].x];
            cr_assert(ch == '|' || ch == '-' || ch == '>' || ch == '<' || (ch >= 'A' && ch <= 'Z'),
                      "line %zu col %d: '%c'\n%s", i, k, ch, s);
        }
}

Test(ladder, endpoints_beyond_the_cap_are_counted)
{
    struct call c;
    struct endpoint hub = ep("10.0.0.1", 5060);
    base_call(&c, hub, hub);
    char ip[32];
    for (int k = 0; k < LADDER_MAX_COLS + 3; k++) {
        snprintf(ip, sizeof ip, "10.0.1.%d", k + 1);
        add(T0 + (uint64_t)k * MS, hub, ep(ip, 5060), "OPTIONS", 0);
    }
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_eq(lad.col_count, LADDER_MAX_COLS);
    cr_assert_eq(lad.row_count, LADDER_MAX_COLS - 1);
    cr_assert_eq(lad.not_drawn, 4);
    cr_assert_not_null(
        strstr(s, "\n(4 more messages not drawn: over 512 messages or 12 endpoints)\n"), "%s", s);
    cr_assert_lt(widest_line(s), LADDER_LINE_MAX);
}

Test(ladder, rows_beyond_the_cap_are_counted)
{
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    for (int k = 0; k < LADDER_MAX_ROWS + 100; k++)
        add(T0 + (uint64_t)k * MS, k % 2 ? b : a, k % 2 ? a : b, k % 2 ? "200 OK" : "OPTIONS", 0);
    c.msg_dropped = 1;
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_eq(lad.row_count, LADDER_MAX_ROWS);
    cr_assert_eq(lad.not_drawn, 100);
    const char *tail = "\n(100 more messages not drawn: over 512 messages or 12 endpoints)\n"
                       "(1 message not kept by the sensor)\n";
    cr_assert_str_eq(s + strlen(s) - strlen(tail), tail);

    /* messages the caller never passed count the same way */
    struct ladder_opts o = {.omitted = 7};
    ladder_layout(&lad, &c, order, 2, &o);
    cr_assert_eq(lad.not_drawn, 7);
    char line[LADDER_LINE_MAX];
    cr_assert(ladder_line(&lad, ladder_line_count(&lad) - 2, line, sizeof line));
    cr_assert_str_eq(line, "(7 more messages not drawn: over 512 messages or 12 endpoints)");
}

Test(ladder, call_without_messages)
{
    struct call c;
    base_call(&c, ep("127.0.1.1", 5060), ep("127.0.1.2", 5060));
    c.msg_dropped = 3;
    expect_text(draw(&c, 80, LADDER_TIME_RELATIVE),
                "Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1\n"
                "From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2\n"
                "State:   trying, 0 SIP messages\n"
                "Start:   2024-03-01 12:10:00.000 UTC\n"
                "\n"
                "        127.0.1.1:5060\n"
                "              |\n"
                "(no SIP messages kept for this call)\n"
                "(3 messages not kept by the sensor)\n");
}

Test(ladder, empty_call_record)
{
    /* nothing at all: no caller, no messages, no strings */
    struct call c;
    memset(&c, 0, sizeof c);
    call_str_init(&c);
    nmsgs = 0;
    expect_text(draw(&c, 80, LADDER_TIME_RELATIVE), "Call-ID: -\n"
                                                    "From:    - -> -\n"
                                                    "State:   trying, 0 SIP messages\n"
                                                    "Start:   -\n"
                                                    "\n"
                                                    "(no SIP messages kept for this call)\n");
    ladder_layout(&lad, &c, NULL, 5, NULL);
    cr_assert_eq(lad.row_count, 0);
}

Test(ladder, null_entries_skipped_and_self_message)
{
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    add(T0, a, b, "INVITE", 0);
    add(T0 + 1 * MS, b, b, "NOTIFY", 0);
    order[1] = NULL;
    add(T0 + 2 * MS, b, b, "NOTIFY", 0);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_eq(lad.row_count, 2);
    cr_assert_not_null(
        strstr(s, "\n  0.002       |                                           |<> NOTIFY\n"), "%s",
        s);
}

Test(ladder, reinvite_and_cut_reason_phrase)
{
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    struct call_msg *m = add(T0, a, b, "INVITE", 0);
    with_sdp(m, "PCMA", ep("127.0.1.1", 16384), SDP_DIR_SENDONLY);
    m->flags |= CALL_MSG_REINVITE;
    /* a label of CALL_MSG_LABEL_MAX - 1 characters may have been cut by the recorder: '~' */
    add(T0 + 1 * MS, b, a, "407 Proxy Authentication Required, Realm", 407);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_not_null(strstr(s, "\n  0.000       |--------------re-INVITE (SDP)------------->|\n"
                                 "              |       PCMA 127.0.1.1:16384 sendonly       |\n"),
                       "%s", s);
    cr_assert_not_null(strstr(s, "\n  0.001       |<-407 Proxy Authentication Required, Rea~--|\n"),
                       "%s", s);
}

Test(ladder, out_of_order_time_is_negative)
{
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    add(T0, a, b, "INVITE", 0);
    add(T0 - 1500 * US, b, a, "100 Trying", 100);
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_not_null(strstr(s, "\n -0.001       |<"), "%s", s);
}

Test(ladder, hostile_text_is_printable_ascii)
{
    struct call c;
    struct endpoint a = ep("127.0.1.1", 5060), b = ep("127.0.1.2", 5060);
    base_call(&c, a, b);
    c.call_id = "id\x1b]0;pwned\x07\xc3\xa9";
    c.from = "sip:\r\nx@y";
    with_sdp(add(T0, a, b, "INV\x1bITE", 0),
             "PC\x7f"
             "MA",
             ep("127.0.1.1", 4000), (enum sdp_dir)9);
    add(T0, b, a, "", 0);   /* no label: "?" */
    add(T0, b, a, "", 404); /* no label, a status: the code */
    const char *s = draw(&c, 80, LADDER_TIME_RELATIVE);
    for (const char *p = s; *p; p++)
        cr_assert((*p >= 0x20 && *p < 0x7f) || *p == '\n', "byte 0x%02x at %zu", (unsigned char)*p,
                  (size_t)(p - s));
    cr_assert_not_null(strstr(s, "Call-ID: id?]0;pwned???\n"));
    cr_assert_not_null(strstr(s, "From:    sip:??x@y -> sip:bob@127.0.1.2\n"));
    cr_assert_not_null(strstr(s, "INV?ITE (SDP)"));
    cr_assert_not_null(strstr(s, "|           PC?MA 127.0.1.1:4000            |"), "%s", s);
    cr_assert_not_null(strstr(s, "-?--"), "%s", s);
    cr_assert_not_null(strstr(s, "-404--"), "%s", s);
}

Test(ladder, long_from_and_to_split_over_two_lines)
{
    struct call c;
    basic_call(&c);
    static char from[CALL_AOR_MAX];
    memset(from, 'f', sizeof from - 1);
    c.from = from;
    c.to = "sip:bob@example.com";
    char line[LADDER_LINE_MAX];
    draw(&c, 80, LADDER_TIME_RELATIVE);
    cr_assert_eq(lad.title_lines, 6);
    ladder_line(&lad, 1, line, sizeof line);
    cr_assert_eq(strlen(line), 80);
    cr_assert_eq(strncmp(line, "From:    fffff", 14), 0);
    cr_assert_eq(line[79], '~');
    ladder_line(&lad, 2, line, sizeof line);
    cr_assert_str_eq(line, "To:      sip:bob@example.com");
    ladder_line(&lad, 3, line, sizeof line);
    cr_assert_str_eq(line, "State:   completed (200), 7 SIP messages");
}

Test(ladder, line_access_is_bounded)
{
    struct call c;
    basic_call(&c);
    ladder_layout(&lad, &c, order, nmsgs, NULL);
    char buf[16];
    memset(buf, 'X', sizeof buf);
    cr_assert(ladder_line(&lad, 7, buf, 10));
    cr_assert_str_eq(buf, "  0.000  "); /* cut to 9 characters + NUL */
    cr_assert_eq(buf[10], 'X');
    cr_assert(ladder_line(&lad, 7, buf, 0)); /* nothing written */
    cr_assert_eq(buf[10], 'X');
    cr_assert_not(ladder_line(&lad, ladder_line_count(&lad), buf, sizeof buf));
    cr_assert_not(ladder_line(&lad, (size_t)-1, buf, sizeof buf));
}

Test(ladder, layout_outlives_its_messages)
{
    struct call c;
    basic_call(&c);
    ladder_layout(&lad, &c, order, nmsgs, NULL);
    char before[LADDER_LINE_MAX], after[LADDER_LINE_MAX];
    ladder_line(&lad, 7, before, sizeof before);
    memset(msgs, 0xa5, sizeof msgs);
    memset(&c, 0x5a, sizeof c);
    ladder_line(&lad, 7, after, sizeof after);
    cr_assert_str_eq(before, after);
}

Test(ladder, write_failure_reported)
{
    struct call c;
    basic_call(&c);
    ladder_layout(&lad, &c, order, nmsgs, NULL);
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        cr_skip_test("no /dev/full");
    setvbuf(f, NULL, _IONBF, 0);
    cr_assert_eq(ladder_print(f, &lad), -1);
    cr_assert_eq(ladder_print_svg(f, &lad), -1);
    fclose(f);
}

Test(ladder, svg_has_arrows_and_escapes_text)
{
    struct call c;
    basic_call(&c);
    msgs[4].label = "<ACK & \"x\">";
    msgs[1].flags |= CALL_MSG_RETRANS;
    ladder_layout(&lad, &c, order, nmsgs, NULL);
    FILE *f = fmemopen(out, sizeof out, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ladder_print_svg(f, &lad), 0);
    fclose(f);
    cr_assert_eq(strncmp(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
    cr_assert_str_eq(out + strlen(out) - 7, "</svg>\n");
    size_t arrows = 0, dashed = 0;
    for (const char *p = out; (p = strstr(p, "marker-end=")); p++)
        arrows++;
    for (const char *p = out; (p = strstr(p, "stroke-dasharray")); p++)
        dashed++;
    cr_assert_eq(arrows, 7);
    cr_assert_eq(dashed, 1);
    cr_assert_not_null(strstr(out, ">&lt;ACK &amp; &quot;x&quot;&gt;</text>"), "%s", out);
    cr_assert_not_null(strstr(out, ">PCMA 127.0.1.1:16384 sendrecv</text>"));
    cr_assert_null(strstr(out, "<ACK"));
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

Test(ladder, random_messages_never_break_the_drawing)
{
    /* garbage labels, codecs, directions, flags and times between a few endpoints */
    struct endpoint pool[5] = {ep("10.0.0.1", 5060), ep("10.0.0.2", 5060), ep("2001:db8::9", 5060),
                               ep("10.0.0.1", 5062),
                               ep("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535)};
    for (int iter = 0; iter < 40; iter++) {
        struct call c;
        base_call(&c, pool[0], pool[1]);
        size_t n = rnd() % 40;
        for (size_t i = 0; i < n; i++) {
            struct call_msg *m =
                add(T0 + rnd() % (100 * NS), pool[rnd() % 5], pool[rnd() % 5], "", 0);
            /* random bytes, a NUL anywhere or none before the caps */
            static char garbage[MAX_MSGS][2][CALL_FIELD_MAX];
            char *g = garbage[nmsgs - 1][0], *h = garbage[nmsgs - 1][1];
            for (size_t k = 0; k + 1 < CALL_FIELD_MAX; k++) {
                g[k] = (char)rnd();
                h[k] = (char)rnd();
            }
            m->label = g;
            struct call_msg_sdp *x = (struct call_msg_sdp *)(uintptr_t)m->sdp;
            x->codec = h;
            m->flags = (uint8_t)rnd();
            x->dir = (uint8_t)rnd();
            m->status = (uint16_t)rnd();
            x->media = pool[rnd() % 5];
        }
        uint16_t width = (uint16_t)(rnd() % 200);
        const char *s = draw(&c, width, rnd() & 1 ? LADDER_TIME_ABSOLUTE : LADDER_TIME_RELATIVE);
        for (const char *q = s; *q; q++)
            cr_assert((*q >= 0x20 && *q < 0x7f) || *q == '\n', "iteration %d: byte 0x%02x", iter,
                      (unsigned char)*q);
        cr_assert_lt(widest_line(s), LADDER_LINE_MAX);
        if (lad.col_count <= 3 && lad.width >= LADDER_DEFAULT_WIDTH)
            cr_assert_leq(widest_line(s), lad.width, "iteration %d, width %u:\n%s", iter, lad.width,
                          s);
        cr_assert_eq(lad.row_count, n);
    }
}
