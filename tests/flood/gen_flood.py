#!/usr/bin/env python3
"""gen_flood.py: hostile floods against sipscope's bounded tables (pcap, RFC 3261/3550/791/793).

Writes one classic pcap (Ethernet, IPv4) per flood, each with a few real,
complete calls interleaved at known times, plus a truth file (JSON) naming
those calls so tests/flood/check.py can find them in the CDRs:

  invite    N INVITEs, each with its own Call-ID, alone: never answered, never
            retransmitted; every second one carries an SDP offer (so the media
            endpoint table is flooded as well as the call table).
  register  N AORs: REGISTER, 401 challenge; half of them authenticate and get
            200 OK, a quarter never come back, a quarter are challenged again.
  rtp       N UDP packets that look like RTP (version 2, PT 0, 160 bytes of
            payload) to ports no SDP announced: mostly new 5-tuples and SSRCs,
            one in four continues one of the last 64 flows (sequence + 1); and
            one in eight is injected at a real call's announced RTP port from
            a new source with a new SSRC (the call's own streams must survive).
  frag      N first fragments (MF set, offset 0) of distinct IPv4 datagrams
            that never complete; one in eight is a middle fragment instead.
            The real calls' INVITEs are themselves sent in two fragments.
  tcp       N TCP connections: SYN, then one data segment, never a FIN: half
            to port 5060 holding an unfinished SIP request (no blank line),
            a quarter to 5060 with bytes that are not SIP, a quarter on another
            port opening with an unfinished OPTIONS. One real call runs over TCP
            (handshake, its SIP on one connection, the INVITE and the 200 OK
            each split over two segments, FIN at the end).
  calls     (not a flood) N legitimate calls as above, --concurrency of them
            up at once, --rtp packets each way: for the memory figures.

A real call: INVITE with SDP, 100 Trying (+2 ms), 180 Ringing (+40 ms),
200 OK with SDP (+600 ms), ACK (+610 ms), RTP both ways from +620 ms, one
packet every 20 ms, REAL_RTP packets each way, BYE, 200 OK. So its CDR must
say completed, with two streams of REAL_RTP packets each.

Flood packets are GAP_US apart (default: spread so that a flood lasts at least
MIN_SPAN_S seconds, at most 10,000 packets a second). Records are packed with
struct into one bytearray (no packet library), a few hundred thousand packets
a second.

    gen_flood.py --kind invite -n 1000000 -o invite.pcap
    gen_flood.py --kind all -n 5000 -d /tmp/floods      (every kind, FILE per kind)
"""

import argparse
import heapq
import json
import os
import random
import struct
import sys

PCAP_HDR = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000b02")
ETH = MAC_B + MAC_A + b"\x08\x00"
T0_US = 1717200000 * 1000000
REAL_RTP = 50          # RTP packets each way in a real call
REAL_CALLS = 4         # real calls per flood
MIN_SPAN_S = 8.0       # a flood lasts at least this (real calls need ~2 s each)
MAX_PPS = 10000
FLUSH = 1 << 22

KINDS = ("invite", "register", "rtp", "frag", "tcp")


def ip4(a, b, c, d):
    return (a << 24) | (b << 16) | (c << 8) | d


def ip_str(v):
    return "%d.%d.%d.%d" % ((v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload_len, ip_id=0, frag=0x4000):
    """IPv4 header (RFC 791); frag = flags(3) | offset in 8-byte units(13)."""
    h = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + payload_len, ip_id, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", ip_checksum(h)) + h[12:]


def udp_frame(src, sport, dst, dport, payload):
    n = len(payload)
    return ETH + ipv4(src, dst, 17, 8 + n) + struct.pack("!HHHH", sport, dport, 8 + n, 0) + payload


TCP_SYN, TCP_ACK, TCP_PSH, TCP_FIN = 0x02, 0x10, 0x08, 0x01


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      65535, 0, 0)
    return ETH + ipv4(src, dst, 6, 20 + len(payload)) + tcp + payload


def udp_fragments(src, sport, dst, dport, payload, ip_id, first_len=1000):
    """One UDP datagram as two IPv4 fragments (RFC 791 §2.3): a complete set."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    first_len -= first_len % 8
    a, b = udp[:first_len], udp[first_len:]
    f1 = ETH + ipv4(src, dst, 17, len(a), ip_id, 0x2000) + a
    f2 = ETH + ipv4(src, dst, 17, len(b), ip_id, first_len // 8) + b
    return f1, f2


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.buf = bytearray(PCAP_HDR)
        self.packets = 0

    def add(self, ts_us, frame):
        n = len(frame)
        self.buf += struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, n, n)
        self.buf += frame
        self.packets += 1
        if len(self.buf) >= FLUSH:
            self.f.write(self.buf)
            self.buf = bytearray()

    def close(self):
        self.f.write(self.buf)
        self.f.close()


# ---- SIP text -------------------------------------------------------------------------------

def sdp(ip, port, sess):
    return ("v=0\r\no=- %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (sess, sess, ip, ip, port))


def request(line, via_host, branch, frm, to, call_id, cseq, contact, body="", extra="", transport="UDP"):
    ct = "Content-Type: application/sdp\r\n" if body else ""
    return ("%s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\n"
            "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nContact: <%s>\r\n%s%s"
            "Content-Length: %d\r\n\r\n%s"
            % (line, transport, via_host, branch, frm, to, call_id, cseq, contact, extra, ct,
               len(body), body)).encode()


def response(line, via_host, branch, frm, to, call_id, cseq, contact="", body="", extra="",
             transport="UDP"):
    ct = "Content-Type: application/sdp\r\n" if body else ""
    ctc = "Contact: <%s>\r\n" % contact if contact else ""
    return ("SIP/2.0 %s\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK%s\r\nFrom: %s\r\nTo: %s\r\n"
            "Call-ID: %s\r\nCSeq: %s\r\n%s%s%sContent-Length: %d\r\n\r\n%s"
            % (line, transport, via_host, branch, frm, to, call_id, cseq, ctc, extra, ct,
               len(body), body)).encode()


# ---- real calls -----------------------------------------------------------------------------

def real_call(kind, k, t, transport="udp", rtp_count=REAL_RTP, many=False):
    """The packets of real call k starting at t (µs), and its truth record (many: k up to 2^20)."""
    if many:
        a, b = ip4(10, 20, 0, 0) + 1 + k, ip4(10, 40, 0, 0) + 1 + k
    else:
        a, b = ip4(10, 9, 0, 1 + k), ip4(10, 9, 1, 1 + k)
    sa, sb = ip_str(a), ip_str(b)
    cid = "real-%s-%d@%s" % (kind, k, sa)
    frm = "<sip:alice%d@real.example>;tag=ra%d" % (k, k)
    to = "<sip:bob%d@real.example>" % k
    tot = to + ";tag=rb%d" % k
    tr = "TCP" if transport == "tcp" else "UDP"
    a_rtp, b_rtp = 30000 + 2 * k, 40000 + 2 * k
    ssrc_a, ssrc_b = 0x1000 + k, 0x2000 + k
    via = "%s:5060" % sa
    inv = request("INVITE sip:bob%d@real.example" % k, via, "ri%d" % k, frm, to, cid, "1 INVITE",
                  "sip:alice%d@%s:5060" % (k, sa), sdp(sa, a_rtp, 1000 + k),
                  "User-Agent: flood-real\r\n", tr)
    ok_sdp = sdp(sb, b_rtp, 2000 + k)
    bye_t = t + 620000 + rtp_count * 20000 + 40000
    sip = [  # (offset or absolute time, from caller?, bytes)
        (t, True, inv),
        (t + 2000, False, response("100 Trying", via, "ri%d" % k, frm, to, cid, "1 INVITE",
                                   transport=tr)),
        (t + 40000, False, response("180 Ringing", via, "ri%d" % k, frm, tot, cid, "1 INVITE",
                                    "sip:bob%d@%s:5060" % (k, sb), transport=tr)),
        (t + 600000, False, response("200 OK", via, "ri%d" % k, frm, tot, cid, "1 INVITE",
                                     "sip:bob%d@%s:5060" % (k, sb), ok_sdp, transport=tr)),
        (t + 610000, True, request("ACK sip:bob%d@%s:5060" % (k, sb), via, "ra%d" % k, frm, tot,
                                   cid, "1 ACK", "sip:alice%d@%s:5060" % (k, sa), transport=tr)),
        (bye_t, True, request("BYE sip:bob%d@%s:5060" % (k, sb), via, "rb%d" % k, frm, tot, cid,
                              "2 BYE", "sip:alice%d@%s:5060" % (k, sa), transport=tr)),
        (bye_t + 5000, False, response("200 OK", via, "rb%d" % k, frm, tot, cid, "2 BYE",
                                       transport=tr)),
    ]
    pkts = []
    if transport == "tcp":
        # RFC 793 three-way handshake, then every message on the one connection, FIN at the end.
        port_a, seq_a, seq_b = 41000 + k, 1000, 5000
        pkts.append((t - 3000, tcp_frame(a, port_a, b, 5060, seq_a, 0, TCP_SYN)))
        pkts.append((t - 2000, tcp_frame(b, 5060, a, port_a, seq_b, seq_a + 1, TCP_SYN | TCP_ACK)))
        pkts.append((t - 1000, tcp_frame(a, port_a, b, 5060, seq_a + 1, seq_b + 1, TCP_ACK)))
        seq_a += 1
        seq_b += 1
        for ts, caller, msg in sip:
            # The INVITE and the 200 OK come in two segments 1 ms apart (cut inside the headers),
            # so the stream must hold the first part in a buffer while the flood wants them all.
            split = b"CSeq: 1 INVITE" in msg and msg[:11] in (b"INVITE sip:", b"SIP/2.0 200")
            cut = 100 if split else len(msg)
            for part, dt in ((msg[:cut], 0), (msg[cut:], 1000)):
                if not part:
                    continue
                psh = TCP_ACK | TCP_PSH
                if caller:
                    pkts.append((ts + dt, tcp_frame(a, port_a, b, 5060, seq_a, seq_b, psh, part)))
                    seq_a += len(part)
                else:
                    pkts.append((ts + dt, tcp_frame(b, 5060, a, port_a, seq_b, seq_a, psh, part)))
                    seq_b += len(part)
        end = bye_t + 10000
        pkts.append((end, tcp_frame(a, port_a, b, 5060, seq_a, seq_b, TCP_ACK | TCP_FIN)))
        pkts.append((end + 1000, tcp_frame(b, 5060, a, port_a, seq_b, seq_a + 1, TCP_ACK | TCP_FIN)))
        pkts.append((end + 2000, tcp_frame(a, port_a, b, 5060, seq_a + 1, seq_b + 1, TCP_ACK)))
    else:
        for ts, caller, msg in sip:
            if caller and kind == "frag" and msg.startswith(b"INVITE"):
                f1, f2 = udp_fragments(a, 5060, b, 5060, msg, 0xE000 + k, 400)
                pkts.append((ts, f1))
                pkts.append((ts + 100, f2))
            elif caller:
                pkts.append((ts, udp_frame(a, 5060, b, 5060, msg)))
            else:
                pkts.append((ts, udp_frame(b, 5060, a, 5060, msg)))
    payload = b"\xff" * 160
    for i in range(rtp_count):
        ts = t + 620000 + i * 20000
        for src, sp, dst, dp, ssrc, off in ((a, a_rtp, b, b_rtp, ssrc_a, 0),
                                            (b, b_rtp, a, a_rtp, ssrc_b, 500)):
            rtp = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0, (100 + i) & 0xFFFF,
                              1000 + 160 * i, ssrc) + payload
            pkts.append((ts + off, udp_frame(src, sp, dst, dp, rtp)))
    pkts.sort(key=lambda p: p[0])
    truth = {"call_id": cid, "transport": transport, "start_us": t,
             "streams": [{"ssrc": "0x%08X" % ssrc_a, "src": "%s:%d" % (sa, a_rtp),
                          "dst": "%s:%d" % (sb, b_rtp), "packets": rtp_count},
                         {"ssrc": "0x%08X" % ssrc_b, "src": "%s:%d" % (sb, b_rtp),
                          "dst": "%s:%d" % (sa, a_rtp), "packets": rtp_count}]}
    return pkts, truth


# ---- floods: generators of (ts_us, frame) in time order --------------------------------------

def flood_invite(n, gap, rng):
    dst, dsts = ip4(10, 1, 0, 1), "10.1.0.1"
    for i in range(n):
        src = ip4(10, 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255)
        ss = ip_str(src)
        body = sdp(ss, 20000 + 2 * (i % 20000), i) if i % 4 else ""
        msg = request("INVITE sip:%d@%s" % (100 + i % 9000, dsts), "%s:5060" % ss, "fl%x" % i,
                      "<sip:scan%d@%s>;tag=f%x" % (i % 50, ss, i), "<sip:%d@%s>" % (100 + i % 9000, dsts),
                      "flood-%x-%x@%s" % (i, rng.getrandbits(32), ss), "1 INVITE",
                      "sip:scan@%s:5060" % ss, body, "User-Agent: friendly-scanner\r\n")
        yield T0_US + i * gap, udp_frame(src, 5060, dst, 5060, msg)


def flood_register(n, gap, rng):
    reg, regs = ip4(10, 1, 0, 2), "10.1.0.2"
    pending = []  # heap of (ts, seq, frame)
    seq = 0
    for i in range(n):
        t = T0_US + i * gap
        while pending and pending[0][0] <= t:
            ts, _, fr = heapq.heappop(pending)
            yield ts, fr
        cli = ip4(10, 3, (i >> 8) & 255, i & 255)
        cs = ip_str(cli)
        aor = "<sip:user%d@flood.example>" % i
        frm = aor + ";tag=r%x" % i
        cid = "reg-%x-%x@%s" % (i, rng.getrandbits(24), cs)
        via = "%s:5060" % cs
        contact = "sip:user%d@%s:5060" % (i, cs)
        fate = i % 4  # 0, 2: authenticates; 1: never comes back; 3: challenged again
        msgs = [(t, True, request("REGISTER sip:flood.example", via, "r1x%x" % i, frm, aor, cid,
                                  "1 REGISTER", contact, extra="Expires: 3600\r\n")),
                (t + 2000, False, response("401 Unauthorized", via, "r1x%x" % i, frm,
                                           aor + ";tag=s%x" % i, cid, "1 REGISTER",
                                           extra='WWW-Authenticate: Digest realm="flood.example", '
                                                 'nonce="%x"\r\n' % i))]
        if fate != 1:
            auth = ('Authorization: Digest username="user%d", realm="flood.example", nonce="%x", '
                    'uri="sip:flood.example", response="%032x"\r\nExpires: 3600\r\n'
                    % (i, i, rng.getrandbits(128)))
            msgs.append((t + 10000, True, request("REGISTER sip:flood.example", via, "r2x%x" % i, frm,
                                                  aor, cid, "2 REGISTER", contact, extra=auth)))
            if fate == 3:
                msgs.append((t + 12000, False, response("401 Unauthorized", via, "r2x%x" % i, frm,
                                                        aor + ";tag=s%x" % i, cid, "2 REGISTER")))
            else:
                msgs.append((t + 12000, False, response("200 OK", via, "r2x%x" % i, frm,
                                                        aor + ";tag=s%x" % i, cid, "2 REGISTER",
                                                        contact + ";expires=3600")))
        for ts, up, m in msgs:
            fr = udp_frame(cli, 5060, reg, 5060, m) if up else udp_frame(reg, 5060, cli, 5060, m)
            heapq.heappush(pending, (ts, seq, fr))
            seq += 1
    while pending:
        ts, _, fr = heapq.heappop(pending)
        yield ts, fr


def flood_rtp(n, gap, rng):
    payload = b"\xff" * 160
    recent = []
    targets = [(ip4(10, 9, 0, 1 + k), 30000 + 2 * k) for k in range(REAL_CALLS)]  # callers' RTP
    for i in range(n):
        if i % 8 == 5:
            dst, dport = targets[rng.randrange(len(targets))]
            src = ip4(10, 66, rng.randrange(256), rng.randrange(1, 255))
            rtp = struct.pack("!BBHII", 0x80, 0, rng.randrange(65536), rng.getrandbits(32),
                              rng.getrandbits(32)) + payload
            yield T0_US + i * gap, udp_frame(src, 1024 + 2 * rng.randrange(30000), dst, dport, rtp)
            continue
        if i % 4 == 3 and recent:
            f = recent[rng.randrange(len(recent))]
            f[5] = (f[5] + 1) & 0xFFFF
            f[6] += 160
        else:
            f = [ip4(10, 4, rng.randrange(256), rng.randrange(1, 255)), 1024 + 2 * rng.randrange(30000),
                 ip4(10, 5, rng.randrange(256), rng.randrange(1, 255)), 1024 + 2 * rng.randrange(30000),
                 rng.getrandbits(32), rng.randrange(65536), rng.getrandbits(31)]
            if len(recent) < 64:
                recent.append(f)
            else:
                recent[i % 64] = f
        rtp = struct.pack("!BBHII", 0x80, 0, f[5], f[6] & 0xFFFFFFFF, f[4]) + payload
        yield T0_US + i * gap, udp_frame(f[0], f[1], f[2], f[3], rtp)


def flood_frag(n, gap, rng):
    dst = ip4(10, 1, 0, 4)
    head = (b"INVITE sip:frag@10.1.0.4 SIP/2.0\r\nVia: SIP/2.0/UDP 10.7.0.1:5060;branch=z9hG4bKfrag\r\n"
            + b"X-Pad: " + b"a" * 1400)[:1472]
    for i in range(n):
        src = ip4(10, 7, (i >> 8) & 255, i & 255)
        ip_id = (i * 7919) & 0xFFFF
        if i % 8 == 7:  # a middle fragment of a datagram whose first one never comes
            body = b"b" * 1480
            fr = ETH + ipv4(src, dst, 17, len(body), ip_id, 0x2000 | (1480 // 8)) + body
        else:           # the first fragment: UDP header to 5060, then the start of an INVITE
            body = struct.pack("!HHHH", 5060, 5060, 8 + 4000, 0) + head
            fr = ETH + ipv4(src, dst, 17, len(body), ip_id, 0x2000) + body
        yield T0_US + i * gap, fr


def flood_tcp(n, gap, rng):
    srv = ip4(10, 1, 0, 3)
    partial = (b"INVITE sip:x@10.1.0.3 SIP/2.0\r\nVia: SIP/2.0/TCP 10.8.0.1:5060;branch=z9hG4bKtcp\r\n"
               b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: tcp-partial\r\nCSeq: 1 INVITE\r\n")
    other = b"OPTIONS sip:x@10.1.0.3:5080 SIP/2.0\r\nVia: SIP/2.0/TCP 10.8.0.1;branch=z9hG4bKo\r\n"
    junk = bytes(range(0x16, 0x16 + 200))
    pending = []
    seq = 0
    for i in range(n):
        t = T0_US + i * gap
        while pending and pending[0][0] <= t:
            ts, _, fr = heapq.heappop(pending)
            yield ts, fr
        cli = ip4(10, 8, (i >> 8) & 255, i & 255)
        sport = 1024 + (i * 13) % 60000
        isn = rng.getrandbits(32)
        kind = i % 4
        dport = 5080 if kind == 3 else 5060
        data = partial if kind in (0, 1) else (junk if kind == 2 else other)
        for ts, fr in ((t, tcp_frame(cli, sport, srv, dport, isn, 0, TCP_SYN)),
                       (t + 1000, tcp_frame(cli, sport, srv, dport, isn + 1, 1, TCP_ACK | TCP_PSH, data))):
            heapq.heappush(pending, (ts, seq, fr))
            seq += 1
    while pending:
        ts, _, fr = heapq.heappop(pending)
        yield ts, fr


def calls_only(n, concurrency, rtp_count):
    """n legitimate calls, about `concurrency` of them up at once: (packets in time order, truth)."""
    span = 620000 + rtp_count * 20000 + 50000
    step = max(1, span // concurrency)
    pending, truth, seq = [], [], 0
    for k in range(n):
        t = T0_US + k * step
        while pending and pending[0][0] <= t:
            ts, _, fr = heapq.heappop(pending)
            yield ts, fr, None
        pk, tr = real_call("calls", k, t, rtp_count=rtp_count, many=True)
        for ts, fr in pk:
            heapq.heappush(pending, (ts, seq, fr))
            seq += 1
        yield None, None, tr
    while pending:
        ts, _, fr = heapq.heappop(pending)
        yield ts, fr, None


def write_calls(n, path, concurrency, rtp_count):
    out = Pcap(path)
    truth = []
    for ts, fr, tr in calls_only(n, concurrency, rtp_count):
        if tr:
            truth.append(tr)
        else:
            out.add(ts, fr)
    out.close()
    info = {"kind": "calls", "n": n, "concurrency": concurrency, "packets": out.packets,
            "calls": truth}
    with open(path + ".truth.json", "w") as f:
        json.dump(info, f)
    return info


FLOODS = {"invite": flood_invite, "register": flood_register, "rtp": flood_rtp,
          "frag": flood_frag, "tcp": flood_tcp}


def write(kind, n, path, seed, gap_us):
    rng = random.Random(seed)
    gap = gap_us or max(1000000 // MAX_PPS, int(MIN_SPAN_S * 1000000 / max(n, 1)))
    span = n * gap
    real, truth = [], []
    for k in range(REAL_CALLS):
        t = T0_US + int(span * (0.05 + 0.9 * k / REAL_CALLS))
        pk, tr = real_call(kind, k, t, "tcp" if kind == "tcp" and k == 1 else "udp")
        real += pk
        truth.append(tr)
    real.sort(key=lambda p: p[0])
    out = Pcap(path)
    for ts, fr in heapq.merge(FLOODS[kind](n, gap, rng), real, key=lambda p: p[0]):
        out.add(ts, fr)
    out.close()
    info = {"kind": kind, "n": n, "gap_us": gap, "packets": out.packets, "calls": truth}
    with open(path + ".truth.json", "w") as f:
        json.dump(info, f, indent=1)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=KINDS + ("all", "calls"), default="all")
    ap.add_argument("-n", type=int, default=1000000, help="flood size (INVITEs, AORs, packets...)")
    ap.add_argument("-o", "--output", help="output pcap (one kind)")
    ap.add_argument("-d", "--dir", help="output directory (--kind all: KIND.pcap each)")
    ap.add_argument("--gap-us", type=int, default=0, help="µs between flood packets (0: auto)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=100, help="--kind calls: calls up at once")
    ap.add_argument("--rtp", type=int, default=10, help="--kind calls: RTP packets each way")
    args = ap.parse_args()
    if args.kind == "calls":
        path = args.output or "calls.pcap"
        info = write_calls(args.n, path, max(1, args.concurrency), max(1, args.rtp))
        print("%s: %d packets, %d calls" % (path, info["packets"], args.n), file=sys.stderr)
        return
    if args.n < 1:
        ap.error("-n must be positive")
    kinds = KINDS if args.kind == "all" else (args.kind,)
    if len(kinds) > 1 and not args.dir:
        ap.error("--kind all needs -d DIR")
    for kind in kinds:
        path = os.path.join(args.dir, kind + ".pcap") if args.dir else (args.output or kind + ".pcap")
        info = write(kind, args.n, path, args.seed, args.gap_us)
        print("%s: %d packets, gap %d us" % (path, info["packets"], info["gap_us"]), file=sys.stderr)


if __name__ == "__main__":
    main()
